"""One meaning per name across the course: a function or class that a chapter and an exercise (or two
chapters) both define takes the same parameters everywhere, so what a student learned still holds."""

from __future__ import annotations

import ast
import json
from collections import defaultdict
from pathlib import Path

import jupytext

from anncourse.course import SOLUTIONS

ROOT = Path(__file__).resolve().parent.parent


def definitions(source: str) -> dict[str, str]:
    """Top-level functions (with their parameter names) and classes defined in ``source``."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return {}
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            a = node.args
            found[node.name] = "(" + ", ".join(p.arg for p in a.posonlyargs + a.args + a.kwonlyargs) + ")"
        elif isinstance(node, ast.ClassDef):
            found[node.name] = "class"
    return found


def course_definitions() -> dict[str, dict[str, set[str]]]:
    """``{name: {signature: {where, ...}}}`` over the chapters' code and the exercises' answers and set-up."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for page in sorted((ROOT / "chapters").glob("*.md")):
        for cell in jupytext.read(page).cells:
            if cell.cell_type == "code":
                for name, signature in definitions(cell.source).items():
                    found[name][signature].add(f"chapters/{page.name}")
    for notebook in sorted(SOLUTIONS.rglob("*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            if cell["cell_type"] == "code" and not cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
                for name, signature in definitions("".join(cell["source"])).items():
                    found[name][signature].add(notebook.parent.name)
    return found


def test_a_name_means_one_thing_across_chapters_and_exercises():
    clashes = [f"{name}: " + "; ".join(f"{sig} in {', '.join(sorted(where))}" for sig, where in sigs.items())
               for name, sigs in sorted(course_definitions().items()) if len(sigs) > 1]
    assert not clashes, "the same name with different parameters (rename one):\n" + "\n".join(clashes)


def test_the_check_sees_parameters_and_ignores_magics():
    assert definitions("%matplotlib inline\ndef f(a, b=1, *, c):\n    pass\nclass K: pass") == {
        "f": "(a, b, c)", "K": "class"}
