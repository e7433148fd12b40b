"""How chapter 9 chooses its models' settings: on validation data carved from the training data
(never the test set). Prints one table per choice; takes about ten minutes on 2 cores.

    .venv/bin/python scripts/tune_rnn.py

* Next item in sessions (one-hour sessions, the latest 20 % of sessions held out as the
  chapter's test): the training sessions are split again by time, the latest 20 % becoming
  validation sessions. Session-kNN's neighbours, GRU4Rec's loss and epochs, GRU4Rec with the
  full cross-entropy, and the self-attention model's blocks and epochs, by validation Recall@20
  (MRR@20 printed beside it).
* RRN on the temporal split (the latest 10 % of ratings held out as the chapter's test): the
  training ratings are split again by time, the latest 10 % becoming validation; the dynamic
  part's epochs, by validation RMSE, against the time-unaware biased MF.
* The title GRU on the book's split (seed 0): 20 % of the training ratings held out (seed 1);
  the penalty ``reg`` with and without the titles, by validation RMSE (and on the items with at
  most 10 training ratings).
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from recsys_lite import load_movielens_100k
from recsys_lite.data.sessions import cut_sessions, split_sessions_by_time
from recsys_lite.evaluation import evaluate_ratings
from recsys_lite.models.gru4rec import GRU4Rec
from recsys_lite.models.mf import BiasedMF
from recsys_lite.models.rrn import RRN
from recsys_lite.models.sasrec import SASRec
from recsys_lite.models.session_baselines import MarkovChain, SessionKNN, SessionPopularity, evaluate_next_item
from recsys_lite.models.text_gru import TextMF
from recsys_lite.split import Split, random_split, temporal_split


def sessions_table(fit, validation) -> pd.DataFrame:
    candidates = {"POP": SessionPopularity(), "Markov": MarkovChain()}
    candidates |= {f"SKNN, {k} neighbours": SessionKNN(neighbours=k) for k in (20, 50, 100, 200)}
    candidates |= {f"GRU4Rec {loss}, {e} epochs": GRU4Rec(loss=loss, epochs=e)
                   for loss in ("top1", "bpr", "ce") for e in (3, 5, 10)}
    candidates |= {f"SASRec, {b} block{'s' * (b > 1)}, {e} epochs": SASRec(blocks=b, epochs=e)
                   for b in (1, 2) for e in (5, 10, 20)}
    candidates["SASRec, 1 block, 10 epochs, the paper's BCE loss"] = SASRec(blocks=1, epochs=10, loss="bce")
    rows = {}
    for name, model in candidates.items():
        start = time.perf_counter()
        result = evaluate_next_item(model.fit(fit), validation)
        rows[name] = {"Recall@20": result["recall"].mean(), "MRR@20": result["mrr"].mean(),
                      "seconds": round(time.perf_counter() - start, 1)}
        print(name, rows[name], flush=True)
    return pd.DataFrame(rows).T


def rrn_table(split: Split) -> pd.DataFrame:
    rows = {"biased MF (ALS)": {"RMSE": evaluate_ratings(BiasedMF().fit(split.train), split).summary["rmse"]}}
    for epochs in (5, 10, 20, 40):
        rows[f"RRN, {epochs} epochs"] = {"RMSE": evaluate_ratings(RRN(epochs=epochs).fit(split.train), split).summary["rmse"]}
    return pd.DataFrame(rows).T


def text_table(split: Split) -> pd.DataFrame:
    counts = np.bincount(split.train.ratings["item"], minlength=split.train.n_items)
    few = split.test.ratings[counts[split.test.ratings["item"].to_numpy()] <= 10]
    few_split = Split(split.train, split.test.with_ratings(few), "items with at most 10 training ratings")
    rows = {}
    for reg in (0.05, 0.1, 0.2):
        for text in (True, False):
            model = TextMF(reg=reg, text=text).fit(split.train)
            rows[f"reg {reg}, {'with' if text else 'without'} titles"] = {
                "RMSE": evaluate_ratings(model, split).summary["rmse"],
                "RMSE, items with <= 10 ratings": evaluate_ratings(model, few_split).summary["rmse"]}
    return pd.DataFrame(rows).T


def main() -> None:
    data = load_movielens_100k()
    train, _ = split_sessions_by_time(cut_sessions(data))
    fit, validation = split_sessions_by_time(train)
    print(f"sessions: fit on {fit}, validate on {validation}")
    print(sessions_table(fit, validation).round(4).to_string(), flush=True)
    outer = temporal_split(data, test_size=0.1, keep_known=True)
    print(rrn_table(temporal_split(outer.train, test_size=0.1, keep_known=True)).round(4).to_string(), flush=True)
    book = random_split(data, test_size=0.2, seed=0)
    print(text_table(random_split(book.train, test_size=0.2, seed=1)).round(4).to_string(), flush=True)


if __name__ == "__main__":
    main()
