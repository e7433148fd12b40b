"""Chapter 5's library: history truncation and item cold start without leaks, the validation split
for newcomers, switching and weighted hybrids, and the feature factor model."""
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from recsys_lite.data import Dataset, simulate_world
from recsys_lite.evaluation import evaluate
from recsys_lite.models import (BiasBaseline, BiasedMF, ImplicitMF, NotFittedError, Popularity, RandomRanking,
                                SwitchingHybrid, WeightedHybrid)
from recsys_lite.models.feature_mf import FeatureMF, Pairs, implicit_loss, pair_scores, sparse_times
from recsys_lite.models.hybrid import standardise
from recsys_lite.split import cold_items, per_user_split, random_split, truncate_history


@pytest.fixture(scope="module")
def people():
    """A simulated world whose users have MovieLens's demographic columns."""
    data, _ = simulate_world(n_users=60, n_items=40, density=0.3, seed=3)
    rng = np.random.default_rng(0)
    users = data.users.assign(age=rng.integers(10, 70, data.n_users), gender=rng.choice(["F", "M"], data.n_users),
                              occupation=rng.choice(["artist", "student", "writer"], data.n_users))
    return Dataset(data.ratings, users, data.items)


# ---- truncation and cold items never leak later ratings ---------------------------------------
@pytest.mark.parametrize("n", [0, 1, 3, 10])
def test_truncated_history_holds_only_each_newcomers_earliest_ratings(people, n):
    split = random_split(people, seed=1)
    newcomers = np.array([2, 5, 8, 13])
    cut = truncate_history(split, newcomers, n)
    before, after = split.train.ratings, cut.train.ratings
    for u in newcomers:
        mine = before[before["user"] == u]
        kept = after[after["user"] == u]
        dropped = mine[~mine["item"].isin(kept["item"])]
        assert len(kept) == min(n, len(mine))
        assert set(kept["item"]) <= set(mine["item"])                    # nothing invented
        if len(kept) and len(dropped):                                      # nothing from later on
            assert kept["timestamp"].max() <= dropped["timestamp"].min()
    others = ~before["user"].isin(newcomers)
    pd.testing.assert_frame_equal(after[~after["user"].isin(newcomers)].reset_index(drop=True),
                                  before[others].reset_index(drop=True))
    assert cut.test is split.test                                          # test ratings untouched
    # a model fitted on the cut data knows nothing of the dropped ratings: popularity counts only what is kept
    counts = Popularity().fit(cut.train).score([0])[0]
    assert np.allclose(counts, np.bincount(after["item"], minlength=people.n_items))


@pytest.mark.parametrize("n", [0, 1, 4])
def test_cold_items_keep_each_items_first_ratings_and_move_the_rest_to_test(people, n):
    split = random_split(people, seed=1)
    chosen = np.array([1, 4, 9])
    cut = cold_items(split, chosen, n)
    before, after = split.train.ratings, cut.train.ratings
    for i in chosen:
        mine = before[before["item"] == i]
        kept = after[after["item"] == i]
        assert len(kept) == min(n, len(mine))
        moved = mine[~mine["user"].isin(kept["user"])]
        if len(kept) and len(moved):
            assert kept["timestamp"].max() <= moved["timestamp"].min()
        # every moved rating is now a test rating, and every old test rating is still there
        test = cut.test.ratings
        assert len(test[test["item"] == i]) == len(moved) + (split.test.ratings["item"] == i).sum()
    assert len(after) + len(cut.test.ratings) == len(before) + len(split.test.ratings)
    assert (after[~after["item"].isin(chosen)].reset_index(drop=True)
            .equals(before[~before["item"].isin(chosen)].reset_index(drop=True)))


def test_cold_items_with_n_zero_is_the_old_behaviour(people):
    split = random_split(people, seed=1)
    cut = cold_items(split, [3, 7])
    assert not cut.train.ratings["item"].isin([3, 7]).any()
    assert "made cold" in cut.method


def test_per_user_split_can_hold_out_only_chosen_users(people):
    chosen = [0, 3, 4]
    split = per_user_split(people, test_size=0.25, seed=2, users=chosen)
    assert set(split.test.ratings["user"]) <= set(chosen)
    counts = np.bincount(people.ratings["user"], minlength=people.n_users)
    held = np.bincount(split.test.ratings["user"], minlength=people.n_users)
    assert np.array_equal(held[chosen], np.minimum(np.rint(0.25 * counts[chosen]), counts[chosen] - 1))
    others = np.setdiff1d(np.arange(people.n_users), chosen)
    assert np.array_equal(np.bincount(split.train.ratings["user"], minlength=people.n_users)[others], counts[others])
    everyone = per_user_split(people, test_size=0.25, seed=2)
    # the chosen users' held-out ratings are the ones the plain split holds out for them
    mine = everyone.test.ratings[everyone.test.ratings["user"].isin(chosen)]
    assert set(map(tuple, mine[["user", "item"]].to_numpy())) == set(map(tuple, split.test.ratings[["user", "item"]].to_numpy()))


# ---- switching ------------------------------------------------------------------------------
def test_switching_uses_the_first_model_below_the_threshold_and_the_second_from_it(people):
    train = random_split(people, seed=1).train
    history = np.bincount(train.ratings["user"], minlength=people.n_users)
    threshold = int(np.median(history))
    hybrid = SwitchingHybrid(first=Popularity(), second=RandomRanking(seed=4), threshold=threshold).fit(train)
    users = np.arange(people.n_users)
    expected = np.where((history >= threshold)[:, None], RandomRanking(seed=4).fit(train).score(users),
                        Popularity().fit(train).score(users))
    assert np.allclose(hybrid.score(users), expected)
    assert np.array_equal(hybrid.uses_second(users), history >= threshold)
    assert 0 < hybrid.uses_second(users).sum() < people.n_users            # both branches exercised
    assert SwitchingHybrid(first=Popularity(), second=Popularity(), threshold=0).fit(train).uses_second(users).all()
    never = SwitchingHybrid(first=Popularity(), second=RandomRanking(), threshold=history.max() + 1).fit(train)
    assert not never.uses_second(users).any()


def test_switching_predicts_ratings_with_the_same_rule(people):
    train = random_split(people, seed=1).train
    history = np.bincount(train.ratings["user"], minlength=people.n_users)
    hybrid = SwitchingHybrid(first=BiasBaseline(), second=BiasedMF(epochs=3), threshold=int(np.median(history))).fit(train)
    users, items = np.arange(people.n_users), np.zeros(people.n_users, dtype=int)
    second = history >= hybrid.threshold
    expected = np.where(second, BiasedMF(epochs=3).fit(train).predict(users, items),
                        BiasBaseline().fit(train).predict(users, items))
    assert np.allclose(hybrid.predict(users, items), expected)


# ---- weighted -------------------------------------------------------------------------------
def test_standardise_by_hand():
    z = standardise(np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0], [0.0, 0.0, 6.0]]))
    assert np.allclose(z[0], [-np.sqrt(1.5), 0.0, np.sqrt(1.5)])            # (x − 2) / sqrt(2/3)
    assert np.array_equal(z[1], [0.0, 0.0, 0.0])                            # no preference
    assert np.allclose(z[2], [-1 / np.sqrt(2), -1 / np.sqrt(2), np.sqrt(2)])
    assert np.allclose(standardise(np.array([[10.0, 20.0, 30.0]])), standardise(np.array([[0.1, 0.2, 0.3]])))


class Fixed(Popularity):
    """A model whose scores are a fixed users x items table (for blends by hand)."""

    def __init__(self, *, table=None):
        self.table = table

    def _fit(self, train):
        pass

    def _score(self, users):
        return np.asarray(self.table, dtype=float)[users]


def test_weighted_blend_on_hand_made_scores():
    ratings = pd.DataFrame({"user": [0, 0, 0, 1], "item": [3, 4, 5, 3], "rating": [5.0, 4.0, 3.0, 5.0],
                            "timestamp": [1, 2, 3, 4]})
    data = Dataset(ratings, pd.DataFrame({"user_id": [1, 2]}), pd.DataFrame({"item_id": range(6)}))
    content = [[3.0, 1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 6.0, 0.0, 0.0, 0.0]]
    cf = [[0.0, 1.0, 2.0, 0.0, 0.0, 0.0], [2.0, 2.0, 2.0, 2.0, 2.0, 2.0]]
    blend = WeightedHybrid(first=Fixed(table=content), second=Fixed(table=cf), weight=0.75).fit(data)
    # user 0 by hand: content (3,1,0,0,0,0) has mean 2/3 and sd sqrt(11/9); cf (0,1,2,0,0,0) mean 1/2, sd sqrt(7/12)
    zc = (np.array(content[0]) - 2 / 3) / np.sqrt(11 / 9)
    zf = (np.array(cf[0]) - 1 / 2) / np.sqrt(7 / 12)
    assert np.allclose(blend.score([0])[0], 0.25 * zc + 0.75 * zf)
    # user 1's CF scores are all equal: no preference, so the blend ranks by content alone
    assert np.allclose(blend.score([1])[0], 0.25 * standardise(np.array([content[1]]))[0])
    assert list(blend.recommend([1], k=2).items[0]) == [2, 0]
    # a weight of 0 or 1 ranks exactly as one component does
    for weight, table in ((0.0, content), (1.0, cf)):
        edge = WeightedHybrid(first=Fixed(table=content), second=Fixed(table=cf), weight=weight).fit(data)
        assert np.array_equal(edge.recommend([0], k=3).items, Fixed(table=table).fit(data).recommend([0], k=3).items)
    # with shrink m the weight is n_u / (n_u + m): user 0 has 3 ratings, user 1 one
    grown = WeightedHybrid(first=Fixed(table=content), second=Fixed(table=cf), shrink=1.0).fit(data)
    assert np.allclose(grown.weights([0, 1]), [3 / 4, 1 / 2])
    assert np.allclose(grown.score([0])[0], 0.25 * zc + 0.75 * zf)


def test_prefit_components_give_the_same_hybrid_without_a_second_fit(people):
    train = random_split(people, seed=1).train
    first, second = Popularity().fit(train), ImplicitMF(epochs=2).fit(train)
    fresh = WeightedHybrid(first=Popularity(), second=ImplicitMF(epochs=2), weight=0.6).fit(train)
    reused = WeightedHybrid(first=first, second=second, weight=0.6, prefit=True).fit(train)
    assert reused.second_ is second
    assert np.allclose(reused.score([0, 1, 2]), fresh.score([0, 1, 2]))
    other = random_split(people, seed=2).train
    with pytest.raises(ValueError, match="second .*ImplicitMF.* was fitted on other ratings"):
        WeightedHybrid(first=Popularity().fit(other), second=second, prefit=True).fit(other)
    with pytest.raises(ValueError, match="first .*Popularity.* is not fitted"):
        SwitchingHybrid(first=Popularity(), second=second, prefit=True).fit(train)


def test_hybrids_need_fitting_and_models(people):
    with pytest.raises(NotFittedError):
        WeightedHybrid(first=Popularity(), second=Popularity()).weights([0])
    with pytest.raises(NotFittedError):
        SwitchingHybrid(first=Popularity(), second=Popularity()).uses_second([0])
    train = random_split(people, seed=1).train
    with pytest.raises(TypeError, match="second must be a recsys_lite model"):
        WeightedHybrid(first=Popularity(), second="iALS").fit(train)


# ---- the feature factor model -------------------------------------------------------------------
def test_implicit_loss_matches_the_sum_over_every_cell():
    torch.manual_seed(0)
    p, q = torch.randn(4, 3), torch.randn(6, 3)
    users, items = torch.tensor([0, 1, 3, 3]), torch.tensor([2, 0, 4, 5])
    y = torch.zeros(4, 6)
    y[users, items] = 1
    brute = ((1 + 2.5 * y) * (y - p @ q.T) ** 2).sum()
    pairs = Pairs(users.numpy(), items.numpy(), 4, 6)
    assert torch.isclose(implicit_loss(p, q, pairs, 2.5), brute)
    # masks leave users and items without interactions (user 2, item 3) out of the sum over cells
    um, im = torch.tensor([1.0, 1.0, 0.0, 1.0]), torch.tensor([1.0, 1.0, 1.0, 0.0, 1.0, 1.0])
    cells = torch.outer(um, im)
    brute = (cells * (1 + 2.5 * y) * (y - p @ q.T) ** 2).sum()
    assert torch.isclose(implicit_loss(p, q, pairs, 2.5, um, im), brute)


def test_the_fast_products_have_the_right_gradients():
    torch.manual_seed(1)
    p = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    q = torch.randn(7, 3, dtype=torch.float64, requires_grad=True)
    pairs = Pairs(np.array([0, 1, 4, 4, 2, 0]), np.array([6, 0, 1, 2, 2, 3]), 5, 7)
    assert torch.allclose(pair_scores(p, q, pairs), (p[pairs.users] * q[pairs.items]).sum(1))
    assert torch.autograd.gradcheck(lambda a, b: pair_scores(a, b, pairs), (p, q))
    a = sp.random(4, 7, density=0.4, random_state=0, format="csr")
    assert torch.allclose(sparse_times(a, q), torch.from_numpy(a.toarray()) @ q, atol=1e-6)
    assert torch.autograd.gradcheck(lambda b: sparse_times(a, b), (q,), atol=1e-5)


def _features(people):
    """Two blocks of random 0/1 features, with items 0 and 1 given the same profile."""
    x = (np.random.default_rng(5).random((people.n_items, 8)) < 0.3).astype(float)
    x[:, 0] = 1.0
    x[1] = x[0]
    return sp.csr_matrix(x)


def test_feature_model_scores_items_it_never_saw(people):
    split = random_split(people, seed=1)
    x = _features(people)
    cut = cold_items(split, [0, 1, 2])
    model = FeatureMF(features=x, embedding_size=4, steps=60, learning_rate=0.05, reg=1.0).fit(cut.train)
    scores = model.score(np.arange(people.n_users))
    assert np.isfinite(scores).all()
    # new films 0 and 1 share a profile, so every user scores them alike; film 2 differs
    assert np.allclose(scores[:, 0], scores[:, 1])
    assert np.ptp(scores[:, [0, 2]], axis=1).max() > 1e-4
    # their vectors are their features' vectors: x_i G (no identity part)
    assert not np.allclose(model.item_vectors_[2], 0)
    # it ranks new films against each other, where matrix factorisation has nothing to say
    mf = ImplicitMF(epochs=3).fit(cut.train).score(np.arange(people.n_users))[:, :3]
    assert np.ptp(mf, axis=1).max() < 1e-9


def test_feature_model_learns_and_is_reproducible(people):
    train = random_split(people, seed=1).train
    x = _features(people)
    a = FeatureMF(features=x, embedding_size=4, steps=40, learning_rate=0.05, reg=1.0, seed=3).fit(train)
    b = FeatureMF(features=x, embedding_size=4, steps=40, learning_rate=0.05, reg=1.0, seed=3).fit(train)
    assert np.array_equal(a.score([0, 1]), b.score([0, 1]))
    losses = [h["train_loss"] for h in a.history_]
    assert losses[-1] < 0.5 * losses[0]
    # a user without ratings is scored from demographics only: same features, same scores
    lonely = train.with_ratings(train.ratings[~train.ratings["user"].isin([0, 1])])
    users = people.users.copy()
    users.loc[1, ["age", "gender", "occupation"]] = users.loc[0, ["age", "gender", "occupation"]].to_numpy()
    lonely = Dataset(lonely.ratings, users, people.items)
    c = FeatureMF(features=x, embedding_size=4, steps=20, learning_rate=0.05, reg=1.0).fit(lonely)
    assert np.allclose(c.score([0])[0], c.score([1])[0])


def test_feature_model_learns_who_likes_what():
    """Two tastes: users 0-19 rate only films 0-9, users 20-39 only films 10-19. Trained on
    identity features alone, the model must score each user's unseen films of their own kind
    higher, on average, than the films of the other kind (with a clear margin)."""
    rng = np.random.default_rng(0)
    rows = [(u, i) for u in range(40) for i in rng.choice(10, 5, replace=False) + (10 if u >= 20 else 0)]
    ratings = pd.DataFrame(rows, columns=["user", "item"]).assign(rating=5.0, timestamp=1)
    data = Dataset(ratings, pd.DataFrame({"user_id": range(40)}), pd.DataFrame({"item_id": range(20)}))
    model = FeatureMF(features=sp.csr_matrix(np.eye(20)), user_side=False, embedding_size=4, steps=200,
                      learning_rate=0.05, reg=1.0).fit(data)
    scores = model.score(np.arange(40))
    own = np.where(np.arange(40)[:, None] < 20, np.arange(20) < 10, np.arange(20) >= 10)
    unseen_own = np.nanmean(np.where(own & ~model.seen_.toarray().astype(bool), scores, np.nan), axis=1)
    assert (unseen_own - np.nanmean(np.where(~own, scores, np.nan), axis=1) > 0.1).all()


def test_pooled_evaluation_averages_each_users_values():
    from recsys_lite.evaluation import Evaluation, pooled
    a = Evaluation(pd.DataFrame({"ndcg": [0.2, 0.4, 1.0]}, index=[3, 5, 7]), pd.Series(dtype=float), "a")
    b = Evaluation(pd.DataFrame({"ndcg": [0.6, 0.0]}, index=[5, 3]), pd.Series(dtype=float), "b")
    both = pooled([a, b], "both")
    assert list(both.per_user.index) == [3, 5]                               # user 7 is only in a
    assert np.allclose(both.per_user["ndcg"], [0.1, 0.5])
    assert np.isclose(both.summary["ndcg"], 0.3) and both.summary["users"] == 2
    with pytest.raises(ValueError, match="share no user"):
        pooled([a, Evaluation(pd.DataFrame({"ndcg": [0.1]}, index=[9]), pd.Series(dtype=float), "c")])
    with pytest.raises(ValueError, match="evaluations is empty"):
        pooled([])
    with pytest.raises(TypeError, match="must hold recsys_lite Evaluations"):
        pooled([a, "b"])
