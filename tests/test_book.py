"""The book builds offline with warnings as errors, every chapter is executed, and nothing secret is published."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


def html_pages(book) -> list[Path]:
    return sorted(book.html.rglob("*.html"))


def test_book_builds_with_warnings_as_errors(book):
    print(f"book build: {book.seconds:.1f} s")
    assert book.returncode == 0, "jupyter-book build -W -n --keep-going failed:\n" + book.log[-6000:]


def test_folders_that_tools_create_in_the_repository_are_not_read_as_pages():
    """pytest, hypothesis and nbgrader write folders with Markdown and notebooks in the repository; the
    next build would read them as pages outside the table of contents and fail on the warning."""
    excluded = set(yaml.safe_load((ROOT / "_config.yml").read_text())["exclude_patterns"])
    ignored = [line.strip().rstrip("/") for line in (ROOT / ".gitignore").read_text().splitlines()
               if line.strip().endswith("/") and not line.startswith("#")]
    missing = [f for f in ignored if f"{f}/*" not in excluded and f"**/{f}/*" not in excluded
               and f not in ("__pycache__", "*.egg-info")]
    assert not missing, f"add these to exclude_patterns in _config.yml: {[f + '/*' for f in missing]}"


def test_every_toc_entry_has_a_page(book):
    missing = [f for f in toc_files() if not (book.html / f"{f}.html").exists()]
    assert not missing, f"pages missing from the site: {missing}"
    assert (book.html / "index.html").exists()


@pytest.mark.parametrize("chapter", [f for f in toc_files() if f.startswith("chapters/")])
def test_chapter_is_executed_without_errors(book, chapter):
    source = (ROOT / f"{chapter}.md").read_text()
    page = (book.html / f"{chapter}.html").read_text()
    if "{code-cell}" in source:
        assert 'class="cell_output' in page, f"{chapter} has code but no outputs: it was not executed"
    assert "Traceback" not in page and 'class="output traceback' not in page, f"{chapter} shows an error"
    for image in re.findall(r'<img[^>]+src="([^"]+)"', page):
        assert (book.html / Path(chapter).parent / image).resolve().exists(), f"{chapter}: broken image {image}"


@pytest.mark.parametrize("chapter", [f for f in toc_files() if f.startswith("chapters/")])
def test_every_figure_has_alt_text_and_a_caption(book, chapter):
    page = (book.html / f"{chapter}.html").read_text()
    images = re.findall(r"<img[^>]*>", page)
    assert all(re.search(r'alt="[^"]{10,}"', tag) for tag in images), f"{chapter}: a figure has no alt text"
    assert page.count("<figcaption") == len(images), f"{chapter}: {len(images)} figures, {page.count('<figcaption')} captions"


def test_perceptron_chapter_has_its_figures_with_alt_text(book):
    page = (book.html / "chapters/perceptron.html").read_text()
    images = re.findall(r"<img[^>]*>", page)
    assert len(images) >= 2, f"expected the learning and XOR figures, found {len(images)} images"
    assert all(re.search(r'alt="[^"]{10,}"', tag) for tag in images), "every figure needs alt text"
    assert page.count('<figcaption') >= 2


def test_solutions_and_hidden_tests_never_reach_the_site(book):
    leaks = []
    for path in book.html.rglob("*"):
        if "solutions" in path.relative_to(book.html).parts:
            leaks.append(str(path))
        elif path.is_file() and path.suffix in {".html", ".ipynb", ".txt", ".js", ".md"}:
            text = path.read_text(errors="ignore")
            if "BEGIN HIDDEN TESTS" in text or "### BEGIN SOLUTION" in text or "_reference_" in text:
                leaks.append(str(path))
    assert not leaks, f"instructor material published: {leaks[:10]}"


def test_site_loads_no_script_or_style_from_the_network(book):
    external = []
    for page in html_pages(book):
        html = page.read_text()
        external += [(page.name, url) for url in re.findall(r'<script[^>]+src="(https?://[^"]+)"', html)]
        external += [(page.name, url) for url in re.findall(r'<link[^>]+href="(https?://[^"]+)"', html)
                     if "stylesheet" in html[html.find(url) - 200:html.find(url)]]
    assert not external, f"pages need the network: {external[:10]}"
    assert (book.html / "_static/mathjax/tex-chtml.js").exists(), "MathJax must be served by the site itself"


@pytest.mark.parametrize("exercise", [f for f in toc_files() if f.startswith("exercises/")])
def test_exercise_page_offers_the_student_notebook_for_download(book, exercise):
    page = (book.html / f"{exercise}.html").read_text()
    download = book.html / "_sources" / f"{exercise}.ipynb"
    depth = "../" * exercise.count("/")
    assert f'href="{depth}_sources/{exercise}.ipynb"' in page, "no download link to the student notebook"
    assert download.read_bytes() == (ROOT / f"{exercise}.ipynb").read_bytes(), "the download differs from exercises/"
    assert "NotImplementedError" in page, "the exercise page should show the student's stubs"
    assert "Traceback" not in page, "exercise pages are shown, not executed"
