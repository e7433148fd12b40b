"""Chapter 8's graph models: the normalised adjacency and LightGCN's propagation against a dense
computation, the NGCF-style layer, and the random-walk neighbourhoods of PinSage."""
import numpy as np
import pytest
import scipy.sparse as sp
import torch

from recsys_lite.data import simulate_world
from recsys_lite.models.graph import GraphCF, GraphNet, important_neighbours, normalised_adjacency, random_walk_visits
from recsys_lite.split import random_split

# 3 users x 3 items: user 0 - items 0, 1; user 1 - item 1; user 2 - items 1, 2
R = sp.csr_matrix(np.array([[1.0, 1, 0], [0, 1, 0], [0, 1, 1]]))


@pytest.fixture(scope="module")
def split():
    data, _ = simulate_world(n_users=50, n_items=30, density=0.3, seed=4)
    return random_split(data, seed=3)


def test_normalised_adjacency_by_hand():
    a = normalised_adjacency(R).toarray()
    dense = np.zeros((6, 6))
    dense[:3, 3:], dense[3:, :3] = R.toarray(), R.toarray().T
    d = dense.sum(1)
    assert np.allclose(a, dense / np.sqrt(np.outer(d, d)))
    # by hand: user 0 (degree 2) and item 1 (degree 3) share an edge: 1 / sqrt(2 * 3)
    assert a[0, 4] == pytest.approx(1 / np.sqrt(6))
    assert np.allclose(a, a.T)
    lonely = normalised_adjacency(sp.csr_matrix(np.array([[1.0, 0], [0, 0]]))).toarray()
    assert np.allclose(lonely[1], 0) and np.allclose(lonely[3], 0)         # no edges: a zero row, no NaN


def test_lightgcn_propagation_equals_the_dense_powers_of_the_adjacency():
    torch.manual_seed(0)
    net = GraphNet(6, 4, 3, "lightgcn")
    a = normalised_adjacency(R)
    e0 = net.embedding.detach().numpy()
    dense = a.toarray()
    expected = (e0 + dense @ e0 + dense @ dense @ e0 + dense @ dense @ dense @ e0) / 4
    with torch.no_grad():
        assert np.allclose(net(a, a.T.tocsr()).numpy(), expected, atol=1e-5)


def test_ngcf_layer_by_hand():
    torch.manual_seed(1)
    net = GraphNet(6, 4, 1, "ngcf")
    a = normalised_adjacency(R)
    e = net.embedding.detach()
    side = torch.as_tensor(a.toarray()) @ e
    layer = torch.nn.functional.leaky_relu(net.w1[0](side + e) + net.w2[0](side * e), 0.2)
    with torch.no_grad():
        assert torch.allclose(net(a, a.T.tocsr()), torch.cat([e, layer], dim=1), atol=1e-5)


@pytest.mark.parametrize("kind", ["lightgcn", "ngcf"])
def test_graph_models_learn_reproduce_and_score_by_dot_products(split, kind):
    a = GraphCF(kind=kind, embedding_size=8, layers=2, epochs=15, patience=15, batch_size=256, seed=1).fit(split.train)
    b = GraphCF(kind=kind, embedding_size=8, layers=2, epochs=15, patience=15, batch_size=256, seed=1).fit(split.train)
    assert a.history_[-1]["train_loss"] < a.history_[0]["train_loss"]
    assert np.array_equal(a.score([0, 3]), b.score([0, 3]))
    assert np.allclose(a.score([2])[0], a.user_factors_[2] @ a.item_factors_.T)
    width = 8 if kind == "lightgcn" else 8 * 3
    assert a.user_factors_.shape == (split.train.n_users, width)


def test_random_walks_only_reach_connected_items_and_are_seeded():
    counts = random_walk_visits(R, np.array([0, 2]), walks=100, length=2, seed=0)
    assert counts.shape == (2, 3) and (counts.sum(1) == 100 * 2).all()     # one visit per hop per walk
    again = random_walk_visits(R, np.array([0, 2]), walks=100, length=2, seed=0)
    assert np.array_equal(counts, again)
    # from item 0 the only rater is user 0, who rated items 0 and 1: the first hop lands on each half the time
    first = random_walk_visits(R, np.array([0]), walks=4000, length=1, seed=1)[0]
    assert first[2] == 0 and first[0] / 4000 == pytest.approx(0.5, abs=0.03)
    isolated = sp.csr_matrix(np.array([[1.0, 0.0], [1.0, 0.0]]))
    assert np.array_equal(random_walk_visits(isolated, np.array([1]), walks=5, length=3)[0], [0, 15])   # stays put


def test_important_neighbours_ranks_by_visits_without_the_item_itself(split):
    seen = split.train.to_csr()
    items, weights = important_neighbours(seen, 4, top=5, walks=300, seed=2)
    assert 4 not in items and len(items) <= 5
    assert np.isclose(weights.sum(), 1) and (np.diff(weights) <= 0).all()
    counts = random_walk_visits(seen, np.array([4]), walks=300, length=2, seed=2)[0]
    counts[4] = 0
    assert np.allclose(weights, counts[items] / counts[items].sum())
