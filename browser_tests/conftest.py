"""The browser test suite: the built website and JupyterLab, driven in Debian's Chromium through
Playwright (`make browser-test`, after `make book`; `scripts/browser_setup.sh` installs the
browser when it is missing: Playwright's own browser download cannot work offline).

Every page is served from 127.0.0.1 and every other request is cut off, so the site is tested as
a reader without a network sees it. Screenshots of every page at both widths go to
_build/screenshots (not committed) for a person to look at.
"""
import functools
import http.server
import os
import shutil
import socketserver
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "_build" / "html"
COURSE_SITE = REPO / "_build" / "course" / "_build" / "html"
SCREENSHOTS = REPO / "_build" / "screenshots"
CHROMIUM = os.environ.get("RECSYS_LITE_CHROMIUM", "/usr/bin/chromium")
# as the probe of this machine found: without the background-networking flags Chromium keeps
# trying to reach the closed network
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTHS = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder: Path):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/browser_setup.sh (or set RECSYS_LITE_CHROMIUM)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def site():
    if not (SITE / "index.html").is_file():
        pytest.fail(f"{SITE} has no built site: run `make book` first")
    server, url = serve(SITE)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def screenshots():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


class Offline:
    """A page that may fetch only from 127.0.0.1, and that keeps every console error, failed
    request and blocked request."""

    def __init__(self, browser, viewport):
        self.context = browser.new_context(viewport=viewport)
        self.page = self.context.new_page()
        self.errors, self.failed, self.blocked = [], [], []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}"))
        self.page.on("response", lambda r: self.failed.append(f"{r.url}: HTTP {r.status}") if r.status >= 400 else None)
        self.page.route("**/*", self._route)

    def _route(self, route):
        if route.request.url.startswith("http://127.0.0.1:"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def close(self):
        self.context.close()


@pytest.fixture
def offline(browser):
    made = []

    def make(width="desktop"):
        o = Offline(browser, WIDTHS[width])
        made.append(o)
        return o

    yield make
    for o in made:
        o.close()
