"""Switch the repository, issue and launch buttons on once `repository.url` is set.

Jupyter Book 1 refuses repository buttons without a URL and sphinx-book-theme fails on launch
buttons without one, so `_config.yml` leaves them all off and this extension turns them on
when `repository.url` holds the book's public address: one setting instead of four.
"""

LAUNCH = {"notebook_interface": "jupyterlab",
          "binderhub_url": "https://mybinder.org",
          "colab_url": "https://colab.research.google.com"}


def _switch_on(app, config):
    options = config.html_theme_options
    if not options.get("repository_url"):
        return
    options["use_repository_button"] = True
    options["use_issues_button"] = True
    launch = options.setdefault("launch_buttons", {})
    for key, value in LAUNCH.items():
        launch.setdefault(key, value) if launch.get(key) else launch.__setitem__(key, value)


def setup(app):
    app.connect("config-inited", _switch_on)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
