"""The editions of the book a reader or a student sees, made from the chapters' instructor notebooks.

The notebooks in notebooks/ are the instructor versions: solutions, hidden tests, stored wrong
answers and model answers. Nobody else should see the hidden tests, and a graded course should
see no solution either, so every copy that leaves the book's folder is transformed:

* the **reader** edition (the website, its downloadable notebooks, `make lab`): hidden tests
  removed from the check cells, the book's own metadata (stored wrong answers, common mistakes)
  removed, solution cells collapsed so that a reader tries first (folded on the website, source
  and output hidden in JupyterLab), model answers folded;
* the **course** edition (`make book EDITION=course`, for a graded term): as the reader edition,
  but every solution replaced by nbgrader's stub and every model answer by a placeholder.

As a Sphinx extension it rewrites what the website shows, at the level of the parsed page, so
that the notebook that is executed (and cached) stays the instructor version: an edition never
costs an extra execution. It also rewrites the notebooks the site offers for download. The pure
functions (`reader_notebook`, `course_notebook`, `strip_hidden_tests`) are used by scripts too.
"""
from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

EDITION_ENV = "RECSYS_LITE_EDITION"
EDITIONS = ("reader", "course")
HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS[ \t]*\n.*?^[ \t]*### END HIDDEN TESTS[ \t]*(\n|$)", re.S | re.M)
SOLUTION = re.compile(r"^([ \t]*)### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[ \t]*$", re.S | re.M)
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
WRITTEN_STUB = "*Write your answer here.*"


def strip_hidden_tests(source: str) -> str:
    """A check cell's source without its hidden tests (what the student version holds)."""
    return HIDDEN.sub("", source).rstrip("\n")


def stub_of(source: str) -> str:
    """A solution cell as nbgrader releases it: the answer replaced by the stub, indented alike."""
    return SOLUTION.sub(lambda m: "\n".join(m.group(1) + line for line in STUB.splitlines()), source)


def solution_of(source: str) -> str:
    """A solution cell without its BEGIN/END SOLUTION marker lines."""
    return re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", source, flags=re.M)


def _nbgrader(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_check(cell: dict) -> bool:
    m = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(m.get("grade")) and not m.get("solution")


def is_solution(cell: dict) -> bool:
    return cell.get("cell_type") == "code" and bool(_nbgrader(cell).get("solution"))


def is_written(cell: dict) -> bool:
    return cell.get("cell_type") == "markdown" and bool(_nbgrader(cell).get("solution"))


def _source(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def reader_notebook(notebook: dict) -> dict:
    """The reader edition of an instructor notebook (a new dict; the input is not changed)."""
    nb = copy.deepcopy(notebook)
    for cell in nb["cells"]:
        meta = cell.setdefault("metadata", {})
        meta.pop("recsys_lite", None)
        if is_check(cell):
            cell["source"] = strip_hidden_tests(_source(cell))
        elif is_solution(cell):
            cell["source"] = solution_of(_source(cell))
            meta["jupyter"] = {"source_hidden": True, "outputs_hidden": True}
    nb.get("metadata", {}).pop("recsys_lite", None)
    return nb


def course_notebook(notebook: dict) -> dict:
    """The course edition: the reader edition with no solution and no model answer."""
    nb = reader_notebook(notebook)
    for cell, original in zip(nb["cells"], notebook["cells"]):
        if is_solution(cell):
            cell["source"] = stub_of(_source(original))
            cell["outputs"], cell["execution_count"] = [], None
            cell["metadata"].pop("jupyter", None)
        elif is_written(cell):
            cell["source"] = WRITTEN_STUB
    return nb


# ---- MyST to plain Markdown, for JupyterLab ------------------------------------------------------
CITE = re.compile(r"\{(?:foot)?cite(?::[a-z]+)?\}`([^`]+)`")
BIBLIOGRAPHY = re.compile(r"```\{(?:foot)?bibliography\}[^`]*```")
NOTE = re.compile(r"^:::\{(note|warning|tip|important)\}[ \t]*\n(.*?)^:::[ \t]*$", re.S | re.M)
DROPDOWN = re.compile(r"^:::\{admonition\}[ \t]*(.*?)\n:class: dropdown[ \t]*\n(.*?)^:::[ \t]*$", re.S | re.M)


def _people(entry) -> list[str]:
    return [" ".join(p.last_names).replace("{", "").replace("}", "") for p in entry.persons.get("author", [])]


def _label(entry) -> str:
    names = _people(entry) or [entry.fields.get("title", "?")]
    who = names[0] if len(names) == 1 else (f"{names[0]} and {names[1]}" if len(names) == 2 else f"{names[0]} et al.")
    return f"{who} {entry.fields.get('year', '')}".strip()


def _reference(entry) -> str:
    clean = lambda text: re.sub(r"[{}]", "", text).replace("\\&", "&")            # noqa: E731
    authors = ", ".join(" ".join(p.first_names + p.middle_names + p.last_names) for p in entry.persons.get("author", []))
    venue = entry.fields.get("journal") or entry.fields.get("booktitle") or entry.fields.get("publisher") or ""
    doi = entry.fields.get("doi")
    url = f"https://doi.org/{doi}" if doi else entry.fields.get("url", "")
    parts = [clean(authors), f"({entry.fields.get('year', 'n.d.')}).", clean(entry.fields.get("title", "")) + ".", clean(venue) + "."]
    return " ".join(p for p in parts if p.strip(" .()")) + (f" <{url}>" if url else "")


def plain_markdown(notebook: dict, bibliography) -> dict:
    """The notebook's MyST markup rewritten as Markdown that plain JupyterLab renders: citations as
    (Author year), the reference list written out, notes as quotations, dropdowns as
    <details>. ``bibliography`` is a pybtex BibliographyData (book/references.bib)."""
    nb = copy.deepcopy(notebook)
    cited = []

    def cite(match):
        keys = [k.strip() for k in match.group(1).split(",")]
        for key in keys:
            if key not in bibliography.entries:
                raise KeyError(f"citation {key!r} is not in the bibliography")
            if key not in cited:
                cited.append(key)
        return "(" + "; ".join(_label(bibliography.entries[k]) for k in keys) + ")"

    def note(match):
        body = match.group(2).strip("\n")
        return "\n".join("> " + line if line.strip() else ">" for line in body.splitlines())

    def dropdown(match):
        return f"<details><summary>{match.group(1).strip()}</summary>\n\n{match.group(2).strip()}\n\n</details>"

    for cell in nb["cells"]:
        if cell.get("cell_type") != "markdown":
            continue
        text = _source(cell)
        text = DROPDOWN.sub(dropdown, NOTE.sub(note, CITE.sub(cite, text)))
        cell["source"] = text
    for cell in nb["cells"]:
        if cell.get("cell_type") == "markdown" and BIBLIOGRAPHY.search(_source(cell)):
            listing = "\n".join(f"- {_reference(bibliography.entries[k])}" for k in cited) or "(none)"
            cell["source"] = BIBLIOGRAPHY.sub(lambda m: listing, _source(cell))
    return nb


def load_bibliography(path):
    from pybtex.database import parse_file

    return parse_file(str(path))


def edition() -> str:
    value = os.environ.get(EDITION_ENV, "reader").strip() or "reader"
    if value not in EDITIONS:
        raise ValueError(f"{EDITION_ENV} must be one of {list(EDITIONS)}, got {value!r}.")
    return value


# ---- the Sphinx extension ------------------------------------------------------------------------
def _transform_cells(app, doctree) -> None:
    """Rewrite the code cells of a parsed notebook page for the edition being built."""
    from docutils import nodes

    course = app.config.recsys_edition == "course"
    for cell in list(doctree.findall(nodes.container)):
        if cell.get("nb_element") != "cell_code":
            continue
        meta = {"metadata": cell.get("cell_metadata", {}), "cell_type": "code"}
        check, solution = is_check(meta), is_solution(meta)
        if not (check or (course and solution)):
            continue
        for block in cell.findall(nodes.literal_block):
            text = block.astext()
            new = strip_hidden_tests(text) if check else stub_of(text)
            block.replace(block.children[0], nodes.Text(new)) if block.children else block.append(nodes.Text(new))
            block.rawsource = new
        if solution:              # the course edition shows no answer, printed or drawn
            for output in [n for n in cell.findall(nodes.container) if n.get("nb_element") == "cell_code_output"]:
                output.parent.remove(output)


def _course_markdown(app, docname, source) -> None:
    """In the course edition, a written answer's cell holds the placeholder, not the model answer.
    Only markdown cells change, which the execution cache does not look at."""
    if app.config.recsys_edition != "course" or not docname.startswith("notebooks/"):
        return
    try:
        nb = json.loads(source[0])
    except ValueError:
        return
    changed = False
    for cell in nb.get("cells", []):
        if is_written(cell):
            cell["source"] = WRITTEN_STUB
            changed = True
    if changed:
        source[0] = json.dumps(nb, indent=1)


def _rewrite_downloads(app, exception) -> None:
    """The .ipynb files the site offers for download are the edition's, not the instructor's."""
    if exception is not None or app.builder.format != "html":
        return
    make = course_notebook if app.config.recsys_edition == "course" else reader_notebook
    for path in Path(app.outdir, "_sources").rglob("*.ipynb"):
        nb = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(make(nb), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _shared_cache(app, config) -> None:
    """Every edition reuses one execution cache: an edition is never executed again."""
    root = Path(app.srcdir)
    config.nb_execution_cache_path = str(root / "_build" / ".jupyter_cache")


def setup(app):
    app.add_config_value("recsys_edition", edition(), "env")
    app.connect("config-inited", _shared_cache)
    app.connect("source-read", _course_markdown)
    app.connect("doctree-read", _transform_cells)
    app.connect("build-finished", _rewrite_downloads)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
