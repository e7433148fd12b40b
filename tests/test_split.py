"""Splits: no leakage, the promised proportions and orderings, seeds, negative sampling."""
import numpy as np
import pytest

from recsys_lite.split import (is_seen, kfold, leave_last_out, per_user_split, random_split,
                               sample_negatives, temporal_split)

ALL_SPLITS = [random_split, per_user_split, leave_last_out, temporal_split]


def keys(d):
    return set(zip(d.ratings["user"], d.ratings["item"]))


@pytest.mark.parametrize("make", ALL_SPLITS)
def test_partition_without_leakage(world, make):
    data, _ = world
    s = make(data)
    assert not keys(s.train) & keys(s.test)  # no (user, item) pair on both sides
    assert s.train.n_ratings + s.test.n_ratings == data.n_ratings
    assert keys(s.train) | keys(s.test) == keys(data)
    assert s.train.users is data.users and s.test.items is data.items  # one id space
    assert s.train is not s.test


@pytest.mark.parametrize("make", ALL_SPLITS)
def test_seeded(world, make):
    data, _ = world
    a, b = make(data, seed=3), make(data, seed=3)
    assert a.test.ratings.equals(b.test.ratings)


def test_random_split_proportion_and_seed(world):
    data, _ = world
    s = random_split(data, test_size=0.25, seed=1)
    assert s.test.n_ratings == round(0.25 * data.n_ratings)
    assert keys(random_split(data, seed=1).test) != keys(random_split(data, seed=2).test)


def test_per_user_split_holds_out_per_user(world):
    data, _ = world
    s = per_user_split(data, test_size=0.2, seed=0)
    n = np.bincount(data.ratings["user"], minlength=data.n_users)
    n_test = np.bincount(s.test.ratings["user"], minlength=data.n_users)
    expected = np.minimum(np.rint(0.2 * n), np.maximum(n - 1, 0))
    assert (n_test == expected).all()
    assert (np.bincount(s.train.ratings["user"], minlength=data.n_users)[n > 0] >= 1).all()


def test_leave_last_out_takes_each_users_latest(world):
    data, _ = world
    s = leave_last_out(data, n=2)
    train_last = s.train.ratings.groupby("user")["timestamp"].max()
    test_first = s.test.ratings.groupby("user")["timestamp"].min()
    common = test_first.index
    assert (train_last[common] <= test_first).all()
    counts = s.test.ratings["user"].value_counts()
    assert (counts == 2).all()
    n = np.bincount(data.ratings["user"], minlength=data.n_users)
    assert set(counts.index) == set(np.flatnonzero(n > 2))


def test_temporal_split_train_precedes_test(ml100k):
    s = temporal_split(ml100k, test_size=0.2)
    assert s.train.ratings["timestamp"].max() <= s.test.ratings["timestamp"].min()
    assert s.test.n_ratings == 20_000


def test_keep_known_drops_and_reports(ml100k):
    s = temporal_split(ml100k, test_size=0.2, keep_known=True)
    train_users, train_items = set(s.train.ratings["user"]), set(s.train.ratings["item"])
    assert set(s.test.ratings["user"]) <= train_users and set(s.test.ratings["item"]) <= train_items
    full = temporal_split(ml100k, test_size=0.2)
    r = full.test.ratings
    unknown = ~r["user"].isin(train_users) | ~r["item"].isin(train_items)
    assert s.dropped["ratings"] == unknown.sum() == full.test.n_ratings - s.test.n_ratings > 0
    assert s.dropped["users"] == r.loc[~r["user"].isin(train_users), "user"].nunique()
    assert s.dropped["items"] == r.loc[~r["item"].isin(train_items), "item"].nunique()
    assert "dropped" in repr(s)


def test_kfold_tests_are_disjoint_and_cover(world):
    data, _ = world
    folds = kfold(data, n_folds=5, seed=0)
    seen = [keys(f.test) for f in folds]
    assert sum(len(k) for k in seen) == data.n_ratings
    assert set().union(*seen) == keys(data)
    for f in folds:
        assert not keys(f.train) & keys(f.test)


@pytest.mark.parametrize("bad", [0, 1, -0.1, 1.5, "0.2"])
def test_bad_fraction(world, bad):
    with pytest.raises(ValueError, match="test_size"):
        random_split(world[0], test_size=bad)


def test_bad_arguments(world):
    with pytest.raises(ValueError, match="n must be"):
        leave_last_out(world[0], n=0)
    with pytest.raises(ValueError, match="n_folds"):
        kfold(world[0], n_folds=1)
    with pytest.raises(TypeError, match="Dataset"):
        random_split(world[0].ratings)


def test_negatives_are_unseen_and_distinct(ml100k):
    users = np.arange(ml100k.n_users)
    neg = sample_negatives(ml100k, users, n=99, seed=0)
    assert neg.shape == (943, 99)
    assert not is_seen(ml100k.to_csr(), np.repeat(users, 99), neg.ravel()).any()
    assert all(len(set(row)) == 99 for row in neg)
    assert (sample_negatives(ml100k, users, n=99, seed=0) == neg).all()


def test_negatives_when_almost_everything_is_seen(world):
    data, _ = world
    csr = data.to_csr(binary=True).tolil()
    csr[0, :] = 1
    csr[0, [3, 5, 7]] = 0
    neg = sample_negatives(csr.tocsr(), [0, 1], n=3, seed=0)
    assert sorted(neg[0]) == [3, 5, 7]
    with pytest.raises(ValueError, match="only 3 unseen items"):
        sample_negatives(csr.tocsr(), [0], n=4)


def test_truncate_history_keeps_each_users_earliest_ratings(world):
    from recsys_lite.split import truncate_history
    split = random_split(world[0], seed=0)
    newcomers = [3, 7, 11]
    cut = truncate_history(split, newcomers, 2)
    r, before = cut.train.ratings, split.train.ratings
    for u in newcomers:
        kept = r[r["user"] == u].sort_values(["timestamp", "item"])
        first = before[before["user"] == u].sort_values(["timestamp", "item"]).head(2)
        assert kept[["item", "timestamp"]].values.tolist() == first[["item", "timestamp"]].values.tolist()
        # nothing later than the cut leaks in
        assert kept["timestamp"].max() <= first["timestamp"].max()
    others = ~before["user"].isin(newcomers)
    assert len(r[~r["user"].isin(newcomers)]) == others.sum()          # everyone else untouched
    assert cut.test is split.test and "3 users cut to their first 2" in cut.method
    assert (truncate_history(split, newcomers, 0).train.ratings["user"].isin(newcomers)).sum() == 0
    with pytest.raises(ValueError, match="n must be a whole number >= 0"):
        truncate_history(split, newcomers, -1)
    with pytest.raises(ValueError, match="unknown user id"):
        truncate_history(split, [999], 2)
