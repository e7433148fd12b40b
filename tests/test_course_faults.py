"""The grader must not report a grade it cannot trust: a cell that timed out, or a failure in the
chapter's own code (not the student's answer), makes `grade` exit non-zero naming the student
and chapter. A chapter a student did not submit is "missing" in grades.csv, not 0. Run on a
tiny chapter made here, so each case takes seconds."""
import csv
import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("course", REPO / "scripts" / "course.py")
course = importlib.util.module_from_spec(spec)
spec.loader.exec_module(course)


def cell(kind, source, **nbgrader):
    c = {"cell_type": kind, "metadata": {}, "source": source}
    if kind == "code":
        c.update(outputs=[], execution_count=None)
    if nbgrader:
        c["metadata"]["nbgrader"] = {"schema_version": 3, "task": False, "locked": False, "grade": False,
                                     "solution": False, **nbgrader}
    return c


def tiny_chapter(before_exercises="x = 1", answer="answer = x + 1"):
    cells = [cell("markdown", "# 9. Tiny"), cell("code", before_exercises), cell("markdown", "## Exercises")]
    for n in (1, 2, 3):
        solution = cell("code", f"### BEGIN SOLUTION\n{answer}\n### END SOLUTION",
                        grade_id=f"t-ex{n}-answer", solution=True)
        solution["metadata"]["recsys_lite"] = {"answers": ["answer"], "wrong_answer": "answer = 0"}
        solution["metadata"]["tags"] = ["hide-cell"]
        check = cell("code", "assert answer == 2, 'x plus one'", grade_id=f"t-ex{n}-check", grade=True,
                     locked=True, points=1)
        cells += [solution, check]
    cells.append(cell("markdown", "A model answer.", grade_id="t-ex4-answer", solution=True, grade=True, points=1))
    cells.append(cell("markdown", "## References"))
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"}}, "nbformat": 4, "nbformat_minor": 4}


@pytest.fixture
def tiny_course(tmp_path, monkeypatch):
    """A course whose only chapter is `tiny_chapter(...)`; returns a function that grades one
    student's submission of it (the instructor version) and returns what `grade` raised."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    monkeypatch.setattr(course, "NOTEBOOKS", notebooks)

    def run(timeout=60, **chapter):
        (notebooks / "09_tiny.ipynb").write_text(json.dumps(tiny_chapter(**chapter)))
        root = tmp_path / "course"
        course.build(root, timeout=timeout)
        sub = tmp_path / "submissions" / "ada" / "09_tiny"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / "09_tiny.ipynb").write_text((root / "source" / "09_tiny" / "09_tiny.ipynb").read_text())
        try:
            course.grade(tmp_path / "submissions", root / "grades.csv", root)
        except SystemExit as e:
            return root, str(e)
        return root, None

    return run


def test_a_clean_run_grades_without_complaint_and_marks_missing_chapters(tiny_course):
    root, error = tiny_course()
    assert error is None
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        gb.update_or_create_student("bea")            # on the roster, submitted nothing
    course.write_grades(root, root / "grades.csv")
    with open(root / "grades.csv") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert rows["ada"]["status"] == "needs grading by hand" and float(rows["ada"]["score"]) == 3 and rows["ada"]["submitted"]
    assert rows["bea"]["status"] == "missing" and rows["bea"]["score"] == ""


def test_a_failure_in_the_chapters_own_code_is_loud(tiny_course):
    _, error = tiny_course(before_exercises="x = 1\nraise RuntimeError('data folder not found')")
    assert error and "ada/09_tiny, cell 1" in error and "RuntimeError: data folder not found" in error


def test_a_timeout_is_loud(tiny_course):
    _, error = tiny_course(timeout=2, answer="import time; time.sleep(30); answer = x + 1")
    assert error and "ada/09_tiny" in error and "timed out" in error


def test_released_notebook_keeps_no_book_metadata():
    nb = tiny_chapter()
    stripped = course.strip_book_metadata(json.loads(json.dumps(nb)))
    assert "recsys_lite" not in json.dumps(stripped) and "recsys_lite" in json.dumps(nb)
