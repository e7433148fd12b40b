"""Matplotlib helpers the chapters share, so a figure means the same thing in every chapter."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from . import _checks as checks
from .data.dataset import Dataset


def _dataset(data) -> Dataset:
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be a recsys_lite Dataset, got {type(data).__name__}.")
    if data.n_ratings == 0:
        raise ValueError("data has no ratings to plot.")
    return data


def long_tail(data: Dataset, ax=None, head: float = 0.2):
    """Items sorted by number of ratings, with the share of all ratings the top ``head`` get.

    Returns the axes and that share, so a notebook can assert what the figure shows.
    """
    data, head = _dataset(data), checks.fraction(head, "head")
    ax = ax or plt.gca()
    counts = np.sort(np.bincount(data.ratings["item"], minlength=data.n_items))[::-1]
    n_head = int(np.ceil(head * len(counts)))
    share = counts[:n_head].sum() / counts.sum()
    ranks = np.arange(1, len(counts) + 1)
    ax.fill_between(ranks[:n_head], counts[:n_head], color="C3", alpha=0.6,
                    label=f"top {head:.0%} of items: {share:.0%} of ratings")
    ax.fill_between(ranks[n_head - 1:], counts[n_head - 1:], color="C0", alpha=0.4, label="the long tail")
    ax.set(xlabel="item rank by popularity", ylabel="number of ratings", title="Item popularity")
    ax.legend()
    return ax, float(share)


def user_activity(data: Dataset, ax=None, bins: int = 40):
    """Histogram of ratings per user (log-spaced bins); returns the axes and the counts."""
    data, bins = _dataset(data), checks.whole_number(bins, "bins", minimum=2)
    ax = ax or plt.gca()
    counts = np.bincount(data.ratings["user"], minlength=data.n_users)
    ax.hist(counts, bins=np.geomspace(max(counts.min(), 1), counts.max(), bins), color="C2")
    ax.set(xscale="log", xlabel="ratings per user (log scale)", ylabel="users", title="User activity")
    ticks = [t for t in (10, 20, 50, 100, 200, 500, 1000, 2000) if counts.min() <= t <= counts.max()]
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    return ax, counts


def rating_distribution(data: Dataset, ax=None):
    """Bar chart of how often each rating value occurs; returns the axes and the shares."""
    data = _dataset(data)
    ax = ax or plt.gca()
    values, counts = np.unique(data.ratings["rating"], return_counts=True)
    shares = counts / counts.sum()
    ax.bar(values, shares, color="C1")
    ax.set(xlabel="rating", ylabel="share of ratings", title="Rating distribution", xticks=values)
    return ax, dict(zip(values.tolist(), shares.tolist()))


def genre_profile(data: Dataset, user: int, recommended: dict, ax=None):
    """Share of each genre in a user's rated items and in each model's recommended items.

    ``recommended`` maps a model name to an array of item ids. Returns the axes and the table
    of shares (genres x lists), so a notebook can assert what the figure shows.
    """
    import pandas as pd

    data = _dataset(data)
    user = int(checks.ids([user], data.n_users, "user")[0])
    if not isinstance(recommended, dict):
        raise ValueError(f"recommended must be a dict of list name -> item ids, got {type(recommended).__name__}.")
    recommended = {name: checks.ids(np.asarray(items)[np.asarray(items) != -1], data.n_items, f"recommended[{name!r}]")
                   for name, items in recommended.items()}   # -1 pads a short list: dropped
    ax = ax or plt.gca()
    lists = {"history": data.ratings.loc[data.ratings["user"] == user, "item"].to_numpy(), **recommended}
    shares = {}
    for name, items in lists.items():
        genres = [g for gs in data.items["genres"].to_numpy()[np.asarray(items, dtype=int)] for g in gs]
        shares[name] = pd.Series(genres, dtype=object).value_counts(normalize=True)
    table = pd.DataFrame(shares).fillna(0.0)
    table = table.loc[table.max(axis=1).sort_values(ascending=True).index]
    table.plot.barh(ax=ax, width=0.8)
    ax.set(xlabel="share of genre labels", title=f"Genres: user {data.users['user_id'].iloc[user]}'s history vs recommendations")
    return ax, table


def metrics_by_k(ranked, relevant, ax=None, ks=None):
    """P@k, R@k, AP@k, NDCG@k and HR@k of one ranked list as k grows; returns axes and table."""
    import pandas as pd

    from . import metrics as M

    ranked = list(ranked)
    ks = [checks.whole_number(k, "ks") for k in (ks or range(1, len(ranked) + 1))]
    if not ks:
        raise ValueError("ranked is empty; there is no cut-off to plot.")
    ax = ax or plt.gca()
    table = pd.DataFrame({
        "P@k": [M.precision_at_k(ranked, relevant, k) for k in ks],
        "R@k": [M.recall_at_k(ranked, relevant, k) for k in ks],
        "AP@k": [M.average_precision_at_k(ranked, relevant, k) for k in ks],
        "NDCG@k": [M.ndcg_at_k(ranked, relevant, k) for k in ks],
        "HR@k": [M.hit_rate_at_k(ranked, relevant, k) for k in ks]}, index=pd.Index(ks, name="k"))
    table.plot(ax=ax, marker="o")
    hits = [k for k, item in zip(ks, ranked) if item in relevant]
    for k in hits:
        ax.axvline(k, color="grey", lw=0.8, ls=":")
    ax.set(ylim=(-0.02, 1.02), ylabel="metric value", title="One ranked list, metrics by cut-off k (dotted: hits)")
    return ax, table
