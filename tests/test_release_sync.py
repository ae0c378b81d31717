"""exercises/ is exactly what nbgrader generates from solutions/, and holds no instructor material."""

import json
from pathlib import Path

import pytest

from anncourse.course import EXERCISES, SOLUTIONS, assignments, release_differences


def test_every_assignment_is_released():
    assert assignments(), "solutions/ holds no assignment"
    assert sorted(p.name for p in EXERCISES.iterdir() if p.is_dir()) == assignments()


@pytest.mark.slow
def test_committed_exercises_match_a_fresh_nbgrader_generation():
    problems = release_differences()
    assert not problems, "exercises/ drifted from solutions/ (run `make release`):\n" + "\n".join(problems)


@pytest.mark.parametrize("notebook", sorted(EXERCISES.rglob("*.ipynb")), ids=lambda p: p.parent.name)
def test_release_holds_no_solution_hidden_test_or_output(notebook: Path):
    text = notebook.read_text()
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "_reference"):
        assert marker not in text, f"{notebook} contains {marker!r}"
    cells = json.loads(text)["cells"]
    assert not any(c.get("outputs") for c in cells if c["cell_type"] == "code"), f"{notebook} has outputs"


@pytest.mark.parametrize("notebook", sorted(SOLUTIONS.rglob("*.ipynb")), ids=lambda p: p.parent.name)
def test_source_notebooks_are_committed_without_outputs(notebook: Path):
    cells = json.loads(notebook.read_text())["cells"]
    assert not any(c.get("outputs") for c in cells if c["cell_type"] == "code"), f"{notebook} has outputs"
