"""Graph convolution on the user-item graph (LightGCN and an NGCF-style layer), and PinSage's
importance-based neighbourhoods from random walks.

Users and items are the nodes of one bipartite graph, with an edge for every training
interaction. With A its (users + items) square adjacency matrix and D the diagonal of degrees,
the symmetrically normalised adjacency is Â = D^{-1/2} A D^{-1/2}.

* LightGCN (He, Deng, Wang, Li, Zhang & Wang 2020): E⁽ᵏ⁺¹⁾ = Â E⁽ᵏ⁾, no weights, no
  non-linearity; the final embedding is the mean of the layers, E = Σ_k E⁽ᵏ⁾ / (K + 1), and
  score(u, i) = e_uᵀ e_i. Only E⁽⁰⁾ is learned, with BPR and an L2 penalty on the batch's E⁽⁰⁾ rows.
* NGCF-style (Wang, He, Wang, Feng & Chua 2019), the layer LightGCN simplifies:
  E⁽ᵏ⁺¹⁾ = LeakyReLU((Â + I) E⁽ᵏ⁾ W₁ + (Â E⁽ᵏ⁾ ⊙ E⁽ᵏ⁾) W₂), layers concatenated.

Propagation multiplies by the sparse Â (scipy, through `sparse_times`), so a layer costs one
pass over the edges. Training holds out a share of the interactions and stops early on their
NDCG@10, like the autoencoders.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from .._checks import one_of, real_number, whole_number
from ..data.dataset import Dataset
from ..split import _interactions
from ..train import bpr_batches, bpr_loss, check_training_settings, heldout_ndcg, hold_out, lookup, seed_everything, train_loop
from .base import Recommender
from .feature_mf import sparse_times


def normalised_adjacency(seen) -> sp.csr_matrix:
    """Â = D^{-1/2} A D^{-1/2} of the bipartite graph of a users x items interaction matrix:
    rows and columns are the users, then the items; a node without edges keeps a zero row."""
    r = sp.csr_matrix(_interactions(seen), dtype=np.float64)
    r.data[:] = 1.0
    n_users, n_items = r.shape
    a = sp.bmat([[None, r], [r.T, None]], format="csr")
    degree = np.asarray(a.sum(axis=1)).ravel()
    inv_sqrt = np.zeros_like(degree)
    inv_sqrt[degree > 0] = degree[degree > 0] ** -0.5
    d = sp.diags(inv_sqrt)
    return sp.csr_matrix(d @ a @ d, dtype=np.float32)


class GraphNet(nn.Module):
    """E⁽⁰⁾ and, for NGCF, the layers' weights; ``forward(adjacency)`` gives the final embeddings."""

    def __init__(self, n_nodes: int, size: int, layers: int, kind: str):
        super().__init__()
        self.kind, self.layers = kind, layers
        self.embedding = nn.Parameter(0.1 * torch.randn(n_nodes, size))
        if kind == "ngcf":
            self.w1 = nn.ModuleList(nn.Linear(size, size) for _ in range(layers))
            self.w2 = nn.ModuleList(nn.Linear(size, size) for _ in range(layers))

    def forward(self, a: sp.csr_matrix, a_t: sp.csr_matrix):
        e, out = self.embedding, [self.embedding]
        for k in range(self.layers):
            side = sparse_times(a, e, a_t)                        # Â E
            if self.kind == "lightgcn":
                e = side
            else:
                e = nn.functional.leaky_relu(self.w1[k](side + e) + self.w2[k](side * e), 0.2)
            out.append(e)
        return torch.stack(out).mean(0) if self.kind == "lightgcn" else torch.cat(out, dim=1)


class GraphCF(Recommender):
    """LightGCN (``kind="lightgcn"``) or an NGCF-style graph network (``kind="ngcf"``) on the
    user-item graph, trained with BPR (one sampled negative per interaction, fresh every epoch);
    see the module docstring. ``layers`` is K, the number of propagation steps (0: plain MF
    trained with BPR)."""

    def __init__(self, *, kind: str = "lightgcn", embedding_size: int = 64, layers: int = 3, epochs: int = 100,
                 batch_size: int = 4096, learning_rate: float = 0.005, reg: float = 1e-4, validation: float = 0.05,
                 patience: int = 5, seed: int = 0, progress: bool = False):
        self.kind = kind
        self.embedding_size = embedding_size
        self.layers = layers
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.reg = reg
        self.validation = validation
        self.patience = patience
        self.seed = seed
        self.progress = progress

    def _fit(self, train: Dataset) -> None:
        kind = one_of(self.kind, "kind", ("lightgcn", "ngcf"))
        size = whole_number(self.embedding_size, "embedding_size")
        layers = whole_number(self.layers, "layers", minimum=0)
        check_training_settings(self)
        reg = real_number(self.reg, "reg", minimum=0)
        rng = seed_everything(whole_number(self.seed, "seed", minimum=0))
        fit, held = hold_out(self.seen_, self.validation, rng)
        a = normalised_adjacency(fit)
        a_t = a.T.tocsr()
        n_u = self.n_users_
        self.network_ = net = GraphNet(n_u + self.n_items_, size, layers, kind)

        def batches(epoch):
            return bpr_batches(fit, self.batch_size, rng)

        def loss(batch):
            u, i, j = batch
            e = net(a, a_t)
            eu, ei, ej = lookup(e, u), lookup(e, i + n_u), lookup(e, j + n_u)
            first = net.embedding
            penalty = (lookup(first, u).pow(2).sum() + lookup(first, i + n_u).pow(2).sum()
                       + lookup(first, j + n_u).pow(2).sum()) / len(u)
            return bpr_loss((eu * ei).sum(1), (eu * ej).sum(1)) + reg * penalty

        def validate():
            e = net(a, a_t)
            return -heldout_ndcg((e[:n_u] @ e[n_u:].T).numpy(), fit, held)

        self.history_ = train_loop(net, batches=batches, loss=loss, validate=validate, epochs=self.epochs,
                                   learning_rate=self.learning_rate, weight_decay=0.0, patience=self.patience,
                                   progress=self.progress, description="LightGCN" if kind == "lightgcn" else "NGCF")
        # the fitted model propagates over every training interaction, held-out ones included
        full = normalised_adjacency(self.seen_)
        with torch.no_grad():
            e = net(full, full.T.tocsr()).numpy().astype(float)
        self.user_factors_, self.item_factors_ = e[:n_u], e[n_u:]

    def _score(self, users):
        return self.user_factors_[users] @ self.item_factors_.T


def random_walk_visits(seen, items, *, walks: int = 200, length: int = 2, seed: int = 0) -> np.ndarray:
    """PinSage's importance: from each of ``items``, ``walks`` random walks of ``length`` hops
    item → a random user who interacted with it → a random item of that user; returns the visit
    counts, shape (len(items), n_items), the start item's own visits included. All walks move
    together, one vectorised step per hop; a walk from an item nobody interacted with stays put."""
    r = _interactions(seen)
    r = sp.csr_matrix((np.ones(r.nnz), r.indices, r.indptr), shape=r.shape)
    c = r.tocsc()
    n_items = r.shape[1]
    items = np.asarray(items)
    if items.ndim != 1 or not len(items) or not np.issubdtype(items.dtype, np.integer) or items.min() < 0 \
            or items.max() >= n_items:
        raise ValueError(f"items must be a non-empty 1-D array of item ids in [0, {n_items}).")
    walks = whole_number(walks, "walks")
    length = whole_number(length, "length")
    rng = np.random.default_rng(whole_number(seed, "seed", minimum=0))
    start = np.repeat(np.arange(len(items)), walks)
    here = np.repeat(items, walks)
    counts = np.zeros((len(items), n_items))
    for _ in range(length):
        raters = np.diff(c.indptr)[here]
        moving = raters > 0
        pick = c.indptr[here[moving]] + (rng.random(moving.sum()) * raters[moving]).astype(int)
        user = c.indices[pick]
        rated = np.diff(r.indptr)[user]
        here = here.copy()
        here[moving] = r.indices[r.indptr[user] + (rng.random(len(user)) * rated).astype(int)]
        np.add.at(counts, (start, here), 1)
    return counts


def important_neighbours(seen, item: int, *, top: int = 10, walks: int = 200, length: int = 2,
                         seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The ``top`` items most visited by random walks from ``item`` (itself excluded), and their
    importance weights (visit counts normalised to sum to 1 over the neighbours): PinSage's
    neighbourhood of one node, of bounded size whatever its degree."""
    top = whole_number(top, "top")
    counts = random_walk_visits(seen, np.array([item]), walks=walks, length=length, seed=seed)[0]
    counts[item] = 0
    order = np.argsort(-counts, kind="stable")[:top]
    order = order[counts[order] > 0]
    return order, counts[order] / counts[order].sum() if len(order) else counts[order]
