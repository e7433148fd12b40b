"""Chapter 1's library: attacks, bias estimators and re-rankers, fairness audits, the weighted
matrix factorisations and BPR/APR. Hand-computed cases, brute-force references and, for the
estimators, unbiasedness averaged over seeds on worlds whose propensities are known."""
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from recsys_lite import attacks as A, bias as B, fairness as F
from recsys_lite.data import Dataset, simulate_world
from recsys_lite.models import BiasedMF, ImplicitMF, top_k
from recsys_lite.models.bpr import BPRMF
from recsys_lite.widgets import position_bias_table

WORLD, TRUTH = simulate_world(n_users=120, n_items=60, density=0.2, seed=2)


def toy(ratings, n_users, n_items, **item_columns):
    r = pd.DataFrame(ratings, columns=["user", "item", "rating"]).assign(timestamp=0)
    return Dataset(r, pd.DataFrame({"user_id": range(n_users)}),
                   pd.DataFrame({"item_id": range(n_items), **item_columns}))


# ---- attacks ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", A.KINDS)
def test_inject_profiles_adds_exactly_the_profiles_asked_for(kind):
    attack = A.inject_profiles(WORLD, 5, kind=kind, n_profiles=7, filler_size=12, n_popular=4, seed=3)
    d = attack.data
    assert d.n_users == WORLD.n_users + 7 and d.n_items == WORLD.n_items
    assert list(attack.fake_users) == list(range(WORLD.n_users, WORLD.n_users + 7))
    assert d.ratings.iloc[:WORLD.n_ratings].equals(WORLD.ratings)          # genuine data untouched
    fake = d.ratings[d.ratings["user"].isin(attack.fake_users)]
    per_user = fake.groupby("user").size()
    assert (per_user == 1 + 12 + (4 if kind == "bandwagon" else 0)).all()
    assert (fake.loc[fake["item"] == 5, "rating"] == WORLD.ratings["rating"].max()).all()
    assert (fake["item"] == 5).sum() == 7
    assert set(fake["rating"]) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    if kind == "bandwagon":
        counts = np.bincount(WORLD.ratings["item"], minlength=WORLD.n_items)
        counts[5] = -1
        popular = set(np.argsort(-counts, kind="stable")[:4])
        for _, profile in fake.groupby("user"):
            assert popular <= set(profile["item"])
            assert (profile.loc[profile["item"].isin(popular), "rating"] == 5).all()


def test_inject_profiles_is_seeded():
    a = A.inject_profiles(WORLD, 5, n_profiles=4, filler_size=9, seed=1).data.ratings
    b = A.inject_profiles(WORLD, 5, n_profiles=4, filler_size=9, seed=1).data.ratings
    c = A.inject_profiles(WORLD, 5, n_profiles=4, filler_size=9, seed=2).data.ratings
    assert a.equals(b) and not a.equals(c)


def test_average_attack_follows_item_means_and_random_attack_does_not():
    means = WORLD.ratings.groupby("item")["rating"].mean()

    def correlation(kind):
        fake = A.inject_profiles(WORLD, 5, kind=kind, n_profiles=200, filler_size=40, seed=0)
        r = fake.data.ratings[fake.data.ratings["user"].isin(fake.fake_users) & (fake.data.ratings["item"] != 5)]
        by_item = r.groupby("item")["rating"].mean()
        common = by_item.index.intersection(means.index)
        return np.corrcoef(by_item[common], means[common])[0, 1]

    assert correlation("average") > 0.8 and abs(correlation("random")) < 0.3


def test_rdma_by_hand():
    # item 0: ratings 5 (user 0) and 1 (user 1), mean 3, NR 2; item 1: rating 4 by user 0, mean 4, NR 1
    d = toy([(0, 0, 5.0), (1, 0, 1.0), (0, 1, 4.0)], 3, 2)
    got = A.rdma(d)
    assert np.allclose(got, [(2 / 2 + 0 / 1) / 2, (2 / 2) / 1, 0.0])


def test_flag_outliers_and_detection_on_an_attack():
    assert list(A.flag_outliers([1.0, 1.1, 0.9, 1.0, 1.05, 9.0])) == [5]
    assert list(A.flag_outliers([2.0, 2.0, 2.0, 3.0])) == [3]                  # zero spread: above the median
    sparse_world, _ = simulate_world(n_users=300, n_items=300, density=0.03, seed=0)
    for kind in A.KINDS:   # fake profiles deviate more than nine genuine users in ten
        attack = A.inject_profiles(sparse_world, 5, kind=kind, n_profiles=10, filler_size=30, seed=0)
        score = A.rdma(attack.data)
        assert np.median(score[attack.fake_users]) > np.quantile(score[:300], 0.9)


def test_degree_of_similarity_is_the_mean_of_the_top_k_pearson():
    from recsys_lite.similarity import similarity
    got = A.degree_of_similarity(WORLD, k=3)
    sim = similarity(WORLD.to_csr(), "pearson")
    np.fill_diagonal(sim, -np.inf)
    assert np.allclose(got, np.sort(sim, axis=1)[:, -3:].mean(axis=1)) and got.shape == (WORLD.n_users,)


def test_hit_ratio_and_prediction_shift():
    before = BiasedMF(epochs=5).fit(WORLD)
    attack = A.inject_profiles(WORLD, 5, kind="average", n_profiles=30, filler_size=10, seed=0)
    after = BiasedMF(epochs=5).fit(attack.data)
    users = np.arange(WORLD.n_users)
    top = after.recommend(users, k=10).items
    assert A.hit_ratio(after, users, 5) == pytest.approx((top == 5).any(axis=1).mean())
    shift = A.prediction_shift(before, after, users, 5)
    assert shift == pytest.approx(np.mean(after.predict(users, np.full(len(users), 5)) - before.predict(users, np.full(len(users), 5))))
    assert shift > 0


# ---- selection bias: the estimators --------------------------------------------------------------
def test_estimators_by_hand():
    e, p = np.array([1.0, 4.0]), np.array([0.5, 0.25])
    assert B.naive_estimate(e) == 2.5
    assert B.ips_estimate(e, p, 10) == pytest.approx((2 + 16) / 10)
    assert B.snips_estimate(e, p) == pytest.approx((2 + 16) / (2 + 4))


def test_ips_is_unbiased_and_naive_is_not_on_a_world_with_known_propensities():
    world, truth = simulate_world(n_users=150, n_items=80, density=0.1, mnar=1.0, seed=0)
    errors = (truth.ratings - 3.5) ** 2                   # a fixed predictor's error on every pair
    ips, snips, naive = [], [], []
    for seed in range(200):
        observed = np.random.default_rng(seed).random(truth.propensity.shape) < truth.propensity
        e, p = errors[observed], truth.propensity[observed]
        ips.append(B.ips_estimate(e, p, errors.size))
        snips.append(B.snips_estimate(e, p))
        naive.append(B.naive_estimate(e))
    true = errors.mean()
    standard_error = np.std(ips) / np.sqrt(len(ips))
    assert abs(np.mean(ips) - true) < 4 * standard_error          # unbiased: within sampling noise
    assert abs(np.mean(snips) / true - 1) < 0.02                    # nearly unbiased
    assert abs(np.mean(naive) - true) > 10 * np.std(naive) / np.sqrt(len(naive)) and abs(np.mean(naive) / true - 1) > 0.1  # biased
    assert np.std(snips) < np.std(ips)                              # and less variable


def test_ips_ctr_is_unbiased_under_the_position_based_model():
    relevance = np.linspace(0.1, 0.8, 8)
    rng = np.random.default_rng(0)
    rankings = np.argsort(-(relevance[None, :] + rng.normal(0, 0.2, (4000, 8))), axis=1)[:, :5]
    ips = np.mean([B.ips_ctr(B.simulate_clicks(relevance, rankings, 1.0, seed=s), rankings, 8, 1.0) for s in range(30)], axis=0)
    naive = B.naive_ctr(B.simulate_clicks(relevance, rankings, 1.0, seed=0), rankings, 8)
    shown = ~np.isnan(ips)
    assert np.allclose(ips[shown], relevance[shown], atol=0.03)
    assert (naive[shown] < relevance[shown]).all()


def test_examination_and_clicks():
    assert np.allclose(B.examination(4, 2.0), [1, 1 / 4, 1 / 9, 1 / 16])
    assert np.allclose(B.examination(3, 0.0), 1)
    a = B.simulate_clicks([0.5, 0.5, 0.5], [[0, 1, 2]] * 50, 1.0, seed=4)
    assert a.shape == (50, 3) and set(np.unique(a)) <= {0, 1}
    assert np.array_equal(a, B.simulate_clicks([0.5, 0.5, 0.5], [[0, 1, 2]] * 50, 1.0, seed=4))
    assert B.simulate_clicks([1.0, 0.0], [[0, 1]] * 10, 0.0).tolist() == [[1, 0]] * 10
    table = position_bias_table([0.9, 0.2, 0.5], [[0, 1, 2], [2, 0, 1]] * 100, 1.0)
    assert list(table.index) == [0, 2, 1] and list(table.columns) == ["true relevance", "naive click rate", "IPS estimate"]


# ---- popularity bias and re-ranking ---------------------------------------------------------------
def test_popularity_measures_by_hand():
    pop = np.array([10.0, 1.0, 5.0, 3.0])
    lists = np.array([[0, 1], [2, -1]])
    assert np.allclose(B.average_popularity(lists, pop), [5.5, 5.0])
    history = sp.csr_matrix(np.array([[0, 1, 1, 0], [0, 0, 0, 1]]))
    assert np.allclose(B.popularity_lift(lists, history, pop), [5.5 / 3 - 1, 5 / 3 - 1])


def test_penalise_popularity_with_weight_zero_is_the_model_and_one_is_the_least_popular():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(20, 15))
    scores[rng.random(scores.shape) < 0.2] = -np.inf
    pop = rng.permutation(15).astype(float)
    assert np.array_equal(B.penalise_popularity(scores, pop, 0.0, k=5)[0], top_k(scores, 5)[0])
    least = B.penalise_popularity(scores, pop, 1.0, k=5)[0]
    for row, items in zip(scores, least):
        allowed = np.flatnonzero(np.isfinite(row))
        assert set(items) == set(allowed[np.argsort(pop[allowed])[:5]])
    more = B.penalise_popularity(scores, pop, 0.5, k=5)[0]
    assert pop[more].mean() < pop[top_k(scores, 5)[0]].mean()


def test_guarantee_share_is_the_best_list_with_the_guarantee():
    rng = np.random.default_rng(1)
    for _ in range(30):
        scores = rng.normal(size=(1, 9))
        scores[0, rng.random(9) < 0.2] = -np.inf
        protected = rng.random(9) < 0.4
        k, m = 4, int(rng.integers(0, 4))
        items, vals = B.guarantee_share(scores, protected, k, m)
        finite = np.flatnonzero(np.isfinite(scores[0]))
        feasible = [c for c in combinations(finite, min(k, len(finite)))
                    if protected[list(c)].sum() >= min(m, protected[finite].sum())]
        best = max(scores[0, list(c)].sum() for c in feasible)
        chosen = items[0][items[0] >= 0]
        assert len(set(chosen)) == len(chosen) and np.isfinite(scores[0, chosen]).all()
        assert protected[chosen].sum() >= min(m, protected[finite].sum())
        assert scores[0, chosen].sum() == pytest.approx(best)
        assert (np.diff(vals[0][vals[0] > -np.inf]) <= 0).all()          # ordered by score


# ---- fairness -----------------------------------------------------------------------------------
def test_group_report_means_gaps_and_intervals():
    values = np.array([0.1, 0.3, np.nan, 0.6, 0.8, 0.7])
    groups = np.array(["a", "a", "a", "b", "b", "b"])
    report = F.group_report(values, groups, n_resamples=500, seed=0)
    assert report.loc["a", "users"] == 2 and report.loc["a", "mean"] == pytest.approx(0.2)
    assert report.loc["b", "gap to best"] == 0 and report.loc["a", "gap to best"] == pytest.approx(0.2 - 0.7)
    assert (report["low"] <= report["mean"]).all() and (report["mean"] <= report["high"]).all()
    assert report.loc["a", "gap high"] < 0
    assert report.equals(F.group_report(values, groups, n_resamples=500, seed=0))


def test_exposure_share_and_long_tail():
    lists = np.array([[0, 1, -1], [2, 3, 0]])
    assert F.exposure_share(lists, np.array([True, False, False, True])) == pytest.approx(3 / 5)
    tail = F.long_tail([50, 30, 10, 10], head_share=0.5)
    assert tail.tolist() == [False, True, True, True]
    assert F.long_tail([50, 30, 10, 10], head_share=0.6).tolist() == [False, False, True, True]


# ---- weighted matrix factorisations ------------------------------------------------------------------
def test_biased_mf_with_constant_weights_is_plain_mf_with_a_scaled_penalty():
    plain = BiasedMF(reg=5.0, reg_bias=2.0, epochs=4).fit(WORLD)
    doubled = WORLD.with_ratings(WORLD.ratings.assign(w=2.0))
    weighted = BiasedMF(reg=10.0, reg_bias=4.0, epochs=4, weight_column="w").fit(doubled)
    assert np.allclose(plain.user_factors_, weighted.user_factors_) and np.allclose(plain.item_bias_, weighted.item_bias_)
    ones = BiasedMF(epochs=3, weight_column="w").fit(WORLD.with_ratings(WORLD.ratings.assign(w=1.0)))
    assert np.allclose(ones.user_factors_, BiasedMF(epochs=3).fit(WORLD).user_factors_)


def test_biased_mf_weighted_half_step_solves_the_weighted_ridge():
    rng = np.random.default_rng(0)
    d = WORLD.with_ratings(WORLD.ratings.assign(w=rng.uniform(0.2, 3, WORLD.n_ratings)))
    model = BiasedMF(epochs=1, reg=3.0, reg_bias=3.0, weight_column="w", seed=1).fit(d)
    # after one epoch the item side was solved given the final user side: check item 0 by hand
    r = d.ratings
    mu = np.average(r["rating"], weights=r["w"])
    rows = r[r["item"] == 0]
    z = np.hstack([model.user_factors_[rows["user"]], np.ones((len(rows), 1))])
    y = rows["rating"].to_numpy() - mu - model.user_bias_[rows["user"]]
    w = rows["w"].to_numpy()
    x = np.linalg.solve(z.T @ (w[:, None] * z) + 3.0 * np.eye(z.shape[1]), z.T @ (w * y))
    assert np.allclose(x[:-1], model.item_factors_[0]) and np.isclose(x[-1], model.item_bias_[0])


def _dense_implicit_als(interactions, m, f, reg, alpha, epochs, x, y):
    """A direct, dense reference: c_ui = m_i (+ alpha where u interacted), p_ui = interaction."""
    pref = (interactions > 0).astype(float)
    c = m[None, :] + alpha * pref
    for _ in range(epochs):
        x = np.array([np.linalg.solve(y.T @ (c[u, :, None] * y) + reg * np.eye(f), y.T @ (c[u] * pref[u])) for u in range(len(x))])
        y = np.array([np.linalg.solve(x.T @ (c[:, i, None] * x) + reg * np.eye(f), x.T @ (c[:, i] * pref[:, i])) for i in range(len(y))])
    return x, y


@pytest.mark.parametrize("weights", [None, "exposure"])
def test_implicit_mf_matches_a_dense_reference(weights):
    rng = np.random.default_rng(3)
    items = WORLD.items.assign(exposure=rng.uniform(0.0, 2.0, WORLD.n_items))
    d = Dataset(WORLD.ratings, WORLD.users, items)
    model = ImplicitMF(embedding_size=3, reg=2.0, alpha=4.0, epochs=3, seed=5, missing_weight_column=weights).fit(d)
    init = np.random.default_rng(5)
    x0, y0 = init.normal(0, 0.1, (d.n_users, 3)), init.normal(0, 0.1, (d.n_items, 3))
    m = items["exposure"].to_numpy() if weights else np.ones(d.n_items)
    x, y = _dense_implicit_als(d.to_csr(binary=True).toarray(), m, 3, 2.0, 4.0, 3, x0, y0)
    assert np.allclose(model.user_factors_, x) and np.allclose(model.item_factors_, y)


@pytest.mark.parametrize("weights", [None, "exposure"])
def test_implicit_mf_conjugate_gradient_reaches_the_exact_half_steps(weights):
    rng = np.random.default_rng(3)
    items = WORLD.items.assign(exposure=rng.uniform(0.0, 2.0, WORLD.n_items))
    d = Dataset(WORLD.ratings, WORLD.users, items)
    settings = dict(embedding_size=3, reg=2.0, alpha=4.0, epochs=3, seed=5, missing_weight_column=weights)
    exact = ImplicitMF(**settings).fit(d)
    # f conjugate-gradient steps solve an f x f system exactly (up to rounding: the steps run in
    # float32), from any start
    full = ImplicitMF(solver="cg", cg_steps=3, **settings).fit(d)
    assert np.allclose(full.user_factors_, exact.user_factors_, rtol=1e-4, atol=1e-5)
    assert np.allclose(full.item_factors_, exact.item_factors_, rtol=1e-4, atol=1e-5)
    # one step a half-step is not exact, but it is warm-started, so over epochs the objective
    # (summed over every cell, as Hu et al. write it) comes within 1 % of the exact solver's
    one = ImplicitMF(solver="cg", cg_steps=1, **(settings | {"epochs": 15})).fit(d)
    exact15 = ImplicitMF(**(settings | {"epochs": 15})).fit(d)
    assert not np.allclose(one.user_factors_, exact15.user_factors_, atol=1e-3)
    m = items["exposure"].to_numpy() if weights else np.ones(d.n_items)
    pref = d.to_csr(binary=True).toarray()
    confidence = m[None, :] + 4.0 * pref

    def objective(model):
        x, y = model.user_factors_, model.item_factors_
        return (confidence * (pref - x @ y.T) ** 2).sum() + 2.0 * ((x ** 2).sum() + (y ** 2).sum())

    assert objective(one) < 1.01 * objective(exact15)


# ---- BPR and APR -------------------------------------------------------------------------------
def test_bpr_is_seeded_and_learns_to_rank():
    a = BPRMF(embedding_size=8, epochs=3, batch_size=256, seed=1).fit(WORLD)
    b = BPRMF(embedding_size=8, epochs=3, batch_size=256, seed=1).fit(WORLD)
    assert np.array_equal(a.user_factors_, b.user_factors_)
    assert a.history_[-1]["train_loss"] < a.history_[0]["train_loss"]


def test_perturbation_moves_every_row_by_epsilon_in_the_loss_increasing_direction():
    model = BPRMF(embedding_size=8, epochs=2, batch_size=256, seed=0).fit(WORLD)
    assert np.array_equal(model.perturbed(0.0, WORLD).user_factors_, model.user_factors_)
    moved = model.perturbed(0.3, WORLD, seed=2)
    lengths = np.linalg.norm(moved.user_factors_ - model.user_factors_, axis=1)
    active = np.bincount(WORLD.ratings["user"], minlength=WORLD.n_users) > 0
    assert np.allclose(lengths[active], 0.3, atol=1e-5)
    # the loss on the same triples grows more than under random moves of the same size
    from recsys_lite.models.bpr import _bpr
    users = WORLD.ratings["user"].to_numpy()
    u, i = torch.tensor(users), torch.tensor(WORLD.ratings["item"].to_numpy())
    j = torch.tensor(model._negatives(users, np.random.default_rng(2)))

    def loss(m):
        return float(_bpr(torch.tensor(m.user_factors_), torch.tensor(m.item_factors_), u, i, j))

    rng = np.random.default_rng(0)
    noise = rng.normal(size=model.user_factors_.shape)
    randomly = type(model).__new__(type(model))
    randomly.__dict__.update(model.__dict__)
    randomly.user_factors_ = model.user_factors_ + 0.3 * noise / np.linalg.norm(noise, axis=1, keepdims=True)
    assert loss(moved) > loss(randomly) > loss(model) - 0.05


def test_adversarial_training_runs_and_marks_its_epochs():
    model = BPRMF(embedding_size=8, epochs=4, batch_size=256, epsilon=0.5, adversarial_weight=2.0,
                  adversarial_from=2, seed=0).fit(WORLD)
    assert [h["adversarial"] for h in model.history_] == [False, False, True, True]
    plain = BPRMF(embedding_size=8, epochs=2, batch_size=256, seed=0).fit(WORLD)
    assert np.allclose([h["train_loss"] for h in model.history_[:2]], [h["train_loss"] for h in plain.history_])
