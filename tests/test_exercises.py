"""Every chapter's exercises follow the course convention, their checks are self-contained, and
the validator that says so can fail: it is shown broken notebooks and must name what is wrong."""
import ast
import builtins
import importlib.util
import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("course", REPO / "scripts" / "course.py")
course = importlib.util.module_from_spec(spec)
spec.loader.exec_module(course)
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
#: module aliases a check may use without importing them itself (nobody names a variable np)
MODULE_ALIASES = {"np", "pd", "sp", "plt"}


def load(path):
    return json.loads(path.read_text())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_exercises_are_well_formed(path):
    assert course.validate(load(path), path.name) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_come_last(path):
    cells = load(path)["cells"]
    first = next(i for i, c in enumerate(cells) if "## Exercises" in "".join(c["source"]))
    assert all(c["cell_type"] == "markdown" and "## References" in "".join(c["source"])
               for c in cells[first + 1:] if "nbgrader" not in c["metadata"]), "only references may follow the exercises"


def free_names(source: str) -> set:
    """Names a cell reads without binding them itself (imports, assignments, loops, functions,
    comprehensions and hidden-test blocks all bind)."""
    tree = ast.parse(source)
    bound, loaded = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, (ast.Store, ast.Del)) else loaded).add(node.id)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return loaded - bound - set(dir(builtins))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_checks_read_only_the_answers_they_grade(path):
    """A check (visible or hidden) may read the names its exercise asks for, common module
    aliases and what it builds itself: never a chapter variable that a student's other work
    could have overwritten (a helper named `items` must not cost points elsewhere)."""
    nb = load(path)
    problems = []
    for gid in course.exercise_ids(nb):
        solution = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == gid)
        answers = set(solution["metadata"]["recsys_lite"]["answers"])
        for check in course.check_cells(nb, gid):
            extra = free_names("".join(check["source"])) - answers - MODULE_ALIASES
            if extra:
                problems.append(f"{check['metadata']['nbgrader']['grade_id']} reads {sorted(extra)}")
    assert not problems, problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_hidden_asserts_say_what_was_checked(path):
    nb = load(path)
    for gid in course.exercise_ids(nb):
        for check in course.check_cells(nb, gid):
            source = "".join(check["source"])
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Assert):
                    assert node.msg is not None, f"{check['metadata']['nbgrader']['grade_id']}: an assert without a message"


def test_free_names_sees_through_bindings():
    assert free_names("import numpy as _np\n_x = [a for a in range(3)]\nassert _np.all(_x) and y") == {"y"}
    assert free_names("def f(v):\n    return v + w\nf(1)") == {"w"}


def first_solution(nb):
    return next(i for i, c in enumerate(nb["cells"]) if c["metadata"].get("nbgrader", {}).get("solution"))


def test_validator_catches_a_missing_check_cell():
    nb = load(NOTEBOOKS[0])
    i = first_solution(nb)
    while nb["cells"][i + 1]["metadata"].get("nbgrader", {}).get("grade"):
        del nb["cells"][i + 1]
    assert any("not followed by an autograded check cell" in p for p in course.validate(nb))


@pytest.mark.parametrize("breakage,message", [
    (lambda cell, check: cell["metadata"]["nbgrader"].pop("grade_id"), "missing or duplicate grade_id"),
    (lambda cell, check: cell["metadata"]["nbgrader"].update(schema_version=1), "schema_version"),
    (lambda cell, check: check["metadata"]["nbgrader"].update(points=0), "points > 0"),
    (lambda cell, check: check["metadata"]["nbgrader"].update(locked=False), "locked"),
    (lambda cell, check: check.update(source=["print('no checks')"]), "asserts nothing"),
    (lambda cell, check: check["metadata"]["nbgrader"].update(grade_id="ch9-ex9-check"), "should be named"),
    (lambda cell, check: cell["metadata"]["recsys_lite"].pop("answers"), "answers must list"),
    (lambda cell, check: cell["metadata"]["recsys_lite"].pop("wrong_answer"), "no known wrong answer"),
    (lambda cell, check: cell["metadata"]["recsys_lite"].update(mistakes=[{"source": "x = 1"}]), "needs 'mistake' and 'source'"),
    (lambda cell, check: cell["metadata"].update(tags=[]), "hide-cell"),
])
def test_validator_catches_malformed_metadata(breakage, message):
    nb = load(NOTEBOOKS[0])
    i = first_solution(nb)
    breakage(nb["cells"][i], nb["cells"][i + 1])
    assert any(message in p for p in course.validate(nb))


def test_validator_catches_missing_markers_too_few_exercises_and_no_written_answer():
    nb = load(NOTEBOOKS[0])
    i = first_solution(nb)
    nb["cells"][i]["source"] = ["x = 1"]
    assert any("BEGIN/END SOLUTION" in p for p in course.validate(nb))
    nb = load(NOTEBOOKS[0])
    nb["cells"] = [c for c in nb["cells"] if not (c["metadata"].get("nbgrader", {}).get("solution") and c["cell_type"] == "markdown")]
    assert any("no written answer" in p for p in course.validate(nb))
    nb["cells"] = [c for c in nb["cells"] if "nbgrader" not in c["metadata"]]
    assert any("every chapter needs at least 3" in p for p in course.validate(nb))


def test_wrong_answer_substitution_changes_only_the_chosen_cells():
    nb = load(NOTEBOOKS[0])
    ids = course.exercise_ids(nb)
    one = course.with_wrong_answers(nb, [ids[1]])
    changed = [i for i, (a, b) in enumerate(zip(nb["cells"], one["cells"])) if a["source"] != b["source"]]
    assert len(changed) == 1 and one["cells"][changed[0]]["metadata"]["nbgrader"]["grade_id"] == ids[1]
    every = course.with_wrong_answers(nb)
    changed = [b["metadata"]["nbgrader"]["grade_id"] for a, b in zip(nb["cells"], every["cells"]) if a["source"] != b["source"]]
    assert changed == ids
    with pytest.raises(KeyError, match="no solution cells"):
        course.with_wrong_answers(nb, ["no-such-exercise"])


def test_exercise_of_names():
    assert course.exercise_of("ch2-ex1-check-p3") == "ch2-ex1" == course.exercise_of("ch2-ex1-check")
    assert course.exercise_of("ch2-ex4-answer") == "ch2-ex4"
    assert re.fullmatch(r"ch\d+-ex\d+", course.exercise_of("ch10-ex12-check-a_b"))
