"""Neural collaborative filtering (He, Liao, Zhang, Nie, Hu & Chua 2017): GMF, MLP and NeuMF.

Every training rating is an interaction (y_ui = 1); for each one, ``negatives`` items the user
has not interacted with are drawn afresh every epoch (y_uj = 0). With ŷ_ui = σ(x_ui), the model
minimises the binary cross-entropy (the paper's eq. 7, averaged over the batch):

    L = −Σ_{(u,i) ∈ Y ∪ Y⁻} [ y_ui log ŷ_ui + (1 − y_ui) log(1 − ŷ_ui) ].

The three networks differ in how they turn a user's and an item's embeddings into the logit x_ui:

* GMF:   x_ui = hᵀ (p_u ⊙ q_i), a dot product with learned weights per factor;
* MLP:   x_ui = hᵀ φ_L(… φ_1([p_u ; q_i])), φ_l(z) = ReLU(W_l z + b_l), a tower of layers;
* NeuMF: x_ui = hᵀ [p^G_u ⊙ q^G_i ; φ_L(… [p^M_u ; q^M_i])], both, with separate embeddings.

NeuMF can start from a fitted GMF and a fitted MLP (``pretrained=(gmf, mlp)``): their embeddings
and layers are copied and the output weights become [α h_GMF ; (1 − α) h_MLP]; the paper then
trains with plain SGD, because Adam's moment estimates are not part of what was pre-trained.
The MLP's embeddings have half the width of its first layer, as in the paper.

Scoring the whole catalogue for a user does not loop over items: GMF's logit is (p_u ⊙ h)ᵀ q_i,
a matrix product, and the MLP's first layer splits as W_1 [p ; q] = W_1ᵖ p + W_1ᑫ q, so each
user's and each item's half is computed once and only the later layers see user-item pairs.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from .._atomic import write_atomic
from .._checks import flag, fraction, layer_widths, one_of, real_number, whole_number
from ..data.dataset import Dataset
from ..train import lookup, negative_items, seed_everything, train_loop
from .base import Recommender

KINDS = ("gmf", "mlp", "neumf")


class NCFNet(nn.Module):
    """The network: embeddings, the MLP tower and the output weights h (and its bias)."""

    def __init__(self, n_users: int, n_items: int, kind: str, factors: int, layers: tuple):
        super().__init__()
        self.kind = kind
        width = 0
        if kind in ("gmf", "neumf"):
            self.user_gmf, self.item_gmf = nn.Embedding(n_users, factors), nn.Embedding(n_items, factors)
            width += factors
        if kind in ("mlp", "neumf"):
            half = layers[0] // 2
            self.user_mlp, self.item_mlp = nn.Embedding(n_users, half), nn.Embedding(n_items, half)
            self.tower = nn.ModuleList(nn.Linear(a, b) for a, b in zip((2 * half,) + layers[:-1], layers))
            width += layers[-1]
        for emb in self.embeddings():
            nn.init.normal_(emb.weight, std=0.01)
        self.output = nn.Linear(width, 1)

    def embeddings(self):
        return [m for m in self.modules() if isinstance(m, nn.Embedding)]

    def _mlp(self, first):
        z = torch.relu(first)
        for layer in self.tower[1:]:
            z = torch.relu(layer(z))
        return z

    def forward(self, u, i):
        """Logits x_ui for the pairs (u[j], i[j])."""
        parts = []
        if self.kind in ("gmf", "neumf"):
            parts.append(lookup(self.user_gmf.weight, u) * lookup(self.item_gmf.weight, i))
        if self.kind in ("mlp", "neumf"):
            pair = torch.cat([lookup(self.user_mlp.weight, u), lookup(self.item_mlp.weight, i)], dim=1)
            parts.append(self._mlp(self.tower[0](pair)))
        return self.output(torch.cat(parts, dim=1))[:, 0]

    def all_items(self, u):
        """Logits of every item for the users u: shape (len(u), n_items)."""
        h, bias = self.output.weight[0], self.output.bias[0]
        logits = bias
        if self.kind in ("gmf", "neumf"):
            g = self.user_gmf.embedding_dim
            logits = logits + (self.user_gmf(u) * h[:g]) @ self.item_gmf.weight.T
            h = h[g:]
        if self.kind in ("mlp", "neumf"):
            first, half = self.tower[0], self.user_mlp.embedding_dim
            user_half = self.user_mlp(u) @ first.weight[:, :half].T + first.bias        # (users, width)
            item_half = self.item_mlp.weight @ first.weight[:, half:].T                 # (items, width)
            z = self._mlp(user_half[:, None, :] + item_half[None, :, :])
            logits = logits + z @ h
        return logits


def bce_loss(logits, labels):
    """Binary cross-entropy of the labels under σ(logits), averaged: the NCF loss."""
    return nn.functional.binary_cross_entropy_with_logits(logits, labels)


class NCF(Recommender):
    """GMF, MLP or NeuMF (``kind``), trained with binary cross-entropy on interactions and
    ``negatives`` sampled non-interactions per interaction; see the module docstring.

    ``embedding_size`` is GMF's number of predictive factors; ``layers`` the MLP tower's widths
    (its embeddings are half the first width). A share ``validation`` of the interactions (with
    sampled negatives, fixed) is held out for early stopping. ``pretrained=(gmf, mlp)`` starts a
    NeuMF from two NCF models fitted on the same data, trained then with SGD.
    """

    #: scoring a batch of users builds a (users x items x first layer) array: keep batches small
    batch_size = 128

    def __init__(self, *, kind: str = "neumf", embedding_size: int = 16, layers=(32, 16, 8), negatives: int = 4,
                 epochs: int = 15, batch_size: int = 8192, learning_rate: float = 0.01, reg: float = 0.0,
                 validation: float = 0.05, patience: int = 1, pretrained=None, alpha: float = 0.5,
                 seed: int = 0, progress: bool = False):
        self.kind = kind
        self.embedding_size = embedding_size
        self.layers = layers
        self.negatives = negatives
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.reg = reg
        self.validation = validation
        self.patience = patience
        self.pretrained = pretrained
        self.alpha = alpha
        self.seed = seed
        self.progress = progress

    def _check_params(self) -> tuple:
        kind = one_of(self.kind, "kind", KINDS)
        factors = whole_number(self.embedding_size, "embedding_size")
        layers = layer_widths(self.layers, "layers", empty=False)
        if kind != "gmf" and layers[0] < 2:
            raise ValueError(f"layers[0] must be >= 2 (the MLP's embeddings are half of it), got {layers[0]}.")
        for name in ("negatives", "epochs", "batch_size", "patience"):
            whole_number(getattr(self, name), name)
        real_number(self.learning_rate, "learning_rate", above=0)
        real_number(self.reg, "reg", minimum=0)
        fraction(self.validation, "validation")
        real_number(self.alpha, "alpha", minimum=0, maximum=1)
        flag(self.progress, "progress")
        return kind, factors, layers

    def _fit(self, train: Dataset) -> None:
        kind, factors, layers = self._check_params()
        rng = seed_everything(whole_number(self.seed, "seed", minimum=0))
        self.network_ = NCFNet(self.n_users_, self.n_items_, kind, factors, layers)
        optimiser = "adam"
        if self.pretrained is not None:
            self._load_pretrained(train, factors, layers)
            optimiser = "sgd"
        users = train.ratings["user"].to_numpy()
        items = train.ratings["item"].to_numpy()
        order = rng.permutation(len(users))
        n_val = max(1, int(round(self.validation * len(users))))
        held, fit = order[:n_val], order[n_val:]
        n_neg = self.negatives
        seen = self.seen_

        def labelled(rows):
            # the interactions `rows`, each followed by n_neg fresh non-interactions of its user
            u = np.repeat(users[rows], 1 + n_neg)
            i = np.repeat(items[rows], 1 + n_neg)
            negative = np.tile(np.r_[False, np.ones(n_neg, dtype=bool)], len(rows))
            i[negative] = negative_items(seen, u[negative], rng)
            return torch.as_tensor(u), torch.as_tensor(i), torch.as_tensor((~negative).astype(np.float32))

        val_u, val_i, val_y = labelled(held)

        def batches(epoch):
            u, i, y = labelled(fit)
            shuffle = torch.as_tensor(rng.permutation(len(u)))
            return list(zip(u[shuffle].split(self.batch_size), i[shuffle].split(self.batch_size),
                            y[shuffle].split(self.batch_size)))

        def loss(batch):
            u, i, y = batch
            return bce_loss(self.network_(u, i), y)

        self.history_ = train_loop(self.network_, batches=batches, loss=loss,
                                   validate=lambda: bce_loss(self.network_(val_u, val_i), val_y),
                                   epochs=self.epochs, learning_rate=self.learning_rate, weight_decay=self.reg,
                                   patience=self.patience, progress=self.progress, optimiser=optimiser,
                                   description=f"{kind}{' (pre-trained)' if self.pretrained is not None else ''}")

    def _load_pretrained(self, train: Dataset, factors: int, layers: tuple) -> None:
        """Copy a fitted GMF's and MLP's weights into this NeuMF, h = [α h_GMF ; (1 − α) h_MLP]."""
        if self.kind != "neumf":
            raise ValueError(f"pretrained is for kind='neumf' (built from a GMF and an MLP), got kind={self.kind!r}.")
        if not isinstance(self.pretrained, (tuple, list)) or len(self.pretrained) != 2:
            raise ValueError("pretrained must be a pair (gmf, mlp) of fitted NCF models.")
        gmf, mlp = self.pretrained
        for name, model, want in (("pretrained[0]", gmf, "gmf"), ("pretrained[1]", mlp, "mlp")):
            if not isinstance(model, NCF) or model.kind != want:
                raise ValueError(f"{name} must be an NCF model with kind={want!r}, got {model!r}.")
            if not hasattr(model, "network_"):
                raise ValueError(f"{name} is not fitted; fit it on the same training data first.")
            same = (model.n_users_, model.n_items_) == (self.n_users_, self.n_items_) and \
                (model.seen_ != self.seen_).nnz == 0
            if not same:
                raise ValueError(f"{name} was fitted on other ratings than the training data given to fit.")
        if gmf.embedding_size != factors or tuple(mlp.layers) != layers:
            raise ValueError(f"pretrained models must match this NeuMF's sizes: GMF embedding_size {factors} (got "
                             f"{gmf.embedding_size}), MLP layers {layers} (got {tuple(mlp.layers)}).")
        net, a = self.network_, float(self.alpha)
        with torch.no_grad():
            for mine, theirs in ((net.user_gmf, gmf.network_.user_gmf), (net.item_gmf, gmf.network_.item_gmf),
                                 (net.user_mlp, mlp.network_.user_mlp), (net.item_mlp, mlp.network_.item_mlp)):
                mine.weight.copy_(theirs.weight)
            net.tower.load_state_dict(mlp.network_.tower.state_dict())
            net.output.weight.copy_(torch.cat([a * gmf.network_.output.weight, (1 - a) * mlp.network_.output.weight], dim=1))
            net.output.bias.copy_(a * gmf.network_.output.bias + (1 - a) * mlp.network_.output.bias)

    def _score(self, users):
        with torch.no_grad():
            return self.network_.all_items(torch.as_tensor(users, dtype=torch.long)).numpy()

    def probability(self, users, items) -> np.ndarray:
        """ŷ_ui = σ(x_ui) for the pairs (users[j], items[j]): the model's probability that the user
        interacts with the item."""
        self._check_fitted()
        users = self._check_ids(users, self.n_users_, "users")
        items = self._check_ids(items, self.n_items_, "items")
        if users.shape != items.shape:
            raise ValueError(f"users and items must have the same length, got {len(users)} and {len(items)}.")
        with torch.no_grad():
            return torch.sigmoid(self.network_(torch.as_tensor(users), torch.as_tensor(items))).numpy().astype(float)

    def save(self, path) -> Path:
        """Weights only (torch's format, read back with ``weights_only=True``), atomically."""
        self._check_fitted()
        seen = self.seen_.tocsr()
        params = {k: v for k, v in self.get_params().items() if k != "pretrained"}
        params["layers"] = list(self.layers)
        payload = {"format": "recsys_lite.NCF/1", "params": params, "state_dict": self.network_.state_dict(),
                   "fitted": {"n_users": self.n_users_, "n_items": self.n_items_, "history": self.history_,
                              "fit_seconds": self.fit_seconds_, "seen_indptr": torch.as_tensor(seen.indptr),
                              "seen_indices": torch.as_tensor(seen.indices)}}
        return write_atomic(path, lambda f: torch.save(payload, f))

    @classmethod
    def load(cls, path) -> "NCF":
        """A fitted `NCF` from a file written by `save`; scores exactly as the saved one did."""
        import scipy.sparse as sp

        payload = torch.load(Path(path), weights_only=True)
        if not isinstance(payload, dict) or payload.get("format") != "recsys_lite.NCF/1":
            raise ValueError(f"{path} is not an NCF model saved by recsys_lite (NCF.save).")
        params, fitted = payload["params"], payload["fitted"]
        model = cls(**{**params, "layers": tuple(params["layers"])})
        model.n_users_, model.n_items_ = int(fitted["n_users"]), int(fitted["n_items"])
        indptr, indices = fitted["seen_indptr"].numpy(), fitted["seen_indices"].numpy()
        model.seen_ = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(model.n_users_, model.n_items_))
        kind, factors, layers = model._check_params()
        model.network_ = NCFNet(model.n_users_, model.n_items_, kind, factors, layers)
        model.network_.load_state_dict(payload["state_dict"])
        model.network_.eval()
        model.history_, model.fit_seconds_ = fitted["history"], fitted["fit_seconds"]
        return model
