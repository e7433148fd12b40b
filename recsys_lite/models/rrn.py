"""Recurrent Recommender Networks (Wu, Ahmed, Beutel, Smola & Jing 2017), small: user and item
states that move with time, plus the stationary factors of matrix factorisation.

Time is cut into windows of ``window`` seconds. In window t, a user's input y_{u,t} summarises
the ratings they gave in it (the mean of learned item input vectors weighted by the centred
rating, the mean of a second set unweighted, and log(1 + how many)); an LSTM reads a user's
inputs window by window, another reads each item's (from user input vectors). A rating in
window t is predicted from the states after window t − 1, so a rating never sees itself:

    r̂_{u,i,t} = μ + b_u + b_i + p_u · q_i  +  (A h_{u,t−1}) · (B g_{i,t−1})
                 └──── stationary: biased MF ───┘    └──── dynamic: the LSTM states ────┘

After training, every rating is predicted from the states at the end of the training period
(`predict` takes no time: it forecasts the future, the paper's setting).

Training, simplified from the paper's joint training in one way: the stationary part is the
book's `BiasedMF` (ALS, its tuned defaults unless ``stationary`` is given) fitted first, and the
dynamic part is then fitted full-batch with Adam to what MF leaves, the residuals, with weight
decay ``reg`` on every dynamic weight. So the dynamic part can only add what time explains on
top of MF; ``epochs`` is chosen on a later slice of the training period.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._checks import real_number, whole_number
from ..data.dataset import Dataset
from ..train import seed_everything
from .base import Recommender
from .mf import BiasedMF


def _window_inputs(rows, cols, centred, n_rows, n_windows, window_of, n_cols):
    """Two sparse (n_rows * n_windows) x n_cols matrices (centred ratings / count, 1 / count per
    rating of the row in the window) and log(1 + count) per (row, window)."""
    key = rows * n_windows + window_of
    count = np.bincount(key, minlength=n_rows * n_windows).astype(np.float32)
    index = torch.as_tensor(np.vstack([key, cols]))
    shape = (n_rows * n_windows, n_cols)
    weighted = torch.sparse_coo_tensor(index, torch.as_tensor(centred / count[key], dtype=torch.float32), shape,
                                       check_invariants=False)
    plain = torch.sparse_coo_tensor(index, torch.as_tensor(1.0 / count[key], dtype=torch.float32), shape,
                                    check_invariants=False)
    return weighted.coalesce(), plain.coalesce(), torch.as_tensor(np.log1p(count)).reshape(n_rows, n_windows, 1)


class RRNNet(nn.Module):
    """The dynamic part: two LSTMs and the maps from their states to factor space."""

    def __init__(self, n_users, n_items, factors, input_size, state_size):
        super().__init__()
        # input vectors: what a rating of an item (by a user) says about the rater (the rated)
        self.item_in = nn.Parameter(torch.randn(n_items, 2 * input_size) * 0.05)
        self.user_in = nn.Parameter(torch.randn(n_users, 2 * input_size) * 0.05)
        self.user_lstm = nn.LSTM(input_size + 1, state_size, batch_first=True)
        self.item_lstm = nn.LSTM(input_size + 1, state_size, batch_first=True)
        self.user_out = nn.Linear(state_size, factors, bias=False)
        self.item_out = nn.Linear(state_size, factors, bias=False)

    @staticmethod
    def _states(lstm, weighted, plain, counts, vectors):
        half = vectors.shape[1] // 2
        x = torch.sparse.mm(weighted, vectors[:, :half]) + torch.sparse.mm(plain, vectors[:, half:])
        x = torch.cat([x.reshape(counts.shape[0], counts.shape[1], half), counts], dim=2)
        h, _ = lstm(x)
        # the state before window t: zeros before the first window
        return torch.cat([torch.zeros_like(h[:, :1]), h], dim=1)

    def states(self, user_inputs, item_inputs):
        """(users, windows + 1, factors) and (items, windows + 1, factors): entry t is the
        dynamic vector after windows 0 .. t − 1."""
        u = self.user_out(self._states(self.user_lstm, *user_inputs, self.item_in))
        g = self.item_out(self._states(self.item_lstm, *item_inputs, self.user_in))
        return u, g


class RRN(Recommender):
    """A small recurrent recommender network; see the module docstring."""

    def __init__(self, *, window: float = 14 * 86400.0, factors: int = 8, input_size: int = 8, state_size: int = 8,
                 reg: float = 0.01, epochs: int = 10, learning_rate: float = 0.01, stationary: BiasedMF | None = None,
                 seed: int = 0):
        self.window = window
        self.factors = factors
        self.input_size = input_size
        self.state_size = state_size
        self.reg = reg
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.stationary = stationary
        self.seed = seed

    def _fit(self, train: Dataset) -> None:
        window = real_number(self.window, "window", above=0)
        factors = whole_number(self.factors, "factors")
        inputs, states = whole_number(self.input_size, "input_size"), whole_number(self.state_size, "state_size")
        reg = real_number(self.reg, "reg", minimum=0)
        epochs = whole_number(self.epochs, "epochs", minimum=0)
        lr = real_number(self.learning_rate, "learning_rate", above=0)
        if self.stationary is not None and not isinstance(self.stationary, BiasedMF):
            raise TypeError(f"stationary must be an (unfitted) BiasedMF or None, got {type(self.stationary).__name__}.")
        seed_everything(whole_number(self.seed, "seed", minimum=0))
        self.stationary_ = mf = BiasedMF(**(self.stationary or BiasedMF()).get_params()).fit(train)
        r = train.ratings
        users, items = r["user"].to_numpy(), r["item"].to_numpy()
        time = r["timestamp"].to_numpy().astype(np.int64)
        self.origin_ = int(time.min())
        windows = ((time - self.origin_) // window).astype(np.int64)
        self.n_windows_ = int(windows.max()) + 1
        y = r["rating"].to_numpy(dtype=np.float64)
        static = mf._estimate(users, items)
        residual = y - static
        user_inputs = _window_inputs(users, items, residual, self.n_users_, self.n_windows_, windows, self.n_items_)
        item_inputs = _window_inputs(items, users, residual, self.n_items_, self.n_windows_, windows, self.n_users_)
        self.network_ = net = RRNNet(self.n_users_, self.n_items_, factors, inputs, states)
        u, i, w = (torch.as_tensor(np.array(a)) for a in (users, items, windows))
        target = torch.as_tensor(residual, dtype=torch.float32)
        optimiser = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=reg)
        self.history_ = []
        for _ in range(epochs):
            us, gs = net.states(user_inputs, item_inputs)
            mse = ((target - (us[u, w] * gs[i, w]).sum(1)) ** 2).mean()
            optimiser.zero_grad()
            mse.backward()
            optimiser.step()
            self.history_.append(float(mse.detach().sqrt()))
        with torch.no_grad():
            # the states at the end of training forecast every later rating
            self.user_states_, self.item_states_ = (s[:, -1].numpy().astype(float) for s in net.states(user_inputs, item_inputs))

    def _score(self, users):
        return self.stationary_._score(users) + self.user_states_[users] @ self.item_states_.T

    def _predict(self, users, items):
        users, items = np.asarray(users), np.asarray(items)
        est = self.stationary_._estimate(users, items) + (self.user_states_[users] * self.item_states_[items]).sum(1)
        return np.clip(est, *self.stationary_.rating_range_)

