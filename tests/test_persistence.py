"""Every model saves and loads, and the loaded model recommends exactly what the saved one did."""
import numpy as np
import pytest
import torch

from recsys_lite.models import (BiasBaseline, BiasedMF, ImplicitMF, ItemKNN, NotFittedError, Popularity,
                                Recommender, UserKNN)
from recsys_lite.models.two_tower import TwoTower
from recsys_lite.split import random_split

MODELS = [Popularity(), BiasBaseline(), UserKNN(k=5), ItemKNN(k=5, ranking="similarity"), BiasedMF(epochs=3),
          ImplicitMF(epochs=3), TwoTower(epochs=2, embedding_size=4, hidden_size=8),
          TwoTower(loss="bpr", epochs=2, embedding_size=4, hidden_size=8)]


@pytest.fixture(scope="module")
def split(world):
    return random_split(world[0], seed=0)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: f"{type(m).__name__}-{getattr(m, 'loss', '')}")
def test_round_trip(model, split, tmp_path):
    model.fit(split.train)
    path = model.save(tmp_path / "model.bin")
    loaded = type(model).load(path)
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    before, after = model.recommend(k=10), loaded.recommend(k=10)
    np.testing.assert_array_equal(after.items, before.items)
    np.testing.assert_allclose(after.scores, before.scores)
    t = split.test.ratings
    try:
        expected = model.predict(t["user"], t["item"])
    except NotImplementedError:
        return
    np.testing.assert_allclose(loaded.predict(t["user"], t["item"]), expected)


def test_two_tower_is_saved_as_weights_only(split, tmp_path):
    model = TwoTower(epochs=2, embedding_size=4, hidden_size=8).fit(split.train)
    path = model.save(tmp_path / "tower.pt")
    payload = torch.load(path, weights_only=True)          # no pickled code is needed to read it
    assert payload["format"] == "recsys_lite.TwoTower/1" and "item_id.weight" in payload["state_dict"]
    import pickle
    again = pickle.loads(pickle.dumps(model))                # and it pickles, like every model
    np.testing.assert_allclose(again.score([0]), model.score([0]))


def test_loading_weights_into_a_fitted_tower_changes_its_scores(split):
    a = TwoTower(epochs=2, embedding_size=4, hidden_size=8, seed=0).fit(split.train)
    b = TwoTower(epochs=2, embedding_size=4, hidden_size=8, seed=1).fit(split.train)
    assert not np.allclose(a.score([0, 1]), b.score([0, 1]))
    a.network_.load_state_dict(b.network_.state_dict())
    np.testing.assert_allclose(a.score([0, 1]), b.score([0, 1]), rtol=1e-6)
    np.testing.assert_allclose(a.item_embeddings_, b.item_embeddings_)


def test_save_and_load_errors(split, tmp_path):
    with pytest.raises(NotFittedError):
        BiasBaseline().save(tmp_path / "x")
    Popularity().fit(split.train).save(tmp_path / "pop.pkl")
    with pytest.raises(TypeError, match="holds a Popularity, not a BiasBaseline"):
        BiasBaseline.load(tmp_path / "pop.pkl")
    assert isinstance(Recommender.load(tmp_path / "pop.pkl"), Popularity)
    torch.save({"format": "something else"}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a TwoTower saved by recsys_lite"):
        TwoTower.load(tmp_path / "other.pt")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []   # no temporary files left
