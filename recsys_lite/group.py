"""Group recommendation: turn each member's scores into one score per item for the group.

Aggregation strategies (Masthoff 2011, "Group recommender systems"), for members u of a group G
and their scores s_ui of item i:

* ``average``         the members' mean:                         G_i = (1/|G|) Σ_u s_ui
* ``least_misery``    nobody should hate the choice:             G_i = min_u s_ui
* ``most_pleasure``   somebody should love it:                   G_i = max_u s_ui
* ``multiplicative``  the product (scores must be positive):    G_i = Π_u s_ui
* ``borda``           each member gives an item the number of items they score lower (ties share
                      their points), and the points are added:  G_i = Σ_u (rank_u(i) − 1)

Integer ratings tie often (two films both averaging 4.33), and the order of tied films decides
which of them make a top-k. `group_ranking` breaks ties the same way for every strategy: by the
same strategy applied to ``tie_scores`` (for example a personal model's continuous predictions)
when given, then by the lower item index. `ties_at_cut` counts how many items tie at the k-th
place, so a comparison of strategies can say how much of a difference comes from ties.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from ._checks import one_of, whole_number


def _borda(s: np.ndarray) -> np.ndarray:
    return (rankdata(s, axis=1, method="average") - 1).sum(axis=0)


def _multiplicative(s: np.ndarray) -> np.ndarray:
    if (s <= 0).any():
        raise ValueError("the multiplicative strategy needs positive scores (ratings 1-5, say); "
                         "a zero or negative score would flip or flatten the product.")
    return np.prod(s, axis=0)


STRATEGIES = {"average": lambda s: s.mean(axis=0), "least_misery": lambda s: s.min(axis=0),
              "most_pleasure": lambda s: s.max(axis=0), "multiplicative": _multiplicative, "borda": _borda}


def _scores(scores, name: str = "scores") -> np.ndarray:
    try:
        s = np.asarray(scores, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (members x items) matrix of numbers.") from None
    if s.ndim != 2 or s.shape[0] == 0 or s.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty (members x items) matrix, got shape {s.shape}.")
    if np.isnan(s).any():
        raise ValueError(f"{name} contain NaN; fill unknown ratings with a model's predictions first.")
    if np.isinf(s).any():
        raise ValueError(f"{name} contain infinite values.")
    return s


def aggregate(scores, strategy: str = "average") -> np.ndarray:
    """One score per item from a (members x items) score matrix."""
    s = _scores(scores)
    return STRATEGIES[one_of(strategy, "strategy", tuple(STRATEGIES))](s)


def group_ranking(scores, strategy: str = "average", k: int | None = None, *, tie_scores=None) -> np.ndarray:
    """Column indices of the best ``k`` items for the group (all, if k is None), best first.

    Ties are broken by the same strategy applied to ``tie_scores`` (same shape as ``scores``)
    when given, then by the lower index: the same rule for every strategy.
    """
    g = aggregate(scores, strategy)
    if tie_scores is not None:
        t = _scores(tie_scores, "tie_scores")
        if t.shape != np.shape(scores):
            raise ValueError(f"tie_scores must have the shape of scores {np.shape(scores)}, got {t.shape}.")
        second = aggregate(t, strategy)
    else:
        second = np.zeros_like(g)
    order = np.lexsort((np.arange(len(g)), -second, -g))
    if k is not None:
        order = order[:whole_number(k, "k")]
    return order


def ties_at_cut(scores, strategy: str, k: int) -> int:
    """How many items share the group score of the k-th best item: when it is more than the
    places left for them, which of them make the top k is decided by tie-breaking alone."""
    g = np.sort(aggregate(scores, strategy))[::-1]
    k = whole_number(k, "k")
    if k > len(g):
        raise ValueError(f"k={k} is larger than the number of items ({len(g)}).")
    return int(np.isclose(g, g[k - 1]).sum())
