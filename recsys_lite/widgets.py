"""Interactive helpers for JupyterLab (ipywidgets), each with a static twin for the website.

A rendered web page has no kernel behind it, so every widget here is built on a plain
function that returns a table or figure; the notebook shows that static output too.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .data.dataset import Dataset


def user_card(data: Dataset, user: int, models: dict, k: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One user's highest-rated training items, and each model's top-k for them, with titles.

    ``user`` is a contiguous id; ``models`` maps a name to a fitted model.
    """
    r = data.ratings[data.ratings["user"] == user]
    r = r.sort_values(["rating", "timestamp"], ascending=[False, False]).head(k)
    history = pd.DataFrame({"title": data.item_titles(r["item"]), "rating": r["rating"].to_numpy()})
    recs = {}
    for name, model in models.items():
        items = model.recommend([user], k=k).items[0]
        recs[name] = data.item_titles(items[items >= 0])
    recommended = pd.DataFrame({n: pd.Series(t) for n, t in recs.items()})
    recommended.index = np.arange(1, len(recommended) + 1)
    history.index = np.arange(1, len(history) + 1)
    return history, recommended


def user_explorer(data: Dataset, models: dict, k: int = 10):
    """A slider over original user ids that shows `user_card` for the chosen user."""
    import ipywidgets as w
    from IPython.display import display

    ids = data.users["user_id"].to_numpy()
    slider = w.IntSlider(value=int(ids[0]), min=int(ids.min()), max=int(ids.max()),
                         description="user id", continuous_update=False)
    out = w.Output()

    def show(change=None):
        user = int(data.user_index([slider.value])[0])
        history, recommended = user_card(data, user, models, k)
        with out:
            out.clear_output(wait=True)
            print(f"User {slider.value}: {int((data.ratings['user'] == user).sum())} training ratings; "
                  "highest rated:")
            display(history)
            print("Recommended (seen items excluded):")
            display(recommended)

    slider.observe(show, names="value")
    show()
    return w.VBox([slider, out])
