"""Content-based recommenders: a user's own history and what is known about each item.

Every model here takes item profiles (`recsys_lite.data.features.ItemFeatures`, or any items x
features matrix) and needs no other user's ratings, so it can score a film nobody has rated yet.
A user's "likes" are their training ratings >= ``like_threshold``; L is the users x items 0/1
matrix of them and x_i item i's profile.

* `ContentKNN`: score(u, i) = Σ_{j liked by u} s_k(i, j), where s_k keeps each item's k most
  similar items under a content measure (cosine, Euclidean, Pearson, Jaccard) and is 0 elsewhere.
* `ContentProfile`: the user's profile is the rating-weighted average of the liked items'
  profiles, p_u = Σ_j r_uj x_j / Σ_j r_uj; score(u, i) = cos(p_u, x_i).
* `UserClassifier`: one linear classifier per user (Pazzani & Billsus 2007): it learns weights
  w_u over item features that separate the user's liked items (label 1) from the others (0),
  and scores every item by b_u + w_u·x_i. The loss is squared (a ridge, or least-squares,
  classifier) so that every user's problem has a closed form:

      min_{w_u, b_u} Σ_{i ∈ E_u} (y_ui − b_u − w_u·x_i)² + λ ‖w_u‖²

  With ``examples="all"`` E_u is the whole catalogue (unrated items are negatives) and all users
  share one design matrix, so all of them are solved at once in the item (dual) form:
  W Xᵀ = Y (K_c + λI)⁻¹ K_c with K_c the centred item kernel X Xᵀ. With ``examples="rated"`` E_u
  is the items u rated (liked against rated lower): one small solve per user.
* `FeatureCrossModel`: one model for everybody. Users are described by features too (a constant,
  gender, age band, occupation, and the genre shares of their liked films); the score is the
  bilinear form z_ui = f_uᵀ C x_i, whose weights C_ab are the user-feature x item-feature crosses
  (the constant row of C gives item-feature effects shared by all). It is fitted by ridge
  regression on every (user, item) pair, in closed form from the two feature matrices' singular
  vectors. Its size depends on the numbers of features, not of users: the scalable alternative.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..data.dataset import Dataset
from ..data.features import ItemFeatures
from ..data.movielens import GENRES
from ..similarity import PROFILE_MEASURES, profile_similarity
from .base import Recommender
from .._checks import one_of, real_number, whole_number

AGE_BANDS = (0, 18, 25, 35, 45, 50, 56)   # MovieLens-1M's age groups, applied to ML-100K's ages


def _profiles(features, n_items: int) -> sp.csr_matrix:
    """The items x features matrix of ``features`` (ItemFeatures, sparse or dense), checked."""
    if isinstance(features, ItemFeatures):
        m = features.matrix
    elif sp.issparse(features):
        m = sp.csr_matrix(features, dtype=float)
    else:
        arr = np.asarray(features)
        if arr.ndim != 2 or arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
            raise ValueError(f"features must be ItemFeatures or a 2-D numeric items x features matrix, got shape "
                             f"{arr.shape} and dtype {arr.dtype}.")
        m = sp.csr_matrix(arr.astype(float))
    if m.shape[0] != n_items:
        raise ValueError(f"features has {m.shape[0]} rows, but the training data has {n_items} items: build the "
                         "profiles for the same dataset (one row per item, in item-id order).")
    if m.shape[1] == 0:
        raise ValueError("features has no columns; give at least one feature.")
    if not np.isfinite(m.data).all():
        raise ValueError("features holds NaN or inf; every feature value must be finite.")
    return m


def _likes(train: Dataset, threshold: float, *, values: bool = False) -> sp.csr_matrix:
    """Users x items: 1 (or the rating, with ``values``) where the training rating >= threshold."""
    r = train.ratings[train.ratings["rating"] >= threshold]
    data = r["rating"].to_numpy(dtype=float) if values else np.ones(len(r))
    return sp.csr_matrix((data, (r["user"].to_numpy(), r["item"].to_numpy())), shape=(train.n_users, train.n_items))


def _check_threshold(value) -> float:
    return real_number(value, "like_threshold")


class ContentKNN(Recommender):
    """Score an item by its content similarity to the items the user liked (see the module)."""

    def __init__(self, *, features=None, measure: str = "cosine", k: int = 20, like_threshold: float = 4.0):
        self.features = features
        self.measure = measure
        self.k = k
        self.like_threshold = like_threshold

    def _fit(self, train: Dataset) -> None:
        one_of(self.measure, "measure", PROFILE_MEASURES)
        k = whole_number(self.k, "k")
        sim = profile_similarity(_profiles(self.features, train.n_items), self.measure)   # Jaccard reads the 0/1 pattern
        np.fill_diagonal(sim, 0.0)              # an item is not its own neighbour
        if k < train.n_items - 1:               # keep each item's k nearest (ties at the k-th kept too)
            kth = -np.partition(-sim, k - 1, axis=1)[:, k - 1:k]
            sim = np.where(sim >= kth, sim, 0.0)
        self.similarity_ = sim
        self.likes_ = _likes(train, _check_threshold(self.like_threshold))

    def _score(self, users: np.ndarray) -> np.ndarray:
        # score(u, i) = Σ_j L_uj s_k(i, j): row i of s_k lists i's neighbours
        return np.asarray(self.likes_[users] @ self.similarity_.T)


class ContentProfile(Recommender):
    """Cosine between an item and the rating-weighted mean profile of the user's liked items."""

    def __init__(self, *, features=None, like_threshold: float = 4.0):
        self.features = features
        self.like_threshold = like_threshold

    def _fit(self, train: Dataset) -> None:
        x = _profiles(self.features, train.n_items)
        weights = _likes(train, _check_threshold(self.like_threshold), values=True)
        total = np.asarray(weights.sum(axis=1)).ravel()
        profile = sp.diags(np.divide(1.0, total, out=np.zeros_like(total), where=total > 0)) @ weights @ x
        self.user_profiles_ = np.asarray(profile.todense())
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1))).ravel()
        self._unit_items = sp.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ x

    def _score(self, users: np.ndarray) -> np.ndarray:
        p = self.user_profiles_[users]
        norms = np.linalg.norm(p, axis=1, keepdims=True)
        p = np.divide(p, norms, out=np.zeros_like(p), where=norms > 0)
        return np.asarray((self._unit_items @ p.T).T)


class UserClassifier(Recommender):
    """One ridge (least-squares) classifier per user on item features (see the module)."""

    def __init__(self, *, features=None, reg: float = 30.0, like_threshold: float = 4.0, examples: str = "all"):
        self.features = features
        self.reg = reg
        self.like_threshold = like_threshold
        self.examples = examples

    def _fit(self, train: Dataset) -> None:
        reg = real_number(self.reg, "reg", above=0)
        one_of(self.examples, "examples", ("all", "rated"))
        x = _profiles(self.features, train.n_items)
        kernel = np.asarray((x @ x.T).todense())
        likes = _likes(train, _check_threshold(self.like_threshold))
        if self.examples == "all":
            n = train.n_items
            centred = kernel - kernel.mean(axis=0) - kernel.mean(axis=1)[:, None] + kernel.mean()
            # (K_c + λI)⁻¹ K_c, symmetric; user u's scores are ȳ_u + y_u of it (the dual of ridge)
            self.item_weights_ = np.linalg.solve(centred + reg * np.eye(n), centred)
            self.intercepts_ = np.asarray(likes.sum(axis=1)).ravel() / n
            self.likes_ = likes
            return
        # rated items only: each user gets their own centred kernel over the items they rated
        rated = train.to_csr(binary=True)
        scores = np.zeros((train.n_users, train.n_items))
        liked = likes.toarray()
        for u in range(train.n_users):           # one small solve per user (not per rating)
            items = rated.indices[rated.indptr[u]:rated.indptr[u + 1]]
            if not len(items):
                continue
            y = liked[u, items]
            k_rr = kernel[np.ix_(items, items)]
            col_mean = k_rr.mean(axis=0)
            k_c = k_rr - col_mean - k_rr.mean(axis=1)[:, None] + k_rr.mean()
            alpha = np.linalg.solve(k_c + reg * np.eye(len(items)), y - y.mean())
            scores[u] = y.mean() + (kernel[:, items] - col_mean) @ alpha
        self.scores_ = scores

    def _score(self, users: np.ndarray) -> np.ndarray:
        if self.examples == "all":
            return self.intercepts_[users, None] + np.asarray(self.likes_[users] @ self.item_weights_)
        return self.scores_[users]


def user_features(train: Dataset, like_threshold: float = 4.0) -> tuple[np.ndarray, list[str]]:
    """Users x features for `FeatureCrossModel`: a constant, gender, age band, occupation (one-hot)
    and the share of each genre among the user's liked training films; and their names."""
    if not isinstance(train, Dataset):
        raise TypeError(f"train must be a recsys_lite Dataset, got {type(train).__name__}.")
    users = train.users
    missing = {"age", "gender", "occupation"} - set(users.columns)
    if missing:
        raise ValueError(f"train.users needs the columns age, gender and occupation; missing {sorted(missing)}.")
    if "genres" not in train.items:
        raise ValueError("train.items needs a 'genres' column for the users' genre shares.")
    n = train.n_users
    band = np.searchsorted(AGE_BANDS, users["age"].to_numpy(), side="right") - 1
    gender = pd.Categorical(users["gender"])
    occupation = pd.Categorical(users["occupation"])
    parts = [np.ones((n, 1)), np.eye(len(gender.categories))[gender.codes],
             np.eye(len(AGE_BANDS))[band], np.eye(len(occupation.categories))[occupation.codes]]
    names = (["constant"] + [f"gender={g}" for g in gender.categories] + [f"age>={a}" for a in AGE_BANDS]
             + [f"occupation={o}" for o in occupation.categories])
    genre_of = sp.csr_matrix(np.array([[g in gs for g in GENRES] for gs in train.items["genres"]], dtype=float))
    counts = np.asarray((_likes(train, like_threshold) @ genre_of).todense())
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    return np.hstack(parts + [shares]), names + [f"likes {g}" for g in GENRES]


class FeatureCrossModel(Recommender):
    """One bilinear model over user-feature x item-feature crosses for everybody (see the module)."""

    def __init__(self, *, features=None, reg: float = 1.0, like_threshold: float = 4.0):
        self.features = features
        self.reg = reg
        self.like_threshold = like_threshold

    def _fit(self, train: Dataset) -> None:
        reg = real_number(self.reg, "reg", above=0)
        threshold = _check_threshold(self.like_threshold)
        x = _profiles(self.features, train.n_items)
        f, self.user_feature_names_ = user_features(train, threshold)
        y = _likes(train, threshold)
        # thin SVDs F = A diag(s) Bᵀ and X = P diag(t) Qᵀ turn ridge on Z = F C Xᵀ into one
        # division per pair of singular directions: M = (s tᵀ ∘ Aᵀ Y P) / (s² t²ᵀ + λ)
        a, s, _ = np.linalg.svd(f, full_matrices=False)
        keep = s > 1e-10 * s[0]
        a, s = a[:, keep], s[keep]
        t2, p = np.linalg.eigh(np.asarray((x @ x.T).todense()))
        keep = t2 > 1e-10 * t2[-1]
        p, t = p[:, keep], np.sqrt(t2[keep])
        projected = np.asarray((y.T @ a).T) @ p                       # Aᵀ Y P
        m = np.outer(s, t) * projected / (np.outer(s ** 2, t ** 2) + reg)
        self._user_side = a * s                                       # scores: (A s) M (P t)ᵀ
        self._item_side = (p * t) @ m.T
        self.user_features_ = f

    def _score(self, users: np.ndarray) -> np.ndarray:
        return self._user_side[users] @ self._item_side.T
