"""Every exercise's checks, tried in a live kernel against the answers a student might give.

Each chapter is executed once, as the book executes it; that execution also fills the book's
execution cache, so `make book` does not run the chapter again. Then, in the same kernel, for
every autograded exercise: its answer names are deleted (as in a student's fresh kernel) and
each check cell must fail on the stub (what the student version holds), on the stored wrong
answer and on each common mistake the exercise warns about, and pass on the solution. A stub
or a mistake passes the exercise's checks only if it loses no point: it must fail at least one
graded part (the stub, every part).

The nbgrader end-to-end test (test_course.py) grades the stub and the stored wrong answers for
real; this one is faster and also covers the common mistakes.
"""
import copy
import importlib.util
import json
import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
spec = importlib.util.spec_from_file_location("book_cache", REPO / "scripts" / "book_cache.py")
book_cache = importlib.util.module_from_spec(spec)
spec.loader.exec_module(book_cache)


def stub_of(source: str) -> str:
    """What nbgrader leaves of a solution cell in the student version: the stub, indented as
    the markers were."""
    def stub(match):
        return "\n".join(match.group(1) + line for line in STUB.splitlines())
    return re.sub(r"^([ \t]*)### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[ \t]*$", stub, source, flags=re.S | re.M)


def solution_of(source: str) -> str:
    """The solution cell with its marker lines removed, as the instructor runs it."""
    return re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", source, flags=re.M)


class Kernel:
    """A live kernel that ran the whole chapter; runs more code and says whether it failed."""

    def __init__(self, client):
        self.client = client

    def run(self, source: str) -> str | None:
        """None if the code ran, else the error's name and message."""
        cell = nbformat.v4.new_code_cell(source)
        try:
            self.client.execute_cell(cell, 0, store_history=False)
        except CellExecutionError as e:
            return f"{e.ename}: {e.evalue}"
        return None

    def forget(self, names):
        self.run("\n".join(f"globals().pop({n!r}, None)" for n in names))


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=lambda p: p.stem)
def chapter(request):
    path = request.param
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel():
        start = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, index)      # a failing cell fails the test here
        book_cache.store_execution(path, copy.deepcopy(nb), time.perf_counter() - start)
        yield path, nb, Kernel(client)


def exercises(nb):
    cells = nb.cells
    for i, cell in enumerate(cells):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            parts = []
            for check in cells[i + 1:]:
                cmeta = check.metadata.get("nbgrader", {})
                if not (check.cell_type == "code" and cmeta.get("grade") and not cmeta.get("solution")):
                    break
                parts.append(check.source)
            yield meta["grade_id"], cell, parts


def assigned_names(source: str) -> set:
    """Names a cell binds in the notebook's namespace (not the locals of functions it defines)."""
    import ast

    names, todo = set(), list(ast.parse(source).body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        todo.extend(ast.iter_child_nodes(node))
    return names


def test_every_check_passes_on_the_solution_and_fails_on_stubs_and_mistakes(chapter):
    path, nb, kernel = chapter
    problems = []
    for gid, cell, parts in exercises(nb):
        book = cell.metadata["recsys_lite"]
        forget = set(book["answers"]) | assigned_names(solution_of(cell.source))
        variants = [("the stub", stub_of(cell.source), "all"), ("the stored wrong answer", book["wrong_answer"], "some")]
        variants += [(f"the mistake '{m['mistake']}'", m["source"], "some") for m in book.get("mistakes", [])]
        for label, source, must_fail in variants:
            kernel.forget(forget)
            kernel.run(source)                     # it may well raise: a stub does
            failed = [kernel.run(part) for part in parts]
            if must_fail == "all" and not all(failed):
                problems.append(f"{gid}: a check part passes on {label}")
            if must_fail == "some" and not any(failed):
                problems.append(f"{gid}: every check passes on {label}")
        kernel.forget(forget)
        error = kernel.run(solution_of(cell.source))
        outcome = [kernel.run(part) for part in parts]
        if error or any(outcome):
            problems.append(f"{gid}: the solution fails: {error or [o for o in outcome if o]}")
    assert not problems, "\n".join(problems)
