"""End to end with nbgrader: release every chapter, autograde sample submissions, and check that
the exercise checks can fail. Stubs score zero on every exercise, the solutions full marks,
and a known wrong answer to one exercise fails exactly that exercise. (About a minute: each
submission executes its whole chapter.)"""
import csv
import importlib.util
import json
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("course", REPO / "scripts" / "course.py")
course = importlib.util.module_from_spec(spec)
spec.loader.exec_module(course)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    chapters = course.build(root)
    course.samples(root / "samples", root)
    by_exercise = course.grade(root / "samples", root / "grades.csv", root)
    scores = defaultdict(dict)  # (student, chapter) -> exercise -> (score, max)
    with open(by_exercise) as f:
        for row in csv.DictReader(f):
            scores[row["student_id"], row["assignment"]][row["exercise"]] = (float(row["score"]), float(row["max_score"]))
    return root, chapters, scores


def test_student_version_has_stubs_and_no_hidden_tests(graded):
    root, chapters, _ = graded
    for name in chapters:
        text = (root / "release" / name / f"{name}.ipynb").read_text()
        assert "raise NotImplementedError()" in text
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text


def test_stubs_score_zero_everywhere(graded):
    _, chapters, scores = graded
    for name in chapters:
        got = scores["stubs", name]
        assert got and all(score == 0 for score, _ in got.values()), (name, got)


def test_solutions_score_full_marks(graded):
    _, chapters, scores = graded
    for name in chapters:
        got = scores["solutions", name]
        assert len(got) >= 3 and all(score == full > 0 for score, full in got.values()), (name, got)


def test_a_wrong_answer_fails_exactly_its_exercise(graded):
    root, chapters, scores = graded
    for name in chapters:
        ids = [g.removesuffix("-answer") for g in course.exercise_ids(json.loads((root / "source" / name / f"{name}.ipynb").read_text()))]
        for wrong in ids:
            got = scores[f"wrong-{wrong}", name]
            failed = {ex for ex, (score, full) in got.items() if score < full}
            assert failed == {wrong}, (name, wrong, got)
            assert got[wrong][0] == 0


def test_grades_csv_from_nbgrader(graded):
    root, chapters, _ = graded
    with open(root / "grades.csv") as f:
        rows = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(f)}
    for name in chapters:
        assert float(rows["solutions", name]["score"]) == float(rows["solutions", name]["max_score"]) > 0
        assert float(rows["stubs", name]["score"]) == 0
