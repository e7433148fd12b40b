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

from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch import nn

from .._checks import fraction, flag, one_of, real_number, whole_number
from ..data.dataset import Dataset
from ..split import is_seen
from ..train import bpr_loss, seed_everything, train_loop
from .._atomic import write_atomic
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
        one_of(self.loss, "loss", ("mse", "bpr"))
        fraction(self.validation, "validation")
        for name in ("embedding_size", "hidden_size", "epochs", "batch_size", "patience"):
            whole_number(getattr(self, name), name)
        real_number(self.learning_rate, "learning_rate", above=0)
        real_number(self.reg, "reg", minimum=0)
        flag(self.use_features, "use_features")
        flag(self.progress, "progress")
        rng = seed_everything(whole_number(self.seed, "seed", minimum=0))
        user_numeric, occupation = _user_features(train.users)
        item_numeric = _item_features(train.items)
        if not self.use_features:
            user_numeric, item_numeric = user_numeric[:, :0], item_numeric[:, :0]
            occupation = np.zeros_like(occupation)
        self.network_ = Towers(self.n_users_, self.n_items_, user_numeric, occupation, item_numeric,
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
            return bpr_loss(self.network_.score(u, i), self.network_.score(u, j))

        val_negatives = negatives(users[val].numpy())

        def validate():
            u, i = users[val], items[val]
            if self.loss == "mse":
                return torch.sqrt(torch.mean((self.network_.rating(u, i).clamp(*self.rating_range_) - ratings[val]) ** 2))
            return bpr_loss(self.network_.score(u, i), self.network_.score(u, val_negatives))

        self.history_ = train_loop(self.network_, batches=batches, loss=loss, validate=validate,
                                   epochs=self.epochs, learning_rate=self.learning_rate, weight_decay=self.reg,
                                   patience=self.patience, progress=self.progress,
                                   description=f"two-tower ({self.loss})")

    # What the network has learned, read from it whenever it is asked for: loading other weights
    # into ``network_`` (`load`, or ``network_.load_state_dict``) changes every score at once.
    @property
    def user_embeddings_(self) -> np.ndarray:
        with torch.no_grad():
            return self.network_.user_vectors().numpy()

    @property
    def item_embeddings_(self) -> np.ndarray:
        with torch.no_grad():
            return self.network_.item_vectors().numpy()

    @property
    def user_bias_(self) -> np.ndarray:
        return self.network_.user_bias.weight.detach()[:, 0].numpy().copy()

    @property
    def item_bias_(self) -> np.ndarray:
        return self.network_.item_bias.weight.detach()[:, 0].numpy().copy()

    def _score(self, users):
        with torch.no_grad():
            u = torch.as_tensor(users, dtype=torch.long)
            dot = (self.network_.user_vectors(u) @ self.network_.item_vectors().T).numpy()
        if self.loss == "bpr":
            return dot + self.item_bias_[None, :]
        return self.global_mean_ + self.user_bias_[users, None] + self.item_bias_[None, :] + dot

    def _predict(self, users, items):
        if self.loss == "bpr":
            raise NotImplementedError("a two-tower model trained with BPR ranks items but does not estimate ratings.")
        with torch.no_grad():
            est = self.network_.rating(torch.as_tensor(users, dtype=torch.long),
                                       torch.as_tensor(items, dtype=torch.long)).numpy()
        return np.clip(est, *self.rating_range_)

    # ---- saving and loading: weights only, never pickled code -------------------------------------
    def save(self, path) -> Path:
        """Write the fitted model to ``path`` (torch's format, holding only tensors and plain
        values, so `load` can read it with ``torch.load(weights_only=True)``); atomically."""
        self._check_fitted()
        seen = self.seen_.tocsr()
        payload = {"format": "recsys_lite.TwoTower/1", "params": self.get_params(),
                   "state_dict": self.network_.state_dict(),
                   "fitted": {"n_users": self.n_users_, "n_items": self.n_items_,
                              "rating_range": list(self.rating_range_), "fit_seconds": self.fit_seconds_,
                              "history": self.history_,
                              "seen_indptr": torch.as_tensor(seen.indptr), "seen_indices": torch.as_tensor(seen.indices)}}
        return write_atomic(path, lambda f: torch.save(payload, f))

    @classmethod
    def load(cls, path) -> "TwoTower":
        """A fitted `TwoTower` from a file written by `save`; scores exactly as the saved one did."""
        payload = torch.load(Path(path), weights_only=True)
        if not isinstance(payload, dict) or payload.get("format") != "recsys_lite.TwoTower/1":
            raise ValueError(f"{path} is not a TwoTower saved by recsys_lite (TwoTower.save).")
        model, fitted, state = cls(**payload["params"]), payload["fitted"], payload["state_dict"]
        model.n_users_, model.n_items_ = int(fitted["n_users"]), int(fitted["n_items"])
        indptr, indices = fitted["seen_indptr"].numpy(), fitted["seen_indices"].numpy()
        model.seen_ = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(model.n_users_, model.n_items_))
        model.network_ = Towers(model.n_users_, model.n_items_, state["user_numeric"].numpy(),
                                state["occupation"].numpy(), state["item_numeric"].numpy(),
                                model.embedding_size, model.hidden_size,
                                n_occupations=state["occupation_embedding.weight"].shape[0])
        model.network_.load_state_dict(state)
        model.network_.eval()
        model.global_mean_ = float(model.network_.global_mean)
        model.rating_range_ = tuple(fitted["rating_range"])
        model.fit_seconds_, model.history_ = fitted["fit_seconds"], fitted["history"]
        return model


class Towers(nn.Module):
    """The two towers and the scoring heads; the user and item features are buffers, so they are
    saved with the weights."""

    def __init__(self, n_users, n_items, user_numeric, occupation, item_numeric, d, hidden, n_occupations=None):
        super().__init__()
        self.register_buffer("user_numeric", torch.as_tensor(user_numeric))
        self.register_buffer("occupation", torch.as_tensor(occupation))
        self.register_buffer("item_numeric", torch.as_tensor(item_numeric))
        self.register_buffer("global_mean", torch.zeros(()))
        if n_occupations is None:
            n_occupations = int(occupation.max()) + 1 if len(occupation) else 1
        self.user_id = nn.Embedding(n_users, d)
        self.item_id = nn.Embedding(n_items, d)
        self.occupation_embedding = nn.Embedding(n_occupations, 4)
        for emb in (self.user_id, self.item_id, self.occupation_embedding):
            nn.init.normal_(emb.weight, std=0.05)
        self.user_mlp = nn.Sequential(nn.Linear(d + self.user_numeric.shape[1] + 4, hidden), nn.ReLU(), nn.Linear(hidden, d))
        self.item_mlp = nn.Sequential(nn.Linear(d + self.item_numeric.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, d))
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
