"""End to end with nbgrader, through the instructors' own commands: `make course`, `make samples`
and `make grade` on a course folder of the test's own. Three sample submissions per chapter:
the untouched student version must score zero on every exercise, the solutions full marks, and
the solutions with *every* answer replaced by its stored wrong answer lose points on every
exercise (the check cells are independent, so one submission shows that each check rejects its
wrong answer). Written answers wait, ungraded, for the instructor. Each submission executes
the whole chapter once; submissions are graded side by side.
(tests/test_exercise_checks.py tries the common mistakes too, in a live kernel.)"""
import csv
import importlib.util
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("course", REPO / "scripts" / "course.py")
course = importlib.util.module_from_spec(spec)
spec.loader.exec_module(course)


def make(target, root, **variables):
    args = ["make", "--no-print-directory", "-C", str(REPO), target, f"COURSE={root}",
            *(f"{k}={v}" for k, v in variables.items())]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    make("samples", root)                                   # runs `make course` first
    make("grade", root, SUBMISSIONS=root / "samples")
    scores = defaultdict(dict)  # (student, chapter) -> graded part -> (exercise, status, score or None, max)
    with open(root / "grades_by_exercise.csv") as f:
        for row in csv.DictReader(f):
            score = float(row["score"]) if row["score"] else None
            scores[row["student_id"], row["assignment"]][row["part"]] = (row["exercise"], row["status"], score, float(row["max_score"]))
    return root, course.chapters(), scores


def autograded(parts):
    """exercise -> (score, max), summed over the exercise's autograded parts."""
    out = defaultdict(lambda: [0.0, 0.0])
    for exercise, status, score, full in parts.values():
        if status == "autograded":
            out[exercise][0] += score
            out[exercise][1] += full
    return {e: tuple(v) for e, v in out.items()}


def written(parts):
    return {part: status for part, (_, status, _, _) in parts.items() if status != "autograded"}


def released(root, name):
    return json.loads((root / "release" / name / f"{name}.ipynb").read_text())


def test_released_notebooks_give_nothing_away(graded):
    root, chapters, _ = graded
    for name in chapters:
        nb = released(root, name)
        text = json.dumps(nb)
        assert "raise NotImplementedError()" in text
        for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "wrong_answer", "mistakes", "recsys_lite\": {",
                       "A model answer (for the instructor"):
            assert secret not in text, (name, secret)
        source = json.loads((root / "source" / name / f"{name}.ipynb").read_text())
        student_cells = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
                         for c in nb["cells"] if "nbgrader" in c["metadata"]}
        for gid in course.exercise_ids(source):
            solution = next(c for c in source["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == gid)
            body = "".join(solution["source"]).split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
            lines = [ln.strip() for ln in body.splitlines() if ln.strip() and not ln.strip().startswith("#")]
            assert lines and not any(ln in student_cells[gid] for ln in lines), (name, gid, "the answer is in the stub")


def test_stubs_score_zero_everywhere(graded):
    _, chapters, scores = graded
    for name in chapters:
        got = scores["stubs", name]
        assert got and all(score == 0 for _, status, score, _ in got.values() if status == "autograded"), (name, got)


def test_solutions_score_full_marks(graded):
    _, chapters, scores = graded
    for name in chapters:
        got = autograded(scores["solutions", name])
        assert len(got) >= 3 and all(score == full > 0 for score, full in got.values()), (name, got)


def test_every_stored_wrong_answer_fails_its_check(graded):
    root, chapters, scores = graded
    for name in chapters:
        source = json.loads((root / "source" / name / f"{name}.ipynb").read_text())
        ids = [course.exercise_of(g) for g in course.exercise_ids(source)]
        got = autograded(scores["wrong", name])
        assert set(got) == set(ids) and all(got[ex][0] < got[ex][1] for ex in ids), (name, got)
        parts = scores["wrong", name]
        for ex in ids:   # and at least one of its parts scores nothing
            assert any(score == 0 for e, status, score, _ in parts.values() if e == ex and status == "autograded"), (name, ex)


def test_written_answers_wait_for_the_instructor(graded):
    root, chapters, scores = graded
    for name in chapters:
        source = json.loads((root / "source" / name / f"{name}.ipynb").read_text())
        expected = set(course.written_ids(source))
        assert expected, name
        assert written(scores["stubs", name]) == dict.fromkeys(expected, "left blank"), name     # scored 0 by nbgrader
        for student in ("solutions", "wrong"):
            assert written(scores[student, name]) == dict.fromkeys(expected, "needs grading by hand"), (name, student)


def test_grades_csv(graded):
    root, chapters, scores = graded
    with open(root / "grades.csv") as f:
        rows = {(r["student_id"], r["chapter"]): r for r in csv.DictReader(f)}
    for name in chapters:
        auto_points = sum(full for score, full in autograded(scores["solutions", name]).values())
        assert float(rows["solutions", name]["score"]) == auto_points > 0      # written answers count once graded
        assert float(rows["stubs", name]["score"]) == 0 and rows["stubs", name]["status"] == "graded"
        assert rows["solutions", name]["status"] == "needs grading by hand"
        assert rows["stubs", name]["submitted"], "every graded row has its submission time"


def test_a_hung_grader_run_is_stopped_and_run_again(tmp_path):
    """A grader that hangs (ipykernel 7 now and then loses a reply) is stopped with everything it
    started and run once more; one that hangs every time fails with a clear error."""
    import time
    marker = tmp_path / "hung-once"
    code = ("import pathlib, subprocess, sys, time\nm = pathlib.Path(sys.argv[1])\n"
            "if not m.exists():\n    m.touch()\n    subprocess.Popen(['sleep', '60'])\n    time.sleep(60)\n"
            "print('done')")
    start = time.perf_counter()
    done = course.run_with_retry([sys.executable, "-c", code, str(marker)], timeout=2)
    assert done.returncode == 0 and done.stdout.strip() == "done"
    assert time.perf_counter() - start < 20
    with pytest.raises(SystemExit, match="did not finish in 1 s, 2 times"):
        course.run_with_retry([sys.executable, "-c", "import time; time.sleep(30)"], timeout=1)


def test_the_grading_limit_can_be_raised_and_refuses_nonsense(monkeypatch):
    monkeypatch.delenv("RECSYS_LITE_GRADE_TIMEOUT", raising=False)
    assert course.grade_timeout() == course.RUN_TIMEOUT_S
    monkeypatch.setenv("RECSYS_LITE_GRADE_TIMEOUT", "2400")
    assert course.grade_timeout() == 2400
    for bad in ("ten", "0", "-5", "nan", "inf"):
        monkeypatch.setenv("RECSYS_LITE_GRADE_TIMEOUT", bad)
        with pytest.raises(SystemExit, match="RECSYS_LITE_GRADE_TIMEOUT"):
            course.grade_timeout()
