"""Profile injection ("shilling") attacks and one way to detect them.

An attacker who wants a target item recommended more often registers fake users whose profiles
rate it highly. To look like real users, and to land near them, each fake profile also rates
*filler* items. The three classic attack models (Lam & Riedl 2004; Mobasher et al. 2007) differ
in how the fillers are rated:

* ``random``:    fillers rated from N(μ, σ²), the mean and spread of all ratings (little knowledge);
* ``average``:   each filler rated from N(μ_i, σ_i²), that item's own mean and spread (more knowledge);
* ``bandwagon``: a few of the most-rated items get the top rating too (so that many real users share
  them), and the fillers are rated as in the random attack.

Every rating is rounded to a whole star and clipped to the scale; the target gets the scale's top.

Detection (Chirita, Nejdl & Zamfir 2005) looks for profiles that disagree with everybody in a
peculiar way: `rdma` (rating deviation from mean agreement) and `degree_of_similarity` (how
similar a profile is to its nearest neighbours) score every user; `flag_outliers` flags the
users whose score stands far above the rest.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import _checks as checks
from .data.dataset import Dataset
from .similarity import similarity

KINDS = ("random", "average", "bandwagon")


@dataclass(frozen=True, eq=False)
class Attack:
    """A poisoned dataset: ``data`` holds the genuine ratings plus ``fake_users``' profiles."""

    data: Dataset
    fake_users: np.ndarray   # contiguous ids of the injected users (the last rows of data.users)
    target: int
    kind: str


def _dataset(data) -> Dataset:
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be a recsys_lite Dataset, got {type(data).__name__}.")
    if data.n_ratings == 0:
        raise ValueError("data has no ratings; an attack needs ratings to imitate.")
    return data


def inject_profiles(data: Dataset, target: int, *, kind: str = "average", n_profiles: int = 10,
                    filler_size: int = 50, n_popular: int = 10, seed: int = 0) -> Attack:
    """Add ``n_profiles`` fake users pushing item ``target`` (a contiguous item id).

    Each fake profile rates the target with the top of the rating scale and ``filler_size``
    other items drawn uniformly at random, rated as ``kind`` says (see the module's doc);
    a ``bandwagon`` profile also gives the top rating to the ``n_popular`` most-rated items. The
    fake users are appended after the genuine ones, so every genuine id keeps its meaning.
    """
    data = _dataset(data)
    target = int(checks.ids([target], data.n_items, "target")[0])
    checks.one_of(kind, "kind", KINDS)
    n_profiles = checks.whole_number(n_profiles, "n_profiles")
    filler_size = checks.whole_number(filler_size, "filler_size", minimum=0)
    n_popular = checks.whole_number(n_popular, "n_popular", minimum=0)
    rng = np.random.default_rng(checks.whole_number(seed, "seed", minimum=0))
    r = data.ratings
    items, stars = r["item"].to_numpy(), r["rating"].to_numpy()
    low, high = float(stars.min()), float(stars.max())

    selected = np.array([], dtype=np.int64)
    if kind == "bandwagon" and n_popular:
        counts = np.bincount(items, minlength=data.n_items)
        counts[target] = -1                                    # the target is not a bandwagon item
        selected = np.argsort(-counts, kind="stable")[:n_popular]
    candidates = np.setdiff1d(np.arange(data.n_items), np.append(selected, target))
    if filler_size > len(candidates):
        raise ValueError(f"filler_size={filler_size} is more than the {len(candidates)} items a profile can fill.")
    # each profile's fillers: the first filler_size of an independent random order of the candidates
    fillers = candidates[np.argsort(rng.random((n_profiles, len(candidates))), axis=1)[:, :filler_size]]

    if kind == "average":
        count = np.bincount(items, minlength=data.n_items)
        mean = np.bincount(items, weights=stars, minlength=data.n_items) / np.maximum(count, 1)
        square = np.bincount(items, weights=stars ** 2, minlength=data.n_items) / np.maximum(count, 1)
        std = np.sqrt(np.maximum(square - mean ** 2, 0.0))
        mean = np.where(count > 0, mean, stars.mean())        # an unrated item looks average
        std = np.where(count > 1, std, stars.std())
        filler_stars = rng.normal(mean[fillers], std[fillers])
    else:
        filler_stars = rng.normal(stars.mean(), stars.std(), fillers.shape)
    filler_stars = np.clip(np.rint(filler_stars), low, high)

    per_profile = 1 + len(selected) + filler_size
    profile_items = np.hstack([np.full((n_profiles, 1), target), np.tile(selected, (n_profiles, 1)), fillers])
    profile_stars = np.hstack([np.full((n_profiles, 1 + len(selected)), high), filler_stars])
    fake_users = np.arange(data.n_users, data.n_users + n_profiles)
    fake = pd.DataFrame({"user": np.repeat(fake_users, per_profile), "item": profile_items.ravel(),
                         "rating": profile_stars.ravel(),
                         "timestamp": np.full(n_profiles * per_profile, int(r["timestamp"].max()) + 1)})
    next_id = int(pd.to_numeric(data.users["user_id"]).max()) + 1
    users = pd.concat([data.users, pd.DataFrame({"user_id": np.arange(next_id, next_id + n_profiles)})],
                      ignore_index=True)
    poisoned = Dataset(pd.concat([r, fake], ignore_index=True), users, data.items,
                       name=f"{data.name} + {n_profiles} {kind} profiles")
    return Attack(poisoned, fake_users, target, kind)


def hit_ratio(model, users, item: int, k: int = 10) -> float:
    """The fraction of ``users`` whose top-``k`` list (seen items excluded) contains ``item``."""
    model._check_fitted()
    users = checks.ids(users, model.n_users_, "users", allow_empty=False)
    item = int(checks.ids([item], model.n_items_, "item")[0])
    return float((model.recommend(users, k=k).items == item).any(axis=1).mean())


def prediction_shift(before, after, users, item: int) -> float:
    """Mean change of the predicted rating of ``item`` for ``users`` from model ``before`` (fitted
    on clean data) to model ``after`` (fitted on poisoned data); both must estimate ratings."""
    before._check_fitted()
    users = checks.ids(users, before.n_users_, "users", allow_empty=False)
    items = np.full(len(users), item)
    return float(np.mean(after.predict(users, items) - before.predict(users, items)))


def rdma(data: Dataset) -> np.ndarray:
    """Rating deviation from mean agreement of every user (Chirita et al. 2005):

        RDMA_u = (1 / N_u) Σ_{i ∈ R(u)} |r_ui − r̄_i| / NR_i

    with r̄_i the item's mean rating, NR_i its number of ratings and N_u the user's. Deviating on
    rarely rated items weighs most. Users with no ratings score 0."""
    data = _dataset(data)
    r = data.ratings
    u, i, y = r["user"].to_numpy(), r["item"].to_numpy(), r["rating"].to_numpy(dtype=float)
    n_item = np.bincount(i, minlength=data.n_items)
    mean_item = np.bincount(i, weights=y, minlength=data.n_items) / np.maximum(n_item, 1)
    n_user = np.bincount(u, minlength=data.n_users)
    total = np.bincount(u, weights=np.abs(y - mean_item[i]) / n_item[i], minlength=data.n_users)
    return total / np.maximum(n_user, 1)


def degree_of_similarity(data: Dataset, k: int = 25) -> np.ndarray:
    """Mean Pearson similarity of every user to their ``k`` most similar users (Chirita et al.
    2005). Fake profiles built from one recipe resemble each other more than real users do."""
    data = _dataset(data)
    k = checks.whole_number(k, "k")
    if k >= data.n_users:
        raise ValueError(f"k={k} must be smaller than the number of users ({data.n_users}).")
    sim = similarity(data.to_csr(), "pearson")
    np.fill_diagonal(sim, -np.inf)
    return np.sort(sim, axis=1)[:, -k:].mean(axis=1)


def flag_outliers(score, *, z: float = 3.0) -> np.ndarray:
    """Indices of the scores more than ``z`` robust standard deviations above the median (the
    spread is 1.4826 × the median absolute deviation, which a minority of fakes cannot inflate)."""
    score = np.asarray(score, dtype=float)
    if score.ndim != 1 or not score.size or not np.isfinite(score).all():
        raise ValueError("score must be a non-empty 1-D array of finite numbers (one per user).")
    z = checks.real_number(z, "z", above=0)
    median = np.median(score)
    spread = 1.4826 * np.median(np.abs(score - median))
    if spread == 0:
        return np.flatnonzero(score > median)
    return np.flatnonzero((score - median) / spread > z)
