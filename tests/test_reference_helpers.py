"""Lending a part the grader's reference helpers: the student's composed function is judged on its
own (a wrong helper costs it nothing), and what is lent is lent for one call only."""

from __future__ import annotations

import shutil

import pytest

from anncourse.grading import call_numpy_only, reference_helpers
from anncourse.verdict import Settings, grade


def _cell(kind: str, source: str, grade_id: str) -> dict:
    marks = {"setup": {"locked": True}, "answer": {"solution": True},
             "test": {"grade": True, "points": 1, "locked": True}}[kind]
    return {"cell_type": "code", "source": source, "outputs": [], "execution_count": None,
            "metadata": {"nbgrader": dict(marks, grade_id=grade_id, schema_version=3)}}


HIDDEN_TEST = """
### BEGIN HIDDEN TESTS
from anncourse.grading import reference_helpers
def _grader_double(x):
    return 2 * x
with reference_helpers(double=_grader_double):
    got = twice_plus_one(5)
assert got == 11, f"twice_plus_one(5) returned {got}, expected 11"
### END HIDDEN TESTS
"""

LEAK_TEST = """
### BEGIN HIDDEN TESTS
got = use_what_was_kept(5)
assert "lent for one call only" in str(got), f"the lent helper answered after its call: {got!r}"
### END HIDDEN TESTS
"""


def _graded(answers: str) -> list[dict]:
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        _cell("setup", "import numpy as np", "setup"),
        _cell("answer", answers, "answers"),
        _cell("test", HIDDEN_TEST, "test_twice_plus_one"),
        _cell("test", LEAK_TEST, "test_leak"),
    ]}
    settings = Settings(cell_timeout=20, notebook_timeout=120,
                        api=["double", "twice_plus_one", "use_what_was_kept"])
    grade(notebook, None, settings)
    return notebook["cells"]


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs Debian's bubblewrap (make test installs it)")
def test_a_wrong_helper_costs_the_composed_part_nothing_and_a_kept_helper_answers_nothing():
    cells = _graded(
        "def double(x):\n    return 3 * x  # wrong\n"
        "kept = []\n"
        "def twice_plus_one(x):\n    kept.append(double)\n    return double(x) + 1\n"
        "def use_what_was_kept(x):\n    try:\n        return kept[0](x)\n    except Exception as e:\n"
        "        return repr(e)\n")
    composed, leak = cells[2]["outputs"], cells[3]["outputs"]
    assert not any(o.get("output_type") == "error" for o in composed), composed
    assert not any(o.get("output_type") == "error" for o in leak), leak
    # and after the call the student's own helper is back
    cells = _graded("def double(x):\n    return 3 * x\n"
                    "def twice_plus_one(x):\n    return double(x) + 1\n"
                    "def use_what_was_kept(x):\n    return double(x) - 5\n")
    assert not any(o.get("output_type") == "error" for o in cells[2]["outputs"])
    assert any(o.get("output_type") == "error" for o in cells[3]["outputs"]), "no helper was kept: the check must fail"


def test_a_function_graded_in_this_process_sees_the_helpers_only_during_the_block():
    namespace = {}
    exec("def double(x):\n    return 3 * x\ndef twice_plus_one(x):\n    return double(x) + 1\n", namespace)
    with reference_helpers(double=lambda x: 2 * x):
        assert call_numpy_only(namespace["twice_plus_one"], 5) == 11
    assert call_numpy_only(namespace["twice_plus_one"], 5) == 16
