"""Hybrid recommenders: two models combined, following Burke's (2002) taxonomy.

Both hybrids here take two unfitted models on the book's contract, ``first`` and ``second``
(typically content-based first and collaborative filtering second), fit copies of them on the
same training data (``first_`` and ``second_``, so their own scores can be evaluated beside the
hybrid's), and combine what they say about each user. With ``prefit=True`` the two models given
are already fitted on the same training data and are used as they are (no second fit; `fit`
checks that they saw exactly that data). n_u is the number of training ratings of user u.

* `SwitchingHybrid`: the first model for users with fewer than ``threshold`` training ratings,
  the second for everyone else: score(u, ·) = first(u, ·) if n_u < threshold, else second(u, ·).
* `WeightedHybrid`: a blend of the two models' scores after each user's scores are put on one
  scale (standardised over the catalogue: z = (s − mean) / standard deviation, so that a model
  whose scores span 0..1 and one whose scores span 0..500 count alike):

      score(u, i) = (1 − w_u) z_first(u, i) + w_u z_second(u, i),

  with one weight for everybody (w_u = ``weight``), or, with ``shrink`` = m, a weight that grows
  with the user's history, w_u = n_u / (n_u + m): a newcomer is scored by the first model, and
  the second takes over as ratings arrive (half-way at n_u = m).

A user whose scores under one model are all equal (iALS for a user with no history, say) has no
preference under it: that model's standardised scores are 0 for the user, and the blend ranks
by the other model alone.
"""
from __future__ import annotations

import numpy as np

from ..data.dataset import Dataset
from .._checks import flag, real_number, whole_number
from .base import Recommender


def _check_model(model, name: str) -> Recommender:
    if not isinstance(model, Recommender):
        raise TypeError(f"{name} must be a recsys_lite model (a Recommender), got {type(model).__name__}.")
    return model


def _clone(model, name: str) -> Recommender:
    """A fresh, unfitted copy of ``model`` with the same hyper-parameters."""
    return type(model)(**_check_model(model, name).get_params())


def standardise(scores: np.ndarray) -> np.ndarray:
    """Each row of ``scores`` minus its mean, divided by its standard deviation; a constant row
    becomes zeros. Rows are users, columns items; every score must be finite."""
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2:
        raise ValueError(f"scores must be a 2-D users x items array, got shape {scores.shape}.")
    if not np.isfinite(scores).all():
        raise ValueError("scores hold NaN or inf; a blend needs finite scores for every item.")
    centred = scores - scores.mean(axis=1, keepdims=True)
    spread = centred.std(axis=1, keepdims=True)
    flat = spread <= 1e-12 * np.maximum(1.0, np.abs(scores).max(axis=1, keepdims=True))
    return np.where(flat, 0.0, centred / np.where(flat, 1.0, spread))


class _Pair(Recommender):
    """Fits copies of two models (or takes them fitted) and knows each user's history length."""

    def _fit(self, train: Dataset) -> None:
        self._check_hyper()
        if flag(self.prefit, "prefit"):
            self.first_, self.second_ = (_fitted_on(m, name, train) for m, name in ((self.first, "first"),
                                                                                    (self.second, "second")))
        else:
            self.first_ = _clone(self.first, "first").fit(train)
            self.second_ = _clone(self.second, "second").fit(train)
        self.history_ = np.bincount(train.ratings["user"].to_numpy(), minlength=train.n_users)

    def _check_hyper(self) -> None:
        raise NotImplementedError


def _fitted_on(model, name: str, train: Dataset) -> Recommender:
    """``model`` itself, if it was fitted on exactly the ratings of ``train`` (for ``prefit``)."""
    _check_model(model, name)
    if not hasattr(model, "n_items_"):
        raise ValueError(f"prefit=True, but {name} ({type(model).__name__}) is not fitted; fit it on the same "
                         "training data first, or leave prefit=False.")
    seen = train.to_csr(binary=True)
    if (model.n_users_, model.n_items_) != seen.shape or (model.seen_ != seen).nnz:
        raise ValueError(f"prefit=True, but {name} ({type(model).__name__}) was fitted on other ratings than the "
                         "training data given to fit; fit both on the same data.")
    return model


class SwitchingHybrid(_Pair):
    """``first`` for users with fewer than ``threshold`` training ratings, ``second`` for the
    rest (see the module)."""

    def __init__(self, *, first=None, second=None, threshold: int = 5, prefit: bool = False):
        self.first = first
        self.second = second
        self.threshold = threshold
        self.prefit = prefit

    def _check_hyper(self) -> None:
        whole_number(self.threshold, "threshold", minimum=0)
        _check_model(self.first, "first"), _check_model(self.second, "second")

    def uses_second(self, users) -> np.ndarray:
        """For each user: True where the second model scores them (n_u >= threshold)."""
        self._check_fitted()
        return self.history_[self._check_ids(users, self.n_users_, "users")] >= self.threshold

    def _score(self, users: np.ndarray) -> np.ndarray:
        second = self.history_[users] >= self.threshold
        scores = np.empty((len(users), self.n_items_))
        if (~second).any():
            scores[~second] = self.first_.score(users[~second])
        if second.any():
            scores[second] = self.second_.score(users[second])
        return scores

    def _predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        second = self.history_[users] >= self.threshold
        out = np.empty(len(users))
        if (~second).any():
            out[~second] = self.first_.predict(users[~second], items[~second])
        if second.any():
            out[second] = self.second_.predict(users[second], items[second])
        return out


class WeightedHybrid(_Pair):
    """A blend of the two models' standardised scores, weight ``weight`` on the second, or
    n_u / (n_u + shrink) when ``shrink`` is given (see the module)."""

    def __init__(self, *, first=None, second=None, weight: float = 0.5, shrink: float | None = None,
                 prefit: bool = False):
        self.first = first
        self.second = second
        self.weight = weight
        self.shrink = shrink
        self.prefit = prefit

    def _check_hyper(self) -> None:
        real_number(self.weight, "weight", minimum=0, maximum=1)
        if self.shrink is not None:
            real_number(self.shrink, "shrink", above=0)
        _check_model(self.first, "first"), _check_model(self.second, "second")

    def weights(self, users) -> np.ndarray:
        """The weight w_u of the second model for each user."""
        self._check_fitted()
        users = self._check_ids(users, self.n_users_, "users")
        if self.shrink is None:
            return np.full(len(users), float(self.weight))
        n = self.history_[users].astype(float)
        return n / (n + self.shrink)

    def _score(self, users: np.ndarray) -> np.ndarray:
        w = self.weights(users)[:, None]
        return (1 - w) * standardise(self.first_.score(users)) + w * standardise(self.second_.score(users))
