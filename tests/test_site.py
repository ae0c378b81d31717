"""The course's own fixes to the published site (_theme/course_site.py), without a browser."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_theme"))

from course_site import SEARCH_AS_YOU_TYPE, without_glue  # noqa: E402


def test_readers_see_the_code_without_its_glue_calls():
    source = ("import numpy as np\nfrom myst_nb import glue\n\nx = np.ones(3)\nglue('x', x, display=False)\n"
              "for k, v in {'a': 1}.items():\n    if v:\n        glue(k, v, display=False)\n"
              "print(x)\nglue('long',\n     float(x.sum()), display=False)\n")
    assert without_glue(source) == "import numpy as np\n\nx = np.ones(3)\nprint(x)"


def test_a_block_that_only_glues_inside_teaching_code_keeps_its_code_valid():
    source = "def f(x):\n    glue('y', x, display=False)\n\nprint(f(1))\n"
    assert without_glue(source) == source.strip("\n"), "removing the only statement of a body breaks the code"
    assert without_glue("glue('a', 1, display=False)") == "", "a cell of glue alone shows no code"
    assert without_glue("not python (") == "not python ("


def test_the_search_index_scripts_are_recognised():
    page = ('<script src="../_static/searchtools.js"></script>\n    <script src="../_static/language_data.js">'
            '</script>\n    <script src="../searchindex.js"></script><script src="../_static/keep.js"></script>')
    assert SEARCH_AS_YOU_TYPE.sub("", page) == '<script src="../_static/keep.js"></script>'



CODE_WIDTH = 79  # PEP 8's limit; at 1280 px the code column holds 83 characters of the site's font
HIDDEN = {"remove-cell", "remove-input"}


def shown_code(notebook) -> list[tuple[int, str]]:
    """(cell number, code) of every code block a reader of the notebook's page sees."""
    import re as regex

    blocks = []
    for number, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and not HIDDEN & set(cell.metadata.get("tags", [])):
            blocks.append((number, without_glue(cell.source)))
        elif cell.cell_type == "markdown":
            blocks += [(number, code) for code in regex.findall(r"^```[a-z0-9]*\n(.*?)^```", cell.source, regex.S | regex.M)]
    return blocks


def test_shown_code_is_found_where_readers_see_it():
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("hidden = 2", metadata={"tags": ["remove-cell"]}),
        nbformat.v4.new_markdown_cell("Text\n\n```python\ny = 3\n```\n"),
        nbformat.v4.new_code_cell("z = 4\nglue('z', z, display=False)", metadata={"tags": ["hide-input"]}),
    ])
    assert shown_code(notebook) == [(0, "x = 1"), (2, "y = 3\n"), (3, "z = 4")]


def test_code_on_the_site_is_at_most_79_characters_wide():
    import jupytext
    import nbformat

    pages = {page: jupytext.read(page) for page in sorted((ROOT / "chapters").glob("*.md"))}
    pages.update({page: nbformat.read(page, as_version=4) for page in sorted((ROOT / "exercises").glob("*/*.ipynb"))})
    wide = [f"{page.relative_to(ROOT)} cell {number}: {line.strip()[:60]}... ({len(line)})"
            for page, notebook in pages.items() for number, code in shown_code(notebook)
            for line in code.splitlines() if len(line) > CODE_WIDTH]
    assert not wide, f"{len(wide)} lines of code wider than {CODE_WIDTH} characters scroll on the site:\n" + "\n".join(wide)


DRAWING = re.compile(r"\b(?:plt|fig\w*|ax|axes|ax_\w+)\s*[.\[]|^\s*(?:fig|ax)\w*\b.*=\s*plt\.")
FOLDED = HIDDEN | {"hide-input", "hide-cell"}


def draws_only(code: str) -> bool:
    """Whether a cell's code is plotting plumbing: three or more drawing lines, at least half of it."""
    lines = [line for line in code.splitlines() if line.strip() and not line.strip().startswith("#")]
    drawing = [line for line in lines if DRAWING.search(line)]
    return len(drawing) >= 3 and 2 * len(drawing) >= len(lines)


def test_plotting_plumbing_is_recognised():
    plot = ("fig, (ax_a, ax_b) = plt.subplots(1, 2)\nax_a.plot(x, y)\nfor ax in axes.flat:\n"
            "    ax.set(xlabel='x')\nfig.tight_layout()\n")
    teaching = ("def huber(r, delta=1.0):\n    small = np.abs(r) <= delta\n"
                "    return np.where(small, r**2 / 2, delta * (np.abs(r) - delta / 2))\n\n"
                "losses = huber(residuals)\nprint(losses.mean())\nplt.plot(residuals, losses)\n")
    assert draws_only(plot) and not draws_only(teaching)


def test_cells_that_only_draw_are_folded_on_chapter_pages():
    import jupytext

    unfolded = [f"{page.name} cell {number}: {cell.source.splitlines()[0][:60]}"
                for page in sorted((ROOT / "chapters").glob("*.md"))
                for number, cell in enumerate(jupytext.read(page).cells)
                if cell.cell_type == "code" and not FOLDED & set(cell.metadata.get("tags", []))
                and draws_only(without_glue(cell.source))]
    assert not unfolded, ("cells that only draw a figure should be folded (tags: [hide-input]) so that readers "
                          "see the teaching code:\n" + "\n".join(unfolded))
