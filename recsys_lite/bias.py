"""Data bias: measuring it, estimating around it, re-ranking against it.

* popularity bias: `average_popularity` and `popularity_lift` (how far recommendations lean to
  popular items compared with what users chose themselves; Abdollahpouri et al. 2020), and the
  re-rankers `penalise_popularity` and `guarantee_share`;
* selection bias (missing not at random): `naive_estimate`, `ips_estimate` and `snips_estimate`
  of a mean error over *all* user-item pairs from the pairs that happen to be observed, with
  known observation probabilities (Schnabel et al. 2016);
* position bias: `examination` probabilities of a position-based click model, `simulate_clicks`,
  and the click-through rates of items, `naive_ctr` and the inverse-propensity `ips_ctr`
  (Joachims, Swaminathan & Schnabel 2017).
"""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from . import _checks as checks
from .models.base import top_k


# ---- popularity bias ---------------------------------------------------------------------------
def _lists(recommended) -> np.ndarray:
    lists = np.asarray(recommended)
    if lists.ndim != 2 or not lists.size or not np.issubdtype(lists.dtype, np.integer):
        raise ValueError(f"recommended must be a 2-D integer array (users x k item ids), got shape {lists.shape} "
                         f"and dtype {lists.dtype}.")
    return lists


def _popularity(popularity) -> np.ndarray:
    pop = np.asarray(popularity, dtype=float)
    if pop.ndim != 1 or not pop.size or not np.isfinite(pop).all() or (pop < 0).any():
        raise ValueError("popularity must be a non-empty 1-D array of finite numbers >= 0, one per item.")
    return pop


def average_popularity(recommended, popularity) -> np.ndarray:
    """Each user's mean item popularity over their list (padding -1 ignored; NaN if all padding)."""
    lists, pop = _lists(recommended), _popularity(popularity)
    checks.ids(lists[lists >= 0], len(pop), "recommended")
    filled = lists >= 0
    total = np.where(filled, pop[np.maximum(lists, 0)], 0.0).sum(axis=1)
    count = filled.sum(axis=1)
    return np.divide(total, count, out=np.full(len(lists), np.nan), where=count > 0)


def popularity_lift(recommended, history, popularity) -> np.ndarray:
    """Per user, (mean popularity of the recommendations − mean popularity of the user's own
    history) / the latter: 0.5 means the list is 50 % more popular than what the user chose.

    ``history`` is a users x items sparse matrix (the training interactions), rows matching
    ``recommended``'s rows."""
    lists, pop = _lists(recommended), _popularity(popularity)
    if history.shape != (len(lists), len(pop)):
        raise ValueError(f"history must be a users x items matrix of shape {(len(lists), len(pop))}, got {history.shape}.")
    counts = np.diff(history.tocsr().indptr)
    if (counts == 0).any():
        raise ValueError("every user needs a non-empty history: the lift compares with it.")
    own = (history.tocsr().astype(bool).astype(float) @ pop) / counts
    return average_popularity(lists, pop) / own - 1.0


def _scores(scores) -> np.ndarray:
    s = np.asarray(scores, dtype=float)
    if s.ndim != 2 or not s.size or np.isnan(s).any() or np.isposinf(s).any():
        raise ValueError("scores must be a 2-D array (users x items) of finite scores; -inf marks an item "
                         "never to recommend (e.g. one already seen).")
    return s


def _percentile(values: np.ndarray) -> np.ndarray:
    """Row-wise rank of each entry scaled to [0, 1] (0 the lowest); ties share their mean rank."""
    return (rankdata(values, axis=1, method="average") - 1) / max(values.shape[1] - 1, 1)


def penalise_popularity(scores, popularity, weight: float, k: int = 10):
    """Re-rank by (1 − weight) · percentile of the model's score − weight · percentile of the
    item's popularity, both per user over the items still allowed (-inf stays excluded).

    weight = 0 keeps the model's order; weight = 1 recommends the least popular items. Percentiles
    make the blend independent of the model's score scale. Returns ``top_k``'s (items, scores)."""
    s = _scores(scores)
    pop = _popularity(popularity)
    if s.shape[1] != len(pop):
        raise ValueError(f"popularity has {len(pop)} entries but scores has {s.shape[1]} items.")
    weight = checks.real_number(weight, "weight", minimum=0, maximum=1)
    allowed = np.isfinite(s)
    score_rank = _percentile(np.where(allowed, s, -np.inf))
    pop_rank = np.argsort(np.argsort(pop, kind="stable"), kind="stable") / max(len(pop) - 1, 1)
    blended = np.where(allowed, (1 - weight) * score_rank - weight * pop_rank[None, :], -np.inf)
    return top_k(blended, checks.whole_number(k, "k"))


def guarantee_share(scores, protected, k: int, minimum: int):
    """The best-scoring top-k list that holds at least ``minimum`` protected items (e.g. the
    long tail): the ``minimum`` best protected items, then the k − minimum best of the rest,
    ordered by score. This is the highest total score any list with that guarantee can reach.
    Users with fewer protected candidates get all they have. Returns (items, scores)."""
    s = _scores(scores)
    protected = np.asarray(protected)
    if protected.shape != (s.shape[1],) or protected.dtype != bool:
        raise ValueError(f"protected must be a boolean array with one entry per item ({s.shape[1]}).")
    k = checks.whole_number(k, "k")
    minimum = checks.whole_number(minimum, "minimum", minimum=0)
    if minimum > k:
        raise ValueError(f"minimum={minimum} cannot exceed k={k}.")
    forced = top_k(np.where(protected[None, :], s, -np.inf), minimum)[0] if minimum else np.empty((len(s), 0), int)
    n_forced = (forced >= 0).sum(axis=1)                  # fewer than minimum if the user has fewer candidates
    rest = s.copy()
    rows = np.repeat(np.arange(len(s)), forced.shape[1])
    valid = forced.ravel() >= 0
    rest[rows[valid], forced.ravel()[valid]] = -np.inf
    fill = top_k(rest, k)[0]
    candidates = np.hstack([forced, fill])
    keep = np.hstack([forced >= 0, np.arange(k)[None, :] < (k - n_forced)[:, None]])
    front = np.argsort(~keep, axis=1, kind="stable")[:, :k]   # the kept candidates, forced ones first
    chosen = np.take_along_axis(candidates, front, axis=1)
    chosen_scores = np.where(chosen >= 0, np.take_along_axis(s, np.maximum(chosen, 0), axis=1), -np.inf)
    order = np.lexsort((chosen, -chosen_scores), axis=1)
    return np.take_along_axis(chosen, order, axis=1), np.take_along_axis(chosen_scores, order, axis=1)


# ---- selection bias ----------------------------------------------------------------------------
def _errors(errors) -> np.ndarray:
    e = np.asarray(errors, dtype=float)
    if e.ndim != 1 or not e.size or not np.isfinite(e).all():
        raise ValueError("errors must be a non-empty 1-D array of finite numbers (one per observed pair).")
    return e


def _errors_and_propensities(errors, propensities):
    e = _errors(errors)
    p = np.asarray(propensities, dtype=float)
    if p.shape != e.shape:
        raise ValueError(f"propensities must have one entry per error ({e.shape[0]}), got shape {p.shape}.")
    if not np.isfinite(p).all() or (p <= 0).any() or (p > 1).any():
        raise ValueError("propensities must be probabilities in (0, 1]: an observed pair had a chance to be observed.")
    return e, p


def naive_estimate(errors) -> float:
    """The mean error over the observed pairs: what a log shows."""
    return float(_errors(errors).mean())


def ips_estimate(errors, propensities, n_pairs: int) -> float:
    """Inverse-propensity estimate of the mean error over all ``n_pairs`` pairs:
    (1 / n_pairs) Σ_observed e_ui / P_ui. Unbiased when the propensities are the true
    probabilities of observation and every pair has one above zero."""
    e, p = _errors_and_propensities(errors, propensities)
    n_pairs = checks.whole_number(n_pairs, "n_pairs")
    if n_pairs < len(e):
        raise ValueError(f"n_pairs={n_pairs} is fewer than the {len(e)} observed pairs.")
    return float((e / p).sum() / n_pairs)


def snips_estimate(errors, propensities) -> float:
    """Self-normalised IPS: Σ e_ui / P_ui divided by Σ 1 / P_ui. Slightly biased, much less
    variable than IPS, and it needs no count of all pairs."""
    e, p = _errors_and_propensities(errors, propensities)
    return float((e / p).sum() / (1 / p).sum())


# ---- position bias -----------------------------------------------------------------------------
def examination(n_positions: int, decay: float) -> np.ndarray:
    """θ_k = (1 / k)^decay for k = 1 .. n_positions: the probability that a user looks at position k
    in the position-based click model (decay 0: every position is seen)."""
    n = checks.whole_number(n_positions, "n_positions")
    decay = checks.real_number(decay, "decay", minimum=0)
    return (1.0 / np.arange(1, n + 1)) ** decay


def simulate_clicks(relevance, rankings, decay: float, *, seed: int = 0) -> np.ndarray:
    """Clicks of the position-based model: the item at position k of a shown ranking is clicked
    with probability θ_k · relevance[item]. ``rankings`` is (impressions x positions) item ids;
    returns a 0/1 array of the same shape."""
    rel = np.asarray(relevance, dtype=float)
    if rel.ndim != 1 or not rel.size or not np.isfinite(rel).all() or (rel < 0).any() or (rel > 1).any():
        raise ValueError("relevance must be a 1-D array of probabilities in [0, 1], one per item.")
    rankings = np.asarray(rankings)
    if rankings.ndim != 2 or not np.issubdtype(rankings.dtype, np.integer):
        raise ValueError(f"rankings must be a 2-D integer array (impressions x positions), got shape {rankings.shape}.")
    checks.ids(rankings.ravel(), len(rel), "rankings")
    theta = examination(rankings.shape[1], decay)
    rng = np.random.default_rng(checks.whole_number(seed, "seed", minimum=0))
    return (rng.random(rankings.shape) < theta[None, :] * rel[rankings]).astype(int)


def _clicks(clicks, rankings, n_items):
    c, r = np.asarray(clicks), np.asarray(rankings)
    if c.shape != r.shape or c.ndim != 2 or not ((c == 0) | (c == 1)).all():
        raise ValueError(f"clicks must be a 0/1 array shaped like rankings {r.shape}, got shape {c.shape}.")
    checks.ids(r.ravel(), checks.whole_number(n_items, "n_items"), "rankings")
    return c.astype(float), r


def _per_impression(rankings, weights, n_items) -> np.ndarray:
    """Per item, the sum of ``weights`` over its impressions divided by their number (NaN if none)."""
    shown = np.bincount(rankings.ravel(), minlength=n_items)
    total = np.bincount(rankings.ravel(), weights=weights.ravel(), minlength=n_items)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / np.where(shown > 0, shown, np.nan)


def naive_ctr(clicks, rankings, n_items: int) -> np.ndarray:
    """Each item's clicks / impressions, wherever it was shown (NaN if never shown)."""
    c, r = _clicks(clicks, rankings, n_items)
    return _per_impression(r, c, n_items)


def ips_ctr(clicks, rankings, n_items: int, decay: float) -> np.ndarray:
    """Each item's clicks weighted by 1 / θ_position, over impressions: an unbiased estimate of
    its relevance when θ is the true examination probability (NaN if never shown)."""
    c, r = _clicks(clicks, rankings, n_items)
    return _per_impression(r, c / examination(r.shape[1], decay)[None, :], n_items)
