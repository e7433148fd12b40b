"""What the website needs to read well everywhere, offline and on a phone.

* MathJax is served from the site itself (the `sphinx-mathjax-offline` package carries it), not
  from a CDN: offline, formulas must not show as raw TeX.
* The book has no live-code ("thebe") buttons, yet sphinx-thebe, which Jupyter Book always
  loads, declares its script's settings twice on every page, a console error; its scripts are
  dropped.
* The colour mode starts as "light" rather than an empty setting the theme complains about.
* book/_static/book.css: long inline code breaks, wide tables scroll inside their box, code
  wraps instead of being clipped, figures never overflow a phone's width.
"""
from pathlib import Path


def _drop_thebe(app, pagename, templatename, context, doctree):
    """Remove sphinx-thebe's scripts from the page (and any script included twice)."""
    scripts = context.get("script_files")
    if not scripts:
        return
    kept, seen = [], set()
    for script in scripts:
        filename = str(script)
        body = getattr(script, "attributes", {}).get("body", "")
        if "thebe" in filename.lower() or "THEBE" in body:
            continue
        key = (filename, body)
        if key in seen:
            continue
        seen.add(key)
        kept.append(script)
    context["script_files"] = kept


def _configure(app, config):
    context = dict(config.html_context or {})
    context.setdefault("default_mode", "light")        # pydata-sphinx-theme reads it from here
    config.html_context = context
    static = str(Path(__file__).resolve().parents[1] / "_static")
    config.html_static_path = list(config.html_static_path or []) + [static]


def setup(app):
    app.setup_extension("sphinx-mathjax-offline")
    app.connect("config-inited", _configure)
    app.add_css_file("book.css")
    app.connect("html-page-context", _drop_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
