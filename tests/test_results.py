"""Records for the results page: what a chapter writes, when a record counts as current, the
tables and intervals the page shows, and the book build's cache guard."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys_lite import results as R
from recsys_lite.models import BiasBaseline, ImplicitMF, Popularity
from recsys_lite.split import random_split

REPO = Path(__file__).resolve().parents[1]
CHAPTER = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))[0]


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv(R.RESULTS_ENV, str(tmp_path / "results"))
    return tmp_path / "results"


@pytest.fixture(scope="module")
def fitted(world):
    split = random_split(world[0], seed=0)
    return split, {"pop": Popularity().fit(split.train), "bias": BiasBaseline().fit(split.train),
                   "ials": ImplicitMF(embedding_size=4, epochs=3).fit(split.train)}


def test_a_record_holds_the_table_and_its_fingerprints(folder, fitted):
    split, models = fitted
    table = R.compare_and_record(CHAPTER, models, split)
    record = json.loads((folder / f"{CHAPTER}.json").read_text())
    assert [m["name"] for m in record["models"]] == ["pop", "bias", "ials"]
    assert record["notebook_sha256"] == R.notebook_fingerprint(REPO / "notebooks" / f"{CHAPTER}.ipynb")
    assert record["library_sha256"] == R.library_fingerprint() and record["split"] == split.method
    assert "full ranking" in record["protocol"] and "@10" in record["protocol"]
    bias = record["models"][1]
    assert bias["class"] == "recsys_lite.models.baselines.BiasBaseline" and bias["params"] == BiasBaseline().get_params()
    assert bias["metrics"]["ndcg"] == pytest.approx(table.loc["bias", "ndcg"])
    assert "rmse" not in record["models"][2]["metrics"]           # iALS predicts no ratings
    per_user = bias["per_user"]
    assert np.mean(per_user["ndcg"]) == pytest.approx(table.loc["bias", "ndcg"])
    assert table.loc["ials", "fit_seconds"] == models["ials"].fit_seconds_
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]   # no temporary file left


def test_tuple_parameters_are_recorded_as_lists_and_rebuild_the_model(folder, fitted):
    from recsys_lite.models.autoencoders import AutoRec

    split, _ = fitted
    model = AutoRec(hidden=(4, 3), epochs=2).fit(split.train)
    R.compare_and_record(CHAPTER, {"autorec": model}, split)
    params = json.loads((folder / f"{CHAPTER}.json").read_text())["models"][0]["params"]
    assert params["hidden"] == [4, 3] and params["epochs"] == 2
    again = AutoRec(**params).fit(split.train)
    assert np.allclose(again.score([0, 1]), model.score([0, 1]))


def test_evaluations_given_are_used_as_they_are_and_checked(folder, fitted):
    from recsys_lite.evaluation import evaluate

    split, models = fitted
    plain = R.compare_and_record(CHAPTER, models, split, intervals=True, reference="pop")
    given = {"ials": evaluate(models["ials"], split)}
    reused = R.compare_and_record(CHAPTER, models, split, intervals=True, reference="pop", evaluations=given)
    pd.testing.assert_frame_equal(plain.drop(columns="fit_seconds"), reused.drop(columns="fit_seconds"))
    with pytest.raises(ValueError, match=r"evaluations\['ials'\] must be evaluate\(model, split\)"):
        R.compare_and_record(CHAPTER, models, split, evaluations={"ials": evaluate(models["ials"], split, k=5)})
    with pytest.raises(ValueError, match=r"evaluations\['ials'\] must be evaluate"):
        R.compare_and_record(CHAPTER, models, split, evaluations={"ials": evaluate(models["ials"], split, metrics=["ndcg"])})
    with pytest.raises(ValueError, match="evaluations names models that are not in models"):
        R.compare_and_record(CHAPTER, models, split, evaluations={"other": given["ials"]})


def test_recording_off_writes_nothing_and_bad_input_is_refused(tmp_path, monkeypatch, fitted):
    split, models = fitted
    monkeypatch.setenv(R.RESULTS_ENV, "off")
    assert R.results_dir() is None
    assert len(R.compare_and_record("no such chapter", models, split)) == 3   # the table, no file
    monkeypatch.setenv(R.RESULTS_ENV, str(tmp_path))
    with pytest.raises(ValueError, match="chapter must name a notebook"):
        R.compare_and_record("99_nothing", models, split)
    with pytest.raises(ValueError, match="non-empty dict"):
        R.compare_and_record(CHAPTER, {}, split)
    with pytest.raises(TypeError, match="not a recsys_lite model"):
        R.compare_and_record(CHAPTER, {"x": object()}, split)


def test_status_current_stale_or_missing(folder, fitted):
    split, models = fitted
    status = R.chapter_status().set_index("chapter")["status"]
    assert status.str.startswith("missing").all()
    R.compare_and_record(CHAPTER, models, split)
    assert R.chapter_status().set_index("chapter").loc[CHAPTER, "status"] == "current"
    assert [r["chapter"] for r in R.current_records()] == [CHAPTER]
    path = folder / f"{CHAPTER}.json"
    for field, reason in (("notebook_sha256", "the chapter changed"), ("library_sha256", "the library changed")):
        record = json.loads(path.read_text())
        good = record[field]
        record[field] = "0" * 64
        path.write_text(json.dumps(record))
        assert reason in R.chapter_status().set_index("chapter").loc[CHAPTER, "status"]
        assert R.current_records() == []                          # a stale record shows no number
        record[field] = good
        path.write_text(json.dumps(record))


def test_the_same_model_in_two_chapters_is_listed_once(fitted):
    split, models = fitted
    record = {"chapter": "00_a", "dataset": "d", "split": "s", "protocol": "p",
              "models": [{"name": "pop", "class": "X", "params": {}, "metrics": {"ndcg": 0.2, "rmse": 1.0},
                          "fit_seconds": 0.1, "per_user": {"users": [0, 1], "ndcg": [0.1, 0.3], "recall": [0, 1]}}]}
    second = json.loads(json.dumps(record))
    second["chapter"] = "03_b"
    second["models"][0]["name"] = "popularity"
    other_split = json.loads(json.dumps(record))
    other_split.update(chapter="09_c", split="leave-last-1-out")
    rows = R.model_rows([record, second, other_split])
    assert list(rows["model"]) == ["pop", "pop"] and list(rows["chapters"]) == ["00, 03", "09"]


def test_tables_are_sorted_and_carry_intervals_and_cv():
    rows = pd.DataFrame({"model": ["a", "b", "c"], "chapters": ["00", "02", "03"], "class": ["A", "B", "C"],
                         "params": [{}, {}, {"k": 1}], "ndcg": [0.1, 0.3, 0.2], "recall": [0.1, 0.2, 0.3],
                         "coverage": [0.1, 0.2, 0.3], "fit_seconds": [1.0, 2.0, 3.0], "rmse": [0.95, np.nan, 0.91],
                         "mae": [0.75, np.nan, 0.72],
                         "per_user": [{"ndcg": [0.1] * 10}, {"ndcg": [0.2, 0.4] * 5}, {"ndcg": [0.2] * 10}]})
    ranking = R.ranking_table(rows)
    assert list(ranking["model"]) == ["b", "c", "a"]
    assert ranking.loc[1, "95% interval"] == "0.2000 – 0.2000"      # constant values: no width
    cv = pd.DataFrame([{"class": "C", "params": {"k": 1}, "mean": 0.915, "std": 0.003}])
    rating = R.rating_table(rows, cv)
    assert list(rating["model"]) == ["c", "a"]                      # b predicts no ratings
    assert list(rating["5-fold RMSE (mean ± sd)"]) == ["0.9150 ± 0.0030", "not measured"]
    assert R.ranking_table(rows.iloc[:0]).empty and R.rating_table(rows.iloc[:0]).empty


def test_bootstrap_interval():
    values = np.random.default_rng(0).random(400)
    lo, hi = R.bootstrap_interval(values)
    assert lo < values.mean() < hi and hi - lo < 0.1
    assert R.bootstrap_interval(values, seed=1) != (lo, hi) and R.bootstrap_interval(values) == (lo, hi)
    wide = R.bootstrap_interval(values, level=0.99)
    assert wide[0] < lo and wide[1] > hi
    with pytest.raises(ValueError, match="no number"):
        R.bootstrap_interval([np.nan])


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    path = tmp_path / "r.json"
    R.write_json_atomic(path, {"a": 1})
    with pytest.raises(TypeError):
        R.write_json_atomic(path, {"a": object()})
    assert json.loads(path.read_text()) == {"a": 1} and [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_book_cache_is_emptied_when_the_library_changes(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("book_cache", REPO / "scripts" / "book_cache.py")
    guard = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(guard)
    monkeypatch.setattr(guard, "BUILD", tmp_path)
    monkeypatch.setattr(guard, "CACHE", tmp_path / ".jupyter_cache")
    monkeypatch.setattr(guard, "STAMP", tmp_path / ".jupyter_cache.library")
    monkeypatch.setattr(guard, "chapter_status", lambda: pd.DataFrame({"chapter": ["x"], "status": ["current"]}))
    (tmp_path / ".jupyter_cache").mkdir()
    guard.STAMP.write_text(R.library_fingerprint())
    guard.main()
    assert (tmp_path / ".jupyter_cache").exists()                  # nothing changed: the cache stays
    guard.STAMP.write_text("an older library")
    guard.main()
    assert not (tmp_path / ".jupyter_cache").exists() and guard.STAMP.read_text() == R.library_fingerprint()
    (tmp_path / ".jupyter_cache").mkdir()
    monkeypatch.setattr(guard, "chapter_status", lambda: pd.DataFrame({"chapter": ["x"], "status": ["missing"]}))
    guard.main()
    assert not (tmp_path / ".jupyter_cache").exists()              # a chapter must run to write its record


def test_a_stored_execution_is_what_the_book_build_finds(tmp_path, monkeypatch):
    import nbformat
    from jupyter_cache import get_cache
    spec = importlib.util.spec_from_file_location("book_cache", REPO / "scripts" / "book_cache.py")
    guard = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(guard)
    monkeypatch.setattr(guard, "BUILD", tmp_path)
    monkeypatch.setattr(guard, "CACHE", tmp_path / ".jupyter_cache")
    monkeypatch.setattr(guard, "STAMP", tmp_path / ".jupyter_cache.library")
    path = tmp_path / "chapter.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    executed = nbformat.read(path, as_version=4)
    executed.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    executed.cells[0].metadata["execution"] = {"iopub.status.busy": "2026-01-01"}   # an executor's own timings
    guard.store_execution(path, executed, 0.1)
    cache = get_cache(str(tmp_path / ".jupyter_cache"))
    record = cache.match_cache_notebook(nbformat.read(path, as_version=4))   # what myst-nb asks
    _, merged = cache.merge_match_into_notebook(nbformat.read(path, as_version=4))
    assert record is not None and merged.cells[0].outputs[0]["data"]["text/plain"] == "2"
