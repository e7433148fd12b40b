"""evaluate(): the book's protocol (full ranking, seen items excluded), the opt-in sampled
protocol, rating errors, and an oracle whose scores are known."""
import numpy as np
import pandas as pd
import pytest

from recsys_lite import metrics as M
from recsys_lite.evaluation import compare, evaluate, relevant_matrix
from recsys_lite.models import BiasBaseline, Popularity, Recommender
from recsys_lite.split import random_split


class Oracle(Recommender):
    """Knows the test set: scores each user's test items above everything else."""

    def __init__(self, *, test=None):
        self.test = test

    def _fit(self, train):
        self.known_ = self.test.to_csr(binary=True).toarray()

    def _score(self, users):
        return self.known_[users] + 1e-6 * np.arange(self.n_items_)[::-1]


@pytest.fixture(scope="module")
def split(world):
    return random_split(world[0], seed=0)


def test_full_ranking_matches_the_metric_functions(split):
    model = BiasBaseline().fit(split.train)
    result = evaluate(model, split, k=5)
    assert "full ranking" in result.protocol and "training items excluded" in result.protocol
    rel = relevant_matrix(split)
    users = result.per_user.index.to_numpy()
    top = model.recommend(users, k=5).items
    for u, row in zip(users[:20], top[:20]):
        relevant = set(rel[u].indices)
        assert result.per_user.loc[u, "ndcg"] == pytest.approx(M.ndcg_at_k(row, relevant, 5))
        assert result.per_user.loc[u, "map"] == pytest.approx(M.average_precision_at_k(row, relevant, 5))
    assert result.summary["ndcg"] == pytest.approx(result.per_user["ndcg"].mean())
    assert {"rmse", "mae", "coverage", "novelty", "gini", "users"} <= set(result.summary.index)
    assert result.summary["users"] == len(set(split.test.ratings["user"]))


def test_oracle_is_perfect(split):
    oracle = Oracle(test=split.test).fit(split.train)
    result = evaluate(oracle, split, k=3, metrics=["ndcg", "map", "hit_rate", "mrr", "auc"])
    assert np.allclose(result.per_user[["ndcg", "map", "hit_rate", "mrr", "auc"]], 1.0)
    assert "rmse" not in result.summary  # a ranking-only model gets no rating errors
    sampled = evaluate(oracle, split, k=1, sampled=True, n_negatives=20)
    assert sampled.protocol.startswith("SAMPLED") and np.allclose(sampled.per_user, 1.0)


def test_sampled_protocol_by_hand(split):
    """Popularity's sampled rank of an item is 1 + the number of its 20 negatives that are
    at least as popular; recompute that for every pair and compare."""
    from recsys_lite.split import sample_negatives
    model = Popularity().fit(split.train)
    result = evaluate(model, split, k=10, sampled=True, n_negatives=20, seed=3)
    rel = relevant_matrix(split).tocoo()
    interacted = split.train.to_csr(binary=True) + split.test.to_csr(binary=True)
    order = np.argsort(rel.row, kind="stable")
    users, items = rel.row[order], rel.col[order]
    negatives = sample_negatives(interacted, users, n=20, seed=3)
    counts = model.counts_
    # evaluate() draws the negatives for pairs in CSR order, as here
    rank = 1 + (counts[negatives] >= counts[items][:, None]).sum(axis=1)
    hit = (rank <= 10).astype(float)
    present = np.bincount(users) > 0
    expected = np.zeros(len(present))
    expected[present] = np.bincount(users, hit)[present] / np.bincount(users)[present]
    got = result.per_user["hit_rate"]
    np.testing.assert_allclose(got.to_numpy(), expected[got.index])


def test_threshold_and_errors(split):
    model = Popularity().fit(split.train)
    high = evaluate(model, split, relevance_threshold=5)
    assert high.summary["users"] < evaluate(model, split).summary["users"]
    assert "rating >= 5" in high.protocol
    with pytest.raises(ValueError, match="unknown metric"):
        evaluate(model, split, metrics=["auc"], sampled=True)
    with pytest.raises(ValueError, match="no test user has a relevant item"):
        evaluate(model, split, relevance_threshold=6)
    with pytest.raises(TypeError, match="Split"):
        evaluate(model, split.test)
    with pytest.raises(ValueError, match="k must be"):
        evaluate(model, split, k=0)


def test_compare_and_keep_seen(split):
    models = {"pop": Popularity().fit(split.train), "bias": BiasBaseline().fit(split.train)}
    table = compare(models, split, k=5)
    assert list(table.index) == ["pop", "bias"] and "full ranking" in table.attrs["protocol"]
    kept = evaluate(models["pop"], split, k=5, exclude_seen=False)
    assert "training items kept" in kept.protocol
    assert kept.summary["precision"] <= table.loc["pop", "precision"]  # seen items crowd out test items


def test_ranking_the_whole_catalogue_finds_every_test_item(ml100k):
    """The full-catalogue path on all 943 users: a list as long as the catalogue (padded with -1
    where seen items were removed) must contain every test item."""
    split = random_split(ml100k, seed=0)
    model = Popularity().fit(split.train)
    top = model.recommend(k=ml100k.n_items).items
    assert (top == -1).sum() == split.train.n_ratings
    values = M.ranking_metrics(top, relevant_matrix(split))
    assert np.nanmean(values["recall"]) == pytest.approx(1.0)  # the whole unseen catalogue holds every test item


class CountingPopularity(Popularity):
    """Popularity that counts how many user rows it has been asked to score."""

    def _score(self, users):
        self.rows_scored_ = getattr(self, "rows_scored_", 0) + len(users)
        return super()._score(users)


def test_evaluate_scores_each_user_once_even_with_auc(split):
    model = CountingPopularity().fit(split.train)
    result = evaluate(model, split, k=5)
    assert "auc" in result.per_user and model.rows_scored_ == result.summary["users"]


def test_recommend_with_scores_is_recommend_plus_score(split):
    model = BiasBaseline().fit(split.train)
    users = np.array([3, 0, 7])
    recs, scores = model.recommend_with_scores(users, k=4)
    np.testing.assert_array_equal(recs.items, model.recommend(users, k=4).items)
    np.testing.assert_allclose(scores, model.score(users))
    assert model.fit_seconds_ >= 0


def test_intervals_and_paired_differences(split):
    from recsys_lite.evaluation import bootstrap_interval, paired_difference
    oracle = Oracle(test=split.test).fit(split.train)
    pop = Popularity().fit(split.train)
    bias = BiasBaseline().fit(split.train)
    a, b = evaluate(oracle, split, k=5), evaluate(pop, split, k=5)
    same = paired_difference(b, b, "ndcg")
    assert same["difference"] == same["low"] == same["high"] == 0     # a model against itself
    d = paired_difference(a, b, "ndcg")
    assert d["difference"] == pytest.approx(a.summary["ndcg"] - b.summary["ndcg"])
    assert 0 < d["low"] <= d["difference"] <= d["high"] and d["users"] == a.summary["users"]
    lo, hi = bootstrap_interval(b, "ndcg")
    assert lo < b.summary["ndcg"] < hi
    e = evaluate(bias, split, k=5)
    lo, hi = bootstrap_interval(e, "rmse")
    assert lo < e.summary["rmse"] < hi
    errors = e.rating_errors                       # per-user sums add up to the test RMSE
    assert np.sqrt(errors["squared"].sum() / errors["n"].sum()) == pytest.approx(e.summary["rmse"])
    assert errors["n"].sum() == split.test.n_ratings
    # the paired interval by hand: the same users drawn for both models
    rng = np.random.default_rng(0)
    users = a.per_user.index
    draws = rng.integers(0, len(users), (2000, len(users)))
    va, vb = a.per_user["ndcg"].to_numpy()[draws].mean(1), b.per_user["ndcg"].to_numpy()[draws].mean(1)
    assert d["low"] == pytest.approx(np.quantile(va - vb, 0.025))
    with pytest.raises(ValueError, match="predicts no ratings"):
        bootstrap_interval(evaluate(Oracle(test=split.test).fit(split.train), split), "rmse")
    with pytest.raises(ValueError, match="different protocols"):
        paired_difference(a, evaluate(pop, split, k=3))


def test_compare_with_intervals_and_a_reference(split):
    models = {"pop": Popularity().fit(split.train), "bias": BiasBaseline().fit(split.train)}
    table = compare(models, split, k=5, metrics=["ndcg"], intervals=True, reference="pop")
    assert (table["ndcg_low"] <= table["ndcg"]).all() and (table["ndcg"] <= table["ndcg_high"]).all()
    assert table.loc["pop", "ndcg_diff"] == 0 and table.attrs["reference"] == "pop"
    assert table.loc["bias", "ndcg_diff"] == pytest.approx(table.loc["bias", "ndcg"] - table.loc["pop", "ndcg"])
    assert table.loc["bias", "rmse_low"] < table.loc["bias", "rmse"] < table.loc["bias", "rmse_high"]
    with pytest.raises(ValueError, match="reference must be one of"):
        compare(models, split, reference="nobody")


def test_an_evaluation_restricted_to_some_users(split):
    full = evaluate(BiasBaseline().fit(split.train), split, k=5)
    some = full.per_user.index[:10]
    part = full.for_users(some)
    assert list(part.per_user.index) == list(some) and part.summary["users"] == 10
    assert part.summary["ndcg"] == pytest.approx(full.per_user.loc[some, "ndcg"].mean())
    e = full.rating_errors.loc[some]
    assert part.summary["rmse"] == pytest.approx(np.sqrt(e["squared"].sum() / e["n"].sum()))
    assert "coverage" not in part.summary and "10 chosen users" in part.protocol
    with pytest.raises(ValueError, match="none of this evaluation's users"):
        full.for_users([10_000])


def test_evaluate_ratings_matches_evaluate(split):
    from recsys_lite.evaluation import evaluate_ratings
    model = BiasBaseline().fit(split.train)
    fast, full = evaluate_ratings(model, split), evaluate(model, split)
    assert fast.summary["rmse"] == pytest.approx(full.summary["rmse"]) and fast.summary["mae"] == pytest.approx(full.summary["mae"])
    pd.testing.assert_frame_equal(fast.rating_errors, full.rating_errors)
    with pytest.raises(ValueError, match="does not estimate ratings"):
        evaluate_ratings(Oracle(test=split.test).fit(split.train), split)
