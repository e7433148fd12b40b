"""Every chapter's exercises follow the course convention, and the validator that says so can
fail: it is shown broken notebooks and must name what is wrong."""
import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("course", REPO / "scripts" / "course.py")
course = importlib.util.module_from_spec(spec)
spec.loader.exec_module(course)
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


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


def first_solution(nb):
    return next(i for i, c in enumerate(nb["cells"]) if c["metadata"].get("nbgrader", {}).get("solution"))


def test_validator_catches_a_missing_check_cell():
    nb = load(NOTEBOOKS[0])
    i = first_solution(nb)
    del nb["cells"][i + 1]
    assert any("not followed by an autograded check cell" in p for p in course.validate(nb))


@pytest.mark.parametrize("breakage,message", [
    (lambda meta, check: meta.pop("grade_id"), "missing or duplicate grade_id"),
    (lambda meta, check: meta.update(schema_version=1), "schema_version"),
    (lambda meta, check: check["metadata"]["nbgrader"].update(points=0), "points > 0"),
    (lambda meta, check: check["metadata"]["nbgrader"].update(locked=False), "locked"),
    (lambda meta, check: check.update(source=["print('no checks')"]), "asserts nothing"),
])
def test_validator_catches_malformed_metadata(breakage, message):
    nb = load(NOTEBOOKS[0])
    i = first_solution(nb)
    breakage(nb["cells"][i]["metadata"]["nbgrader"], nb["cells"][i + 1])
    assert any(message in p for p in course.validate(nb))


def test_validator_catches_missing_markers_and_too_few_exercises():
    nb = load(NOTEBOOKS[0])
    i = first_solution(nb)
    nb["cells"][i]["source"] = ["x = 1"]
    problems = course.validate(nb)
    assert any("BEGIN/END SOLUTION" in p for p in problems)
    nb = load(NOTEBOOKS[0])
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
