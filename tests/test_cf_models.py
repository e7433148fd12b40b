"""Neighbourhood models checked by hand on a toy matrix; matrix factorisation and the two-tower
model checked on the simulated world, where the planted factors are known."""

import numpy as np
import pandas as pd
import pytest

from recsys_lite import similarity as S
from recsys_lite.data import Dataset, simulate_world
from recsys_lite.evaluation import compare
from recsys_lite.metrics import rmse
from recsys_lite.models import BiasBaseline, BiasedMF, ImplicitMF, ItemKNN, Popularity, UserKNN
from recsys_lite.split import random_split

HAND = np.array([[5, 3, 0, 1, 4],
                 [4, 0, 0, 1, 5],
                 [1, 1, 0, 5, 0],
                 [0, 0, 4, 0, 0]], dtype=float)


def toy() -> Dataset:
    u, i = np.nonzero(HAND)
    r = pd.DataFrame({"user": u, "item": i, "rating": HAND[u, i], "timestamp": np.arange(len(u))})
    return Dataset(r, pd.DataFrame({"user_id": range(4)}), pd.DataFrame({"item_id": range(5)}))


def test_user_knn_by_hand():
    cos = S.cosine(toy().to_csr())
    mean = {0: 13 / 4, 1: 10 / 3, 2: 7 / 3}
    # predict u1 on i1, rated by u0 (3) and u2 (1)
    one = UserKNN(k=1, measure="cosine").fit(toy()).predict([1], [1])[0]
    assert one == pytest.approx(mean[1] + (3 - mean[0]))                    # the nearest is u0
    two = UserKNN(k=2, measure="cosine").fit(toy()).predict([1], [1])[0]
    num = cos[1, 0] * (3 - mean[0]) + cos[1, 2] * (1 - mean[2])
    assert two == pytest.approx(mean[1] + num / (cos[1, 0] + cos[1, 2]))


def test_item_knn_by_hand():
    # predict u2 on i4: u2 rated i0, i1, i3; cos(i4, i1) = 1 is the largest
    model = ItemKNN(k=1, measure="cosine").fit(toy())
    assert S.cosine(toy().to_csr().T.tocsr())[4, 1] == pytest.approx(1.0)
    assert model.predict([2], [4])[0] == pytest.approx(4.5 + (1 - 2.0))    # mean(i4) + (r_u2,i1 − mean(i1))


def test_fallback_when_no_neighbour():
    data = toy()
    model = UserKNN(k=5, measure="pearson").fit(data)
    # u3 shares no item with anyone: no neighbour, so the bias baseline answers
    assert model.predict([3], [0])[0] == pytest.approx(BiasBaseline().fit(data).predict([3], [0])[0])


def test_knn_options_and_errors():
    with pytest.raises(ValueError, match="unknown measure"):
        ItemKNN(measure="manhattan").fit(toy())
    with pytest.raises(ValueError, match="k must be"):
        UserKNN(k=0).fit(toy())
    with pytest.raises(ValueError, match="ranking"):
        ItemKNN(ranking="votes").fit(toy())
    rec = ItemKNN(k=2, ranking="similarity").fit(toy()).recommend([0], k=1)
    assert rec.items[0, 0] == 2   # the only unseen item


def test_item_knn_on_movielens(ml100k):
    split = random_split(ml100k, seed=0)
    t = split.test.ratings
    pred = ItemKNN(k=40, measure="pearson").fit(split.train).predict(t["user"].to_numpy(), t["item"].to_numpy())
    assert np.isfinite(pred).all() and pred.min() >= 1 and pred.max() <= 5
    assert rmse(t["rating"], pred) < 0.95


def planted():
    data, truth = simulate_world(n_users=300, n_items=200, n_factors=3, density=0.2, noise=0.3,
                                 mnar=0.0, popularity_skew=0.0, seed=11)
    return random_split(data, seed=0), truth


def test_mf_recovers_planted_factors_better_than_the_bias_baseline():
    split, truth = planted()
    t = split.test.ratings
    mf = BiasedMF(embedding_size=3, reg=5.0, reg_bias=2.0, epochs=30).fit(split.train)
    bias = BiasBaseline().fit(split.train)
    mf_rmse = rmse(t["rating"], mf.predict(t["user"], t["item"]))
    assert mf_rmse < rmse(t["rating"], bias.predict(t["user"], t["item"])) - 0.05
    # the learned scores track the planted preferences over the whole matrix, not just the sample
    assert np.corrcoef(mf.score(np.arange(300)).ravel(), truth.preference.ravel())[0, 1] > 0.8
    assert mf.history_[-1] < mf.history_[0]


def test_mf_is_deterministic_and_validates():
    split, _ = planted()
    a = BiasedMF(epochs=3, seed=4).fit(split.train).user_factors_
    assert np.array_equal(a, BiasedMF(epochs=3, seed=4).fit(split.train).user_factors_)
    with pytest.raises(ValueError, match="reg"):
        BiasedMF(reg=0).fit(split.train)
    with pytest.raises(ValueError, match="embedding_size"):
        BiasedMF(embedding_size=0).fit(split.train)


def test_implicit_mf_beats_popularity(ml100k):
    split = random_split(ml100k, seed=0)
    table = compare({"pop": Popularity().fit(split.train), "imf": ImplicitMF().fit(split.train)},
                    split, metrics=["ndcg"])
    assert table.loc["imf", "ndcg"] > table.loc["pop", "ndcg"] + 0.05
    with pytest.raises(NotImplementedError):
        ImplicitMF().fit(split.train).predict([0], [0])


def test_two_tower_learns_on_a_small_problem():
    from recsys_lite.models.two_tower import TwoTower
    split, truth = planted()
    t = split.test.ratings
    model = TwoTower(embedding_size=8, hidden_size=16, epochs=15, learning_rate=0.01, seed=0).fit(split.train)
    mean = split.train.ratings["rating"].mean()
    assert rmse(t["rating"], model.predict(t["user"], t["item"])) < rmse(t["rating"], np.full(len(t), mean)) - 0.1
    assert model.history_[-1]["train_loss"] < model.history_[0]["train_loss"]
    again = TwoTower(embedding_size=8, hidden_size=16, epochs=2, seed=0).fit(split.train)
    same = TwoTower(embedding_size=8, hidden_size=16, epochs=2, seed=0).fit(split.train)
    np.testing.assert_allclose(again.item_embeddings_, same.item_embeddings_)


def test_two_tower_bpr_ranks_better_than_chance():
    """BPR learns from *what* was rated, so the world must make liking drive rating (mnar > 0);
    in `planted()` observation is random and no model could rank better than chance."""
    from recsys_lite.models.two_tower import TwoTower
    data, _ = simulate_world(n_users=300, n_items=200, n_factors=3, density=0.1, mnar=2.0,
                             popularity_skew=0.0, seed=12)
    split = random_split(data, seed=0)
    model = TwoTower(embedding_size=8, hidden_size=16, loss="bpr", epochs=10, learning_rate=0.01).fit(split.train)
    table = compare({"bpr": model}, split, metrics=["auc"])
    assert table.loc["bpr", "auc"] > 0.6
    with pytest.raises(NotImplementedError):
        model.predict([0], [0])
    with pytest.raises(ValueError, match="loss"):
        TwoTower(loss="hinge").fit(split.train)


def brute_force_knn(data: Dataset, model, users, items):
    """The kNN estimate and top-n score of each pair by a plain loop over neighbours, with ties at
    the k-th similarity sharing its remaining places equally (the library's documented rule)."""
    by_user = isinstance(model, UserKNN)
    ratings = data.to_csr().toarray()
    rated = ratings > 0
    entity_ratings = ratings if by_user else ratings.T
    entity_rated = rated if by_user else rated.T
    means = np.array([row[mask].mean() if mask.any() else 0.0 for row, mask in zip(entity_ratings, entity_rated)])
    b = model.fallback_
    bias = b.global_mean_ + b.user_bias_[:, None] + b.item_bias_[None, :]      # users x items
    entity_bias = bias if by_user else bias.T
    sim = np.maximum(model.similarity_, 0)
    estimates, scores = [], []
    for u, i in zip(users, items):
        e, c = (u, i) if by_user else (i, u)
        candidates = np.flatnonzero(entity_rated[:, c])
        s = sim[e, candidates]
        expected = means[candidates] if model.baseline == "mean" else entity_bias[candidates, c]
        r = entity_ratings[candidates, c] - expected
        if len(candidates) > model.k:
            kth = np.sort(s)[::-1][model.k - 1]
            weight = np.where(s > kth, 1.0, 0.0)
            tied = s == kth
            weight[tied] = (model.k - (s > kth).sum()) / tied.sum()
        else:
            weight = np.ones(len(s))
        num, den = (weight * s * r).sum(), (weight * s).sum()
        scores.append(den)
        if den > 0 and entity_rated[e].any():
            base = means[e] if model.baseline == "mean" else bias[u, i]
            estimates.append(np.clip(base + num / den, 1, 5))
        else:
            estimates.append(model.fallback_.predict([u], [i])[0])
    return np.array(estimates), np.array(scores)


@pytest.mark.parametrize("Model", [UserKNN, ItemKNN])
@pytest.mark.parametrize("measure", ["pearson", "jaccard"])
@pytest.mark.parametrize("baseline", ["mean", "bias"])
def test_knn_matches_a_loop_over_neighbours(Model, measure, baseline):
    """Small k on a world with many exact ties (Jaccard, Pearson on two co-ratings): the vectorised
    top-k must agree with the loop for predict, for ranking by rating and by similarity, whether
    neighbours predict deviations from their mean or from the bias baseline."""
    data, _ = simulate_world(n_users=40, n_items=30, density=0.3, seed=3)
    users, items = np.repeat(np.arange(40), 30), np.tile(np.arange(30), 40)
    model = Model(k=3, measure=measure, baseline=baseline).fit(data)
    estimates, scores = brute_force_knn(data, model, users, items)
    np.testing.assert_allclose(model.predict(users, items), estimates, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(model.score(np.arange(40)).ravel(), estimates, rtol=1e-10, atol=1e-10)
    by_similarity = Model(k=3, measure=measure, ranking="similarity", baseline=baseline).fit(data)
    np.testing.assert_allclose(by_similarity.score(np.arange(40)).ravel(), scores, rtol=1e-10, atol=1e-10)
    subset = np.array([5, 0, 17])   # scoring some users, in any order, gives their rows
    np.testing.assert_allclose(model.score(subset), model.score(np.arange(40))[subset])


def test_tied_neighbours_share_the_last_place():
    """u0 has three equally similar neighbours for item 3 and k = 2: one place is certain (none is
    above the tie), so the two places go 2/3 to each of the three. Their deviations from their
    means are +2/3, 0 and -2/3, so the estimate is u0's mean plus their average, 0."""
    r = pd.DataFrame({"user": [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3],
                      "item": [0, 1, 0, 1, 3, 0, 1, 3, 0, 1, 3],
                      "rating": [4, 4, 4, 4, 5, 4, 4, 4, 4, 4, 3.0], "timestamp": 0})
    data = Dataset(r, pd.DataFrame({"user_id": range(4)}), pd.DataFrame({"item_id": range(4)}))
    model = UserKNN(k=2, measure="jaccard").fit(data)
    assert model.similarity_[0, 1] == model.similarity_[0, 2] == model.similarity_[0, 3] > 0
    means = np.array([4, 13 / 3, 4, 11 / 3])
    deviations = np.array([5, 4, 3]) - means[1:]
    assert model.predict([0], [3])[0] == pytest.approx(4 + deviations.mean())
