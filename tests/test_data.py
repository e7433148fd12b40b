"""The MovieLens-100K fetch and loader, and the simulated world."""
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys_lite.data import DataError, Dataset, movielens, simulate_world
from recsys_lite.data.movielens import (ATOMIC_SHA256, GENRES, fetch_movielens_100k,
                                        load_movielens_100k, read_grouplens, sha256_file)

REPO = Path(__file__).resolve().parents[1]


# ---- the real data ----------------------------------------------------------------------
def test_counts_and_ranges(ml100k):
    r = ml100k.ratings
    assert (ml100k.n_ratings, ml100k.n_users, ml100k.n_items) == (100_000, 943, 1_682)
    assert set(r["rating"].unique()) == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert r.duplicated(["user", "item"]).sum() == 0
    assert r["user"].between(0, 942).all() and r["item"].between(0, 1681).all()
    assert np.bincount(r["user"]).min() == 20  # every ML-100K user rated at least 20 films
    assert r["timestamp"].between(874_700_000, 893_300_000).all()  # Sep 1997 .. Apr 1998


def test_tables(ml100k):
    items, users = ml100k.items, ml100k.users
    assert items.loc[0, "title"] == "Toy Story" and items.loc[0, "year"] == 1995
    assert items.loc[0, "genres"] == ("Animation", "Children's", "Comedy")
    assert set(g for gs in items["genres"] for g in gs) == set(GENRES)
    assert items["year"].isna().sum() == 1  # film 267 has no date in either source
    assert list(users.columns) == ["user_id", "age", "gender", "occupation", "zip_code"]
    assert users.loc[0].tolist() == [1, 24, "M", "technician", "85711"]
    assert set(users["gender"]) == {"M", "F"}


def test_id_maps_round_trip(ml100k):
    raw = np.array([1, 943, 500])
    idx = ml100k.user_index(raw)
    assert (ml100k.users["user_id"].to_numpy()[idx] == raw).all()
    assert ml100k.item_index([1682])[0] == 1681
    # the first rating of the file: user 196 rated item 242 with 3 stars
    first = ml100k.ratings.iloc[0]
    assert ml100k.users["user_id"][first["user"]] == 196 and ml100k.items["item_id"][first["item"]] == 242
    with pytest.raises(KeyError, match="unknown original user id"):
        ml100k.user_index([0, 944])


def test_checksum_file_matches_the_code():
    listed = dict(line.split()[::-1] for line in (REPO / "data" / "checksums.sha256").read_text().splitlines())
    assert listed.pop("recbole-1.2.1-py3-none-any.whl") == movielens.WHEEL_SHA256
    assert {Path(k).name: v for k, v in listed.items()} == {**ATOMIC_SHA256, **movielens.KNOWLEDGE_SHA256}


def test_cached_copy_verifies(ml100k):
    folder = fetch_movielens_100k()
    assert all(sha256_file(folder / n) == s for n, s in {**ATOMIC_SHA256, **movielens.KNOWLEDGE_SHA256}.items())


# ---- fetch logic, on a fake wheel (no network) ------------------------------------------
@pytest.fixture
def fake_registry(tmp_path, monkeypatch):
    """A wheel-shaped zip with three small files, and checksums made to match it."""
    content = {"ml-100k.inter": b"user_id:token\titem_id:token\trating:float\ttimestamp:float\n1\t1\t5\t100\n2\t1\t3\t200\n",
               "ml-100k.item": b"item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n1\tA Film\t1990\tDrama\n",
               "ml-100k.user": b"user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n1\t20\tF\tother\t00000\n2\t30\tM\tother\t00001\n"}
    knowledge = {"ml-100k.kg": b"head_id:token\trelation_id:token\ttail_id:token\nm.a\tfilm.film.actor\tm.x\n",
                 "ml-100k.link": b"item_id:token\tentity_id:token\n1\tm.a\n"}
    wheel = tmp_path / "src" / "recbole-1.2.1-py3-none-any.whl"
    wheel.parent.mkdir()
    with zipfile.ZipFile(wheel, "w") as z:
        for name, data in {**content, **knowledge}.items():
            z.writestr(movielens.WHEEL_MEMBER_DIR + name, data)
    monkeypatch.setattr(movielens, "WHEEL_SHA256", sha256_file(wheel))
    import hashlib
    monkeypatch.setattr(movielens, "ATOMIC_SHA256", {n: hashlib.sha256(d).hexdigest() for n, d in content.items()})
    monkeypatch.setattr(movielens, "KNOWLEDGE_SHA256", {n: hashlib.sha256(d).hexdigest() for n, d in knowledge.items()})
    calls = []

    def download(dest):
        calls.append(dest)
        target = Path(dest) / wheel.name
        target.write_bytes(wheel.read_bytes())
        return target

    monkeypatch.setattr(movielens, "_download_wheel", download)
    return tmp_path / "cache", calls


def test_fetch_extracts_verifies_and_caches(fake_registry):
    cache, calls = fake_registry
    folder = fetch_movielens_100k(cache)
    assert sorted(p.name for p in folder.iterdir()) == ["ml-100k.inter", "ml-100k.item", "ml-100k.kg", "ml-100k.link",
                                                        "ml-100k.user"]
    assert [p.name for p in cache.iterdir()] == ["ml-100k"]  # no staging folder left behind
    data = movielens.read_atomic(folder)
    assert data.n_ratings == 2 and data.items.loc[0, "title"] == "A Film"
    fetch_movielens_100k(cache)
    assert len(calls) == 1  # verified cache: nothing downloaded again


def test_corrupt_cache_is_fetched_again(fake_registry):
    cache, calls = fake_registry
    folder = fetch_movielens_100k(cache)
    (folder / "ml-100k.inter").write_bytes(b"garbage")
    fetch_movielens_100k(cache)
    assert len(calls) == 2
    assert sha256_file(folder / "ml-100k.inter") == movielens.ATOMIC_SHA256["ml-100k.inter"]


def test_wrong_wheel_checksum_caches_nothing(fake_registry, monkeypatch):
    cache, _ = fake_registry
    monkeypatch.setattr(movielens, "WHEEL_SHA256", "0" * 64)
    with pytest.raises(DataError, match="sha256"):
        fetch_movielens_100k(cache)
    assert list(cache.iterdir()) == []


def test_failure_midway_leaves_old_cache_and_no_partial_copy(fake_registry, monkeypatch):
    cache, _ = fake_registry
    folder = fetch_movielens_100k(cache)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    (folder / "ml-100k.user").write_bytes(b"damaged")  # force a re-fetch
    before["ml-100k.user"] = b"damaged"

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(movielens, "_replace_dir", crash)
    with pytest.raises(OSError, match="disk full"):
        fetch_movielens_100k(cache)
    assert [p.name for p in cache.iterdir()] == ["ml-100k"]  # staging folder removed
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # old copy untouched


def test_pip_failure_explains_what_to_do(tmp_path, monkeypatch):
    def no_network(cmd, **kwargs):
        import subprocess
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: Could not find a version that satisfies the requirement recbole==1.2.1")

    monkeypatch.setattr(movielens.subprocess, "run", no_network)
    with pytest.raises(DataError, match="pip could not download recbole==1.2.1.*Could not find.*RECSYS_LITE_ML100K"):
        fetch_movielens_100k(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_missing_pip_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(movielens.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DataError, match="pip is not available.*ensurepip"):
        fetch_movielens_100k(tmp_path)


def test_unwritable_data_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DataError, match="cannot write to the data folder"):
        fetch_movielens_100k(blocker / "sub")


# ---- the GroupLens layout ----------------------------------------------------------------
def write_grouplens(folder: Path, data: Dataset):
    """Write a dataset in GroupLens's u.data / u.item / u.user layout."""
    folder.mkdir(parents=True, exist_ok=True)
    r = data.ratings
    u_data = pd.DataFrame({"u": data.users["user_id"].to_numpy()[r["user"]],
                           "i": data.items["item_id"].to_numpy()[r["item"]],
                           "r": r["rating"].astype(int), "t": r["timestamp"]})
    u_data.to_csv(folder / "u.data", sep="\t", header=False, index=False)
    lines = []
    for _, it in data.items.iterrows():
        date = "" if pd.isna(it["year"]) else f"01-Jan-{int(it['year'])}"
        title = it["title"] if pd.isna(it["year"]) else f"{it['title']} ({int(it['year'])})"
        flags = "|".join("1" if g in it["genres"] else "0" for g in GENRES)
        lines.append(f"{it['item_id']}|{title}|{date}||http://example|{flags}")
    (folder / "u.item").write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    data.users.to_csv(folder / "u.user", sep="|", header=False, index=False)


def test_read_grouplens_tiny_fixture(tmp_path):
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    (folder / "u.data").write_text("2\t10\t4\t881250949\n1\t10\t5\t881250950\n1\t20\t1\t881250951\n")
    flags_a = "|".join("1" if g in ("Comedy", "Drama") else "0" for g in GENRES)
    flags_b = "|".join("1" if g == "unknown" else "0" for g in GENRES)
    (folder / "u.item").write_bytes(f"10|Misérables, Les (1995)|01-Jan-1995||http://x|{flags_a}\n"
                                    f"20|unknown|||http://x|{flags_b}\n".encode("latin-1"))
    (folder / "u.user").write_text("1|24|M|technician|85711\n2|53|F|other|94043\n")
    with pytest.raises(DataError, match="does not hold the 100,000 ratings"):
        read_grouplens(folder)                      # verified by default: this is not ML-100K
    data = read_grouplens(folder, verify=False)
    assert (data.n_ratings, data.n_users, data.n_items) == (3, 2, 2)
    assert data.items["title"].tolist() == ["Misérables, Les", "unknown"]
    assert data.items.loc[0, "year"] == 1995 and pd.isna(data.items.loc[1, "year"])
    assert data.items["genres"].tolist() == [("Comedy", "Drama"), ("unknown",)]
    assert data.ratings.sort_values("timestamp")[["user", "item", "rating"]].values.tolist() == [
        [1, 0, 4.0], [0, 0, 5.0], [0, 1, 1.0]]
    # ... but it is not MovieLens-100K, and fetching it as such says so and caches nothing
    with pytest.raises(DataError, match="does not hold the 100,000 ratings"):
        fetch_movielens_100k(tmp_path / "cache", source=folder)
    assert list((tmp_path / "cache").iterdir()) == []


def test_grouplens_zip_with_the_real_ratings(tmp_path, ml100k):
    folder = tmp_path / "ml-100k"
    write_grouplens(folder, ml100k)
    archive = tmp_path / "ml-100k.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name in ("u.data", "u.item", "u.user"):
            z.write(folder / name, f"ml-100k/{name}")
    cache = tmp_path / "cache"
    data = load_movielens_100k(cache, source=archive)
    assert (cache / "ml-100k-grouplens" / "SHA256SUMS").is_file()
    pd.testing.assert_frame_equal(data.ratings, ml100k.ratings)
    assert data.items["title"].tolist() == ml100k.items["title"].tolist()
    assert data.items["genres"].tolist() == ml100k.items["genres"].tolist()
    # the environment variable works too, and the verified cache is reused
    again = load_movielens_100k(cache)
    pd.testing.assert_frame_equal(again.ratings, ml100k.ratings)


def test_grouplens_source_errors(tmp_path):
    with pytest.raises(DataError, match="names no file or folder"):
        fetch_movielens_100k(tmp_path / "cache", source=tmp_path / "nowhere.zip")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="has no u.data"):
        fetch_movielens_100k(tmp_path / "cache", source=tmp_path / "empty")
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="neither a folder nor a readable zip"):
        fetch_movielens_100k(tmp_path / "cache", source=tmp_path / "bad.zip")


def test_unreadable_file_is_reported(tmp_path):
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    for name in ("ml-100k.inter", "ml-100k.item", "ml-100k.user"):
        (folder / name).write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DataError, match="ml-100k.inter fails its sha256 check"):
        movielens.read_atomic(folder)
    with pytest.raises(DataError, match="could not read|inconsistent"):
        movielens.read_atomic(folder, verify=False)
    with pytest.raises(DataError, match="does not exist"):
        read_grouplens(tmp_path / "missing")


def test_a_truncated_cached_file_is_refused_not_read(tmp_path):
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    for name in ATOMIC_SHA256:
        (folder / name).write_bytes((movielens.default_data_dir() / "ml-100k" / name).read_bytes())
    with open(folder / "ml-100k.inter", "r+b") as f:
        f.truncate(f.seek(0, 2) // 2)
    with pytest.raises(DataError, match="ml-100k.inter fails its sha256 check.*fetch again"):
        movielens.read_folder(folder)


def test_no_network_and_a_corrupt_cache_says_both_in_order(fake_registry, monkeypatch):
    cache, _ = fake_registry
    folder = fetch_movielens_100k(cache)
    (folder / "ml-100k.item").write_bytes(b"garbage")

    def offline(dest):
        raise DataError("pip could not download recbole==1.2.1: no network")

    monkeypatch.setattr(movielens, "_download_wheel", offline)
    with pytest.raises(DataError) as err:
        fetch_movielens_100k(cache)
    message = str(err.value)
    assert message.index("ml-100k.item fails its sha256 check") < message.index("no network")
    assert message.startswith(f"The cached copy in {folder} failed its check")


def test_a_wrong_source_variable_names_itself(fake_registry, monkeypatch):
    cache, calls = fake_registry
    monkeypatch.setenv(movielens.SOURCE_ENV, "/nowhere/ml-100k.zip")
    with pytest.raises(DataError, match="RECSYS_LITE_ML100K=/nowhere/ml-100k.zip names no file.*unset"):
        fetch_movielens_100k(cache)                     # nothing cached yet
    monkeypatch.delenv(movielens.SOURCE_ENV)
    folder = fetch_movielens_100k(cache)
    monkeypatch.setenv(movielens.SOURCE_ENV, "/nowhere/ml-100k.zip")
    with pytest.warns(UserWarning, match="RECSYS_LITE_ML100K=/nowhere/ml-100k.zip names no file.*verified copy"):
        assert fetch_movielens_100k(cache) == folder    # a verified copy is cached: use it, say so
    with pytest.raises(DataError, match="source='/nowhere/x.zip' names no file"):
        fetch_movielens_100k(cache, source="/nowhere/x.zip")


def test_stale_staging_folders_are_removed(fake_registry):
    cache, _ = fake_registry
    cache.mkdir()
    dead = cache / ".fetch-999999999-abc"             # no process has this pid
    dead.mkdir()
    (dead / "ml-100k.inter").write_text("half")
    alive = cache / f".fetch-{__import__('os').getpid()}-xyz"
    alive.mkdir()
    fetch_movielens_100k(cache)
    assert not dead.exists() and alive.exists()


# ---- the Dataset type and the simulated world --------------------------------------------
def test_dataset_validates():
    users = pd.DataFrame({"user_id": [10, 11]})
    items = pd.DataFrame({"item_id": [5]})
    ok = pd.DataFrame({"user": [0, 1], "item": [0, 0], "rating": [4.0, 2.0], "timestamp": [1, 2]})
    d = Dataset(ok, users, items)
    assert d.to_csr().toarray().tolist() == [[4.0], [2.0]]
    assert d.to_csr(binary=True).sum() == 2
    with pytest.raises(ValueError, match="NaN"):
        Dataset(ok.assign(rating=[np.nan, 1.0]), users, items)
    with pytest.raises(ValueError, match="outside"):
        Dataset(ok.assign(item=[0, 1]), users, items)
    with pytest.raises(ValueError, match="missing the columns"):
        Dataset(ok.drop(columns="timestamp"), users, items)


def test_simulated_world_is_seeded_and_consistent(world):
    data, truth = world
    again, _ = simulate_world(n_users=120, n_items=80, density=0.15, seed=7)
    pd.testing.assert_frame_equal(data.ratings, again.ratings)
    other, _ = simulate_world(n_users=120, n_items=80, density=0.15, seed=8)
    assert not data.ratings.equals(other.ratings)
    r = data.ratings
    assert (r["rating"].to_numpy() == truth.ratings[r["user"], r["item"]]).all()
    assert abs(data.density - 0.15) < 0.015  # sd of the density here is about 0.004
    assert truth.propensity.shape == (120, 80) and truth.propensity.max() <= 1


def test_simulated_world_is_missing_not_at_random():
    data, truth = simulate_world(n_users=300, n_items=200, mnar=1.0, seed=1)
    observed_mean = data.ratings["rating"].mean()
    assert observed_mean > truth.ratings.mean() + 0.2  # liked items are observed more often
    counts = np.bincount(data.ratings["item"], minlength=200)
    assert np.corrcoef(counts, truth.item_popularity)[0, 1] > 0.5  # popular items get more ratings
    unbiased, truth0 = simulate_world(n_users=300, n_items=200, mnar=0.0, popularity_skew=0.0, seed=1)
    assert abs(unbiased.ratings["rating"].mean() - truth0.ratings.mean()) < 0.05
