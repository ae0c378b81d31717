"""The course's own fixes to the published site (_theme/course_site.py), without a browser."""

from __future__ import annotations

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

