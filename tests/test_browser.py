"""The published site in a real browser: Debian's chromium driven by Playwright, axe-core for
accessibility, the built book served on 127.0.0.1 with every other host blocked.

Screenshots of a failing check are saved in _build/browser-failures/ (one PNG per check and page).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import os
import re
import shutil
import threading
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from test_book import toc_files

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
FAILURES = ROOT / "_build" / "browser-failures"
# Without a sandbox of its own (CI runs as root), quiet, and never calling home.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE, TABLET, SMALL_LAPTOP, DESKTOP = 390, 800, 1000, 1280
FIRST_LOAD_BUDGET = 2_000_000  # bytes, DESIGN.md
LEGIBLE_PX = 9.5  # the smallest text a figure may show on a phone ("about 10 px")
PAGES = toc_files()
CHAPTERS = [p for p in PAGES if p.startswith("chapters/") and p != "chapters/welcome"]
EXERCISES = [p for p in PAGES if p.startswith("exercises/")]


def chromium_path() -> str:
    path = os.environ.get("ANNCOURSE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    return path


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site(book):
    """The built book on http://127.0.0.1:<port>/."""
    assert book.returncode == 0, "the book did not build; see test_book.py"
    handler = functools.partial(_Quiet, directory=str(book.html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


class Visit:
    """One page in a fresh context of a given width, with what it requested and logged."""

    def __init__(self, browser, site: str, path: str, width: int):
        self.site, self.path, self.width = site, path, width
        self.context = browser.new_context(viewport={"width": width, "height": 844 if width <= PHONE else 900},
                                           service_workers="block")
        self.external, self.failed, self.errors, self.sizes = [], [], [], {}
        host = urlparse(site).netloc
        self.context.route("**/*", lambda route: self._route(route, host))
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        self.page.on("response", self._response)
        self.page.goto(f"{site}/{path}", wait_until="load")
        with contextlib.suppress(Exception):
            self.page.wait_for_load_state("networkidle", timeout=5000)

    def _route(self, route, host: str):
        if urlparse(route.request.url).netloc == host:
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def _response(self, response):
        if response.status >= 400:
            self.failed.append(f"{response.url} (HTTP {response.status})")
        with contextlib.suppress(Exception):
            self.sizes[response.url] = len(response.body())

    def check(self, condition: bool, message: str, name: str) -> None:
        """Assert, saving a screenshot first when the check fails."""
        if not condition:
            FAILURES.mkdir(parents=True, exist_ok=True)
            shot = FAILURES / f"{name}--{self.path.replace('/', '_')}--{self.width}px.png"
            with contextlib.suppress(Exception):
                self.page.screenshot(path=str(shot), full_page=False)
            raise AssertionError(f"{self.path} at {self.width} px: {message} (screenshot: {shot})")

    def close(self):
        self.context.close()


def _loaded(request, browser, site, width: int):
    page = Visit(browser, site, f"{request.param}.html", width)
    request.addfinalizer(page.close)
    return page


# Each page is loaded once per width and read by every test below that only looks (pytest groups the
# tests by these parameters); the tests that click get a fresh page of their own from ``visit``.
@pytest.fixture(scope="module", params=PAGES)
def desktop_page(request, browser, site):
    return _loaded(request, browser, site, DESKTOP)


@pytest.fixture(scope="module", params=CHAPTERS)
def desktop_chapter(request, browser, site):
    return _loaded(request, browser, site, DESKTOP)


@pytest.fixture(scope="module", params=PAGES)
def phone_page(request, browser, site):
    return _loaded(request, browser, site, PHONE)


@pytest.fixture
def visit(browser, site):
    opened = []

    def open_page(path: str, width: int = DESKTOP) -> Visit:
        page = Visit(browser, site, path if "." in path else f"{path}.html", width)
        opened.append(page)
        return page

    yield open_page
    for page in opened:
        page.close()


def test_page_loads_from_the_site_alone_without_errors(desktop_page):
    page = desktop_page
    page.check(not page.external, f"requests to other hosts: {page.external[:5]}", "external")
    page.check(not page.failed, f"failed requests: {page.failed[:5]}", "failed-request")
    page.check(not page.errors, f"console errors: {page.errors[:5]}", "console-error")


def test_maths_is_typeset(desktop_chapter):
    page = desktop_chapter
    page.page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=15000)
    page.page.evaluate("() => MathJax.startup.promise")
    typeset = page.page.locator("mjx-container").count()
    raw = page.page.evaluate("""() => [...document.querySelectorAll('.math')].filter(
        e => !e.querySelector('mjx-container')).length""")
    errors = page.page.locator("mjx-merror").all_inner_texts()
    page.check(typeset > 0 and raw == 0, f"{typeset} formulas typeset, {raw} left as TeX", "maths")
    page.check(not errors, f"TeX errors: {errors[:3]}", "maths-errors")


def _visible_toggle(page, kind: str):
    toggles = page.page.locator(f"button.{kind}-toggle")
    for i in range(toggles.count()):
        if toggles.nth(i).is_visible():
            return toggles.nth(i)
    return None


def _drawer_opens_and_closes(page, kind: str, what: str, content) -> None:
    """Click the visible ``kind`` toggle: its drawer opens showing ``content``; Escape closes it."""
    toggle = _visible_toggle(page, kind)
    page.check(toggle is not None, f"no visible {what} button", f"{what}-button")
    toggle.click()
    dialog = page.page.locator(f"#pst-{kind}-sidebar-modal")
    with contextlib.suppress(Exception):
        dialog.wait_for(state="visible", timeout=3000)
    opened = dialog.evaluate("d => d.open") and content(dialog).first.is_visible()
    page.check(opened, f"the {what} button did not open its drawer", f"{what}-drawer")
    page.page.keyboard.press("Escape")
    page.page.wait_for_timeout(300)
    page.check(not dialog.evaluate("d => d.open"), f"Escape did not close the {what} drawer", f"{what}-drawer-close")


@pytest.mark.parametrize("width", [PHONE, TABLET])
def test_the_menu_drawer_opens_and_closes_on_narrow_screens(visit, width):
    _drawer_opens_and_closes(visit("chapters/softmax", width), "primary", "menu",
                             lambda d: d.get_by_role("link", name=re.compile("backpropagation", re.I)))


@pytest.mark.parametrize("width", [PHONE, TABLET, SMALL_LAPTOP])
def test_the_contents_drawer_opens_and_closes_on_narrow_screens(visit, width):
    _drawer_opens_and_closes(visit("chapters/softmax", width), "secondary", "contents",
                             lambda d: d.locator("nav a"))


@pytest.mark.parametrize("width", [SMALL_LAPTOP, DESKTOP])
def test_the_sidebar_hides_and_comes_back_on_wider_screens(visit, width):
    page = visit("chapters/softmax", width)
    sidebar = page.page.locator("#pst-primary-sidebar")
    page.check(sidebar.is_visible(), "the sidebar is not shown on a desktop", "sidebar")
    toggle = _visible_toggle(page, "primary")
    toggle.click()
    page.page.wait_for_timeout(400)
    page.check(not sidebar.is_visible() or sidebar.bounding_box()["width"] < 5, "the toggle did not hide the sidebar",
               "sidebar-hide")
    toggle.click()
    page.page.wait_for_timeout(400)
    page.check(sidebar.is_visible(), "the toggle did not bring the sidebar back", "sidebar-show")


def test_nothing_scrolls_sideways_on_a_phone(phone_page):
    page = phone_page
    width = page.page.evaluate("() => document.documentElement.scrollWidth")
    page.check(width <= PHONE, f"the page is {width} px wide", "phone-width")


WIDER_THAN_ITS_BOX = """() => [...document.querySelectorAll(
    '.cell_output pre, .cell_output .output > div, .cell_output table, mjx-container[display="true"]')]
  .filter(e => {
    // an equation may scroll inside its own box (keyboard-reachable); an output must fit
    if (e.tagName === 'MJX-CONTAINER') {
      const box = e.closest('div.math') || e.parentElement;
      const scrolls = ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)
                      || ['auto', 'scroll'].includes(getComputedStyle(box).overflowX);
      return !scrolls && e.scrollWidth > box.clientWidth + 1;
    }
    return e.scrollWidth > e.clientWidth + 1;
  }).map(e => (e.innerText || e.textContent).split('\\n').sort((a, b) => b.length - a.length)[0].slice(0, 90))"""


def test_outputs_fit_the_column_and_wide_equations_scroll_in_their_own_box(desktop_page):
    page = desktop_page
    page.page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    cut = page.page.evaluate(WIDER_THAN_ITS_BOX)
    page.check(not cut, f"{len(cut)} outputs or equations wider than the column, e.g. {cut[:3]}", "wide-output")


CODE_WIDER_THAN_ITS_BOX = """() => {
  const wide = [...document.querySelectorAll('article pre')]
    .filter(e => !e.closest('.cell_output') && e.scrollWidth > e.clientWidth + 1);
  if (wide.length) wide[0].scrollIntoView({block: 'center'});  // for the screenshot
  return wide.map(e => e.innerText.split('\\n').sort((a, b) => b.length - a.length)[0]);
}"""


def test_code_fits_the_column(desktop_page):
    page = desktop_page
    wide = page.page.evaluate(CODE_WIDER_THAN_ITS_BOX)
    page.check(not wide, f"{len(wide)} code blocks scroll sideways; their longest lines: {wide[:3]}", "wide-code")


SVG = "{http://www.w3.org/2000/svg}"
FONT_SIZE = re.compile(r"font(?:-size)?:\s*([0-9.]+)px")


def figure_text_px(svg: bytes, shown_width: float) -> list[tuple[float, str]]:
    """(size in CSS px, text) of every label in a matplotlib SVG shown ``shown_width`` px wide.

    A label's size is that of its largest letters: its sub- and superscripts are smaller by design,
    as in typeset maths. Text drawn as outlines (``svg.fonttype: path``), or lettered in a style
    this cannot read, cannot be measured: such an SVG raises ValueError rather than pass unmeasured.
    """
    root = ElementTree.fromstring(svg)
    view_width = float(root.get("viewBox").split()[2])
    labels = []
    for text in root.iter(f"{SVG}text"):
        sizes = [float(m) for e in text.iter() for m in FONT_SIZE.findall(e.get("style", ""))]
        words = "".join(part.strip() for part in text.itertext())  # maths comes as one tspan per glyph
        if words and not sizes:
            raise ValueError(f"no font size found for its label {words[:20]!r}")
        if words:
            labels.append((max(sizes) * shown_width / view_width, words))
    if not labels and any((e.get("id") or "").startswith(("DejaVu", "STIX", "Cm")) for e in root.iter(f"{SVG}path")):
        raise ValueError("its text is drawn as outlines; set svg.fonttype to none (anncourse.plotting.use_site_figures)")
    return labels


def test_figure_text_is_measured_at_its_display_size():
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    def drawn(**style) -> bytes:
        with matplotlib.rc_context({"font.size": 12, **style}):
            fig, ax = plt.subplots(figsize=(6, 4))  # 432 pt wide
            ax.set_xlabel("$w^2$ weight")
            ax.set_title("title", fontsize=24)
            svg = io.BytesIO()
            fig.savefig(svg, format="svg")
            plt.close(fig)
        return svg.getvalue()

    labels = {words: px for px, words in figure_text_px(drawn(**{"svg.fonttype": "none"}), shown_width=576)}
    assert labels["title"] == pytest.approx(32)  # 24 pt at the natural size, 4/3 px per pt
    assert labels["w2weight"] == pytest.approx(16)  # the superscript's smaller size does not count
    on_a_phone = figure_text_px(drawn(**{"svg.fonttype": "none"}), shown_width=358)
    assert min(on_a_phone)[0] == pytest.approx(12 * 358 / 432)  # 12 pt on a 6-in figure: 9.9 px
    with pytest.raises(ValueError, match="outlines"):
        figure_text_px(drawn(**{"svg.fonttype": "path"}), shown_width=358)
    unreadable = drawn(**{"svg.fonttype": "none"}).replace(b"font-size: 12px", b"font-size: large")
    with pytest.raises(ValueError, match="no font size"):
        figure_text_px(unreadable, shown_width=358)


SHOWN_IMAGES = """async () => {
  const images = [...document.querySelectorAll('article img')];
  images.forEach(i => { i.loading = 'eager'; });
  await Promise.all(images.map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
  return images.map(i => ({src: i.currentSrc || i.src, width: i.getBoundingClientRect().width}));
}"""


def test_figures_are_vector_images_legible_on_a_phone(phone_page, book):
    page = phone_page
    problems, first = [], None
    shown = page.page.evaluate(SHOWN_IMAGES)
    built = re.findall(r'<img [^>]*src="[./]*(_images/[^"]+)"', (book.html / page.path).read_text())
    page.check(len(shown) == len(built), f"{len(built)} figures in the page, {len(shown)} measured", "figure-count")
    for image in shown:
        name = unquote(urlparse(image["src"]).path).lstrip("/")
        if not name.endswith(".svg"):
            first = first or image["src"]
            problems.append(f"{name} is a bitmap: draw it as SVG (anncourse.plotting.use_site_figures)")
            continue
        try:
            labels = figure_text_px((book.html / name).read_bytes(), image["width"])
        except ValueError as error:
            first = first or image["src"]
            problems.append(f"{name}: {error}")
            continue
        small = sorted(label for label in labels if label[0] < LEGIBLE_PX)
        if small:
            first = first or image["src"]
            problems.append(f"{name} ({image['width']:.0f} px wide): {len(small)} labels under {LEGIBLE_PX} px, "
                            f"e.g. {[(round(px, 1), words[:20]) for px, words in small[:3]]}")
    if first:  # the screenshot shows the first figure at fault
        page.page.evaluate("""src => [...document.querySelectorAll('article img')]
            .find(i => (i.currentSrc || i.src) === src).scrollIntoView({block: 'center'})""", first)
    page.check(not problems, "; ".join(problems), "figure-text")


def test_readers_see_teaching_code_only(desktop_chapter):
    page = desktop_chapter
    shown = page.page.locator(".cell_input pre").all_inner_texts()
    plumbing = [line for text in shown for line in text.splitlines() if re.search(r"\bglue\(", line)]
    page.check(not plumbing, f"glue calls shown to readers: {plumbing[:3]}", "glue")
    split = page.page.evaluate("""() => [...document.querySelectorAll('.cell_output')].filter(
        o => o.querySelectorAll(':scope > .output.stream').length > 1).length""")
    page.check(split == 0, f"{split} cells print their text in several boxes", "split-output")


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_one_search_box_a_favicon_and_a_footer_that_is_true(visit, width):
    chapter = visit("chapters/softmax", width)
    search = chapter.page.locator(".search-button-field, .search-button")
    visible = sum(search.nth(i).is_visible() for i in range(search.count()))
    chapter.check(visible == 1, f"{visible} search boxes or buttons", "search-boxes")
    icon = chapter.page.locator("link[rel~='icon']")
    chapter.check(icon.count() >= 1, "no favicon", "favicon")
    href = icon.first.evaluate("l => l.href")
    chapter.check(chapter.context.request.get(href).ok, f"the favicon {href} does not load", "favicon")
    footer = " ".join(chapter.page.locator("footer").all_inner_texts())
    exercise = visit(EXERCISES[0], width)
    exercise_footer = " ".join(exercise.page.locator("footer").all_inner_texts())
    chapter.check("executed" in footer, f"the chapter's footer {footer!r} does not say it was executed", "footer")
    exercise.check("Every page is executed" not in exercise_footer and "as students download them" in exercise_footer,
                   f"the footer says {exercise_footer!r} on an exercise page, which is not executed", "footer")


def test_search_finds_softmax(visit):
    page = visit("search.html?q=softmax")
    results = page.page.locator("#search-results li a")
    with contextlib.suppress(Exception):
        results.first.wait_for(timeout=15000)
    hrefs = [results.nth(i).get_attribute("href") or "" for i in range(results.count())]
    page.check(any("chapters/softmax" in h for h in hrefs), f"search for softmax found {hrefs[:5]}", "search")


@pytest.mark.parametrize("path", EXERCISES)
def test_the_download_button_gives_the_exercise_notebook(visit, path):
    page = visit(path)
    link = page.page.locator("a[href$='.ipynb']").first
    href = link.evaluate("a => a.href")
    body = page.context.request.get(href).body()
    page.check(body == (ROOT / f"{path}.ipynb").read_bytes(), f"{href} differs from {path}.ipynb", "download")


def test_no_serious_accessibility_violation(desktop_page):
    from axe_playwright_python.sync_playwright import Axe

    page = desktop_page
    violations = Axe().run(page.page).response["violations"]
    bad = [f"{v['id']} ({v['impact']}): {v['help']}; {len(v['nodes'])} elements, e.g. {v['nodes'][0]['target']}"
           for v in violations if v["impact"] in ("critical", "serious")]
    page.check(not bad, "; ".join(bad), "axe")


def test_first_load_of_a_chapter_is_at_most_2_MB(desktop_chapter):
    page = desktop_chapter
    page.page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    total = sum(page.sizes.values())
    biggest = sorted(page.sizes.items(), key=lambda kv: -kv[1])[:3]
    print(f"{page.path}: {total / 1e6:.2f} MB in {len(page.sizes)} responses")
    page.check(total <= FIRST_LOAD_BUDGET, f"first load {total / 1e6:.2f} MB, largest "
               f"{[(urlparse(u).path.rsplit('/', 1)[-1], round(n / 1e6, 2)) for u, n in biggest]}", "weight")
