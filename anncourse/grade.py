"""``anncourse-grade ASSIGNMENT``: grade every submission of an assignment in parallel, sandboxed, resumable.

Run it in the course directory (where ``nbgrader_config.py`` is), after ``nbgrader collect`` or
``zip_collect`` and before ``nbgrader generate_feedback`` / ``export``::

    anncourse-grade ex04_softmax                      # a Dask LocalCluster sized to this machine
    anncourse-grade ex04_softmax --workers 2
    anncourse-grade ex04_softmax --scheduler tcp://HOST:8786   # an existing Dask cluster
    anncourse-grade ex04_softmax --student alice --force       # regrade one student
    anncourse-grade ex04_softmax --db postgresql://user@host/course

The chain, one small step each:

1. **Jobs.** Each submission ``submitted/<student>/<assignment>/`` becomes a job keyed by the
   assignment, the student and a hash of the submitted files, the source notebooks and the grading
   settings. A job whose key is already recorded is skipped, unless ``--force``.
2. **Grading, on Dask workers.** A job carries the files themselves (plain bytes), so workers need
   the course's Python environment but not its folders. On the worker, each notebook is rebuilt on
   the source notebook and graded by :mod:`anncourse.verdict` (student code in the sandbox, hidden
   tests outside it). Nothing is written to the gradebook there.
3. **Ledger.** Each result is written to ``.anncourse/grading/<assignment>/<student>.json`` as soon
   as it arrives, so a killed run loses nothing that finished.
4. **Recording, by one writer.** This process records each result with nbgrader's own ``autograde``
   (in-process, with the graded outputs replayed instead of executed), so the gradebook, the
   ``autograded/`` notebooks, ``generate_feedback``, ``formgrader`` and ``export`` are exactly those
   of a serial ``nbgrader autograde``, and SQLite never sees two writers.
5. **Report.** A progress bar while it runs; at the end a table and ``grading_reports/<assignment>.csv``
   and ``.json``: per submission the status (graded, timeout, memory, crashed, invalid notebook,
   tampering, missing, infrastructure), score, reason and seconds.

A worker that dies is replaced by Dask and its job retried (an infrastructure fault, never a zero).
The exit status is non-zero only when the batch itself could not finish.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from anncourse.verdict import submission_files

PACKAGE = Path(__file__).resolve().parent


@dataclass
class Job:
    assignment: str
    student: str
    key: str
    files: dict[str, bytes]             # relative path -> content: the submission, then the source's data files
    sources: dict[str, dict]            # notebook name -> source notebook (nbformat dict)
    settings: dict[str, dict]           # notebook name -> verdict.Settings as a dict


@dataclass
class Outcome:
    student: str
    status: str
    score: float | None = None
    max_score: float | None = None
    reason: str = ""
    seconds: float = 0.0
    recorded: bool = False
    graded_in: str = "this run"         # or "an earlier run": unchanged since, so not graded again
    sandbox: str = ""                   # how the submission was isolated ("UNSANDBOXED ..." if it was not)


# Steps 1 and 2: jobs and the grading of one job ---------------------------------------------------

@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the grading code itself: a new version of the grader regrades everything."""
    digest = hashlib.sha256()
    for name in ("verdict.py", "sandbox_runner.py", "plaindata.py", "probes_torch.py", "probes_keras.py",
                 "grading.py", "nbgrader_plugins.py", "sandbox.py"):
        path = PACKAGE / name
        if path.exists():
            digest.update(name.encode() + path.read_bytes())
    return digest.hexdigest()


def job_key(assignment: str, student: str, files: dict[str, bytes], sources: dict, settings: dict) -> str:
    digest = hashlib.sha256(json.dumps([assignment, student, code_version()]).encode())
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    digest.update(json.dumps([sources, settings], sort_keys=True).encode())
    return digest.hexdigest()


def grade_job(job: Job) -> dict:
    """Grade one submission (runs on a Dask worker): per notebook, the judge's result or why not."""
    import nbformat

    from anncourse.nbgrader_plugins import judge, rebuild_from_source, structure
    from anncourse.verdict import Settings

    start = time.monotonic()
    results = {}
    with tempfile.TemporaryDirectory(prefix="anncourse-job-") as scratch:
        folder = Path(scratch)
        for name, content in job.files.items():
            target = folder / name
            if folder not in target.resolve().parents:
                continue  # a path that climbs out of the folder
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        for notebook, source in job.sources.items():
            path = folder / f"{notebook}.ipynb"
            if not path.exists():
                results[notebook] = {"status": "missing", "reason": f"no {notebook}.ipynb was submitted"}
                continue
            try:
                submitted = nbformat.read(path, as_version=4)
                nbformat.validate(submitted)
            except Exception as error:  # not a notebook nbgrader can read: it says why when recording
                results[notebook] = {"status": "invalid notebook", "reason": f"{type(error).__name__}: {error}"[:500]}
                continue
            rebuilt = rebuild_from_source(nbformat.from_dict(source), submitted)
            result = judge(rebuilt, str(folder), Settings(**job.settings[notebook]), warm=True)
            result["structure"] = structure(rebuilt)
            result["tampering"] = tampering(source, submitted)
            results[notebook] = result
    return {"notebooks": results, "seconds": round(time.monotonic() - start, 3)}


@lru_cache(maxsize=16)
def _released_cells(source_json: str) -> dict:
    """The course's own cells of a source notebook as released (hidden tests removed), by grade id;
    worked out once per worker, not once per submission."""
    import nbformat
    from nbgrader.preprocessors import ClearHiddenTests

    release, _ = ClearHiddenTests().preprocess(nbformat.reads(source_json, as_version=4), {})
    return {c.metadata["nbgrader"]["grade_id"]: c for c in release.cells
            if c.metadata.get("nbgrader", {}).get("grade_id") and not c.metadata["nbgrader"].get("solution")}


def tampering(source: dict, submitted) -> list[str]:
    """What the submission changed in the course's own cells, as released (graded as the source anyway)."""
    own = _released_cells(json.dumps(source))
    found = []
    for cell in submitted.cells:
        marks = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = marks.get("grade_id")
        if grade_id in own:
            original = own[grade_id]
            if cell.get("source") != original.source or marks.get("points") != original.metadata["nbgrader"].get("points"):
                found.append(f"cell {grade_id} was changed")
        elif marks.get("grade") and grade_id not in {c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                                                     for c in source["cells"]}:
            found.append(f"a graded cell {grade_id!r} that the course does not have")
    return sorted(set(found))


# Steps 3 and 4: the ledger and the one writer ----------------------------------------------------

class Ledger:
    """One JSON file per submission, written atomically: the results that survive a killed run."""

    def __init__(self, course: Path, assignment: str):
        self.folder = course / ".anncourse" / "grading" / assignment
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, student: str) -> Path:
        return self.folder / f"{hashlib.sha256(student.encode()).hexdigest()[:16]}.json"

    def get(self, student: str) -> dict | None:
        try:
            entry = json.loads(self._path(student).read_text())
        except (OSError, ValueError):
            return None
        return entry if entry.get("student") == student else None

    def put(self, student: str, entry: dict) -> None:
        path = self._path(student)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(dict(entry, student=student)))
        os.replace(temporary, path)


class Course:
    """The nbgrader course in ``root``: its configuration, and nbgrader's API to record results."""

    def __init__(self, root: Path, db_url: str | None = None, unsandboxed: bool = False,
                 overrides: list[str] = ()):
        from traitlets.config.loader import KVArgParseConfigLoader, PyFileConfigLoader

        self.root = root.resolve()
        config_file = self.root / "nbgrader_config.py"
        if not config_file.exists():
            raise SystemExit(f"anncourse-grade: no nbgrader_config.py in {self.root}: run it in the course directory "
                             f"or pass --course")
        sys.path.insert(0, str(self.root))
        self.config = PyFileConfigLoader(config_file.name, path=str(self.root)).load_config()
        if overrides:  # nbgrader-style settings on the command line, e.g. --SandboxedExecute.cell_timeout=5
            self.config.merge(KVArgParseConfigLoader(argv=list(overrides)).load_config())
        self.config.CourseDirectory.root = str(self.root)
        if db_url:
            self.config.CourseDirectory.db_url = db_url
        if unsandboxed:
            self.config.SandboxedExecute.allow_unsandboxed = True
        from nbgrader.coursedir import CourseDirectory

        self.coursedir = CourseDirectory(config=self.config)
        self.db_url = self.coursedir.db_url
        if self.db_url.startswith("sqlite:///") and not self.db_url.startswith("sqlite:////"):
            self.db_url = f"sqlite:///{self.root / self.db_url.removeprefix('sqlite:///')}"
            self.config.CourseDirectory.db_url = self.db_url

    def path(self, *parts) -> Path:
        return Path(self.coursedir.format_path(*parts))

    def source_notebooks(self, assignment: str) -> dict[str, dict]:
        import nbformat

        folder = self.path(self.coursedir.source_directory, ".", assignment)
        notebooks = {p.stem: json.loads(json.dumps(nbformat.read(p, as_version=4))) for p in sorted(folder.glob("*.ipynb"))}
        if not notebooks:
            raise SystemExit(f"anncourse-grade: no source notebooks in {folder}")
        return notebooks

    def source_data_files(self, assignment: str) -> dict[str, bytes]:
        """The source's other files, which nbgrader copies next to every graded notebook."""
        folder = self.path(self.coursedir.source_directory, ".", assignment)
        return {name: content for name, content in submission_files(folder).items() if not name.endswith(".ipynb")}

    def students(self, assignment: str) -> list[str]:
        submitted = self.root / self.coursedir.submitted_directory
        if not submitted.is_dir():
            return []
        return sorted(folder.name for folder in submitted.iterdir() if (folder / assignment).is_dir())

    def settings(self, assignment: str, sources: dict, unsandboxed: bool) -> dict[str, dict]:
        from anncourse.nbgrader_plugins import SandboxedExecute

        execute = SandboxedExecute(config=self.config)
        result = {}
        for notebook in sources:
            resources = {"nbgrader": {"assignment": assignment, "notebook": notebook}}
            result[notebook] = asdict(execute.settings(resources, unsandboxed))
        return result

    def replaying_api(self):
        """nbgrader's API with ``SandboxedExecute`` replaced by ``ReplayExecute``: recording, not grading."""
        from nbgrader.apps import NbGraderAPI

        from anncourse.nbgrader_plugins import ReplayExecute, SandboxedExecute

        config = self.config.copy()
        preprocessors = list(config.Autograde.get("autograde_preprocessors", []))
        if SandboxedExecute not in preprocessors:
            raise SystemExit("anncourse-grade: this course's nbgrader_config.py does not grade with SandboxedExecute")
        config.Autograde.autograde_preprocessors = [ReplayExecute if p is SandboxedExecute else p for p in preprocessors]
        config.ReplayExecute = config.SandboxedExecute
        return NbGraderAPI(config=config)

    def scores(self, assignment: str, student: str) -> tuple[float | None, float | None]:
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.db_url) as gradebook:
            try:
                submission = gradebook.find_submission(assignment, student)
            except MissingEntry:
                return None, None
            return float(submission.score), float(submission.max_score)


def record(course: Course, api, assignment: str, student: str, result: dict) -> Outcome:
    """Record one job's result in the gradebook through nbgrader's autograde, and say how it went."""
    from anncourse.nbgrader_plugins import ReplayExecute

    notebooks = result.get("notebooks", {})
    for notebook, graded in notebooks.items():
        ReplayExecute.pending[(student, assignment, notebook)] = graded
    try:
        outcome = api.autograde(assignment, student, force=True, create=True)
    finally:
        for notebook in notebooks:
            ReplayExecute.pending.pop((student, assignment, notebook), None)
    score, max_score = course.scores(assignment, student)
    statuses = [g.get("status") or g.get("report", {}).get("status", "graded") for g in notebooks.values()]
    reasons = [g.get("reason", "") for g in notebooks.values() if g.get("reason")]
    for graded in notebooks.values():
        report = graded.get("report", {})
        reasons += [f"cell {e.get('cell')}: {e.get('reason')}" for e in report.get("events", [])]
        if graded.get("tampering"):
            reasons += graded["tampering"]
    status = next((s for s in ("infrastructure", "invalid notebook", "missing", "memory", "timeout", "crashed")
                   if s in statuses), "graded")
    if status == "graded" and any(g.get("tampering") for g in notebooks.values()):
        status = "tampering"
    if not outcome.get("success") and status == "graded":
        status, reasons = "invalid notebook", reasons + [_last_error(outcome.get("log", ""))]
    how = next((g["report"].get("sandbox", "") for g in notebooks.values() if g.get("report")), "")
    return Outcome(student, status, score, max_score, "; ".join(r for r in reasons if r)[:1000],
                   float(result.get("seconds", 0.0)), recorded=True, sandbox=how)


def _last_error(log: str) -> str:
    lines = [line for line in log.splitlines() if "[ERROR]" in line or "Error" in line]
    return (lines[-1] if lines else "nbgrader could not grade this submission").strip()[:500]


# Step 5 and the command ----------------------------------------------------------------------------

def write_reports(course: Course, assignment: str, outcomes: list[Outcome]) -> tuple[Path, Path]:
    folder = course.root / "grading_reports"
    folder.mkdir(exist_ok=True)
    rows = [asdict(o) for o in sorted(outcomes, key=lambda o: o.student)]
    json_path, csv_path = folder / f"{assignment}.json", folder / f"{assignment}.csv"
    json_path.write_text(json.dumps(rows, indent=1))
    with csv_path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(asdict(Outcome("", "")).keys()))
        writer.writeheader()
        writer.writerows(rows)
    return json_path, csv_path


def print_table(outcomes: list[Outcome], stream=sys.stdout) -> None:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    print("\n" + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())), file=stream)
    print(f"{'student':<28} {'status':<16} {'score':>11} {'seconds':>8}  reason", file=stream)
    for o in sorted(outcomes, key=lambda o: o.student):
        score = "-" if o.score is None else f"{o.score:g}/{o.max_score:g}"
        print(f"{o.student[:28]:<28} {o.status:<16} {score:>11} {o.seconds:>8.1f}  {o.reason[:80]}", file=stream)


def start_client(workers: int | None, scheduler: str | None):
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler, timeout="30s")
    workers = workers or max(1, os.cpu_count() or 1)
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    return Client(cluster)


def parse(argv):
    parser = argparse.ArgumentParser(prog="anncourse-grade", description=__doc__.split("\n\n")[0],
                                     epilog="See the module docstring (python -m pydoc anncourse.grade) for the chain.")
    parser.add_argument("assignment")
    parser.add_argument("--course", type=Path, default=Path("."), help="the course directory (default: here)")
    parser.add_argument("--workers", type=int, default=None, help="Dask workers (default: one per core)")
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler, e.g. tcp://HOST:8786")
    parser.add_argument("--student", action="append", help="grade only this student (repeatable)")
    parser.add_argument("--force", action="store_true", help="regrade submissions that have not changed")
    parser.add_argument("--db", help="gradebook URL, e.g. postgresql://user@host/course (default: the config's)")
    parser.add_argument("--unsandboxed", action="store_true",
                        help="grade without the sandbox where bubblewrap cannot start (trusted code only)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args, rest = parser.parse_known_args(argv)
    unknown = [a for a in rest if not (a.startswith("--") and "." in a.split("=")[0])]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.overrides = rest  # nbgrader's --Class.trait=value settings
    return args


def main(argv: list[str] | None = None) -> int:
    import warnings

    args = parse(argv)
    warnings.filterwarnings("ignore", module="nbgrader")  # SQLAlchemy's notes on nbgrader's own sessions
    course = Course(args.course, args.db, args.unsandboxed, args.overrides)
    assignment = args.assignment
    from anncourse.sandbox import sandbox_status

    available, why = sandbox_status()
    if not available and not args.unsandboxed:
        print(f"anncourse-grade: the grading sandbox cannot start here: {why}.\nInstall bubblewrap "
              f"(apt-get install bubblewrap) and allow unprivileged user namespaces; or, for submissions you "
              f"trust, pass --unsandboxed (the report then says so).", file=sys.stderr)
        return 2
    sources = course.source_notebooks(assignment)
    settings = course.settings(assignment, sources, unsandboxed=not available)
    data_files = course.source_data_files(assignment)
    students = args.student or course.students(assignment)
    ledger = Ledger(course.root, assignment)
    api = course.replaying_api()
    outcomes: list[Outcome] = []
    jobs: list[Job] = []
    for student in students:
        folder = course.path(course.coursedir.submitted_directory, student, assignment)
        if not folder.is_dir():
            outcomes.append(Outcome(student, "missing", reason=f"nothing in {folder}"))
            continue
        files = {**submission_files(folder), **data_files}
        key = job_key(assignment, student, files, sources, settings)
        entry = ledger.get(student)
        if entry and entry.get("key") == key and not args.force:
            if entry.get("recorded") and course.scores(assignment, student)[0] is not None:
                outcomes.append(Outcome(**{**entry["outcome"], "graded_in": "an earlier run"}))
                continue
            if "result" in entry:  # graded before the last run stopped, not yet recorded
                outcome = record_and_keep(course, api, ledger, assignment, student, key, entry["result"])
                outcome.graded_in = "an earlier run"
                outcomes.append(outcome)
                continue
        jobs.append(Job(assignment, student, key, files, sources, settings))
    if jobs:
        outcomes += run_jobs(course, api, ledger, jobs, args)
    print_table(outcomes)
    json_path, csv_path = write_reports(course, assignment, outcomes)
    print(f"\nreport: {csv_path} and {json_path}")
    if not available:
        print("WARNING: graded UNSANDBOXED (--unsandboxed): student code ran as you.", file=sys.stderr)
    return 0


def record_and_keep(course, api, ledger, assignment, student, key, result) -> Outcome:
    outcome = record(course, api, assignment, student, result)
    ledger.put(student, {"key": key, "result": result, "recorded": True, "outcome": asdict(outcome)})
    return outcome


def run_jobs(course: Course, api, ledger: Ledger, jobs: list[Job], args) -> list[Outcome]:
    from distributed import as_completed
    from tqdm import tqdm

    client = start_client(args.workers, args.scheduler)
    outcomes: list[Outcome] = []
    counts = {"graded": 0, "failed": 0}
    try:
        futures = {client.submit(grade_job, job, key=f"grade-{job.key[:24]}", pure=False, retries=1): job
                   for job in jobs}
        progress = tqdm(total=len(jobs), unit="submission", disable=args.quiet, file=sys.stderr)
        for future in as_completed(futures):
            job = futures.pop(future)  # let results go once recorded: memory stays flat with the class
            try:
                result = future.result()
                broken = [g["report"].get("reason", "") for g in result["notebooks"].values()
                          if g.get("report", {}).get("status") == "infrastructure"]
                if broken:
                    raise RuntimeError("; ".join(broken))
            except Exception as error:  # the job failed twice, its workers died, or grading could not run: not a grade
                outcome = Outcome(job.student, "infrastructure", reason=f"{type(error).__name__}: {error}"[:500])
            else:
                ledger.put(job.student, {"key": job.key, "result": result, "recorded": False})
                outcome = record_and_keep(course, api, ledger, job.assignment, job.student, job.key, result)
            outcomes.append(outcome)
            counts["graded" if outcome.status in ("graded", "tampering") else "failed"] += 1
            progress.set_postfix(graded=counts["graded"], failed=counts["failed"],
                                 remaining=len(jobs) - len(outcomes), refresh=False)
            progress.update(1)
        progress.close()
    finally:
        client.close()
        cluster = getattr(client, "cluster", None)
        if cluster is not None:
            cluster.close()
    return outcomes


if __name__ == "__main__":
    sys.exit(main())
