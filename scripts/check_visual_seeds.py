"""Chapter 8's new-film comparison under three training seeds: how much of visual BPR's result
depends on the seed. Uses the test split as the chapter does (it chooses nothing), so it is a
robustness check, not tuning; about a minute and a half on 2 cores.

    .venv/bin/python scripts/check_visual_seeds.py
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_lite import load_movielens_100k
from recsys_lite.data import item_features, load_knowledge_graph
from recsys_lite.data.posters import render_posters
from recsys_lite.evaluation import evaluate, paired_difference
from recsys_lite.models import Popularity, RandomRanking, UserClassifier
from recsys_lite.models.visual import VisualBPR
from recsys_lite.split import cold_items, random_split


def main() -> None:
    data = load_movielens_100k()
    split = random_split(data, test_size=0.2, seed=0)
    cold = np.random.default_rng(0).choice(data.n_items, data.n_items // 10, replace=False)     # chapter 4's new films
    cold_split = cold_items(split, cold)
    posters = render_posters(data, knowledge=load_knowledge_graph(data))
    bases = {"random order": RandomRanking(seed=0), "popularity (ties in id order)": Popularity(),
             "genre classifier (chapter 4)": UserClassifier(features=item_features(data, "genres"), reg=30.0)}
    base_evals = {name: evaluate(m.fit(cold_split.train), cold_split, metrics=["ndcg"], candidates=cold)
                  for name, m in bases.items()}
    rows = {}
    for seed in (0, 1, 2):
        ev = evaluate(VisualBPR(images=posters, seed=seed).fit(cold_split.train), cold_split, metrics=["ndcg"],
                      candidates=cold)
        row = {"visual BPR NDCG@10": ev.summary["ndcg"]}
        for name, base in base_evals.items():
            d = paired_difference(ev, base, "ndcg")
            row[f"minus {name}"] = f"{d['difference']:+.4f} ({d['low']:+.4f} to {d['high']:+.4f})"
        rows[f"seed {seed}"] = row
    print(pd.DataFrame(rows).T.to_string())


if __name__ == "__main__":
    main()
