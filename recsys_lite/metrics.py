"""Evaluation metrics: pure functions, one formula each, inputs validated at the boundary.

Notation: for one user, ``ranked`` is a list of item ids in rank order (best first), ``relevant``
the set R of items the user actually used or liked, rel(i) = 1 if the item at position i is in
R, and P@i the precision of the first i positions.

Results for a user with no relevant items (R empty): precision@k is 0 (nothing recommended is
relevant); every metric that divides by |R| or by an ideal score (recall, AP, NDCG, MAR,
reciprocal rank, hit rate, AUC) is undefined and returns NaN. The `mean_*` functions and
`ranking_metrics` skip such users, so a mean is over users with at least one relevant item.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp
from scipy.stats import rankdata

from ._checks import one_of, real_number, whole_number

AP_NORMALIZERS = ("min", "relevant", "hits")

# ---- validation ------------------------------------------------------------------------------


def _numbers(values, name: str) -> np.ndarray:
    try:
        a = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must hold numbers, got {np.asarray(values).dtype} values.") from None
    if np.asarray(values).dtype == bool:
        raise ValueError(f"{name} must hold numbers, got booleans.")
    return a


def _pair(y_true, y_pred, names=("y_true", "y_pred")) -> tuple[np.ndarray, np.ndarray]:
    t, p = _numbers(y_true, names[0]), _numbers(y_pred, names[1])
    if t.shape != p.shape or t.ndim > 1:
        raise ValueError(f"{names[0]} and {names[1]} must be 1-D arrays of the same length, got shapes "
                         f"{t.shape} and {p.shape}.")
    t, p = t.ravel(), p.ravel()
    if t.size == 0:
        raise ValueError(f"{names[0]} and {names[1]} are empty; there is nothing to score.")
    for name, a in zip(names, (t, p)):
        if not np.isfinite(a).all():
            raise ValueError(f"{name} contains {int((~np.isfinite(a)).sum())} NaN or infinite values.")
    return t, p


def _check_k(k) -> int:
    return whole_number(k, "k")


def _kind(x) -> str:
    if isinstance(x, (bool, np.bool_)):
        return "boolean"
    if isinstance(x, (int, float, np.number)):
        return "number"
    return type(x).__name__


def _ranked(ranked) -> list:
    if isinstance(ranked, (str, bytes)) or not isinstance(ranked, Iterable):
        raise ValueError("ranked must be a sequence of item ids in rank order.")
    if isinstance(ranked, np.ndarray) and ranked.ndim != 1:
        raise ValueError(f"ranked must be one user's list (1-D), got shape {ranked.shape}; "
                         "for many users use ranking_metrics.")
    out = ranked.tolist() if isinstance(ranked, np.ndarray) else list(ranked)
    if any(isinstance(x, float) and math.isnan(x) for x in out):
        raise ValueError("ranked contains NaN; it must hold item ids.")
    if any(isinstance(x, (list, tuple, set, dict, np.ndarray)) for x in out):
        raise ValueError("ranked must be one user's list of item ids, not a list of lists.")
    if len(set(out)) != len(out):
        raise ValueError("ranked contains an item more than once; a ranking lists each item once.")
    return out


def _relevant(relevant) -> set:
    if isinstance(relevant, (str, bytes)) or not isinstance(relevant, Iterable):
        raise ValueError("relevant must be a collection of item ids.")
    out = set(np.asarray(relevant).ravel().tolist()) if isinstance(relevant, np.ndarray) else set(relevant)
    if any(isinstance(x, float) and math.isnan(x) for x in out):
        raise ValueError("relevant contains NaN; it must hold item ids.")
    return out


def _same_kind(ranked: list, relevant: set, names=("ranked", "relevant")) -> None:
    """Ids of different kinds (film titles against integer ids) can never match: say so rather
    than score 0."""
    a, b = {_kind(x) for x in ranked}, {_kind(x) for x in relevant}
    if a and b and not a & b:
        raise ValueError(f"{names[0]} holds {'/'.join(sorted(a))} ids but {names[1]} holds "
                         f"{'/'.join(sorted(b))} ids; they can never match.")


def _hits(ranked, relevant, k) -> tuple[np.ndarray, set]:
    k = _check_k(k)
    ranked, relevant = _ranked(ranked), _relevant(relevant)
    _same_kind(ranked, relevant)
    return np.array([item in relevant for item in ranked[:k]], dtype=bool), relevant


# ---- rating-based ----------------------------------------------------------------------------


def rmse(y_true, y_pred) -> float:
    """Root mean squared error over the test ratings T: sqrt( (1/|T|) Σ_(u,i)∈T (r_ui − r̂_ui)² )."""
    t, p = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((t - p) ** 2)))


def mae(y_true, y_pred) -> float:
    """Mean absolute error over the test ratings T: (1/|T|) Σ_(u,i)∈T |r_ui − r̂_ui|.

    No square root: the overview article's MAE formula carries a stray one.
    """
    t, p = _pair(y_true, y_pred)
    return float(np.mean(np.abs(t - p)))


def log_loss(labels, probabilities) -> float:
    """Mean binary cross-entropy of 0/1 ``labels`` under predicted ``probabilities`` (each in
    (0, 1)): −(1/n) Σ [y log p + (1 − y) log(1 − p)]. Lower is better; 0.693 is a coin flip."""
    y, p = _pair(labels, probabilities, ("labels", "probabilities"))
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1.")
    if ((p <= 0) | (p >= 1)).any():
        raise ValueError("probabilities must lie strictly between 0 and 1 (a probability of exactly 0 or 1 "
                         "makes the loss infinite when it is wrong).")
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


# ---- item-based (sets, no order) -------------------------------------------------------------


def confusion_counts(recommended, used, n_items: int) -> dict:
    """TP, FP, FN, TN of a recommended set against a used set, in a catalogue of n_items.

    TP = |rec ∩ used|, FP = |rec − used|, FN = |used − rec|, TN = n_items − |rec ∪ used|.
    """
    rec, used = _relevant(recommended), _relevant(used)
    _same_kind(list(rec), used, ("recommended", "used"))
    if isinstance(n_items, bool) or not isinstance(n_items, (int, np.integer)) or n_items < len(rec | used):
        raise ValueError(f"n_items must be a whole number >= the number of distinct items named "
                         f"({len(rec | used)}), got {n_items!r}.")
    tp = len(rec & used)
    return {"TP": tp, "FP": len(rec - used), "FN": len(used - rec), "TN": int(n_items) - len(rec | used)}


def precision(recommended, used) -> float:
    """TP / (TP + FP): the share of recommended items that were used (0 if nothing recommended)."""
    rec, used = _relevant(recommended), _relevant(used)
    _same_kind(list(rec), used, ("recommended", "used"))
    return len(rec & used) / len(rec) if rec else 0.0


def recall(recommended, used) -> float:
    """TP / (TP + FN): the share of used items that were recommended (NaN if nothing was used)."""
    rec, used = _relevant(recommended), _relevant(used)
    _same_kind(list(rec), used, ("recommended", "used"))
    return len(rec & used) / len(used) if used else float("nan")


def f_measure(recommended, used, beta: float = 1.0) -> float:
    """F_β = (1 + β²) P R / (β² P + R); β = 1 is the harmonic mean 2PR / (P + R). 0 if P = R = 0."""
    real_number(beta, "beta", above=0)
    p, r = precision(recommended, used), recall(recommended, used)
    if math.isnan(r):
        return float("nan")
    return 0.0 if p + r == 0 else (1 + beta**2) * p * r / (beta**2 * p + r)


# ---- ranking, one user -----------------------------------------------------------------------


def precision_at_k(ranked, relevant, k: int) -> float:
    """P@k = |top-k ∩ R| / k. A list shorter than k counts its missing places as misses."""
    hits, _ = _hits(ranked, relevant, k)
    return float(hits.sum() / k)


def recall_at_k(ranked, relevant, k: int) -> float:
    """R@k = |top-k ∩ R| / |R|."""
    hits, relevant = _hits(ranked, relevant, k)
    return float(hits.sum() / len(relevant)) if relevant else float("nan")


def average_precision_at_k(ranked, relevant, k: int, normalize: str = "min") -> float:
    """AP@k = (1/N) Σ_{i=1..k} P@i · rel(i).

    The normaliser N differs between libraries, so it is a choice here:
    ``"min"`` (default) N = min(k, |R|): a perfect top-k scores 1 even when |R| > k;
    ``"relevant"`` N = |R|: the recall-oriented form (AP@k ≤ R@k);
    ``"hits"`` N = number of relevant items in the top k (0 if there are none).
    The overview article calls this formula "MAP@K"; it is AP for one user, and MAP@k is its
    mean over users (`map_at_k`).
    """
    hits, relevant = _hits(ranked, relevant, k)
    one_of(normalize, "normalize", AP_NORMALIZERS)
    if not relevant:
        return float("nan")
    precisions = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    total = float((precisions * hits).sum())
    n = {"min": min(k, len(relevant)), "relevant": len(relevant), "hits": int(hits.sum())}[normalize]
    return total / n if n else 0.0


def ndcg_at_k(ranked, relevant, k: int, gains: dict | None = None) -> float:
    """NDCG@k = DCG@k / IDCG@k with DCG@k = Σ_{i=1..k} g_i / log2(i + 1).

    Binary gains by default (g_i = rel(i)); pass ``gains`` (item -> gain, e.g. the rating) for
    graded relevance, with linear gains as in scikit-learn's ``ndcg_score``. IDCG@k is the DCG
    of the best possible order of the relevant items.
    """
    hits, relevant = _hits(ranked, relevant, k)
    if gains is None:
        gain_of = dict.fromkeys(relevant, 1.0)
    else:
        if not isinstance(gains, dict):
            raise ValueError(f"gains must be a dict item -> gain, got {type(gains).__name__}.")
        gain_of = {item: real_number(g, f"gains[{item!r}]", minimum=0) for item, g in gains.items() if item in relevant}
        missing = relevant - set(gain_of)
        if missing:
            raise ValueError(f"gains has no value for relevant items {sorted(missing)[:5]}.")
    if not relevant:
        return float("nan")
    ranked_k = _ranked(ranked)[:k]
    discounts = 1 / np.log2(np.arange(2, k + 2))
    dcg = sum(gain_of.get(item, 0.0) * discounts[i] for i, item in enumerate(ranked_k))
    ideal = np.sort(np.fromiter(gain_of.values(), float))[::-1][:k]
    idcg = float((ideal * discounts[:len(ideal)]).sum())
    return float(dcg / idcg) if idcg > 0 else float("nan")


def reciprocal_rank(ranked, relevant, k: int | None = None) -> float:
    """1 / (position of the first relevant item), within the first k places if k is given; 0 if
    no relevant item is there."""
    ranked, relevant = _ranked(ranked), _relevant(relevant)
    _same_kind(ranked, relevant)
    limit = len(ranked) if k is None else _check_k(k)
    if not relevant:
        return float("nan")
    for position, item in enumerate(ranked[:limit], start=1):
        if item in relevant:
            return 1.0 / position
    return 0.0


def hit_rate_at_k(ranked, relevant, k: int) -> float:
    """1 if at least one relevant item is in the top k, else 0."""
    hits, relevant = _hits(ranked, relevant, k)
    return float(hits.any()) if relevant else float("nan")


def mar_at_k(ranked, relevant, k: int) -> float:
    """The overview article's "MAR@K" for one user: (1/|R|) Σ_{i=1..k} R@i · rel(i).

    Not a standard metric. It sums recall at the positions of hits and divides by |R|: with
    h hits at positions p_1 < ... < p_h, R@p_j = j/|R|, so MAR@k = h(h+1) / (2|R|²). It depends
    only on how many hits the top k holds, not where: it ignores order, like recall, and equals
    (R@k)² · (1 + 1/h) / 2. The standard quantity it is often confused with is mean recall@k,
    the average of R@k over users (`mean_recall_at_k`).
    """
    hits, relevant = _hits(ranked, relevant, k)
    if not relevant:
        return float("nan")
    recalls = np.cumsum(hits) / len(relevant)
    return float((recalls * hits).sum() / len(relevant))


def auc(scores, labels) -> float:
    """Area under the ROC curve for one user: the probability that a random relevant item is
    scored above a random irrelevant one (ties count one half). NaN unless both kinds exist."""
    s, y = _pair(scores, labels, ("scores", "labels"))
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1.")
    n_pos, n_neg = int(y.sum()), int((1 - y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(s)
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


# ---- over users --------------------------------------------------------------------------------


def _over_users(metric, ranked_lists, relevant_lists, *args, **kwargs) -> float:
    ranked_lists, relevant_lists = list(ranked_lists), list(relevant_lists)
    if len(ranked_lists) != len(relevant_lists):
        raise ValueError(f"ranked_lists and relevant_lists must have one entry per user, got "
                         f"{len(ranked_lists)} and {len(relevant_lists)}.")
    values = np.array([metric(r, rel, *args, **kwargs) for r, rel in zip(ranked_lists, relevant_lists)])
    values = values[~np.isnan(values)]
    if not len(values):
        raise ValueError("no user has a relevant item; the mean is undefined.")
    return float(values.mean())


def map_at_k(ranked_lists, relevant_lists, k: int, normalize: str = "min") -> float:
    """MAP@k: the mean of `average_precision_at_k` over users with at least one relevant item."""
    return _over_users(average_precision_at_k, ranked_lists, relevant_lists, k, normalize)


def mean_precision_at_k(ranked_lists, relevant_lists, k: int) -> float:
    """The mean of P@k over users with at least one relevant item."""
    return _over_users(lambda r, rel, k: precision_at_k(r, rel, k) if _relevant(rel) else float("nan"),
                       ranked_lists, relevant_lists, k)


def mean_recall_at_k(ranked_lists, relevant_lists, k: int) -> float:
    """The mean of R@k over users with at least one relevant item."""
    return _over_users(recall_at_k, ranked_lists, relevant_lists, k)


def mean_reciprocal_rank(ranked_lists, relevant_lists, k: int | None = None) -> float:
    """MRR: the mean of `reciprocal_rank` over users with at least one relevant item."""
    return _over_users(reciprocal_rank, ranked_lists, relevant_lists, k)


# ---- beyond accuracy -------------------------------------------------------------------------


def _lists(recommended, n_items=None) -> np.ndarray:
    """A (users x k) array of item ids, -1 for padding; each id at most once per list and, when
    ``n_items`` is given, inside the catalogue 0 .. n_items-1."""
    rec = np.asarray(recommended)
    if rec.ndim != 2:
        raise ValueError(f"recommended must be a (users x k) array of item ids, got shape {rec.shape}.")
    if rec.size and (rec.dtype == bool or not np.issubdtype(rec.dtype, np.number)):
        raise ValueError(f"recommended must hold integer item ids, got dtype {rec.dtype}.")
    if rec.size and np.issubdtype(rec.dtype, np.floating):
        if not (np.isfinite(rec).all() and (rec == np.round(rec)).all()):
            raise ValueError("recommended must hold whole-number item ids (-1 for padding).")
        rec = rec.astype(np.int64)
    if rec.size and rec.min() < -1:
        raise ValueError(f"recommended holds negative ids other than the padding -1, e.g. {rec.min()}.")
    if n_items is not None:
        n_items = whole_number(n_items, "n_items")
        if rec.size and rec.max() >= n_items:
            raise ValueError(f"recommended holds item id {rec.max()}, outside the catalogue 0 .. {n_items - 1} "
                             f"(n_items={n_items}).")
    if rec.size:
        ordered = np.sort(rec, axis=1)
        if ((ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)).any():
            raise ValueError("recommended lists an item more than once in a row; a list shows each item once.")
    return rec


def catalogue_coverage(recommended, n_items: int) -> float:
    """The share of the catalogue that appears in at least one list: |∪_u L_u| / |I|.
    Padding (-1) is ignored."""
    rec = _lists(recommended, n_items)
    return float(np.unique(rec[rec >= 0]).size / n_items)


def novelty(recommended, item_popularity) -> float:
    """Mean self-information of recommended items: mean over lists and places of −log2 p_i,
    where p_i is the share of users who interacted with item i (Zhou et al. 2010). An item nobody
    interacted with is given p_i = min(p_j > 0), the rarest observed popularity."""
    p = _numbers(item_popularity, "item_popularity")
    if p.ndim != 1 or np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("item_popularity must be a 1-D array of shares in [0, 1], one per item.")
    rec = _lists(recommended, len(p))
    if not (p > 0).any():
        raise ValueError("item_popularity is all zero; novelty is undefined.")
    p = np.where(p > 0, p, p[p > 0].min())
    items = rec[rec >= 0]
    return float(np.mean(-np.log2(p[items])))


def intra_list_diversity(recommended, similarity) -> float:
    """Mean over lists of 1 − (mean similarity of the pairs of items in the list)
    (Ziegler et al. 2005). ``similarity`` is an items x items matrix (dense or sparse)."""
    sim = similarity.toarray() if sp.issparse(similarity) else _numbers(similarity, "similarity")
    if sim.ndim != 2 or sim.shape[0] != sim.shape[1] or not np.isfinite(sim).all():
        raise ValueError(f"similarity must be a square items x items matrix of finite numbers, got shape {sim.shape}.")
    rec = _lists(recommended, sim.shape[0])
    if rec.shape[1] < 2:
        raise ValueError("intra-list diversity needs lists of at least 2 items.")
    if rec.min() < 0:
        raise ValueError("recommended holds padding (-1); pass full lists.")
    block = sim[rec[:, :, None], rec[:, None, :]]  # (users, k, k)
    k = rec.shape[1]
    mean_pair = (block.sum(axis=(1, 2)) - np.trace(block, axis1=1, axis2=2)) / (k * (k - 1))
    return float(np.mean(1 - mean_pair))


def gini_index(recommended, n_items: int) -> float:
    """Gini index of how often each catalogue item is recommended: 0 when every item is shown
    equally often, approaching 1 when a few items take all the exposure.
    G = Σ_j (2j − n − 1) x_(j) / (n Σ_j x_j), with exposures x sorted ascending, j = 1..n."""
    rec = _lists(recommended, n_items)
    x = np.sort(np.bincount(rec[rec >= 0], minlength=n_items)).astype(float)
    if x.sum() == 0:
        raise ValueError("no item was recommended; the Gini index is undefined.")
    n = len(x)
    j = np.arange(1, n + 1)
    return float(((2 * j - n - 1) * x).sum() / (n * x.sum()))


# ---- batched: every user at once ----------------------------------------------------------------

RANKING_METRICS = ("precision", "recall", "ndcg", "map", "mrr", "hit_rate", "mar")


def ranking_metrics(top_items, relevant: sp.csr_matrix, k: int | None = None, *,
                    graded: bool = False, normalize: str = "min") -> dict:
    """Every per-user ranking metric at once, vectorised.

    ``top_items``: (users x k) array of item ids, best first (-1 for padding); row u belongs to
    row u of ``relevant``, a users x items sparse matrix whose nonzeros mark relevant items (their
    values are the gains if ``graded``). Returns a dict metric -> array (one value per user), with
    NaN for users without relevant items, exactly as the one-user functions define them.
    """
    if not sp.issparse(relevant):
        raise TypeError(f"relevant must be a users x items scipy.sparse matrix, got {type(relevant).__name__}.")
    rel = _relevance_matrix(relevant)
    try:
        top = _lists(top_items, rel.shape[1])
    except ValueError as e:
        raise ValueError(str(e).replace("recommended", "top_items")) from None
    if rel.shape[0] != top.shape[0]:
        raise ValueError(f"top_items has {top.shape[0]} rows but relevant has {rel.shape[0]}.")
    one_of(normalize, "normalize", AP_NORMALIZERS)
    k = top.shape[1] if k is None else _check_k(k)
    if k > top.shape[1]:
        raise ValueError(f"k={k} is larger than the lists ({top.shape[1]} items).")
    top = top[:, :k]
    n_users = top.shape[0]
    rows = np.repeat(np.arange(n_users), k)
    valid = top.ravel() >= 0
    gain = np.zeros(n_users * k)
    gain[valid] = np.asarray(rel[rows[valid], top.ravel()[valid]]).ravel()
    gain = gain.reshape(n_users, k)
    hits = gain > 0
    n_rel = np.diff(rel.indptr)
    has = n_rel > 0
    positions = np.arange(1, k + 1)
    n_hits = hits.sum(axis=1)
    cum = np.cumsum(hits, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {"precision": np.where(has, n_hits / k, np.nan),
               "recall": np.where(has, n_hits / n_rel, np.nan),
               "hit_rate": np.where(has, (n_hits > 0).astype(float), np.nan)}
        ap_sum = ((cum / positions) * hits).sum(axis=1)
        denom = {"min": np.minimum(k, n_rel), "relevant": n_rel, "hits": n_hits}[normalize]
        out["map"] = np.where(has, np.where(denom > 0, ap_sum / np.maximum(denom, 1), 0.0), np.nan)
        first = np.where(n_hits > 0, hits.argmax(axis=1) + 1, 0)
        out["mrr"] = np.where(has, np.where(first > 0, 1.0 / np.maximum(first, 1), 0.0), np.nan)
        out["mar"] = np.where(has, ((cum / n_rel[:, None]) * hits).sum(axis=1) / n_rel, np.nan)
        discounts = 1 / np.log2(positions + 1)
        gains = gain if graded else hits.astype(float)
        dcg = (gains * discounts).sum(axis=1)
        out["ndcg"] = np.where(has, dcg / _ideal_dcg(rel, k, graded, discounts), np.nan)
    return out


def _relevance_matrix(relevant) -> sp.csr_matrix:
    """Relevance as CSR with explicit zeros dropped; duplicate entries, NaN, inf and negative
    gains refused (a summed duplicate or a negative gain would corrupt every metric)."""
    coo = sp.coo_matrix(relevant)
    if coo.nnz and not np.isfinite(coo.data).all():
        raise ValueError("relevant holds NaN or infinite values.")
    if (coo.data < 0).any():
        raise ValueError("relevant holds negative values; relevance and graded gains must be >= 0.")
    if coo.nnz and np.unique(coo.row.astype(np.int64) * coo.shape[1] + coo.col).size != coo.nnz:
        raise ValueError("relevant holds duplicate (user, item) entries; give each pair once.")
    rel = coo.tocsr()
    rel.eliminate_zeros()
    return rel


def _ideal_dcg(rel: sp.csr_matrix, k: int, graded: bool, discounts: np.ndarray) -> np.ndarray:
    """Per row: the DCG of the row's relevant gains sorted best first, cut at k."""
    n_rel = np.diff(rel.indptr)
    values = rel.data.astype(float) if graded else np.ones(rel.nnz)
    row = np.repeat(np.arange(rel.shape[0]), n_rel)
    order = np.lexsort((-values, row))
    rank = np.arange(rel.nnz) - np.repeat(rel.indptr[:-1], n_rel)  # rank within row, after sort
    keep = rank < k
    idcg = np.zeros(rel.shape[0])
    np.add.at(idcg, row[order][keep], values[order][keep] * discounts[rank[keep]])
    return idcg


def auc_per_user(scores: np.ndarray, relevant: sp.csr_matrix, exclude: sp.csr_matrix | None = None) -> np.ndarray:
    """AUC for every user at once from a (users x items) score matrix: relevant items against all
    other candidate items, items in ``exclude`` (e.g. training items) left out. NaN for users
    with no relevant or no irrelevant candidate."""
    s = np.array(_numbers(scores, "scores"))
    if not sp.issparse(relevant):
        raise TypeError(f"relevant must be a users x items scipy.sparse matrix, got {type(relevant).__name__}.")
    rel = _relevance_matrix(relevant).astype(bool).astype(float)
    if rel.shape != s.shape:
        raise ValueError(f"scores {s.shape} and relevant {rel.shape} must have the same shape.")
    if np.isnan(s).any() or np.isinf(s).any():
        raise ValueError(f"scores contain {int((~np.isfinite(s)).sum())} NaN or infinite values; "
                         "AUC needs a finite score for every item.")
    n_excluded = np.zeros(s.shape[0])
    if exclude is not None:
        if not sp.issparse(exclude) or exclude.shape != s.shape:
            raise ValueError(f"exclude must be a sparse matrix of the scores' shape {s.shape}.")
        ex = sp.csr_matrix(exclude).astype(bool).astype(float)
        ex = sp.csr_matrix(ex - ex.multiply(rel))  # a relevant item is never excluded
        ex.eliminate_zeros()
        r, c = ex.nonzero()
        s[r, c] = -np.inf
        n_excluded = np.diff(ex.indptr)
    ranks = rankdata(s, axis=1)  # excluded items tie at the bottom, below every candidate
    n_pos = np.diff(rel.indptr)
    n_neg = s.shape[1] - n_excluded - n_pos
    pos_rank_sum = np.asarray(rel.multiply(ranks).sum(axis=1)).ravel() - n_pos * n_excluded
    with np.errstate(invalid="ignore", divide="ignore"):
        a = (pos_rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), a, np.nan)
