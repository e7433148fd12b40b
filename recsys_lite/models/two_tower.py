"""A two-tower model: a user tower and an item tower, each turning an id and side features into
a vector, scored by their dot product (the architecture of retrieval systems, e.g. Covington et
al. 2016; Yi et al. 2019).

    user tower:  [id embedding ‖ age ‖ gender ‖ occupation embedding] → MLP → e_u ∈ R^d
    item tower:  [id embedding ‖ genres (multi-hot) ‖ release year]   → MLP → e_i ∈ R^d
    score(u, i) = e_uᵀ e_i (+ μ + b_u + b_i for ratings)

Two objectives:
* ``loss="mse"``: rating prediction, squared error on the observed ratings;
* ``loss="bpr"``: top-n from implicit feedback (every rating is an interaction), Bayesian
  personalised ranking (Rendle et al. 2009): −log σ(s_ui − s_uj) for an interacted item i and
  an item j the user has not interacted with, sampled uniformly.

Side features are used when the dataset's tables have them (MovieLens-100K does); a user or
item without a training interaction still gets a vector from its features.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..split import is_seen
from ..train import seed_everything, train_loop
from .base import Recommender


def _user_features(users: pd.DataFrame):
    """Numeric user features (age standardised, gender 0/1) and an occupation code."""
    numeric = []
    if "age" in users:
        age = users["age"].to_numpy(dtype=float)
        numeric.append((age - age.mean()) / (age.std() or 1))
    if "gender" in users:
        numeric.append((users["gender"] == "F").to_numpy(dtype=float))
    numeric = np.stack(numeric, axis=1) if numeric else np.zeros((len(users), 0))
    occupation = (pd.factorize(users["occupation"])[0] if "occupation" in users else np.zeros(len(users), int))
    return numeric.astype(np.float32), occupation.astype(np.int64)


def _item_features(items: pd.DataFrame):
    """Multi-hot genres and the standardised release year (missing years at the mean)."""
    parts = []
    if "genres" in items:
        names = sorted({g for gs in items["genres"] for g in gs})
        parts.append(np.array([[g in gs for g in names] for gs in items["genres"]], dtype=float))
    if "year" in items:
        year = pd.to_numeric(items["year"], errors="coerce").astype(float).to_numpy()
        year = np.where(np.isnan(year), np.nanmean(year), year)
        parts.append(((year - year.mean()) / (year.std() or 1))[:, None])
    return (np.hstack(parts) if parts else np.zeros((len(items), 0))).astype(np.float32)


class TwoTower(Recommender):
    """Two towers scored by a dot product; see the module docstring."""

    def __init__(self, *, embedding_size: int = 32, hidden_size: int = 64, loss: str = "mse",
                 epochs: int = 30, batch_size: int = 1024, learning_rate: float = 0.005,
                 reg: float = 1e-5, validation: float = 0.1, patience: int = 3,
                 use_features: bool = True, seed: int = 0, progress: bool = False):
        self.embedding_size = embedding_size
        self.hidden_size = hidden_size
        self.loss = loss
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.reg = reg
        self.validation = validation
        self.patience = patience
        self.use_features = use_features
        self.seed = seed
        self.progress = progress

    def _fit(self, train: Dataset) -> None:
        import torch

        if self.loss not in ("mse", "bpr"):
            raise ValueError(f"loss must be 'mse' or 'bpr', got {self.loss!r}.")
        if not 0 < self.validation < 1:
            raise ValueError(f"validation must be a fraction in (0, 1), got {self.validation!r}.")
        rng = seed_everything(self.seed)
        user_numeric, occupation = _user_features(train.users)
        item_numeric = _item_features(train.items)
        if not self.use_features:
            user_numeric, item_numeric = user_numeric[:, :0], item_numeric[:, :0]
            occupation = np.zeros_like(occupation)
        self.network_ = _Towers(self.n_users_, self.n_items_, user_numeric, occupation, item_numeric,
                                self.embedding_size, self.hidden_size)
        r = train.ratings
        users = torch.tensor(r["user"].to_numpy(), dtype=torch.long)
        items = torch.tensor(r["item"].to_numpy(), dtype=torch.long)
        ratings = torch.tensor(r["rating"].to_numpy(dtype=np.float32))
        self.global_mean_ = float(r["rating"].mean())
        self.rating_range_ = (float(r["rating"].min()), float(r["rating"].max()))
        self.network_.global_mean.fill_(self.global_mean_)
        order = rng.permutation(len(r))
        n_val = max(1, int(round(self.validation * len(r))))
        val, fit = order[:n_val], order[n_val:]
        seen = self.seen_

        def negatives(u: np.ndarray) -> torch.Tensor:
            j = rng.integers(0, self.n_items_, len(u))
            for _ in range(10):  # resample the few that hit a seen item
                bad = is_seen(seen, u, j)
                if not bad.any():
                    break
                j[bad] = rng.integers(0, self.n_items_, int(bad.sum()))
            return torch.as_tensor(j, dtype=torch.long)

        def batches(epoch):
            shuffled = fit[rng.permutation(len(fit))]
            out = []
            for start in range(0, len(shuffled), self.batch_size):
                idx = shuffled[start:start + self.batch_size]
                batch = (users[idx], items[idx], ratings[idx])
                if self.loss == "bpr":
                    batch = batch + (negatives(users[idx].numpy()),)
                out.append(batch)
            return out

        def loss(batch):
            if self.loss == "mse":
                u, i, y = batch
                return torch.mean((self.network_.rating(u, i) - y) ** 2)
            u, i, _, j = batch
            return -torch.nn.functional.logsigmoid(self.network_.score(u, i) - self.network_.score(u, j)).mean()

        val_negatives = negatives(users[val].numpy())

        def validate():
            u, i = users[val], items[val]
            if self.loss == "mse":
                return torch.sqrt(torch.mean((self.network_.rating(u, i).clamp(*self.rating_range_) - ratings[val]) ** 2))
            return -torch.nn.functional.logsigmoid(self.network_.score(u, i) - self.network_.score(u, val_negatives)).mean()

        self.history_ = train_loop(self.network_, batches=batches, loss=loss, validate=validate,
                                   epochs=self.epochs, learning_rate=self.learning_rate, weight_decay=self.reg,
                                   patience=self.patience, progress=self.progress,
                                   description=f"two-tower ({self.loss})")
        with torch.no_grad():
            self.user_embeddings_ = self.network_.user_vectors().numpy()
            self.item_embeddings_ = self.network_.item_vectors().numpy()
            self.user_bias_ = self.network_.user_bias.weight[:, 0].numpy().copy()
            self.item_bias_ = self.network_.item_bias.weight[:, 0].numpy().copy()

    def _score(self, users):
        dot = self.user_embeddings_[users] @ self.item_embeddings_.T
        if self.loss == "bpr":
            return dot + self.item_bias_[None, :]
        return self.global_mean_ + self.user_bias_[users, None] + self.item_bias_[None, :] + dot

    def _predict(self, users, items):
        if self.loss == "bpr":
            raise NotImplementedError("a two-tower model trained with BPR ranks items but does not estimate ratings.")
        est = (self.global_mean_ + self.user_bias_[users] + self.item_bias_[items]
               + (self.user_embeddings_[users] * self.item_embeddings_[items]).sum(axis=1))
        return np.clip(est, *self.rating_range_)


def _towers_module():
    import torch
    from torch import nn

    class Towers(nn.Module):
        def __init__(self, n_users, n_items, user_numeric, occupation, item_numeric, d, hidden):
            super().__init__()
            self.register_buffer("user_numeric", torch.as_tensor(user_numeric))
            self.register_buffer("occupation", torch.as_tensor(occupation))
            self.register_buffer("item_numeric", torch.as_tensor(item_numeric))
            self.register_buffer("global_mean", torch.zeros(()))
            n_occupations = int(occupation.max()) + 1 if len(occupation) else 1
            self.user_id = nn.Embedding(n_users, d)
            self.item_id = nn.Embedding(n_items, d)
            self.occupation_embedding = nn.Embedding(n_occupations, 4)
            for emb in (self.user_id, self.item_id, self.occupation_embedding):
                nn.init.normal_(emb.weight, std=0.05)
            self.user_mlp = nn.Sequential(nn.Linear(d + user_numeric.shape[1] + 4, hidden), nn.ReLU(), nn.Linear(hidden, d))
            self.item_mlp = nn.Sequential(nn.Linear(d + item_numeric.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, d))
            self.user_bias = nn.Embedding(n_users, 1)
            self.item_bias = nn.Embedding(n_items, 1)
            nn.init.zeros_(self.user_bias.weight)
            nn.init.zeros_(self.item_bias.weight)

        def user_vectors(self, u=None):
            u = torch.arange(self.user_id.num_embeddings) if u is None else u
            x = torch.cat([self.user_id(u), self.user_numeric[u], self.occupation_embedding(self.occupation[u])], dim=1)
            return self.user_mlp(x)

        def item_vectors(self, i=None):
            i = torch.arange(self.item_id.num_embeddings) if i is None else i
            return self.item_mlp(torch.cat([self.item_id(i), self.item_numeric[i]], dim=1))

        def score(self, u, i):
            return (self.user_vectors(u) * self.item_vectors(i)).sum(dim=1) + self.item_bias(i)[:, 0]

        def rating(self, u, i):
            return self.global_mean + self.user_bias(u)[:, 0] + self.score(u, i)

    return Towers


def _Towers(*args):
    return _towers_module()(*args)
