"""Collaborative-filtering benchmarks (not tests): the book's rating targets as 5-fold
cross-validated means, and how long each similarity measure takes.

* RMSE over 5 seeded folds of MovieLens-100K (mean and standard deviation) for the bias
  baseline, item-kNN (Pearson, k = 40, mean-centred), biased MF and the two-tower model, with
  the hyper-parameters the library's defaults hold (chosen on a validation part of training
  data, never on a test fold). Targets: biased MF <= 0.915, item-kNN <= 0.950.
* Seconds to compute each similarity measure for all 943 x 943 user pairs (target: all of them
  together under 10 s on 2 cores), and for growing numbers of users.

Writes benchmarks/results/cf.json and prints a table; exits 1 if a target is missed.
"""
import json
import sys
import time
from pathlib import Path

import numpy as np

from recsys_lite import load_movielens_100k, similarity
from recsys_lite.metrics import rmse
from recsys_lite.models import BiasBaseline, BiasedMF, ItemKNN
from recsys_lite.split import kfold

REPO = Path(__file__).resolve().parents[1]
TARGETS = {"biased MF": 0.915, "item-kNN (Pearson, k=40)": 0.950}


def models():
    from recsys_lite.models.two_tower import TwoTower
    return {"bias baseline": BiasBaseline(), "item-kNN (Pearson, k=40)": ItemKNN(k=40, measure="pearson"),
            "biased MF": BiasedMF(), "two-tower (MSE)": TwoTower()}


def cross_validate(data):
    scores = {name: [] for name in models()}
    for fold in kfold(data, n_folds=5, seed=0):
        t = fold.test.ratings
        for name, model in models().items():
            pred = model.fit(fold.train).predict(t["user"].to_numpy(), t["item"].to_numpy())
            scores[name].append(rmse(t["rating"], pred))
    return {name: {"mean": float(np.mean(v)), "std": float(np.std(v)), "folds": v} for name, v in scores.items()}


def time_similarities(data):
    x = data.to_csr()
    out = {}
    for measure in similarity.MEASURES:
        start = time.perf_counter()
        similarity.similarity(x, measure)
        out[measure] = time.perf_counter() - start
    scaling = {}
    for n in (100, 200, 400, 943):
        start = time.perf_counter()
        similarity.similarity(x[:n], "pearson")
        scaling[n] = time.perf_counter() - start
    return out, scaling


def main() -> int:
    data = load_movielens_100k()
    timings, scaling = time_similarities(data)
    cv = cross_validate(data)
    ok = True
    print("5-fold cross-validated RMSE on MovieLens-100K:")
    for name, r in cv.items():
        target = TARGETS.get(name)
        flag = "" if target is None else ("ok" if r["mean"] <= target else "MISSED")
        ok &= flag != "MISSED"
        print(f"  {name:<26} {r['mean']:.4f} ± {r['std']:.4f}   {'target <= ' + str(target) if target else ''} {flag}")
    total = sum(timings.values())
    print("similarity of all 943 x 943 user pairs:")
    for measure, seconds in timings.items():
        print(f"  {measure:<16} {seconds:6.3f} s")
    flag = "ok" if total < 10 else "OVER BUDGET"
    ok &= flag == "ok"
    print(f"  {'all nine':<16} {total:6.3f} s   target < 10 s {flag}")
    print("Pearson time by number of users:", ", ".join(f"{n}: {s:.3f} s" for n, s in scaling.items()))
    target = REPO / "benchmarks" / "results" / "cf.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"cv_rmse": cv, "similarity_seconds": timings, "pearson_scaling": scaling}, indent=2))
    print(f"written to {target.relative_to(REPO)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
