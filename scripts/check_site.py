"""After `make book`: check that the website exists, that each chapter's page shows its
figures, and that the results page ("All models side by side") shows every chapter's current
record and its figure. Exits 1 with the reason otherwise."""
import re
import sys
from pathlib import Path

SITE = Path(__file__).resolve().parents[1] / "_build" / "html"
NOTEBOOKS = sorted((SITE.parents[1] / "notebooks").glob("*.ipynb"))


def main() -> int:
    problems = []
    if not (SITE / "index.html").is_file():
        problems.append(f"{SITE / 'index.html'} was not built")
    index = (SITE / "index.html").read_text() if (SITE / "index.html").is_file() else ""
    landing = SITE / "book" / "intro.html"
    nav = landing.read_text() if landing.is_file() else index
    for nb in NOTEBOOKS:
        page = SITE / "notebooks" / f"{nb.stem}.html"
        if not page.is_file():
            problems.append(f"{page} was not built")
            continue
        html = page.read_text()
        images = re.findall(r'<img[^>]+src="([^"]+\.png)"', html)
        missing = [src for src in images if not (page.parent / src).is_file()]
        if not images:
            problems.append(f"{page.name} shows no figures")
        if missing:
            problems.append(f"{page.name} links figures that do not exist: {missing}")
        if "Traceback (most recent call last)" in html or 'class="output traceback"' in html:
            problems.append(f"{page.name} contains an error traceback")
        if f"notebooks/{nb.stem}.html" not in nav:
            problems.append(f"the landing page does not link {nb.stem}")
        print(f"{page.relative_to(SITE)}: {len(images)} figures")
    problems += check_results_page()
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    return 1 if problems else 0


def check_results_page() -> list[str]:
    page = SITE / "book" / "results.html"
    if not page.is_file():
        return [f"{page} was not built"]
    html = page.read_text()
    problems = []
    for nb in NOTEBOOKS:
        row = re.search(rf"<td[^>]*>{re.escape(nb.stem)}</td>(.*?)</tr>", html, re.S)
        if not row:
            problems.append(f"results.html does not list chapter {nb.stem}")
        elif ">current<" not in row.group(1):
            problems.append(f"results.html shows chapter {nb.stem} without a current record")
    if not re.search(r'<img[^>]+src="[^"]+\.png"', html):
        problems.append("results.html shows no figure")
    print(f"book/results.html: {len(NOTEBOOKS) - len(problems)} of {len(NOTEBOOKS)} chapters current")
    return problems


if __name__ == "__main__":
    sys.exit(main())
