"""A factor model whose users and items are the sums of their features' vectors (feature
combination, in Burke's terms; the representation of LightFM, Kula 2015).

Every user feature f has a vector e_f and every item feature g a vector g_g; the identity of a
user or item is one more feature, with a vector of its own (a_u, b_i). With F_u the user's
features (a constant, gender, age band, occupation, and the genre shares of their liked films,
from `recsys_lite.models.content.user_features`) and x_i the item's profile (`ItemFeatures`):

    p_u = a_u + Σ_f F_uf e_f          q_i = b_i + Σ_g x_ig g_g
    score(u, i) = p_uᵀ q_i + c_i,     c_i = c'_i + Σ_g x_ig c_g   (an item bias, also from features)

Every training rating counts as an interaction, and the model is fitted to iALS's objective
(Hu, Koren & Volinsky 2008; `implicit_loss`) plus λ times the squared norm of every parameter,
by full-batch Adam (LightFM itself uses sampled ranking losses; this objective measured better
here, see chapter 5). The sum over "every cell" runs over the users and items that have training
ratings: a film nobody rated yet is no evidence of anything.

Identity vectors start at zero and exist only for users and items with training ratings, so a
film nobody rated has none: its vector, and score, come from its features alone (and a user with
no ratings is scored from their demographics). That is what lets the model rank new films,
which matrix factorisation cannot. Item-feature vectors start at zero too (a feature that only
new films have stays at zero rather than at random noise); user-feature vectors start small and
random, which breaks the symmetry.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from ..data.dataset import Dataset
from ..train import seed_everything
from .._checks import flag, real_number, whole_number
from .base import Recommender
from .content import _profiles, user_features


class _SparseTimes(torch.autograd.Function):
    """A @ dense for a fixed scipy CSR matrix A (float32), with the backward Aᵀ @ grad by scipy:
    several times faster on a CPU than torch's sparse products and indexing's scatter-add."""

    @staticmethod
    def forward(ctx, dense, a, a_t):
        ctx.a_t = a_t
        return torch.from_numpy(a @ dense.detach().numpy())

    @staticmethod
    def backward(ctx, grad):
        return torch.from_numpy(ctx.a_t @ grad.numpy()), None, None


def sparse_times(a: sp.csr_matrix, dense, a_t: sp.csr_matrix | None = None):
    """``a @ dense`` for a scipy sparse matrix ``a`` and a torch tensor ``dense``, differentiable
    in ``dense`` (pass ``a_t``, a's transpose as CSR, to reuse it across calls)."""
    if not (sp.isspmatrix_csr(a) and a.dtype == np.float32):
        a = sp.csr_matrix(a, dtype=np.float32)
    return _SparseTimes.apply(dense, a, a.T.tocsr() if a_t is None else a_t)


class _PairScores(torch.autograd.Function):
    """s_k = p_{users[k]}ᵀ q_{items[k]}, with the backward as two sparse products (see
    `pair_scores`); ``pairs`` holds the index structure, built once per fit."""

    @staticmethod
    def forward(ctx, p, q, pairs):
        ctx.save_for_backward(p, q)
        ctx.pairs = pairs
        return (p.index_select(0, pairs.users) * q.index_select(0, pairs.items)).sum(1)

    @staticmethod
    def backward(ctx, grad):
        p, q = ctx.saved_tensors
        g = grad.numpy()
        by_user, by_item = ctx.pairs.matrices(g)
        return torch.from_numpy(by_user @ q.detach().numpy()), torch.from_numpy(by_item @ p.detach().numpy()), None


class Pairs:
    """(user, item) pairs, and the CSR layouts (by user and by item) that turn a value per pair
    into a users x items and an items x users sparse matrix without sorting again."""

    def __init__(self, users, items, n_users: int, n_items: int):
        self.users, self.items = (torch.tensor(np.array(a, dtype=np.int64)) for a in (users, items))
        u, i = self.users.numpy(), self.items.numpy()
        self._layouts = []
        for rows, cols, shape in ((u, i, (n_users, n_items)), (i, u, (n_items, n_users))):
            order = np.lexsort((cols, rows))
            indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=shape[0]))))
            self._layouts.append((order, cols[order], indptr, shape))

    def matrices(self, values: np.ndarray):
        """Users x items and items x users CSR matrices holding ``values[k]`` at pair k."""
        return [sp.csr_matrix((values[order], indices, indptr), shape=shape)
                for order, indices, indptr, shape in self._layouts]


def pair_scores(p, q, pairs: Pairs):
    """p_{users[k]}ᵀ q_{items[k]} for every pair k (torch; differentiable in p and q). The
    backward pass is Σ_k g_k q_{items[k]} per user and Σ_k g_k p_{users[k]} per item, two sparse
    matrix products."""
    return _PairScores.apply(p, q, pairs)


def implicit_loss(p, q, pairs: Pairs, alpha: float, user_mask=None, item_mask=None):
    """iALS's objective without the penalty (Hu, Koren & Volinsky 2008), for torch tensors:

        Σ_{u, i} c_ui (y_ui − p_uᵀ q_i)²,  y_ui = 1 and c_ui = 1 + α on the interactions (the
                                           `Pairs`), y_ui = 0 and c_ui = 1 elsewhere,

    summed over the users and items whose masks are 1 (all, if None). The sum over every cell
    costs no more than the interactions: Σ_{u,i} (p_uᵀ q_i)² = Σ (PᵀP) ∘ (QᵀQ), and the
    interactions' terms replace their cell's s² by (1 + α)(1 − s)²."""
    pa = p if user_mask is None else p * user_mask[:, None]
    qa = q if item_mask is None else q * item_mask[:, None]
    every_cell = ((pa.T @ pa) * (qa.T @ qa)).sum()
    s = pair_scores(p, q, pairs)
    return every_cell + ((1 + alpha) * (1 - s).pow(2) - s.pow(2)).sum()


class FeatureMF(Recommender):
    """Users and items as sums of feature vectors, trained on iALS's objective (see the module)."""

    def __init__(self, *, features=None, user_side: bool = True, embedding_size: int = 32, alpha: float = 5.0,
                 reg: float = 50.0, steps: int = 150, learning_rate: float = 0.01, seed: int = 0):
        self.features = features
        self.user_side = user_side
        self.embedding_size = embedding_size
        self.alpha = alpha
        self.reg = reg
        self.steps = steps
        self.learning_rate = learning_rate
        self.seed = seed

    def _fit(self, train: Dataset) -> None:
        x = _profiles(self.features, train.n_items)
        d = whole_number(self.embedding_size, "embedding_size")
        alpha = real_number(self.alpha, "alpha", above=0)
        reg = real_number(self.reg, "reg", minimum=0)
        steps = whole_number(self.steps, "steps")
        lr = real_number(self.learning_rate, "learning_rate", above=0)
        use_users = flag(self.user_side, "user_side")
        seed_everything(whole_number(self.seed, "seed", minimum=0))
        f = user_features(train)[0] if use_users else np.ones((train.n_users, 1))    # a constant only
        x = sp.csr_matrix(x, dtype=np.float32)
        x_t, ft = x.T.tocsr(), torch.tensor(f, dtype=torch.float32)
        users, items = train.ratings["user"].to_numpy(), train.ratings["item"].to_numpy()
        pairs = Pairs(users, items, train.n_users, train.n_items)
        # identities exist only for users and items with training ratings; the rest are their features
        active_users = torch.tensor(np.bincount(users, minlength=train.n_users) > 0)
        active_items = torch.tensor(np.bincount(items, minlength=train.n_items) > 0)
        # identity, identity, user-feature and item-feature vectors; the item side's last column is its bias
        params = [torch.nn.Parameter(t) for t in (torch.zeros(train.n_users, d), torch.zeros(train.n_items, d + 1),
                                                  0.1 * torch.randn(f.shape[1], d), torch.zeros(x.shape[1], d + 1))]
        user_mask, item_mask = active_users.float(), active_items.float()
        optimiser = torch.optim.Adam(params, lr=lr)
        self.history_ = []
        for step in range(steps):
            p, q = self._vectors(params, ft, (x, x_t), active_users, active_items)
            loss = (implicit_loss(p, q, pairs, alpha, user_mask, item_mask)
                    + reg * sum(t.pow(2).sum() for t in params))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            self.history_.append({"step": step + 1, "train_loss": loss.item()})
        with torch.no_grad():
            p, q = self._vectors(params, ft, (x, x_t), active_users, active_items)
        self.user_vectors_, self.item_vectors_ = p.numpy(), q.numpy()
        self.user_features_ = f

    @staticmethod
    def _vectors(params, ft, x, active_users, active_items):
        """p_u = [a_u + F_u E, 1] and q_i = b_i + x_i G, whose last column is the item bias c_i."""
        user_id, item_id, user_feature, item_feature = params
        p = user_id * active_users[:, None] + ft @ user_feature
        q = item_id * active_items[:, None] + sparse_times(x[0], item_feature, x[1])
        return torch.cat([p, torch.ones(len(p), 1)], dim=1), q

    def _score(self, users: np.ndarray) -> np.ndarray:
        return self.user_vectors_[users] @ self.item_vectors_.T
