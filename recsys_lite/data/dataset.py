"""The one dataset type every loader, simulator, split and model in the book shares.

A `Dataset` is a ratings table plus the user and item tables that give it meaning. Users and
items carry contiguous integer ids (0 .. n-1) so a users x items matrix can be indexed by
them directly; the original ids stay in the tables (`user_id`, `item_id`) and can be mapped
back and forth. A split produces several datasets that share the same user and item tables, so
an id means the same user in train and in test.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .. import _checks as checks

RATING_COLUMNS = ("user", "item", "rating", "timestamp")


@dataclass(frozen=True, eq=False)
class Dataset:
    """Ratings with their users and items.

    Attributes
    ----------
    ratings : DataFrame with columns ``user``, ``item`` (contiguous int ids), ``rating``
        (float) and ``timestamp`` (int seconds).
    users : DataFrame indexed 0 .. n_users-1; column ``user_id`` holds the original id.
    items : DataFrame indexed 0 .. n_items-1; column ``item_id`` holds the original id.
    name : a short label shown in reprs and reports.
    """

    ratings: pd.DataFrame
    users: pd.DataFrame
    items: pd.DataFrame
    name: str = "dataset"
    _csr_cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        for arg, table in (("ratings", self.ratings), ("users", self.users), ("items", self.items)):
            if not isinstance(table, pd.DataFrame):
                raise TypeError(f"{arg} must be a pandas DataFrame, got {type(table).__name__}.")
        missing = [c for c in RATING_COLUMNS if c not in self.ratings.columns]
        if missing:
            raise ValueError(f"ratings is missing the columns {missing}; expected {list(RATING_COLUMNS)}.")
        for arg, table, col in (("users", self.users, "user_id"), ("items", self.items, "item_id")):
            if col not in table.columns:
                raise ValueError(f"the {arg} table needs a column {col!r} with the original ids.")
            if not table.index.equals(pd.RangeIndex(len(table))):
                raise ValueError(f"the {arg} table must be indexed 0 .. n-1 (contiguous ids).")
            if table[col].isna().any() or table[col].duplicated().any():
                raise ValueError(f"{arg}[{col!r}] must hold each original id once, with no missing values.")
        r = self.ratings
        columns = {"user": _whole(r["user"], "ratings['user']"), "item": _whole(r["item"], "ratings['item']"),
                   "rating": _finite(r["rating"], "ratings['rating']"),
                   "timestamp": _whole(r["timestamp"], "ratings['timestamp']")}
        for col, n in (("user", self.n_users), ("item", self.n_items)):
            ids = columns[col]
            if len(ids) and (ids.min() < 0 or ids.max() >= n):
                raise ValueError(f"ratings[{col!r}] has ids outside 0 .. {n - 1} (the {col}s table has {n} rows).")
        pair = columns["user"] * max(self.n_items, 1) + columns["item"]
        unique, counts = np.unique(pair, return_counts=True)
        if (counts > 1).any():
            first = unique[counts > 1][0]
            raise ValueError(
                f"ratings has {int((counts - 1).sum())} duplicate (user, item) pairs, e.g. user "
                f"{first // max(self.n_items, 1)} and item {first % max(self.n_items, 1)}; a dataset keeps one "
                "rating per pair (a users x items matrix would add them up). Keep the latest, e.g. "
                "ratings.sort_values('timestamp').drop_duplicates(['user', 'item'], keep='last').")
        if any(r[c].dtype != columns[c].dtype for c in RATING_COLUMNS):
            fixed = r.copy()
            for c in RATING_COLUMNS:
                fixed[c] = columns[c]
            object.__setattr__(self, "ratings", fixed)

    # ---- sizes -------------------------------------------------------------------------
    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_ratings(self) -> int:
        return len(self.ratings)

    @property
    def density(self) -> float:
        """Fraction of the users x items matrix that holds a rating."""
        return self.n_ratings / (self.n_users * self.n_items)

    def __len__(self) -> int:
        return self.n_ratings

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}: {self.n_ratings:,} ratings, {self.n_users:,} users, "
                f"{self.n_items:,} items, density {self.density:.2%})")

    # ---- views -------------------------------------------------------------------------
    def to_csr(self, binary: bool = False) -> sp.csr_matrix:
        """The ratings as a users x items CSR matrix (1.0 for every rating if ``binary``).

        A row is one user's history, so seen-item filtering and batch scoring are cheap.
        Duplicate (user, item) pairs would be summed, so datasets keep one rating per pair.
        The matrix is cached; treat it as read-only.
        """
        key = "binary" if binary else "rating"
        if key not in self._csr_cache:
            r = self.ratings
            values = np.ones(len(r)) if binary else r["rating"].to_numpy(dtype=float)
            m = sp.csr_matrix((values, (r["user"].to_numpy(), r["item"].to_numpy())),
                              shape=(self.n_users, self.n_items))
            m.sum_duplicates()
            self._csr_cache[key] = m
        return self._csr_cache[key]

    def user_index(self, user_ids) -> np.ndarray:
        """Contiguous ids for original user ids; raises KeyError naming any unknown id."""
        return _lookup(self.users["user_id"], user_ids, "user")

    def item_index(self, item_ids) -> np.ndarray:
        """Contiguous ids for original item ids; raises KeyError naming any unknown id."""
        return _lookup(self.items["item_id"], item_ids, "item")

    def with_ratings(self, ratings: pd.DataFrame, name: str | None = None) -> "Dataset":
        """A dataset over the same users and items with other ratings (used by splits)."""
        return Dataset(ratings.reset_index(drop=True), self.users, self.items, name or self.name)

    def item_titles(self, items) -> list[str]:
        """Titles for contiguous item ids (the ``title`` column, else the original id)."""
        col = "title" if "title" in self.items.columns else "item_id"
        return [str(t) for t in self.items[col].to_numpy()[checks.ids(items, self.n_items, "items")]]


def _whole(column: pd.Series, name: str) -> np.ndarray:
    """A column of whole numbers as int64 (integer dtypes, or floats that are whole)."""
    values = column.to_numpy()
    if values.dtype == bool or not (np.issubdtype(values.dtype, np.integer) or np.issubdtype(values.dtype, np.floating)):
        raise ValueError(f"{name} must hold integers, got dtype {values.dtype}.")
    if np.issubdtype(values.dtype, np.floating):
        bad = ~np.isfinite(values) | (values != np.round(values))
        if bad.any():
            raise ValueError(f"{name} must hold whole numbers; {int(bad.sum())} are not, e.g. {values[bad][0]!r}.")
    return values.astype(np.int64)


def _finite(column: pd.Series, name: str) -> np.ndarray:
    """A column of finite numbers as float64 (NaN, inf, strings and booleans refused)."""
    values = column.to_numpy()
    if values.dtype == bool or not (np.issubdtype(values.dtype, np.integer) or np.issubdtype(values.dtype, np.floating)):
        raise ValueError(f"{name} must hold numbers, got dtype {values.dtype}.")
    values = values.astype(float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(f"{name} has {int(bad.sum())} NaN or infinite values; drop or fill them first.")
    return values


def _lookup(original: pd.Series, ids, kind: str) -> np.ndarray:
    ids = np.atleast_1d(np.asarray(ids))
    positions = pd.Index(original.to_numpy()).get_indexer(ids)
    unknown = ids[positions < 0]
    if len(unknown):
        shown = ", ".join(map(str, unknown[:5])) + (" ..." if len(unknown) > 5 else "")
        raise KeyError(f"unknown original {kind} id(s): {shown}; see the dataset's {kind}s table.")
    return positions
