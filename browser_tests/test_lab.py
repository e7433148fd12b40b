"""JupyterLab as a student uses it: the reader copies that `make lab` prepares, opened in a real
JupyterLab, every cell run, the Markdown rendered, the widgets answering a change. Only the two
fastest chapters (the introduction and the metrics chapter): CI time is budgeted."""
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import REPO, WIDTHS

sys.path.insert(0, str(REPO / "scripts"))
import lab  # noqa: E402


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """JupyterLab on a folder laid out like the book's: lab/ (the reader copies) beside book/."""
    root = tmp_path_factory.mktemp("lab")
    lab.prepare(root / "lab")
    (root / "book").symlink_to(REPO / "book")
    # every cell in the page, not only those in view, so that the test sees them all
    settings = root / ".settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    log = open(root / "jupyterlab.log", "w")
    proc = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "jupyter"), "lab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={token}",
         "--LabApp.news_url=None", f"--LabApp.user_settings_dir={root / '.settings'}",
         f"--LabApp.workspaces_dir={root / '.workspaces'}"],
        env={**os.environ, "RECSYS_LITE_RESULTS": "off"}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.terminate()
        pytest.fail(f"JupyterLab did not start: {(root / 'jupyterlab.log').read_text()[-2000:]}")
    yield url, token
    proc.terminate()
    proc.wait(timeout=30)


NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"        # the notebook in view


def open_and_run(browser, jupyterlab, stem):
    url, token = jupyterlab
    page = browser.new_page(viewport=WIDTHS["desktop"])
    page.goto(f"{url}/lab/tree/lab/{stem}.ipynb?token={token}&reset")      # a fresh workspace: only this notebook
    page.wait_for_selector(f"{NOTEBOOK} .jp-Cell", state="attached", timeout=120_000)
    # The indicator reads 'idle' while the notebook has no kernel yet ('No Kernel' in the toolbar);
    # Run All Cells clicked then opens a Select Kernel dialog instead of running (CI once hung on it).
    page.wait_for_function(f"""() => {{
        const name = document.querySelector('{NOTEBOOK} .jp-Toolbar-kernelName')?.innerText.trim() ?? '';
        const status = document.querySelector('{NOTEBOOK} .jp-Notebook-ExecutionIndicator')?.dataset.status;
        return name !== '' && name !== 'No Kernel' && status === 'idle';
    }}""", timeout=120_000)
    run_all_cells(page)
    page.wait_for_selector(f"{NOTEBOOK} .jp-Notebook-ExecutionIndicator[data-status='idle']", state="attached",
                           timeout=120_000)
    return page


# What the notebook shows: every code cell's prompt ('[ ]:', '[*]:' queued or running, '[3]:' done;
# collapsed solution cells show none), the kernel's state, and whether an error was printed.
STATE = f"""() => ({{
    prompts: [...document.querySelectorAll('{NOTEBOOK} .jp-CodeCell .jp-InputPrompt')]
        .map(p => p.textContent.trim()).filter(t => t),
    status: document.querySelector('{NOTEBOOK} .jp-Notebook-ExecutionIndicator')?.dataset.status ?? '',
    error: document.querySelector("{NOTEBOOK} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']") !== null,
}})"""


def run_all_cells(page, timeout=600.0, patience=30.0):
    """Run > Run All Cells, and wait until the last code cell shows its execution number with none
    queued, or until an error stops the run.

    Safety nets for a busy machine: a Select Kernel dialog is answered with the preferred kernel; a
    click that started nothing (every prompt still '[ ]', or cells queued '[*]' while the kernel
    sits idle) is repeated after `patience` seconds; any other dialog fails the test at once."""
    start = moved = time.monotonic()
    last_click, seen = None, (0, "")
    while time.monotonic() - start < timeout:
        state = page.evaluate(STATE)
        prompts = state["prompts"]
        finished = sum(bool(re.fullmatch(r"\[\d+\]:", p)) for p in prompts)
        if state["error"] or (prompts and re.fullmatch(r"\[\d+\]:", prompts[-1]) and "[*]:" not in prompts):
            return
        if (finished, state["status"]) != seen:                 # something moved: the run is alive
            seen, moved = (finished, state["status"]), time.monotonic()
        stalled = "[*]:" not in prompts or (state["status"] == "idle" and time.monotonic() - moved > patience)
        dialog = page.locator(".jp-Dialog")
        if dialog.count():
            text = dialog.first.inner_text()
            if "Select Kernel" not in text:
                pytest.fail(f"JupyterLab asked something unexpected: {text[:300]!r}")
            dialog.first.locator(".jp-mod-accept").click()           # the preferred kernel, as a reader would
            dialog.first.wait_for(state="detached", timeout=30_000)
            moved = time.monotonic()
            continue
        if last_click is None or (stalled and time.monotonic() - last_click > patience):
            page.keyboard.press("Escape")                       # a menu left open by an earlier try
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Run All Cells$")).click()
            last_click = moved = time.monotonic()
        time.sleep(0.5)
    pytest.fail(f"the notebook did not finish within {timeout:.0f} s: kernel {state['status']!r}, "
                f"prompts {prompts}")


def errors_in(page) -> list[str]:
    return page.eval_on_selector_all(
        f"{NOTEBOOK} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
        "els => els.map(e => e.textContent).filter(t => /Error|Traceback/.test(t)).map(t => t.slice(0, 300))")


@pytest.mark.parametrize("stem", ["00_introduction", "02_metrics"])
def test_a_chapter_runs_and_reads_in_jupyterlab(browser, jupyterlab, stem):
    page = open_and_run(browser, jupyterlab, stem)
    try:
        assert errors_in(page) == []
        rendered = page.locator(f"{NOTEBOOK} .jp-MarkdownOutput").all_inner_texts()
        text = "\n".join(rendered)
        for raw in ("{footcite}", "{footbibliography}", ":::{note}", ":::{admonition}"):
            assert raw not in text, f"MyST markup shown raw in JupyterLab: {raw}"
        assert re.search(r"\(\w[\w-]* (and \w[\w-]* |et al\. )?\d{4}\)", text), "no citation rendered as (Author year)"
        assert page.locator(f"{NOTEBOOK} .jp-MarkdownOutput blockquote, {NOTEBOOK} .jp-MarkdownOutput details").count() >= 1
        references = page.locator(f"{NOTEBOOK} .jp-MarkdownOutput", has_text="References").last.locator("li")
        assert references.count() >= 3, "the reference list is empty"
        assert page.locator(f"{NOTEBOOK} .jp-MarkdownOutput mjx-container").count() > 0, "maths not typeset"
    finally:
        page.close()


def test_the_widgets_answer_a_change(browser, jupyterlab):
    page = open_and_run(browser, jupyterlab, "00_introduction")
    try:
        view = page.locator(f"{NOTEBOOK} .widget-html").first
        before = view.inner_text()
        box = page.locator(f"{NOTEBOOK} .widget-text input").first          # the searchable user box
        box.fill("7")
        box.press("Enter")
        page.wait_for_function(f"t => !document.querySelector('{NOTEBOOK} .widget-html').innerText.includes(t)",
                               arg=before[:40], timeout=60_000)
        assert "User 7:" in view.inner_text()
    finally:
        page.close()
    page = open_and_run(browser, jupyterlab, "02_metrics")
    try:
        view = page.locator(f"{NOTEBOOK} .widget-html").first
        before = view.inner_text()
        page.locator(f"{NOTEBOOK} .widget-toggle-button").nth(1).click()          # mark the 2nd film relevant
        page.wait_for_function(f"t => document.querySelector('{NOTEBOOK} .widget-html').innerText !== t",
                               arg=before, timeout=60_000)
        assert view.inner_text() != before
    finally:
        page.close()


def test_a_cross_link_opens_the_page(browser, jupyterlab):
    url, token = jupyterlab
    page = browser.new_page(viewport=WIDTHS["desktop"])
    try:
        page.goto(f"{url}/lab/tree/lab/00_introduction.ipynb?token={token}&reset")
        page.wait_for_selector(f"{NOTEBOOK} .jp-Cell", state="attached", timeout=120_000)
        page.locator(f"{NOTEBOOK} .jp-MarkdownOutput a", has_text="Setting up").first.click()
        page.wait_for_selector(".lm-TabBar-tabLabel:has-text('setup.md')", timeout=30_000)
    finally:
        page.close()
