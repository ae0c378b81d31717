"""No graded part can be answered by pasting: no line of a reference solution stands verbatim in a
chapter, in any notebook a student downloads (another assignment's set-up cell included), or in the
course's own package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anncourse.course import EXERCISES, SOLUTIONS, assignments, notebook_name

ROOT = Path(__file__).resolve().parent.parent
MIN_LENGTH = 20  # shorter lines (`return out`, `for x in X:`) say nothing about where an answer came from


def solution_lines(notebook: Path) -> list[str]:
    """The code lines between BEGIN and END SOLUTION, stripped, at least MIN_LENGTH long, no comments."""
    lines = []
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] != "code" or not cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            continue
        inside = False
        for line in "".join(cell["source"]).splitlines():
            text = line.strip()
            if "### BEGIN SOLUTION" in text or "### END SOLUTION" in text:
                inside = "BEGIN" in text
            elif inside and len(text) >= MIN_LENGTH and not text.startswith("#"):
                lines.append(text)
    return lines


def published_lines() -> dict[str, set[str]]:
    """Every stripped line of every chapter, every released notebook and the course's package (which
    chapters import and students may read), by file."""
    texts = {str(p.relative_to(ROOT)): p.read_text() for p in sorted((ROOT / "chapters").glob("*.md"))}
    texts.update({str(p.relative_to(ROOT)): p.read_text() for p in sorted((ROOT / "anncourse").glob("*.py"))})
    for notebook in sorted(EXERCISES.rglob("*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        texts[str(notebook.relative_to(ROOT))] = "\n".join("".join(c["source"]) for c in cells)
    return {name: {line.strip() for line in text.splitlines()} for name, text in texts.items()}


def verbatim_copies(lines: list[str], published: dict[str, set[str]]) -> list[str]:
    return [f"{line!r} stands in {name}" for line in lines for name, others in published.items()
            if any(line in other for other in others)]


@pytest.mark.parametrize("assignment", assignments())
def test_no_reference_solution_line_stands_verbatim_in_a_chapter_or_a_download(assignment):
    lines = solution_lines(SOLUTIONS / assignment / notebook_name(assignment))
    assert lines, f"{assignment}: no solution lines found; is the notebook marked up for nbgrader?"
    copies = verbatim_copies(lines, published_lines())
    assert not copies, (f"{assignment}: these reference lines can be pasted from what students read; "
                        "ask for a step the chapter did not take:\n" + "\n".join(copies))


def test_the_check_finds_a_pasted_line():
    published = {"chapters/x.md": {"return step(X @ w + b)", "short"}}
    assert verbatim_copies(["return step(X @ w + b)"], published)
    assert verbatim_copies(["step(X @ w + b)  # inside"], {"c": {"y = step(X @ w + b)  # inside it"}})
    assert not verbatim_copies(["return step(X @ w - b)"], published)
