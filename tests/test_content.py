"""Chapter 4's library: the knowledge-graph fetch and reader, item profiles, content similarity,
the content models, cold items and candidate ranking."""
import hashlib
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.spatial.distance import cdist
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge
from sklearn.metrics.pairwise import cosine_similarity, euclidean_distances

from recsys_lite.data import (DataError, Dataset, ItemFeatures, RELATIONS, item_features, load_knowledge_graph,
                              movielens, relation_coverage)
from recsys_lite.data.knowledge_graph import read_knowledge_graph
from recsys_lite.data.movielens import fetch_knowledge_graph, fetch_movielens_100k, sha256_file
from recsys_lite.evaluation import evaluate
from recsys_lite.models import (ContentKNN, ContentProfile, FeatureCrossModel, Popularity, RandomRanking,
                                UserClassifier)
from recsys_lite.models.content import user_features
from recsys_lite.similarity import profile_similarity
from recsys_lite.split import cold_items, random_split

# ---- the fetch, on a fake wheel ---------------------------------------------------------------
RATINGS_FILES = {
    "ml-100k.inter": b"user_id:token\titem_id:token\trating:float\ttimestamp:float\n1\t1\t5\t100\n2\t2\t3\t200\n",
    "ml-100k.item": b"item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n1\tA Film\t1990\tDrama\n"
                    b"2\tB Film\t1995\tComedy\n",
    "ml-100k.user": b"user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n1\t20\tF\tother\t00000\n"
                    b"2\t30\tM\tother\t00001\n"}
KNOWLEDGE_FILES = {
    "ml-100k.kg": b"head_id:token\trelation_id:token\ttail_id:token\nm.a\tfilm.film.actor\tm.x\nm.b\tfilm.film.actor\tm.x\n"
                  b"m.a\tfilm.film.directed_by\tm.d\nm.d\tfilm.director.film\tm.a\nm.z\tfilm.film.actor\tm.y\n",
    "ml-100k.link": b"item_id:token\tentity_id:token\n1\tm.a\n2\tm.b\n9\tm.z\n"}


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """A wheel holding the five files, checksums made to match, and a counting download."""
    wheel = tmp_path / "src" / "recbole-1.2.1-py3-none-any.whl"
    wheel.parent.mkdir()
    with zipfile.ZipFile(wheel, "w") as z:
        for name, data in {**RATINGS_FILES, **KNOWLEDGE_FILES}.items():
            z.writestr(movielens.WHEEL_MEMBER_DIR + name, data)
    monkeypatch.setattr(movielens, "WHEEL_SHA256", sha256_file(wheel))
    monkeypatch.setattr(movielens, "ATOMIC_SHA256", {n: hashlib.sha256(d).hexdigest() for n, d in RATINGS_FILES.items()})
    monkeypatch.setattr(movielens, "KNOWLEDGE_SHA256", {n: hashlib.sha256(d).hexdigest() for n, d in KNOWLEDGE_FILES.items()})
    import recsys_lite.data.knowledge_graph as kgmod
    monkeypatch.setattr(kgmod, "KNOWLEDGE_SHA256", movielens.KNOWLEDGE_SHA256)
    calls = []

    def download(dest):
        calls.append(dest)
        target = Path(dest) / wheel.name
        target.write_bytes(wheel.read_bytes())
        return target

    monkeypatch.setattr(movielens, "_download_wheel", download)
    return tmp_path / "cache", calls


def test_a_fresh_fetch_extracts_all_five_files(registry):
    cache, calls = registry
    folder = fetch_movielens_100k(cache)
    assert sorted(p.name for p in folder.iterdir()) == sorted([*RATINGS_FILES, *KNOWLEDGE_FILES])
    assert [p.name for p in cache.iterdir()] == ["ml-100k"] and len(calls) == 1
    fetch_movielens_100k(cache)
    fetch_knowledge_graph(cache)
    assert len(calls) == 1                                  # complete and verified: nothing fetched again


def test_an_old_cache_is_completed_not_refetched(registry):
    cache, calls = registry
    folder = cache / "ml-100k"
    folder.mkdir(parents=True)
    for name, data in RATINGS_FILES.items():                 # the cache as it was before chapter 4
        (folder / name).write_bytes(data)
    before = {name: (folder / name).stat().st_ino for name in RATINGS_FILES}
    assert fetch_movielens_100k(cache) == folder
    assert sorted(p.name for p in folder.iterdir()) == sorted([*RATINGS_FILES, *KNOWLEDGE_FILES])
    assert {name: (folder / name).stat().st_ino for name in RATINGS_FILES} == before   # the old files untouched
    assert [p.name for p in cache.iterdir()] == ["ml-100k"] and len(calls) == 1


def test_a_damaged_knowledge_file_is_replaced(registry):
    cache, calls = registry
    folder = fetch_movielens_100k(cache)
    (folder / "ml-100k.kg").write_bytes(b"garbage")
    fetch_knowledge_graph(cache)
    assert sha256_file(folder / "ml-100k.kg") == movielens.KNOWLEDGE_SHA256["ml-100k.kg"] and len(calls) == 2


def test_offline_an_old_cache_still_loads_its_ratings(registry, monkeypatch):
    cache, _ = registry
    folder = cache / "ml-100k"
    folder.mkdir(parents=True)
    for name, data in RATINGS_FILES.items():
        (folder / name).write_bytes(data)

    def offline(dest):
        raise DataError("pip could not download recbole==1.2.1")

    monkeypatch.setattr(movielens, "_download_wheel", offline)
    with pytest.warns(UserWarning, match="knowledge graph .* could not be added: pip could not download"):
        assert fetch_movielens_100k(cache) == folder
    assert movielens.read_atomic(folder).n_ratings == 2          # the ratings work without the graph
    data = movielens.read_atomic(folder)
    with pytest.raises(DataError, match="pip could not download"):
        load_knowledge_graph(data, cache)
    assert sorted(p.name for p in folder.iterdir()) == sorted(RATINGS_FILES)   # nothing half-written


def test_a_wheel_without_the_graph_is_refused(registry, monkeypatch):
    cache, _ = registry
    monkeypatch.setattr(movielens, "KNOWLEDGE_SHA256", {**movielens.KNOWLEDGE_SHA256, "ml-100k.kg": "0" * 64})
    with pytest.raises(DataError, match="ml-100k.kg from the wheel fails its sha256"):
        fetch_knowledge_graph(cache)
    assert list(cache.iterdir()) == []


def test_the_graph_maps_links_onto_items(registry):
    cache, _ = registry
    folder = fetch_movielens_100k(cache)
    data = movielens.read_atomic(folder)
    facts = load_knowledge_graph(data, cache)
    # film 1 -> m.a (actor m.x, director m.d); film 2 -> m.b (actor m.x); film 9 is not in the dataset;
    # the reverse relation film.director.film is not read twice
    assert facts.to_dict("list") == {"item": [0, 0, 1], "relation": ["actor", "director", "actor"],
                                     "entity": ["m.x", "m.d", "m.x"]}
    assert load_knowledge_graph(data, cache, relations=["director"])["entity"].tolist() == ["m.d"]
    cover = relation_coverage(facts, data.n_items)
    assert cover.loc["actor", "films"] == 2 and cover.loc["director", "share of films"] == 0.5
    with pytest.raises(ValueError, match=r"relations must be names from .* \(unknown: \['actors'\]\)"):
        load_knowledge_graph(data, cache, relations=["actors"])
    elsewhere = folder.parent / "elsewhere"
    elsewhere.mkdir()
    with pytest.raises(DataError, match="does not hold the verified knowledge-graph files"):
        read_knowledge_graph(elsewhere, data)


def test_the_real_graph(ml100k):
    facts = load_knowledge_graph(ml100k)
    assert facts["item"].nunique() == 1598 and len(facts) > 70_000
    assert set(facts["relation"]) == set(RELATIONS)
    assert not facts.duplicated().any()
    star_wars = ml100k.item_index([50])[0]
    assert facts[(facts["item"] == star_wars) & (facts["relation"] == "director")]["entity"].nunique() == 1


# ---- item profiles on a hand-made catalogue ------------------------------------------------------
ITEMS = pd.DataFrame({"item_id": [1, 2, 3, 4],
                      "title": ["Star Wars", "Star Trek", "The Piano", "Trek Home"],
                      "year": pd.array([1977, 1979, 1993, pd.NA], dtype="Int64"),
                      "genres": [("Action", "Sci-Fi"), ("Sci-Fi",), ("Drama", "Romance"), ("Drama",)]})
USERS = pd.DataFrame({"user_id": [1, 2, 3], "age": [20, 40, 60], "gender": ["F", "M", "F"],
                      "occupation": ["writer", "other", "writer"]})
RATINGS = pd.DataFrame({"user": [0, 0, 1, 1, 2, 2], "item": [0, 2, 1, 3, 0, 1], "rating": [5.0, 2.0, 4.0, 5.0, 4.0, 1.0],
                        "timestamp": range(6)})
TOY = Dataset(RATINGS, USERS, ITEMS)
FACTS = pd.DataFrame({"item": [0, 1, 1, 2, 0], "relation": ["actor"] * 4 + ["director"],
                      "entity": ["m.x", "m.x", "m.y", "m.y", "m.d"]})


def test_features_by_hand():
    f = item_features(TOY, ("genres", "year", "title", "actor", "director"), knowledge=FACTS, normalise=False)
    assert f.blocks == {"genres": (0, 19), "year": (19, 21), "title": (21, 23), "actor": (23, 25), "director": (25, 25)}
    g = f.select("genres")
    assert g.matrix[0, list(g.names).index("genres=Sci-Fi")] == 1 and g.matrix.sum() == 6
    year = f.select("year").matrix.toarray()
    assert list(f.select("year").names) == ["year=1970s", "year=1990s"]
    assert year.tolist() == [[1, 0], [1, 0], [0, 1], [0, 0]]            # no year: no decade
    title = f.select("title")
    expected = TfidfVectorizer(stop_words="english", min_df=2).fit(ITEMS["title"])
    assert list(title.names) == [f"title={w}" for w in expected.get_feature_names_out()] == ["title=star", "title=trek"]
    assert np.allclose(title.matrix.toarray(), expected.transform(ITEMS["title"]).toarray())
    actor = f.select("actor").matrix.toarray()                           # m.x in films 0, 1; m.y in 1, 2: idf log(4/2)
    assert np.allclose(actor, np.log(2) * np.array([[1, 0], [1, 1], [0, 1], [0, 0]]))
    assert f.select("director").n_features == 0                          # m.d is in one film only (min_films=2)
    unit = item_features(TOY, ("genres", "actor"), knowledge=FACTS)
    norms = [sp.linalg.norm(unit.select(b).matrix[1]) for b in ("genres", "actor")]
    assert np.allclose(norms, 1.0)                                       # every block a unit vector per film
    assert list(unit.empty_items()) == [] and item_features(TOY, "actor", knowledge=FACTS).empty_items().tolist() == [3]
    heavy = item_features(TOY, ("genres", "actor"), knowledge=FACTS, weights={"actor": 0.5})
    assert np.isclose(sp.linalg.norm(heavy.select("actor").matrix[1]), 0.5)


def test_features_refuse_what_they_cannot_build():
    with pytest.raises(ValueError, match=r"blocks must be names from .* \(unknown: \['actors'\]\)"):
        item_features(TOY, ("genres", "actors"))
    with pytest.raises(ValueError, match="come from the knowledge graph: pass knowledge="):
        item_features(TOY, ("genres", "actor"))
    with pytest.raises(ValueError, match="knowledge names items outside 0 .. 3"):
        item_features(TOY, "actor", knowledge=FACTS.assign(item=[0, 1, 1, 9, 0]))
    with pytest.raises(ValueError, match=r"weights names blocks that are not built: \['title'\]"):
        item_features(TOY, "genres", weights={"title": 2.0})
    with pytest.raises(ValueError, match=r"blocks must be names .* \(none given\)"):
        item_features(TOY, ())


# ---- the four content measures --------------------------------------------------------------------
def test_profile_similarity_by_hand():
    a, b, c = [1.0, 1.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0], [2.0, 2.0, 0.0, 0.0]
    x = np.array([a, b, c])
    assert np.isclose(profile_similarity(x, "cosine")[0, 1], 0.5)        # 1 / (√2 √2)
    assert np.isclose(profile_similarity(x, "cosine")[0, 2], 1.0)        # same direction
    assert np.isclose(profile_similarity(x, "euclidean")[0, 1], 1 / (1 + np.sqrt(2)))
    assert np.isclose(profile_similarity(x, "euclidean")[0, 2], 1 / (1 + np.sqrt(2)))   # longer, so farther
    assert np.isclose(profile_similarity(x, "jaccard")[0, 1], 1 / 3)     # {0,1} and {0,2}
    assert np.isclose(profile_similarity(x, "jaccard")[0, 2], 1.0)       # same features, weights ignored
    # Pearson over the 4 features: a - 0.5 = [.5, .5, -.5, -.5], b - 0.5 = [.5, -.5, .5, -.5] -> 0
    assert np.isclose(profile_similarity(x, "pearson")[0, 1], 0.0)


def test_profile_similarity_matches_independent_implementations():
    rng = np.random.default_rng(3)
    x = (rng.random((25, 15)) < 0.3) * rng.random((25, 15))
    x[:, 0] += 0.2                                                        # no empty row
    assert np.allclose(profile_similarity(sp.csr_matrix(x), "cosine"), cosine_similarity(x))
    assert np.allclose(profile_similarity(x, "euclidean"), 1 / (1 + euclidean_distances(x)))
    assert np.allclose(profile_similarity(x, "pearson"), np.corrcoef(x))
    assert np.allclose(profile_similarity(x, "jaccard"), 1 - cdist(x > 0, x > 0, "jaccard"))


def test_an_empty_profile_is_refused():
    with pytest.raises(ValueError, match=r"1 empty row\(s\) .* row\(s\) 1: the cosine similarity to an empty profile"):
        profile_similarity(np.array([[1.0, 0.0], [0.0, 0.0]]), "cosine")
    with pytest.raises(ValueError, match="measure must be one of"):
        profile_similarity(np.eye(2), "msd")


# ---- the models ------------------------------------------------------------------------------------
def test_content_knn_and_profile_by_hand():
    x = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    knn = ContentKNN(features=x, k=3).fit(TOY)
    sim = cosine_similarity(x)
    np.fill_diagonal(sim, 0)
    # user 0 liked item 0 only (item 2 got 2 stars): score(i) = s(i, 0)
    assert np.allclose(knn.score([0])[0], sim[:, 0])
    one = ContentKNN(features=x, k=1).fit(TOY).score([0])[0]
    assert one[3] == pytest.approx(1.0)              # item 3's one nearest is item 0 (cosine 1)
    assert one[1] == pytest.approx(np.sqrt(0.5))     # items 0, 2, 3 tie as item 1's nearest: all kept
    assert one[2] == 0                               # item 2's nearest is item 1, not the liked item 0
    prof = ContentProfile(features=x).fit(TOY)
    # user 1 liked items 1 (4 stars) and 3 (5 stars): profile (4 [1,1] + 5 [1,0]) / 9
    p = (4 * x[1] + 5 * x[3]) / 9
    assert np.allclose(prof.score([1])[0], cosine_similarity([p], x)[0])


def test_user_classifier_equals_ridge_per_user():
    rng = np.random.default_rng(0)
    x = rng.random((4, 3))
    for examples in ("all", "rated"):
        model = UserClassifier(features=x, reg=0.7, examples=examples).fit(TOY)
        for u in range(3):
            r = RATINGS[RATINGS["user"] == u]
            rows = np.arange(4) if examples == "all" else r["item"].to_numpy()
            y = np.isin(rows, r.loc[r["rating"] >= 4, "item"]).astype(float)
            ridge = Ridge(alpha=0.7).fit(x[rows], y)
            assert np.allclose(model.score([u])[0], ridge.predict(x)), (examples, u)


def test_feature_cross_model_equals_ridge_on_the_crosses():
    x = np.random.default_rng(1).random((4, 3))
    model = FeatureCrossModel(features=x, reg=0.3).fit(TOY)
    f, names = user_features(TOY)
    assert names[0] == "constant" and f.shape == (3, 1 + 2 + 7 + 2 + 19)
    assert np.allclose(f[1, -19:].sum(), 1.0)                          # genre shares of user 1's likes
    y = np.zeros((3, 4))
    y[[0, 1, 1, 2], [0, 1, 3, 0]] = 1                                   # ratings >= 4
    design = np.kron(f, x)                                              # row (u, i): f_u ⊗ x_i
    ridge = Ridge(alpha=0.3, fit_intercept=False).fit(design, y.ravel())
    assert np.allclose(model.score(np.arange(3)), ridge.predict(design).reshape(3, 4))


def test_content_models_score_items_nobody_rated():
    x = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    split = cold_items(random_split(TOY, test_size=0.34, seed=0), [3])
    assert (split.train.ratings["item"] != 3).all() and (split.test.ratings["item"] == 3).sum() == 1
    for model in (ContentKNN(features=x, k=2), ContentProfile(features=x), UserClassifier(features=x, reg=1.0)):
        model.fit(split.train)
        users = np.unique(split.train.ratings.loc[split.train.ratings["rating"] >= 4, "user"])
        assert (model.score(users)[:, 3] != 0).any(), type(model).__name__


def test_candidates_rank_only_those_items(world):
    world, _ = world
    split = random_split(world, seed=0)
    cold = np.arange(0, world.n_items, 4)
    split = cold_items(split, cold)
    model = Popularity().fit(split.train)
    recs = model.recommend(k=5, candidates=cold)
    assert np.isin(recs.items, cold).all()
    ev = evaluate(RandomRanking(seed=1).fit(split.train), split, candidates=cold, metrics=["ndcg", "auc"])
    assert "ranking of 20 candidate items only" in ev.protocol
    assert 0.4 < ev.summary["auc"] < 0.6                                # random among the candidates
    assert set(ev.per_user.index) == set(split.test.ratings.loc[split.test.ratings["item"].isin(cold), "user"])
    again = RandomRanking(seed=1).fit(split.train)
    assert np.array_equal(again.score([3, 1])[1], RandomRanking(seed=1).fit(split.train).score([1])[0])
    with pytest.raises(ValueError, match="candidates lists an item twice"):
        model.recommend(k=2, candidates=[0, 0, 4])
    with pytest.raises(ValueError, match=r"unknown candidate id\(s\) 999"):
        evaluate(model, split, candidates=[0, 999])
    with pytest.raises(ValueError, match="every item of the catalogue"):
        cold_items(split, np.arange(world.n_items))


def test_content_neighbours_table_and_widget():
    from recsys_lite.widgets import content_neighbour_explorer, content_neighbours
    x = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.1]])
    sims = {m: profile_similarity(x, m) for m in ("cosine", "jaccard")}
    table = content_neighbours(TOY, sims, 0, k=2)
    assert list(table.columns) == ["cosine", "jaccard"] and len(table) == 2
    assert table.loc[1, "cosine"].startswith("Trek Home (1.00)")      # item 3 points the same way as item 0
    assert "Star Wars" not in " ".join(table["cosine"])                 # never its own neighbour
    widget = content_neighbour_explorer(TOY, sims, item=0, k=2)
    film, measure = widget.children[0].children
    view = widget.children[1]
    assert "Trek Home" in view.value
    measure.value = "jaccard"
    film.value = 2
    assert "The Piano: its 2 nearest films by jaccard" in view.value
