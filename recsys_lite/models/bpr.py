"""Matrix factorisation trained for ranking with BPR, and its adversarial training, APR.

BPR-MF (Rendle et al. 2009) scores s_ui = p_uᵀ q_i and, for an interaction (u, i) and an item j
the user has not interacted with, minimises −log σ(s_ui − s_uj) plus an L2 penalty on the
embeddings of the batch.

APR (He, He, Du & Chua 2018) asks how much a small, worst-case change of the embeddings hurts:
with Θ = (P, Q), the perturbation of size ε that increases the BPR loss most, to first order, is

    Δ_adv = ε · Γ / ‖Γ‖,    Γ = ∂L_BPR(Θ) / ∂Θ,

normalised row by row (each user's and each item's embedding moves by a vector of length ε, as
in the authors' code). Adversarial training minimises L_BPR(Θ) + λ · L_BPR(Θ + Δ_adv), with Δ_adv
recomputed for every batch and treated as a constant; the authors start it from a trained BPR
model. `BPRMF.perturbed` returns a copy of a fitted model with the worst-case Δ of size ε added,
computed on its training data, to measure how robust it is.
"""
from __future__ import annotations

import copy

import numpy as np
import torch
from torch.nn.functional import embedding as embed   # rows of a matrix; its backward is faster than indexing's

from ..data.dataset import Dataset
from ..train import bpr_loss, seed_everything
from .base import Recommender
from .._checks import real_number, whole_number


class BPRMF(Recommender):
    """BPR matrix factorisation; with ``epsilon > 0`` the epochs from ``adversarial_from`` on
    are adversarial training (APR) with perturbations of size ``epsilon`` weighted by
    ``adversarial_weight`` (λ). Adam, one sampled negative per interaction, fixed epochs."""

    def __init__(self, *, embedding_size: int = 64, epochs: int = 40, batch_size: int = 2048,
                 learning_rate: float = 0.01, reg: float = 1e-4, epsilon: float = 0.0,
                 adversarial_weight: float = 1.0, adversarial_from: int = 0, seed: int = 0):
        self.embedding_size = embedding_size
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.reg = reg
        self.epsilon = epsilon
        self.adversarial_weight = adversarial_weight
        self.adversarial_from = adversarial_from
        self.seed = seed

    def _fit(self, train: Dataset) -> None:
        d = whole_number(self.embedding_size, "embedding_size")
        epochs = whole_number(self.epochs, "epochs")
        batch = whole_number(self.batch_size, "batch_size")
        real_number(self.learning_rate, "learning_rate", above=0)
        real_number(self.reg, "reg", minimum=0)
        eps = real_number(self.epsilon, "epsilon", minimum=0)
        lam = real_number(self.adversarial_weight, "adversarial_weight", minimum=0)
        start = whole_number(self.adversarial_from, "adversarial_from", minimum=0)
        rng = seed_everything(whole_number(self.seed, "seed", minimum=0))
        p = torch.nn.Parameter(0.1 * torch.randn(self.n_users_, d))
        q = torch.nn.Parameter(0.1 * torch.randn(self.n_items_, d))
        optimiser = torch.optim.Adam([p, q], lr=self.learning_rate)
        users = train.ratings["user"].to_numpy()
        items = train.ratings["item"].to_numpy()
        self.history_ = []
        seen = self.seen_.toarray().astype(bool)
        for epoch in range(epochs):
            order = rng.permutation(len(users))
            negatives = self._negatives(users[order], rng, seen)
            adversarial = eps > 0 and lam > 0 and epoch >= start
            total = 0.0
            for lo in range(0, len(order), batch):
                u = torch.tensor(users[order[lo:lo + batch]])
                i = torch.tensor(items[order[lo:lo + batch]])
                j = torch.tensor(negatives[lo:lo + batch])
                pu, qi, qj = embed(u, p), embed(i, q), embed(j, q)
                loss = (bpr_loss((pu * qi).sum(dim=1), (pu * qj).sum(dim=1))
                        + self.reg * (pu.pow(2).sum() + qi.pow(2).sum() + qj.pow(2).sum()) / len(u))
                if adversarial:
                    dp, dq = _worst_case(p, q, u, i, j, eps)
                    loss = loss + lam * _bpr(p + dp, q + dq, u, i, j)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total += loss.item() * len(u)
            self.history_.append({"epoch": epoch + 1, "train_loss": total / len(users), "adversarial": adversarial})
        self.user_factors_ = p.detach().numpy().copy()
        self.item_factors_ = q.detach().numpy().copy()

    def _negatives(self, users: np.ndarray, rng: np.random.Generator, seen: np.ndarray | None = None) -> np.ndarray:
        """One item per interaction that the user has not interacted with, drawn uniformly (up to
        20 redraws; a user who has seen almost everything may keep a seen item). ``seen`` is the
        dense users x items training mask, built once by the caller (small for the book's data)."""
        if seen is None:
            seen = self.seen_.toarray().astype(bool)
        j = rng.integers(0, self.n_items_, len(users))
        for _ in range(20):
            bad = np.flatnonzero(seen[users, j])
            if not bad.size:
                break
            j[bad] = rng.integers(0, self.n_items_, bad.size)
        return j

    def _score(self, users):
        return self.user_factors_[users] @ self.item_factors_.T

    def perturbed(self, epsilon: float, train: Dataset, *, seed: int = 0) -> "BPRMF":
        """A copy of this fitted model with the worst-case perturbation of size ``epsilon`` added
        to every embedding: the BPR loss's gradient on ``train`` (one sampled negative per
        interaction, seeded), normalised row by row and scaled to length ``epsilon``."""
        self._check_fitted()
        eps = real_number(epsilon, "epsilon", minimum=0)
        if not isinstance(train, Dataset) or (train.n_users, train.n_items) != (self.n_users_, self.n_items_):
            raise ValueError("train must be the Dataset the model was fitted on (same users and items).")
        rng = np.random.default_rng(whole_number(seed, "seed", minimum=0))
        users = train.ratings["user"].to_numpy()
        u = torch.tensor(users)
        i = torch.tensor(train.ratings["item"].to_numpy())
        j = torch.tensor(self._negatives(users, rng))
        p, q = torch.tensor(self.user_factors_), torch.tensor(self.item_factors_)
        dp, dq = _worst_case(p, q, u, i, j, eps)
        copy_ = copy.copy(self)
        copy_.user_factors_ = (p + dp).numpy()
        copy_.item_factors_ = (q + dq).numpy()
        return copy_


def _bpr(p, q, u, i, j):
    """The BPR loss of the triples (u, i, j) under embedding matrices p and q."""
    pu = embed(u, p)
    return bpr_loss((pu * embed(i, q)).sum(dim=1), (pu * embed(j, q)).sum(dim=1))


def _worst_case(p, q, u, i, j, eps: float):
    """Δ_adv for the embedding matrices: ε times the BPR loss's gradient, normalised per row
    (rows with no gradient do not move). A constant: no gradient flows through it."""
    p_ = p.detach().clone().requires_grad_(True)
    q_ = q.detach().clone().requires_grad_(True)
    gp, gq = torch.autograd.grad(_bpr(p_, q_, u, i, j), [p_, q_])
    return (eps * torch.nn.functional.normalize(gp, dim=1), eps * torch.nn.functional.normalize(gq, dim=1))
