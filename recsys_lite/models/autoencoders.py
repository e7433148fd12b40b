"""Autoencoders for recommendation: AutoRec, CDAE, Mult-VAE and CDL.

An autoencoder squeezes a vector through a narrow hidden layer and learns to reproduce it. A
user's (or an item's) row of the rating matrix is such a vector; what the network puts back in
the empty cells is its recommendation (matrix completion at the reconstruction layer), and the
hidden layer is a learned representation (feature learning at the bottleneck).

* `AutoRec` (Sedhain, Menon, Sanner & Xie 2015) reconstructs an item's ratings by all users
  (I-AutoRec) or a user's ratings of all items (U-AutoRec), h(r) = f(W g(V r + μ) + b), and is
  trained only on the observed cells:  min Σ_r ‖(r − h(r)) ⊙ m_r‖² + λ/2 (‖W‖² + ‖V‖²).
* `CDAE` (Wu, DuBois, Zheng & Ester 2016) reconstructs a user's 0/1 interactions from a
  corrupted copy (dropout), with a vector of the user's own added in the hidden layer; the loss
  covers the interactions and a sample of the zeros.
* `MultVAE` (Liang, Krishnan, Hoffman & Jebara 2018): a variational autoencoder whose decoder
  gives a multinomial distribution over items; the loss is the negative ELBO with the KL term
  weighted by β, raised from 0 during training (annealing).
* `CDL` (Wang, Wang & Yeung 2015): iALS whose item vectors are pulled towards the bottleneck of a
  denoising autoencoder of the item's content; the two are fitted in turn.

Validation: a share of the training interactions is held out of the inputs and the targets;
training stops when the held-out error (AutoRec: RMSE on held-out ratings; CDAE and Mult-VAE:
NDCG@10 of the held-out items, training items excluded) stops improving, and the best weights
are kept. The fitted model then reads the *whole* training matrix as its input.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from .._checks import flag, layer_widths, one_of, real_number, whole_number
from ..data.dataset import Dataset
from ..train import check_training_settings, heldout_ndcg, hold_out, seed_everything, train_loop
from .base import Recommender
from .content import _profiles
from .mf import ImplicitMF

ACTIVATIONS = {"identity": nn.Identity, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "elu": nn.ELU}


def _dense(m: sp.spmatrix) -> torch.Tensor:
    return torch.as_tensor(m.toarray(), dtype=torch.float32)


def _row_batches(n_rows: int, batch_size: int, rng: np.random.Generator):
    """``batches(epoch)`` for the training loop: the rows in a fresh random order, in batches."""
    return lambda epoch: [(b,) for b in torch.as_tensor(rng.permutation(n_rows)).split(batch_size)]


# ---- AutoRec ---------------------------------------------------------------------------------
class AutoRecNet(nn.Module):
    """h(r) = f(W g(V r + μ) + b): one hidden layer, or several (``hidden`` widths, each with g)."""

    def __init__(self, n_inputs: int, hidden: tuple, activation: str, output: str):
        super().__init__()
        widths = (n_inputs,) + hidden
        self.encoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.decoder = nn.Linear(hidden[-1], n_inputs)
        self.g, self.f = ACTIVATIONS[activation](), ACTIVATIONS[output]()

    def forward(self, r):
        z = r
        for layer in self.encoder:
            z = self.g(layer(z))
        return self.f(self.decoder(z))

    def weights(self):
        return [m.weight for m in list(self.encoder) + [self.decoder]]


def autorec_loss(predicted, target, mask, weights=(), reg: float = 0.0):
    """AutoRec's objective: the squared error on the observed cells only (``mask`` is 1 there and
    0 elsewhere) plus λ/2 times the squared norm of each weight matrix in ``weights``."""
    error = ((predicted - target) * mask).pow(2).sum()
    return error + reg / 2 * sum(w.pow(2).sum() for w in weights)


class AutoRec(Recommender):
    """I-AutoRec (``kind="item"``: each item's vector of ratings by all users is reconstructed)
    or U-AutoRec (``kind="user"``); see the module docstring.

    ``hidden`` are the hidden layers' widths (the paper: one layer of 500), ``activation`` is g
    and ``output`` is f (the paper: sigmoid and identity), ``reg`` is λ. The objective is
    divided by the number of observed ratings, so λ is per rating. A row without training
    ratings (a user or item nobody rated) is predicted the training mean, as the paper gives
    untested users and items a default rating; estimates are clipped to the rating range.
    """

    def __init__(self, *, kind: str = "item", hidden=(500,), activation: str = "sigmoid", output: str = "identity",
                 reg: float = 1.0, epochs: int = 200, batch_size: int = 256, learning_rate: float = 0.01,
                 validation: float = 0.05, patience: int = 10, seed: int = 0, progress: bool = False):
        self.kind = kind
        self.hidden = hidden
        self.activation = activation
        self.output = output
        self.reg = reg
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation = validation
        self.patience = patience
        self.seed = seed
        self.progress = progress

    def _check_params(self):
        kind = one_of(self.kind, "kind", ("item", "user"))
        hidden = layer_widths(self.hidden, "hidden")
        if not hidden:
            raise ValueError("hidden must hold at least one layer width.")
        one_of(self.activation, "activation", tuple(ACTIVATIONS))
        one_of(self.output, "output", tuple(ACTIVATIONS))
        real_number(self.reg, "reg", minimum=0)
        check_training_settings(self)
        return kind, hidden

    def _fit(self, train: Dataset) -> None:
        kind, hidden = self._check_params()
        rng = seed_everything(whole_number(self.seed, "seed", minimum=0))
        ratings = train.to_csr()
        rows = ratings if kind == "user" else ratings.T.tocsr()          # one row per reconstructed vector
        self.mean_ = float(train.ratings["rating"].mean())
        self.rating_range_ = (float(train.ratings["rating"].min()), float(train.ratings["rating"].max()))
        fit, held = hold_out(rows, self.validation, rng)
        x, x_held = _dense(fit), _dense(held)
        m, m_held = (x > 0).float(), (x_held > 0).float()
        n_obs, n_rows = float(m.sum()), x.shape[0]
        self.network_ = net = AutoRecNet(x.shape[1], hidden, self.activation, self.output)
        if self.output == "identity":     # start the output at the mean rating rather than at 0
            nn.init.constant_(net.decoder.bias, self.mean_)

        def loss(batch):
            (b,) = batch
            # this batch's share of the whole objective, so λ weighs the same in every batch
            share = len(b) / n_rows
            return autorec_loss(net(x[b]), x[b], m[b], net.weights(), self.reg * share) / (n_obs * share)

        def validate():
            return float(torch.sqrt(autorec_loss(net(x), x_held, m_held) / m_held.sum()))

        self.history_ = train_loop(net, batches=_row_batches(n_rows, self.batch_size, rng), loss=loss,
                                   validate=validate, epochs=self.epochs,
                                   learning_rate=self.learning_rate, weight_decay=0.0, patience=self.patience,
                                   progress=self.progress, description=f"{kind[0].upper()}-AutoRec")
        with torch.no_grad():
            full = _dense(rows)
            out = net(full).numpy().astype(float)
        out[np.diff(rows.indptr) == 0] = self.mean_                       # rows nobody rated: the mean
        out = np.clip(out, *self.rating_range_)
        self.estimates_ = out if kind == "user" else out.T               # users x items

    def _predict(self, users, items):
        return self.estimates_[users, items]

    def _score(self, users):
        return self.estimates_[users]


# ---- CDAE ------------------------------------------------------------------------------------
class CDAENet(nn.Module):
    """z_u = h(Wᵀ ỹ_u + V_u + b), ŷ_u = f(W'ᵀ z_u + b'): a one-hidden-layer denoising
    autoencoder with a user vector V_u added in the hidden layer."""

    def __init__(self, n_users: int, n_items: int, hidden: int, activation: str, user_node: bool):
        super().__init__()
        self.encoder = nn.Linear(n_items, hidden)
        self.user = nn.Embedding(n_users, hidden) if user_node else None
        if user_node:
            nn.init.normal_(self.user.weight, std=0.01)
        self.decoder = nn.Linear(hidden, n_items)
        self.h = ACTIVATIONS[activation]()

    def forward(self, y, users):
        """Logits of every item (f is the sigmoid, applied in the loss) for the rows y of users."""
        z = self.encoder(y)
        if self.user is not None:
            z = z + self.user(users)
        return self.decoder(self.h(z))


def corrupt(y, rate: float, generator=None):
    """Dropout corruption: each entry of ``y`` is set to 0 with probability ``rate`` and the
    survivors are scaled by 1 / (1 − rate), so the corrupted input is unbiased."""
    if rate == 0:
        return y
    keep = torch.rand(y.shape, generator=generator) >= rate
    return y * keep / (1 - rate)


def cdae_loss(logits, y, mask):
    """Logistic loss of the 0/1 targets ``y`` under σ(logits), summed over the cells where
    ``mask`` is 1 (the user's interactions and the sampled zeros) and averaged over users."""
    cells = nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none")
    return (cells * mask).sum() / len(y)


class CDAE(Recommender):
    """Collaborative denoising autoencoder for top-n recommendation from implicit feedback.

    Each user's 0/1 row is corrupted by dropout (``corruption``), encoded to ``hidden`` units
    (activation h; the user's own vector is added when ``user_node``) and decoded to a logit per
    item. The logistic loss covers the user's interactions and, each epoch afresh, ``negatives``
    zeros per interaction drawn at random (all zeros when ``negatives`` is None); ``reg`` is an
    L2 penalty on every weight (Adam's weight decay). Scores read the uncorrupted rows. The
    defaults are chapter 7's choice on validation data.
    """

    batch_size = 2048

    def __init__(self, *, hidden: int = 400, corruption: float = 0.2, user_node: bool = True,
                 activation: str = "sigmoid", negatives: int | None = None, reg: float = 1e-5, epochs: int = 100,
                 batch_size: int = 128, learning_rate: float = 0.005, validation: float = 0.05, patience: int = 10,
                 seed: int = 0, progress: bool = False):
        self.hidden = hidden
        self.corruption = corruption
        self.user_node = user_node
        self.activation = activation
        self.negatives = negatives
        self.reg = reg
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation = validation
        self.patience = patience
        self.seed = seed
        self.progress = progress

    def _fit(self, train: Dataset) -> None:
        hidden = whole_number(self.hidden, "hidden")
        rate = real_number(self.corruption, "corruption", minimum=0, below=1)
        flag(self.user_node, "user_node")
        one_of(self.activation, "activation", tuple(ACTIVATIONS))
        negatives = None if self.negatives is None else whole_number(self.negatives, "negatives")
        real_number(self.reg, "reg", minimum=0)
        check_training_settings(self)
        rng = seed_everything(whole_number(self.seed, "seed", minimum=0))
        generator = torch.Generator().manual_seed(int(rng.integers(2**31)))
        fit, held = hold_out(self.seen_, self.validation, rng)
        y = _dense(fit)
        n_pos = y.sum(1, keepdim=True)
        # each zero is drawn with the probability that gives `negatives` zeros per interaction
        p_zero = torch.ones_like(n_pos) if negatives is None else \
            torch.clamp(negatives * n_pos / (self.n_items_ - n_pos).clamp(min=1), max=1)
        self.network_ = net = CDAENet(self.n_users_, self.n_items_, hidden, self.activation, self.user_node)
        fit_csr = fit.tocsr()

        def loss(batch):
            (b,) = batch
            yb = y[b]
            mask = torch.where(yb > 0, 1.0, (torch.rand(yb.shape, generator=generator) < p_zero[b]).float())
            return cdae_loss(net(corrupt(yb, rate, generator), b), yb, mask)

        def validate():
            return -heldout_ndcg(net(y, torch.arange(self.n_users_)).numpy(), fit_csr, held)

        self.history_ = train_loop(net, batches=_row_batches(self.n_users_, self.batch_size, rng), loss=loss,
                                   validate=validate, epochs=self.epochs,
                                   learning_rate=self.learning_rate, weight_decay=self.reg, patience=self.patience,
                                   progress=self.progress, description="CDAE")
        self.inputs_ = _dense(self.seen_)

    def _score(self, users):
        with torch.no_grad():
            u = torch.as_tensor(users, dtype=torch.long)
            return self.network_(self.inputs_[u], u).numpy()


# ---- Mult-VAE --------------------------------------------------------------------------------
class MultVAENet(nn.Module):
    """Encoder x → (μ, log σ²) through tanh layers; decoder z → logits over items."""

    def __init__(self, n_items: int, hidden: tuple, latent: int, dropout: float):
        super().__init__()
        widths = (n_items,) + hidden
        self.encoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.to_mean, self.to_logvar = nn.Linear(widths[-1], latent), nn.Linear(widths[-1], latent)
        back = (latent,) + hidden[::-1]
        self.decoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(back[:-1], back[1:]))
        self.output = nn.Linear(back[-1], n_items)
        self.dropout = nn.Dropout(dropout)

    def encode(self, x):
        h = self.dropout(nn.functional.normalize(x, dim=1))
        for layer in self.encoder:
            h = torch.tanh(layer(h))
        return self.to_mean(h), self.to_logvar(h)

    def decode(self, z):
        for layer in self.decoder:
            z = torch.tanh(layer(z))
        return self.output(z)

    def forward(self, x):
        """Logits, μ and log σ²; z is sampled while training and is μ in evaluation mode."""
        mean, logvar = self.encode(x)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar) if self.training else mean
        return self.decode(z), mean, logvar


def gaussian_kl(mean, logvar):
    """KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_k (σ_k² + μ_k² − 1 − log σ_k²), one value per row."""
    return 0.5 * (logvar.exp() + mean.pow(2) - 1 - logvar).sum(dim=1)


def multinomial_nll(logits, x):
    """−Σ_i x_ui log softmax(logits)_i per user: the multinomial log-likelihood, negated."""
    return -(torch.log_softmax(logits, dim=1) * x).sum(dim=1)


def vae_loss(logits, x, mean, logvar, beta: float):
    """The negative ELBO with the KL term weighted by β, averaged over users."""
    return (multinomial_nll(logits, x) + beta * gaussian_kl(mean, logvar)).mean()


class MultVAE(Recommender):
    """Variational autoencoder with a multinomial likelihood (Mult-VAE).

    ``hidden``: the encoder's tanh layers (the decoder mirrors them), ``latent``: the size of z,
    ``dropout`` on the (L2-normalised) input. β rises linearly from 0 by ``1 / anneal_steps`` per
    gradient step up to ``beta`` (Liang et al. anneal and keep the β that validates best; here β
    is capped at ``beta``, which they found near 0.2). ``reg`` is Adam's weight decay. The
    defaults are the paper's layers (600-200-600) and chapter 7's choice on validation data.
    """

    batch_size = 2048

    def __init__(self, *, hidden=(600,), latent: int = 200, dropout: float = 0.5, beta: float = 0.2,
                 anneal_steps: int = 200, reg: float = 0.0, epochs: int = 200, batch_size: int = 128,
                 learning_rate: float = 0.001, validation: float = 0.05, patience: int = 10, seed: int = 0,
                 progress: bool = False):
        self.hidden = hidden
        self.latent = latent
        self.dropout = dropout
        self.beta = beta
        self.anneal_steps = anneal_steps
        self.reg = reg
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation = validation
        self.patience = patience
        self.seed = seed
        self.progress = progress

    def _fit(self, train: Dataset) -> None:
        hidden = layer_widths(self.hidden, "hidden")
        latent = whole_number(self.latent, "latent")
        dropout = real_number(self.dropout, "dropout", minimum=0, below=1)
        beta = real_number(self.beta, "beta", minimum=0)
        anneal = whole_number(self.anneal_steps, "anneal_steps")
        real_number(self.reg, "reg", minimum=0)
        check_training_settings(self)
        rng = seed_everything(whole_number(self.seed, "seed", minimum=0))
        fit, held = hold_out(self.seen_, self.validation, rng)
        x = _dense(fit)
        self.network_ = net = MultVAENet(self.n_items_, hidden, latent, dropout)
        steps = [0]

        def loss(batch):
            (b,) = batch
            steps[0] += 1
            logits, mean, logvar = net(x[b])
            return vae_loss(logits, x[b], mean, logvar, min(beta, steps[0] / anneal))

        def validate():
            return -heldout_ndcg(net(x)[0].numpy(), fit, held)

        self.history_ = train_loop(net, batches=_row_batches(self.n_users_, self.batch_size, rng), loss=loss,
                                   validate=validate, epochs=self.epochs,
                                   learning_rate=self.learning_rate, weight_decay=self.reg, patience=self.patience,
                                   progress=self.progress, description="Mult-VAE")
        self.inputs_ = _dense(self.seen_)

    def _score(self, users):
        with torch.no_grad():
            return self.network_(self.inputs_[torch.as_tensor(users, dtype=torch.long)])[0].numpy()


# ---- CDL -------------------------------------------------------------------------------------
class SDAE(nn.Module):
    """A stacked denoising autoencoder of item content: sigmoid layers down to a linear
    bottleneck θ (the content's item vector), and the mirror image back up."""

    def __init__(self, n_features: int, hidden: tuple, factors: int):
        super().__init__()
        down = (n_features,) + hidden
        self.encoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(down[:-1], down[1:]))
        self.bottleneck = nn.Linear(down[-1], factors)
        up = (factors,) + hidden[::-1]
        self.decoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(up[:-1], up[1:]))
        self.output = nn.Linear(up[-1], n_features)

    def encode(self, x):
        for layer in self.encoder:
            x = torch.sigmoid(layer(x))
        return self.bottleneck(x)

    def forward(self, x):
        """(θ, reconstruction) of the rows x."""
        theta = self.encode(x)
        h = theta
        for layer in self.decoder:
            h = torch.sigmoid(layer(h))
        return theta, self.output(h)


def cdl_network_loss(theta, reconstruction, clean, item_factors, item_reg: float, reconstruction_weight: float):
    """The terms of CDL's objective that involve the network, per item:
    λ_n ‖x̂_j − x_j‖² + λ_v ‖v_j − θ_j‖², averaged over items (λ_w is Adam's weight decay)."""
    return (reconstruction_weight * (reconstruction - clean).pow(2).sum(1)
            + item_reg * (item_factors - theta).pow(2).sum(1)).mean()


class CDL(ImplicitMF):
    """Collaborative deep learning: iALS (`ImplicitMF`, binary confidence 1 + α) whose item
    vectors have the prior v_j ~ N(θ_j, λ_v⁻¹ I), θ_j the bottleneck of a denoising autoencoder
    of the item's content x_j (``features``: ItemFeatures or an items x features matrix).

    Each epoch: θ = encoder(x); every user by ALS (penalty ``reg`` = λ_u); every item by ALS
    with the penalty λ_v ‖v_j − θ_j‖² (``item_reg``), v_j = (Σ c_uj x_u x_uᵀ + λ_v I)⁻¹
    (Σ c_uj p_uj x_u + λ_v θ_j); then ``network_steps`` Adam steps on the network's terms
    (`cdl_network_loss`, inputs corrupted by dropout at ``corruption``). With ``features=None``
    θ is 0 and the model is iALS with penalties λ_u and λ_v: the same model without content.
    """

    def __init__(self, *, features=None, embedding_size: int = 32, hidden=(128,), reg: float = 50.0,
                 item_reg: float = 50.0, reconstruction_weight: float = 1.0, alpha: float = 5.0,
                 corruption: float = 0.3, epochs: int = 15, network_steps: int = 20, learning_rate: float = 0.01,
                 weight_decay: float = 1e-4, seed: int = 0, init_std: float = 0.1):
        self.features = features
        self.embedding_size = embedding_size
        self.hidden = hidden
        self.reg = reg
        self.item_reg = item_reg
        self.reconstruction_weight = reconstruction_weight
        self.alpha = alpha
        self.corruption = corruption
        self.epochs = epochs
        self.network_steps = network_steps
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.seed = seed
        self.init_std = init_std

    # ImplicitMF's parameters that CDL fixes
    confidence, missing_weight_column = "binary", None

    def _fit(self, train: Dataset) -> None:
        f = whole_number(self.embedding_size, "embedding_size")
        hidden = layer_widths(self.hidden, "hidden")
        for name in ("reg", "item_reg", "alpha", "init_std"):
            real_number(getattr(self, name), name, above=0)
        real_number(self.reconstruction_weight, "reconstruction_weight", minimum=0)
        rate = real_number(self.corruption, "corruption", minimum=0, below=1)
        whole_number(self.epochs, "epochs")
        whole_number(self.network_steps, "network_steps", minimum=0)
        real_number(self.learning_rate, "learning_rate", above=0)
        real_number(self.weight_decay, "weight_decay", minimum=0)
        rng = seed_everything(whole_number(self.seed, "seed", minimum=0))
        content = None if self.features is None else _dense(_profiles(self.features, train.n_items))
        strength = train.to_csr(binary=True)
        extra = sp.csr_matrix((self.alpha * strength.data, strength.indices, strength.indptr), shape=strength.shape)
        extra_t = extra.T.tocsr()
        ones_u, ones_i = np.ones(self.n_users_), np.ones(self.n_items_)
        x = rng.normal(0, self.init_std, (self.n_users_, f))
        y = rng.normal(0, self.init_std, (self.n_items_, f))
        theta = np.zeros((self.n_items_, f))
        generator = torch.Generator().manual_seed(int(rng.integers(2**31)))   # after the factors, as iALS draws them
        self.network_, self.history_ = None, []
        if content is not None:
            self.network_ = net = SDAE(content.shape[1], hidden, f)
            optimiser = torch.optim.Adam(net.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        for _ in range(self.epochs):
            if content is not None:
                net.eval()
                with torch.no_grad():
                    theta = net.encode(content).numpy().astype(float)
            x = self._half_step(extra, y, row_weight=ones_u, other_weight=ones_i, reg=self.reg)
            y = self._half_step(extra_t, x, row_weight=ones_i, other_weight=ones_u, reg=self.item_reg, prior=theta)
            if content is not None:
                net.train()
                target = torch.as_tensor(y, dtype=torch.float32)
                for _ in range(self.network_steps):
                    optimiser.zero_grad()
                    t, rec = net(corrupt(content, rate, generator))
                    value = cdl_network_loss(t, rec, content, target, self.item_reg, self.reconstruction_weight)
                    value.backward()
                    optimiser.step()
                self.history_.append({"epoch": len(self.history_) + 1, "network_loss": float(value.detach())})
        if content is not None:
            net.eval()
            with torch.no_grad():
                theta = net.encode(content).numpy().astype(float)
        self.user_factors_, self.item_factors_, self.content_factors_ = x, y, theta
