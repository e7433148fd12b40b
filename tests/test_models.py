"""The model contract and the two baselines."""
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import lsqr

from recsys_lite.data import Dataset
from recsys_lite.models import BiasBaseline, NotFittedError, Popularity, top_k
from recsys_lite.split import random_split

MODELS = [Popularity, BiasBaseline]


def tiny():
    """3 users x 4 items:      i0  i1  i2  i3
                        u0     5   3   .   .
                        u1     4   .   .   1
                        u2     .   2   .   .            (i2 unrated)"""
    r = pd.DataFrame({"user": [0, 0, 1, 1, 2], "item": [0, 1, 0, 3, 1],
                      "rating": [5.0, 3.0, 4.0, 1.0, 2.0], "timestamp": [1, 2, 3, 4, 5]})
    return Dataset(r, pd.DataFrame({"user_id": [1, 2, 3]}), pd.DataFrame({"item_id": [1, 2, 3, 4]}))


@pytest.mark.parametrize("Model", MODELS)
def test_not_fitted(Model):
    m = Model()
    for call in (lambda: m.predict([0], [0]), lambda: m.recommend([0]), lambda: m.score([0])):
        with pytest.raises(NotFittedError, match="not fitted yet; call .fit"):
            call()


@pytest.mark.parametrize("Model", MODELS)
def test_fit_returns_self_and_learned_attributes_end_in_underscore(Model):
    m = Model()
    assert m.fit(tiny()) is m
    assert m.n_items_ == 4 and m.seen_.shape == (3, 4)
    assert not [k for k in vars(Model()) if k.endswith("_")]  # nothing learned before fit


@pytest.mark.parametrize("Model", MODELS)
def test_unknown_and_malformed_ids(Model):
    m = Model().fit(tiny())
    with pytest.raises(ValueError, match="unknown user id.*0 .. 2"):
        m.recommend([3])
    with pytest.raises(ValueError, match="unknown item id"):
        m.predict([0], [-1])
    with pytest.raises(ValueError, match="same length"):
        m.predict([0, 1], [0])
    with pytest.raises(ValueError, match="integer ids"):
        m.recommend(["a"])
    with pytest.raises(ValueError, match="1-D"):
        m.recommend([[0, 1]])


@pytest.mark.parametrize("Model", MODELS)
@pytest.mark.parametrize("k", [0, -1, 2.5, True, "3"])
def test_bad_k(Model, k):
    with pytest.raises(ValueError, match="k must be"):
        Model().fit(tiny()).recommend([0], k=k)


@pytest.mark.parametrize("Model", MODELS)
def test_k_larger_than_catalogue(Model):
    with pytest.raises(ValueError, match="larger than the catalogue"):
        Model().fit(tiny()).recommend([0], k=5)


@pytest.mark.parametrize("Model", MODELS)
def test_fit_rejects_bad_input(Model):
    with pytest.raises(TypeError, match="Dataset"):
        Model().fit(tiny().ratings)
    empty = tiny().with_ratings(tiny().ratings.iloc[:0])
    with pytest.raises(ValueError, match="no ratings"):
        Model().fit(empty)


@pytest.mark.parametrize("Model", MODELS)
def test_exclude_seen_never_returns_a_training_item(Model, ml100k):
    split = random_split(ml100k, seed=0)
    m = Model().fit(split.train)
    rec = m.recommend(k=50)
    assert rec.items.shape == (943, 50)
    seen = split.train.to_csr(binary=True)
    rows = np.repeat(np.arange(943), 50)
    assert seen[rows, rec.items.ravel()].sum() == 0
    assert (np.diff(rec.scores, axis=1) <= 0).all()  # best first
    # with exclude_seen=False seen items come back
    assert seen[rows, m.recommend(k=50, exclude_seen=False).items.ravel()].sum() > 0


def test_user_who_has_seen_almost_everything_gets_padding():
    m = Popularity().fit(tiny())
    rec = m.recommend([0], k=4)  # user 0 saw 2 of 4 items
    assert rec.items[0, 2:].tolist() == [-1, -1] and np.isneginf(rec.scores[0, 2:]).all()
    assert sorted(rec.items[0, :2]) == [2, 3]


def test_popularity_by_hand():
    m = Popularity().fit(tiny())
    assert m.counts_.tolist() == [2, 2, 0, 1]
    # ties (items 0 and 1, both 2 ratings) are broken by item id
    assert m.recommend([2], k=3).items[0].tolist() == [0, 3, 2]
    assert m.predict([2, 0], [0, 2]).tolist() == [4.5, 3.0]  # item mean; unrated item: global mean


def test_bias_baseline_one_sweep_by_hand():
    # mu = 3; b_i (reg 1): i0 (2+1)/3=1, i1 (0-1)/3=-1/3, i2 0, i3 -2/2=-1
    # b_u (reg 1): u0 ((5-3-1)+(3-3+1/3))/3 = 4/9; u1 ((4-3-1)+(1-3+1))/3 = -1/3; u2 (2-3+1/3)/2 = -1/3
    m = BiasBaseline(reg_user=1.0, reg_item=1.0, epochs=1).fit(tiny())
    assert m.global_mean_ == 3.0
    np.testing.assert_allclose(m.item_bias_, [1, -1 / 3, 0, -1])
    np.testing.assert_allclose(m.user_bias_, [4 / 9, -1 / 3, -1 / 3])
    np.testing.assert_allclose(m.predict([0], [0]), [3 + 4 / 9 + 1])
    assert m.predict([0], [0])[0] <= 5 and m.predict([1], [3])[0] >= 1  # clipped to the range


def test_bias_baseline_without_regularisation_leaves_unrated_items_at_zero():
    m = BiasBaseline(reg_item=0.0, reg_user=0.0).fit(tiny())  # item 2 has no rating
    assert m.item_bias_[2] == 0 and np.isfinite(m.item_bias_).all() and np.isfinite(m.user_bias_).all()
    assert np.isfinite(m.predict([0, 1, 2], [2, 2, 2])).all()


def test_bias_baseline_converges_to_the_regularised_least_squares_solution(world):
    """Checked against an independent solver: scipy's LSQR on the stacked ridge system."""
    data, _ = world
    m = BiasBaseline(reg_user=3.0, reg_item=5.0, epochs=200).fit(data)
    r = data.ratings
    n, nu, ni = len(r), data.n_users, data.n_items
    design = sp.hstack([sp.csr_matrix((np.ones(n), (np.arange(n), r["user"])), shape=(n, nu)),
                        sp.csr_matrix((np.ones(n), (np.arange(n), r["item"])), shape=(n, ni))])
    ridge = sp.diags(np.r_[np.full(nu, np.sqrt(3.0)), np.full(ni, np.sqrt(5.0))])
    a = sp.vstack([design, ridge]).tocsr()
    b = np.r_[r["rating"] - r["rating"].mean(), np.zeros(nu + ni)]
    x = lsqr(a, b, atol=1e-12, btol=1e-12, iter_lim=10_000)[0]
    np.testing.assert_allclose(m.user_bias_, x[:nu], atol=1e-6)
    np.testing.assert_allclose(m.item_bias_, x[nu:], atol=1e-6)


def test_bias_baseline_recovers_planted_biases():
    from recsys_lite.data import simulate_world
    data, truth = simulate_world(n_users=400, n_items=150, density=0.2, mnar=0.0, popularity_skew=0.0, seed=3)
    m = BiasBaseline().fit(data)
    assert np.corrcoef(m.item_bias_, truth.item_bias)[0, 1] > 0.85
    assert np.corrcoef(m.user_bias_, truth.user_bias)[0, 1] > 0.6


def test_bias_baseline_beats_the_mean_on_real_data(ml100k):
    from recsys_lite.metrics import rmse
    s = random_split(ml100k, seed=0)
    t = s.test.ratings
    pred = BiasBaseline().fit(s.train).predict(t["user"], t["item"])
    mean_rmse = rmse(t["rating"], np.full(len(t), s.train.ratings["rating"].mean()))
    assert rmse(t["rating"], pred) < mean_rmse - 0.15


def test_bad_hyper_parameters():
    with pytest.raises(ValueError, match="epochs"):
        BiasBaseline(epochs=0).fit(tiny())
    with pytest.raises(ValueError, match="reg_user must be a finite number >= 0"):
        BiasBaseline(reg_user=-1).fit(tiny())
    with pytest.raises(TypeError):
        BiasBaseline(regs=1)  # a typo is an error, not silently ignored


def test_repr_and_params():
    m = BiasBaseline(reg_user=2.0)
    assert m.get_params() == {"reg_user": 2.0, "reg_item": 10.0, "epochs": 10}
    assert repr(m) == "BiasBaseline(reg_user=2.0, reg_item=10.0, epochs=10)"


def test_top_k_matches_a_full_sort():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 5, (200, 30)).astype(float)  # many ties
    scores[rng.random(scores.shape) < 0.2] = -np.inf
    items, vals = top_k(scores, 7)
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :7]
    expected_vals = np.take_along_axis(scores, expected, axis=1)
    expected[np.isneginf(expected_vals)] = -1
    assert (items == expected).all()
    np.testing.assert_array_equal(vals, expected_vals)
