"""Benchmarks, not tests: how long things take on this machine.

* `recommend` for all 943 MovieLens-100K users with k=10, for each baseline (target < 1 s);
* the batched ranking metrics (`ranking_metrics` and `auc_per_user`) for all 943 users over the
  full 1,682-film ranking (target < 0.5 s);
* each chapter's execution time in a fresh kernel (targets: < 90 s a chapter, < 10 min total).

Writes benchmarks/results/latest.json and prints a table. Usage:
    python scripts/benchmark.py [--skip-notebooks] [--repeat N]
"""
import argparse
import json
import platform
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
from nbclient import NotebookClient

from recsys_lite import load_movielens_100k
from recsys_lite.models import BiasBaseline, Popularity
from recsys_lite.split import random_split

REPO = Path(__file__).resolve().parents[1]
CHAPTER_BUDGET_S, BOOK_BUDGET_S, RECOMMEND_BUDGET_S, METRICS_BUDGET_S = 90.0, 600.0, 1.0, 0.5


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), float(np.median(times))


def bench_recommend(repeat):
    split = random_split(load_movielens_100k(), seed=0)
    out = {}
    for model in (Popularity(), BiasBaseline()):
        model.fit(split.train)
        best, median = best_of(lambda: model.recommend(k=10), repeat)
        out[type(model).__name__] = {"best_s": best, "median_s": median, "users": 943, "k": 10}
    return out


def bench_metrics(repeat):
    from recsys_lite.evaluation import relevant_matrix
    from recsys_lite.metrics import auc_per_user, ranking_metrics

    split = random_split(load_movielens_100k(), seed=0)
    model = Popularity().fit(split.train)
    users = np.arange(model.n_users_)
    full = model.recommend(users, k=model.n_items_).items   # the whole catalogue, seen items padded
    scores = model.score(users)
    relevant = relevant_matrix(split)

    def run():
        ranking_metrics(full, relevant)
        auc_per_user(scores, relevant, model.seen_)

    best, median = best_of(run, repeat)
    return {"best_s": best, "median_s": median, "users": len(users), "ranked_items": full.shape[1]}


def bench_notebooks():
    out = {}
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        start = time.perf_counter()
        client.execute()
        out[path.name] = {"seconds": time.perf_counter() - start}
    return out


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-notebooks", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    results = {"machine": {"python": platform.python_version(), "processor": platform.machine(),
                           "cpus": __import__("os").cpu_count()},
               "recommend_all_users": bench_recommend(args.repeat),
               "metrics_all_users_full_catalogue": bench_metrics(args.repeat)}
    if not args.skip_notebooks:
        results["notebooks"] = bench_notebooks()
        results["book_total_s"] = sum(v["seconds"] for v in results["notebooks"].values())

    ok = True
    print("recommend(k=10) for all 943 users:")
    for name, r in results["recommend_all_users"].items():
        flag = "ok" if r["best_s"] < RECOMMEND_BUDGET_S else "OVER BUDGET"
        ok &= flag == "ok"
        print(f"  {name:<14} best {r['best_s'] * 1000:7.1f} ms   median {r['median_s'] * 1000:7.1f} ms   {flag}")
    m = results["metrics_all_users_full_catalogue"]
    flag = "ok" if m["best_s"] < METRICS_BUDGET_S else "OVER BUDGET"
    ok &= flag == "ok"
    print(f"ranking metrics + AUC, 943 users x 1,682 films: best {m['best_s'] * 1000:7.1f} ms   {flag}")
    if "notebooks" in results:
        print("chapter execution (fresh kernel):")
        for name, r in results["notebooks"].items():
            flag = "ok" if r["seconds"] < CHAPTER_BUDGET_S else "OVER BUDGET"
            ok &= flag == "ok"
            print(f"  {name:<40} {r['seconds']:6.1f} s   {flag}")
        flag = "ok" if results["book_total_s"] < BOOK_BUDGET_S else "OVER BUDGET"
        ok &= flag == "ok"
        print(f"  {'whole book':<40} {results['book_total_s']:6.1f} s   {flag}")
    target = REPO / "benchmarks" / "results" / "latest.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2))
    print(f"written to {target.relative_to(REPO)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
