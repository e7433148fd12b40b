"""Evaluate a fitted model on a split, the same way in every chapter.

Defaults follow the book's protocol: the *full* catalogue is ranked for every test user, the
items they rated in training are left out, and every test item is relevant (or those rated at
least ``relevance_threshold``). Rating models are also scored by RMSE and MAE on every test
rating. The sampled protocol of the NCF paper (each relevant test item ranked among 99 items
the user never interacted with) is opt-in and labelled as sampled in the output, because it
can rank models differently from full ranking (Krichene & Rendle 2020).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import metrics as M
from ._checks import flag, one_of, real_number, whole_number
from .models.base import Recommender
from .split import Split, sample_negatives

FULL_METRICS = ("precision", "recall", "ndcg", "map", "mrr", "hit_rate", "auc")
SAMPLED_METRICS = ("hit_rate", "ndcg", "mrr")


@dataclass(frozen=True)
class Evaluation:
    """Per-user values, their means, and a label saying how they were computed."""

    per_user: pd.DataFrame   # index: user id; one column per metric
    summary: pd.Series       # means over evaluated users, plus catalogue metrics and RMSE/MAE
    protocol: str

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={v:.4f}" for k, v in self.summary.items())
        return f"Evaluation({self.protocol}: {values})"


def relevant_matrix(split: Split, relevance_threshold: float | None = None) -> sp.csr_matrix:
    """Test ratings as a users x items CSR matrix holding the rating (the gain) of each relevant
    test item; with a threshold, ratings below it are not relevant."""
    if not isinstance(split, Split):
        raise TypeError(f"split must be a recsys_lite Split, got {type(split).__name__}.")
    r = split.test.ratings
    if relevance_threshold is not None:
        real_number(relevance_threshold, "relevance_threshold")
        r = r[r["rating"] >= relevance_threshold]
    m = sp.csr_matrix((r["rating"].to_numpy(dtype=float), (r["user"].to_numpy(), r["item"].to_numpy())),
                      shape=(split.test.n_users, split.test.n_items))
    m.sum_duplicates()
    return m


def evaluate(model: Recommender, split: Split, *, k: int = 10, metrics=None,
             relevance_threshold: float | None = None, exclude_seen: bool = True,
             graded: bool = False, sampled: bool = False, n_negatives: int = 99,
             seed: int = 0, ap_normalize: str = "min") -> Evaluation:
    """Evaluate a fitted model on ``split.test``.

    Full ranking (default): metrics from ``FULL_METRICS`` at cut-off k per test user with at least
    one relevant item, plus catalogue coverage, novelty and the Gini index of the top-k lists, plus
    RMSE and MAE if the model predicts ratings. Sampled (``sampled=True``): each relevant test item
    is ranked among ``n_negatives`` items the user never interacted with (train or test); the
    item's rank gives hit rate@k, NDCG@k and reciprocal rank, averaged per user, then over users.
    Ties with negatives count against the model.
    """
    if not isinstance(model, Recommender):
        raise TypeError(f"evaluate expects a fitted recsys_lite model, got {type(model).__name__}.")
    model._check_fitted()
    if not isinstance(split, Split):
        raise TypeError(f"evaluate expects a recsys_lite Split, got {type(split).__name__}.")
    if (model.n_users_, model.n_items_) != (split.test.n_users, split.test.n_items):
        raise ValueError(f"the model was fitted on {model.n_users_} users x {model.n_items_} items, but the split "
                         f"has {split.test.n_users} x {split.test.n_items}: fit it on split.train.")
    k = whole_number(k, "k")
    for name, value in (("exclude_seen", exclude_seen), ("graded", graded), ("sampled", sampled)):
        flag(value, name)
    one_of(ap_normalize, "ap_normalize", M.AP_NORMALIZERS)
    if relevance_threshold is not None:
        real_number(relevance_threshold, "relevance_threshold")
    allowed = SAMPLED_METRICS if sampled else FULL_METRICS
    if isinstance(metrics, str):
        raise ValueError(f"metrics must be a list of metric names, got the string {metrics!r}; write [{metrics!r}].")
    chosen = tuple(metrics) if metrics is not None else allowed
    if not chosen:
        raise ValueError(f"metrics is empty; choose from {list(allowed)}.")
    unknown = [m for m in chosen if m not in allowed]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown} for the {'sampled' if sampled else 'full'} "
                         f"protocol; choose from {list(allowed)}.")
    rel = relevant_matrix(split, relevance_threshold)
    users = np.flatnonzero(np.diff(rel.indptr) > 0)
    if not len(users):
        raise ValueError("no test user has a relevant item (check relevance_threshold).")
    label_rel = "all test items relevant" if relevance_threshold is None else f"relevant: rating >= {relevance_threshold}"
    summary = {}
    if sampled:
        whole_number(n_negatives, "n_negatives")
        whole_number(seed, "seed", minimum=0)
        per_user = _sampled(model, split, rel, users, k, n_negatives, seed)[list(chosen)]
        protocol = f"SAMPLED: each relevant item among {n_negatives} sampled negatives, @{k}; {label_rel}"
    else:
        if "auc" in chosen:   # AUC needs every item's score: take them from the same scoring pass
            recs, scores = model.recommend_with_scores(users, k=k, exclude_seen=exclude_seen)
        else:
            recs = model.recommend(users, k=k, exclude_seen=exclude_seen)
        values = M.ranking_metrics(recs.items, rel[users], k, graded=graded, normalize=ap_normalize)
        if "auc" in chosen:
            exclude = model.seen_[users] if exclude_seen else None
            values["auc"] = M.auc_per_user(scores, rel[users], exclude)
        per_user = pd.DataFrame({m: values[m] for m in chosen}, index=pd.Index(users, name="user"))
        popularity = np.diff(model.seen_.tocsc().indptr) / model.n_users_
        summary.update({"coverage": M.catalogue_coverage(recs.items, model.n_items_),
                        "novelty": M.novelty(recs.items, popularity) if popularity.any() else np.nan,
                        "gini": M.gini_index(recs.items, model.n_items_)})
        protocol = (f"full ranking of {model.n_items_} items, "
                    f"{'training items excluded' if exclude_seen else 'training items kept'}, @{k}; {label_rel}")
    summary = {**per_user.mean().to_dict(), **summary}
    rating = _rating_errors(model, split)
    if rating:
        summary.update(rating)
    summary["users"] = len(users)
    return Evaluation(per_user, pd.Series(summary, name=type(model).__name__), protocol)


def compare(models: dict, split: Split, **kwargs) -> pd.DataFrame:
    """`evaluate` each fitted model on the same split; one row per model, one column per metric."""
    if not isinstance(models, dict) or not models:
        raise ValueError("models must be a non-empty dict of name -> fitted model.")
    return summary_table({name: evaluate(model, split, **kwargs) for name, model in models.items()})


def summary_table(evaluations: dict) -> pd.DataFrame:
    """The summaries of several `Evaluation` objects as one table (rows: their names); the
    protocol, shared by all of them, is kept in ``table.attrs["protocol"]``."""
    protocols = {e.protocol for e in evaluations.values()}
    if len(protocols) != 1:
        raise ValueError(f"the evaluations were made under different protocols: {sorted(protocols)}.")
    table = pd.DataFrame({name: e.summary for name, e in evaluations.items()}).T
    table.attrs["protocol"] = protocols.pop()
    return table


def _rating_errors(model: Recommender, split: Split) -> dict:
    t = split.test.ratings
    try:
        pred = model.predict(t["user"].to_numpy(), t["item"].to_numpy())
    except NotImplementedError:
        return {}
    return {"rmse": M.rmse(t["rating"], pred), "mae": M.mae(t["rating"], pred)}


def _sampled(model, split, rel, users, k, n_negatives, seed) -> pd.DataFrame:
    interacted = (split.train.to_csr(binary=True) + split.test.to_csr(binary=True)).tocsr()
    sub = rel[users].tocoo()
    pair_user = users[sub.row]
    pair_item = sub.col
    negatives = sample_negatives(interacted, pair_user, n=n_negatives, seed=seed)
    scores = model.score(users)  # rows follow `users`
    row = sub.row
    positive = scores[row, pair_item]
    negative = scores[row[:, None], negatives]
    rank = 1 + (negative >= positive[:, None]).sum(axis=1)  # ties count against the model
    hit = rank <= k
    pair = pd.DataFrame({"user": pair_user, "hit_rate": hit.astype(float),
                         "ndcg": np.where(hit, 1 / np.log2(rank + 1), 0.0),
                         "mrr": np.where(hit, 1.0 / rank, 0.0)})
    return pair.groupby("user").mean()
