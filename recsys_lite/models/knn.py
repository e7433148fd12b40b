"""Neighbourhood (memory-based) collaborative filtering: user-based and item-based kNN.

Mean-centred prediction (Resnick et al. 1994 for users; Sarwar et al. 2001 for items).
User-based, for user u and item i, with N_k(u; i) the k users most similar to u among those
who rated i (only positive similarities):

    r̂_ui = r̄_u + Σ_{v∈N} s_uv (r_vi − r̄_v) / Σ_{v∈N} |s_uv|

Item-based, with N_k(i; u) the k items most similar to i among those u rated:

    r̂_ui = r̄_i + Σ_{j∈N} s_ij (r_uj − r̄_j) / Σ_{j∈N} |s_ij|

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
from .._checks import whole_number


class _NeighbourhoodCF(Recommender):
    """Shared machinery; ``_by_user`` says whether neighbours are users (True) or items."""

    _by_user = True

    def __init__(self, *, k: int = 40, measure: str = "pearson", min_support: int = 1,
                 shrinkage: float = 0.0, ranking: str = "rating"):
        self.k = k
        self.measure = measure
        self.min_support = min_support
        self.shrinkage = shrinkage
        self.ranking = ranking

    def _fit(self, train: Dataset) -> None:
        whole_number(self.k, "k")
        if self.measure not in MEASURES:
            raise ValueError(f"unknown measure {self.measure!r}; choose one of {list(MEASURES)}.")
        if self.ranking not in ("rating", "similarity"):
            raise ValueError(f"ranking must be 'rating' or 'similarity', got {self.ranking!r}.")
        ratings = train.to_csr()
        # "entities" are what is compared (users or items); "contexts" the other side
        entity = ratings if self._by_user else ratings.T.tocsr()
        counts = np.diff(entity.indptr)
        sums = np.asarray(entity.sum(axis=1)).ravel()
        self.means_ = np.divide(sums, counts, out=np.zeros(len(counts)), where=counts > 0)
        residual = sp.csr_matrix((entity.data - np.repeat(self.means_, counts), entity.indices, entity.indptr),
                                 shape=entity.shape)
        self.residuals_ = residual.T.tocsr()   # contexts x entities: who rated context c, and how far from their mean
        sim = similarity(entity, self.measure, min_support=self.min_support, shrinkage=self.shrinkage)
        np.fill_diagonal(sim, 0.0)
        self.similarity_ = sim
        self.fallback_ = BiasBaseline().fit(train)
        # entities that have a mean (rated something): the others fall back to the baseline
        self.has_history_ = counts > 0

    # ---- the neighbourhood computation, grouped by context -----------------------------------------
    def _neighbourhood(self, entities: np.ndarray, context: int):
        """For several entities and one context: (weighted residual sum, Σ|s|, Σ s) over each
        entity's k most similar neighbours that have a rating in this context."""
        row = self.residuals_
        start, end = row.indptr[context], row.indptr[context + 1]
        candidates, residuals = row.indices[start:end], row.data[start:end]
        if len(candidates) == 0:
            zeros = np.zeros(len(entities))
            return zeros, zeros, zeros
        s = self.similarity_[np.ix_(entities, candidates)]
        s = np.where(s > 0, s, 0.0)
        if len(candidates) > self.k:
            top = np.argpartition(-s, self.k - 1, axis=1)[:, :self.k]
            s_top = np.take_along_axis(s, top, axis=1)
            r_top = residuals[top]
        else:
            s_top, r_top = s, np.broadcast_to(residuals, s.shape)
        return (s_top * r_top).sum(axis=1), np.abs(s_top).sum(axis=1), s_top.sum(axis=1)

    def _pairs(self, users: np.ndarray, items: np.ndarray):
        """Predicted rating and neighbour-similarity sum for each (user, item) pair."""
        entities, contexts = (users, items) if self._by_user else (items, users)
        rating = np.empty(len(users))
        weight = np.zeros(len(users))
        order = np.argsort(contexts, kind="stable")
        bounds = np.flatnonzero(np.diff(contexts[order])) + 1
        for group in np.split(order, bounds):
            if not len(group):
                continue
            num, den, total = self._neighbourhood(entities[group], contexts[group[0]])
            ok = (den > 0) & self.has_history_[entities[group]]
            rating[group] = np.where(ok, self.means_[entities[group]] + np.divide(num, den, out=np.zeros_like(num), where=ok), np.nan)
            weight[group] = total
        missing = np.isnan(rating)
        if missing.any():
            rating[missing] = self.fallback_.predict(users[missing], items[missing])
        lo, hi = self.fallback_.rating_range_
        return np.clip(rating, lo, hi), weight

    def _predict(self, users, items):
        return self._pairs(users, items)[0]

    def _score(self, users):
        n_items = self.n_items_
        all_users = np.repeat(users, n_items)
        all_items = np.tile(np.arange(n_items), len(users))
        rating, weight = self._pairs(all_users, all_items)
        scores = rating if self.ranking == "rating" else weight
        return scores.reshape(len(users), n_items)


class UserKNN(_NeighbourhoodCF):
    """User-based kNN: neighbours are the users most similar to u who rated i (module docstring)."""

    _by_user = True


class ItemKNN(_NeighbourhoodCF):
    """Item-based kNN: neighbours are the items most similar to i that u rated (module docstring)."""

    _by_user = False
