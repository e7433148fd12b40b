"""How chapter 1 chose the hyper-parameters of BPR-MF and APR: on a validation split carved from
the book's training data (never the test set). Prints one table per choice; takes about a minute.

    .venv/bin/python scripts/tune_challenges.py

BPR's L2 penalty is chosen by validation NDCG@10. APR keeps the paper's perturbation size in
training (ε = 0.5) and BPR's penalty, and its weight λ is chosen by validation NDCG@10 *under* a
worst-case perturbation of size 0.5 (the robustness APR is for), among the λ whose unperturbed
validation NDCG@10 is at least BPR's minus 0.01.
"""
from __future__ import annotations

import pandas as pd
import torch

from recsys_lite import load_movielens_100k
from recsys_lite.evaluation import evaluate
from recsys_lite.models.bpr import BPRMF
from recsys_lite.split import random_split

COMMON = dict(embedding_size=64, epochs=20, batch_size=4096, seed=0)


def ndcg(model, split, epsilon=0.0):
    return evaluate(model.perturbed(epsilon, split.train, seed=1), split, metrics=["ndcg"]).summary["ndcg"]


def main() -> None:
    torch.set_num_threads(1)
    train = random_split(load_movielens_100k(), test_size=0.2, seed=0).train
    validation = random_split(train, test_size=0.1, seed=1)
    bpr = pd.Series({reg: ndcg(BPRMF(reg=reg, **COMMON).fit(validation.train), validation)
                     for reg in (1e-3, 1e-2, 3e-2)}, name="validation NDCG@10")
    bpr.index.name = "reg"
    print(bpr.round(4).to_string(), "\n")
    reg = float(bpr.idxmax())
    rows = {}
    for lam in (1.0, 5.0, 10.0):
        model = BPRMF(reg=reg, epsilon=0.5, adversarial_weight=lam, adversarial_from=10, **COMMON).fit(validation.train)
        rows[lam] = {"validation NDCG@10": ndcg(model, validation), "under ε = 0.5": ndcg(model, validation, 0.5)}
    apr = pd.DataFrame(rows).T
    apr.index.name = "λ"
    print(apr.round(4).to_string(), "\n")
    allowed = apr[apr["validation NDCG@10"] >= bpr.max() - 0.01]
    print(f"chosen: BPR reg = {reg:g}; APR λ = {allowed['under ε = 0.5'].idxmax():g} (ε = 0.5, from epoch 11 of 20)")


if __name__ == "__main__":
    main()
