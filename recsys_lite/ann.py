"""Serving by nearest-neighbour search (chapter 10): item vectors in a FAISS index, exact or
approximate, searched by inner product.

A factor model scores item i for user u by a dot product, s_ui = x_uᵀ y_i (+ b_i). Serving the
top k is then maximum inner product search (MIPS) over the catalogue. `mips_vectors` folds an
item bias into the vectors (x_u ⊕ 1, y_i ⊕ b_i), so a plain inner-product index returns the
model's own top k. `ItemIndex` wraps three FAISS indexes:

* ``"exact"``: ``IndexFlatIP``, every item scored (the reference);
* ``"ivf"``: ``IndexIVFFlat`` (Jégou, Douze & Schmid 2011), k-means cells over the items, a query
  scores only the items of its ``probes`` nearest cells;
* ``"hnsw"``: ``IndexHNSWFlat`` (Malkov & Yashunin 2018), a layered graph walked greedily,
  ``links`` neighbours per node, ``breadth`` candidates kept while searching.
"""
from __future__ import annotations

import contextlib
import time

import numpy as np

from ._checks import one_of, whole_number

try:
    import faiss
except ImportError as error:
    raise ImportError(f"chapter 10 needs faiss-cpu ({error}); `make env` installs the pinned version.") from error

KINDS = ("exact", "ivf", "hnsw")


def _matrix(values, name: str, columns: int | None = None) -> np.ndarray:
    """A finite 2-D float32 array, C-ordered (as FAISS wants it)."""
    arr = np.asarray(values)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array (rows x dimensions), got shape {arr.shape}.")
    if not np.issubdtype(arr.dtype, np.number) or arr.dtype == bool:
        raise ValueError(f"{name} must hold numbers, got dtype {arr.dtype}.")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} holds NaN or inf; every coordinate must be finite.")
    if columns is not None and arr.shape[1] != columns:
        raise ValueError(f"{name} must have {columns} columns (the index's dimension), got {arr.shape[1]}.")
    return np.ascontiguousarray(arr, dtype=np.float32)


def mips_vectors(user_vectors, item_vectors, item_bias=None) -> tuple[np.ndarray, np.ndarray]:
    """Query and item vectors whose inner products are the model's scores x_uᵀ y_i + b_i:
    (x_u ⊕ 1, y_i ⊕ b_i), or the vectors unchanged when there is no item bias."""
    users = _matrix(user_vectors, "user_vectors")
    items = _matrix(item_vectors, "item_vectors", users.shape[1])
    if item_bias is None:
        return users, items
    bias = np.asarray(item_bias, dtype=float)
    if bias.shape != (len(items),) or not np.isfinite(bias).all():
        raise ValueError(f"item_bias must be {len(items)} finite numbers (one per item), got shape {bias.shape}.")
    return (np.hstack([users, np.ones((len(users), 1), np.float32)]),
            np.hstack([items, bias[:, None].astype(np.float32)]))


class ItemIndex:
    """Item vectors in a FAISS inner-product index; `search` returns each query's top k.

    ``lists`` (IVF cells; default about 4 √n, at most n / 39), ``probes`` (cells searched per query), ``links``
    (HNSW neighbours per node), ``breadth`` (HNSW's efSearch) and ``build_breadth`` (its
    efConstruction). ``seed`` fixes IVF's k-means. ``threads`` limits FAISS's threads (None: all).
    """

    def __init__(self, kind: str = "exact", *, lists: int | None = None, probes: int = 8, links: int = 32,
                 breadth: int = 64, build_breadth: int = 80, seed: int = 0, threads: int | None = None):
        self.kind = one_of(kind, "kind", KINDS)
        self.lists = None if lists is None else whole_number(lists, "lists")
        self.probes = whole_number(probes, "probes")
        self.links = whole_number(links, "links", minimum=2)
        self.breadth = whole_number(breadth, "breadth")
        self.build_breadth = whole_number(build_breadth, "build_breadth")
        self.seed = whole_number(seed, "seed", minimum=0)
        self.threads = None if threads is None else whole_number(threads, "threads")

    def __repr__(self) -> str:
        return f"ItemIndex(kind={self.kind!r})"

    def build(self, item_vectors) -> "ItemIndex":
        """Index the rows of ``item_vectors`` (item i = row i); returns ``self``."""
        items = _matrix(item_vectors, "item_vectors")
        n, d = items.shape
        with self._threads():
            self._build(items, n, d)
        return self

    @contextlib.contextmanager
    def _threads(self):
        """FAISS's thread count is process-wide: set ours for one call, then put the old one back."""
        if self.threads is None:
            yield
            return
        before = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(self.threads)
        try:
            yield
        finally:
            faiss.omp_set_num_threads(before)

    def _build(self, items: np.ndarray, n: int, d: int) -> None:
        start = time.perf_counter()
        if self.kind == "exact":
            index = faiss.IndexFlatIP(d)
        elif self.kind == "ivf":
            # FAISS's k-means wants about 39 items per cell: 4 sqrt(n) cells, fewer on a small catalogue
            lists = self.lists or max(1, min(int(round(4 * np.sqrt(n))), n // 39))
            if lists > n:
                raise ValueError(f"lists={lists} is more than the {n} items; an IVF cell needs items to hold.")
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, lists, faiss.METRIC_INNER_PRODUCT)
            index.cp.seed = self.seed
            index.train(items)
            index.nprobe = min(self.probes, lists)
        else:
            index = faiss.IndexHNSWFlat(d, self.links, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = self.build_breadth
            index.hnsw.efSearch = self.breadth
        index.add(items)
        self.build_seconds_ = time.perf_counter() - start
        self.index_, self.n_items_, self.dimension_ = index, n, d

    def search(self, queries, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The top ``k`` items of each query row by inner product: (ids, scores), best first."""
        if not hasattr(self, "index_"):
            raise RuntimeError("this ItemIndex is empty; call .build(item_vectors) first.")
        k = whole_number(k, "k")
        if k > self.n_items_:
            raise ValueError(f"k={k} is larger than the catalogue ({self.n_items_} items).")
        queries = _matrix(queries, "queries", self.dimension_)
        with self._threads():
            scores, ids = self.index_.search(queries, k)
        return ids.astype(np.int64), scores


def overlap_at_k(found, exact) -> float:
    """Recall of approximate top-k lists against the exact ones: the mean over queries of
    |found ∩ exact| / k, where k is the exact lists' length (the order inside a list does not
    count; a -1 for "nothing found" never matches)."""
    found, exact = np.asarray(found), np.asarray(exact)
    if found.ndim != 2 or exact.ndim != 2 or found.shape[0] != exact.shape[0] or not exact.size:
        raise ValueError(f"found and exact must be 2-D arrays with one row per query, got shapes {found.shape} and {exact.shape}.")
    if found.shape[1] < exact.shape[1]:
        raise ValueError(f"found lists ({found.shape[1]}) are shorter than the exact ones ({exact.shape[1]}).")
    found = found[:, :exact.shape[1]]
    hits = (found[:, :, None] == exact[:, None, :]) & (exact[:, None, :] >= 0)
    return float(hits.any(axis=2).sum(axis=1).mean() / exact.shape[1])


def synthetic_catalogue(item_vectors, n: int, *, seed: int = 0) -> np.ndarray:
    """``n`` vectors drawn from a Gaussian with the mean and covariance of ``item_vectors`` (a
    stand-in for a larger catalogue of the same model)."""
    items = _matrix(item_vectors, "item_vectors").astype(float)
    n = whole_number(n, "n")
    if len(items) < 2:
        raise ValueError("item_vectors needs at least two rows to estimate a covariance.")
    rng = np.random.default_rng(whole_number(seed, "seed", minimum=0))
    drawn = rng.multivariate_normal(items.mean(axis=0), np.cov(items, rowvar=False), size=n)
    return drawn.astype(np.float32)
