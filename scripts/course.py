"""The course kit: every chapter as an nbgrader assignment.

    python scripts/course.py build   [--course DIR]              # make course
    python scripts/course.py samples DEST [--course DIR]         # make samples
    python scripts/course.py grade SUBMISSIONS [--course DIR] [--out CSV]   # make grade

`build` copies each notebook of notebooks/ into an nbgrader course folder (source/<chapter>/)
and runs `nbgrader generate_assignment`, which writes the student version (solutions replaced
by stubs, hidden tests removed) to release/<chapter>/.

`samples` writes a folder of sample submissions in the layout `grade` expects,
DEST/<student>/<chapter>/<chapter>.ipynb: "stubs" (the student version, untouched),
"solutions" (the instructor version) and, for every exercise X, "wrong-X" (the solutions with
exercise X's answer replaced by the known wrong answer stored in its cell metadata).

`grade` copies submissions into the course, runs `nbgrader autograde` for each chapter, then
writes nbgrader's grades CSV (one row per student and chapter) and, beside it,
<name>_by_exercise.csv (one row per student, chapter and exercise).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
COURSE = REPO / "course"

CONFIG = """\
# nbgrader configuration of the RecSys Lite course (written by scripts/course.py).
c = get_config()
c.CourseDirectory.course_id = "recsys-lite"
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = "sqlite:///" + {db!r}
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.Execute.timeout = 300          # seconds per cell; a whole chapter runs in about a minute
c.ExecutePreprocessor.kernel_name = "python3"
"""


MIN_EXERCISES = 3


def validate(notebook: dict, name: str = "notebook") -> list[str]:
    """What is wrong with a chapter's exercises (empty when nothing is). The convention:
    an '## Exercises' section with at least three exercises; each a solution cell (nbgrader
    solution, BEGIN/END SOLUTION markers, a known wrong answer in metadata.recsys_lite,
    folded on the website by the hide-input tag) followed directly by its autograded check
    cell (nbgrader grade, locked, points > 0, at least one assert, grade_id <id>-check)."""
    problems, cells = [], notebook.get("cells", [])
    if not any(c["cell_type"] == "markdown" and "## Exercises" in "".join(c["source"]) for c in cells):
        problems.append(f"{name}: no '## Exercises' section")
    seen_ids = set()
    n_exercises = 0
    for i, cell in enumerate(cells):
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None:
            continue
        gid = meta.get("grade_id")
        where = f"{name} cell {i} ({gid})"
        if not gid or gid in seen_ids:
            problems.append(f"{where}: missing or duplicate grade_id")
        seen_ids.add(gid)
        if meta.get("schema_version") != 3:
            problems.append(f"{where}: nbgrader schema_version must be 3")
        if not meta.get("solution"):
            continue
        n_exercises += 1
        source = "".join(cell["source"])
        if meta.get("grade") or "### BEGIN SOLUTION" not in source or "### END SOLUTION" not in source:
            problems.append(f"{where}: a solution cell needs grade=false and BEGIN/END SOLUTION markers")
        if not cell.get("metadata", {}).get("recsys_lite", {}).get("wrong_answer"):
            problems.append(f"{where}: no known wrong answer in metadata.recsys_lite.wrong_answer")
        if "hide-input" not in cell.get("metadata", {}).get("tags", []):
            problems.append(f"{where}: solution not folded on the website (tag hide-input)")
        check = cells[i + 1] if i + 1 < len(cells) else None
        cmeta = (check or {}).get("metadata", {}).get("nbgrader", {})
        if not (check and check["cell_type"] == "code" and cmeta.get("grade") and not cmeta.get("solution")):
            problems.append(f"{where}: not followed by an autograded check cell")
            continue
        if not cmeta.get("locked") or not (cmeta.get("points") or 0) > 0:
            problems.append(f"{where}: its check cell must be locked and worth points > 0")
        if "assert" not in "".join(check["source"]):
            problems.append(f"{where}: its check cell asserts nothing")
        if gid and cmeta.get("grade_id") != gid.removesuffix("-answer") + "-check":
            problems.append(f"{where}: its check cell should be named {gid.removesuffix('-answer')}-check")
    if n_exercises < MIN_EXERCISES:
        problems.append(f"{name}: {n_exercises} exercises; every chapter needs at least {MIN_EXERCISES}")
    return problems


def chapters() -> list[str]:
    return [p.stem for p in sorted(NOTEBOOKS.glob("*.ipynb"))]


def nbgrader(*args: str, course: Path) -> None:
    bin_dir = Path(sys.executable).parent  # nbgrader runs helpers (alembic) found on PATH
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    exe = bin_dir / "nbgrader"
    cmd = [str(exe) if exe.exists() else "nbgrader", *args]
    done = subprocess.run(cmd, cwd=course, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def build(course: Path = COURSE) -> list[str]:
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(CONFIG.format(root=str(course.resolve()),
                                                             db=str((course / "gradebook.db").resolve())))
    names = chapters()
    problems = [p for n in names for p in validate(json.loads((NOTEBOOKS / f"{n}.ipynb").read_text()), n)]
    if problems:
        raise SystemExit("exercises are malformed:\n" + "\n".join(problems))
    for name in names:
        target = course / "source" / name
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(NOTEBOOKS / f"{name}.ipynb", target / f"{name}.ipynb")
        nbgrader("generate_assignment", name, "--force", course=course)
        print(f"released {course / 'release' / name / (name + '.ipynb')}")
    return names


def exercise_ids(notebook: dict) -> list[str]:
    """grade_id of every solution cell (one per exercise), in order."""
    return [c["metadata"]["nbgrader"]["grade_id"] for c in notebook["cells"]
            if c["metadata"].get("nbgrader", {}).get("solution")]


def with_wrong_answer(notebook: dict, grade_id: str) -> dict:
    """A copy of the notebook with one exercise answered by its stored wrong answer."""
    nb = json.loads(json.dumps(notebook))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            cell["source"] = cell["metadata"]["recsys_lite"]["wrong_answer"]
            return nb
    raise KeyError(grade_id)


def samples(dest: Path, course: Path = COURSE) -> list[str]:
    students = set()
    for name in chapters():
        release = course / "release" / name / f"{name}.ipynb"
        if not release.is_file():
            raise SystemExit(f"{release} is missing: run `make course` first.")
        source = json.loads((course / "source" / name / f"{name}.ipynb").read_text())
        versions = {"stubs": json.loads(release.read_text()), "solutions": source}
        for gid in exercise_ids(source):
            versions[f"wrong-{gid.removesuffix('-answer')}"] = with_wrong_answer(source, gid)
        for student, nb in versions.items():
            path = dest / student / name / f"{name}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(nb, indent=1))
            students.add(student)
    print(f"wrote sample submissions of {len(students)} students to {dest}")
    return sorted(students)


def grade(submissions: Path, out: Path, course: Path = COURSE) -> Path:
    if not submissions.is_dir():
        raise SystemExit(f"{submissions} is not a folder; expected <folder>/<student>/<chapter>/<chapter>.ipynb")
    graded = set()
    for nb_path in sorted(submissions.glob("*/*/*.ipynb")):
        student, chapter = nb_path.parent.parent.name, nb_path.parent.name
        if chapter not in chapters():
            print(f"skipping {nb_path}: no chapter named {chapter}")
            continue
        target = course / "submitted" / student / chapter
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(nb_path, target / nb_path.name)
        graded.add(chapter)
    if not graded:
        raise SystemExit(f"no submissions found under {submissions}")
    for chapter in sorted(graded):
        nbgrader("autograde", chapter, "--create", "--force", course=course)
        print(f"autograded {chapter}")
    out.parent.mkdir(parents=True, exist_ok=True)
    nbgrader("export", f"--to={out.resolve()}", course=course)
    by_exercise = out.with_name(out.stem + "_by_exercise.csv")
    write_exercise_grades(course, by_exercise)
    print(f"grades: {out}\nper exercise: {by_exercise}")
    return by_exercise


def write_exercise_grades(course: Path, path: Path) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{(course / 'gradebook.db').resolve()}") as gb, open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "assignment", "exercise", "score", "max_score"])
        for assignment in gb.assignments:
            for student in gb.students:
                try:
                    sub = gb.find_submission(assignment.name, student.id)
                except Exception:  # nbgrader raises MissingEntry
                    continue
                for nb in sub.notebooks:
                    for g in sorted(nb.grades, key=lambda g: g.name):
                        writer.writerow([student.id, assignment.name, g.name.removesuffix("-check"),
                                         g.score, g.max_score])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/course.py")
    parser.add_argument("command", choices=["build", "samples", "grade"])
    parser.add_argument("folder", nargs="?", help="samples: where to write; grade: the submissions")
    parser.add_argument("--course", type=Path, default=COURSE)
    parser.add_argument("--out", type=Path, default=None, help="grades CSV (default COURSE/grades.csv)")
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.course)
    elif args.command == "samples":
        samples(Path(args.folder or args.course / "samples"), args.course)
    else:
        if not args.folder:
            parser.error("grade needs the submissions folder")
        grade(Path(args.folder), args.out or args.course / "grades.csv", args.course)
    return 0


if __name__ == "__main__":
    sys.exit(main())
