"""A small simulated world whose ground truth is known.

Real logs only show what users chose to rate. A simulated world shows everything: every user's
true preference for every item, how popular each item is, and how likely each rating was to be
observed. Tests use it to check that a model recovers what was planted; the bias chapter uses
it to measure selection and popularity bias against the truth.

The generative story, for user u and item i:

    preference      s_ui = mu + b_u + b_i + p_u . q_i          (clipped to [1, 5])
    rating          r_ui = clip(round(s_ui + noise * e_ui), 1, 5),  e_ui ~ N(0, 1)
    observation     P(observed) = min(1, c * w_i * exp(mnar * (r_ui - 3)))

w_i is a Zipf-like popularity weight (rank^-popularity_skew, ranks shuffled), ``mnar > 0``
makes well-liked ratings likelier to be observed (missing not at random), and c is set (by bisection)
so the expected density is exactly ``density``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._checks import real_number, whole_number
from .dataset import Dataset


@dataclass(frozen=True, eq=False)
class WorldTruth:
    """What the simulated world knows and a real log never shows."""

    global_mean: float
    user_bias: np.ndarray        # (n_users,)
    item_bias: np.ndarray        # (n_items,)
    user_factors: np.ndarray     # (n_users, n_factors)
    item_factors: np.ndarray     # (n_items, n_factors)
    preference: np.ndarray       # (n_users, n_items) noise-free s_ui on the 1-5 scale
    ratings: np.ndarray          # (n_users, n_items) the rating each user would give each item
    item_popularity: np.ndarray  # (n_items,) popularity weights w_i, mean 1
    propensity: np.ndarray       # (n_users, n_items) probability that r_ui is observed


def simulate_world(*, n_users: int = 300, n_items: int = 200, n_factors: int = 4,
                   density: float = 0.05, popularity_skew: float = 1.0, mnar: float = 0.5,
                   noise: float = 0.5, seed: int = 0) -> tuple[Dataset, WorldTruth]:
    """Draw a world and the ratings observed in it; same seed, same world.

    Returns the observed ratings as a `Dataset` (items carry a made-up title, year and one
    genre, the latent factor they load on most) and the `WorldTruth` behind them.
    """
    for name, value in (("n_users", n_users), ("n_items", n_items), ("n_factors", n_factors)):
        whole_number(value, name)
    real_number(density, "density", above=0, maximum=1)
    real_number(popularity_skew, "popularity_skew", minimum=0)
    real_number(mnar, "mnar")
    real_number(noise, "noise", minimum=0)
    rng = np.random.default_rng(whole_number(seed, "seed", minimum=0))
    mu = 3.5
    b_u = rng.normal(0, 0.3, n_users)
    b_i = rng.normal(0, 0.5, n_items)
    p = rng.normal(0, 1 / np.sqrt(n_factors), (n_users, n_factors))
    q = rng.normal(0, 1 / np.sqrt(n_factors), (n_items, n_factors))
    preference = np.clip(mu + b_u[:, None] + b_i[None, :] + p @ q.T, 1, 5)
    ratings = np.clip(np.rint(preference + noise * rng.standard_normal(preference.shape)), 1, 5)

    popularity = rng.permutation(np.arange(1, n_items + 1) ** -float(popularity_skew))
    popularity = popularity / popularity.mean()
    weight = popularity[None, :] * np.exp(mnar * (ratings - 3))
    propensity = np.minimum(1.0, _calibrate(weight, density) * weight)
    observed = rng.random(propensity.shape) < propensity
    users, items = np.nonzero(observed)

    timestamps = 880_000_000 + rng.integers(0, 20_000_000, len(users))
    r = pd.DataFrame({"user": users, "item": items, "rating": ratings[users, items],
                      "timestamp": timestamps.astype(np.int64)})
    user_table = pd.DataFrame({"user_id": np.arange(1, n_users + 1)})
    item_table = pd.DataFrame({
        "item_id": np.arange(1, n_items + 1),
        "title": [f"Item {i + 1}" for i in range(n_items)],
        "year": rng.integers(1950, 2000, n_items),
        "genres": [(f"genre {g}",) for g in np.abs(q).argmax(axis=1)],
    })
    truth = WorldTruth(mu, b_u, b_i, p, q, preference, ratings, popularity, propensity)
    return Dataset(r, user_table, item_table, name=f"simulated world (seed {seed})"), truth


def _calibrate(weight: np.ndarray, density: float) -> float:
    """The c with mean(min(1, c * weight)) == density (monotone in c, so bisection)."""
    lo, hi = 0.0, 1.0 / weight[weight > 0].min()
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.minimum(1.0, mid * weight).mean() < density else (lo, mid)
    return hi
