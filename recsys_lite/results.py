"""Records of each chapter's final comparison, read by the book's page "All models side by side".

A chapter ends its comparison with `compare_and_record`: it evaluates the chapter's models on a
split with the book's protocol (full-catalogue ranking at k = 10, training items excluded, every
test item relevant; RMSE and MAE for models that predict ratings), returns the table, and writes
a record of it to the results folder: one JSON file per chapter, replaced atomically.

A record carries fingerprints of the notebook's code and of the library that produced it. The
results page shows a chapter's numbers only while both still match, so an edited chapter or an
edited library shows as *stale* until the chapter runs again, and a chapter that never ran
shows as *missing*: the page never shows a number the current code did not produce.

The results folder is ``_build/results`` in the book's folder (never committed), or
``$RECSYS_LITE_RESULTS``; ``RECSYS_LITE_RESULTS=off`` turns recording off (the course kit's
grader does this, so that students' runs never write records).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ._atomic import write_atomic
from .evaluation import FULL_METRICS, Evaluation, _resampled, evaluate, protocol_text, summary_table
from .models.base import Recommender
from .split import Split

RESULTS_ENV = "RECSYS_LITE_RESULTS"
BOOK_K = 10
#: metrics kept per user in a record, so the results page can put intervals on them
PER_USER = ("ndcg", "recall")
CV_FILE = "cv_rating.json"
_PACKAGE = Path(__file__).resolve().parent
_REPO = _PACKAGE.parent


# ---- where records live ---------------------------------------------------------------------------
def book_folder() -> Path | None:
    """The book's folder (with notebooks/ and the library) when the library runs from it."""
    return _REPO if (_REPO / "notebooks").is_dir() and (_REPO / "pyproject.toml").is_file() else None


def results_dir() -> Path | None:
    """Where records are written: ``$RECSYS_LITE_RESULTS`` ("off": nowhere), else
    ``_build/results`` in the book's folder; None when recording is off or there is no book."""
    setting = os.environ.get(RESULTS_ENV, "").strip()
    if setting.lower() == "off":
        return None
    if setting:
        return Path(setting).expanduser()
    book = book_folder()
    return book / "_build" / "results" if book else None


# ---- fingerprints ------------------------------------------------------------------------------
def notebook_fingerprint(path) -> str:
    """sha256 of a notebook's code cells (their sources only: outputs and prose do not count)."""
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    code = "\n\0\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return hashlib.sha256(code.encode()).hexdigest()


def library_fingerprint() -> str:
    """sha256 of every source file of `recsys_lite` (path and contents)."""
    h = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        h.update(str(path.relative_to(_PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def chapter_notebook(chapter: str) -> Path:
    """The notebook of a chapter named like its file, e.g. "03_collaborative_filtering"."""
    book = book_folder()
    if book is None:
        raise FileNotFoundError("the book's notebooks/ folder was not found beside the library.")
    path = book / "notebooks" / f"{chapter}.ipynb"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in (book / "notebooks").glob("*.ipynb")))
        raise ValueError(f"chapter must name a notebook in notebooks/ (without .ipynb), got {chapter!r}; "
                         f"known: {known}.")
    return path


# ---- writing ---------------------------------------------------------------------------------------
def write_json_atomic(path: Path, payload) -> Path:
    """Write JSON to ``path`` atomically (`write_atomic`): a reader never sees half a record."""
    text = json.dumps(payload, indent=1, allow_nan=True).encode()   # fails before anything is written
    return write_atomic(path, lambda f: f.write(text))


def _listed(value):
    """Tuples as lists, recursively: JSON has no tuples, and a model given the list builds alike."""
    if isinstance(value, (tuple, list)):
        return [_listed(v) for v in value]
    return value


def _params(model: Recommender) -> dict | None:
    """The model's hyper-parameters if they survive a JSON round trip, tuples written as lists
    (so the model can be rebuilt, e.g. for cross-validation), else None."""
    params = {k: _listed(v) for k, v in model.get_params().items()}
    try:
        return params if json.loads(json.dumps(params)) == params else None
    except (TypeError, ValueError):
        return None


def compare_and_record(chapter: str, models: dict, split: Split, *, intervals: bool = False,
                       reference: str | None = None, evaluations: dict | None = None) -> pd.DataFrame:
    """Evaluate fitted ``models`` on ``split`` with the book's protocol (`evaluate` at k = 10,
    full ranking, training items excluded, every test item relevant) and record the result
    for the results page. Returns the comparison: one row per model, one column per metric,
    plus ``fit_seconds``, and intervals and paired differences as `compare` adds them with
    ``intervals`` and ``reference``. Where recording is off (`results_dir`), only the table is
    returned. ``evaluations`` may hold, for some of the models, their `evaluate(model, split)`
    already computed with the book's protocol and every metric (a chapter that has them saves
    scoring those models again); each is checked to be exactly that."""
    if not isinstance(models, dict) or not models:
        raise ValueError("models must be a non-empty dict of name -> fitted model.")
    for name, model in models.items():
        if not isinstance(model, Recommender):
            raise TypeError(f"models[{name!r}] is a {type(model).__name__}, not a recsys_lite model.")
    folder = results_dir()
    notebook = chapter_notebook(chapter) if folder is not None else None
    if reference is not None and reference not in models:
        raise ValueError(f"reference must be one of the models' names {list(models)}, got {reference!r}.")
    given = dict(evaluations or {})
    stray = [name for name in given if name not in models]
    if stray:
        raise ValueError(f"evaluations names models that are not in models: {stray}.")
    evaluations = {}
    for name, model in models.items():
        if name not in given:
            evaluations[name] = evaluate(model, split, k=BOOK_K)
            continue
        ev = given[name]
        book = protocol_text(f"full ranking of {split.test.n_items} items", True, BOOK_K, "all test items relevant")
        if not isinstance(ev, Evaluation) or not set(FULL_METRICS) <= set(ev.per_user.columns) or ev.protocol != book:
            raise ValueError(f"evaluations[{name!r}] must be evaluate(model, split) of that model with the book's "
                             f"protocol and every metric ({book}).")
        evaluations[name] = ev
    table = summary_table(evaluations, intervals=intervals, reference=reference)
    table["fit_seconds"] = [getattr(m, "fit_seconds_", np.nan) for m in models.values()]
    if folder is None:
        return table
    rows = []
    for (name, model), ev in zip(models.items(), evaluations.values()):
        cls = type(model)
        rows.append({
            "name": name, "class": f"{cls.__module__}.{cls.__qualname__}", "params": _params(model),
            "metrics": {m: _number(v) for m, v in ev.summary.items()},   # the summary: no intervals
            "fit_seconds": _number(table.loc[name, "fit_seconds"]),
            "per_user": {"users": ev.per_user.index.tolist(),
                         **{m: [_number(v) for v in ev.per_user[m]] for m in PER_USER}},
        })
    payload = {"chapter": chapter, "notebook_sha256": notebook_fingerprint(notebook),
               "library_sha256": library_fingerprint(),
               "recorded_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
               "dataset": split.train.name.removesuffix(" train"), "split": split.method,
               "protocol": next(iter(evaluations.values())).protocol, "models": rows}
    write_json_atomic(folder / f"{chapter}.json", payload)
    return table


def _number(v):
    v = float(v)
    return None if np.isnan(v) else v


# ---- reading, for the results page ---------------------------------------------------------------------
def chapter_status(folder=None) -> pd.DataFrame:
    """One row per chapter of the book: whether its record is current, stale or missing."""
    book = book_folder()
    folder = Path(folder) if folder is not None else results_dir()
    library = library_fingerprint()
    rows = []
    for nb in sorted((book / "notebooks").glob("*.ipynb")) if book else []:
        path = folder / f"{nb.stem}.json" if folder is not None else None
        record = json.loads(path.read_text()) if path is not None and path.is_file() else None
        if record is None:
            status = "missing: the chapter has not run since the results folder was cleaned"
        elif record.get("notebook_sha256") != notebook_fingerprint(nb):
            status = "stale: the chapter changed since its record; not shown"
        elif record.get("library_sha256") != library:
            status = "stale: the library changed since the record; not shown"
        else:
            status = "current"
        rows.append({"chapter": nb.stem, "title": _title(nb), "status": status,
                     "models": len(record["models"]) if record else 0,
                     "recorded": record.get("recorded_at") if record else None})
    return pd.DataFrame(rows, columns=["chapter", "title", "status", "models", "recorded"])


def _title(notebook: Path) -> str:
    """The first heading of a notebook, e.g. "3. Collaborative filtering"."""
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        for line in "".join(cell["source"]).splitlines():
            if cell["cell_type"] == "markdown" and line.startswith("# "):
                return line[2:].strip()
    return notebook.stem


def current_records(folder=None) -> list[dict]:
    """The records whose chapter and library are unchanged since they were written."""
    folder = Path(folder) if folder is not None else results_dir()
    status = chapter_status(folder)
    return [json.loads((folder / f"{c}.json").read_text())
            for c in status.loc[status["status"] == "current", "chapter"]]


def model_rows(records: list[dict]) -> pd.DataFrame:
    """One row per distinct model (the same class and hyper-parameters on the same split count
    once, under the first chapter that recorded it; ``chapters`` lists all of them)."""
    rows, seen = [], {}
    for record in records:
        number = record["chapter"].split("_")[0]
        for m in record["models"]:
            identity = (record["dataset"], record["split"], record["protocol"], m["class"],
                        json.dumps(m["params"], sort_keys=True) if m["params"] is not None else m["name"])
            if identity in seen:
                rows[seen[identity]]["chapters"] += f", {number}"
                continue
            seen[identity] = len(rows)
            rows.append({"model": m["name"], "chapters": number, "class": m["class"], "params": m["params"],
                         "dataset": record["dataset"], "split": record["split"], "protocol": record["protocol"],
                         "fit_seconds": m["fit_seconds"], **{k: v for k, v in m["metrics"].items()},
                         "per_user": m["per_user"]})
    return pd.DataFrame(rows)


def bootstrap_interval(values, *, n_resamples: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of per-user values (NaN skipped); the same
    resampling as `recsys_lite.evaluation.bootstrap_interval`, on stored values."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if not len(v):
        raise ValueError("values holds no number; an interval needs at least one.")
    (means,) = _resampled([pd.DataFrame({"sum": v, "count": 1.0})], "mean", n_resamples, seed)
    alpha = (1 - level) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


def read_cv(folder=None) -> pd.DataFrame | None:
    """The cross-validated rating table that `make bench` writes, if it is current."""
    folder = Path(folder) if folder is not None else results_dir()
    path = folder / CV_FILE if folder is not None else None
    if path is None or not path.is_file():
        return None
    cv = json.loads(path.read_text())
    if cv.get("library_sha256") != library_fingerprint():
        return None
    return pd.DataFrame(cv["models"])


# ---- the two tables and the figure of the results page ---------------------------------------------
def ranking_table(rows: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Top-n by full ranking: NDCG@10 with a 95 % per-user bootstrap interval, recall@10,
    catalogue coverage and training seconds, best NDCG first."""
    if rows.empty:
        return pd.DataFrame(columns=["model", "chapters", "NDCG@10", "95% interval", "recall@10", "coverage", "fit seconds"])
    intervals = [bootstrap_interval(pu["ndcg"], seed=seed) for pu in rows["per_user"]]
    table = pd.DataFrame({
        "model": rows["model"], "chapters": rows["chapters"], "NDCG@10": rows["ndcg"],
        "95% interval": [f"{lo:.4f} – {hi:.4f}" for lo, hi in intervals],
        "recall@10": rows["recall"], "coverage": rows["coverage"], "fit seconds": rows["fit_seconds"]})
    return table.sort_values("NDCG@10", ascending=False, kind="stable").reset_index(drop=True)


def rating_table(rows: pd.DataFrame, cv: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rating prediction: RMSE and MAE on the split, the 5-fold cross-validated RMSE where
    `make bench` measured it, and training seconds; best RMSE first. Models that only rank
    are left out."""
    columns = ["model", "chapters", "RMSE", "MAE", "5-fold RMSE (mean ± sd)", "fit seconds"]
    if rows.empty or "rmse" not in rows:
        return pd.DataFrame(columns=columns)
    rated = rows[rows["rmse"].notna()]
    folds = {}
    if cv is not None and len(cv):
        for _, r in cv.iterrows():
            folds[(r["class"], json.dumps(r["params"], sort_keys=True))] = f"{r['mean']:.4f} ± {r['std']:.4f}"
    table = pd.DataFrame({
        "model": rated["model"], "chapters": rated["chapters"], "RMSE": rated["rmse"], "MAE": rated["mae"],
        "5-fold RMSE (mean ± sd)": [folds.get((c, json.dumps(p, sort_keys=True)), "not measured")
                                    for c, p in zip(rated["class"], rated["params"])],
        "fit seconds": rated["fit_seconds"]}, columns=columns)
    return table.sort_values("RMSE", kind="stable").reset_index(drop=True)


def plot_models(ranking: pd.DataFrame, rating: pd.DataFrame):
    """NDCG@10 with its interval, and RMSE, one bar per model; returns the figure."""
    import matplotlib.pyplot as plt

    rows = max(len(ranking), len(rating), 1)
    fig, axes = plt.subplots(2, 1, figsize=(8, 2 * max(3.0, 0.3 * rows + 1.2)))     # stacked: readable on a phone
    if len(ranking):
        r = ranking.iloc[::-1]
        bounds = np.array([[float(x) for x in s.split(" – ")] for s in r["95% interval"]])
        error = np.abs(bounds - r["NDCG@10"].to_numpy()[:, None]).T
        axes[0].barh(r["model"] + " (" + r["chapters"] + ")", r["NDCG@10"], xerr=error, color="C0", capsize=2)
    axes[0].set(xlabel="NDCG@10 (95% interval)", title="Top-n, full ranking")
    if len(rating):
        r = rating.iloc[::-1]
        axes[1].barh(r["model"] + " (" + r["chapters"] + ")", r["RMSE"], color="C1")
        lo = r["RMSE"].min()
        axes[1].set_xlim(lo - 0.05, r["RMSE"].max() + 0.02)
    axes[1].set(xlabel="RMSE (lower is better)", title="Rating prediction")
    fig.tight_layout()
    return fig
