"""Evaluate a fitted model on a split, the same way in every chapter.

Defaults follow the book's protocol: the *full* catalogue is ranked for every test user, the
items they rated in training are left out, and every test item is relevant (or those rated at
least ``relevance_threshold``). Rating models are also scored by RMSE and MAE on every test
rating. The sampled protocol of the NCF paper (each relevant test item ranked among 99 items
the user never interacted with) is opt-in and labelled as sampled in the output, because it
can rank models differently from full ranking (Krichene & Rendle 2020).

One split is one sample of users. `bootstrap_interval` puts a percentile bootstrap interval
(resampling users) on a model's mean, and `paired_difference` on the difference between two
models evaluated on the same split: each resample draws users and takes *both* models' values
for the same users, so the interval reflects how consistently one beats the other, not how
much users differ from each other. `compare(..., intervals=True, reference=name)` adds both to
the table. A sentence in the book that says one model beats another rests on such an interval.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import metrics as M
from . import _checks as checks
from ._checks import flag, fraction, one_of, real_number, whole_number
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
    #: per test user: squared and absolute errors summed over their test ratings, and how many
    #: (for models that predict ratings; None otherwise), so RMSE and MAE can be bootstrapped too
    rating_errors: pd.DataFrame | None = None

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={v:.4f}" for k, v in self.summary.items())
        return f"Evaluation({self.protocol}: {values})"

    def for_users(self, users) -> "Evaluation":
        """The same evaluation on a subset of its users (for example newcomers, or the users of
        another split), its means recomputed over them; catalogue-wide metrics (coverage,
        novelty, Gini) are left out, since they describe every user's list together."""
        users = pd.Index(np.unique(np.asarray(users)))
        per_user = self.per_user.loc[self.per_user.index.intersection(users)]
        errors = None if self.rating_errors is None else self.rating_errors.loc[self.rating_errors.index.intersection(users)]
        if not len(per_user) and (errors is None or not len(errors)):
            raise ValueError("users holds none of this evaluation's users.")
        summary = per_user.mean().to_dict()
        if errors is not None and len(errors):
            n = errors["n"].sum()
            summary.update(rmse=float(np.sqrt(errors["squared"].sum() / n)), mae=float(errors["absolute"].sum() / n))
        summary["users"] = len(per_user)
        return Evaluation(per_user, pd.Series(summary, name=self.summary.name),
                          f"{self.protocol}; {len(users)} chosen users", errors)


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


def protocol_text(ranked: str, exclude_seen: bool, k: int, relevance: str) -> str:
    """How an `Evaluation` describes a full-ranking protocol (its ``protocol``), e.g. "full
    ranking of 1682 items, training items excluded, @10; all test items relevant"."""
    return f"{ranked}, {'training items excluded' if exclude_seen else 'training items kept'}, @{k}; {relevance}"


def evaluate(model: Recommender, split: Split, *, k: int = 10, metrics=None,
             relevance_threshold: float | None = None, exclude_seen: bool = True,
             graded: bool = False, sampled: bool = False, n_negatives: int = 99,
             seed: int = 0, ap_normalize: str = "min", candidates=None) -> Evaluation:
    """Evaluate a fitted model on ``split.test``.

    Full ranking (default): metrics from ``FULL_METRICS`` at cut-off k per test user with at least
    one relevant item, plus catalogue coverage, novelty and the Gini index of the top-k lists, plus
    RMSE and MAE if the model predicts ratings. Sampled (``sampled=True``): each relevant test item
    is ranked among ``n_negatives`` items the user never interacted with (train or test); the
    item's rank gives hit rate@k, NDCG@k and reciprocal rank, averaged per user, then over users.
    Ties with negatives count against the model.

    ``candidates`` (item ids; full ranking only) ranks just those items, for example films held
    out of training (`recsys_lite.split.cold_items`): only test items among them are relevant,
    and coverage is the share of the candidates that appear in some list.
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
    if candidates is not None:
        if sampled:
            raise ValueError("candidates works with full ranking only; the sampled protocol draws its own items.")
        candidates = checks.distinct_ids(candidates, model.n_items_, "candidates")
        keep = np.zeros(model.n_items_)
        keep[candidates] = 1.0
        rel = sp.csr_matrix(rel @ sp.diags(keep))
        rel.eliminate_zeros()
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
            recs, scores = model.recommend_with_scores(users, k=k, exclude_seen=exclude_seen, candidates=candidates)
        else:
            recs = model.recommend(users, k=k, exclude_seen=exclude_seen, candidates=candidates)
        values = M.ranking_metrics(recs.items, rel[users], k, graded=graded, normalize=ap_normalize)
        if "auc" in chosen:
            exclude, relevant = (model.seen_[users] if exclude_seen else None), rel[users]
            if candidates is not None:   # AUC among the candidates only
                scores, relevant = scores[:, candidates], relevant[:, candidates]
                exclude = None if exclude is None else exclude[:, candidates]
            values["auc"] = M.auc_per_user(scores, relevant, exclude)
        per_user = pd.DataFrame({m: values[m] for m in chosen}, index=pd.Index(users, name="user"))
        if candidates is None:
            popularity = np.diff(model.seen_.tocsc().indptr) / model.n_users_
            summary.update({"coverage": M.catalogue_coverage(recs.items, model.n_items_),
                            "novelty": M.novelty(recs.items, popularity) if popularity.any() else np.nan,
                            "gini": M.gini_index(recs.items, model.n_items_)})
            ranked = f"full ranking of {model.n_items_} items"
        else:
            shown = recs.items[recs.items >= 0]
            summary["coverage"] = np.unique(shown).size / len(candidates)
            ranked = f"ranking of {len(candidates)} candidate items only"
        protocol = protocol_text(ranked, exclude_seen, k, label_rel)
    summary = {**per_user.mean().to_dict(), **summary}
    errors = _rating_errors(model, split)
    if errors is not None:
        n = errors["n"].sum()
        summary.update({"rmse": float(np.sqrt(errors["squared"].sum() / n)), "mae": float(errors["absolute"].sum() / n)})
    summary["users"] = len(users)
    return Evaluation(per_user, pd.Series(summary, name=type(model).__name__), protocol, errors)


def evaluate_ratings(model: Recommender, split: Split) -> Evaluation:
    """RMSE and MAE of a fitted rating model on every test rating, with the per-user errors
    that `bootstrap_interval` and `paired_difference` resample; no ranking is computed (it is
    the cheap half of `evaluate`, for rating-prediction comparisons)."""
    if not isinstance(model, Recommender):
        raise TypeError(f"evaluate_ratings expects a fitted recsys_lite model, got {type(model).__name__}.")
    model._check_fitted()
    if not isinstance(split, Split):
        raise TypeError(f"evaluate_ratings expects a recsys_lite Split, got {type(split).__name__}.")
    if (model.n_users_, model.n_items_) != (split.test.n_users, split.test.n_items):
        raise ValueError(f"the model was fitted on {model.n_users_} users x {model.n_items_} items, but the split "
                         f"has {split.test.n_users} x {split.test.n_items}: fit it on split.train.")
    if split.test.n_ratings == 0:
        raise ValueError("the split's test set has no ratings.")
    errors = _rating_errors(model, split)
    if errors is None:
        raise ValueError(f"{type(model).__name__} ranks items but does not estimate ratings; use evaluate.")
    n = errors["n"].sum()
    summary = pd.Series({"rmse": float(np.sqrt(errors["squared"].sum() / n)), "mae": float(errors["absolute"].sum() / n),
                         "users": len(errors)}, name=type(model).__name__)
    return Evaluation(pd.DataFrame(index=errors.index), summary, "rating prediction on every test rating", errors)


def compare(models: dict, split: Split, *, intervals: bool = False, reference: str | None = None,
            n_resamples: int = 2000, **kwargs) -> pd.DataFrame:
    """`evaluate` each fitted model on the same split; one row per model, one column per metric.

    ``intervals=True`` adds, for each per-user metric (and RMSE/MAE), ``<metric>_low`` and
    ``<metric>_high``: a 95 % bootstrap interval of the mean over users. ``reference`` (a key of
    ``models``) adds ``<metric>_diff`` (this model minus the reference) with its paired 95 %
    interval, ``<metric>_diff_low`` and ``<metric>_diff_high``. Other keyword arguments go to
    `evaluate`.
    """
    if not isinstance(models, dict) or not models:
        raise ValueError("models must be a non-empty dict of name -> fitted model.")
    flag(intervals, "intervals")
    if reference is not None and reference not in models:
        raise ValueError(f"reference must be one of the models' names {list(models)}, got {reference!r}.")
    evaluations = {name: evaluate(model, split, **kwargs) for name, model in models.items()}
    return summary_table(evaluations, intervals=intervals, reference=reference, n_resamples=n_resamples)


def summary_table(evaluations: dict, *, intervals: bool = False, reference: str | None = None,
                  n_resamples: int = 2000) -> pd.DataFrame:
    """The summaries of several `Evaluation` objects as one table (rows: their names), with
    intervals and paired differences as `compare` describes; the protocol, shared by all of
    them, is kept in ``table.attrs["protocol"]``."""
    protocols = {e.protocol for e in evaluations.values()}
    if len(protocols) != 1:
        raise ValueError(f"the evaluations were made under different protocols: {sorted(protocols)}.")
    table = pd.DataFrame({name: e.summary for name, e in evaluations.items()}).T
    if intervals or reference is not None:
        first = next(iter(evaluations.values()))
        metrics = list(first.per_user.columns) + ["rmse", "mae"]
        for metric in metrics:
            for name, e in evaluations.items():
                if not _has(e, metric):
                    continue
                if intervals:
                    table.loc[name, [f"{metric}_low", f"{metric}_high"]] = bootstrap_interval(
                        e, metric, n_resamples=n_resamples)
                if reference is not None and _has(evaluations[reference], metric):
                    d = paired_difference(e, evaluations[reference], metric, n_resamples=n_resamples)
                    table.loc[name, [f"{metric}_diff", f"{metric}_diff_low", f"{metric}_diff_high"]] = (
                        d["difference"], d["low"], d["high"])
        table.attrs["reference"] = reference
    table.attrs["protocol"] = protocols.pop()
    return table


# ---- uncertainty: resample users --------------------------------------------------------------
def _has(evaluation: Evaluation, metric: str) -> bool:
    if metric in ("rmse", "mae"):
        return evaluation.rating_errors is not None
    return metric in evaluation.per_user.columns


def _per_user(evaluation: Evaluation, metric: str) -> pd.DataFrame:
    """What to resample for a metric: (sum, count) per user, so every mean, RMSE and MAE
    included, is Σ sums / Σ counts over the drawn users (then a square root for RMSE)."""
    if metric in ("rmse", "mae"):
        if evaluation.rating_errors is None:
            raise ValueError(f"this model predicts no ratings, so it has no {metric}.")
        e = evaluation.rating_errors
        return pd.DataFrame({"sum": e["squared" if metric == "rmse" else "absolute"], "count": e["n"]})
    if metric not in evaluation.per_user.columns:
        raise ValueError(f"metric must be one of {list(evaluation.per_user.columns) + ['rmse', 'mae']}, got {metric!r}.")
    v = evaluation.per_user[metric].dropna()
    return pd.DataFrame({"sum": v, "count": 1.0})


def _resampled(frames: list[pd.DataFrame], metric: str, n_resamples: int, seed: int) -> list[np.ndarray]:
    """The metric of each frame on the same ``n_resamples`` bootstrap draws of their common users."""
    users = frames[0].index
    for f in frames[1:]:
        users = users.intersection(f.index)
    if not len(users):
        raise ValueError("the evaluations share no user; nothing can be compared.")
    draws = np.random.default_rng(seed).integers(0, len(users), (n_resamples, len(users)))
    out = []
    for f in frames:
        sums, counts = f.loc[users, "sum"].to_numpy(), f.loc[users, "count"].to_numpy()
        value = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
        out.append(np.sqrt(value) if metric == "rmse" else value)
    return out


def pooled(evaluations, label: str = "pooled") -> Evaluation:
    """One evaluation made of several of the same users (for example one per history length):
    each user's value is their mean over the evaluations, so the mean over users is the mean
    over every (user, evaluation) pair, and a bootstrap over users keeps each user's values
    together. Users and metrics present in every evaluation are kept."""
    evaluations = list(evaluations) if not isinstance(evaluations, Evaluation) else [evaluations]
    if not evaluations:
        raise ValueError("evaluations is empty; give at least one Evaluation.")
    for e in evaluations:
        if not isinstance(e, Evaluation):
            raise TypeError(f"evaluations must hold recsys_lite Evaluations, got a {type(e).__name__}.")
    users = evaluations[0].per_user.index
    columns = [c for c in evaluations[0].per_user.columns if all(c in e.per_user for e in evaluations)]
    for e in evaluations[1:]:
        users = users.intersection(e.per_user.index)
    if not len(users) or not columns:
        raise ValueError("the evaluations share no user (or no metric); pool evaluations of the same users.")
    per_user = sum(e.per_user.loc[users, columns] for e in evaluations) / len(evaluations)
    summary = per_user.mean().to_dict() | {"users": len(users)}
    protocols = list(dict.fromkeys(e.protocol for e in evaluations))
    return Evaluation(per_user, pd.Series(summary, name=label),
                      f"mean over {len(evaluations)} evaluations of: " + " | ".join(protocols))


def bootstrap_interval(evaluation: Evaluation, metric: str = "ndcg", *, n_resamples: int = 2000,
                       level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of a model's ``metric`` over its users (test users for
    RMSE and MAE), resampling users."""
    if not isinstance(evaluation, Evaluation):
        raise TypeError(f"evaluation must be an Evaluation (from evaluate), got {type(evaluation).__name__}.")
    whole_number(n_resamples, "n_resamples", minimum=100)
    level = fraction(level, "level")
    (values,) = _resampled([_per_user(evaluation, metric)], metric, n_resamples, whole_number(seed, "seed", minimum=0))
    alpha = (1 - level) / 2
    return float(np.quantile(values, alpha)), float(np.quantile(values, 1 - alpha))


def paired_difference(a: Evaluation, b: Evaluation, metric: str = "ndcg", *, n_resamples: int = 2000,
                      level: float = 0.95, seed: int = 0) -> dict:
    """``metric`` of ``a`` minus that of ``b`` over the users both were evaluated on, with a paired
    percentile bootstrap interval (each draw takes the same users for both). The difference is
    significant at this level when the interval excludes 0."""
    for name, e in (("a", a), ("b", b)):
        if not isinstance(e, Evaluation):
            raise TypeError(f"{name} must be an Evaluation (from evaluate), got {type(e).__name__}.")
    if a.protocol != b.protocol:
        raise ValueError(f"a and b were evaluated under different protocols:\n  {a.protocol}\n  {b.protocol}")
    whole_number(n_resamples, "n_resamples", minimum=100)
    level = fraction(level, "level")
    fa, fb = _per_user(a, metric), _per_user(b, metric)
    users = fa.index.intersection(fb.index)
    va, vb = _resampled([fa, fb], metric, n_resamples, whole_number(seed, "seed", minimum=0))
    point = [f.loc[users, "sum"].sum() / f.loc[users, "count"].sum() for f in (fa, fb)]
    if metric == "rmse":
        point = [np.sqrt(p) for p in point]
    diff = va - vb
    alpha = (1 - level) / 2
    return {"difference": float(point[0] - point[1]), "low": float(np.quantile(diff, alpha)),
            "high": float(np.quantile(diff, 1 - alpha)), "users": len(users)}


def _rating_errors(model: Recommender, split: Split) -> pd.DataFrame | None:
    """Per test user: squared and absolute errors summed over their test ratings, and the count."""
    t = split.test.ratings
    try:
        pred = model.predict(t["user"].to_numpy(), t["item"].to_numpy())
    except NotImplementedError:
        return None
    truth, pred = M._pair(t["rating"].to_numpy(), pred)   # the same checks as rmse/mae
    err = pd.DataFrame({"user": t["user"].to_numpy(), "squared": (truth - pred) ** 2,
                        "absolute": np.abs(truth - pred), "n": 1.0})
    return err.groupby("user")[["squared", "absolute", "n"]].sum()


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


def click_metrics(models: dict, split: Split, *, threshold: float = 4.0, reference: str | None = None,
                  n_resamples: int = 1000, level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Click-through evaluation: each model's ``predict_proba`` on every test rating, the label
    being rating >= ``threshold``. Returns AUC (over all test pairs) and log loss per model; with
    ``reference``, each model's AUC minus the reference's with a paired percentile bootstrap
    interval that resamples *users* (a user's pairs stay together, as in `paired_difference`)."""
    if not isinstance(models, dict) or not models:
        raise ValueError("models must be a non-empty dict of name -> fitted click model.")
    if not isinstance(split, Split):
        raise TypeError(f"split must be a recsys_lite Split, got {type(split).__name__}.")
    for name, model in models.items():
        if not hasattr(model, "predict_proba"):
            raise TypeError(f"models[{name!r}] ({type(model).__name__}) has no predict_proba: it is not a click model.")
    if reference is not None and reference not in models:
        raise ValueError(f"reference must be one of the models' names {list(models)}, got {reference!r}.")
    real_number(threshold, "threshold")
    whole_number(n_resamples, "n_resamples", minimum=100)
    level = fraction(level, "level")
    test = split.test.ratings
    users, items = test["user"].to_numpy(), test["item"].to_numpy()
    labels = (test["rating"].to_numpy() >= threshold).astype(int)
    if labels.min() == labels.max():
        raise ValueError(f"every test rating falls on one side of threshold={threshold}; AUC needs both labels.")
    p = {name: np.asarray(model.predict_proba(users, items), dtype=float) for name, model in models.items()}
    table = pd.DataFrame({"auc": {n: M.auc(v, labels) for n, v in p.items()},
                          "log_loss": {n: M.log_loss(labels, v) for n, v in p.items()}})
    table.attrs["protocol"] = f"every test rating, label: rating >= {threshold}; {len(labels)} pairs, {len(np.unique(users))} users"
    if reference is None:
        return table
    # resample users: draw users with replacement; a pair enters as often as its user was drawn
    rng = np.random.default_rng(whole_number(seed, "seed", minimum=0))
    distinct, at = np.unique(users, return_inverse=True)
    draws = rng.multinomial(len(distinct), np.full(len(distinct), 1 / len(distinct)), size=n_resamples)
    alpha = (1 - level) / 2
    ranks = {n: _ranks(v) for n, v in p.items()}
    resampled = {n: np.array([_weighted_auc(r, labels, draws[b][at]) for b in range(n_resamples)]) for n, r in ranks.items()}
    for name in models:
        diff = resampled[name] - resampled[reference]
        table.loc[name, "auc_diff"] = table.loc[name, "auc"] - table.loc[reference, "auc"]
        table.loc[name, "auc_diff_low"] = np.quantile(diff, alpha)
        table.loc[name, "auc_diff_high"] = np.quantile(diff, 1 - alpha)
    return table


def _ranks(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The order of ``scores`` and, for ties, group ids: what every resample's AUC reuses."""
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    group = np.r_[0, np.cumsum(sorted_scores[1:] != sorted_scores[:-1])]
    return order, group


def _weighted_auc(ranks, labels: np.ndarray, weights: np.ndarray) -> float:
    """AUC with each pair counted ``weights`` times (a bootstrap resample), ties counting one half:
    the weighted share of (positive, negative) pairs ordered correctly."""
    order, group = ranks
    y, w = labels[order], weights[order].astype(float)
    neg = np.bincount(group, weights=w * (1 - y))
    pos = np.bincount(group, weights=w * y)
    below = np.cumsum(neg) - neg                       # negatives in strictly lower groups
    correct = (pos * (below + 0.5 * neg)).sum()
    return float(correct / (pos.sum() * neg.sum()))
