"""The website as readers see it: offline, at desktop and phone widths, and in its course edition."""
import json
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest

from conftest import COURSE_SITE, REPO, SITE, WIDTHS

sys.path.insert(0, str(REPO / "book" / "_ext"))
from editions import is_check, is_solution, is_written  # noqa: E402

PAGES = sorted(str(p.relative_to(SITE)) for p in SITE.rglob("*.html")
               if not p.relative_to(SITE).parts[0].startswith("_") and p.name not in ("genindex.html", "search.html"))
CHAPTERS = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))


def notebook(stem):
    return json.loads((REPO / "notebooks" / f"{stem}.ipynb").read_text())


BLOCK = {"hidden": r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", "solution": r"### BEGIN SOLUTION\n(.*?)### END SOLUTION"}


def block_lines(kind: str) -> list[str]:
    """The distinctive lines of every hidden-test (or solution) block: long, not a comment, and
    found nowhere else in the chapter (a task may quote a line of its solution)."""
    lines = []
    for stem in CHAPTERS:
        cells = notebook(stem)["cells"]
        wanted = is_check if kind == "hidden" else is_solution
        blocks = [b for c in cells if wanted(c) for b in re.findall(BLOCK[kind], "".join(c["source"]), re.S)]
        rest = "\n".join(re.sub(BLOCK[kind], "", "".join(c["source"]), flags=re.S) for c in cells)
        lines += [ln.strip() for b in blocks for ln in b.splitlines()
                  if len(ln.strip()) > 20 and not ln.strip().startswith("#") and ln.strip() not in rest]
    return lines


def written_lines() -> list[str]:
    lines = []
    for stem in CHAPTERS:
        for cell in notebook(stem)["cells"]:
            if is_written(cell):
                lines += [ln.strip() for ln in "".join(cell["source"]).splitlines() if len(ln.strip()) > 40][:3]
    return lines


def text_of(path: Path) -> str:
    """What a reader can read in a file: an HTML page without its tags (syntax highlighting splits
    code into many spans) and entities, or any other file as it is."""
    import html

    raw = path.read_text(errors="replace")
    if path.suffix != ".html":
        return raw
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def visit(offline, site, page, width):
    o = offline(width)
    o.page.goto(f"{site}/{page}", wait_until="networkidle")
    if o.page.locator("span.math, div.math").count():
        o.page.wait_for_function("document.querySelectorAll('mjx-container').length > 0", timeout=30000)
    return o


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", PAGES)
def test_page_reads_offline(offline, site, screenshots, page, width):
    o = visit(offline, site, page, width)
    p = o.page
    assert o.errors == [], f"console errors: {o.errors}"
    assert o.blocked == [], f"requests that need the network: {o.blocked}"
    assert o.failed == [], f"failed requests: {o.failed}"
    images = p.evaluate("""[...document.images].map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0,
                                                           alt: (i.getAttribute('alt') || '').trim()}))""")
    for image in images:
        assert image["ok"], f"image not loaded: {image['src']}"
        assert image["alt"] and not image["alt"].endswith(".png"), f"image without alt text: {image['src']}"
    text = p.evaluate("document.body.innerText")
    for raw in ("\\(", "\\[", "$$"):
        assert raw not in text, f"raw TeX ({raw}) left untypeset"
    assert "Traceback (most recent call last)" not in text
    if width == "phone":
        overflow = p.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than a 390px phone"
    p.screenshot(path=str(screenshots / f"{page.replace('/', '_')[:-5]}-{width}.png"), full_page=True)


@pytest.mark.parametrize("page", PAGES)
def test_internal_links_and_anchors_resolve(page):
    html = (SITE / page).read_text()
    for href in set(re.findall(r'<a [^>]*href="([^"]+)"', html)):
        parts = urlparse(href)
        if parts.scheme or href.startswith(("mailto:", "javascript:")):
            continue
        target = SITE / page if not parts.path else Path(unquote(urljoin(f"/{page}", parts.path)).lstrip("/"))
        target = target if target.is_absolute() else SITE / target
        assert target.exists(), f"{page} links to {href}, which does not exist"
        if parts.fragment and target.suffix == ".html":
            ids = set(re.findall(r'id="([^"]+)"', target.read_text()))
            assert unquote(parts.fragment) in ids, f"{page} links to {href}: no such anchor"


def test_phone_menu_opens_and_navigates(offline, site):
    o = visit(offline, site, "notebooks/00_introduction.html", "phone")
    p = o.page
    sidebar = p.locator(".bd-sidebar-primary")
    assert not sidebar.is_visible() or sidebar.bounding_box()["x"] < 0, "the menu is open before it is asked for"
    p.locator(".primary-toggle:visible").first.click()
    p.wait_for_timeout(500)
    box = sidebar.bounding_box()
    assert sidebar.is_visible() and box["x"] >= 0 and box["width"] > 200, "the phone menu did not open"
    sidebar.get_by_role("link", name=re.compile("Collaborative filtering")).click()
    p.wait_for_url(re.compile(r"03_collaborative_filtering\.html"))


def test_solutions_are_folded_and_hidden_tests_nowhere(offline, site):
    lines = block_lines("hidden")
    assert lines, "no hidden test was found to look for"
    places = {str(p.relative_to(SITE)): text_of(p) for p in SITE.rglob("*")
              if p.is_file() and p.suffix in (".html", ".ipynb", ".js", ".txt", ".json") and "_static" not in p.parts}
    assert sum("notebooks" in w for w in places) >= 2 * len(CHAPTERS)          # pages and downloads looked at
    check_line = next(c for c in notebook(CHAPTERS[0])["cells"] if is_check(c))["source"]
    visible = next(ln.strip() for ln in "".join(check_line).splitlines() if "assert" in ln)
    assert visible in places[f"notebooks/{CHAPTERS[0]}.html"], "the search cannot see code on the page at all"
    for where, text in places.items():
        if "instructors" not in where:                                          # the guide explains the marker
            assert "BEGIN HIDDEN TESTS" not in text, f"{where} shows a hidden-test block"
        leaked = [ln for ln in lines if ln in text]
        assert not leaked, f"{where} shows hidden tests: {leaked[:2]}"
    for stem in CHAPTERS:
        o = visit(offline, site, f"notebooks/{stem}.html", "desktop")
        solutions = o.page.locator("div.cell.tag_hide-cell")
        assert solutions.count() >= 3
        for i in range(solutions.count()):
            assert not solutions.nth(i).locator("pre").first.is_visible(), f"{stem}: solution {i} is not folded"
        download = json.loads((SITE / "_sources" / "notebooks" / f"{stem}.ipynb").read_text())
        for cell in download["cells"]:
            assert "recsys_lite" not in cell["metadata"], f"{stem}: the download keeps stored wrong answers"
            if is_solution(cell):
                assert cell["metadata"]["jupyter"] == {"source_hidden": True, "outputs_hidden": True}


def test_each_widget_has_a_static_twin(offline, site):
    for stem in CHAPTERS:
        o = visit(offline, site, f"notebooks/{stem}.html", "desktop")
        widgets = o.page.locator("div.cell.tag_remove-output")
        assert widgets.count() >= 1, f"{stem} has no widget"
        for i in range(widgets.count()):
            twin = widgets.nth(i).locator("xpath=following-sibling::div[contains(@class, 'cell')][1]")
            assert twin.locator(".cell_output img, .cell_output table, .cell_output pre").count() > 0, \
                f"{stem}: widget {i} has no static output after it"


def test_search_finds_a_metric_by_name(offline, site):
    o = offline("desktop")
    o.page.goto(f"{site}/search.html?q=NDCG", wait_until="networkidle")
    o.page.wait_for_selector("#search-results li a", timeout=30000)
    links = o.page.eval_on_selector_all("#search-results li a", "as => as.map(a => a.getAttribute('href'))")
    assert any("02_metrics" in href for href in links), links


@pytest.mark.skipif(not (COURSE_SITE / "index.html").is_file(), reason="no course edition built (make book EDITION=course)")
def test_the_course_edition_shows_no_solution():
    solutions, written = block_lines("solution"), written_lines()
    assert solutions and written
    for stem in CHAPTERS:
        for path in (COURSE_SITE / "notebooks" / f"{stem}.html", COURSE_SITE / "_sources" / "notebooks" / f"{stem}.ipynb"):
            text = text_of(path)
            leaked = [ln for ln in solutions + written if ln in text]
            assert not leaked, f"{path.relative_to(COURSE_SITE)} shows a solution: {leaked[:2]}"
            assert "raise NotImplementedError()" in text and "BEGIN HIDDEN TESTS" not in text
