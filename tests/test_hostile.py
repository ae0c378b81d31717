"""Hostile and broken submissions, graded by the real pipeline: ``nbgrader autograde`` with the course's
configuration (RebuildFromSource, SandboxedExecute) in a scratch course, all in ONE batch.

The batch holds an honest reference graded first, the blank release, every case of
``hostile_catalogue.cases()`` and a second reference graded last (``zz-reference-after``, also the
victim of the writing attacks). The proofs:

- each hostile or broken submission earns at most what the blank release earns for what it attacks
  (zero), and the odd-but-honest ones earn full marks; each loses points with a reason in its outputs
  and, for a few, in the feedback page; nothing of the hidden tests is in any output or feedback;
- the batch completed: the references before and after got full marks, the blank zero;
- the gradebook is a valid nbgrader database with exactly the expected submissions and grades, and
  the schema of a fresh one (no table or trigger added); the course's files (config, source, release,
  every submission) are byte for byte unchanged, and nothing was written into the repository;
- no process of the sandbox (uid 65534, or any process an attack tagged) is left, no listener of the
  test received a connection, and no marker file appeared on the host.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

import hostile_catalogue as hc
from anncourse.course import ROOT, autograde, nbgrader_env, run_nbgrader
from anncourse.sandbox import SANDBOX_UID

pytestmark = pytest.mark.slow

OPTIONS = ("--SandboxedExecute.cell_timeout=5", "--SandboxedExecute.notebook_timeout=60",
           "--SandboxedExecute.memory_limit=1073741824")
CASES = hc.cases()
BY_ID = {case.student: case for case in CASES}
HIDDEN_LINES = hc.hidden_lines()
GRADE_CELLS = {*hc.TESTS, hc.MARKDOWN_ANSWER}


# Things the test runs beside the batch -----------------------------------------------------------

class Listener:
    """A listening socket that records every connection and what it received."""

    def __init__(self, family: int, address):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(address)
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.address = self.sock.getsockname()
        self.received: list[bytes] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.sock.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            connection.settimeout(1)
            try:
                data = connection.recv(4096)
            except OSError:
                data = b""
            self.received.append(b"<connection> " + data)
            connection.close()

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
        self.sock.close()


def host_addresses() -> tuple[str, ...]:
    """This machine's own non-loopback IPv4 addresses."""
    found = set()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            found.add(probe.getsockname()[0])
        except OSError:
            pass
    try:
        found |= {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    except OSError:
        pass
    return tuple(sorted(a for a in found if not a.startswith("127.")))


@dataclass(frozen=True)
class Process:
    pid: int
    ppid: int
    uid: int
    cmdline: str
    launcher: int | None  # the pid in the name of its sandbox's cgroup (anncourse/<pid>-...), if any


def processes() -> dict[int, Process]:
    """Every process now."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cgroup = Path(f"/proc/{entry}/cgroup").read_text()
        except OSError:
            continue
        uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
        ppid = int(re.search(r"^PPid:\s+(\d+)", status, re.M).group(1))
        launcher = re.search(r"/anncourse/(\d+)-", cgroup)
        found[int(entry)] = Process(int(entry), ppid, uid, cmdline.strip(), int(launcher.group(1)) if launcher else None)
    return found


class Watcher:
    """Records, while the batch runs, every process that descends from this test (nbgrader, the
    grading processes, bubblewrap, the sandboxes and what they start)."""

    def __init__(self):
        self.ours: set[int] = {os.getpid()}
        self.sandboxed: set[int] = set()   # of those, the ones that ran as the sandbox's uid
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.stopped.is_set():
            now = processes()
            for process in sorted(now.values(), key=lambda p: p.pid):
                chain, pid = [], process.pid
                while pid in now and pid not in self.ours and len(chain) < 64:
                    chain.append(pid)
                    pid = now[pid].ppid
                if pid in self.ours:
                    self.ours.update(chain)
            self.sandboxed |= {p.pid for p in now.values() if p.pid in self.ours and p.uid == SANDBOX_UID}
            time.sleep(0.2)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)

    def left_over(self, token: str) -> dict[int, Process]:
        """Processes of this batch's sandboxes still alive: ours and run as uid 65534, in the cgroup
        of one of our sandboxes, or tagged by an attack."""
        return {p.pid: p for p in processes().values()
                if p.pid != os.getpid() and (token in p.cmdline or (p.uid == SANDBOX_UID and (
                    p.pid in self.ours or p.launcher in self.ours)))}


def tree_digest(*paths: Path) -> dict[str, str]:
    """sha256 of every file under ``paths`` (and of each path that is a file), by relative name."""
    digests = {}
    for path in paths:
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            digests[str(file)] = hashlib.sha256(file.read_bytes()).hexdigest()
    return digests


def course_files(course: Path) -> dict[str, str]:
    return tree_digest(course / "nbgrader_config.py", course / "solutions", course / "exercises", course / "submitted")


def schema(db: Path) -> set[tuple]:
    with sqlite3.connect(db) as connection:
        return set(connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall())


def outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts += [str(output.get("text", "")), str(output.get("ename", "")), str(output.get("evalue", ""))]
            parts += [str(line) for line in output.get("traceback", [])]
            parts += [str(value) for value in output.get("data", {}).values()]
    return "\n".join(parts)


def leaked(text: str) -> list[str]:
    return sorted(line for line in HIDDEN_LINES if line in text)


@dataclass
class Batch:
    ctx: hc.Context
    course: Path
    grades: dict
    seconds: float
    log: str
    files_before: dict[str, str]
    files_after: dict[str, str]
    fresh_schema: set
    listeners: dict[str, Listener]
    leftovers: dict[int, Process]
    markers_growing: dict[str, tuple[int, int]]
    created_in_course: list[str]
    pth_files: list[str]
    sandboxed_processes: int
    feedback_pages: dict[str, str] = field(default_factory=dict)

    def autograded(self, student: str):
        path = self.course / "autograded" / student / hc.ASSIGNMENT / hc.NOTEBOOK
        return nbformat.read(path, as_version=4) if path.exists() else None

    def feedback_html(self, student: str) -> str:
        if student not in self.feedback_pages:
            run_nbgrader(self.course, "generate_feedback", hc.ASSIGNMENT, "--student", student, "--force")
            page = self.course / "feedback" / student / hc.ASSIGNMENT / hc.NOTEBOOK.replace(".ipynb", ".html")
            self.feedback_pages[student] = page.read_text()
        return self.feedback_pages[student]

    def feedback_text(self, student: str) -> str:
        """What a student reads on the page (tags removed, entities decoded)."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.feedback_html(student)))


@pytest.fixture(scope="module")
def batch():
    # Not pytest's tmp_path: pytest deletes older base folders when other sessions start, and the
    # batch takes minutes on a machine where other test sessions run.
    root = Path(tempfile.mkdtemp(prefix="anncourse-hostile-"))
    course, markers = root / "course", root / "markers"
    markers.mkdir()
    markers.chmod(0o777)  # were the sandbox to leak, uid 65534 could write here: the marker shows it
    token = secrets.token_hex(6)
    listeners = {"tcp": Listener(socket.AF_INET, ("127.0.0.1", 0)),
                 "unix": Listener(socket.AF_UNIX, str(root / "hostile.sock")),
                 "abstract": Listener(socket.AF_UNIX, f"\0hostile-{token}")}
    (root / "hostile.sock").chmod(0o777)
    ctx = hc.Context(course=course, tcp_port=listeners["tcp"].address[1], host_addresses=host_addresses(),
                     unix_socket=root / "hostile.sock", abstract_socket=f"hostile-{token}", markers=markers,
                     token=token)
    submissions = hc.submissions(ctx)
    taken: dict = {}

    def prepare(course_root: Path) -> None:
        for case in CASES:
            folder = course_root / "submitted" / case.student / hc.ASSIGNMENT
            for name, text in (case.files(ctx) if case.files else {}).items():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_text(text)
            if not case.keep_notebook:
                (folder / hc.NOTEBOOK).unlink()
        taken["files"] = course_files(course_root)
        taken["entries"] = {p.name for p in course_root.iterdir()}
        taken["watcher"] = Watcher()

    started = time.perf_counter()
    grades = autograde(hc.ASSIGNMENT, submissions, course, options=OPTIONS, prepare=prepare)
    seconds = time.perf_counter() - started
    files_after = course_files(course)
    created = sorted({p.name for p in course.iterdir()} - taken["entries"] - {"autograded", "gradebook.db", "autograde.log"})

    # What the sandboxes left running: give the kernel a moment to reap them, then look.
    watcher = taken["watcher"]
    deadline = time.monotonic() + 10
    while watcher.left_over(token) and time.monotonic() < deadline:
        time.sleep(0.5)
    watcher.stop()
    leftovers = watcher.left_over(token)
    sizes = {p.name: p.stat().st_size for p in markers.iterdir()}
    time.sleep(2)
    growing = {p.name: (sizes.get(p.name, 0), p.stat().st_size) for p in markers.iterdir()
               if p.stat().st_size != sizes.get(p.name, 0)}

    fresh = root / "fresh.db"  # a new gradebook, made by nbgrader as the batch's was (alembic on PATH)
    subprocess.run([sys.executable, "-c", f"from nbgrader.api import Gradebook; Gradebook({f'sqlite:///{fresh}'!r}).close()"],
                   env=nbgrader_env(), check=True, capture_output=True)
    site_packages = {Path(p) for p in sys.path if p.endswith("site-packages")}
    pth = [str(p) for folder in site_packages for p in folder.glob(f"hostile-{token}.pth")]

    result = Batch(ctx, course, grades, seconds, (course / "autograde.log").read_text(), taken["files"], files_after,
                   schema(fresh), listeners, leftovers, growing, created, pth, len(watcher.sandboxed))
    print(f"\nhostile batch: {len(submissions)} submissions graded in {seconds:.1f} s; "
          f"{len(watcher.sandboxed)} sandboxed processes seen, {len(leftovers)} left")
    yield result
    for listener in listeners.values():
        listener.close()
    for pid in leftovers:  # never leave an escaped process running
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    for path in pth:
        Path(path).unlink(missing_ok=True)
    if os.environ.get("ANNCOURSE_KEEP_HOSTILE") == "1":
        print(f"\nhostile batch kept in {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)


def report(batch: Batch, student: str) -> dict:
    nb = batch.autograded(student)
    return nb.metadata.get("anncourse_grading", {}) if nb is not None else {}


# The catalogue itself (fast) ----------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=[c.student for c in CASES])
def test_case_is_well_formed(case):
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", case.student)
    assert hc.BLANK < hc.REFERENCE_AFTER and case.student < hc.REFERENCE_AFTER, "the last reference must sort last"
    assert set(case.expect) == set(hc.TESTS)
    assert len(BY_ID) == len(CASES), "one submission per case"


def test_hidden_lines_are_known():
    assert len(HIDDEN_LINES) > 20


# The batch ----------------------------------------------------------------------------------------

def test_the_batch_completed(batch):
    assert sorted(batch.grades) == sorted([hc.REFERENCE_BEFORE, hc.BLANK, hc.REFERENCE_AFTER, *BY_ID])
    for reference in (hc.REFERENCE_BEFORE, hc.REFERENCE_AFTER):
        parts = batch.grades[reference]
        assert {t: parts[t].score for t in hc.TESTS} == hc.FULL, f"{reference} did not get full marks"
        assert report(batch, reference).get("status") == "graded"
    parts = batch.grades[hc.BLANK]
    assert {t: parts[t].score for t in hc.TESTS} == hc.ZERO
    order = re.findall(r"Creating/updating student with ID '([^']+)'", batch.log)
    assert order == sorted(batch.grades) and order[-1] == hc.REFERENCE_AFTER, "graded in the wrong order"
    assert all(report(batch, s).get("unsandboxed") is False for s in batch.grades if batch.autograded(s) is not None)


def test_the_batch_time_is_reasonable(batch):
    print(f"{len(batch.grades)} submissions in {batch.seconds:.1f} s ({batch.seconds / len(batch.grades):.1f} s each)")
    assert batch.seconds < 600, f"the batch took {batch.seconds:.0f} s"


@pytest.mark.parametrize("case", CASES, ids=[c.student for c in CASES])
def test_score(batch, case):
    """Hostile and broken: at most what the blank release earns (zero); odd but honest: full marks."""
    parts = batch.grades[case.student]
    blank = batch.grades[hc.BLANK]
    assert set(parts) <= GRADE_CELLS, f"grades for cells the source does not have: {set(parts) - GRADE_CELLS}"
    assert set(hc.TESTS) <= set(parts), f"not graded on every test: {sorted(parts)}"
    got = {t: parts[t].score for t in hc.TESTS}
    assert got == case.expect, f"{case.what}: got {got}, expected {case.expect}"
    assert {t: parts[t].max_score for t in hc.TESTS} == hc.POINTS, "points must be the source's"
    if case.expect == hc.ZERO:
        assert all(parts[t].score <= blank[t].score for t in hc.TESTS)


@pytest.mark.parametrize("case", CASES, ids=[c.student for c in CASES])
def test_graded_notebook_and_status(batch, case):
    nb = batch.autograded(case.student)
    if not case.graded:
        assert nb is None, "a file that is not the assignment's notebook was graded"
        return
    assert nb is not None, f"{case.student} was not graded; log:\n{batch.log[-3000:]}"
    grading = nb.metadata.get("anncourse_grading", {})
    assert grading.get("unsandboxed") is False and "bubblewrap" in grading.get("sandbox", "")
    if case.status is not None:
        assert grading.get("status") == case.status, f"report: {grading}"
    # graded on the source's structure: every test cell of the source, as the source wrote it
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") in hc.TESTS]
    source = {c.metadata["nbgrader"]["grade_id"]: c.source for c in hc.SOURCE.cells
              if c.metadata.get("nbgrader", {}).get("grade_id") in hc.TESTS}
    assert {c.metadata["nbgrader"]["grade_id"]: c.source for c in tests} == source
    assert all(c.cell_type == "code" for c in tests)


@pytest.mark.parametrize("case", [c for c in CASES if c.graded], ids=[c.student for c in CASES if c.graded])
def test_every_lost_point_has_a_reason(batch, case):
    nb = batch.autograded(case.student)
    parts = batch.grades[case.student]
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in hc.TESTS and parts[grade_id].score < parts[grade_id].max_score:
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            assert errors and all(o.get("ename") for o in errors), (
                f"{grade_id} lost points without a reason: {cell.get('outputs')}")
    if case.reason:
        assert re.search(case.reason, outputs_text(nb)), f"no /{case.reason}/ in the outputs"


@pytest.mark.parametrize("student", [hc.REFERENCE_BEFORE, hc.BLANK, *[c.student for c in CASES if c.graded],
                                     hc.REFERENCE_AFTER])
def test_no_hidden_test_in_the_outputs(batch, student):
    nb = batch.autograded(student)
    assert nb is not None
    assert not leaked(outputs_text(nb)), f"hidden lines in the outputs: {leaked(outputs_text(nb))[:5]}"
    assert "BEGIN HIDDEN TESTS" not in outputs_text(nb)


FEEDBACK = [c.student for c in CASES if c.feedback] + ["run-endless-loop", "run-os-exit", "lie-always-equal",
                                                       "read-gradebook"]


@pytest.mark.parametrize("student", FEEDBACK)
def test_feedback_gives_every_reason_and_no_hidden_test(batch, student):
    text = batch.feedback_text(student)
    nb = batch.autograded(student)
    errors = [o for cell in nb.cells if cell.cell_type == "code"
              and cell.metadata.get("nbgrader", {}).get("grade_id") in hc.TESTS
              for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert errors or BY_ID[student].expect == hc.FULL, "no test failed"
    reasons = [o["ename"] for o in errors] + [o["evalue"].splitlines()[0][:80] for o in errors if o.get("evalue")]
    missing = [r for r in reasons if r not in text]
    assert not missing, f"failing tests' messages missing from the feedback: {missing}"
    assert not leaked(text), f"the feedback shows hidden tests: {leaked(text)[:5]}"
    assert "BEGIN HIDDEN TESTS" not in text and "_grader_check_" not in text


def test_feedback_escapes_html_a_student_wrote(batch):
    page = batch.feedback_html("html-script-in-answers")
    unescaped = [tag for tag in hc.UNESCAPED_HTML if tag in page]
    assert not unescaped, f"the student's HTML is live in the feedback page: {unescaped}"
    assert "alert(1)" in page and "alert(4)" in page, "the student's answer and output are shown (as text)"


# Where grades are kept ---------------------------------------------------------------------------

def test_the_gradebook_is_intact(batch):
    from nbgrader.api import Gradebook

    db = batch.course / "gradebook.db"
    assert schema(db) == batch.fresh_schema, f"tables, indexes or triggers changed: {schema(db) ^ batch.fresh_schema}"
    with Gradebook(f"sqlite:///{db}") as gradebook:
        assert [a.name for a in gradebook.assignments] == [hc.ASSIGNMENT]
        assert {s.id for s in gradebook.students} == set(batch.grades)
        for student in batch.grades:
            notebook = gradebook.find_submission_notebook(hc.NOTEBOOK.removesuffix(".ipynb"), hc.ASSIGNMENT, student)
            assert {g.name for g in notebook.grades} == GRADE_CELLS, student
            assert all(g.manual_score is None for g in notebook.grades), f"{student}: a manual score appeared"
            assert sum(g.max_score for g in notebook.grades) == 16
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_course_files_are_unchanged(batch):
    changed = {p for p in set(batch.files_before) | set(batch.files_after)
               if batch.files_before.get(p) != batch.files_after.get(p)}
    assert not changed, f"course files changed during the batch: {sorted(changed)[:10]}"
    assert not batch.created_in_course, f"files created in the course root: {batch.created_in_course}"
    victim = batch.autograded(hc.VICTIM)
    assert victim is not None and victim.metadata.get("anncourse_grading", {}).get("status") == "graded"
    assert len(victim.cells) == len(hc.SOURCE.cells), "the victim's autograded notebook is not its own"


def test_nothing_was_written_into_the_repository(batch):
    assert not batch.pth_files, f".pth files appeared in the grader's environment: {batch.pth_files}"
    for path in [ROOT / "nbgrader_config.py", *sorted((ROOT / "anncourse").glob("*.py"))]:
        assert batch.ctx.token not in path.read_text(), f"{path} holds the attack's token"
        assert "# hostile: every check passes" not in path.read_text(), path


REACHING = [c for c in CASES if set(c.attacks) & {"write", "network", "read"}]


@pytest.mark.parametrize("case", REACHING, ids=[c.student for c in REACHING])
def test_the_attack_itself_reports_failure(batch, case):
    """What the attack printed: it wrote nothing, connected nowhere, used nothing it read."""
    text = outputs_text(batch.autograded(case.student))
    assert not re.findall(r"^(CONNECTED|USED)\b.*$", text, re.M)
    if set(case.attacks) & {"write", "network"}:
        assert "refused" in text, "the attack did not run"
    # A write "succeeds" where the sandbox has a private copy (its own /tmp, its work folder): what
    # counts is the host. A relative path must stay in the work folder; an absolute one must show
    # nothing on the host.
    victim = str(batch.course / "autograded" / hc.VICTIM / hc.ASSIGNMENT / hc.NOTEBOOK)
    for path in re.findall(r"^WROTE (?:sqlite |bytes )?(.*)$", text, re.M):
        if not path.startswith("/"):
            assert not path.startswith(".."), f"wrote outside its work folder: {path}"
        elif path in batch.files_before:
            assert batch.files_before[path] == batch.files_after.get(path), f"{path} changed on the host"
        elif path == victim:
            assert batch.autograded(hc.VICTIM).metadata.get("anncourse_grading"), f"{path} was replaced"
        else:
            assert not Path(path).exists(), f"{path} was created on the host"


# What was left behind ----------------------------------------------------------------------------

def test_no_process_is_left_running(batch):
    assert batch.sandboxed_processes > len(batch.grades), "the watcher did not see the sandboxes"
    assert not batch.leftovers, f"processes left by the sandboxes: {batch.leftovers}"
    assert not batch.markers_growing, f"marker files still growing: {batch.markers_growing}"


def test_no_marker_appeared_on_the_host(batch):
    found = sorted(p.name for p in batch.ctx.markers.iterdir())
    assert not found, f"attacks wrote on the host: {found}"


def test_no_listener_received_anything(batch):
    received = {name: listener.received for name, listener in batch.listeners.items() if listener.received}
    assert not received, f"the sandbox reached the test's sockets: {received}"
