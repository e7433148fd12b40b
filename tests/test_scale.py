"""Chapter 10's library: the Spark-like configurations of the book's ALS models, Spark itself
(conversion, ALS, its top-k lists and ranking metrics) and the FAISS index wrapper."""
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recsys_lite import metrics as M
from recsys_lite.ann import ItemIndex, mips_vectors, overlap_at_k, synthetic_catalogue
from recsys_lite.data import Dataset, simulate_world
from recsys_lite.models import BiasedMF, ImplicitMF
from recsys_lite.split import random_split

WORLD, _ = simulate_world(n_users=60, n_items=40, density=0.3, seed=3)


# ---- the book's ALS configured like Spark's ----------------------------------------------------
def test_count_scaled_penalty_is_the_weighted_lambda_ridge_step():
    """After one epoch without biases, each user's factor is the ridge solution with λ n_u."""
    f, reg = 3, 0.4
    model = BiasedMF(embedding_size=f, reg=reg, epochs=1, seed=5, biases=False, reg_scaling="count").fit(WORLD)
    rng = np.random.default_rng(5)
    rng.normal(0, 0.1, (WORLD.n_users, f))
    q = rng.normal(0, 0.1, (WORLD.n_items, f))
    r = WORLD.ratings
    for u in (0, 7, 31):
        mine = r[r["user"] == u]
        qu = q[mine["item"].to_numpy()]
        expected = np.linalg.solve(qu.T @ qu + reg * len(mine) * np.eye(f), qu.T @ mine["rating"].to_numpy())
        assert np.allclose(model.user_factors_[u], expected)
    assert model.global_mean_ == 0 and not model.user_bias_.any() and not model.item_bias_.any()
    plain = BiasedMF(embedding_size=f, reg=reg, epochs=1, seed=5, biases=False).fit(WORLD)
    assert not np.allclose(plain.user_factors_, model.user_factors_)      # the scaling changes the answer


def test_no_biases_predicts_the_plain_dot_product():
    model = BiasedMF(embedding_size=2, epochs=3, biases=False).fit(WORLD)
    users, items = np.array([0, 5, 9]), np.array([1, 2, 3])
    raw = (model.user_factors_[users] * model.item_factors_[items]).sum(axis=1)
    assert np.allclose(model.predict(users, items), np.clip(raw, 1, 5))


def test_implicit_count_scaling_exact_and_cg_agree_and_differ_from_plain():
    f = 4
    exact = ImplicitMF(embedding_size=f, reg=0.5, epochs=3, reg_scaling="count").fit(WORLD)
    cg = ImplicitMF(embedding_size=f, reg=0.5, epochs=3, reg_scaling="count", solver="cg", cg_steps=f).fit(WORLD)
    assert np.allclose(exact.user_factors_, cg.user_factors_, rtol=1e-4, atol=1e-5)     # CG runs in float32
    plain = ImplicitMF(embedding_size=f, reg=0.5, epochs=3).fit(WORLD)
    assert not np.allclose(plain.user_factors_, exact.user_factors_)
    # one user's half-step by hand: (YᵀY + Yᵀ(C_u − I)Y + λ n_u I) x_u = Yᵀ C_u p_u, with α = 5
    one = ImplicitMF(embedding_size=f, reg=0.5, epochs=1, reg_scaling="count", seed=2).fit(WORLD)
    rng = np.random.default_rng(2)
    rng.normal(0, 0.1, (WORLD.n_users, f))
    y = rng.normal(0, 0.1, (WORLD.n_items, f))
    items = WORLD.ratings.loc[WORLD.ratings["user"] == 4, "item"].to_numpy()
    c = np.ones(WORLD.n_items)
    c[items] += 5.0
    p = np.zeros(WORLD.n_items)
    p[items] = 1
    a = (y.T * c) @ y + 0.5 * len(items) * np.eye(f)
    x4 = np.linalg.solve(a, (y.T * c) @ p)
    # x_4 after the epoch used y from the start; the item step then moved y, so compare x only
    assert np.allclose(one.user_factors_[4], x4)


# ---- FAISS --------------------------------------------------------------------------------------
RNG = np.random.default_rng(0)
ITEMS = RNG.normal(size=(300, 6)).astype(np.float32)
QUERIES = RNG.normal(size=(25, 6)).astype(np.float32)


def brute_force(queries, items, k):
    scores = queries.astype(float) @ items.astype(float).T
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def test_exact_index_is_brute_force_search():
    ids, scores = ItemIndex("exact").build(ITEMS).search(QUERIES, 5)
    assert np.array_equal(ids, brute_force(QUERIES, ITEMS, 5))
    assert np.allclose(scores, np.take_along_axis(QUERIES @ ITEMS.T, ids, axis=1), atol=1e-5)


def test_ivf_searching_every_cell_is_exact_and_fewer_cells_can_miss():
    exact = brute_force(QUERIES, ITEMS, 10)
    full, _ = ItemIndex("ivf", lists=8, probes=8).build(ITEMS).search(QUERIES, 10)
    assert overlap_at_k(full, exact) == 1.0
    one, _ = ItemIndex("ivf", lists=8, probes=1).build(ITEMS).search(QUERIES, 10)
    assert overlap_at_k(one, exact) < 1.0


def test_hnsw_finds_the_top_items_of_a_small_catalogue():
    ids, _ = ItemIndex("hnsw", links=8, breadth=300).build(ITEMS).search(QUERIES, 10)
    assert overlap_at_k(ids, brute_force(QUERIES, ITEMS, 10)) >= 0.98
    again, _ = ItemIndex("hnsw", links=8, breadth=300).build(ITEMS).search(QUERIES, 10)
    assert np.array_equal(ids, again)


def test_index_threads_apply_to_its_own_calls_only():
    import faiss
    before = faiss.omp_get_max_threads()
    seen = []
    index = ItemIndex("exact", threads=1)
    original = index._build
    index._build = lambda *a: (seen.append(faiss.omp_get_max_threads()), original(*a))
    index.build(ITEMS).search(QUERIES, 3)
    assert seen == [1]                                   # the build ran on one thread
    assert faiss.omp_get_max_threads() == before         # and FAISS's setting is as it was


def test_mips_vectors_fold_the_item_bias_into_the_inner_product():
    users, items = RNG.normal(size=(4, 3)), RNG.normal(size=(7, 3))
    bias = RNG.normal(size=7)
    q, v = mips_vectors(users, items, bias)
    assert q.shape == (4, 4) and v.shape == (7, 4)
    assert np.allclose(q @ v.T, users @ items.T + bias, atol=1e-5)
    same_q, same_v = mips_vectors(users, items)
    assert np.allclose(same_q @ same_v.T, users @ items.T, atol=1e-5)


def test_overlap_at_k_by_hand():
    exact = np.array([[1, 2, 3], [4, 5, 6]])
    found = np.array([[3, 2, 9], [-1, -1, -1]])       # 2 of 3, then nothing found
    assert overlap_at_k(found, exact) == pytest.approx((2 / 3 + 0) / 2)
    assert overlap_at_k(exact[:, ::-1], exact) == 1.0    # order inside the list does not count


def test_synthetic_catalogue_has_the_moments_of_the_vectors():
    base = RNG.multivariate_normal([1.0, -2.0, 0.5], [[1, 0.5, 0], [0.5, 2, 0], [0, 0, 0.3]], size=400)
    drawn = synthetic_catalogue(base, 20_000, seed=1)
    assert drawn.shape == (20_000, 3) and drawn.dtype == np.float32
    assert np.allclose(drawn.mean(axis=0), base.mean(axis=0), atol=0.05)
    assert np.allclose(np.cov(drawn, rowvar=False), np.cov(base, rowvar=False), atol=0.08)
    assert np.array_equal(drawn, synthetic_catalogue(base, 20_000, seed=1))


# ---- Spark ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spark():
    from recsys_lite.spark import spark_session
    session = spark_session(cores=2)
    yield session
    session.stop()


def test_spark_runs_on_the_pinned_java(spark):
    from recsys_lite.spark import java_home
    home = spark.sparkContext._jvm.java.lang.System.getProperty("java.home")
    assert home.startswith(str(java_home()))
    assert "-Xss16m" in spark.sparkContext.getConf().get("spark.driver.extraJavaOptions")


def test_dataset_to_spark_and_back_keeps_every_id(spark):
    from recsys_lite.spark import from_spark, to_spark
    frame = to_spark(spark, WORLD)
    assert dict(frame.dtypes) == {"user": "int", "item": "int", "rating": "double", "timestamp": "bigint"}
    back = from_spark(frame, WORLD)
    key = ["user", "item"]
    mine = WORLD.ratings.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(back.ratings[list(mine.columns)], mine, check_dtype=False)
    assert back.users is WORLD.users and back.items is WORLD.items
    assert back.item_titles([0, 1]) == WORLD.item_titles([0, 1])
    empty = WORLD.with_ratings(WORLD.ratings.iloc[:0])
    assert to_spark(spark, empty).count() == 0


def test_from_spark_refuses_unknown_ids_and_missing_columns(spark):
    from recsys_lite.spark import from_spark, to_spark
    frame = to_spark(spark, WORLD)
    with pytest.raises(ValueError, match="missing the columns"):
        from_spark(frame.drop("timestamp"), WORLD)
    small = Dataset(WORLD.ratings[WORLD.ratings["user"] < 10], WORLD.users.iloc[:10], WORLD.items)
    with pytest.raises(ValueError, match="ids outside"):
        from_spark(frame, small)
    with pytest.raises(TypeError, match="Spark DataFrame"):
        from_spark(WORLD.ratings, WORLD)
    with pytest.raises(TypeError, match="SparkSession"):
        to_spark("local", WORLD)


def test_spark_als_matches_the_book_als_configured_alike(spark):
    from recsys_lite.spark import SparkALS
    split = random_split(WORLD, test_size=0.2, seed=0)
    theirs = SparkALS(spark=spark, embedding_size=3, reg=0.1, epochs=10).fit(split.train)
    ours = BiasedMF(embedding_size=3, reg=0.1, epochs=10, biases=False, reg_scaling="count").fit(split.train)
    t = split.test.ratings
    a = M.rmse(t["rating"], theirs.predict(t["user"], t["item"]))
    b = M.rmse(t["rating"], ours.predict(t["user"], t["item"]))
    assert abs(a - b) < 0.05, (a, b)
    # Spark's training objective: the reported factors must be a fixed point of the weighted-λ step
    ratings = split.train.ratings
    u = int(ratings["user"].iloc[0])
    mine = ratings[ratings["user"] == u]
    q = theirs.item_factors_[mine["item"].to_numpy()]
    step = np.linalg.solve(q.T @ q + 0.1 * len(mine) * np.eye(3), q.T @ mine["rating"].to_numpy())
    assert np.allclose(step, theirs.user_factors_[u], atol=1e-4)


def test_spark_top_k_lists_are_the_book_ranking_of_its_factors(spark):
    from recsys_lite.spark import SparkALS, spark_top_k
    model = SparkALS(spark=spark, embedding_size=4, reg=0.5, alpha=5.0, implicit=True, epochs=5).fit(WORLD)
    theirs = spark_top_k(model, 5)
    ours = model.recommend(k=5).items
    assert (theirs == ours).mean() > 0.99        # float32 inside Spark may swap a near tie
    seen = WORLD.to_csr(binary=True)
    rows = np.repeat(np.arange(WORLD.n_users), 5)
    assert not np.asarray(seen[rows, theirs.ravel()]).any()
    with pytest.raises(NotImplementedError, match="does not estimate"):
        model.predict([0], [0])
    r = WORLD.ratings["rating"]
    assert model.rating_range_ == (r.min(), r.max())     # the ratings given, not the 1s sent to Spark


def test_spark_ranking_metrics_by_hand(spark):
    """Spark divides precision@k by k even for a short list and MAP (no cut-off) by |relevant|."""
    from recsys_lite.spark import spark_ranking_metrics
    top = np.array([[1, 2, 3], [4, -1, -1]])
    relevant = sp.csr_matrix(np.array([[0, 1, 0, 1, 0, 1, 1], [0, 0, 0, 0, 1, 0, 0]]))
    got = spark_ranking_metrics(spark, top, relevant, 3)
    assert got["precision"] == pytest.approx((2 / 3 + 1 / 3) / 2)
    # user 0: hits at ranks 1 and 3 -> AP@3 = (1/1 + 2/3) / min(4, 3); AP = (1 + 2/3) / 4; user 1: 1
    assert got["map@k"] == pytest.approx(((1 + 2 / 3) / 3 + 1) / 2)
    assert got["map"] == pytest.approx(((1 + 2 / 3) / 4 + 1) / 2)
    dcg0 = 1 + 1 / np.log2(4)
    assert got["ndcg"] == pytest.approx((dcg0 / (1 + 1 / np.log2(3) + 1 / np.log2(4)) + 1) / 2)
    book = M.ranking_metrics(top, relevant, 3)
    assert np.mean(book["ndcg"]) == pytest.approx(got["ndcg"])
    assert np.mean(book["precision"]) == pytest.approx(got["precision"])
    with pytest.raises(ValueError, match="one row per list"):
        spark_ranking_metrics(spark, top, relevant[:1], 3)
