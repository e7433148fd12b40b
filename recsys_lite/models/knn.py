"""Neighbourhood (memory-based) collaborative filtering: user-based and item-based kNN.

Mean-centred prediction (Resnick et al. 1994 for users; Sarwar et al. 2001 for items).
User-based, for user u and item i, with N_k(u; i) the k users most similar to u among those
who rated i (only positive similarities):

    r̂_ui = r̄_u + Σ_{v∈N} s_uv (r_vi − r̄_v) / Σ_{v∈N} |s_uv|

Item-based, with N_k(i; u) the k items most similar to i among those u rated:

    r̂_ui = r̄_i + Σ_{j∈N} s_ij (r_uj − r̄_j) / Σ_{j∈N} |s_ij|

Only neighbours with a positive similarity are used, so Σ|s| = Σ s; the absolute value is kept
in the formulas because it is how they are usually written (with negative similarities allowed,
|s| keeps the denominator positive). When several candidates tie with the k-th largest
similarity, they share the remaining places equally, so an estimate never depends on the order in
which the ratings happen to be stored.

With ``baseline="bias"`` the neighbours predict the residual from the bias baseline instead of
from the mean (Koren 2010, section 2.2): with b_ui = μ + b_u + b_i,

    r̂_ui = b_ui + Σ_{v∈N} s_uv (r_vi − b_vi) / Σ_{v∈N} |s_uv|        (users; items alike)

so a neighbour's rating counts only for how far it is from what the baseline expected: the
item's own popularity (b_i) no longer leaks in through the neighbours.

Fallback: when no neighbour exists (nobody similar rated the item, or the user rated nothing
similar) the prediction is the bias baseline's μ + b_u + b_i, so every pair gets an estimate.

For top-n ranking, ``ranking="rating"`` ranks by r̂_ui; ``ranking="similarity"`` ranks by the
summed similarity of the neighbours, Σ_{N} s (Deshpande & Karypis 2004 for items), which
favours items with many close neighbours and is usually the better top-n score.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..data.dataset import Dataset
from ..similarity import MEASURES, similarity
from .base import Recommender
from .baselines import BiasBaseline
from .._checks import one_of, real_number, whole_number


class _NeighbourhoodCF(Recommender):
    """Shared machinery; ``_by_user`` says whether neighbours are users (True) or items."""

    _by_user = True

    def __init__(self, *, k: int = 40, measure: str = "pearson", min_support: int = 1,
                 shrinkage: float = 0.0, ranking: str = "rating", baseline: str = "mean"):
        self.k = k
        self.measure = measure
        self.min_support = min_support
        self.shrinkage = shrinkage
        self.ranking = ranking
        self.baseline = baseline

    def _fit(self, train: Dataset) -> None:
        whole_number(self.k, "k")
        if self.measure not in MEASURES:
            raise ValueError(f"unknown measure {self.measure!r}; choose one of {list(MEASURES)}.")
        one_of(self.ranking, "ranking", ("rating", "similarity"))
        whole_number(self.min_support, "min_support")
        real_number(self.shrinkage, "shrinkage", minimum=0)
        one_of(self.baseline, "baseline", ("mean", "bias"))
        self.fallback_ = BiasBaseline().fit(train)
        ratings = train.to_csr()
        # "entities" are what is compared (users or items); "contexts" the other side
        entity = ratings if self._by_user else ratings.T.tocsr()
        counts = np.diff(entity.indptr)
        sums = np.asarray(entity.sum(axis=1)).ravel()
        self.means_ = np.divide(sums, counts, out=np.zeros(len(counts)), where=counts > 0)
        if self.baseline == "mean":
            expected = np.repeat(self.means_, counts)
        else:
            rows = np.repeat(np.arange(entity.shape[0]), counts)
            users, items = (rows, entity.indices) if self._by_user else (entity.indices, rows)
            expected = self._bias(users, items)
        residual = sp.csr_matrix((entity.data - expected, entity.indices, entity.indptr), shape=entity.shape)
        self.residuals_ = residual.T.tocsr()   # contexts x entities: who rated context c, and how far from expected
        sim = similarity(entity, self.measure, min_support=self.min_support, shrinkage=self.shrinkage)
        np.fill_diagonal(sim, 0.0)
        self.similarity_ = sim
        self.positive_similarity_ = np.maximum(sim, 0.0)   # only positive similarities pick neighbours
        # entities that have a mean (rated something): the others fall back to the baseline
        self.has_history_ = counts > 0

    # ---- the neighbourhood computation, one context at a time -----------------------------------
    # The similarity matrix is symmetric, so the similarities of the candidates (those with a
    # rating in the context) to the entities being predicted are the rows ``similarity_[candidates]``:
    # a fast row gather. For each entity (a column) the k largest are found with one
    # `np.partition` per context, never a loop over entities.
    def _top_k_sums(self, s: np.ndarray, residuals: np.ndarray, with_residuals: bool = True):
        """Over each column's k largest (positive) similarities: Σ s (r − r̄) and Σ s.

        ``s`` is (candidates x entities), negative similarities already set to 0. When several
        candidates tie with the k-th largest value, they share the remaining places equally, so
        the result never depends on the order in which candidates are stored. Without
        ``with_residuals`` only Σ s is computed (the top-n score), and the first part is None.
        """
        n = s.shape[0]
        if n <= self.k:
            return (residuals @ s if with_residuals else None), s.sum(axis=0)
        part = np.partition(s, n - self.k, axis=0)
        total = part[n - self.k:].sum(axis=0)
        if not with_residuals:
            return None, total
        kth = part[n - self.k]                                  # the k-th largest per column
        at_least = s >= kth
        crowded = np.flatnonzero((kth > 0) & (np.count_nonzero(at_least, axis=0) > self.k))
        if len(crowded):   # more than k candidates tie at the k-th value: they share its places
            sc, kc = s[:, crowded], kth[crowded]
            tied = sc == kc
            share = (self.k - (sc > kc).sum(axis=0)) / tied.sum(axis=0)
            correction = (1 - share) * kc * (residuals @ tied)
        s *= at_least                                           # s is a fresh copy (a row gather)
        num = residuals @ s
        if len(crowded):
            num[crowded] -= correction
        return num, total

    def _context_sums(self, context: int, entities: np.ndarray | None, with_residuals: bool = True):
        """(Σ s (r − r̄), Σ s) over the k neighbours of each entity (all if None) in one context."""
        row = self.residuals_
        start, end = row.indptr[context], row.indptr[context + 1]
        candidates, residuals = row.indices[start:end], row.data[start:end]
        n = self.similarity_.shape[0] if entities is None else len(entities)
        if len(candidates) == 0:
            return np.zeros(n), np.zeros(n)
        s = self.positive_similarity_[candidates]
        if entities is not None:
            s = s[:, entities]
        return self._top_k_sums(s, residuals, with_residuals)

    def _bias(self, users, items) -> np.ndarray:
        b = self.fallback_
        return b.global_mean_ + b.user_bias_[users] + b.item_bias_[items]

    def _estimate(self, num, den, entities, users, items) -> np.ndarray:
        """Estimates from the neighbours' weighted deviations, added to the entity's mean (or to
        the bias baseline); the bias baseline where there is no neighbour (den = 0)."""
        ok = (den > 0) & self.has_history_[entities]
        base = self.means_[entities] if self.baseline == "mean" else self._bias(users, items)
        rating = base + np.divide(num, den, out=np.zeros_like(num, dtype=float), where=ok)
        if not ok.all():
            rating[~ok] = self.fallback_.predict(users[~ok], items[~ok])
        return np.clip(rating, *self.fallback_.rating_range_)

    def _predict(self, users, items):
        entities, contexts = (users, items) if self._by_user else (items, users)
        num, den = np.zeros(len(users)), np.zeros(len(users))
        order = np.argsort(contexts, kind="stable")
        bounds = np.flatnonzero(np.diff(contexts[order])) + 1
        for group in np.split(order, bounds):
            if len(group):
                num[group], den[group] = self._context_sums(contexts[group[0]], entities[group])
        return self._estimate(num, den, entities, users, items)

    def _score(self, users):
        n_items = self.n_items_
        by_rating = self.ranking == "rating"
        if self._by_user:    # contexts are items; the entities are the users asked for
            everyone = len(users) == self.n_users_ and (users == np.arange(self.n_users_)).all()
            sums = [self._context_sums(i, None if everyone else users, by_rating) for i in range(n_items)]
            stack = lambda parts: np.stack(parts, axis=1)                      # noqa: E731
        else:                # contexts are the users; the entities are every item
            sums = [self._context_sums(u, None, by_rating) for u in users]
            stack = lambda parts: np.stack(parts, axis=0)                      # noqa: E731
        den = stack([d for _, d in sums])                                      # (users, items)
        if not by_rating:
            return den
        num = stack([n for n, _ in sums])
        all_users, all_items = np.repeat(users, n_items), np.tile(np.arange(n_items), len(users))
        entities = all_users if self._by_user else all_items
        return self._estimate(num.ravel(), den.ravel(), entities, all_users, all_items).reshape(len(users), n_items)


class UserKNN(_NeighbourhoodCF):
    """User-based kNN: neighbours are the users most similar to u who rated i (module docstring)."""

    _by_user = True


class ItemKNN(_NeighbourhoodCF):
    """Item-based kNN: neighbours are the items most similar to i that u rated (module docstring)."""

    _by_user = False
