"""``anncourse-grade``: a whole class graded in parallel on Dask, the gradebook written by one writer.

Every test runs the real command on a scratch course with one batch of ex04 submissions (references,
blanks, catalogued wrong answers, broken and hostile ones), and compares with serial
``nbgrader autograde`` on the same files.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from anncourse.course import (course_with_submissions, nbgrader_env, notebook_name, read_grades, run_nbgrader,
                              student_submission)
from test_grading_ex04 import CATALOGUE

pytestmark = pytest.mark.slow

ASSIGNMENT = "ex04_softmax"
NOTEBOOK = notebook_name(ASSIGNMENT)
BIN = Path(sys.executable).parent
HOSTILE = {
    "hostile-endless-loop": {"softmax": "def softmax(z, axis=-1, temperature=1.0):\n    while True:\n        pass"},
    "hostile-exits": {"top_k_accuracy": "import os\nos._exit(3)"},
    "hostile-reads-the-course": {"softmax": "import glob, os\nprint([p for p in glob.glob('/tmp/**', recursive=True) "
                                            "if os.path.isfile(p) and '/.venv/' not in p], "
                                            "glob.glob('/home/**/*.ipynb', recursive=True), glob.glob('/*/*.db'))\n"
                                            "def softmax(z, axis=-1, temperature=1.0):\n    return z"},
}
# Quick limits for the batch: an endless loop costs 5 s, not a minute.
LIMITS = "\nc.SandboxedExecute.cell_timeout = 5\nc.SandboxedExecute.notebook_timeout = 120\n"


def batch() -> dict:
    """The submissions: references, blanks, two rounds of wrong answers (partial scores in many
    cells), a broken file, hostile ones. Each batch grades them all, four times in this module."""
    subs = CATALOGUE.submissions()
    chosen = {name: subs[name] for name in ["reference", "blank", "corrupted-file", "syntax-error"]}
    chosen.update({CATALOGUE.round_id(i): subs[CATALOGUE.round_id(i)] for i in range(2)})
    chosen["reference-2"] = subs["reference"]
    chosen.update({name: student_submission(ASSIGNMENT, answers) for name, answers in HOSTILE.items()})
    return chosen


def make_course(path: Path, submissions: dict) -> Path:
    return course_with_submissions(path, ASSIGNMENT, submissions, config=LIMITS)


def grade_command(course: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "anncourse-grade"), ASSIGNMENT, "--quiet", *args], cwd=course,
                          env=nbgrader_env(), capture_output=True, text=True, timeout=timeout)


def cell_scores(course: Path, students, db_url: str | None = None) -> dict:
    """``{student: {cell: score}}`` from the gradebook (SQLite in ``course`` unless ``db_url``)."""
    if db_url is None:
        grades = read_grades(course, ASSIGNMENT, NOTEBOOK.removesuffix(".ipynb"), list(students))
        return {s: {c: g.score for c, g in parts.items()} for s, parts in grades.items()}
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(db_url) as gradebook:
        for student in students:
            try:
                notebook = gradebook.find_submission_notebook(NOTEBOOK.removesuffix(".ipynb"), ASSIGNMENT, student)
            except MissingEntry:
                scores[student] = {}
                continue
            scores[student] = {g.name: float(g.score or 0.0) for g in notebook.grades
                               if g.auto_score is not None or g.cell_type == "code"}
    return scores


def report(course: Path) -> dict:
    return {row["student"]: row for row in json.loads((course / "grading_reports" / f"{ASSIGNMENT}.json").read_text())}


@pytest.fixture(scope="module")
def submissions():
    return batch()


@pytest.fixture(scope="module")
def serial(tmp_path_factory, submissions):
    course = make_course(tmp_path_factory.mktemp("serial"), submissions)
    run_nbgrader(course, "autograde", ASSIGNMENT, "--create", check=False)
    return cell_scores(course, submissions)


@pytest.fixture(scope="module")
def parallel(tmp_path_factory, submissions):
    course = make_course(tmp_path_factory.mktemp("parallel"), submissions)
    start = time.perf_counter()
    done = grade_command(course, "--workers", "2")
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stdout + done.stderr
    print(f"anncourse-grade, {len(submissions)} submissions, 2 workers: {seconds:.1f} s")
    return course, done


def test_two_workers_give_exactly_the_per_cell_scores_of_serial_nbgrader(serial, parallel, submissions):
    course, _ = parallel
    ours = cell_scores(course, submissions)
    assert ours == serial
    assert sum(ours["reference"].values()) == 22 and sum(ours["blank"].values()) == 0


def test_the_report_gives_every_submission_a_status_score_reason_and_time(parallel, submissions):
    course, done = parallel
    rows = report(course)
    assert set(rows) == set(submissions)
    assert rows["reference"]["status"] == "graded" and rows["reference"]["score"] == 22
    assert rows["corrupted-file"]["status"] == "invalid notebook" and "JSON" in rows["corrupted-file"]["reason"]
    assert rows["hostile-endless-loop"]["status"] == "timeout" and "5 s" in rows["hostile-endless-loop"]["reason"]
    assert rows["hostile-exits"]["status"] == "crashed"
    assert all(row["seconds"] >= 0 for row in rows.values())
    assert (course / "grading_reports" / f"{ASSIGNMENT}.csv").read_text().count("\n") == len(submissions) + 1
    assert "timeout" in done.stdout and "reference-2" in done.stdout, "the table at the end"


def test_a_course_read_by_a_submission_shows_it_nothing(parallel):
    course, _ = parallel
    autograded = nbformat.read(course / "autograded" / "hostile-reads-the-course" / ASSIGNMENT / NOTEBOOK, as_version=4)
    printed = "".join(o.get("text", "") for c in autograded.cells for o in c.get("outputs", []))
    assert printed.strip() == "[] [] []", printed  # a private /tmp (the Python environment only), no notebook, no gradebook


def test_feedback_and_export_afterwards_have_one_row_per_student_and_no_hidden_tests(parallel, submissions):
    course, _ = parallel
    run_nbgrader(course, "generate_feedback", ASSIGNMENT)
    run_nbgrader(course, "export")
    rows = (course / "grades.csv").read_text().splitlines()
    assert len(rows) == len(submissions) + 1
    page = (course / "feedback" / "round-00" / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")).read_text()
    assert "_grader_reference" not in page and "BEGIN HIDDEN TESTS" not in page


def test_an_unchanged_submission_is_not_graded_twice_and_force_regrades_it(parallel):
    course, _ = parallel
    again = grade_command(course, "--student", "reference")
    assert again.returncode == 0, again.stderr
    assert report(course)["reference"]["graded_in"] == "an earlier run"
    forced = grade_command(course, "--student", "reference", "--force")
    assert forced.returncode == 0 and report(course)["reference"]["graded_in"] == "this run"
    assert sum(cell_scores(course, ["reference"])["reference"].values()) == 22


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _ledger_entries(course: Path) -> list[dict]:
    folder = course / ".anncourse" / "grading" / ASSIGNMENT
    entries = []
    for path in folder.glob("*.json") if folder.exists() else []:
        try:
            entries.append(json.loads(path.read_text()))
        except ValueError:
            pass
    return entries


def test_killed_with_sigkill_and_run_again_it_completes_with_the_same_grades(tmp_path, serial, submissions):
    course = make_course(tmp_path / "killed", submissions)
    process = subprocess.Popen([str(BIN / "anncourse-grade"), ASSIGNMENT, "--quiet", "--workers", "2"], cwd=course,
                               env=nbgrader_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        _wait_for(lambda: sum(e.get("recorded", False) for e in _ledger_entries(course)) >= 3, 300, "three grades")
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the command and its Dask workers, mid-batch
        process.wait()
    before = {e["student"] for e in _ledger_entries(course) if e.get("recorded")}
    assert len(before) < len(submissions), "the batch finished before it could be killed"
    again = grade_command(course, "--workers", "2")
    assert again.returncode == 0, again.stdout + again.stderr
    assert cell_scores(course, submissions) == serial
    rows = report(course)
    assert {s for s, row in rows.items() if row["graded_in"] == "an earlier run"} >= before
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        assert len(gradebook.assignment_submissions(ASSIGNMENT)) == len(submissions), "a submission was doubled or lost"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    """A Dask scheduler and two workers, each its own process, on 127.0.0.1."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = nbgrader_env()
    scheduler = subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = [subprocess.Popen([str(BIN / "dask"), "worker", address, "--nthreads", "1", "--nworkers", "1",
                                 "--no-dashboard", "--no-nanny", "--local-directory", str(tmp_path / f"w{i}")],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
               for i in range(2)]
    from distributed import Client

    with Client(address, timeout="60s") as client:
        client.wait_for_workers(2, timeout=120)
    yield address, workers
    for process in [*workers, scheduler]:
        process.kill()
        process.wait()


def test_a_separate_scheduler_and_workers_grade_the_same_and_survive_a_killed_worker(tmp_path, serial, submissions,
                                                                                   dask_cluster):
    address, workers = dask_cluster
    course = make_course(tmp_path / "distributed", submissions)
    process = subprocess.Popen([str(BIN / "anncourse-grade"), ASSIGNMENT, "--quiet", "--scheduler", address],
                               cwd=course, env=nbgrader_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: len(_ledger_entries(course)) >= 2, 300, "two results")
    os.killpg(workers[0].pid, signal.SIGKILL)   # one worker dies mid-batch; its job goes to the other
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, out + err
    assert cell_scores(course, submissions) == serial
    assert "infrastructure" not in {row["status"] for row in report(course).values()}


@pytest.fixture
def postgres():
    """A PostgreSQL server of Debian's package on a Unix socket and 127.0.0.1, as an unprivileged user."""
    import tempfile

    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    assert bins, "PostgreSQL is not installed: .ci/run installs Debian's postgresql"
    bin_dir = bins[-1]
    base = Path(tempfile.mkdtemp(prefix="anncourse-pg-"))
    base.chmod(0o755)  # PostgreSQL refuses to run as root: its user must reach these folders
    data, sockets = base / "pgdata", base / "pgsocket"
    sockets.mkdir()
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(sockets, "nobody", "nogroup")
        data.mkdir()
        shutil.chown(data, "nobody", "nogroup")
    initdb = subprocess.run([*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "grader", "--auth=trust"],
                            capture_output=True, text=True, cwd="/tmp")
    assert initdb.returncode == 0, initdb.stdout + initdb.stderr
    port = _free_port()
    server = subprocess.Popen([*prefix, str(bin_dir / "postgres"), "-D", str(data), "-k", str(sockets), "-p", str(port),
                               "-h", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/tmp")
    url = f"postgresql://grader@127.0.0.1:{port}/postgres"
    import sqlalchemy

    def ready():
        try:
            sqlalchemy.create_engine(url).connect().close()
            return True
        except Exception:
            return False

    _wait_for(ready, 60, "PostgreSQL to start")
    yield url, sockets, port
    server.send_signal(signal.SIGINT)  # a fast shutdown: do not wait for idle connections
    server.wait()
    shutil.rmtree(base, ignore_errors=True)


def test_postgresql_gets_the_same_grades_and_the_sandbox_cannot_reach_it(tmp_path, serial, postgres):
    url, sockets, port = postgres
    probe = (f"import socket\nfor target in [{str(sockets / f'.s.PGSQL.{port}')!r}, ('127.0.0.1', {port})]:\n"
             "    family = socket.AF_UNIX if isinstance(target, str) else socket.AF_INET\n"
             "    try:\n        socket.socket(family).connect(target)\n        print('CONNECTED', target)\n"
             "    except OSError as error:\n        print('refused', type(error).__name__)\n")
    chosen = {"reference": student_submission(ASSIGNMENT), "blank": student_submission(ASSIGNMENT, blank=True),
              "round-00": CATALOGUE.submissions()[CATALOGUE.round_id(0)],
              "hostile-reaches-the-database": student_submission(ASSIGNMENT, {"top_k_accuracy": probe})}
    course = make_course(tmp_path / "postgres", chosen)
    run_nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", f"--CourseDirectory.db_url={url}")
    done = grade_command(course, "--workers", "2", "--db", url)
    assert done.returncode == 0, done.stdout + done.stderr
    ours = cell_scores(course, chosen, db_url=url)
    assert {s: ours[s] for s in ("reference", "blank", "round-00")} == {s: serial[s] for s in ("reference", "blank", "round-00")}
    assert cell_scores(course, chosen)["reference"] == {}, "the SQLite gradebook was used instead"
    autograded = nbformat.read(course / "autograded" / "hostile-reaches-the-database" / ASSIGNMENT / NOTEBOOK, as_version=4)
    printed = "".join(o.get("text", "") for c in autograded.cells for o in c.get("outputs", []))
    assert printed.count("refused") == 2 and "CONNECTED" not in printed, printed


def test_without_bubblewrap_grading_stops_with_a_message_unless_told_to_grade_unsandboxed(tmp_path):
    course = make_course(tmp_path / "nosandbox", {"reference": student_submission(ASSIGNMENT)})
    no_bwrap = dict(nbgrader_env(), PATH=str(BIN))  # the environment's programs, not /usr/bin/bwrap
    refused = subprocess.run([str(BIN / "anncourse-grade"), ASSIGNMENT, "--quiet", "--workers", "1"], cwd=course,
                             env=no_bwrap, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "bubblewrap" in refused.stderr and "--unsandboxed" in refused.stderr
    assert cell_scores(course, ["reference"])["reference"] == {}, "nothing was graded"
    plain = subprocess.run([str(BIN / "nbgrader"), "autograde", ASSIGNMENT, "--create"], cwd=course, env=no_bwrap,
                           capture_output=True, text=True, timeout=300)
    assert "anncourse-grade --unsandboxed" in plain.stdout + plain.stderr, "plain nbgrader refuses too, and says why"
    assert cell_scores(course, ["reference"])["reference"] == {} or sum(cell_scores(course, ["reference"])["reference"].values()) == 0
    allowed = subprocess.run([str(BIN / "anncourse-grade"), ASSIGNMENT, "--quiet", "--workers", "1", "--unsandboxed"],
                             cwd=course, env=no_bwrap, capture_output=True, text=True, timeout=300)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "UNSANDBOXED" in allowed.stderr and report(course)["reference"]["sandbox"].startswith("UNSANDBOXED")
    assert sum(cell_scores(course, ["reference"])["reference"].values()) == 22
