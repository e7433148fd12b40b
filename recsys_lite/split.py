"""Train/test splits and negative sampling, each seeded, none looping over ratings in Python.

Every split returns a `Split`: two `Dataset` objects over the same users and items (so an id
means the same thing in both) plus a report of what ``keep_known=True`` dropped. Train and
test are different objects, so nobody trains on the test set by accident.

* `random_split`     a random fraction of all ratings (the rating-prediction protocol)
* `per_user_split`   a random fraction of each user's ratings (every user is in both parts)
* `leave_last_out`   each user's latest n ratings (the sequential protocol)
* `temporal_split`   everything after a global point in time (no future leaks into training)
* `kfold`            k disjoint random test folds
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import _checks as checks
from .data.dataset import Dataset
from ._checks import whole_number


@dataclass(frozen=True, eq=False)
class Split:
    """A train and a test `Dataset` over the same users and items."""

    train: Dataset
    test: Dataset
    method: str
    dropped: dict = field(default_factory=lambda: {"ratings": 0, "users": 0, "items": 0})

    def __repr__(self) -> str:
        drop = ""
        if self.dropped["ratings"]:
            d = self.dropped
            drop = (f"; dropped {d['ratings']:,} test ratings of {d['users']:,} users and "
                    f"{d['items']:,} items unseen in training")
        return f"Split({self.method}: train {self.train.n_ratings:,}, test {self.test.n_ratings:,} ratings{drop})"


def _check_fraction(test_size: float) -> float:
    return checks.fraction(test_size, "test_size")


def _check_seed(seed) -> int:
    return whole_number(seed, "seed", minimum=0)


def _check_data(data) -> Dataset:
    if not isinstance(data, Dataset):
        raise TypeError(f"expected a recsys_lite Dataset, got {type(data).__name__}.")
    if data.n_ratings == 0:
        raise ValueError("the dataset has no ratings to split.")
    return data


def _make(data: Dataset, is_test: np.ndarray, method: str, keep_known: bool) -> Split:
    checks.flag(keep_known, "keep_known")
    r = data.ratings
    train, test = r[~is_test], r[is_test]
    dropped = {"ratings": 0, "users": 0, "items": 0}
    if keep_known:
        known_users = np.bincount(train["user"], minlength=data.n_users) > 0
        known_items = np.bincount(train["item"], minlength=data.n_items) > 0
        ok = known_users[test["user"].to_numpy()] & known_items[test["item"].to_numpy()]
        gone = test[~ok]
        dropped = {"ratings": int(len(gone)),
                   "users": int(np.unique(gone["user"][~known_users[gone["user"].to_numpy()]]).size),
                   "items": int(np.unique(gone["item"][~known_items[gone["item"].to_numpy()]]).size)}
        test = test[ok]
    return Split(data.with_ratings(train, f"{data.name} train"),
                 data.with_ratings(test, f"{data.name} test"), method, dropped)


def _rank_within_user(users: np.ndarray, key: np.ndarray):
    """Position of each rating within its user's ratings sorted by key; and the user's count."""
    order = np.lexsort((key, users))
    counts = np.bincount(users)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.empty(len(users), dtype=np.int64)
    rank[order] = np.arange(len(users)) - starts[users[order]]
    return rank, counts[users]


def random_split(data: Dataset, *, test_size: float = 0.2, seed: int = 0,
                 keep_known: bool = False) -> Split:
    """Put a random ``test_size`` fraction of all ratings (exactly, rounded) in the test set."""
    data, test_size = _check_data(data), _check_fraction(test_size)
    rng = np.random.default_rng(_check_seed(seed))
    n_test = int(round(test_size * data.n_ratings))
    is_test = np.zeros(data.n_ratings, dtype=bool)
    is_test[rng.permutation(data.n_ratings)[:n_test]] = True
    return _make(data, is_test, f"random {test_size:.0%} (seed {seed})", keep_known)


def per_user_split(data: Dataset, *, test_size: float = 0.2, seed: int = 0,
                   keep_known: bool = False, users=None) -> Split:
    """Hold out a random ``test_size`` fraction of each user's ratings (rounded).

    A user always keeps at least one training rating, so a user with one rating has none in test.
    With ``users`` (ids), only those users' ratings are held out and everyone else keeps all of
    theirs: a validation split that leaves collaborative filtering as strong for the others as
    the real training set does.
    """
    data, test_size = _check_data(data), _check_fraction(test_size)
    rng = np.random.default_rng(_check_seed(seed))
    who = data.ratings["user"].to_numpy()
    rank, count = _rank_within_user(who, rng.random(len(who)))
    n_test = np.minimum(np.rint(test_size * count), count - 1)
    is_test = rank < n_test
    method = f"per-user {test_size:.0%} (seed {seed})"
    if users is not None:
        users = np.unique(checks.ids(users, data.n_users, "users", allow_empty=False))
        is_test &= np.isin(who, users)
        method += f" of {len(users)} users"
    return _make(data, is_test, method, keep_known)


def leave_last_out(data: Dataset, *, n: int = 1, seed: int = 0, keep_known: bool = False) -> Split:
    """Each user's ``n`` most recent ratings go to test (ties in time broken by ``seed``).

    A user with ``n`` or fewer ratings stays wholly in training.
    """
    data = _check_data(data)
    n = whole_number(n, "n")
    rng = np.random.default_rng(_check_seed(seed))
    users = data.ratings["user"].to_numpy()
    time = data.ratings["timestamp"].to_numpy()
    # rank by time, latest first; a random second key breaks ties reproducibly
    order_key = np.lexsort((rng.random(len(users)), -time))
    key = np.empty(len(users), dtype=np.int64)
    key[order_key] = np.arange(len(users))
    rank, count = _rank_within_user(users, key)
    return _make(data, (rank < n) & (count > n), f"leave-last-{n}-out", keep_known)


def temporal_split(data: Dataset, *, test_size: float = 0.2, seed: int = 0,
                   keep_known: bool = False) -> Split:
    """The latest ``test_size`` fraction of all ratings go to test: train strictly precedes test
    in time, except for ratings sharing the cut's timestamp (ties broken by ``seed``)."""
    data, test_size = _check_data(data), _check_fraction(test_size)
    rng = np.random.default_rng(_check_seed(seed))
    time = data.ratings["timestamp"].to_numpy()
    order = np.lexsort((rng.random(len(time)), time))
    n_test = int(round(test_size * data.n_ratings))
    is_test = np.zeros(data.n_ratings, dtype=bool)
    is_test[order[len(order) - n_test:]] = True
    return _make(data, is_test, f"temporal, last {test_size:.0%}", keep_known)


def kfold(data: Dataset, *, n_folds: int = 5, seed: int = 0, keep_known: bool = False) -> list[Split]:
    """``n_folds`` splits whose test sets are disjoint and together hold every rating once."""
    data = _check_data(data)
    if isinstance(n_folds, bool) or not isinstance(n_folds, (int, np.integer)) or not 2 <= n_folds <= data.n_ratings:
        raise ValueError(f"n_folds must be a whole number from 2 to the number of ratings, got {n_folds!r}.")
    fold = np.empty(data.n_ratings, dtype=np.int64)
    fold[np.random.default_rng(_check_seed(seed)).permutation(data.n_ratings)] = np.arange(data.n_ratings) % n_folds
    return [_make(data, fold == f, f"fold {f + 1} of {n_folds} (seed {seed})", keep_known)
            for f in range(n_folds)]


def _first_by_time(ratings: pd.DataFrame, column: str, chosen: np.ndarray, n: int) -> np.ndarray:
    """True for every rating except those of the ``chosen`` users or items (``column``) after
    their first ``n`` by time (ties in time broken by item id, then user id)."""
    who = ratings[column].to_numpy()
    order = np.lexsort((ratings["user"].to_numpy(), ratings["item"].to_numpy(), ratings["timestamp"].to_numpy()))
    key = np.empty(len(ratings), dtype=np.int64)
    key[order] = np.arange(len(ratings))
    rank, _ = _rank_within_user(who, key)
    return ~np.isin(who, chosen) | (rank < n)


def truncate_history(split: Split, users, n: int) -> Split:
    """The split with each of ``users``' training ratings cut to their first ``n`` by time (ties
    in time broken by item id): the same users seen as newcomers with n ratings. Their test
    ratings, and every other user's ratings, are unchanged; n = 0 removes their history."""
    if not isinstance(split, Split):
        raise TypeError(f"split must be a recsys_lite Split, got {type(split).__name__}.")
    n = whole_number(n, "n", minimum=0)
    users = np.unique(checks.ids(users, split.train.n_users, "users"))
    r = split.train.ratings
    train = split.train.with_ratings(r[_first_by_time(r, "user", users, n)], split.train.name)
    return Split(train, split.test, f"{split.method}; {len(users)} users cut to their first {n} training ratings",
                 split.dropped)


def cold_items(split: Split, items, n: int = 0) -> Split:
    """The split with the training ratings of ``items`` after each one's first ``n`` (by time;
    all of them for n = 0) moved to the test set: films nobody, or only n people, has rated yet
    as far as a model trained on ``split.train`` can tell (item cold start). Other ratings are
    unchanged; evaluate with ``candidates=items`` to rank only these films."""
    if not isinstance(split, Split):
        raise TypeError(f"split must be a recsys_lite Split, got {type(split).__name__}.")
    n = whole_number(n, "n", minimum=0)
    items = np.unique(checks.ids(items, split.train.n_items, "items", allow_empty=False))
    if len(items) == split.train.n_items and n == 0:
        raise ValueError("items names every item of the catalogue; at least one must stay warm to train on.")
    r = split.train.ratings
    moved = ~_first_by_time(r, "item", items, n)
    if moved.all():
        raise ValueError("moving these items' ratings would leave no training rating.")
    train = split.train.with_ratings(r[~moved], split.train.name)
    test = split.test.with_ratings(pd.concat([split.test.ratings, r[moved]], ignore_index=True), split.test.name)
    what = "made cold (all their ratings in test)" if n == 0 else f"cut to their first {n} training ratings (the rest in test)"
    return Split(train, test, f"{split.method}; {len(items)} items {what}", split.dropped)


def is_seen(seen: sp.csr_matrix, users, items) -> np.ndarray:
    """Elementwise: does ``seen`` hold a nonzero at (users[j], items[j])? ``users`` and ``items``
    are id arrays of the same shape (any shape); the answer has that shape. Vectorised lookup."""
    seen = _interactions(seen)
    n_users, n_items = seen.shape
    users, items = np.asarray(users), np.asarray(items)
    if users.shape != items.shape:
        raise ValueError(f"users and items must have the same shape, got {users.shape} and {items.shape}.")
    shape = users.shape
    users, items = checks.ids(users.ravel(), n_users, "users"), checks.ids(items.ravel(), n_items, "items")
    rows = np.repeat(np.arange(n_users, dtype=np.int64), np.diff(seen.indptr))
    keys = np.sort(rows * n_items + seen.indices)
    query = (users * n_items + items).reshape(shape)
    pos = np.minimum(np.searchsorted(keys, query), max(len(keys) - 1, 0))
    return (keys[pos] == query) if len(keys) else np.zeros(query.shape, dtype=bool)


def _interactions(seen) -> sp.csr_matrix:
    """A `Dataset` or a users x items sparse matrix of interactions, as a binary CSR matrix."""
    if isinstance(seen, Dataset):
        return seen.to_csr(binary=True)
    if not sp.issparse(seen) or seen.ndim != 2:
        raise TypeError(f"seen must be a Dataset or a users x items scipy.sparse matrix, got {type(seen).__name__}.")
    seen = sp.csr_matrix(seen)
    seen.sum_duplicates()
    seen.eliminate_zeros()
    return seen


def sample_negatives(seen, users, *, n: int = 99, seed: int = 0) -> np.ndarray:
    """For each user, ``n`` distinct items that user has not interacted with.

    ``seen`` is a `Dataset` or a users x items sparse matrix of interactions to avoid
    (pass train + test when sampling for evaluation). Returns an int array (len(users), n).
    Sampling is uniform over each user's unseen items, by rejection, vectorised.
    """
    seen = _interactions(seen)
    n_users, n_items = seen.shape
    users = checks.ids(users, n_users, "users")
    n = whole_number(n, "n")
    free = n_items - np.diff(seen.indptr)[users]
    if len(users) and free.min() < n:
        raise ValueError(f"user {users[free.argmin()]} has only {free.min()} unseen items; "
                         f"cannot sample n={n} distinct negatives.")
    rng = np.random.default_rng(_check_seed(seed))
    out = rng.integers(0, n_items, (len(users), n))
    row_users = np.repeat(users, n).reshape(len(users), n)
    for _ in range(100):
        order = np.argsort(out, axis=1, kind="stable")
        ranked = np.take_along_axis(out, order, axis=1)
        dup_sorted = np.zeros_like(ranked, dtype=bool)
        dup_sorted[:, 1:] = ranked[:, 1:] == ranked[:, :-1]
        dup = np.zeros_like(dup_sorted)
        np.put_along_axis(dup, order, dup_sorted, axis=1)
        bad = dup | is_seen(seen, row_users, out)
        if not bad.any():
            return out
        out[bad] = rng.integers(0, n_items, int(bad.sum()))
    # Nearly every unseen item is asked for: finish the stubborn rows exactly.
    for row in np.nonzero(bad.any(axis=1))[0]:
        candidates = np.setdiff1d(np.arange(n_items), seen.indices[seen.indptr[users[row]]:seen.indptr[users[row] + 1]])
        out[row] = rng.choice(candidates, n, replace=False)
    return out
