"""Similarity measures: a hand-worked 4 x 5 matrix, brute-force loops (scipy's pearsonr for
Pearson), edge cases (no co-ratings, constant vectors), symmetry, range and options."""
import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.stats import pearsonr

from recsys_lite import similarity as S

# 4 users x 5 items (0 = not rated)
#          i0 i1 i2 i3 i4
HAND = np.array([[5, 3, 0, 1, 4],    # u0
                 [4, 0, 0, 1, 5],    # u1
                 [1, 1, 0, 5, 0],    # u2
                 [0, 0, 4, 0, 0]],   # u3: shares nothing with anyone
                dtype=float)
X = sp.csr_matrix(HAND)


def test_by_hand_u0_u1():
    # co-rated: i0, i3, i4 -> u0: (5, 1, 4), u1: (4, 1, 5)
    x, y = np.array([5, 1, 4.0]), np.array([4, 1, 5.0])
    assert S.cosine(X)[0, 1] == pytest.approx((20 + 1 + 20) / math.sqrt(42 * 42))
    xc, yc = x - x.mean(), y - y.mean()     # means 10/3 and 10/3
    assert S.pearson(X)[0, 1] == pytest.approx((xc @ yc) / math.sqrt((xc @ xc) * (yc @ yc)))
    assert S.msd(X, rating_range=(1, 5))[0, 1] == pytest.approx(1 - ((1 + 0 + 1) / 3) / 16)
    assert S.euclidean(X)[0, 1] == pytest.approx(1 / (1 + math.sqrt(2)))
    assert S.jaccard(X)[0, 1] == pytest.approx(3 / 4)       # |{0,3,4}| / |{0,1,3,4}|


def test_pip_and_pss_by_hand_u0_u2():
    # co-rated: i0 (5, 1), i1 (3, 1), i3 (1, 5); item means over raters: i0 10/3, i1 2, i3 7/3
    mu = {0: 10 / 3, 1: 2.0, 3: 7 / 3}
    pairs = {0: (5, 1), 1: (3, 1), 3: (1, 5)}
    pip = 0.0
    pss = 0.0
    sig = lambda z: 1 / (1 + math.exp(-z))
    for k, (a, b) in pairs.items():
        agree = not ((a > 3 and b < 3) or (a < 3 and b > 3))
        d = abs(a - b) if agree else 2 * abs(a - b)
        impact = (abs(a - 3) + 1) * (abs(b - 3) + 1)
        same = (a > mu[k] and b > mu[k]) or (a < mu[k] and b < mu[k])
        pip += (9 - d) ** 2 * (impact if agree else 1 / impact) * (1 + ((a + b) / 2 - mu[k]) ** 2 if same else 1)
        pss += (1 - sig(abs(a - b))) * sig(abs(a - 3) * abs(b - 3)) * (1 - sig(abs((a + b) / 2 - mu[k])))
    assert S.pip(X, rating_range=(1, 5))[0, 2] == pytest.approx(pip)
    assert S.pss(X, rating_range=(1, 5))[0, 2] == pytest.approx(pss)
    # NHSM = PSS * |I_uv| / (|I_u| |I_v|) * URP
    m0, m2 = HAND[0][HAND[0] > 0], HAND[2][HAND[2] > 0]
    urp = 1 - sig(abs(m0.mean() - m2.mean()) * abs(m0.std() - m2.std()))
    assert S.nhsm(X, rating_range=(1, 5))[0, 2] == pytest.approx(pss * 3 / (4 * 3) * urp)


@pytest.mark.parametrize("measure", S.MEASURES)
def test_no_corated_items_gives_zero_and_nothing_is_nan(measure):
    sim = S.similarity(X, measure)
    assert not np.isnan(sim).any()
    assert (sim[3, :3] == 0).all() and (sim[:3, 3] == 0).all()
    np.testing.assert_allclose(sim, sim.T, atol=1e-12)


@pytest.mark.parametrize("measure", ["pearson", "cosine", "adjusted_cosine", "msd", "euclidean", "jaccard"])
def test_bounded_measures_stay_in_range(measure):
    r = np.random.default_rng(0)
    m = sp.csr_matrix(r.integers(1, 6, (30, 40)) * (r.random((30, 40)) < 0.3))
    sim = S.similarity(m, measure)
    lo = -1 if measure in ("pearson", "adjusted_cosine") else 0
    assert sim.min() >= lo - 1e-12 and sim.max() <= 1 + 1e-12


def test_constant_ratings_have_no_correlation():
    m = sp.csr_matrix(np.array([[3, 3, 3, 0], [1, 4, 5, 0], [3, 3, 3, 3.0]]))
    sim = S.pearson(m)
    assert sim[0, 1] == 0 and sim[0, 2] == 0 and not np.isnan(sim).any()


def test_against_brute_force_and_scipy():
    r = np.random.default_rng(1)
    dense = r.integers(1, 6, (15, 25)).astype(float) * (r.random((15, 25)) < 0.45)
    m = sp.csr_matrix(dense)
    sim_p, sim_c, sim_a = S.pearson(m), S.cosine(m), S.adjusted_cosine(m)
    col_mean = np.array([dense[dense[:, k] > 0, k].mean() if (dense[:, k] > 0).any() else 0 for k in range(25)])
    for u, v in itertools.combinations(range(15), 2):
        co = (dense[u] > 0) & (dense[v] > 0)
        x, y = dense[u, co], dense[v, co]
        expected = pearsonr(x, y)[0] if co.sum() >= 2 and x.std() > 0 and y.std() > 0 else 0.0
        assert sim_p[u, v] == pytest.approx(expected, abs=1e-10)
        assert sim_c[u, v] == pytest.approx(x @ y / math.sqrt((x @ x) * (y @ y)) if co.any() else 0.0)
        xa, ya = x - col_mean[co], y - col_mean[co]
        den = math.sqrt((xa @ xa) * (ya @ ya))
        assert sim_a[u, v] == pytest.approx(xa @ ya / den if den > 0 else 0.0, abs=1e-10)


def test_min_support_and_shrinkage():
    base = S.cosine(X)
    assert S.cosine(X, min_support=4)[0, 1] == 0          # only 3 co-rated
    assert S.cosine(X, min_support=3)[0, 1] == base[0, 1]
    assert S.cosine(X, shrinkage=3)[0, 1] == pytest.approx(base[0, 1] * 3 / 6)


def test_user_and_item_similarity_on_a_dataset(world):
    data, _ = world
    assert S.user_similarity(data, "jaccard").shape == (data.n_users, data.n_users)
    items = S.item_similarity(data, "cosine")
    np.testing.assert_allclose(items, S.cosine(data.to_csr().T.tocsr()))


def test_bad_inputs():
    with pytest.raises(ValueError, match="unknown similarity measure"):
        S.similarity(X, "manhattan")
    with pytest.raises(TypeError, match="scipy.sparse"):
        S.cosine(HAND)
    with pytest.raises(ValueError, match="NaN"):
        S.cosine(sp.csr_matrix(np.array([[np.nan, 1.0]])))
    with pytest.raises(ValueError, match="min_support"):
        S.cosine(X, min_support=0)
    with pytest.raises(ValueError, match="rating_range"):
        S.msd(X, rating_range=(5, 1))
    with pytest.raises(ValueError, match="discrete scale"):
        S.pip(sp.csr_matrix(np.random.default_rng(0).random((3, 60)) + 1))
