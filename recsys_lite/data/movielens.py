"""MovieLens-100K: fetch it once, verify it, load it as a `Dataset`.

MovieLens-100K (Harper & Konstan 2015) may not be redistributed, so the book never ships it.
Two sources are supported:

* the package registry: the wheel ``recbole==1.2.1`` carries the full dataset as RecBole
  "atomic" files (``ml-100k.inter``, ``.item``, ``.user``). We download that one wheel with
  pip (``--no-deps``; it is never installed or imported), check its sha256, extract only those
  three files and check theirs;
* a copy of GroupLens's own ``ml-100k.zip`` (or its unzipped folder with ``u.data``,
  ``u.item``, ``u.user``) given as ``source=`` or in the environment variable
  ``RECSYS_LITE_ML100K``. It must hold the same 100,000 ratings, checked by a fingerprint.

Every write goes to a temporary folder beside the cache and is renamed into place only once
verified, so an interrupted or failed fetch never leaves a half-written cache behind.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import Dataset

WHEEL_REQUIREMENT = "recbole==1.2.1"
WHEEL_SHA256 = "9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407"
WHEEL_MEMBER_DIR = "recbole/dataset_example/ml-100k/"
ATOMIC_SHA256 = {
    "ml-100k.inter": "4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff",
    "ml-100k.item": "51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532",
    "ml-100k.user": "4f670007d9cfbeb9807e757209af1555b9bcc186bde25e767f67cb67c6dd5972",
}
# The knowledge graph shipped with the same wheel (Freebase triples; used from chapter 4 on).
KNOWLEDGE_SHA256 = {
    "ml-100k.kg": "200a0636fa07c218119a42e5bac7aa3e26e3665a6f919c1b22909bd412b14779",
    "ml-100k.link": "524dca2c3d62619688ab99b3ec53ea2acb9b64d38eafec3e02bdd0dc6bb7d948",
}
GROUPLENS_FILES = ("u.data", "u.item", "u.user")
# sha256 of the (user, item, rating, timestamp) rows, sorted, as little-endian int64: the same
# for both sources, so a GroupLens copy is checked to hold exactly the registry's ratings.
RATINGS_FINGERPRINT = "ec862504a8c24b195f5194e51fb18bb2d59428d00d96d6d1c63433a3bd5f2f47"
N_RATINGS, N_USERS, N_ITEMS = 100_000, 943, 1_682

# The 19 genres of ML-100K, in the order of the flags in GroupLens's u.item.
GENRES = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
          "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
          "Romance", "Sci-Fi", "Thriller", "War", "Western")

ATOMIC_DIR, GROUPLENS_DIR = "ml-100k", "ml-100k-grouplens"
MANIFEST = "SHA256SUMS"
SOURCE_ENV, DATA_DIR_ENV = "RECSYS_LITE_ML100K", "RECSYS_LITE_DATA"
GROUPLENS_HINT = ("download ml-100k.zip from https://grouplens.org/datasets/movielens/100k/ and pass its "
                  f"path as load_movielens_100k(source=...) or in the environment variable {SOURCE_ENV}.")
SETUP_HINT = "Run `make data` from the book's folder, or " + GROUPLENS_HINT


class DataError(RuntimeError):
    """The dataset could not be fetched, verified or read; the message says what to do."""


# ---- where the data lives ----------------------------------------------------------------
def default_data_dir() -> Path:
    """``$RECSYS_LITE_DATA``, else the book's ``data/`` folder, else ``~/.cache/recsys_lite``."""
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV]).expanduser()
    repo = Path(__file__).resolve().parents[2]
    if (repo / "pyproject.toml").is_file() and (repo / "recsys_lite").is_dir():
        return repo / "data"
    return Path.home() / ".cache" / "recsys_lite"


# ---- public API ----------------------------------------------------------------------------
def fetch_movielens_100k(data_dir=None, *, source=None, force: bool = False) -> Path:
    """Make sure a verified copy of ML-100K is cached; return the folder that holds it.

    Does nothing when the cache already verifies (unless ``force``). With ``source`` (or
    ``$RECSYS_LITE_ML100K``) the copy comes from a GroupLens zip or folder; otherwise from the
    registry wheel. A cached copy that fails its checksums is fetched again.
    """
    data_dir = Path(data_dir).expanduser() if data_dir else default_data_dir()
    from_env = source is None and bool(os.environ.get(SOURCE_ENV))
    source = source or os.environ.get(SOURCE_ENV) or None
    atomic, grouplens = data_dir / ATOMIC_DIR, data_dir / GROUPLENS_DIR
    _remove_stale_staging(data_dir)
    if source is not None and not Path(source).expanduser().exists():
        named = f"the environment variable {SOURCE_ENV}={source}" if from_env else f"source={str(source)!r}"
        if from_env and not force and (_atomic_ok(atomic) or _manifest_ok(grouplens)):
            warnings.warn(f"{named} names no file or folder; using the verified copy already in {data_dir}. "
                          f"Unset {SOURCE_ENV} or correct it.", stacklevel=2)
            return atomic if _atomic_ok(atomic) else grouplens
        raise DataError(f"{named} names no file or folder. Give the path of GroupLens's ml-100k.zip or of the "
                        "folder that holds u.data, u.item and u.user"
                        + (f", or unset {SOURCE_ENV} to fetch the data from the package registry." if from_env else "."))
    if source is None:
        if not force and _atomic_ok(atomic):
            if _knowledge_problems(atomic):
                try:
                    _complete_knowledge(data_dir)
                except DataError as e:
                    warnings.warn(f"The ratings in {atomic} verify, but the knowledge graph (chapter 4 on) could not "
                                  f"be added: {e}", stacklevel=2)
            return atomic
        if not force and _manifest_ok(grouplens):
            return grouplens
        damaged = _cache_problems(atomic) if atomic.exists() else []
        try:
            _fetch_from_registry(data_dir)
        except DataError as e:
            if damaged:
                raise DataError(f"The cached copy in {atomic} failed its check ({'; '.join(damaged)}), and fetching "
                                f"a fresh copy failed too: {e}") from None
            raise
        return atomic
    if not force and _manifest_ok(grouplens):
        return grouplens
    _copy_from_grouplens(Path(source).expanduser(), data_dir)
    return grouplens


def load_movielens_100k(data_dir=None, *, source=None) -> Dataset:
    """MovieLens-100K as a `Dataset`: 100,000 ratings by 943 users of 1,682 movies.

    ``ratings``: user, item (contiguous ids), rating 1-5, timestamp (Unix seconds).
    ``items``: item_id (original), title, year (nullable int), genres (tuple of names).
    ``users``: user_id (original), age, gender, occupation, zip_code.
    Fetches and verifies the data first if needed (see `fetch_movielens_100k`).
    """
    return read_folder(fetch_movielens_100k(data_dir, source=source), verify=False)   # the fetch verified it


def read_folder(folder, *, verify: bool = True) -> Dataset:
    """Read a cached copy in whichever layout the folder holds, checking it first (see
    `read_atomic` and `read_grouplens`) unless ``verify=False``."""
    folder = Path(folder)
    return read_grouplens(folder, verify=verify) if folder.name == GROUPLENS_DIR else read_atomic(folder, verify=verify)


# ---- reading the two layouts ---------------------------------------------------------------
def read_atomic(folder, *, verify: bool = True) -> Dataset:
    """Read RecBole atomic files (``ml-100k.inter``, ``.item``, ``.user``). With ``verify`` (the
    default) each file must match its sha256 first, so a truncated or edited copy is refused
    instead of loading as fewer (or other) ratings."""
    folder = Path(folder)
    if verify:
        problems = _cache_problems(folder)
        if problems:
            raise DataError(f"{folder} does not hold the verified MovieLens-100K files ({'; '.join(problems)}). "
                            f"Delete it and fetch again. {SETUP_HINT}")
    inter = _read_table(folder / "ml-100k.inter", sep="\t", header=0)
    item = _read_table(folder / "ml-100k.item", sep="\t", header=0, dtype=str, keep_default_na=False)
    user = _read_table(folder / "ml-100k.user", sep="\t", header=0, dtype=str, keep_default_na=False)
    for table in (inter, item, user):  # headers look like "user_id:token"
        table.columns = [c.split(":")[0] for c in table.columns]
    ratings = inter.rename(columns={"user_id": "user", "item_id": "item"})
    # RecBole spells the one missing title and year "unkonwn"; GroupLens leaves them blank.
    # One film (1412) keeps its year inside the title and has "V" (video) as its year.
    item = item.replace({"movie_title": {"unkonwn": "unknown"}})
    title_year = item["movie_title"].str.extract(r"^(?P<title>.*?)\s*(?:\((?P<year>\d{4})\))?\s*$")
    year = pd.to_numeric(item["release_year"], errors="coerce").fillna(pd.to_numeric(title_year["year"]))
    items = pd.DataFrame({
        "item_id": item["item_id"].astype(int),
        "title": title_year["title"],
        "year": year.astype("Int64"),
        "genres": [tuple(g.split()) for g in item["class"]],
    })
    users = user.astype({"user_id": int, "age": int})
    return _assemble(ratings, users[["user_id", "age", "gender", "occupation", "zip_code"]], items)


def read_grouplens(folder, *, verify: bool = True) -> Dataset:
    """Read GroupLens's ``u.data``, ``u.item`` and ``u.user``. With ``verify`` (the default) the
    ratings must be exactly MovieLens-100K's 100,000 (checked by a fingerprint)."""
    folder = Path(folder)
    data = _read_grouplens(folder)
    if verify and (data.n_ratings != N_RATINGS or ratings_fingerprint(_original_ids(data)) != RATINGS_FINGERPRINT):
        raise DataError(f"{folder} does not hold the 100,000 ratings of MovieLens-100K (found {data.n_ratings:,} "
                        "ratings, or different ones). Use the unmodified ml-100k.zip from GroupLens.")
    return data


def _read_grouplens(folder: Path) -> Dataset:
    ratings = _read_table(folder / "u.data", sep="\t", header=None,
                          names=["user", "item", "rating", "timestamp"])
    item = _read_table(folder / "u.item", sep="|", header=None, encoding="latin-1", dtype=str,
                       keep_default_na=False,
                       names=["item_id", "title", "release_date", "video_date", "url", *GENRES])
    flags = item[list(GENRES)].to_numpy() == "1"
    title_year = item["title"].str.extract(r"^(?P<title>.*?)\s*(?:\((?P<y>\d{4})\))?\s*$")
    items = pd.DataFrame({
        "item_id": item["item_id"].astype(int),
        "title": title_year["title"],
        "year": pd.to_numeric(item["release_date"].str[-4:], errors="coerce").astype("Int64"),
        "genres": [tuple(np.array(GENRES)[row]) for row in flags],
    })
    users = _read_table(folder / "u.user", sep="|", header=None, dtype=str,
                        names=["user_id", "age", "gender", "occupation", "zip_code"])
    users = users.astype({"user_id": int, "age": int})
    return _assemble(ratings, users, items)


def genre_matrix(dataset: Dataset, genres=GENRES) -> pd.DataFrame:
    """Items x genres 0/1 table (one column per genre, rows in item-id order)."""
    if not isinstance(dataset, Dataset):
        raise TypeError(f"dataset must be a recsys_lite Dataset, got {type(dataset).__name__}.")
    if "genres" not in dataset.items:
        raise ValueError("dataset.items has no 'genres' column.")
    if isinstance(genres, str) or not all(isinstance(g, str) for g in genres) or len(set(genres)) != len(list(genres)):
        raise ValueError(f"genres must be a list of distinct genre names, got {genres!r}.")
    rows = dataset.items["genres"]
    return pd.DataFrame({g: [int(g in gs) for gs in rows] for g in genres})


def ratings_fingerprint(ratings: pd.DataFrame) -> str:
    """sha256 of the sorted (user, item, rating, timestamp) rows as little-endian int64."""
    a = ratings[["user", "item", "rating", "timestamp"]].to_numpy().astype(np.int64)
    a = a[np.lexsort(a.T[::-1])]
    return hashlib.sha256(np.ascontiguousarray(a, dtype="<i8").tobytes()).hexdigest()


# ---- internals ------------------------------------------------------------------------------
def _read_table(path: Path, **kwargs) -> pd.DataFrame:
    try:
        return pd.read_csv(path, **kwargs)
    except FileNotFoundError:
        raise DataError(f"{path} does not exist. {SETUP_HINT}") from None
    except (OSError, ValueError, pd.errors.ParserError, UnicodeDecodeError) as e:
        raise DataError(f"could not read {path}: {e}. The file may be damaged; "
                        f"delete it and fetch again. {SETUP_HINT}") from None


def _assemble(ratings: pd.DataFrame, users: pd.DataFrame, items: pd.DataFrame) -> Dataset:
    """Contiguous ids in order of the original ids; ratings keep their original ids in the tables."""
    users = users.sort_values("user_id").reset_index(drop=True)
    items = items.sort_values("item_id").reset_index(drop=True)
    rated_users = pd.Index(users["user_id"]).get_indexer(ratings["user"])
    rated_items = pd.Index(items["item_id"]).get_indexer(ratings["item"])
    if (rated_users < 0).any() or (rated_items < 0).any():
        raise DataError("the ratings name users or items missing from the user or item file; "
                        f"the copy is inconsistent. {SETUP_HINT}")
    r = pd.DataFrame({"user": rated_users, "item": rated_items,
                      "rating": ratings["rating"].astype(float).to_numpy(),
                      "timestamp": ratings["timestamp"].astype(np.int64).to_numpy()})
    return Dataset(r, users, items, name="MovieLens-100K")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _atomic_ok(folder: Path) -> bool:
    return not _cache_problems(folder)


def _cache_problems(folder: Path, files: dict | None = None) -> list[str]:
    """What is wrong with the RecBole files in ``folder`` (the ratings' three unless ``files``
    names others): each missing file or failed sha256."""
    problems = []
    for name, expected in (ATOMIC_SHA256 if files is None else files).items():
        if not (folder / name).is_file():
            problems.append(f"{name} is missing")
        elif sha256_file(folder / name) != expected:
            problems.append(f"{name} fails its sha256 check")
    return problems


def _knowledge_problems(folder: Path) -> list[str]:
    return _cache_problems(folder, KNOWLEDGE_SHA256)


def fetch_knowledge_graph(data_dir=None) -> Path:
    """Make sure the knowledge-graph files (``ml-100k.kg``, ``ml-100k.link``) are cached and
    verified beside the registry copy of the ratings; return their folder.

    A cache whose ratings verify is completed (only the two files are added, each moved into
    place once verified); otherwise the whole registry copy is fetched. GroupLens's zip holds no
    knowledge graph, so this needs the package registry even when the ratings came from there.
    """
    data_dir = Path(data_dir).expanduser() if data_dir else default_data_dir()
    atomic = data_dir / ATOMIC_DIR
    _remove_stale_staging(data_dir)
    if not _atomic_ok(atomic):
        _fetch_from_registry(data_dir)
    elif _knowledge_problems(atomic):
        _complete_knowledge(data_dir)
    return atomic


def _complete_knowledge(data_dir: Path) -> None:
    """Add the knowledge-graph files to a cache whose ratings verify, without touching them."""
    stage = _staging(data_dir)
    try:
        extracted = _extract_from_wheel(stage, KNOWLEDGE_SHA256)
        for name in KNOWLEDGE_SHA256:
            os.replace(extracted / name, data_dir / ATOMIC_DIR / name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


STAGING_PREFIX = ".fetch-"


def _remove_stale_staging(data_dir: Path) -> None:
    """Remove staging folders a killed fetch left behind: those of processes no longer running
    (their names hold the pid), and unnamed ones older than a day."""
    if not data_dir.is_dir():
        return
    for folder in data_dir.glob(f"{STAGING_PREFIX}*"):
        parts = folder.name[len(STAGING_PREFIX):].split("-", 1)
        if parts[0].isdigit():
            stale = not _alive(int(parts[0]))
        else:
            stale = time.time() - folder.stat().st_mtime > 86_400
        if stale and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _manifest_ok(folder: Path) -> bool:
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return False
    expected = dict(line.split()[::-1] for line in manifest.read_text().splitlines() if line.strip())
    return set(expected) == set(GROUPLENS_FILES) and all(
        (folder / n).is_file() and sha256_file(folder / n) == s for n, s in expected.items())


def _replace_dir(new: Path, target: Path) -> None:
    """Move a finished folder into place; an old copy is renamed aside first, then removed."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}-old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _staging(data_dir: Path) -> Path:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=data_dir))
    except OSError as e:
        raise DataError(f"cannot write to the data folder {data_dir}: {e}. Choose a writable "
                        f"folder with data_dir=... or the environment variable {DATA_DIR_ENV}.") from None


def _download_wheel(dest: Path) -> Path:
    """pip-download the one wheel (no dependencies, never installed); return its path."""
    if importlib.util.find_spec("pip") is None:
        raise DataError(f"pip is not available in this Python ({sys.executable}), and the data "
                        "is fetched with it. Install it with `python -m ensurepip`, or " + GROUPLENS_HINT)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "--quiet", "--dest", str(dest), WHEEL_REQUIREMENT]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        done = None
    if done is None or done.returncode != 0:
        said = "timed out after 10 minutes" if done is None else (done.stderr or done.stdout).strip()
        lines = [ln for ln in said.splitlines() if not ln.startswith("WARNING: Location")][-5:]
        raise DataError(f"pip could not download {WHEEL_REQUIREMENT}, the package that carries "
                        "MovieLens-100K: " + " | ".join(lines) + ". Check that this machine can reach "
                        "the package registry (pip's index settings, a proxy), or " + GROUPLENS_HINT)
    wheels = sorted(dest.glob("recbole-1.2.1-*.whl"))
    if not wheels:
        raise DataError(f"pip reported success but left no recbole wheel in {dest}. {SETUP_HINT}")
    return wheels[0]


def _extract_from_wheel(stage: Path, files: dict) -> Path:
    """Download and check the wheel into ``stage``, extract ``files`` (name -> sha256) into
    ``stage/ml-100k`` and check each; return that folder."""
    wheel = _download_wheel(stage)
    got = sha256_file(wheel)
    if got != WHEEL_SHA256:
        raise DataError(f"the downloaded {wheel.name} has sha256 {got}, expected {WHEEL_SHA256}: "
                        "the registry served a different file. Nothing was cached. " + SETUP_HINT)
    out = stage / ATOMIC_DIR
    out.mkdir()
    try:
        with zipfile.ZipFile(wheel) as z:
            for name in files:
                (out / name).write_bytes(z.read(WHEEL_MEMBER_DIR + name))
    except (zipfile.BadZipFile, KeyError) as e:
        raise DataError(f"{wheel.name} is not the expected wheel ({e}). {SETUP_HINT}") from None
    for name, expected in files.items():
        if sha256_file(out / name) != expected:
            raise DataError(f"{name} from the wheel fails its sha256 check. {SETUP_HINT}")
    return out


def _fetch_from_registry(data_dir: Path) -> None:
    stage = _staging(data_dir)
    try:
        out = _extract_from_wheel(stage, {**ATOMIC_SHA256, **KNOWLEDGE_SHA256})
        _replace_dir(out, data_dir / ATOMIC_DIR)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _copy_from_grouplens(source: Path, data_dir: Path) -> None:
    if not source.exists():
        raise DataError(f"the MovieLens-100K source {source} does not exist. Give the path of "
                        "GroupLens's ml-100k.zip or of the folder that holds u.data, u.item and u.user.")
    stage = _staging(data_dir)
    try:
        out = stage / GROUPLENS_DIR
        out.mkdir()
        if source.is_dir():
            for name in GROUPLENS_FILES:
                found = source / name
                if not found.is_file():
                    raise DataError(f"{source} has no {name}; a GroupLens ML-100K folder holds "
                                    f"{', '.join(GROUPLENS_FILES)}.")
                shutil.copyfile(found, out / name)
        else:
            try:
                with zipfile.ZipFile(source) as z:
                    members = {Path(m).name: m for m in z.namelist() if re.search(r"(^|/)u\.(data|item|user)$", m)}
                    for name in GROUPLENS_FILES:
                        if name not in members:
                            raise DataError(f"{source} holds no {name}; is it GroupLens's ml-100k.zip?")
                        (out / name).write_bytes(z.read(members[name]))
            except zipfile.BadZipFile:
                raise DataError(f"{source} is neither a folder nor a readable zip file; "
                                "download ml-100k.zip again.") from None
        data = _read_grouplens(out)
        if data.n_ratings != N_RATINGS or ratings_fingerprint(_original_ids(data)) != RATINGS_FINGERPRINT:
            raise DataError(f"{source} does not hold the 100,000 ratings of MovieLens-100K "
                            f"(found {data.n_ratings:,} ratings, or different ones); nothing was cached. "
                            "Use the unmodified ml-100k.zip from GroupLens.")
        (out / MANIFEST).write_text("".join(f"{sha256_file(out / n)}  {n}\n" for n in GROUPLENS_FILES))
        _replace_dir(out, data_dir / GROUPLENS_DIR)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _original_ids(data: Dataset) -> pd.DataFrame:
    r = data.ratings
    return pd.DataFrame({"user": data.users["user_id"].to_numpy()[r["user"]],
                         "item": data.items["item_id"].to_numpy()[r["item"]],
                         "rating": r["rating"], "timestamp": r["timestamp"]})
