"""nbgrader preprocessors the course adds to autograding and feedback (configured in ``nbgrader_config.py``).

``RejectTampering`` runs while nbgrader sanitizes a submission, before any student code executes.
A notebook whose answers reach for the machinery that grading relies on (the IPython shell, the
interpreter's hooks, stack frames, files such as the notebook holding the hidden tests) could make a
failing test look like a passing one. Such a submission is not run: each of its answer cells is
replaced by an error that states the reason, so it scores zero, the reason shows in the feedback,
and the rest of the batch goes on.

An answer that only *calls* the hidden reference solution cheats on its own part, not on the grader:
that one answer cell is replaced by such an error, and the other parts are graded as usual.
"""

from __future__ import annotations

import ast
import re

from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from nbgrader.utils import is_solution
from traitlets import List, Unicode

# Names no exercise needs and that can reach the grader: the shell, hooks, frames, files, eval.
FORBIDDEN_NAMES = ["get_ipython", "exec", "eval", "compile", "__import__", "open", "globals",
                   "breakpoint", "__builtins__", "memoryview"]
FORBIDDEN_ATTRIBUTES = ["set_custom_exc", "showtraceback", "_showtraceback", "showsyntaxerror",
                        "setprofile", "settrace", "excepthook", "displayhook", "ast_transformers",
                        "input_transformers_post", "input_transformers_cleanup", "events", "_getframe",
                        "f_back", "f_globals", "f_locals", "gi_frame", "tb_frame", "get_objects",
                        "get_referrers", "currentframe", "__globals__", "__code__", "__closure__",
                        "__builtins__", "__subclasses__", "stdout", "stderr"]
FORBIDDEN_MODULES = ["builtins", "inspect", "gc", "ctypes", "importlib", "IPython", "ipykernel",
                     "nbformat", "nbgrader", "nbclient", "anncourse", "os", "sys", "subprocess", "shutil",
                     "pathlib", "io", "pickle", "marshal", "socket", "threading", "multiprocessing",
                     "signal", "atexit", "traceback", "types", "unittest", "pytest"]


def grading_names(test_sources: list[str]) -> set[str]:
    """Names an answer must neither use nor rebind: the checks of ``anncourse.grading`` and every
    private (``_``) name that the hidden tests define at top level, such as ``_grader_reference_step``."""
    from anncourse import grading

    checks = {n for n in vars(grading) if not n.startswith("_") and callable(getattr(grading, n))}
    return checks | hidden_names(test_sources)


def hidden_names(test_sources: list[str]) -> set[str]:
    """The private (``_``) names that the hidden tests define at top level, such as ``_grader_reference``."""
    names = set()
    for source in test_sources:
        for region in re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", source, re.S):
            try:
                tree = ast.parse(region)
            except SyntaxError:
                continue
            for node in tree.body:
                for target in ast.walk(node) if isinstance(node, (ast.Assign, ast.AnnAssign)) else [node]:
                    bound = getattr(target, "name", None) or getattr(target, "id", None)
                    if isinstance(bound, str) and bound.startswith("_"):
                        names.add(bound)
    return names


def tampering_reasons(source: str, names=FORBIDDEN_NAMES, attributes=FORBIDDEN_ATTRIBUTES,
                      modules=FORBIDDEN_MODULES, protected: set[str] = frozenset(),
                      judged_per_part: set[str] = frozenset()) -> list[str]:
    """What in ``source`` reaches the grading machinery, as ``"`name` on line N"``; [] if nothing.

    ``protected`` names (see :func:`grading_names`) may not be used, defined or imported under;
    reading one of ``judged_per_part`` is left to :func:`hidden_reference_uses`.
    Code that does not parse is not judged here: it fails on its own when it runs.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        own_name = getattr(node, "name", None) if isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else getattr(node, "asname", None)
        if isinstance(own_name, str) and own_name in protected:
            found.append((getattr(node, "lineno", 0), own_name))
        if isinstance(node, ast.Name) and (node.id in names or node.id in protected):
            if not (node.id in judged_per_part and isinstance(node.ctx, ast.Load)):
                found.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute) and node.attr in attributes:
            found.append((node.lineno, "." + node.attr))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, f"import {a.name}") for a in node.names if a.name.split(".")[0] in modules]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in modules:
            found.append((node.lineno, f"from {node.module} import ..."))
    return [f"`{what}` on line {line}" for line, what in sorted(set(found))]


def hidden_reference_uses(source: str, hidden: set[str]) -> list[str]:
    """Where ``source`` reads a name of the hidden tests (``hidden``), as ``"`name` on line N"``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = {(node.lineno, node.id) for node in ast.walk(tree)
             if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in hidden}
    return [f"`{name}` on line {line}" for line, name in sorted(found)]


class RejectTampering(NbGraderPreprocessor):
    """Replace every answer cell of a tampering submission by an error that names the reason, and
    an answer that calls the hidden reference by an error that costs that part only."""

    extra_allowed_modules = List(Unicode(), default_value=[],
                                 help="Modules from FORBIDDEN_MODULES that answers may import.").tag(config=True)

    def preprocess(self, nb, resources):
        modules = [m for m in FORBIDDEN_MODULES if m not in self.extra_allowed_modules]
        test_sources = [c.source for c in nb.cells if c.cell_type == "code" and not is_solution(c)]
        protected, hidden = grading_names(test_sources), hidden_names(test_sources)
        answers = [cell for cell in nb.cells if cell.cell_type == "code" and is_solution(cell)]
        reasons = []
        for cell in answers:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
            reasons += [f"{r} of cell '{grade_id}'" for r in tampering_reasons(
                cell.source, modules=modules, protected=protected, judged_per_part=hidden)]
        if not reasons:
            for cell in answers:
                uses = hidden_reference_uses(cell.source, hidden)
                if uses:
                    message = ("Grading refused for this part: it uses the hidden reference solution ("
                               + "; ".join(uses) + "). Write this part yourself; the other parts are graded as usual.")
                    self.log.warning("%s: %s", resources.get("unique_key", "submission"), message)
                    cell.source = f"raise RuntimeError({message!r})"
            return nb, resources
        message = ("Grading refused: this notebook uses " + "; ".join(reasons[:5]) +
                   ". Answers may use only the libraries the exercise names; remove these and hand in again.")
        self.log.warning("%s: %s", resources.get("unique_key", "submission"), message)
        for cell in answers:
            cell.source = f"raise RuntimeError({message!r})"
        return nb, resources


class FeedbackWithoutHiddenTests(ClearHiddenTests):
    """For ``nbgrader generate_feedback``: the student sees why a test failed, not the hidden tests.

    nbgrader puts the hidden tests back before grading and leaves them in the feedback, and they hold
    the reference solutions. This removes them from every cell and shortens a test cell's error to its
    message (the traceback would quote the hidden lines); errors raised in answer cells keep theirs.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.cell_type == "code" and not is_solution(cell):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output['ename']}: {output['evalue']}"]
        return cell, resources
