"""Group recommendation: turn each member's scores into one score per item for the group.

Aggregation strategies (Masthoff 2011, "Group recommender systems"):

* ``average``        the group's score is the members' mean:      G_i = (1/|G|) Σ_u s_ui
* ``least_misery``   nobody should hate the choice:               G_i = min_u s_ui
* ``most_pleasure``  somebody should love it:                     G_i = max_u s_ui
"""
from __future__ import annotations

import numpy as np

from ._checks import whole_number

STRATEGIES = {"average": np.mean, "least_misery": np.min, "most_pleasure": np.max}


def aggregate(scores, strategy: str = "average") -> np.ndarray:
    """One score per item from a (members x items) score matrix."""
    s = np.asarray(scores, dtype=float)
    if s.ndim != 2 or s.shape[0] == 0 or s.shape[1] == 0:
        raise ValueError(f"scores must be a non-empty (members x items) matrix, got shape {s.shape}.")
    if np.isnan(s).any():
        raise ValueError("scores contain NaN; fill unknown ratings with a model's predictions first.")
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {sorted(STRATEGIES)}.")
    return STRATEGIES[strategy](s, axis=0)


def group_ranking(scores, strategy: str = "average", k: int | None = None) -> np.ndarray:
    """Column indices of the best ``k`` items for the group (all, if k is None), best first;
    ties broken by the higher mean score, then the lower index."""
    g = aggregate(scores, strategy)
    mean = np.asarray(scores, dtype=float).mean(axis=0)
    order = np.lexsort((np.arange(len(g)), -mean, -g))
    if k is not None:
        order = order[:whole_number(k, "k")]
    return order
