"""How chapter 8 chooses its models' settings: on validation data carved from the book's
training data (never the test set). Prints one table per choice; takes a few minutes on 2 cores.

    .venv/bin/python scripts/tune_cnn.py

* LightGCN and the NGCF-style network: learning rate and number of layers, by validation
  NDCG@20 (10 % of the training ratings held out, seed 1); MF trained the same way (0 layers)
  for reference.
* Visual BPR on cold films: 100 films drawn among those with at least 25 training ratings lose
  all their training ratings (`cold_items`), and the model ranks only them; embedding size,
  augmentation and epochs, by that validation NDCG@10, against the genre-based per-user
  classifier of chapter 4 and a random order.
"""
from __future__ import annotations

import itertools
import time

import numpy as np
import pandas as pd

from recsys_lite import load_movielens_100k
from recsys_lite.data import item_features, load_knowledge_graph
from recsys_lite.data.posters import render_posters
from recsys_lite.evaluation import evaluate
from recsys_lite.models import RandomRanking, UserClassifier
from recsys_lite.models.graph import GraphCF
from recsys_lite.models.visual import VisualBPR
from recsys_lite.split import cold_items, random_split


def timed(fit, score) -> dict:
    start = time.perf_counter()
    model = fit()
    return {**score(model), "epochs": len(getattr(model, "history_", [])),
            "seconds": round(time.perf_counter() - start, 1)}


def main() -> None:
    data = load_movielens_100k()
    train = random_split(data, test_size=0.2, seed=0).train
    validation = random_split(train, test_size=0.1, seed=1)

    def ndcg20(model):
        return {"validation NDCG@20": round(evaluate(model, validation, k=20, metrics=["ndcg"]).summary["ndcg"], 4)}

    graph = {f"{kind}, {layers} layers, lr {lr}": timed(lambda: GraphCF(kind=kind, layers=layers, learning_rate=lr,
                                                                         patience=10).fit(validation.train), ndcg20)
             for kind, layers, lr in [("lightgcn", k, lr) for k, lr in itertools.product((0, 1, 2, 3), (0.005, 0.02))]
             + [("ngcf", 2, 0.005), ("ngcf", 2, 0.02)]}
    print(pd.DataFrame(graph).T.sort_values("validation NDCG@20", ascending=False).to_string(), "\n", flush=True)

    per_film = np.bincount(validation.train.ratings["item"], minlength=data.n_items)
    films = np.sort(np.random.default_rng(5).choice(np.flatnonzero(per_film >= 25), 100, replace=False))
    cold = cold_items(validation, films, 0)
    posters = render_posters(data, knowledge=load_knowledge_graph(data))

    def cold_ndcg(model):
        return {"cold validation NDCG@10": round(evaluate(model, cold, metrics=["ndcg"], candidates=films).summary["ndcg"], 4)}

    runs = {"random order": lambda: RandomRanking(),
            "genre classifier (chapter 4)": lambda: UserClassifier(features=item_features(data, "genres"), reg=30.0)}
    for size, augment, epochs in itertools.product((16, 32), (True, False), (20, 40)):
        runs[f"visual, {size} dims, augment {augment}, {epochs} epochs"] = \
            lambda size=size, augment=augment, epochs=epochs: VisualBPR(images=posters, embedding_size=size, augment=augment,
                                                                        epochs=epochs, patience=epochs)
    visual = {name: timed(lambda make=make: make().fit(cold.train), cold_ndcg) for name, make in runs.items()}
    print(pd.DataFrame(visual).T.sort_values("cold validation NDCG@10", ascending=False).to_string(), flush=True)


if __name__ == "__main__":
    main()
