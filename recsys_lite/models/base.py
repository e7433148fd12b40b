"""The contract every model in the book follows, in the spirit of scikit-learn's estimators.

* hyper-parameters are keyword-only arguments of ``__init__``, which only stores them;
* ``fit(train)`` learns from a `Dataset` and returns ``self``; what it learns ends in ``_``;
* ``predict(users, items)`` gives a rating estimate for each (user, item) pair;
* ``recommend(users, k=10)`` ranks the full catalogue for many users at once and returns the
  top k, excluding the items each user rated in training unless ``exclude_seen=False``;
  ``recommend_with_scores`` returns the same lists and every item's score, from one scoring
  pass (evaluation needs both, e.g. for AUC);
* ``fit`` also records how long it took, in ``fit_seconds_``;
* anything used before ``fit``, ids outside the catalogue and a bad ``k`` raise errors that
  say what was wrong.

A subclass implements ``_fit(train)`` and ``_score(users) -> (len(users), n_items)`` array; a
rating model also overrides ``_predict``. Everything else (validation, batching, seen-item
filtering, top-k selection) lives here once.
"""
from __future__ import annotations

import inspect
import pickle
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..data.dataset import Dataset
from .. import _checks as checks
from .._atomic import write_atomic
from .._checks import whole_number


class NotFittedError(RuntimeError):
    """A model was asked to predict or recommend before ``fit``."""


class Recommendations(NamedTuple):
    """Top-k lists for several users: ``items[j]`` are user j's item ids, best first, and
    ``scores[j]`` their scores. A row with fewer than k candidate items is padded with item -1
    and score -inf."""

    items: np.ndarray
    scores: np.ndarray


class Recommender:
    """Base class: validation, batching and top-k selection shared by every model."""

    #: how many users `recommend` scores at once (bounds memory to batch x n_items floats)
    batch_size = 2048

    # ---- scikit-learn style parameters -------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.kind == p.KEYWORD_ONLY]

    def get_params(self) -> dict:
        """The hyper-parameters given to ``__init__``."""
        return {name: getattr(self, name) for name in self._param_names()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # ---- the contract ------------------------------------------------------------------
    def fit(self, train: Dataset) -> "Recommender":
        """Learn from the training ratings; returns ``self``."""
        if not isinstance(train, Dataset):
            raise TypeError(f"fit expects a recsys_lite Dataset (e.g. split.train), got {type(train).__name__}.")
        if train.n_ratings == 0:
            raise ValueError("fit got a dataset with no ratings; nothing can be learned from it.")
        self.n_users_, self.n_items_ = train.n_users, train.n_items
        self.seen_ = train.to_csr(binary=True)
        start = time.perf_counter()
        self._fit(train)
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def predict(self, users, items) -> np.ndarray:
        """Rating estimates for the pairs (users[j], items[j]); both 1-D arrays of equal length."""
        self._check_fitted()
        users = self._check_ids(users, self.n_users_, "users")
        items = self._check_ids(items, self.n_items_, "items")
        if users.shape != items.shape:
            raise ValueError(f"users and items must have the same length, got {len(users)} and {len(items)}.")
        return np.asarray(self._predict(users, items), dtype=float)

    def score(self, users) -> np.ndarray:
        """Scores of every item for each user, shape (len(users), n_items); higher is better."""
        self._check_fitted()
        return np.asarray(self._score(self._check_ids(users, self.n_users_, "users")), dtype=float)

    def recommend(self, users=None, k: int = 10, *, exclude_seen: bool = True, candidates=None) -> Recommendations:
        """The top-``k`` items for each user (all users when ``users`` is None), best first.

        The whole catalogue is ranked, or only the item ids in ``candidates`` (for example new
        films); items the user rated in training are left out unless ``exclude_seen=False``.
        Ties are broken by item id.
        """
        return self._rank(users, k, exclude_seen, keep_scores=False, candidates=candidates)[0]

    def recommend_with_scores(self, users=None, k: int = 10, *, exclude_seen: bool = True,
                              candidates=None) -> tuple[Recommendations, np.ndarray]:
        """`recommend` and `score` from one scoring pass: the top-k lists, and the scores of every
        item for each user, shape (len(users), n_items), before seen items are left out."""
        return self._rank(users, k, exclude_seen, keep_scores=True, candidates=candidates)

    def _rank(self, users, k, exclude_seen, keep_scores, candidates=None):
        self._check_fitted()
        checks.flag(exclude_seen, "exclude_seen")
        users = np.arange(self.n_users_) if users is None else self._check_ids(users, self.n_users_, "users")
        k = whole_number(k, "k")
        if k > self.n_items_:
            raise ValueError(f"k={k} is larger than the catalogue ({self.n_items_} items).")
        outside = None
        if candidates is not None:
            outside = np.ones(self.n_items_, dtype=bool)
            outside[checks.distinct_ids(candidates, self.n_items_, "candidates")] = False
        top_items = np.empty((len(users), k), dtype=np.int64)
        top_scores = np.empty((len(users), k), dtype=float)
        all_scores = np.empty((len(users), self.n_items_)) if keep_scores else None
        for start in range(0, len(users), self.batch_size):
            batch = users[start:start + self.batch_size]
            scores = np.array(self._score(batch), dtype=float)  # a copy we may overwrite
            if keep_scores:
                all_scores[start:start + len(batch)] = scores
            if outside is not None:
                scores[:, outside] = -np.inf
            if exclude_seen:
                seen = self.seen_[batch]
                scores[np.repeat(np.arange(len(batch)), np.diff(seen.indptr)), seen.indices] = -np.inf
            items, vals = top_k(scores, k)
            top_items[start:start + len(batch)], top_scores[start:start + len(batch)] = items, vals
        return Recommendations(top_items, top_scores), all_scores

    # ---- saving and loading --------------------------------------------------------------
    def save(self, path) -> Path:
        """Write the fitted model to ``path`` with pickle, atomically (a half-written file never
        replaces a good one). Models with torch weights override this to save weights only."""
        self._check_fitted()
        return write_atomic(path, lambda f: pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL))

    @classmethod
    def load(cls, path) -> "Recommender":
        """A model written by `save`. Pickle runs code while loading: load only files you made."""
        with open(path, "rb") as f:
            model = pickle.load(f)
        if not isinstance(model, cls):
            raise TypeError(f"{path} holds a {type(model).__name__}, not a {cls.__name__}.")
        return model

    # ---- for subclasses ----------------------------------------------------------------
    def _fit(self, train: Dataset) -> None:
        raise NotImplementedError

    def _score(self, users: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} ranks items but does not estimate ratings.")

    # ---- validation --------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "n_items_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call .fit(train) first.")

    @staticmethod
    def _check_ids(ids, n: int, name: str) -> np.ndarray:
        return checks.ids(ids, n, name)


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise top-k of a score matrix, best first, ties broken by the lower column index.

    Columns scored -inf (or NaN) are never chosen before finite ones; their slots in a row
    with fewer than k finite scores hold index -1 and score -inf.
    """
    scores = np.asarray(scores)
    if scores.ndim != 2 or not np.issubdtype(scores.dtype, np.number) or scores.dtype == bool:
        raise ValueError(f"scores must be a 2-D numeric (rows x columns) array, got shape {scores.shape} "
                         f"and dtype {scores.dtype}.")
    whole_number(k, "k")
    if np.isposinf(scores).any():
        raise ValueError("scores hold +inf; a score must be finite (or -inf/NaN for 'never choose').")
    scores = np.where(np.isnan(scores), -np.inf, scores.astype(float))
    n_rows, n_cols = scores.shape
    k = min(k, n_cols)
    if k < n_cols:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        part = np.tile(np.arange(n_cols), (n_rows, 1))
    vals = np.take_along_axis(scores, part, axis=1)
    # Where items outside the selection tie with the k-th score, argpartition chose among them
    # arbitrarily: sort those rows exactly (a stable sort keeps the lower index first).
    ambiguous = np.nonzero((scores >= vals.min(axis=1, keepdims=True)).sum(axis=1) > k)[0]
    if len(ambiguous):
        exact = np.argsort(-scores[ambiguous], axis=1, kind="stable")[:, :k]
        part[ambiguous] = exact
        vals[ambiguous] = np.take_along_axis(scores[ambiguous], exact, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    items = np.take_along_axis(part, order, axis=1)
    vals = np.take_along_axis(vals, order, axis=1)
    items[vals == -np.inf] = -1
    return items, vals
