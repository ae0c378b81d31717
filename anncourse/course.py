"""The nbgrader course: regenerate ``exercises/`` from ``solutions/``, and autograde in a scratch course.

Command line (from the repository root, inside the virtual environment)::

    python -m anncourse.course release          # rewrite exercises/ from solutions/
    python -m anncourse.course check            # exit 1 if exercises/ differs from a fresh release

Both work in a temporary copy of the course, so the repository's own gradebook is never touched.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
CONFIG = ROOT / "nbgrader_config.py"


def assignments(solutions: Path = SOLUTIONS) -> list[str]:
    """Names of the assignments: the folders of ``solutions/`` that hold a notebook."""
    return sorted(p.name for p in solutions.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def nbgrader_env() -> dict[str, str]:
    """The environment nbgrader's apps need: this interpreter's ``bin/`` first on PATH (nbgrader calls
    ``alembic`` by name), TensorFlow quiet, and the GPUs hidden so grades do not depend on hardware."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    env["CUDA_VISIBLE_DEVICES"] = ""
    env["PYTHONHASHSEED"] = "0"
    return env


def run_nbgrader(course: Path, *args: str, timeout: float = 1800, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in ``course``; with ``check``, raise with nbgrader's own log if it fails."""
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=nbgrader_env(),
                            capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def scratch_course(destination: Path, names: list[str] | None = None) -> Path:
    """A course directory at ``destination`` with the config and the source notebooks of ``names``."""
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy(CONFIG, destination / "nbgrader_config.py")
    for name in names or assignments():
        shutil.copytree(SOLUTIONS / name, destination / "solutions" / name, dirs_exist_ok=True)
    return destination


def generate_release(course: Path, names: list[str] | None = None) -> Path:
    """``nbgrader generate_assignment`` for each assignment of ``course``; returns its ``exercises/``."""
    for name in names or assignments(course / "solutions"):
        run_nbgrader(course, "generate_assignment", name, "--force")
    return course / "exercises"


def release_differences(names: list[str] | None = None) -> list[str]:
    """Files of ``exercises/`` that differ from a fresh generation (missing, extra or changed)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate_release(scratch_course(Path(tmp), names), names)
        problems = []
        for name in names or assignments():
            comparison = filecmp.dircmp(fresh / name, EXERCISES / name, ignore=[".ipynb_checkpoints"])
            problems += [f"{name}/{f}: changed" for f in comparison.diff_files]
            problems += [f"{name}/{f}: missing from exercises/" for f in comparison.left_only]
            problems += [f"{name}/{f}: not produced by nbgrader" for f in comparison.right_only]
            # filecmp's shallow mode trusts size and mtime; compare the bytes of the rest too.
            problems += [f"{name}/{f}: changed" for f in comparison.same_files
                         if (fresh / name / f).read_bytes() != (EXERCISES / name / f).read_bytes()]
        return problems


def write_release(names: list[str] | None = None) -> None:
    """Replace ``exercises/<name>`` with a fresh generation from ``solutions/<name>``."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate_release(scratch_course(Path(tmp), names), names)
        for name in names or assignments():
            shutil.rmtree(EXERCISES / name, ignore_errors=True)
            shutil.copytree(fresh / name, EXERCISES / name)
            print(f"exercises/{name}: regenerated from solutions/{name}")


@dataclass(frozen=True)
class PartGrade:
    grade_id: str
    score: float
    max_score: float


def read_grades(course: Path, assignment: str, notebook: str, students: list[str]) -> dict[str, dict[str, PartGrade]]:
    """Auto-graded scores per student and per graded cell, from the gradebook of ``course``."""
    from nbgrader.api import Gradebook, MissingEntry

    grades: dict[str, dict[str, PartGrade]] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in students:
            try:
                submission = gradebook.find_submission_notebook(notebook, assignment, student)
            except MissingEntry:
                grades[student] = {}
                continue
            grades[student] = {g.name: PartGrade(g.name, float(g.score or 0.0), float(g.max_score))
                               for g in submission.grades if g.auto_score is not None or g.cell_type == "code"}
    return grades


def notebook_name(assignment: str) -> str:
    """The one notebook of an assignment, e.g. ``perceptron.ipynb``."""
    (path,) = (SOLUTIONS / assignment).glob("*.ipynb")
    return path.name


def student_submission(assignment: str, answers: dict[str, str] | None = None, blank: bool = False):
    """A notebook as a student would hand it in: the release with every solution cell filled in.

    Cells get the reference solution (markers removed) unless ``answers`` gives other source for
    that ``grade_id``; with ``blank`` the release is returned untouched.
    """
    import nbformat

    name = notebook_name(assignment)
    release = nbformat.read(EXERCISES / assignment / name, as_version=4)
    if blank:
        return release
    source = nbformat.read(SOLUTIONS / assignment / name, as_version=4)
    reference = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in release.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in reference:
            text = (answers or {}).get(grade_id, reference[grade_id])
            cell.source = "\n".join(line for line in text.splitlines()
                                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    return release


def course_with_submissions(workdir: Path, assignment: str, submissions: dict, config: str = "") -> Path:
    """A scratch course at ``workdir`` with ``assignment`` released and ``{student_id: notebook}`` at
    ``submitted/<student>/<assignment>/``; ``config`` is appended to its ``nbgrader_config.py``."""
    import nbformat

    course = scratch_course(Path(workdir), [assignment])
    if config:
        with open(course / "nbgrader_config.py", "a") as stream:
            stream.write(config)
    generate_release(course, [assignment])
    name = notebook_name(assignment)
    for student, notebook in submissions.items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        if isinstance(notebook, (str, bytes)):  # raw file content, e.g. a corrupted upload
            (folder / name).write_text(notebook) if isinstance(notebook, str) else (folder / name).write_bytes(notebook)
        else:
            nbformat.write(notebook, folder / name)
    return course


def autograde(assignment: str, submissions: dict, workdir: Path, options: list[str] | tuple[str, ...] = (),
              prepare=None, workers: int | None = None) -> dict[str, dict[str, PartGrade]]:
    """Autograde ``{student_id: notebook}`` with real ``nbgrader autograde`` in a scratch course at ``workdir``,
    or with ``anncourse-grade --workers N`` when ``workers`` is given (the same grades, in parallel).

    ``options`` are added to the ``nbgrader autograde`` command line (e.g.
    ``--SandboxedExecute.cell_timeout=5``); ``prepare(course)`` runs once the course and the
    submissions are in place, just before grading (to add files to a submission, or take a snapshot).
    Returns the scores per student and graded cell. A student with no entry in the result was not
    graded at all (nbgrader could not read or run the notebook).
    """
    course = course_with_submissions(Path(workdir), assignment, submissions)
    name = notebook_name(assignment)
    # nbgrader exits non-zero when any one submission fails to process; the others are still graded.
    if prepare is not None:
        prepare(course)
    if workers:  # the course's parallel command, which records through nbgrader's own autograde
        log = subprocess.run([str(Path(sys.executable).parent / "anncourse-grade"), assignment, "--quiet",
                              "--workers", str(workers), *options], cwd=course, env=nbgrader_env(),
                             capture_output=True, text=True, timeout=3600)
    else:
        log = run_nbgrader(course, "autograde", assignment, "--create", *options, check=False)
    (course / "autograde.log").write_text(log.stdout + log.stderr)
    return read_grades(course, assignment, name.removesuffix(".ipynb"), list(submissions))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["release", "check"])
    parser.add_argument("assignments", nargs="*", help="default: every folder of solutions/")
    args = parser.parse_args(argv)
    names = args.assignments or None
    if args.command == "release":
        write_release(names)
        return 0
    problems = release_differences(names)
    for problem in problems:
        print(problem)
    if problems:
        print("exercises/ is out of date: run `make release` and commit the result.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
