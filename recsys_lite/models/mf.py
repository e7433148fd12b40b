"""Biased matrix factorisation (Koren, Bell & Volinsky 2009), fitted by alternating least squares.

    r̂_ui = μ + b_u + b_i + p_uᵀ q_i

minimising  Σ_(u,i)∈R (r_ui − r̂_ui)² + λ (Σ_u ‖p_u‖² + Σ_i ‖q_i‖²) + λ_b (Σ_u b_u² + Σ_i b_i²),
with λ_b = λ unless ``reg_bias`` is given.

With the item side fixed, each user's (p_u, b_u) is a ridge regression on the items they rated:
append a constant 1 to every q_i, and solve (Z_uᵀ Z_u + λ I) x_u = Z_uᵀ y_u with
y_ui = r_ui − μ − b_i. The same holds for items with users fixed. Each half-step solves all
users (or all items) at once: the Gram matrices Σ_i z_i z_iᵀ come from one sparse-dense
product, the systems from one batched `np.linalg.solve`. No loop runs over ratings.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..data.dataset import Dataset
from .base import Recommender
from .._checks import flag, one_of, real_number, whole_number


class BiasedMF(Recommender):
    """Biased matrix factorisation by ALS; ``embedding_size`` latent factors, ``reg`` = λ,
    ``reg_bias`` = λ_b. The defaults were chosen on a validation split carved from the book's
    training data (scripts/benchmark_cf.py reports their 5-fold cross-validated RMSE).

    Start: user factors, then item factors, drawn from N(0, init_std²) by
    ``np.random.default_rng(seed)``; biases 0. Each epoch solves every user, then every item, so
    after one epoch ``user_factors_`` is one exact ridge step from the starting item factors.

    ``weight_column`` names a column of the training ratings holding a weight w_ui > 0 per rating;
    the squared errors (and the global mean) are then weighted, Σ w_ui (r_ui − r̂_ui)² + penalties.
    Inverse propensities make this the IPS-weighted MF of Schnabel et al. (2016); scale them to
    mean 1 so that ``reg`` keeps its meaning.

    Two options configure it like Apache Spark's ALS (chapter 10): ``biases=False`` drops μ, b_u
    and b_i (r̂_ui = p_uᵀ q_i), and ``reg_scaling="count"`` multiplies each row's penalty by its
    number of ratings, λ n_u ‖p_u‖² and λ n_i ‖q_i‖² (the weighted-λ regularisation of Zhou et
    al. 2008); a row without ratings keeps λ."""

    def __init__(self, *, embedding_size: int = 10, reg: float = 15.0, reg_bias: float | None = 5.0,
                 epochs: int = 20, seed: int = 0, init_std: float = 0.1, weight_column: str | None = None,
                 biases: bool = True, reg_scaling: str = "none"):
        self.embedding_size = embedding_size
        self.reg = reg
        self.reg_bias = reg_bias
        self.epochs = epochs
        self.seed = seed
        self.init_std = init_std
        self.weight_column = weight_column
        self.biases = biases
        self.reg_scaling = reg_scaling

    def _fit(self, train: Dataset) -> None:
        f = whole_number(self.embedding_size, "embedding_size")
        flag(self.biases, "biases")
        one_of(self.reg_scaling, "reg_scaling", REG_SCALINGS)
        whole_number(self.epochs, "epochs")
        real_number(self.reg, "reg (> 0 keeps every system solvable)", above=0)
        if self.reg_bias is not None:
            real_number(self.reg_bias, "reg_bias (> 0 keeps every system solvable)", above=0)
        real_number(self.init_std, "init_std", above=0)
        rng = np.random.default_rng(whole_number(self.seed, "seed", minimum=0))
        r = train.ratings
        users, items = r["user"].to_numpy(), r["item"].to_numpy()
        y = r["rating"].to_numpy(dtype=float)
        w = _weights(r, self.weight_column)
        self.global_mean_ = float(np.average(y, weights=w)) if self.biases else 0.0
        self.rating_range_ = (float(y.min()), float(y.max()))
        residual = y - self.global_mean_
        by_user = sp.csr_matrix((residual, (users, items)), shape=(self.n_users_, self.n_items_))
        by_item = by_user.T.tocsr()
        weight_by_user = sp.csr_matrix((w, (users, items)), shape=(self.n_users_, self.n_items_))
        weight_by_item = weight_by_user.T.tocsr()
        p = rng.normal(0, self.init_std, (self.n_users_, f))
        q = rng.normal(0, self.init_std, (self.n_items_, f))
        b_u, b_i = np.zeros(self.n_users_), np.zeros(self.n_items_)
        self.history_ = []
        for _ in range(self.epochs):
            p, b_u = self._half_step(by_user, weight_by_user, q, b_i)
            q, b_i = self._half_step(by_item, weight_by_item, p, b_u)
            pred = (p[users] * q[items]).sum(axis=1) + b_u[users] + b_i[items]
            self.history_.append(float(np.sqrt(np.average((residual - pred) ** 2, weights=w))))
        self.user_factors_, self.item_factors_ = p, q
        self.user_bias_, self.item_bias_ = b_u, b_i

    def _half_step(self, ratings: sp.csr_matrix, weights: sp.csr_matrix, other: np.ndarray, other_bias: np.ndarray):
        """Solve every row's (weighted) ridge regression given the other side's factors and biases.
        ``weights`` has the sparsity pattern of ``ratings`` (all ones unless ``weight_column``)."""
        n, f = ratings.shape[0], other.shape[1]
        z = np.hstack([other, np.ones((other.shape[0], 1))]) if self.biases else other   # (m, f+1) or (m, f)
        f1 = z.shape[1]
        gram = (weights @ np.einsum("ma,mb->mab", z, z).reshape(len(z), -1)).reshape(n, f1, f1)
        target = sp.csr_matrix((weights.data * (ratings.data - other_bias[ratings.indices]), ratings.indices,
                                ratings.indptr), shape=ratings.shape)
        rhs = target @ z                                                  # (n, f1)
        penalty = np.diag([self.reg] * f + ([self.reg if self.reg_bias is None else self.reg_bias] if self.biases else []))
        penalty = _row_scale(ratings, self.reg_scaling)[:, None, None] * penalty
        solution = np.linalg.solve(gram + penalty, rhs[..., None])[..., 0]
        return solution[:, :f], (solution[:, f] if self.biases else np.zeros(n))

    def _score(self, users):
        return (self.global_mean_ + self.user_bias_[users, None] + self.item_bias_[None, :]
                + self.user_factors_[users] @ self.item_factors_.T)

    def _estimate(self, users, items):
        """The model's estimate before clipping to the rating range."""
        return (self.global_mean_ + self.user_bias_[users] + self.item_bias_[items]
                + (self.user_factors_[users] * self.item_factors_[items]).sum(axis=1))

    def _predict(self, users, items):
        return np.clip(self._estimate(users, items), *self.rating_range_)


REG_SCALINGS = ("none", "count")


def _row_scale(rows: sp.csr_matrix, scaling: str) -> np.ndarray:
    """Each row's penalty multiplier: 1, or (``"count"``) its number of entries, at least 1."""
    if scaling == "none":
        return np.ones(rows.shape[0])
    return np.maximum(np.diff(rows.indptr), 1).astype(float)


def _weights(ratings, column: str | None) -> np.ndarray:
    """Each rating's weight: ones, or the named column of the ratings (finite, > 0)."""
    if column is None:
        return np.ones(len(ratings))
    if not isinstance(column, str) or column not in ratings.columns:
        raise ValueError(f"weight_column must name a column of the training ratings, got {column!r} "
                         f"(the columns are {list(ratings.columns)}).")
    w = pd.to_numeric(ratings[column], errors="coerce").to_numpy(dtype=float)
    if not (np.isfinite(w) & (w > 0)).all():
        raise ValueError(f"the weight column {column!r} must hold finite numbers > 0 for every rating.")
    return w


def _missing_weights(items, column: str | None) -> np.ndarray:
    """Each item's weight on the cells without interaction: ones, or a column of the item table."""
    if column is None:
        return np.ones(len(items))
    if not isinstance(column, str) or column not in items.columns:
        raise ValueError(f"missing_weight_column must name a column of the item table, got {column!r} "
                         f"(the columns are {list(items.columns)}).")
    m = pd.to_numeric(items[column], errors="coerce").to_numpy(dtype=float)
    if not (np.isfinite(m) & (m >= 0)).all():
        raise ValueError(f"the item column {column!r} must hold finite numbers >= 0 for every item.")
    return m


class ImplicitMF(Recommender):
    """Matrix factorisation for implicit feedback (Hu, Koren & Volinsky 2008), by ALS.

    Every (user, item) cell is a preference p_ui = 1 if u interacted with i, else 0, trusted with
    confidence c_ui = 1 + α · r_ui (α · 1 for ``confidence="binary"``) where there was an
    interaction and 1 elsewhere:

        min Σ_{u,i} c_ui (p_ui − x_uᵀ y_i)² + λ (Σ_u ‖x_u‖² + Σ_i ‖y_i‖²)

    The sum runs over *all* cells, unobserved ones included, yet each half-step costs only the
    observed ones: x_u = (YᵀY + Yᵀ(C_u − I)Y + λI)⁻¹ Yᵀ C_u p_u, and C_u − I is zero off the
    user's interactions. Scores x_uᵀ y_i rank items; there is no rating estimate.

    Start: user factors, then item factors, drawn from N(0, init_std²) by
    ``np.random.default_rng(seed)``; each epoch solves every user, then every item.

    ``missing_weight_column`` names a column of the item table holding a weight m_i >= 0 that
    replaces the 1 of every cell without interaction (and is added to α · r_ui where there is
    one): an item the user was unlikely to have been shown then counts less as a negative, as in
    He et al.'s (2016) item-weighted missing data. The half-steps stay exact:
    Σ_i m_i y_i y_iᵀ = Yᵀ diag(m) Y for users, and m_i Σ_u x_u x_uᵀ for item i.

    ``solver="cg"`` replaces each exact solve by ``cg_steps`` steps of the conjugate gradient
    method started from the current factors (Takács, Pilászy & Tikk 2011): the system's matrix is
    never formed, only its products with a vector, A p = w_row · (Σ_j w_j o_j o_jᵀ) p
    + Σ_{j ∈ R(row)} extra_rj (o_jᵀ p) o_j + λ p, each costing O(f²) plus O(f) per interaction;
    all rows take their steps together, in single precision. With ``cg_steps`` = f (and exact
    arithmetic) it is the exact solve; a few steps are enough because the start is last epoch's
    answer.

    ``reg_scaling="count"`` multiplies each row's λ by its number of interactions, as Apache
    Spark's ALS does for implicit feedback too (chapter 10).
    """

    def __init__(self, *, embedding_size: int = 32, reg: float = 50.0, alpha: float = 5.0,
                 confidence: str = "binary", epochs: int = 15, seed: int = 0, init_std: float = 0.1,
                 missing_weight_column: str | None = None, solver: str = "exact", cg_steps: int = 3,
                 reg_scaling: str = "none"):
        self.embedding_size = embedding_size
        self.reg = reg
        self.alpha = alpha
        self.confidence = confidence
        self.epochs = epochs
        self.seed = seed
        self.init_std = init_std
        self.missing_weight_column = missing_weight_column
        self.solver = solver
        self.cg_steps = cg_steps
        self.reg_scaling = reg_scaling

    def _fit(self, train: Dataset) -> None:
        one_of(self.confidence, "confidence", ("rating", "binary"))
        cg = one_of(self.solver, "solver", ("exact", "cg")) == "cg"
        steps = whole_number(self.cg_steps, "cg_steps")
        scaling = one_of(self.reg_scaling, "reg_scaling", REG_SCALINGS)
        real_number(self.reg, "reg", above=0)
        real_number(self.alpha, "alpha", above=0)
        real_number(self.init_std, "init_std", above=0)
        f = whole_number(self.embedding_size, "embedding_size")
        whole_number(self.epochs, "epochs")
        rng = np.random.default_rng(whole_number(self.seed, "seed", minimum=0))
        strength = train.to_csr(binary=self.confidence == "binary")
        extra = sp.csr_matrix((self.alpha * strength.data, strength.indices, strength.indptr), shape=strength.shape)
        m = _missing_weights(train.items, self.missing_weight_column)
        ones = np.ones(self.n_users_)
        x = rng.normal(0, self.init_std, (self.n_users_, f))
        y = rng.normal(0, self.init_std, (self.n_items_, f))
        by_item = extra.T.tocsr()
        if cg:                                      # CG runs in single precision: cast once, not per half-step
            single = np.float32
            extra, by_item, x, y = extra.astype(single), by_item.astype(single), x.astype(single), y.astype(single)
            m, ones = m.astype(single), ones.astype(single)
        for _ in range(self.epochs):
            if cg:
                x = self._cg_half_step(extra, y, x, row_weight=ones, other_weight=m, steps=steps, scaling=scaling)
                y = self._cg_half_step(by_item, x, y, row_weight=m, other_weight=ones, steps=steps, scaling=scaling)
            else:
                x = self._half_step(extra, y, row_weight=ones, other_weight=m, scaling=scaling)
                y = self._half_step(by_item, x, row_weight=m, other_weight=ones, scaling=scaling)
        self.user_factors_, self.item_factors_ = x.astype(np.float64), y.astype(np.float64)

    def _half_step(self, extra: sp.csr_matrix, other: np.ndarray, *, row_weight: np.ndarray,
                   other_weight: np.ndarray, reg: float | None = None, prior: np.ndarray | None = None,
                   scaling: str = "none") -> np.ndarray:
        """Solve every row given the other side. A cell without interaction weighs
        row_weight[row] · other_weight[column] (one of the two is all ones); a cell with one
        weighs that plus ``extra`` (α · strength). The penalty is reg ‖row − prior_row‖²
        (``reg`` defaults to ``self.reg``, ``prior`` to zero), times the row's number of
        interactions if ``scaling="count"``."""
        reg = (self.reg if reg is None else reg) * _row_scale(extra, scaling)
        n, f = extra.shape[0], other.shape[1]
        outer = np.einsum("ma,mb->mab", other, other).reshape(len(other), -1)
        missing = (other.T * other_weight) @ other                       # Σ_j w_j o_j o_jᵀ
        gram = (row_weight[:, None, None] * missing[None] + (extra @ outer).reshape(n, f, f)
                + reg[:, None, None] * np.eye(f))
        pattern = sp.csr_matrix((np.ones_like(extra.data), extra.indices, extra.indptr), shape=extra.shape)
        # Σ_{j ∈ R(row)} c_rj o_j, with c_rj = (missing weight of the cell) + extra_rj; p = 1 there, 0 elsewhere
        rhs = row_weight[:, None] * (pattern @ (other * other_weight[:, None])) + extra @ other
        if prior is not None:
            rhs = rhs + reg[:, None] * prior
        return np.linalg.solve(gram, rhs[..., None])[..., 0]

    def _cg_half_step(self, extra: sp.csr_matrix, other: np.ndarray, start: np.ndarray, *, row_weight: np.ndarray,
                      other_weight: np.ndarray, steps: int, scaling: str = "none") -> np.ndarray:
        """``steps`` conjugate-gradient steps for every row's system of `_half_step`, from ``start``.

        The steps run in single precision (as the implicit library's solver does): half the
        memory traffic of the gathers that dominate their cost. The result is float32; inputs
        already in float32 are used as they are (`_fit` casts once)."""
        single = np.float32
        other, start = other.astype(single, copy=False), start.astype(single, copy=False)
        extra = extra.astype(single, copy=False)
        other_weight, row_weight = other_weight.astype(single, copy=False), row_weight.astype(single, copy=False)
        missing = (other.T * other_weight) @ other                       # Σ_j w_j o_j o_jᵀ
        rows = np.repeat(np.arange(extra.shape[0]), np.diff(extra.indptr))
        partners = other[extra.indices]                                  # o_j of every interaction, fixed here
        reg = (self.reg * _row_scale(extra, scaling)[:, None]).astype(single)
        spread = extra.copy()                                            # its values are replaced at each product

        def times_a(p):                                                  # A p for every row at once
            spread.data = np.einsum("nf,nf->n", p[rows], partners) * extra.data
            return row_weight[:, None] * (p @ missing) + spread @ other + reg * p

        pattern = sp.csr_matrix((np.ones_like(extra.data), extra.indices, extra.indptr), shape=extra.shape)
        b = row_weight[:, None] * (pattern @ (other * other_weight[:, None])) + extra @ other
        x = start.copy()
        r = b - times_a(x)                                               # the residual
        p, rs = r.copy(), np.einsum("nf,nf->n", r, r)
        for _ in range(steps):
            ap = times_a(p)
            curvature = np.einsum("nf,nf->n", p, ap)
            step = np.divide(rs, curvature, out=np.zeros_like(rs), where=curvature > 0)
            x += step[:, None] * p
            r -= step[:, None] * ap
            rs_new = np.einsum("nf,nf->n", r, r)
            p = r + np.divide(rs_new, rs, out=np.zeros_like(rs), where=rs > 0)[:, None] * p
            rs = rs_new
        return x

    def _score(self, users):
        return self.user_factors_[users] @ self.item_factors_.T
