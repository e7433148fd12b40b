"""How chapter 10 chooses Spark ALS's penalty: on validation data carved from the training data
(never the test set). Prints one table per choice; takes about two minutes on 2 cores.

    .venv/bin/python scripts/tune_scale.py

The book's split (seed 0) loses 20 % of its training ratings to validation (seed 1), as in
chapter 3. Spark's ``regParam`` for explicit ALS (rank 10, 15 iterations, as the book's biased MF
has 10 factors) by validation RMSE, and for implicit ALS (rank 32, α = 5, 15 iterations, as the
book's iALS) by validation NDCG@10 (full ranking, training items excluded). The book's own
models were tuned in chapter 3; their settings are the library's defaults.
"""
from __future__ import annotations

import pandas as pd

from recsys_lite import load_movielens_100k
from recsys_lite.evaluation import evaluate, evaluate_ratings
from recsys_lite.spark import SparkALS, spark_session
from recsys_lite.split import random_split


def main() -> None:
    data = load_movielens_100k()
    train = random_split(data, test_size=0.2, seed=0).train
    inner = random_split(train, test_size=0.2, seed=1)
    spark = spark_session()
    rows = []
    for reg in (0.05, 0.08, 0.1, 0.15, 0.2, 0.3):
        model = SparkALS(spark=spark, embedding_size=10, reg=reg, epochs=15).fit(inner.train)
        rows.append({"regParam": reg, "validation RMSE": evaluate_ratings(model, inner).summary["rmse"]})
    print("Spark ALS, explicit (rank 10):\n", pd.DataFrame(rows).round(4).to_string(index=False), "\n")
    rows = []
    for reg in (0.1, 0.25, 0.5, 1.0):
        model = SparkALS(spark=spark, embedding_size=32, reg=reg, alpha=5.0, implicit=True, epochs=15).fit(inner.train)
        rows.append({"regParam": reg, "validation NDCG@10": evaluate(model, inner, metrics=["ndcg"]).summary["ndcg"]})
    print("Spark ALS, implicit (rank 32, alpha 5):\n", pd.DataFrame(rows).round(4).to_string(index=False))
    spark.stop()


if __name__ == "__main__":
    main()
