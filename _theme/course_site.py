"""Fixes to the published site that belong to this course, each with the reason it exists.

Loaded by Jupyter Book as a local Sphinx extension (``_config.yml``: ``sphinx.local_extensions``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from docutils import nodes

# MathJax 3 as components: TeX input with the packages the chapters use, CommonHTML output and the
# hidden MathML copy that screen readers read. The all-in-one tex-chtml.js also bundles the menu
# and every TeX package: 1.16 MB on each first load against about half of that.
MATHJAX_CONFIG = {
    "loader": {"load": ["input/tex-base", "[tex]/ams", "[tex]/newcommand", "[tex]/noundefined",
                        "[tex]/boldsymbol", "[tex]/require", "[tex]/autoload", "[tex]/configmacros",
                        "output/chtml", "a11y/assistive-mml"]},
    "tex": {"packages": {"[+]": ["ams", "newcommand", "noundefined", "boldsymbol", "require", "autoload",
                                 "configmacros"]}},
}


def _is_glue(statement: ast.stmt) -> bool:
    """``glue(...)``, ``from myst_nb import glue``, or a loop, ``with`` or ``if`` that only glues."""
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        return getattr(statement.value.func, "id", None) == "glue"
    if isinstance(statement, ast.ImportFrom):
        return statement.module == "myst_nb" and [a.name for a in statement.names] == ["glue"]
    if isinstance(statement, (ast.For, ast.With, ast.If)) and not getattr(statement, "orelse", None):
        return all(_is_glue(s) for s in statement.body)
    return False


def without_glue(source: str) -> str:
    """The cell's code as readers should see it: the calls that hand values to the page's text and
    tests (``glue``) removed, with the blank lines they leave behind."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    drop = set()
    for statement in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(statement, field, None)
            if isinstance(block, list) and block and all(isinstance(s, ast.stmt) for s in block):
                kept = [s for s in block if not _is_glue(s)]
                if kept or isinstance(statement, ast.Module):
                    for s in block:
                        if _is_glue(s):
                            drop.update(range(s.lineno, s.end_lineno + 1))
    lines = [line for number, line in enumerate(source.splitlines(), 1) if number not in drop]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return text


def hide_glue(app, doctree) -> None:
    for block in list(doctree.findall(nodes.literal_block)):
        parent = block.parent
        if parent is None or "cell_input" not in parent.get("classes", []):
            continue
        shown = without_glue(block.astext())
        if shown == block.astext():
            continue
        if shown.strip():
            block.children = [nodes.Text(shown)]
            block.rawsource = shown
        else:  # nothing but plumbing: show the outputs only
            parent.parent.remove(parent)


def drop_thebe(app, pagename, templatename, context, doctree) -> None:
    """Jupyter Book always loads sphinx-thebe, which declares ``const THEBE_JS_URL`` twice on a page
    (a console error). Thebe is off in _config.yml (``launch_buttons.thebe: false``): load none of it."""
    context["script_files"] = [js for js in context.get("script_files", [])
                               if "thebe" not in str(js) and "THEBE" not in getattr(js, "attributes", {}).get("body", "")]
    context["css_files"] = [css for css in context.get("css_files", []) if "thebe" not in str(css)]


SEARCH_AS_YOU_TYPE = re.compile(r'\s*<script src="[./]*(_static/searchtools\.js|_static/language_data\.js|searchindex\.js)"></script>')


def lighter_pages(app, exception) -> None:
    """Less to load with each page: figures below the first screen load when the reader scrolls to
    them, and pages other than search.html drop the search index that pydata-sphinx-theme 0.17
    loads everywhere for its search-as-you-type box, which this book leaves off."""
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text()
        lighter = re.sub(r"<img (?![^>]*\bloading=)", '<img loading="lazy" decoding="async" ', text)
        if page.name != "search.html" and not app.config.html_theme_options.get("search_as_you_type"):
            lighter = SEARCH_AS_YOU_TYPE.sub("", lighter)
        if lighter != text:
            page.write_text(lighter)


def use_mathjax_components(app, config) -> None:
    config.mathjax_path = "mathjax/startup.js"
    config.mathjax3_config = {**MATHJAX_CONFIG, **(config.mathjax3_config or {})}


def setup(app):
    app.connect("config-inited", use_mathjax_components, priority=900)
    app.connect("doctree-read", hide_glue)
    app.connect("html-page-context", drop_thebe, priority=900)
    app.connect("build-finished", lighter_pages)
    app.add_js_file("scrollable-maths.js", loading_method="defer")
    app.add_css_file("course.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
