"""Recommending from pictures: a small CNN turns each item's image into a vector, and a factor
model compares users with it, trained with BPR's triplets (a user should score an item they
interacted with above one they did not), as visual BPR does (He & McAuley 2016; VPOI's triplet
idea on points of interest, Wang et al. 2017).

    score(u, i) = θ_uᵀ φ(x_i)  [+ γ_uᵀ γ_i  with ``identity=True``]

φ is the CNN: three 3 x 3 convolutions with stride 2 and ReLU (3 → 8 → 16 → 32 channels, each
halving the picture), a global max-pool over positions (a filter's strongest response anywhere:
whether what it detects is on the picture, wherever it is), and a linear map to the embedding.
Unlike VBPR, which takes features from a CNN trained on other images, this CNN is trained here
end to end, so its filters learn what matters for the users. Without the identity term
(the default) an item nobody interacted with is scored from its picture exactly as the others;
with it, such an item's γ_i is only ever trained as a sampled negative.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._checks import flag, real_number, whole_number
from ..data.dataset import Dataset
from ..train import bpr_batches, bpr_loss, check_training_settings, heldout_ndcg, hold_out, lookup, seed_everything, train_loop
from .base import Recommender


class PosterCNN(nn.Module):
    """Images (n, 3, h, w) → vectors (n, size)."""

    def __init__(self, size: int, channels=(8, 16, 32)):
        super().__init__()
        widths = (3,) + tuple(channels)
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 3, stride=2, padding=1) for a, b in zip(widths[:-1], widths[1:]))
        self.out = nn.Linear(widths[-1], size)

    def feature_maps(self, x):
        """The activation maps after each convolution (for looking at what the filters respond to)."""
        maps = []
        for conv in self.convs:
            x = torch.relu(conv(x))
            maps.append(x)
        return maps

    def forward(self, x):
        return self.out(self.feature_maps(x)[-1].amax(dim=(2, 3)))


class VisualBPR(Recommender):
    """Users against the CNN vectors of the items' ``images`` (items x 3 x h x w, values in
    [0, 1], e.g. `recsys_lite.data.posters.render_posters`), plus a plain factor term with
    ``identity=True``; BPR with one sampled negative per interaction, early stopping on the
    NDCG@10 of held-out interactions. ``augment`` moves, mirrors and re-noises the pictures at
    every step (the scores read the pictures as they are)."""

    def __init__(self, *, images=None, embedding_size: int = 32, identity: bool = False, augment: bool = True,
                 epochs: int = 30, batch_size: int = 4096, learning_rate: float = 0.01, reg: float = 1e-4,
                 validation: float = 0.05, patience: int = 10, seed: int = 0, progress: bool = False):
        self.images = images
        self.augment = augment
        self.embedding_size = embedding_size
        self.identity = identity
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.reg = reg
        self.validation = validation
        self.patience = patience
        self.seed = seed
        self.progress = progress

    def _fit(self, train: Dataset) -> None:
        images = np.asarray(self.images, dtype=np.float32) if self.images is not None else None
        if images is None or images.ndim != 4 or images.shape[1] != 3 or images.shape[0] != train.n_items:
            raise ValueError(f"images must be an items x 3 x height x width array with one image per item "
                             f"({train.n_items}), got {None if images is None else images.shape}.")
        if not np.isfinite(images).all():
            raise ValueError("images hold NaN or inf; pixel values must be finite.")
        size = whole_number(self.embedding_size, "embedding_size")
        flag(self.identity, "identity")
        flag(self.augment, "augment")
        check_training_settings(self)
        reg = real_number(self.reg, "reg", minimum=0)
        rng = seed_everything(whole_number(self.seed, "seed", minimum=0))
        self.images_ = x = torch.as_tensor(images)
        fit, held = hold_out(self.seen_, self.validation, rng)
        self.network_ = net = _VisualNet(self.n_users_, self.n_items_, size, self.identity)
        generator = torch.Generator().manual_seed(int(rng.integers(2**31)))

        # the pictures wrapped around by 3 pixels on every side, and their mirror images, once: a
        # step's shifted picture is then a slice of one of them; and one bank of noise, read at a
        # random offset, so that the noise changes at every step for the cost of a slice
        h, w = x.shape[2], x.shape[3]
        wrapped = torch.cat([x[:, :, -3:], x, x[:, :, :3]], dim=2)
        wrapped = torch.cat([wrapped[:, :, :, -3:], wrapped, wrapped[:, :, :, :3]], dim=3)
        views = (wrapped, wrapped.flip(3))
        bank = 0.05 * torch.randn((x.shape[0], 3, h + 8, w + 8), generator=generator)

        def augmented():
            # every step sees the pictures moved, mirrored and re-noised, so that the CNN cannot
            # learn an item by its exact pixels (its own identity) instead of by what it shows
            if not self.augment:
                return x
            dy, dx, oy, ox, mirror = (torch.randint(0, 7, (2,), generator=generator).tolist()
                                      + torch.randint(0, 9, (2,), generator=generator).tolist()
                                      + [int(torch.rand(1, generator=generator) < 0.5)])
            return views[mirror][:, :, dy:dy + h, dx:dx + w] + bank[:, :, oy:oy + h, ox:ox + w]

        def batches(epoch):
            return bpr_batches(fit, self.batch_size, rng)

        def loss(batch):
            u, i, j = batch
            phi = net.cnn(augmented())                         # every image once per step
            pos, neg = net.pair_scores(u, i, phi), net.pair_scores(u, j, phi)
            penalty = lookup(net.theta, u).pow(2).sum()
            if self.identity:
                penalty = penalty + lookup(net.gamma_u, u).pow(2).sum() + lookup(net.gamma_i, i).pow(2).sum() \
                    + lookup(net.gamma_i, j).pow(2).sum()
            return bpr_loss(pos, neg) + reg * penalty / len(u)

        def validate():
            return -heldout_ndcg(net.all_scores(net.cnn(x)).numpy(), fit, held)

        self.history_ = train_loop(net, batches=batches, loss=loss, validate=validate, epochs=self.epochs,
                                   learning_rate=self.learning_rate, weight_decay=0.0, patience=self.patience,
                                   progress=self.progress, description="visual BPR")
        with torch.no_grad():
            phi = net.cnn(x)
            self.item_vectors_ = phi.numpy().astype(float)
            self.scores_ = net.all_scores(phi).numpy().astype(float)

    def _score(self, users):
        return self.scores_[users]


class _VisualNet(nn.Module):
    def __init__(self, n_users: int, n_items: int, size: int, identity: bool):
        super().__init__()
        self.cnn = PosterCNN(size)
        self.theta = nn.Parameter(0.1 * torch.randn(n_users, size))
        self.identity = identity
        if identity:
            self.gamma_u = nn.Parameter(0.1 * torch.randn(n_users, size))
            self.gamma_i = nn.Parameter(torch.zeros(n_items, size))      # zero until an interaction trains it

    def pair_scores(self, u, i, phi):
        s = (lookup(self.theta, u) * lookup(phi, i)).sum(1)
        if self.identity:
            s = s + (lookup(self.gamma_u, u) * lookup(self.gamma_i, i)).sum(1)
        return s

    def all_scores(self, phi):
        """Every user's score for every item, from the items' CNN vectors ``phi``."""
        s = self.theta @ phi.T
        if self.identity:
            s = s + self.gamma_u @ self.gamma_i.T
        return s
