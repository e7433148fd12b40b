"""Build the results page ("All models side by side") after every chapter, on every build.

The page reads the records the chapters write when they execute. Sphinx reads documents in
alphabetical order and skips those whose source did not change, so this extension moves the
page to the end of the reading order and marks it as changed on every build. (Its notebook
asks myst-nb to execute it every time, `mystnb.execution_mode: force` in its metadata, so the
execution cache never serves an old copy.)
"""

RESULTS_PAGE = "book/results"


def _always_reread(app, env, added, changed, removed):
    return [RESULTS_PAGE] if RESULTS_PAGE in env.found_docs else []


def _read_last(app, env, docnames):
    if RESULTS_PAGE in docnames:
        docnames.remove(RESULTS_PAGE)
        docnames.append(RESULTS_PAGE)


def setup(app):
    app.connect("env-get-outdated", _always_reread)
    app.connect("env-before-read-docs", _read_last)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
