"""Print the figures the design budgets: book build times and autograding against bare execution.

    python benchmarks/build_and_grade.py [--skip-book] [--assignment ex01_perceptron] [--repeat 3]

- clean build: a copy of the repository with no _build/ and no .jupyter_cache/, built with execution;
- unchanged rebuild: the same command again in that copy (execution cache and Sphinx environment warm);
- rebuild from the cache alone: _build/ removed, .jupyter_cache/ kept;
- autograde: one submission (the reference) through `nbgrader autograde` with the course's configuration
  (sandboxed: student code in bubblewrap, hidden tests judged outside), against a bare execution of the
  same notebook (hidden tests included) with `jupyter nbconvert --execute`, side by side, best of --repeat;
  also the grading itself without nbgrader's own start-up (the judge's report).
Budgets (DESIGN.md, issue 4): clean <= 300 s, unchanged <= 30 s, autograde <= 1.3x bare and at most
10 s for a NumPy assignment, 30 s for one that trains with a framework.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from anncourse.course import (generate_release, nbgrader_env, notebook_name, run_nbgrader,  # noqa: E402
                              scratch_course, student_submission)


# Assignments whose graded parts train networks with Keras or PyTorch.
FRAMEWORK_ASSIGNMENTS = {"ex05_keras", "ex06_pytorch", "ex07_optimizers"}


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=nbgrader_env(), check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def book_times() -> None:
    jupyter_book = str(Path(sys.executable).parent / "jupyter-book")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "book"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", "_build", ".jupyter_cache", ".git"))
        command = [jupyter_book, "build", str(copy), "-W", "-n", "--keep-going"]
        print(f"clean build with execution:        {timed(command, copy):6.1f} s   (budget 300 s)")
        print(f"unchanged rebuild:                 {timed(command, copy):6.1f} s   (budget 30 s)")
        shutil.rmtree(copy / "_build")
        print(f"rebuild from the execution cache:  {timed(command, copy):6.1f} s")


def grading_times(assignment: str, repeat: int) -> None:
    import nbformat

    name = notebook_name(assignment)
    with tempfile.TemporaryDirectory() as tmp:
        course = scratch_course(Path(tmp) / "course", [assignment])
        generate_release(course, [assignment])
        bare_notebook = course / "solutions" / assignment / name
        os.environ.update(nbgrader_env())
        autograde_runs, bare_runs, judge_runs = [], [], []
        for attempt in range(repeat):
            student = f"student{attempt}"
            folder = course / "submitted" / student / assignment
            folder.mkdir(parents=True)
            nbformat.write(student_submission(assignment), folder / name)
            start = time.perf_counter()
            run_nbgrader(course, "autograde", assignment, "--create", "--student", student)
            autograde_runs.append(time.perf_counter() - start)
            graded = nbformat.read(course / "autograded" / student / assignment / name, as_version=4)
            judge_runs.append(graded.metadata["anncourse_grading"]["seconds"])

            # The bare execution a user would run: the same notebook, hidden tests included, one command.
            bare_runs.append(timed([str(Path(sys.executable).parent / "jupyter"), "nbconvert", "--to", "notebook",
                                    "--execute", "--output", str(Path(tmp) / "bare.ipynb"), str(bare_notebook)],
                                   course))
        autograde, bare, judged = min(autograde_runs), min(bare_runs), min(judge_runs)
        print(f"{assignment}: sandboxed autograde of one submission {autograde:5.2f} s, bare execution {bare:5.2f} s, "
              f"ratio {autograde / bare:4.2f} (budget {30 if assignment in FRAMEWORK_ASSIGNMENTS else 10} s "
              f"and 1.3x; best of {repeat}); of which sandbox and judge {judged:5.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-book", action="store_true")
    parser.add_argument("--assignment", action="append", help="default: every assignment")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.skip_book:
        book_times()
    from anncourse.course import assignments
    for assignment in args.assignment or assignments():
        grading_times(assignment, args.repeat)


if __name__ == "__main__":
    main()
