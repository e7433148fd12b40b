"""DSSM-style two-tower retrieval: the deep structured semantic model (Huang et al. 2013), its
tag-space variant for recommendation, DSPR (Xu et al. 2016), and the multi-view MV-DNN
(Elkahky, Song & He 2015).

A user tower and an item tower map their inputs to vectors y_u and y_i (tanh layers, as in
DSSM). Relevance is their cosine, R(u, i) = cos(y_u, y_i), and, for an interaction (u, i⁺) and
``negatives`` items j the user has not interacted with, drawn afresh each epoch, the posterior

    P(i⁺ | u) = exp(γ R(u, i⁺)) / Σ_{j ∈ {i⁺} ∪ negatives} exp(γ R(u, j)),

with γ the smoothing factor (``gamma``); the loss is −log P(i⁺ | u), averaged.

Inputs. An item's input is its row of ``features`` (`ItemFeatures` or an items x tags matrix:
genres, knowledge-graph entities, ...); a user's is the mean of the tag rows of the films they rated in training (their
profile in the same tag space, computed from the training data only). With ``use_ids=True``
each tower also learns an embedding of the user's or item's id (DSSM with side features); with
``use_ids=False`` both towers see only the tag space (DSPR), so a film nobody has rated is
scored from its tags.

MV-DNN: with ``domains`` (one domain number per item) there is one item tower per domain and
a single user tower shared by all of them; an interaction's negatives come from its item's
domain. Users who are active in one domain then carry what they learned there to the others.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from .._checks import flag, fraction, real_number, whole_number
from ..data.dataset import Dataset
from ..train import lookup, negative_items, seed_everything, train_loop
from .base import Recommender
from .content import _profiles


def _tower(n_inputs: int, hidden: tuple) -> nn.Sequential:
    layers, width = [], n_inputs
    for h in hidden:
        layers += [nn.Linear(width, h), nn.Tanh()]
        width = h
    return nn.Sequential(*layers[:-1])         # the last layer is linear: its output is compared by cosine


def dssm_loss(user_vectors, item_vectors, gamma: float):
    """−log P(positive | user) of DSSM: ``user_vectors`` (batch, d); ``item_vectors`` (batch, 1 + n, d)
    with the positive first and n negatives after it; the cosine scaled by ``gamma``, softmax over
    each row's 1 + n items."""
    relevance = torch.bmm(nn.functional.normalize(item_vectors, dim=2),
                          nn.functional.normalize(user_vectors, dim=1)[:, :, None])[:, :, 0]
    return -torch.log_softmax(gamma * relevance, dim=1)[:, 0].mean()


class DSSMNet(nn.Module):
    def __init__(self, user_tags, item_tags, domains, n_domains, use_ids, embedding_size, hidden):
        super().__init__()
        self.register_buffer("user_tags", torch.as_tensor(user_tags, dtype=torch.float32))
        self.register_buffer("item_tags", torch.as_tensor(item_tags, dtype=torch.float32))
        self.register_buffer("domains", torch.as_tensor(domains, dtype=torch.long))
        self.use_ids = use_ids
        extra = embedding_size if use_ids else 0
        if use_ids:
            self.user_id = nn.Embedding(len(user_tags), embedding_size)
            self.item_id = nn.Embedding(len(item_tags), embedding_size)
            nn.init.normal_(self.user_id.weight, std=0.1)
            nn.init.normal_(self.item_id.weight, std=0.1)
        self.user_tower = _tower(user_tags.shape[1] + extra, hidden)
        self.item_towers = nn.ModuleList(_tower(item_tags.shape[1] + extra, hidden) for _ in range(n_domains))

    def users(self):
        x = self.user_tags
        if self.use_ids:
            x = torch.cat([x, self.user_id.weight], dim=1)
        return self.user_tower(x)

    def items(self):
        x = self.item_tags
        if self.use_ids:
            x = torch.cat([x, self.item_id.weight], dim=1)
        if len(self.item_towers) == 1:
            return self.item_towers[0](x)
        out = torch.zeros(len(x), self.item_towers[0][-1].out_features)
        for d, tower in enumerate(self.item_towers):      # one tower per domain (a few), not per item
            rows = torch.nonzero(self.domains == d)[:, 0]
            out = out.index_put((rows,), tower(x[rows]))
        return out


class DSSM(Recommender):
    """Two towers compared by cosine, trained with DSSM's softmax over sampled negatives; see the
    module docstring for DSSM (``use_ids=True``), DSPR (``use_ids=False``) and MV-DNN (``domains``)."""

    def __init__(self, *, features=None, use_ids: bool = True, domains=None, embedding_size: int = 32,
                 hidden=(64, 32), gamma: float = 10.0, negatives: int = 4, epochs: int = 30,
                 batch_size: int = 4096, learning_rate: float = 0.01, reg: float = 0.0, validation: float = 0.05,
                 patience: int = 1, seed: int = 0, progress: bool = False):
        self.features = features
        self.use_ids = use_ids
        self.domains = domains
        self.embedding_size = embedding_size
        self.hidden = hidden
        self.gamma = gamma
        self.negatives = negatives
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.reg = reg
        self.validation = validation
        self.patience = patience
        self.seed = seed
        self.progress = progress

    def _fit(self, train: Dataset) -> None:
        tags = _profiles(self.features, train.n_items)
        use_ids = flag(self.use_ids, "use_ids")
        flag(self.progress, "progress")
        for name in ("embedding_size", "negatives", "epochs", "batch_size", "patience"):
            whole_number(getattr(self, name), name)
        hidden = self.hidden
        if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__len__") or not len(hidden):
            raise ValueError(f"hidden must be a non-empty list of layer widths, got {hidden!r}.")
        hidden = tuple(whole_number(w, "hidden") for w in hidden)
        gamma = real_number(self.gamma, "gamma", above=0)
        real_number(self.learning_rate, "learning_rate", above=0)
        real_number(self.reg, "reg", minimum=0)
        fraction(self.validation, "validation")
        domains = self._check_domains(train.n_items)
        n_domains = int(domains.max()) + 1
        rng = seed_everything(whole_number(self.seed, "seed", minimum=0))
        seen = self.seen_
        counts = np.asarray(seen.sum(axis=1)).ravel()
        user_tags = sp.diags(1.0 / np.maximum(counts, 1)) @ seen @ tags       # mean tag row of each user's films
        item_tags = tags.toarray() if sp.issparse(tags) else np.asarray(tags)
        user_tags = user_tags.toarray() if sp.issparse(user_tags) else np.asarray(user_tags)
        self.network_ = DSSMNet(user_tags, item_tags, domains, n_domains, use_ids, self.embedding_size, hidden)
        # negatives come from the positive's domain: every other domain's items count as seen
        avoid = [seen + sp.csr_matrix(np.broadcast_to(domains != d, seen.shape).astype(float)) for d in range(n_domains)]
        users = train.ratings["user"].to_numpy()
        items = train.ratings["item"].to_numpy()
        order = rng.permutation(len(users))
        n_val = max(1, int(round(self.validation * len(users))))
        held, fit = order[:n_val], order[n_val:]

        def with_negatives(rows):
            u, i = users[rows], items[rows]
            out = np.empty((len(rows), 1 + self.negatives), dtype=np.int64)
            out[:, 0] = i
            for d in range(n_domains):
                mine = np.flatnonzero(domains[i] == d)
                drawn = negative_items(avoid[d], np.repeat(u[mine], self.negatives), rng)
                out[mine, 1:] = drawn.reshape(len(mine), self.negatives)
            return torch.as_tensor(u), torch.as_tensor(out)

        val_u, val_i = with_negatives(held)

        def batches(epoch):
            u, i = with_negatives(fit[rng.permutation(len(fit))])
            return list(zip(u.split(self.batch_size), i.split(self.batch_size)))

        def loss(batch):
            u, i = batch
            # rows by embedding lookup: its backward is much faster than indexing's on the CPU
            # normalise every user's and item's vector once, then look the batch's rows up
            # (`lookup`'s backward is cheap on the CPU); cosines are then dot products
            users_, items_ = (nn.functional.normalize(t, dim=1) for t in (self.network_.users(), self.network_.items()))
            relevance = (lookup(items_, i) * lookup(users_, u)[:, None, :]).sum(dim=2)
            return -torch.log_softmax(gamma * relevance, dim=1)[:, 0].mean()

        self.history_ = train_loop(self.network_, batches=batches, loss=loss,
                                   validate=lambda: loss((val_u, val_i)), epochs=self.epochs,
                                   learning_rate=self.learning_rate, weight_decay=self.reg, patience=self.patience,
                                   progress=self.progress, description="DSPR" if not use_ids else
                                   ("MV-DNN" if n_domains > 1 else "DSSM"))

    def _check_domains(self, n_items: int) -> np.ndarray:
        if self.domains is None:
            return np.zeros(n_items, dtype=np.int64)
        domains = np.asarray(self.domains)
        if domains.shape != (n_items,) or not np.issubdtype(domains.dtype, np.integer) or domains.min() < 0:
            raise ValueError(f"domains must hold one domain number >= 0 per item ({n_items}), got shape {domains.shape} "
                             f"and dtype {domains.dtype}.")
        if len(np.unique(domains)) != domains.max() + 1:
            raise ValueError("domains must number the domains 0, 1, ..., without gaps.")
        return domains.astype(np.int64)

    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """The towers' outputs, normalised to length 1: (users x d, items x d); their products are
        the cosines R(u, i)."""
        self._check_fitted()
        with torch.no_grad():
            u = nn.functional.normalize(self.network_.users(), dim=1).numpy()
            i = nn.functional.normalize(self.network_.items(), dim=1).numpy()
        return u, i

    def _score(self, users):
        u, i = self.vectors()
        return u[users] @ i.T
