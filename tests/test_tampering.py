"""Answers that reach for the grading machinery are refused before they run, with a reason."""

import pytest

import nbformat

from anncourse.nbgrader_plugins import (RejectTampering, grading_names, hidden_names, hidden_reference_uses,
                                      tampering_reasons)

HONEST = [
    "def step(z):\n    return (np.asarray(z) >= 0).astype(np.int64)",
    "def evaluate(model, loader, device):\n    model.eval()\n    return sum(1 for _ in model.modules())",
    "def compile_for_logits(model, learning_rate=1e-3):\n    model.compile(optimizer='adam')\n    return model",
    "# open the book at chapter 2 and eval the formula\nx = 1",
    "def broken(:\n    pass",  # a syntax error fails by itself when it runs
]

CHEATS = {
    "swallow errors": "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)",
    "silence tracebacks": "import IPython\nIPython.get_ipython().showtraceback = lambda *a, **k: None",
    "read the hidden tests": "source = open('perceptron.ipynb').read()",
    "walk the stack": "import sys\nframe = sys._getframe(1)",
    "rewrite the tests": "ip = get_ipython()\nip.ast_transformers.append(None)",
    "disable tracing": "import sys\nsys.setprofile(None)",
    "patch builtins": "import builtins\nbuiltins.isinstance = lambda *a: True",
    "eval a string": "f = eval('lambda z: z')",
    "dig in the heap": "import gc\nrefs = gc.get_objects()",
    "dynamic import": "m = __import__('torch')",
}


@pytest.mark.parametrize("source", HONEST)
def test_honest_answers_pass_the_scan(source):
    assert tampering_reasons(source) == []


@pytest.mark.parametrize("source", CHEATS.values(), ids=CHEATS.keys())
def test_tampering_answers_are_named_with_their_line(source):
    reasons = tampering_reasons(source)
    assert reasons and all("line" in r for r in reasons)


HIDDEN_TEST_CELL = """
### BEGIN HIDDEN TESTS
from anncourse.grading import expect_close
def _reference_step(z):
    return z
_reference, _cases = object(), [1, 2]
### END HIDDEN TESTS
out = step(np.zeros(3))
"""


def test_grading_names_are_the_checks_and_the_hidden_private_names():
    names = grading_names([HIDDEN_TEST_CELL])
    assert {"expect_close", "call_numpy_only", "_reference_step", "_reference", "_cases"} <= names
    assert "out" not in names and "np" not in names


@pytest.mark.parametrize("source", [
    "def expect_close(*args, **kwargs):\n    return None",
    "def step(z):\n    return _reference_step(z)",
    "from math import floor as _reference",
    "class call_numpy_only:\n    pass",
], ids=["redefine-a-check", "call-the-reference", "import-over-a-hidden-name", "shadow-with-a-class"])
def test_answers_may_not_use_or_rebind_grading_names(source):
    assert tampering_reasons(source, protected=grading_names([HIDDEN_TEST_CELL]))


def test_reading_the_hidden_reference_is_judged_per_part_and_rebinding_it_is_not():
    protected, hidden = grading_names([HIDDEN_TEST_CELL]), hidden_names([HIDDEN_TEST_CELL])
    assert hidden == {"_reference_step", "_reference", "_cases"}
    calls = "def step(z):\n    return _reference_step(z)"
    assert tampering_reasons(calls, protected=protected, judged_per_part=hidden) == []
    assert hidden_reference_uses(calls, hidden) == ["`_reference_step` on line 2"]
    for rebinds in ["_reference_step = lambda z: z", "def _cases():\n    pass", "import numpy as _reference"]:
        assert tampering_reasons(rebinds, protected=protected, judged_per_part=hidden), rebinds
    assert tampering_reasons("expect_close(1, 1, 'x')", protected=protected, judged_per_part=hidden)


def _notebook(*answers):
    def cell(source, grade_id, solution):
        meta = {"grade": not solution, "solution": solution, "grade_id": grade_id, "locked": not solution,
                "schema_version": 3}
        return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})
    cells = [cell(HIDDEN_TEST_CELL, "test_setup", False)]
    cells += [cell(source, f"part_{i}", True) for i, source in enumerate(answers)]
    return nbformat.v4.new_notebook(cells=cells)


def test_an_answer_calling_the_reference_loses_that_part_only():
    nb, _ = RejectTampering().preprocess(_notebook("def step(z):\n    return _reference_step(z)",
                                                   "def other(z):\n    return z"), {})
    assert nb.cells[1].source.startswith("raise RuntimeError(") and "_reference_step" in nb.cells[1].source
    assert nb.cells[2].source == "def other(z):\n    return z"


def test_an_answer_that_tampers_loses_every_part():
    nb, _ = RejectTampering().preprocess(_notebook("def step(z):\n    return z",
                                                   "get_ipython().set_custom_exc((Exception,), print)"), {})
    assert all(c.source.startswith("raise RuntimeError(") and "get_ipython" in c.source for c in nb.cells[1:])
    assert nb.cells[0].source == HIDDEN_TEST_CELL
