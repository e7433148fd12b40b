"""Chapter 8's pictures: the synthetic poster generator (deterministic, driven by genres and
studios) and the CNN factor model trained on them."""
import numpy as np
import pandas as pd
import pytest
import torch

from recsys_lite.data import Dataset, simulate_world
from recsys_lite.data.posters import MOTIFS, genre_colour, render_posters
from recsys_lite.models.visual import PosterCNN, VisualBPR
from recsys_lite.split import random_split


def films(genres, n_users=20, seed=0):
    """A small dataset whose items have the given genre tuples, with random ratings."""
    rng = np.random.default_rng(seed)
    n = len(genres)
    pairs = np.array([(u, i) for u in range(n_users) for i in range(n) if rng.random() < 0.5])
    ratings = pd.DataFrame({"user": pairs[:, 0], "item": pairs[:, 1], "rating": rng.integers(1, 6, len(pairs)).astype(float),
                            "timestamp": np.arange(len(pairs))})
    items = pd.DataFrame({"item_id": np.arange(1, n + 1), "title": [f"film {i}" for i in range(n)], "genres": genres})
    return Dataset(ratings, pd.DataFrame({"user_id": np.arange(1, n_users + 1)}), items)


def test_posters_are_deterministic_in_range_and_shaped_for_torch():
    data = films([("Drama",), ("Comedy", "Romance"), ("Horror",)])
    a, b = render_posters(data, seed=1), render_posters(data, seed=1)
    assert a.shape == (3, 3, 32, 32) and a.dtype == np.float32
    assert np.array_equal(a, b) and 0 <= a.min() and a.max() <= 1
    assert not np.array_equal(a, render_posters(data, seed=2))
    assert render_posters(data, size=24).shape == (3, 3, 24, 24)


def test_a_posters_colours_come_from_its_genres():
    data = films([("Horror",)] * 20 + [("Comedy",)] * 20)
    p = render_posters(data, noise=0.0)
    for genre, rows in (("Horror", slice(0, 20)), ("Comedy", slice(20, 40))):
        colour = genre_colour(["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
                               "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror"].index(genre))
        pixels = p[rows].transpose(0, 2, 3, 1).reshape(-1, 3)
        share = np.isclose(pixels, colour, atol=1e-6).all(axis=1).mean()
        assert share > 0.02, genre                  # the motif is painted in the genre's own colour
    horror, comedy = p[:20].mean(axis=(0, 2, 3)), p[20:].mean(axis=(0, 2, 3))
    assert np.abs(horror - comedy).max() > 0.05     # and the two genres look different on average
    assert len(MOTIFS) == 9


def test_every_genre_of_a_film_stays_visible():
    trio = ("Action", "Comedy", "Horror")
    p = render_posters(films([trio] * 12), noise=0.0)
    index = {"Action": 1, "Comedy": 5, "Horror": 11}
    for poster in p:
        pixels = poster.transpose(1, 2, 0).reshape(-1, 3)
        for genre in trio:                           # no motif hides another: each colour covers 10+ pixels
            assert np.isclose(pixels, genre_colour(index[genre]), atol=1e-6).all(axis=1).sum() >= 10, genre


def test_studio_borders_follow_the_knowledge_graph():
    data = films([("Drama",)] * 4)
    facts = pd.DataFrame({"item": [0, 1, 1, 2], "relation": ["company", "company", "director", "company"],
                          "entity": ["m.studio", "m.studio", "m.someone", "m.small"]})
    p = render_posters(data, knowledge=facts, noise=0.0, min_studio_films=2)
    assert np.array_equal(p[0, :, 0, :], p[1, :, 0, :])           # same company, same border
    plain = render_posters(data, noise=0.0, min_studio_films=2)
    assert not np.allclose(p[0, :, 0, 5:27], plain[0, :, 0, 5:27])  # a border where the studio has 2 films
    for film in (2, 3):                                            # a one-film company, or none: no border
        assert np.allclose(p[film, :, 0, 5:27], plain[film, :, 0, 5:27])


def test_poster_cnn_shapes():
    net = PosterCNN(16)
    x = torch.rand(5, 3, 32, 32)
    maps = net.feature_maps(x)
    assert [tuple(m.shape) for m in maps] == [(5, 8, 16, 16), (5, 16, 8, 8), (5, 32, 4, 4)]
    assert net(x).shape == (5, 16)


@pytest.mark.parametrize("identity", [False, True])
def test_visual_bpr_learns_reproduces_and_scores_through_the_cnn(identity):
    data, _ = simulate_world(n_users=40, n_items=25, density=0.3, seed=2)
    data = Dataset(data.ratings, data.users, data.items.assign(genres=[("Drama",), ("Comedy",)] * 12 + [("War",)]))
    split = random_split(data, seed=0)
    posters = render_posters(data, size=16)
    kw = dict(images=posters, embedding_size=4, identity=identity, epochs=8, patience=8, batch_size=128, seed=1)
    a, b = VisualBPR(**kw).fit(split.train), VisualBPR(**kw).fit(split.train)
    assert np.array_equal(a.score([0, 1]), b.score([0, 1]))
    assert a.history_[-1]["train_loss"] < a.history_[0]["train_loss"]
    if not identity:
        with torch.no_grad():
            phi = a.network_.cnn(torch.as_tensor(posters)).numpy()
        assert np.allclose(a.score([3])[0], a.network_.theta[3].detach().numpy() @ phi.T, atol=1e-5)
