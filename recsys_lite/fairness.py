"""Fairness audits: how well each group of users is served, and how much exposure items get.

* `group_report`: a per-user metric (say NDCG@10) averaged within each group of users, with a
  bootstrap confidence interval per group and for the gap between every group and the best one;
* `exposure_share`: the share of recommendation slots that go to a set of items (e.g. the long
  tail), to compare with the items' share of the catalogue and of the interactions;
* `long_tail`: which items are in the tail (outside the most-interacted items that together
  collect a given share of the interactions).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import _checks as checks


def _bootstrap_means(values: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    idx = rng.integers(0, len(values), (n_resamples, len(values)))
    return values[idx].mean(axis=1)


def group_report(values, groups, *, n_resamples: int = 2000, level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Mean of ``values`` per group with a percentile bootstrap interval (users resampled within
    each group), and the gap to the best-served group with its own interval (the two groups'
    resamples are independent: different users, so the comparison is unpaired).

    ``values`` holds one number per user (NaN for users without a value, e.g. nothing to find in
    the test set: they are left out); ``groups`` one label per user. A gap whose interval lies
    wholly below 0 means the group is served worse than the best one beyond sampling noise."""
    v = np.asarray(values, dtype=float)
    g = np.asarray(groups)
    if v.ndim != 1 or g.shape != v.shape or not v.size:
        raise ValueError(f"values and groups must be 1-D arrays of the same non-zero length, got shapes {v.shape} and {g.shape}.")
    if np.isinf(v).any():
        raise ValueError("values must be finite (NaN marks a user without a value).")
    n_resamples = checks.whole_number(n_resamples, "n_resamples")
    level = checks.fraction(level, "level")
    rng = np.random.default_rng(checks.whole_number(seed, "seed", minimum=0))
    keep = ~np.isnan(v)
    labels = pd.unique(pd.Series(g[keep]))
    if len(labels) < 2:
        raise ValueError("groups must hold at least two groups with values to compare.")
    draws, rows = {}, []
    for label in sorted(labels, key=str):
        x = v[keep & (g == label)]
        draws[label] = _bootstrap_means(x, n_resamples, rng)
        rows.append({"group": label, "users": len(x), "mean": x.mean()})
    table = pd.DataFrame(rows).set_index("group")
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    table["low"] = [np.quantile(draws[label], lo) for label in table.index]
    table["high"] = [np.quantile(draws[label], hi) for label in table.index]
    best = table["mean"].idxmax()
    table["gap to best"] = table["mean"] - table.loc[best, "mean"]
    table["gap low"] = [np.quantile(draws[label] - draws[best], lo) for label in table.index]
    table["gap high"] = [np.quantile(draws[label] - draws[best], hi) for label in table.index]
    return table


def exposure_share(recommended, items) -> float:
    """The share of the filled slots of ``recommended`` (users x k, -1 padding) held by ``items``."""
    lists = np.asarray(recommended)
    if lists.ndim != 2 or not lists.size or not np.issubdtype(lists.dtype, np.integer):
        raise ValueError(f"recommended must be a 2-D integer array (users x k), got shape {lists.shape}.")
    members = np.asarray(items)
    if members.dtype != bool or members.ndim != 1:
        raise ValueError("items must be a boolean array with one entry per item (True: in the set).")
    filled = lists[lists >= 0]
    checks.ids(filled, len(members), "recommended")
    if not filled.size:
        raise ValueError("recommended holds no item (only padding).")
    return float(members[filled].mean())


def long_tail(interactions_per_item, head_share: float = 0.5) -> np.ndarray:
    """A boolean mask of the tail: every item outside the smallest set of most-interacted items
    that together collect ``head_share`` of the interactions (the "short head")."""
    counts = np.asarray(interactions_per_item, dtype=float)
    if counts.ndim != 1 or not counts.size or not np.isfinite(counts).all() or (counts < 0).any() or counts.sum() == 0:
        raise ValueError("interactions_per_item must be a 1-D array of counts >= 0, not all zero.")
    head_share = checks.fraction(head_share, "head_share")
    order = np.argsort(-counts, kind="stable")
    cumulative = np.cumsum(counts[order]) / counts.sum()
    n_head = int(np.searchsorted(cumulative, head_share) + 1)
    tail = np.ones(len(counts), dtype=bool)
    tail[order[:n_head]] = False
    return tail
