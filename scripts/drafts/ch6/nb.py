import json, textwrap
CELLS = []
def _d(s): return textwrap.dedent(s).strip("\n")
def _grader(gid, grade, solution, locked, points=None):
    m = {"grade": grade, "grade_id": gid, "locked": locked, "schema_version": 3, "solution": solution, "task": False}
    if points is not None: m["points"] = points
    return m
def md(s, meta=None):
    CELLS.append({"cell_type": "markdown", "metadata": meta or {}, "source": _d(s)})
def code(s, tags=None, alt=None, meta=None):
    m = dict(meta or {})
    if tags: m["tags"] = tags
    if alt: m["mystnb"] = {"image": {"alt": alt}}
    CELLS.append({"cell_type": "code", "execution_count": None, "metadata": m, "outputs": [], "source": _d(s)})
def task(gid, s): md(s, {"nbgrader": _grader(gid + "-task", False, False, True)})
def answer(gid, s, answers, wrong, mistakes=()):
    code(s, tags=["hide-cell"], meta={"nbgrader": _grader(gid + "-answer", False, True, False),
         "recsys_lite": {"answers": list(answers), "wrong_answer": _d(wrong),
                         "mistakes": [{"mistake": m, "source": _d(src)} for m, src in mistakes]}})
def check(gid, part, s, points):
    code(s, meta={"nbgrader": _grader(f"{gid}-check-{part}", True, False, True, points)})
def written(gid, s, points):
    md(s, {"nbgrader": _grader(gid + "-answer", True, True, False, points)})
def write(path):
    template = json.load(open("/work/main/notebooks/05_hybrid.ipynb"))
    nb = {"cells": [], "metadata": template["metadata"], "nbformat": 4, "nbformat_minor": template["nbformat_minor"]}
    for c in CELLS:
        c = dict(c); c["source"] = c["source"].splitlines(keepends=True); nb["cells"].append(c)
    with open(path, "w") as f:
        json.dump(nb, f, indent=1, ensure_ascii=False); f.write("\n")
