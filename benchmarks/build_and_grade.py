"""Print the figures the design budgets: book build times and autograding against bare execution.

    python benchmarks/build_and_grade.py [--skip-book] [--assignment ex01_perceptron] [--repeat 3]

- clean build: a copy of the repository with no _build/ and no .jupyter_cache/, built with execution,
  serially (Jupyter Book alone) and with the chapters executed in parallel (`make book`), side by side;
- unchanged rebuild: the same command again in that copy (execution cache and Sphinx environment warm);
- rebuild from the cache alone: _build/ removed, .jupyter_cache/ kept;
- autograde: one submission (the reference answers in the release) through `nbgrader autograde` with the
  course's configuration (sandboxed: student code in bubblewrap, hidden tests judged outside), against a
  bare execution of the same notebook with `jupyter nbconvert --execute`, side by side, best of --repeat;
  also the grading itself without nbgrader's own start-up (the judge's report), and the source notebook
  with its hidden tests executed bare where it still runs so (the NumPy assignments).
Budgets (DESIGN.md): clean <= 75 s of execution on 2 cores, unchanged <= 10 s, autograde <= 1.3x bare and at most
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
    """Serial (Jupyter Book executing one chapter after another) and parallel (``make book``) clean
    builds side by side, each in its own fresh copy, then an unchanged rebuild of the parallel one."""
    parallel = [sys.executable, "-m", "anncourse.book"]
    with tempfile.TemporaryDirectory() as tmp:
        figures = {}
        for name, command in (("serial", parallel + ["--serial"]), ("parallel", parallel)):
            copy = Path(tmp) / name
            shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", "_build", ".jupyter_cache", ".git"))
            figures[name] = timed(command, copy)
        print(f"clean build, chapters one after another: {figures['serial']:6.1f} s")
        print(f"clean build, chapters in parallel:       {figures['parallel']:6.1f} s   "
              f"({figures['serial'] / figures['parallel']:.2f}x faster; budget 75 s of execution)")
        print(f"unchanged rebuild:                       {timed(parallel, Path(tmp) / 'parallel'):6.1f} s   "
              "(budget 10 s)")
        shutil.rmtree(Path(tmp) / "parallel" / "_build")
        print(f"rebuild from the execution cache alone:  {timed(parallel, Path(tmp) / 'parallel'):6.1f} s")


def grading_times(assignment: str, repeat: int) -> None:
    import nbformat

    name = notebook_name(assignment)
    jupyter = str(Path(sys.executable).parent / "jupyter")
    with tempfile.TemporaryDirectory() as tmp:
        course = scratch_course(Path(tmp) / "course", [assignment])
        generate_release(course, [assignment])
        submission = Path(tmp) / name
        nbformat.write(student_submission(assignment), submission)
        source = course / "solutions" / assignment / name
        os.environ.update(nbgrader_env())
        runs: dict[str, list[float]] = {"autograde": [], "judge": [], "bare": [], "source": []}
        for attempt in range(repeat):
            student = f"student{attempt}"
            folder = course / "submitted" / student / assignment
            folder.mkdir(parents=True)
            shutil.copy(submission, folder / name)
            start = time.perf_counter()
            run_nbgrader(course, "autograde", assignment, "--create", "--student", student)
            runs["autograde"].append(time.perf_counter() - start)
            graded = nbformat.read(course / "autograded" / student / assignment / name, as_version=4)
            runs["judge"].append(graded.metadata["anncourse_grading"]["seconds"])
            # What the student runs (Restart & Run All): the same notebook, executed bare in one kernel.
            runs["bare"].append(timed([jupyter, "nbconvert", "--to", "notebook", "--execute", "--output",
                                       str(Path(tmp) / "bare.ipynb"), str(submission)], course))
            # The source notebook with its hidden tests, where it still runs without the grader (the
            # framework assignments' hidden tests call probes, which need a sandbox).
            try:
                runs["source"].append(timed([jupyter, "nbconvert", "--to", "notebook", "--execute", "--output",
                                             str(Path(tmp) / "source.ipynb"), str(source)], course))
            except subprocess.CalledProcessError:
                pass
        best = {key: min(values) if values else None for key, values in runs.items()}
        hidden = f", source notebook with hidden tests bare {best['source']:5.2f} s" if best["source"] else ""
        print(f"{assignment}: sandboxed autograde of one submission {best['autograde']:5.2f} s (of which sandbox "
              f"and judge {best['judge']:5.2f} s), bare execution of the same notebook {best['bare']:5.2f} s, ratio "
              f"{best['autograde'] / best['bare']:4.2f}{hidden} (budget "
              f"{30 if assignment in FRAMEWORK_ASSIGNMENTS else 10} s and 1.3x; best of {repeat})")


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
