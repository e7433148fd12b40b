"""Non-personalised and nearly non-personalised baselines every model is measured against."""
from __future__ import annotations

import numpy as np

from ..data.dataset import Dataset
from .base import Recommender
from .._checks import real_number, whole_number


class Popularity(Recommender):
    """Recommend the most-rated items; the same list for everyone (minus what they have seen).

    Ranking score of item i: the number of training ratings it has, |R(i)|.
    Rating estimate: the item's mean training rating (the global mean for an item nobody rated),
    the plainest non-personalised predictor, so popularity can be put in a rating table too.
    """

    def __init__(self):
        pass

    def _fit(self, train: Dataset) -> None:
        r = train.ratings
        items = r["item"].to_numpy()
        self.counts_ = np.bincount(items, minlength=self.n_items_).astype(float)
        sums = np.bincount(items, weights=r["rating"].to_numpy(), minlength=self.n_items_)
        self.global_mean_ = float(r["rating"].mean())
        with np.errstate(invalid="ignore", divide="ignore"):
            self.item_mean_ = np.where(self.counts_ > 0, sums / self.counts_, self.global_mean_)

    def _score(self, users):
        return np.broadcast_to(self.counts_, (len(users), self.n_items_))

    def _predict(self, users, items):
        return self.item_mean_[items]


class RandomRanking(Recommender):
    """Rank items in a random order, a different one for each user: the floor every model must
    clear. Scores are drawn once per user from ``seed`` (so the same user gets the same list)."""

    def __init__(self, *, seed: int = 0):
        self.seed = seed

    def _fit(self, train: Dataset) -> None:
        whole_number(self.seed, "seed", minimum=0)

    def _score(self, users):
        # one generator per user, seeded by (seed, user): a user's order does not depend on the batch
        return np.stack([np.random.default_rng((self.seed, int(u))).random(self.n_items_) for u in users])


class BiasBaseline(Recommender):
    """Global mean plus regularised user and item biases (Koren 2010, section 2.1).

        r̂_ui = μ + b_u + b_i

    with b minimising  Σ_(u,i) (r_ui − μ − b_u − b_i)² + λ_u Σ_u b_u² + λ_i Σ_i b_i².
    Solved by alternating exact updates, each a closed form (vectorised with bincount):

        b_i = Σ_{u∈R(i)} (r_ui − μ − b_u) / (λ_i + |R(i)|)
        b_u = Σ_{i∈R(u)} (r_ui − μ − b_i) / (λ_u + |R(u)|)

    One sweep from b = 0 is Koren's decoupled estimate; ``epochs`` sweeps approach the joint
    minimum. A user or item with no training ratings gets bias 0. Estimates are clipped to
    the training ratings' range. Ranking by r̂_ui orders items by b_i for every user.
    """

    def __init__(self, *, reg_user: float = 15.0, reg_item: float = 10.0, epochs: int = 10):
        self.reg_user = reg_user
        self.reg_item = reg_item
        self.epochs = epochs

    def _fit(self, train: Dataset) -> None:
        real_number(self.reg_user, "reg_user", minimum=0)
        real_number(self.reg_item, "reg_item", minimum=0)
        whole_number(self.epochs, "epochs")
        r = train.ratings
        u, i, y = r["user"].to_numpy(), r["item"].to_numpy(), r["rating"].to_numpy(dtype=float)
        self.global_mean_ = float(y.mean())
        self.rating_range_ = (float(y.min()), float(y.max()))
        n_u = np.bincount(u, minlength=self.n_users_)
        n_i = np.bincount(i, minlength=self.n_items_)
        b_u, b_i = np.zeros(self.n_users_), np.zeros(self.n_items_)
        residual = y - self.global_mean_
        for _ in range(self.epochs):
            b_i = _shrunk_mean(np.bincount(i, residual - b_u[u], minlength=self.n_items_), n_i, self.reg_item)
            b_u = _shrunk_mean(np.bincount(u, residual - b_i[i], minlength=self.n_users_), n_u, self.reg_user)
        self.user_bias_, self.item_bias_ = b_u, b_i

    def _score(self, users):
        return self.global_mean_ + self.user_bias_[users, None] + self.item_bias_[None, :]

    def _predict(self, users, items):
        est = self.global_mean_ + self.user_bias_[users] + self.item_bias_[items]
        return np.clip(est, *self.rating_range_)


def _shrunk_mean(total: np.ndarray, count: np.ndarray, reg: float) -> np.ndarray:
    """total / (reg + count), and 0 where both are 0 (no ratings, no regularisation)."""
    denominator = reg + count
    return np.divide(total, denominator, out=np.zeros_like(total, dtype=float), where=denominator > 0)
