"""Chapter 6's library: negative sampling, NCF (GMF, MLP, NeuMF and its pre-training), the
click-through models (logistic regression, factorisation machine, Wide & Deep, DeepFM) and the
DSSM towers (DSSM, DSPR, MV-DNN), each on tiny problems against hand computation."""
import itertools

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from recsys_lite.data import Dataset, simulate_world
from recsys_lite.models.ctr import (ClickNet, DeepFM, FactorizationMachine, LogisticRegression, WideAndDeep,
                                   click_fields, fm_pairwise)
from recsys_lite.models.dssm import DSSM, dssm_loss
from recsys_lite.models.ncf import NCF, bce_loss
from recsys_lite.split import random_split
from recsys_lite.train import bpr_batches, negative_items


@pytest.fixture(scope="module")
def people():
    """A simulated world with MovieLens's user and item columns."""
    data, _ = simulate_world(n_users=60, n_items=40, density=0.3, seed=3)
    rng = np.random.default_rng(0)
    users = data.users.assign(age=rng.integers(10, 70, data.n_users), gender=rng.choice(["F", "M"], data.n_users),
                              occupation=rng.choice(["artist", "student", "writer"], data.n_users))
    genres = [tuple(rng.choice(["Comedy", "Drama", "Horror", "War"], rng.integers(1, 4), replace=False))
              for _ in range(data.n_items)]
    return Dataset(data.ratings, users, data.items.assign(genres=genres))


@pytest.fixture(scope="module")
def split(people):
    return random_split(people, seed=1)


# ---- negative sampling -------------------------------------------------------------------------
def test_negative_items_never_returns_an_interaction_and_covers_the_rest():
    rng = np.random.default_rng(0)
    dense = rng.random((30, 12)) < 0.6
    dense[3, :11] = True                        # user 3 has one free item: it must always get it
    seen = sp.csr_matrix(dense.astype(float))
    users = np.repeat(np.arange(30), 200)
    drawn = negative_items(seen, users, np.random.default_rng(1))
    assert not dense[users, drawn].any()
    assert set(drawn[users == 3]) == {11}
    for u in (0, 7, 20):                        # every unseen item turns up, none more than chance allows
        counts = np.bincount(drawn[users == u], minlength=12)[~dense[u]]
        assert counts.min() > 0 and counts.max() < 3 * 200 / (~dense[u]).sum()
    again = negative_items(seen, users, np.random.default_rng(1))
    assert np.array_equal(drawn, again)         # seeded


def test_negative_items_refuses_a_user_who_has_seen_everything():
    seen = sp.csr_matrix(np.array([[1.0, 1.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="user 0 has interacted with every item"):
        negative_items(seen, np.array([1, 0]), np.random.default_rng(0))


def test_bpr_batches_cover_every_interaction_once_with_unseen_negatives():
    dense = np.random.default_rng(2).random((20, 9)) < 0.4
    seen = sp.csr_matrix(dense.astype(float))
    batches = bpr_batches(seen, 7, np.random.default_rng(0))
    assert [len(b[0]) for b in batches[:-1]] == [7] * (len(batches) - 1) and 0 < len(batches[-1][0]) <= 7
    u, i, j = (torch.cat(part).numpy() for part in zip(*batches))
    pairs = sorted(zip(u.tolist(), i.tolist()))
    assert pairs == sorted(zip(*np.nonzero(dense)))          # each interaction exactly once
    assert not dense[u, j].any()                             # negatives never seen by their user
    again = bpr_batches(seen, 7, np.random.default_rng(0))
    assert all(torch.equal(a, b) for x, y in zip(batches, again) for a, b in zip(x, y))


# ---- NCF ---------------------------------------------------------------------------------------
def test_bce_loss_is_the_papers_cross_entropy():
    logits, labels = torch.tensor([2.0, -1.0, 0.5]), torch.tensor([1.0, 0.0, 0.0])
    p = 1 / (1 + np.exp(-logits.numpy()))
    by_hand = -np.mean([np.log(p[0]), np.log(1 - p[1]), np.log(1 - p[2])])
    assert np.isclose(bce_loss(logits, labels).item(), by_hand)


@pytest.mark.parametrize("kind", ["gmf", "mlp", "neumf"])
def test_ncf_scores_the_catalogue_as_its_forward_pass_scores_pairs(split, kind):
    model = NCF(kind=kind, embedding_size=4, layers=(8, 4), epochs=3).fit(split.train)
    users = np.array([0, 5, 9])
    scores = model.score(users)
    assert scores.shape == (3, split.train.n_items)
    u, i = np.repeat(users, split.train.n_items), np.tile(np.arange(split.train.n_items), 3)
    probability = model.probability(u, i).reshape(3, -1)
    assert np.allclose(1 / (1 + np.exp(-scores)), probability, atol=1e-6)


def test_gmf_by_hand(split):
    model = NCF(kind="gmf", embedding_size=3, epochs=2).fit(split.train)
    net = model.network_
    p, q = net.user_gmf.weight.detach().numpy(), net.item_gmf.weight.detach().numpy()
    h, b = net.output.weight.detach().numpy()[0], net.output.bias.detach().numpy()[0]
    assert np.allclose(model.score([4])[0], (p[4] * q) @ h + b, atol=1e-6)


@pytest.mark.parametrize("kind", ["gmf", "mlp", "neumf"])
def test_ncf_learns_and_a_seed_reproduces_it(split, kind):
    a = NCF(kind=kind, embedding_size=8, layers=(16, 8), epochs=6, patience=6, seed=3).fit(split.train)
    b = NCF(kind=kind, embedding_size=8, layers=(16, 8), epochs=6, patience=6, seed=3).fit(split.train)
    losses = [h["train_loss"] for h in a.history_]
    assert losses[-1] < losses[0]
    assert np.array_equal(a.score([0, 1]), b.score([0, 1]))
    c = NCF(kind=kind, embedding_size=8, layers=(16, 8), epochs=6, patience=6, seed=4).fit(split.train)
    assert not np.array_equal(a.score([0, 1]), c.score([0, 1]))


def test_pretrained_neumf_starts_as_the_blend_of_gmf_and_mlp(split):
    gmf = NCF(kind="gmf", embedding_size=4, layers=(8, 4), epochs=2).fit(split.train)
    mlp = NCF(kind="mlp", embedding_size=4, layers=(8, 4), epochs=2).fit(split.train)
    # a learning rate too small to move anything: what it scores is where it started
    neumf = NCF(kind="neumf", embedding_size=4, layers=(8, 4), epochs=1, learning_rate=1e-12, alpha=0.3,
                pretrained=(gmf, mlp)).fit(split.train)
    expected = 0.3 * gmf.score([0, 2]) + 0.7 * mlp.score([0, 2])
    assert np.allclose(neumf.score([0, 2]), expected, atol=1e-5)


def test_pretrained_models_must_fit_the_same_data_and_sizes(split, people):
    gmf = NCF(kind="gmf", embedding_size=4, layers=(8, 4), epochs=1).fit(split.train)
    mlp = NCF(kind="mlp", embedding_size=4, layers=(8, 4), epochs=1).fit(split.train)
    with pytest.raises(ValueError, match=r"pretrained\[0\] was fitted on other ratings"):
        NCF(kind="neumf", embedding_size=4, layers=(8, 4), pretrained=(gmf, mlp)).fit(people)
    with pytest.raises(ValueError, match="must match this NeuMF's sizes"):
        NCF(kind="neumf", embedding_size=8, layers=(8, 4), pretrained=(gmf, mlp)).fit(split.train)
    with pytest.raises(ValueError, match=r"pretrained\[1\] must be an NCF model with kind='mlp'"):
        NCF(kind="neumf", embedding_size=4, layers=(8, 4), pretrained=(gmf, gmf)).fit(split.train)
    with pytest.raises(ValueError, match="pretrained is for kind='neumf'"):
        NCF(kind="gmf", embedding_size=4, pretrained=(gmf, mlp)).fit(split.train)


def test_ncf_saves_weights_and_loads_them_back(split, tmp_path):
    model = NCF(kind="neumf", embedding_size=4, layers=(8, 4), epochs=2).fit(split.train)
    back = NCF.load(model.save(tmp_path / "ncf.pt"))
    assert np.array_equal(back.recommend([0, 3], k=5).items, model.recommend([0, 3], k=5).items)
    assert np.allclose(back.score([1]), model.score([1]))


# ---- click-through models ---------------------------------------------------------------------
def test_fm_pairwise_equals_the_naive_sum_over_pairs():
    rng = np.random.default_rng(0)
    v, x = torch.tensor(rng.normal(size=(4, 6, 3))), torch.tensor(rng.random((4, 6)))
    naive = [sum(float(v[r, a] @ v[r, b]) * float(x[r, a] * x[r, b]) for a, b in itertools.combinations(range(6), 2))
             for r in range(4)]
    assert np.allclose(fm_pairwise(v, x).numpy(), naive)


def test_click_fields_encode_every_pair_with_its_users_and_items_features(people):
    fields = click_fields(people)
    assert fields.fields == ("user", "age", "gender", "occupation", "item", "decade", "genre")
    index, value = fields.pairs(np.array([3, 3]), np.array([0, 7]))
    assert index.shape == value.shape == (2, len(fields.column_field))
    names = [[fields.names[j] for j, x in zip(row, vals) if x] for row, vals in zip(index, value)]
    genres = [sorted(f"genre {g}" for g in people.items["genres"].iloc[i]) for i in (0, 7)]
    for row, i, expected in zip(names, (0, 7), genres):
        assert row[0] == "user 3" and row[4] == f"item {i}"
        assert sorted(n for n in row if n.startswith("genre")) == expected
        assert row[2] == f"gender {'F' if people.users['gender'].iloc[3] == 'F' else 'M'}"
    assert (index[value == 0] == 0).all()                         # padding points at the padding feature
    _, _, cross, cross_value = fields.pairs(np.array([3]), np.array([7]), crosses=True)
    assert cross.max() < fields.n_crosses and cross_value.sum() == 2 * len(genres[1])


@pytest.mark.parametrize("parts", [dict(linear=True, crosses=False, fm=False, deep=False),
                                   dict(linear=True, crosses=True, fm=False, deep=False),
                                   dict(linear=True, crosses=False, fm=True, deep=False),
                                   dict(linear=True, crosses=True, fm=False, deep=True),
                                   dict(linear=True, crosses=False, fm=True, deep=True)])
def test_click_net_by_users_and_items_equals_the_formula_by_rows(people, parts):
    """The network splits every sum into a user part and an item part; by rows, with the pairs'
    feature lists, the models' formulas must give the same logits."""
    fields = click_fields(people)
    torch.manual_seed(0)
    net = ClickNet(fields, k=3, hidden=(5,), **parts)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
        if parts["fm"] or parts["deep"]:
            net.vectors.weight[0] = 0
        net.linear.weight[0] = 0
    u, i = np.array([0, 0, 5, 9, 9]), np.array([1, 2, 2, 30, 1])
    index, value, cross, cross_value = (torch.as_tensor(a) for a in fields.pairs(u, i, crosses=True))
    with torch.no_grad():
        expected = net.bias + (net.linear.weight[index][..., 0] * value).sum(dim=1)
        if parts["crosses"]:
            table = torch.cat([net.by_gender.weight.flatten(), net.by_occupation.weight.flatten()])
            expected = expected + (table[cross] * cross_value).sum(dim=1)
        if parts["fm"]:
            expected = expected + fm_pairwise(net.vectors.weight[index], value)
        if parts["deep"]:
            v = net.vectors.weight[index] * value[..., None]
            pooled = [v[:, [c for c, f in enumerate(fields.column_field) if f == name]].sum(dim=1)
                      / value[:, [c for c, f in enumerate(fields.column_field) if f == name]].sum(dim=1, keepdim=True)
                      for name in fields.fields]
            expected = expected + net.mlp(torch.cat(pooled, dim=1))[:, 0]
        assert torch.allclose(net(torch.as_tensor(u), torch.as_tensor(i)), expected, atol=1e-5)


@pytest.mark.parametrize("cls", [LogisticRegression, FactorizationMachine, WideAndDeep, DeepFM])
def test_click_models_learn_reproduce_and_give_probabilities(people, split, cls):
    fields = click_fields(people)
    a = cls(fields=fields, epochs=8, patience=8, batch_size=64, seed=2).fit(split.train)
    b = cls(fields=fields, epochs=8, patience=8, batch_size=64, seed=2).fit(split.train)
    losses = [h["train_loss"] for h in a.history_]
    assert losses[-1] < losses[0]
    test = split.test.ratings
    p = a.predict_proba(test["user"].to_numpy(), test["item"].to_numpy())
    assert ((p > 0) & (p < 1)).all() and np.array_equal(p, b.predict_proba(test["user"].to_numpy(), test["item"].to_numpy()))
    assert np.allclose(1 / (1 + np.exp(-a.score([2])[0, test["item"].to_numpy()[:3]])),
                       a.predict_proba(np.full(3, 2), test["item"].to_numpy()[:3]))


def test_logistic_regression_with_sklearns_weights_gives_sklearns_probabilities(people, split):
    """scikit-learn fits a logistic regression on the same one-hot features; copied into our
    model, its weights must give the same logits and probabilities on the test pairs."""
    from sklearn.linear_model import LogisticRegression as Reference

    fields = click_fields(people)

    def one_hot(ratings):
        index, value = fields.pairs(ratings["user"].to_numpy(), ratings["item"].to_numpy())
        rows = np.repeat(np.arange(len(ratings)), index.shape[1])
        return sp.csr_matrix((value.ravel(), (rows, index.ravel())), shape=(len(ratings), fields.n_features))

    r, test = split.train.ratings, split.test.ratings
    reference = Reference(C=0.5, max_iter=2000).fit(one_hot(r), r["rating"] >= 4)
    ours = LogisticRegression(fields=fields, epochs=1).fit(split.train)
    with torch.no_grad():
        ours.network_.linear.weight[:, 0] = torch.as_tensor(reference.coef_[0], dtype=torch.float32)
        ours.network_.bias.fill_(float(reference.intercept_[0]))
    p = ours.predict_proba(test["user"].to_numpy(), test["item"].to_numpy())
    assert np.allclose(p, reference.predict_proba(one_hot(test))[:, 1], atol=1e-5)
    logits = ours.score(np.arange(people.n_users))[test["user"].to_numpy(), test["item"].to_numpy()]
    assert np.allclose(logits, reference.decision_function(one_hot(test)), atol=1e-4)


def test_click_models_refuse_labels_of_one_kind(people):
    liked = Dataset(people.ratings.assign(rating=5.0), people.users, people.items)
    with pytest.raises(ValueError, match="every training rating is at or above threshold=4.0"):
        LogisticRegression(fields=click_fields(people)).fit(liked)


# ---- DSSM, DSPR, MV-DNN -----------------------------------------------------------------------
def test_dssm_loss_by_hand():
    u = torch.tensor([[1.0, 0.0]])
    items = torch.tensor([[[1.0, 1.0], [0.0, 1.0], [-1.0, 0.0]]])
    cos = np.array([1 / np.sqrt(2), 0.0, -1.0])
    by_hand = -np.log(np.exp(10 * cos[0]) / np.exp(10 * cos).sum())
    assert np.isclose(dssm_loss(u, items, 10.0).item(), by_hand, atol=1e-6)


def test_dssm_scores_are_cosines_learns_and_reproduces(split):
    tags = (np.random.default_rng(0).random((split.train.n_items, 5)) < 0.5).astype(float)
    a = DSSM(features=tags, epochs=6, patience=6, hidden=(16, 8), seed=1).fit(split.train)
    b = DSSM(features=tags, epochs=6, patience=6, hidden=(16, 8), seed=1).fit(split.train)
    users, items = a.vectors()
    assert np.allclose(np.linalg.norm(users, axis=1), 1) and np.allclose(np.linalg.norm(items, axis=1), 1)
    assert np.allclose(a.score([3]), users[[3]] @ items.T) and np.abs(a.score([3])).max() <= 1 + 1e-6
    assert a.history_[-1]["train_loss"] < a.history_[0]["train_loss"]
    assert np.array_equal(a.score([0, 1]), b.score([0, 1]))


def test_dspr_scores_a_film_nobody_rated_from_its_tags(split):
    train = split.train
    r = train.ratings[train.ratings["item"] != 7]            # film 7 leaves training
    cold = Dataset(r, train.users, train.items)
    tags = (np.random.default_rng(0).random((train.n_items, 5)) < 0.5).astype(float)
    tags[7] = tags[3]                                         # ... and looks exactly like film 3
    model = DSSM(features=tags, use_ids=False, epochs=4, hidden=(16, 8)).fit(cold)
    scores = model.score(np.arange(10))
    assert np.allclose(scores[:, 7], scores[:, 3])           # same tags, same score: no id needed
    with_ids = DSSM(features=tags, use_ids=True, epochs=4, hidden=(16, 8)).fit(cold)
    assert not np.allclose(with_ids.score(np.arange(10))[:, 7], with_ids.score(np.arange(10))[:, 3])


def test_mv_dnn_has_one_item_tower_per_domain_and_shares_the_user_tower(split):
    tags = (np.random.default_rng(0).random((split.train.n_items, 5)) < 0.5).astype(float)
    domains = np.arange(split.train.n_items) % 2
    model = DSSM(features=tags, domains=domains, epochs=3, hidden=(16, 8)).fit(split.train)
    assert len(model.network_.item_towers) == 2
    with torch.no_grad():
        x = torch.cat([model.network_.item_tags, model.network_.item_id.weight], dim=1)
        by_tower = [model.network_.item_towers[d](x[domains == d]) for d in (0, 1)]
    _, items = model.vectors()
    for d in (0, 1):
        assert np.allclose(items[domains == d], torch.nn.functional.normalize(by_tower[d], dim=1).numpy(), atol=1e-6)


# ---- click-through evaluation ------------------------------------------------------------------
def test_log_loss_matches_scikit_learn():
    from sklearn.metrics import log_loss as reference

    from recsys_lite.metrics import log_loss
    y, p = np.array([1, 0, 1, 1, 0]), np.array([0.9, 0.2, 0.6, 0.4, 0.5])
    assert np.isclose(log_loss(y, p), reference(y, p))
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        log_loss(y, np.array([1.0, 0.2, 0.6, 0.4, 0.5]))


def test_click_metrics_auc_and_its_user_bootstrap(people, split):
    from sklearn.metrics import roc_auc_score

    from recsys_lite.evaluation import _ranks, _weighted_auc, click_metrics
    fields = click_fields(people)
    models = {"lr": LogisticRegression(fields=fields, epochs=3).fit(split.train),
              "fm": FactorizationMachine(fields=fields, epochs=3).fit(split.train)}
    table = click_metrics(models, split, reference="lr", n_resamples=200)
    test = split.test.ratings
    y = (test["rating"] >= 4).to_numpy().astype(int)
    for name, model in models.items():
        p = model.predict_proba(test["user"].to_numpy(), test["item"].to_numpy())
        assert np.isclose(table.loc[name, "auc"], roc_auc_score(y, p))
    assert table.loc["lr", "auc_diff"] == 0 and table.loc["lr", "auc_diff_low"] == table.loc["lr", "auc_diff_high"] == 0
    assert table.loc["fm", "auc_diff_low"] <= table.loc["fm", "auc_diff"] <= table.loc["fm", "auc_diff_high"]
    # a resample's AUC counts each pair as often as its user was drawn: scikit-learn's sample weights
    rng = np.random.default_rng(0)
    scores, weights = rng.integers(0, 9, 300).astype(float), rng.integers(0, 3, 300)
    labels = rng.integers(0, 2, 300)
    assert np.isclose(_weighted_auc(_ranks(scores), labels, weights), roc_auc_score(labels, scores, sample_weight=weights))
