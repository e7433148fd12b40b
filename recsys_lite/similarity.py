"""Similarity between the rows of a sparse ratings matrix, computed over co-rated entries.

Pass a users x items matrix to compare users, or its transpose to compare items (or use
`user_similarity` / `item_similarity` on a `Dataset`). A stored entry is a rating; a missing
entry is "not rated". For rows u and v, I_uv is the set of columns both rated and x, y their
ratings there. Every measure returns a dense (n x n) array, 0 for pairs with no co-rated
entry (never NaN), and is computed with a handful of sparse matrix products instead of loops:
sums over I_uv such as Σ x y or Σ x² are entries of X Xᵀ, X² Bᵀ, ... where B marks what is
rated. The measures:

* ``pearson``          Σ (x−x̄)(y−ȳ) / sqrt(Σ (x−x̄)² Σ (y−ȳ)²), means over I_uv (Pearson's r of the co-ratings)
* ``cosine``           Σ x y / sqrt(Σ x² Σ y²) over I_uv
* ``adjusted_cosine``  cosine after subtracting each column's mean (Sarwar et al. 2001)
* ``msd``              1 − (Σ (x−y)² / |I_uv|) / (r_max − r_min)²  (mean squared difference)
* ``euclidean``        1 / (1 + sqrt(Σ (x−y)²))
* ``jaccard``          |I_u ∩ I_v| / |I_u ∪ I_v| (ignores the rating values)
* ``pip``              Σ_{k∈I_uv} Proximity · Impact · Popularity (Ahn 2008)
* ``pss``              Σ_{k∈I_uv} Proximity · Significance · Singularity (Liu et al. 2014)
* ``nhsm``             PSS · |I_uv|/(|I_u| |I_v|) · URP (Liu et al. 2014)

Every measure accepts ``min_support`` (pairs with fewer co-rated entries get 0) and
``shrinkage`` λ (multiply by |I_uv| / (|I_uv| + λ), Koren 2010), which discount similarities
resting on few co-ratings.

Content profiles are different: every feature of every item is known, and a zero means "does
not have it", not "unknown". `profile_similarity` compares the rows of an items x features
matrix over *all* F columns, with the four measures of the content-based literature:

* ``cosine``     x·y / (‖x‖ ‖y‖)
* ``euclidean``  1 / (1 + ‖x − y‖)
* ``pearson``    Pearson's r of the two rows over all F features (each row centred on its own
  mean over the F features)
* ``jaccard``    |A ∩ B| / |A ∪ B|, A and B the features each row has (non-zero)

An empty row (no feature) has no direction, mean or set to compare, so it is refused.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .data.dataset import Dataset
from ._checks import one_of, real_number, whole_number

MEASURES = ("pearson", "cosine", "adjusted_cosine", "msd", "euclidean", "jaccard", "pip", "pss", "nhsm")


# ---- building blocks ----------------------------------------------------------------------------

class _Sums:
    """The co-rated sums every measure needs, for all pairs of rows at once."""

    def __init__(self, x: sp.csr_matrix):
        self.x = x
        self.b = x.copy()
        self.b.data[:] = 1.0
        self.n = _dense(self.b @ self.b.T)                  # |I_uv|
        self.counts = np.diff(x.indptr).astype(float)        # |I_u|

    def co(self, left: sp.csr_matrix, right: sp.csr_matrix | None = None) -> np.ndarray:
        """Σ_{k ∈ I_uv} left_uk right_vk, with right defaulting to the rated-marker B."""
        return _dense(left @ (self.b if right is None else right).T)


def _dense(m) -> np.ndarray:
    return m.toarray() if sp.issparse(m) else np.asarray(m)


def _with_data(x: sp.csr_matrix, data: np.ndarray) -> sp.csr_matrix:
    """x's sparsity pattern with other values (explicit zeros kept: they are still 'rated')."""
    return sp.csr_matrix((data, x.indices.copy(), x.indptr.copy()), shape=x.shape)


def _safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den > 0)


def _check(x) -> sp.csr_matrix:
    if not sp.issparse(x) or x.ndim != 2:
        raise TypeError("x must be a 2-D scipy.sparse ratings matrix (rows compared, stored entries = ratings), "
                        f"got {type(x).__name__}.")
    coo = sp.coo_matrix(x)
    if coo.nnz and np.unique(coo.row.astype(np.int64) * coo.shape[1] + coo.col).size != coo.nnz:
        raise ValueError("x holds duplicate (row, column) entries, which scipy would add up; give each rating once.")
    x = sp.csr_matrix(coo, dtype=float)
    if x.nnz and not np.isfinite(x.data).all():
        raise ValueError("x holds NaN or infinite values.")
    return x


def _rating_range(x: sp.csr_matrix, rating_range) -> tuple[float, float]:
    """(r_min, r_max): given, or the smallest and largest stored rating. Every stored rating
    must lie inside a given range (the measures' bounds assume it)."""
    if rating_range is not None:
        if not isinstance(rating_range, (tuple, list)) or len(rating_range) != 2:
            raise ValueError(f"rating_range must be (min, max), got {rating_range!r}.")
        lo, hi = (real_number(v, "rating_range") for v in rating_range)
        if x.nnz and (x.data.min() < lo or x.data.max() > hi):
            raise ValueError(f"x holds ratings from {x.data.min():g} to {x.data.max():g}, outside "
                             f"rating_range {(lo, hi)}.")
    else:
        lo, hi = (float(x.data.min()), float(x.data.max())) if x.nnz else (0.0, 1.0)
    if not hi > lo:
        raise ValueError(f"rating_range must be (min, max) with max > min, got {(lo, hi)}.")
    return lo, hi


def _column_means(x: sp.csr_matrix) -> np.ndarray:
    csc = x.tocsc()
    counts = np.diff(csc.indptr)
    return _safe_divide(np.asarray(csc.sum(axis=0)).ravel(), counts.astype(float))


def _row_means(x: sp.csr_matrix) -> np.ndarray:
    return _safe_divide(np.asarray(x.sum(axis=1)).ravel(), np.diff(x.indptr).astype(float))


# ---- the measures -----------------------------------------------------------------------------------

def pearson(x, **options) -> np.ndarray:
    """Pearson correlation of each pair's co-ratings (means taken over the co-rated entries).
    0 when fewer than 2 co-ratings or when either side's co-ratings are constant."""
    x = _check(x)
    s = _Sums(x)
    sx = s.co(x)                        # Σ_{I_uv} x   (row u's ratings where v also rated)
    sy = sx.T                           # Σ_{I_uv} y
    sxy = s.co(x, x)
    sxx = s.co(x.multiply(x).tocsr())
    syy = sxx.T
    n = s.n
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - _safe_divide(sx * sy, n)
        var = (sxx - _safe_divide(sx * sx, n)) * (syy - _safe_divide(sy * sy, n))
    var = np.where(var > 1e-12 * np.maximum(sxx * syy, 1), var, 0.0)  # constant co-ratings: no correlation
    sim = np.clip(_safe_divide(cov, np.sqrt(np.maximum(var, 0))), -1, 1)
    return _finish(np.where(n >= 2, sim, 0.0), s.n, **options)


def cosine(x, **options) -> np.ndarray:
    """Cosine of the co-rated parts of two rows: Σ x y / sqrt(Σ x² Σ y²), sums over I_uv."""
    return cosine_on_pattern(_check(x), **options)


def adjusted_cosine(x, **options) -> np.ndarray:
    """Cosine after subtracting each column's mean rating (for item-item similarity this removes
    each user's rating scale, as in Sarwar et al. 2001)."""
    x = _check(x)
    centred = _with_data(x, x.data - _column_means(x)[x.indices])
    return cosine_on_pattern(centred, **options)


def cosine_on_pattern(x: sp.csr_matrix, **options) -> np.ndarray:
    """Cosine over co-rated entries where stored zeros still count as rated (used after centring)."""
    x = _check(x)
    s = _Sums(x)
    sxx = s.co(x.multiply(x).tocsr())
    sim = _safe_divide(s.co(x, x), np.sqrt(sxx * sxx.T))
    return _finish(np.clip(sim, -1, 1), s.n, **options)


def msd(x, *, rating_range=None, **options) -> np.ndarray:
    """1 − MSD / (r_max − r_min)², MSD = Σ_{I_uv} (x − y)² / |I_uv|: 1 for identical co-ratings,
    0 for maximally different ones, and 0 when nothing is co-rated."""
    x = _check(x)
    lo, hi = _rating_range(x, rating_range)
    s = _Sums(x)
    sxx = s.co(x.multiply(x).tocsr())
    squared = np.maximum(sxx + sxx.T - 2 * s.co(x, x), 0)
    sim = np.where(s.n > 0, 1 - _safe_divide(squared, s.n) / (hi - lo) ** 2, 0.0)
    return _finish(sim, s.n, **options)


def euclidean(x, **options) -> np.ndarray:
    """1 / (1 + sqrt(Σ_{I_uv} (x − y)²)); 0 when nothing is co-rated."""
    x = _check(x)
    s = _Sums(x)
    sxx = s.co(x.multiply(x).tocsr())
    distance = np.sqrt(np.maximum(sxx + sxx.T - 2 * s.co(x, x), 0))
    return _finish(np.where(s.n > 0, 1 / (1 + distance), 0.0), s.n, **options)


def jaccard(x, **options) -> np.ndarray:
    """|I_u ∩ I_v| / |I_u ∪ I_v|: the overlap of what was rated, whatever the ratings."""
    x = _check(x)
    s = _Sums(x)
    union = s.counts[:, None] + s.counts[None, :] - s.n
    return _finish(_safe_divide(s.n, union), s.n, **options)


def _pairwise_sum(x: sp.csr_matrix, term) -> np.ndarray:
    """Σ_{k∈I_uv} term(x_uk, x_vk, k) for every pair of rows, where term(a, b) returns a scalar
    factor times a per-column weight vector. Ratings take few distinct values, so split X into
    one indicator matrix B_a per value a: the sum is Σ_{a,b} B_a diag(term(a, b)) B_bᵀ."""
    values = np.unique(x.data)
    if len(values) > 50:
        raise ValueError(f"PIP/PSS/NHSM need ratings on a discrete scale; found {len(values)} distinct values.")
    indicators = []
    for a in values:
        mask = x.data == a
        indicators.append(sp.csr_matrix((mask.astype(float), x.indices, x.indptr), shape=x.shape))
    total = np.zeros((x.shape[0], x.shape[0]))
    for i, a in enumerate(values):
        for j in range(i, len(values)):
            b = values[j]
            weighted = indicators[i] @ sp.diags(term(a, b))
            block = _dense(weighted @ indicators[j].T)
            total += block if i == j else block + block.T   # term(a, b) = term(b, a)
    return total


def pip(x, *, rating_range=None, **options) -> np.ndarray:
    """PIP (Ahn 2008), summed over co-rated entries k with r_med = (r_min + r_max)/2 and μ_k the
    mean rating of column k. Two ratings *agree* unless they lie on opposite sides of r_med.

        D          = |r1 − r2| if they agree, else 2 |r1 − r2|
        Proximity  = (2 (r_max − r_min) + 1 − D)²
        Impact     = (|r1 − r_med| + 1)(|r2 − r_med| + 1) if they agree, else its inverse
        Popularity = 1 + ((r1 + r2)/2 − μ_k)² if both are above μ_k or both below, else 1
    """
    x = _check(x)
    lo, hi = _rating_range(x, rating_range)
    mid = (lo + hi) / 2
    mu = _column_means(x)

    def term(a, b):
        agree = not ((a > mid and b < mid) or (a < mid and b > mid))
        d = abs(a - b) if agree else 2 * abs(a - b)
        proximity = (2 * (hi - lo) + 1 - d) ** 2
        impact = (abs(a - mid) + 1) * (abs(b - mid) + 1)
        impact = impact if agree else 1 / impact
        same_side = ((a > mu) & (b > mu)) | ((a < mu) & (b < mu))
        popularity = np.where(same_side, 1 + ((a + b) / 2 - mu) ** 2, 1.0)
        return proximity * impact * popularity

    return _finish(_pairwise_sum(x, term), _Sums(x).n, **options)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def pss(x, *, rating_range=None, **options) -> np.ndarray:
    """PSS (Liu et al. 2014), summed over co-rated entries k, r_med = (r_min + r_max)/2, μ_k the
    mean rating of column k:

        Proximity    = 1 − 1/(1 + exp(−|r1 − r2|))
        Significance = 1/(1 + exp(−|r1 − r_med| · |r2 − r_med|))
        Singularity  = 1 − 1/(1 + exp(−|(r1 + r2)/2 − μ_k|))
    """
    x = _check(x)
    return _finish(_pss_sum(x, rating_range), _Sums(x).n, **options)


def _pss_sum(x: sp.csr_matrix, rating_range) -> np.ndarray:
    """The PSS sum over co-rated entries, before min_support and shrinkage."""
    lo, hi = _rating_range(x, rating_range)
    mid = (lo + hi) / 2
    mu = _column_means(x)

    def term(a, b):
        proximity = 1 - _sigmoid(abs(a - b))
        significance = _sigmoid(abs(a - mid) * abs(b - mid))
        singularity = 1 - _sigmoid(np.abs((a + b) / 2 - mu))
        return proximity * significance * singularity

    return _pairwise_sum(x, term)


def nhsm(x, *, rating_range=None, **options) -> np.ndarray:
    """NHSM (Liu et al. 2014) = JPSS · URP with JPSS = PSS · |I_uv| / (|I_u| · |I_v|) and the user
    rating preference URP = 1 − 1/(1 + exp(−|μ_u − μ_v| · |σ_u − σ_v|)), where μ and σ are the
    mean and standard deviation of a row's ratings."""
    x = _check(x)
    s = _Sums(x)
    base = _pss_sum(x, rating_range)
    jaccard_modified = _safe_divide(s.n, s.counts[:, None] * s.counts[None, :])
    mean = _row_means(x)
    second = _safe_divide(np.asarray(x.multiply(x).sum(axis=1)).ravel(), s.counts)
    std = np.sqrt(np.maximum(second - mean ** 2, 0))
    urp = 1 - _sigmoid(np.abs(mean[:, None] - mean[None, :]) * np.abs(std[:, None] - std[None, :]))
    return _finish(base * jaccard_modified * urp, s.n, **options)


def _finish(sim: np.ndarray, n: np.ndarray, *, min_support: int = 1, shrinkage: float = 0.0) -> np.ndarray:
    whole_number(min_support, "min_support")
    real_number(shrinkage, "shrinkage", minimum=0)
    sim = np.where(n >= min_support, sim, 0.0)
    if shrinkage:
        sim = sim * (n / (n + shrinkage))
    return sim


_FUNCTIONS = {"pearson": pearson, "cosine": cosine, "adjusted_cosine": adjusted_cosine, "msd": msd,
              "euclidean": euclidean, "jaccard": jaccard, "pip": pip, "pss": pss, "nhsm": nhsm}


def similarity(x, measure: str = "pearson", **options) -> np.ndarray:
    """Similarity of every pair of rows of ``x`` by the named measure (see the module docstring)."""
    if measure not in _FUNCTIONS:
        raise ValueError(f"unknown similarity measure {measure!r}; choose one of {list(MEASURES)}.")
    allowed = {"min_support", "shrinkage"} | ({"rating_range"} if measure in ("msd", "pip", "pss", "nhsm") else set())
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(f"{measure} takes no option(s) {unknown}; it takes {sorted(allowed)}.")
    return _FUNCTIONS[measure](x, **options)


PROFILE_MEASURES = ("cosine", "euclidean", "pearson", "jaccard")


def profile_similarity(profiles, measure: str = "cosine") -> np.ndarray:
    """Similarity of every pair of rows of an items x features profile matrix (sparse or dense),
    over all features: a dense (n x n) array; see the module docstring for the measures."""
    one_of(measure, "measure", PROFILE_MEASURES)
    if sp.issparse(profiles):
        x = sp.csr_matrix(profiles, dtype=float)
    else:
        arr = np.asarray(profiles)
        if arr.ndim != 2 or arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
            raise ValueError(f"profiles must be a 2-D numeric items x features matrix, got shape {arr.shape} "
                             f"and dtype {arr.dtype}.")
        x = sp.csr_matrix(arr.astype(float))
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"profiles is empty (shape {x.shape}); it needs at least one item and one feature.")
    if not np.isfinite(x.data).all():
        raise ValueError("profiles holds NaN or inf; every feature value must be finite.")
    x.eliminate_zeros()
    empty = np.flatnonzero(np.diff(x.indptr) == 0)
    if len(empty):
        raise ValueError(f"profiles has {len(empty)} empty row(s) (no feature at all), e.g. row(s) "
                         f"{', '.join(map(str, empty[:5]))}: the {measure} similarity to an empty profile is "
                         "undefined. Add a block every item has (such as genres) or leave those items out.")
    gram = _dense(x @ x.T)
    sq = np.diag(gram).copy()
    if measure == "cosine":
        norms = np.sqrt(sq)
        return gram / np.outer(norms, norms)
    if measure == "euclidean":
        return 1.0 / (1.0 + np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * gram, 0.0)))
    if measure == "pearson":
        f = x.shape[1]
        total = np.asarray(x.sum(axis=1)).ravel()
        cov = gram - np.outer(total, total) / f                 # Σ (x − x̄)(y − ȳ)
        var = np.maximum(sq - total ** 2 / f, 0.0)              # Σ (x − x̄)²; 0 for a constant row
        return _safe_divide(cov, np.sqrt(np.outer(var, var)))   # a constant row correlates with nothing: 0
    b = x.copy()
    b.data[:] = 1.0
    both = _dense(b @ b.T)
    size = np.diff(b.indptr).astype(float)
    return both / (size[:, None] + size[None, :] - both)


def user_similarity(data: Dataset, measure: str = "pearson", **options) -> np.ndarray:
    """Users x users similarity from a dataset's ratings."""
    return similarity(_dataset(data).to_csr(), measure, **options)


def item_similarity(data: Dataset, measure: str = "pearson", **options) -> np.ndarray:
    """Items x items similarity from a dataset's ratings (rows of the transposed matrix)."""
    return similarity(_dataset(data).to_csr().T.tocsr(), measure, **options)


def _dataset(data) -> Dataset:
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be a recsys_lite Dataset, got {type(data).__name__}.")
    return data
