"""nbgrader preprocessors the course adds to autograding and feedback (configured in ``nbgrader_config.py``).

Autograding (``nbgrader autograde`` with this course's configuration, or ``anncourse-grade``):

- ``RebuildFromSource`` (sanitize) gives a submission the structure of the course's source notebook:
  every test and set-up cell as the instructor wrote it (also where the student deleted, edited,
  duplicated or re-typed it), every answer cell with the student's text, cells the student added kept
  in place without grading metadata. Points, grade ids and schema versions come from the source, so
  a forged graded cell or a pasted cell of another notebook changes nothing and stops nothing.
- ``SandboxedExecute`` (instead of nbgrader's ``Execute``) grades the notebook with
  :mod:`anncourse.verdict` in a separate process: the student's code runs in a bubblewrap sandbox,
  the hidden tests run outside it and decide every part.

Feedback: ``FeedbackWithoutHiddenTests`` removes the hidden tests and escapes what students wrote.
"""

from __future__ import annotations

import copy
import html
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from nbgrader.utils import is_solution
from traitlets import Bool, Dict, Float, Integer


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def rebuild_from_source(source: nbformat.NotebookNode, submitted: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``source``'s cells in order, answers taken from ``submitted``, the student's extra cells kept.

    An answer cell takes the first submitted cell with its grade id and the same cell type; one the
    student deleted is left empty (it earns what a blank answer earns). A submitted cell whose grade id
    the source does not know, or that repeats one, is the student's own: it keeps its text, loses its
    grading metadata, and follows the last known cell before it.
    """
    known = {_grade_id(c) for c in source.cells if _grade_id(c)}
    answers: dict[str, nbformat.NotebookNode] = {}
    extras: dict[str | None, list] = {}
    anchor = None
    for cell in submitted.cells:
        grade_id = _grade_id(cell)
        if grade_id in known and grade_id not in answers:
            answers[grade_id] = cell
            anchor = grade_id
            continue
        if cell.get("cell_type") not in ("code", "markdown"):
            continue
        extra = nbformat.v4.new_code_cell(cell.get("source", "")) if cell.get("cell_type") == "code" \
            else nbformat.v4.new_markdown_cell(cell.get("source", ""))
        extras.setdefault(anchor, []).append(extra)
    rebuilt = []
    for index, original in enumerate(source.cells):
        cell = copy.deepcopy(original)
        grade_id = _grade_id(cell)
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
        if is_solution(cell):
            student = answers.get(grade_id)
            same_type = student is not None and student.get("cell_type") == cell.get("cell_type")
            cell.source = str(student.get("source", "")) if same_type else ""
        rebuilt.append(cell)
        if index == 0:
            rebuilt += extras.get(None, [])
        rebuilt += extras.get(grade_id, []) if grade_id else []
    notebook = copy.deepcopy(source)
    notebook.cells = rebuilt
    return notebook


def source_notebook(config, resources) -> nbformat.NotebookNode:
    """The course's source notebook (solutions/) of the notebook being graded."""
    coursedir = CourseDirectory(config=config)
    assignment, notebook = resources["nbgrader"]["assignment"], resources["nbgrader"]["notebook"]
    path = Path(coursedir.format_path(coursedir.source_directory, ".", assignment)) / f"{notebook}.ipynb"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: autograding needs the source notebook of {assignment}")
    return nbformat.read(path, as_version=4)


class RebuildFromSource(NbGraderPreprocessor):
    """Sanitize step: the submission rebuilt on the source notebook (see :func:`rebuild_from_source`)."""

    def preprocess(self, nb, resources):
        return rebuild_from_source(source_notebook(self.config, resources), nb), resources


class SandboxedExecute(NbGraderPreprocessor):
    """Autograde step, in place of nbgrader's ``Execute``: grade in a sandbox, judge outside it."""

    cell_timeout = Float(60, help="Seconds a cell, or one call of a hidden test into the sandbox, may take.").tag(config=True)
    notebook_timeout = Float(900, help="Seconds the whole notebook may take.").tag(config=True)
    memory_limit = Integer(3 * 2**30, help="Bytes of memory the sandbox may use.").tag(config=True)
    processes = Integer(64, help="Processes and threads the sandbox may run.").tag(config=True)
    libraries = Dict(default_value={}, help=("Per assignment, the packages its sandbox may import besides NumPy, "
                                             "e.g. {'ex06_pytorch': ['torch', 'sklearn', 'scipy']}.")).tag(config=True)
    allow_unsandboxed = Bool(False, help=("Grade without the sandbox where bubblewrap cannot start. Student code "
                                          "then runs as you: use only for submissions you trust.")).tag(config=True)

    def settings(self, resources, unsandboxed: bool):
        """The grading settings for the notebook that ``resources`` describe."""
        from anncourse.verdict import Settings, api_names

        assignment = resources["nbgrader"]["assignment"]
        return Settings(cell_timeout=self.cell_timeout, notebook_timeout=self.notebook_timeout,
                        memory_bytes=self.memory_limit, processes=self.processes,
                        libraries=list(self.libraries.get(assignment, [])), unsandboxed=unsandboxed,
                        api=api_names(source_notebook(self.config, resources)))

    def check_sandbox(self) -> bool:
        """Whether grading runs unsandboxed (only where the instructor allowed it); raises otherwise."""
        from anncourse.sandbox import SandboxUnavailable, sandbox_status

        available, why = sandbox_status()
        if not available and not self.allow_unsandboxed:
            raise SandboxUnavailable(f"The grading sandbox cannot start here: {why}. Install bubblewrap "
                                     f"(apt-get install bubblewrap) and allow user namespaces, or grade submissions "
                                     f"you trust with `anncourse-grade --unsandboxed` (nbgrader: "
                                     f"--SandboxedExecute.allow_unsandboxed=True).")
        return not available

    def result_for(self, nb, resources) -> dict:
        """Grade ``nb``: the judge's notebook (with outputs) and its report."""
        unsandboxed = self.check_sandbox()
        result = judge(nb, resources.get("metadata", {}).get("path"), self.settings(resources, unsandboxed))
        result["report"]["unsandboxed"] = unsandboxed
        return result

    def preprocess(self, nb, resources):
        result = self.result_for(nb, resources)
        apply_result(nb, result)
        report = result["report"]
        resources["anncourse_grading"] = report
        unique = resources.get("unique_key", resources["nbgrader"]["assignment"])
        log = self.log.warning if report.get("status") != "graded" or report.get("unsandboxed") else self.log.info
        log("%s: %s", unique, json.dumps(report)[:2000])
        if report.get("status") == "infrastructure":
            raise RuntimeError(f"grading could not run: {report.get('reason')}")
        return nb, resources


class ReplayExecute(SandboxedExecute):
    """For ``anncourse-grade``'s writer: the outputs a Dask worker computed, instead of grading again.

    ``pending`` maps ``(student, assignment, notebook)`` to the worker's result. A notebook whose
    cells do not match what the worker graded (the source changed meanwhile) is graded here instead.
    """

    pending: dict = {}

    def result_for(self, nb, resources) -> dict:
        info = resources["nbgrader"]
        result = self.pending.get((info.get("student"), info["assignment"], info["notebook"]))
        if result is not None and result.get("structure") == structure(nb):
            return result
        self.log.warning("%s: not graded by a worker (or graded on other cells): grading it here",
                         resources.get("unique_key", info["notebook"]))
        return super().result_for(nb, resources)


def structure(nb) -> str:
    """A fingerprint of a notebook's cells (types, grade ids, sources), to check two copies align."""
    import hashlib

    cells = [(c.get("cell_type"), c.get("metadata", {}).get("nbgrader", {}).get("grade_id"), c.get("source"))
             for c in nb["cells"]]
    return hashlib.sha256(json.dumps(cells).encode()).hexdigest()


def apply_result(nb, result: dict) -> None:
    """Copy the judge's outputs into ``nb`` (the same cells, in the same order) and keep its report."""
    for cell, graded in zip(nb.cells, result["notebook"]["cells"]):
        if cell.cell_type == "code":
            cell.outputs = [nbformat.from_dict(o) for o in graded.get("outputs", [])]
            cell.execution_count = graded.get("execution_count")
    nb.metadata["anncourse_grading"] = result["report"]


# One BLAS thread, as in the sandbox: the judges' arrays are small, and on a loaded machine (one
# worker per core) threads only contend; the references' results do not depend on it.
JUDGE_ENV = {"CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0",
             "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
             "MKL_NUM_THREADS": "1"}
_WARM: list = []


def judge(nb, folder, settings, warm: bool = False) -> dict:
    """Run :mod:`anncourse.verdict` on ``nb`` in a process of its own and return its result: a fresh
    interpreter, or with ``warm`` (``anncourse-grade``'s workers) a fork of :mod:`anncourse.judge_server`."""
    from dataclasses import asdict

    with tempfile.TemporaryDirectory(prefix="anncourse-judge-") as scratch:
        request, result = Path(scratch) / "request.json", Path(scratch) / "result.json"
        request.write_text(json.dumps({"notebook": nb, "folder": folder, "settings": asdict(settings)}))
        limit = settings.notebook_timeout + 300
        env = dict(os.environ, **JUDGE_ENV)
        if warm:
            from anncourse.judge_server import WarmJudge

            if not (_WARM and _WARM[0].alive()):
                _WARM[:] = [WarmJudge(env)]
            failure = f"exit code {_WARM[0].run(str(request), str(result), scratch, limit)}"
        else:
            done = subprocess.run([sys.executable, "-m", "anncourse.verdict", str(request), str(result)], cwd=scratch,
                                  env=env, capture_output=True, text=True, timeout=limit)
            failure = f"{done.returncode}: {done.stderr[-3000:]}"
        if not result.exists():
            raise RuntimeError(f"the grading process failed ({failure})")
        return json.loads(result.read_text())


class FeedbackWithoutHiddenTests(ClearHiddenTests):
    """For ``nbgrader generate_feedback``: the student sees why a test failed, not the hidden tests.

    nbgrader puts the hidden tests back before grading and leaves them in the feedback, and they hold
    the reference solutions. This removes them from every cell and shortens a test cell's error to its
    message (the traceback would quote the hidden lines); errors raised in answer cells keep theirs.
    Markdown a student wrote is escaped, so HTML or a script in it shows as text.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.cell_type == "markdown" and not cell.metadata.get("nbgrader", {}).get("locked"):
            cell.source = html.escape(cell.source, quote=False)  # a written answer is text, never markup
        if cell.cell_type == "code" and not is_solution(cell):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output['ename']}: {output['evalue']}"]
        return cell, resources
