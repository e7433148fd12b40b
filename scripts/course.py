"""The course kit: every chapter as an nbgrader assignment.

    python scripts/course.py build   [--course DIR]              # make course
    python scripts/course.py samples DEST [--course DIR]         # make samples
    python scripts/course.py grade SUBMISSIONS [--course DIR] [--out CSV]   # make grade
    python scripts/course.py export [--course DIR] [--out CSV]              # make grades

`build` copies each notebook of notebooks/ into an nbgrader course folder (source/<chapter>/)
and runs `nbgrader generate_assignment`, which writes the student version (solutions replaced
by stubs, hidden tests removed) to release/<chapter>/.

`samples` writes a folder of sample submissions in the layout `grade` expects,
DEST/<student>/<chapter>/<chapter>.ipynb: "stubs" (the student version, untouched),
"solutions" (the instructor version) and "wrong" (the solutions with *every* exercise's answer
replaced by the known wrong answer stored in its cell metadata: the checks are independent
cells, so one submission shows that each check rejects its wrong answer).

`grade` copies submissions into the course, runs `nbgrader autograde` on each submission (as many
at once as there are cores), then writes grades.csv (one row per student and chapter, "missing"
where a chapter was not submitted) and, beside it, <name>_by_exercise.csv (one row per student,
chapter and exercise). It exits non-zero, naming the student and chapter, when a cell timed out
or a cell outside the exercises failed: then the grade says nothing about the student's work.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
COURSE = REPO / "course"

CONFIG = """\
# nbgrader configuration of the RecSys Lite course (written by scripts/course.py).
c = get_config()
c.CourseDirectory.course_id = "recsys-lite"
c.CourseDirectory.root = {root!r}
# chapters are graded in parallel: wait up to 60 s for the other grader's write to finish
c.CourseDirectory.db_url = "sqlite:///" + {db!r} + "?timeout=60"
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
# Seconds per cell. A chapter runs in about a minute on a laptop; the limit is a safety net for
# a slow or busy machine, not a budget (`make bench` keeps the budget). A cell that still times
# out makes `make grade` fail, naming the student and chapter.
c.Execute.timeout = {timeout}
c.ExecutePreprocessor.kernel_name = "python3"
"""
CELL_TIMEOUT_S = 1800


MIN_EXERCISES = 3


def exercise_of(grade_id: str) -> str:
    """The exercise a graded cell belongs to: ch2-ex1-check-p3 -> ch2-ex1, ch2-ex4-answer -> ch2-ex4."""
    return re.sub(r"-(answer|check(-[a-z0-9_-]+)?)$", "", grade_id)


def validate(notebook: dict, name: str = "notebook") -> list[str]:
    """What is wrong with a chapter's exercises (empty when nothing is). The convention:

    an '## Exercises' section with at least three autograded exercises and one written answer.
    An autograded exercise is a solution cell (nbgrader solution, BEGIN/END SOLUTION markers,
    folded on the website, input and output, by the hide-cell tag; metadata.recsys_lite holding
    ``answers``, the names the task asks for, ``wrong_answer``, a plausible wrong answer as a whole cell, and
    optionally ``mistakes``, the common mistakes the task warns about) followed directly by one
    or more autograded check cells, its graded parts (nbgrader grade, locked, points > 0, at
    least one assert, grade_id <id>-check or <id>-check-<part>). A written answer is a markdown
    cell that nbgrader grades by hand (solution and grade, points > 0, grade_id <id>-answer),
    holding a model answer for the instructor.
    """
    problems, cells = [], notebook.get("cells", [])
    if not any(c["cell_type"] == "markdown" and "## Exercises" in "".join(c["source"]) for c in cells):
        problems.append(f"{name}: no '## Exercises' section")
    seen_ids = set()
    n_auto = n_written = 0
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
        if cell["cell_type"] == "markdown":
            n_written += 1
            if not meta.get("grade") or not (meta.get("points") or 0) > 0 or not (gid or "").endswith("-answer"):
                problems.append(f"{where}: a written answer is graded by hand: grade=true, points > 0, grade_id <id>-answer")
            continue
        n_auto += 1
        source = "".join(cell["source"])
        book = cell.get("metadata", {}).get("recsys_lite", {})
        if meta.get("grade") or "### BEGIN SOLUTION" not in source or "### END SOLUTION" not in source:
            problems.append(f"{where}: a solution cell needs grade=false and BEGIN/END SOLUTION markers")
        if not book.get("wrong_answer"):
            problems.append(f"{where}: no known wrong answer in metadata.recsys_lite.wrong_answer")
        answers = book.get("answers")
        if not (isinstance(answers, list) and answers and all(isinstance(a, str) and a.isidentifier() for a in answers)):
            problems.append(f"{where}: metadata.recsys_lite.answers must list the names the task asks for")
        for m in book.get("mistakes", []):
            if not (isinstance(m, dict) and m.get("mistake") and m.get("source")):
                problems.append(f"{where}: each of metadata.recsys_lite.mistakes needs 'mistake' and 'source'")
        if "hide-cell" not in cell.get("metadata", {}).get("tags", []):
            problems.append(f"{where}: solution and its output not folded on the website (tag hide-cell)")
        parts = []
        for check in cells[i + 1:]:
            cmeta = check.get("metadata", {}).get("nbgrader", {})
            if not (check["cell_type"] == "code" and cmeta.get("grade") and not cmeta.get("solution")):
                break
            parts.append(check)
            cid = cmeta.get("grade_id") or ""
            if not cmeta.get("locked") or not (cmeta.get("points") or 0) > 0:
                problems.append(f"{where}: its check cell {cid} must be locked and worth points > 0")
            if "assert" not in "".join(check["source"]):
                problems.append(f"{where}: its check cell {cid} asserts nothing")
            if gid and exercise_of(cid) != exercise_of(gid) or not re.search(r"-check(-[a-z0-9_-]+)?$", cid):
                problems.append(f"{where}: its check cell {cid} should be named {exercise_of(gid or '')}-check[-<part>]")
        if not parts:
            problems.append(f"{where}: not followed by an autograded check cell")
    if n_auto < MIN_EXERCISES:
        problems.append(f"{name}: {n_auto} autograded exercises; every chapter needs at least {MIN_EXERCISES}")
    if n_written < 1:
        problems.append(f"{name}: no written answer (a markdown cell graded by hand); every chapter needs one")
    return problems


def check_cells(notebook: dict, grade_id: str) -> list[dict]:
    """The graded parts (check cells) that follow an exercise's solution cell."""
    cells = notebook["cells"]
    i = next(j for j, c in enumerate(cells) if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)
    parts = []
    for check in cells[i + 1:]:
        cmeta = check["metadata"].get("nbgrader", {})
        if not (check["cell_type"] == "code" and cmeta.get("grade") and not cmeta.get("solution")):
            break
        parts.append(check)
    return parts


def chapters() -> list[str]:
    return [p.stem for p in sorted(NOTEBOOKS.glob("*.ipynb"))]


#: given to every kernel when submissions are graded side by side: two kernels that each spread
#: over every core (torch's and the BLAS's thread pools) slow each other down many times over
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


#: seconds one nbgrader run may take before it is stopped and run once more. The slowest
#: submission (chapter 10) grades in about 2 minutes; the limit is a safety net for a rare hang
#: (ipykernel 7 now and then loses a cell's reply, and the grader would wait the whole per-cell
#: limit for it while the kernel sits idle), not a budget. RECSYS_LITE_GRADE_TIMEOUT overrides it.
RUN_TIMEOUT_S = 900


def run_with_retry(cmd: list[str], *, timeout: float, attempts: int = 2, **kwargs) -> subprocess.CompletedProcess:
    """Run ``cmd`` (in a session of its own, so that a stop reaches its kernels too); if it
    takes longer than ``timeout`` seconds, stop it and start it again, ``attempts`` times in all."""
    for attempt in range(1, attempts + 1):
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True, **kwargs)
        try:
            out, err = proc.communicate(timeout=timeout)
            return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            print(f"{' '.join(cmd[1:3])}: no answer after {timeout:.0f} s (attempt {attempt} of {attempts})",
                  file=sys.stderr, flush=True)
    raise SystemExit(f"{' '.join(cmd)} did not finish in {timeout:.0f} s, {attempts} times; "
                     "set RECSYS_LITE_GRADE_TIMEOUT (seconds) on a slow machine")


def grade_timeout() -> float:
    """RUN_TIMEOUT_S, or RECSYS_LITE_GRADE_TIMEOUT when it is set (seconds, a positive number)."""
    raw = os.environ.get("RECSYS_LITE_GRADE_TIMEOUT")
    if raw is None:
        return float(RUN_TIMEOUT_S)
    try:
        seconds = float(raw)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise SystemExit(f"RECSYS_LITE_GRADE_TIMEOUT={raw!r}: expected a positive number of seconds")
    return seconds


def nbgrader(*args: str, course: Path, quiet_env: bool = False, env_extra: dict | None = None) -> None:
    bin_dir = Path(sys.executable).parent  # nbgrader runs helpers (alembic) found on PATH
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", **(env_extra or {})}
    if quiet_env:
        env["RECSYS_LITE_RESULTS"] = "off"   # students' runs never write the book's results records
    exe = bin_dir / "nbgrader"
    cmd = [str(exe) if exe.exists() else "nbgrader", *args]
    done = run_with_retry(cmd, timeout=grade_timeout(), cwd=course, env=env)
    if done.returncode != 0:
        raise SystemExit(f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def build(course: Path = COURSE, timeout: int = CELL_TIMEOUT_S) -> list[str]:
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(CONFIG.format(root=str(course.resolve()), timeout=int(timeout),
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
        released = course / "release" / name / f"{name}.ipynb"
        released.write_text(json.dumps(strip_book_metadata(json.loads(released.read_text())), indent=1) + "\n")
        print(f"released {released}")
    return names


def strip_book_metadata(notebook: dict) -> dict:
    """The student version keeps nothing of the book's own metadata: the stored wrong answers
    (and their comments, which give the fix away) live in metadata.recsys_lite."""
    for cell in notebook["cells"]:
        cell.get("metadata", {}).pop("recsys_lite", None)
    notebook.get("metadata", {}).pop("recsys_lite", None)
    return notebook


def exercise_ids(notebook: dict) -> list[str]:
    """grade_id of every autograded exercise's solution cell, in order (written answers, graded
    by hand, are `written_ids`)."""
    return [c["metadata"]["nbgrader"]["grade_id"] for c in notebook["cells"]
            if c["metadata"].get("nbgrader", {}).get("solution") and c["cell_type"] == "code"]


def written_ids(notebook: dict) -> list[str]:
    """grade_id of every written answer (a markdown cell graded by hand), in order."""
    return [c["metadata"]["nbgrader"]["grade_id"] for c in notebook["cells"]
            if c["metadata"].get("nbgrader", {}).get("solution") and c["cell_type"] == "markdown"]


def with_wrong_answers(notebook: dict, grade_ids=None) -> dict:
    """A copy of the notebook with the exercises ``grade_ids`` (all, if None) answered by their
    stored wrong answers."""
    nb = json.loads(json.dumps(notebook))
    wanted = set(exercise_ids(notebook) if grade_ids is None else grade_ids)
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") in wanted:
            cell["source"] = cell["metadata"]["recsys_lite"]["wrong_answer"]
            wanted.discard(cell["metadata"]["nbgrader"]["grade_id"])
    if wanted:
        raise KeyError(f"no solution cells {sorted(wanted)}")
    return nb


def samples(dest: Path, course: Path = COURSE) -> list[str]:
    students = set()
    for name in chapters():
        release = course / "release" / name / f"{name}.ipynb"
        if not release.is_file():
            raise SystemExit(f"{release} is missing: run `make course` first.")
        source = json.loads((course / "source" / name / f"{name}.ipynb").read_text())
        versions = {"stubs": json.loads(release.read_text()), "solutions": source,
                    "wrong": with_wrong_answers(source)}
        for student, nb in versions.items():
            path = dest / student / name / f"{name}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(nb, indent=1))
            students.add(student)
    print(f"wrote sample submissions of {len(students)} students to {dest}")
    return sorted(students)


def grade(submissions: Path, out: Path, course: Path = COURSE, jobs: int | None = None) -> Path:
    if not submissions.is_dir():
        raise SystemExit(f"{submissions} is not a folder; expected <folder>/<student>/<chapter>/<chapter>.ipynb")
    graded: dict[str, list[str]] = {}
    for nb_path in sorted(submissions.glob("*/*/*.ipynb")):
        student, chapter = nb_path.parent.parent.name, nb_path.parent.name
        if chapter not in chapters():
            print(f"skipping {nb_path}: no chapter named {chapter}")
            continue
        target = course / "submitted" / student / chapter
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        shutil.copyfile(nb_path, target / nb_path.name)
        stamp = nb_path.parent / "timestamp.txt"   # nbgrader's exchange writes one; else the file's time
        when = (stamp.read_text().strip() if stamp.is_file() else
                dt.datetime.fromtimestamp(nb_path.stat().st_mtime, dt.timezone.utc).isoformat(sep=" "))
        (target / "timestamp.txt").write_text(when + "\n")
        graded.setdefault(chapter, []).append(student)
    if not graded:
        raise SystemExit(f"no submissions found under {submissions}")
    # One nbgrader process per submission, the longest chapters first, as many at once as
    # there are cores: the two cores stay busy even when one chapter is much longer than the rest.
    tasks = sorted(((chapter, student) for chapter, students in graded.items() for student in students),
                   key=lambda t: -(NOTEBOOKS / f"{t[0]}.ipynb").stat().st_size)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{(course / 'gradebook.db').resolve()}") as gb:   # before graders run in parallel
        for student in sorted({s for students in graded.values() for s in students}):
            gb.update_or_create_student(student)

    def autograde(task):
        chapter, student = task
        started = time.perf_counter()
        # Kernels started at the same moment by two graders can pick the same free TCP port and
        # then hear each other's messages (a grader waits forever for a reply that went to the
        # other kernel). Over IPC sockets in a folder of its own, each kernel's channels are its own.
        with tempfile.TemporaryDirectory(prefix="kernel-") as sockets:
            nbgrader("autograde", chapter, f"--student={student}", "--force",
                     "--KernelManager.transport=ipc", f"--KernelManager.ip={sockets}/k",
                     course=course, quiet_env=True, env_extra=ONE_THREAD if jobs > 1 else None)
        seconds = time.perf_counter() - started
        print(f"autograded {student}/{chapter} in {seconds:.0f} s", flush=True)
        return {"chapter": chapter, "student": student, "seconds": seconds}

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        timings = list(pool.map(autograde, tasks))
    (course / "grading_times.json").write_text(json.dumps(
        {"jobs": jobs, "wall_seconds": time.perf_counter() - started, "submissions": timings}, indent=1))
    by_exercise = export(course, out)
    problems = [p for chapter, students in sorted(graded.items()) for student in students
                for p in grading_problems(course, student, chapter)]
    if problems:
        raise SystemExit("grading did not run cleanly, so these grades say nothing about the work:\n- "
                         + "\n- ".join(problems))
    return by_exercise


def export(course: Path, out: Path) -> Path:
    """Write grades.csv and <name>_by_exercise.csv from the gradebook (again after grading
    written answers by hand in formgrader); returns the by-exercise file."""
    if not (course / "gradebook.db").is_file():
        raise SystemExit(f"{course / 'gradebook.db'} does not exist: nothing has been graded in {course} yet.")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_grades(course, out)
    by_exercise = out.with_name(out.stem + "_by_exercise.csv")
    write_exercise_grades(course, by_exercise)
    print(f"grades: {out}\nper exercise: {by_exercise}")
    return by_exercise


def grading_problems(course: Path, student: str, chapter: str) -> list[str]:
    """Why a submission's grade cannot be trusted: a cell timed out, or a cell outside the
    exercises (the chapter's own code) failed, e.g. on a machine under load. Errors in a
    student's answer cells and failed checks are what grading measures, not problems."""
    path = course / "autograded" / student / chapter / f"{chapter}.ipynb"
    if not path.is_file():
        return [f"{student}/{chapter}: nbgrader wrote no graded notebook"]
    problems = []
    for i, cell in enumerate(json.loads(path.read_text())["cells"]):
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            where = f"{student}/{chapter}, cell {i}"
            if "timeout" in output.get("ename", "").lower():
                problems.append(f"{where}: timed out (the per-cell limit is in {course / 'nbgrader_config.py'})")
            elif "nbgrader" not in cell.get("metadata", {}):
                problems.append(f"{where} (the chapter's own code) failed: {output.get('ename')}: {output.get('evalue')}")
    return problems


def write_grades(course: Path, path: Path) -> None:
    """One row per student and chapter: the submission time and score, or "missing" for a
    chapter the student did not submit (never a 0 that looks like a graded attempt). Until the
    written answers are graded by hand (formgrader), the status says so and the score counts
    them as 0."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{(course / 'gradebook.db').resolve()}") as gb, open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "chapter", "status", "submitted", "score", "max_score"])
        for student in sorted(gb.students, key=lambda s: s.id):
            for assignment in sorted(gb.assignments, key=lambda a: a.name):
                try:
                    sub = gb.find_submission(assignment.name, student.id)
                except MissingEntry:
                    writer.writerow([student.id, assignment.name, "missing", "", "", assignment.max_score])
                    continue
                status = "needs grading by hand" if sub.needs_manual_grade else "graded"
                writer.writerow([student.id, assignment.name, status,
                                 sub.timestamp.isoformat(sep=" ") if sub.timestamp else "", sub.score, sub.max_score])


def write_exercise_grades(course: Path, path: Path) -> None:
    """One row per student, chapter and graded cell: an autograded part of an exercise, or a
    written answer, whose status says whether it still needs grading by hand."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{(course / 'gradebook.db').resolve()}") as gb, open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "assignment", "exercise", "part", "status", "score", "max_score"])
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            for student in sorted(gb.students, key=lambda s: s.id):
                try:
                    sub = gb.find_submission(assignment.name, student.id)
                except MissingEntry:
                    continue
                for nb in sub.notebooks:
                    for g in sorted(nb.grades, key=lambda g: g.name):
                        if g.needs_manual_grade:
                            status = "needs grading by hand"
                        elif g.manual_score is not None:
                            status = "graded by hand"
                        elif g.cell_type == "markdown":
                            status = "left blank"          # nbgrader scores an untouched written answer 0
                        else:
                            status = "autograded"
                        writer.writerow([student.id, assignment.name, exercise_of(g.name), g.name, status,
                                         "" if g.needs_manual_grade else g.score, g.max_score])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/course.py")
    parser.add_argument("command", choices=["build", "samples", "grade", "export"])
    parser.add_argument("folder", nargs="?", help="samples: where to write; grade: the submissions")
    parser.add_argument("--course", type=Path, default=COURSE)
    parser.add_argument("--out", type=Path, default=None, help="grades CSV (default COURSE/grades.csv)")
    parser.add_argument("--jobs", type=int, default=None, help="chapters graded at once (default: one per core)")
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.course)
    elif args.command == "samples":
        samples(Path(args.folder or args.course / "samples"), args.course)
    elif args.command == "export":
        export(args.course, args.out or args.course / "grades.csv")
    else:
        if not args.folder:
            parser.error("grade needs the submissions folder")
        grade(Path(args.folder), args.out or args.course / "grades.csv", args.course, args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
