"""The repository's own rules: clean notebooks, a table of contents that matches them, pins."""
import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_there_are_chapters():
    assert NOTEBOOKS, "no notebooks found under notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have stored outputs; clear them before committing"


def test_toc_lists_exactly_the_chapters_that_exist():
    toc = (REPO / "_toc.yml").read_text()
    listed = re.findall(r"file:\s*(\S+)", toc) + re.findall(r"root:\s*(\S+)", toc)
    for entry in listed:
        assert any((REPO / f"{entry}{ext}").is_file() for ext in (".md", ".ipynb")), f"{entry} is in _toc.yml but missing"
    chapters = {f"notebooks/{p.stem}" for p in NOTEBOOKS}
    assert chapters <= set(listed), f"chapters missing from _toc.yml: {sorted(chapters - set(listed))}"


def test_notebook_chapters_are_numbered_in_order():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == sorted(set(numbers)), "notebooks must be named NN_title.ipynb with distinct numbers"


def test_requirements_are_pinned_exactly():
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith(("-e ", "--")):
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][^\s]*", line), f"unpinned: {line}"
    assert "torch==2.13.0" in (REPO / "requirements.txt").read_text()


def test_no_dataset_files_are_tracked():
    import subprocess
    tracked = subprocess.run(["git", "ls-files", "data"], cwd=REPO, capture_output=True, text=True).stdout.split()
    assert set(tracked) <= {"data/README.md", "data/checksums.sha256"}, tracked
