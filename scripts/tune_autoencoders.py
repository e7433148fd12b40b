"""How chapter 7 chose the autoencoders' hyper-parameters: on a validation split carved from the
book's training data (10 % of its ratings, seed 1), never on the test set. Prints one table per
model, best first; takes a few minutes on 2 cores.

    .venv/bin/python scripts/tune_autoencoders.py

* I-AutoRec: the penalty λ (``reg``) by validation RMSE; one hidden layer of 500 sigmoid units
  and an identity output as in the paper (the chapter's grid then varies those).
* CDAE: hidden units, corruption, and 5 sampled zeros per interaction or all of them, by
  validation NDCG@10.
* Mult-VAE: layer sizes and the cap on β (reached after 200 steps of annealing), by validation
  NDCG@10. iALS's validation NDCG@10 is printed for reference.
CDL is not tuned: its item penalty λ_v is iALS's penalty, so that the only difference from iALS
is where the item vectors are pulled (towards 0, or towards the content's θ).
"""
from __future__ import annotations

import itertools
import time

import pandas as pd
import torch

from recsys_lite import load_movielens_100k
from recsys_lite.evaluation import evaluate, evaluate_ratings
from recsys_lite.models import ImplicitMF
from recsys_lite.models.autoencoders import CDAE, AutoRec, MultVAE
from recsys_lite.split import random_split

AUTOREC = dict(learning_rate=0.001, batch_size=256, patience=5)


def table(rows: dict, metric: str, ascending: bool) -> pd.DataFrame:
    out = pd.DataFrame(rows).T
    out.index.name = "setting"
    return out.sort_values(metric, ascending=ascending)


def main() -> None:
    train = random_split(load_movielens_100k(), test_size=0.2, seed=0).train
    validation = random_split(train, test_size=0.1, seed=1)

    def run(model, metric):
        start = time.perf_counter()
        model.fit(validation.train)
        if metric == "rmse":
            value = evaluate_ratings(model, validation).summary["rmse"]
        else:
            value = evaluate(model, validation, metrics=["ndcg"]).summary["ndcg"]
        return {f"validation {metric}": round(float(value), 4), "epochs": len(getattr(model, "history_", [])),
                "seconds": round(time.perf_counter() - start, 1)}

    autorec = {f"reg={reg}": run(AutoRec(reg=reg, **AUTOREC), "rmse") for reg in (10.0, 30.0, 100.0, 300.0)}
    print("I-AutoRec\n", table(autorec, "validation rmse", True).to_string(), "\n", flush=True)

    ials = run(ImplicitMF(), "ndcg")
    print(f"for reference, chapter 3's iALS: validation NDCG@10 {ials['validation ndcg']:.4f}\n", flush=True)
    cdae = {f"hidden={h}, corruption={c}, negatives={n}": run(CDAE(hidden=h, corruption=c, negatives=n), "ndcg")
            for h, c, n in itertools.product((100, 200, 400), (0.2, 0.5), (5, None))}
    print("CDAE\n", table(cdae, "validation ndcg", False).to_string(), "\n", flush=True)

    vae = {f"hidden={h}, latent={z}, beta={b}": run(MultVAE(hidden=h, latent=z, beta=b, anneal_steps=200), "ndcg")
           for (h, z), b in itertools.product((((200,), 50), ((600,), 200)), (0.2, 0.5, 1.0))}
    print("Mult-VAE\n", table(vae, "validation ndcg", False).to_string(), flush=True)


if __name__ == "__main__":
    main()
