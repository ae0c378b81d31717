"""Shared fixtures: the book is built once per test run (across xdist workers), then inspected."""

from __future__ import annotations

import ast
import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
# The modules that take minutes, longest first: `make test` hands whole modules to its two workers
# in this order (--dist loadscope --no-loadscope-reorder; xdist's own order puts the modules with
# the most tests first), and a long one handed out last would keep one core busy alone at the end.
LONGEST_FIRST = ["test_grade_command.py", "test_hostile.py", "test_grading_ex05.py", "test_browser.py",
                 "test_grading_ex04.py", "test_grading_ex07.py", "test_grading_ex06.py"]  # CI: 6, 4, 4, 3.5, 3, 2.5, 1.5 min


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by their fixtures
def pytest_collection_modifyitems(items):
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: each module keeps its order


@dataclass
class BookBuild:
    returncode: int
    log: str
    seconds: float
    html: Path
    executed: Path  # the executed notebooks, with outputs


def _build_book() -> BookBuild:
    """``make book``: changed chapters executed in parallel, then rendered with warnings as errors."""
    from anncourse.book import build

    start = time.perf_counter()
    result = build(ROOT, every_page=True)  # a warning on any page fails it, not only on changed ones
    return BookBuild(result.returncode, result.stdout + result.stderr, time.perf_counter() - start,
                     BUILD / "html", BUILD / "jupyter_execute")


@pytest.fixture(scope="session")
def book(tmp_path_factory, worker_id) -> BookBuild:
    """Build the book with warnings as errors and the GPUs hidden; once per run, whatever the workers.

    The first worker to get the lock builds; the others wait, then reuse its result. The
    execution cache (.jupyter_cache) makes an unchanged rebuild fast; CI starts with none, so there
    every chapter runs from scratch on the CPU.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent  # the run's folder, shared by its workers
    with FileLock(str(shared / "book.lock")):
        record = shared / "book.json"
        if record.exists():
            data = json.loads(record.read_text())
            return BookBuild(data["returncode"], data["log"], data["seconds"], Path(data["html"]), Path(data["executed"]))
        build = _build_book()
        record.write_text(json.dumps({"returncode": build.returncode, "log": build.log, "seconds": build.seconds,
                                      "html": str(build.html), "executed": str(build.executed)}))
        return build


def glued_values(chapter: str) -> dict[str, object]:
    """The values a chapter stored with ``myst_nb.glue(name, value, display=False)``, parsed from their repr.

    myst-nb strips glue outputs from the notebooks it writes under _build, so they are read from the
    execution cache, which holds the executed notebook whole.
    """
    import jupytext
    from jupyter_cache import get_cache

    cache = get_cache(ROOT / ".jupyter_cache")
    record = cache.match_cache_notebook(jupytext.read(ROOT / "chapters" / f"{chapter}.md"))
    notebook = cache.get_cache_bundle(record.pk).nb
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                text = output["data"]["application/papermill.record/text/plain"]
                try:
                    values[name] = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    values[name] = text
    return values


@pytest.fixture(scope="session")
def chapter_values(book):
    """``chapter_values("backprop")`` -> the glued values of that executed chapter."""
    assert book.returncode == 0, "the book did not build; see test_book.py"
    return glued_values


@pytest.fixture(scope="module")
def values(request, chapter_values):
    """In ``test_chapter_<name>.py``: the glued values of chapter ``<name>``."""
    return chapter_values(request.module.__name__.rpartition("test_chapter_")[2])
