"""Item profiles: what is known about each film, as one sparse items x features matrix.

A profile is built from blocks, each a group of columns:

* ``genres``: the 19 MovieLens genres, 0/1;
* ``year``: the release decade, one-hot (a film without a year has none);
* ``title``: the words of the title, TF-IDF weighted by scikit-learn's ``TfidfVectorizer``
  (English stop words removed, words in at least ``min_films`` titles);
* one block per knowledge-graph relation (``actor``, ``director``, ...; see
  `recsys_lite.data.knowledge_graph.RELATIONS`): one column per entity shared by at least
  ``min_films`` films, 0/1, or weighted by the entity's inverse document frequency
  log(n_items / films with it) when ``idf=True`` (a rare shared actor says more than a common
  language).

Blocks differ wildly in size (a film has one or two genres but dozens of actors), so each block's
rows are scaled to unit length before the blocks are put side by side (``normalise=True``):
every block a film has then weighs the same in a dot product, and ``weights`` can tilt that.
`ItemFeatures` keeps the column names and where each block lies, so a model or a table can pick
blocks by name; the hybrid and deep chapters reuse it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .dataset import Dataset
from .knowledge_graph import RELATIONS
from .movielens import GENRES
from .._checks import flag, real_number, whole_number

BASIC_BLOCKS = ("genres", "year", "title")
BLOCKS = BASIC_BLOCKS + tuple(RELATIONS)


@dataclass(frozen=True, eq=False)
class ItemFeatures:
    """Items x features, with names.

    ``matrix``: CSR, one row per item (in the dataset's item order); ``names``: one label per
    column ("genres=Drama", "actor=m.0bln8", "title=star"); ``blocks``: block name -> (first
    column, end column).
    """

    matrix: sp.csr_matrix
    names: np.ndarray
    blocks: dict

    def __post_init__(self):
        if not sp.issparse(self.matrix) or self.matrix.ndim != 2:
            raise ValueError("matrix must be a 2-D scipy.sparse matrix (items x features).")
        object.__setattr__(self, "matrix", sp.csr_matrix(self.matrix, dtype=float))
        if len(self.names) != self.matrix.shape[1]:
            raise ValueError(f"names has {len(self.names)} labels for {self.matrix.shape[1]} columns.")
        if not np.isfinite(self.matrix.data).all():
            raise ValueError("matrix holds NaN or inf; a feature value must be finite.")

    @property
    def n_items(self) -> int:
        return self.matrix.shape[0]

    @property
    def n_features(self) -> int:
        return self.matrix.shape[1]

    def __repr__(self) -> str:
        sizes = ", ".join(f"{b} {stop - start}" for b, (start, stop) in self.blocks.items())
        return f"ItemFeatures({self.n_items} items x {self.n_features} features: {sizes})"

    def select(self, *blocks) -> "ItemFeatures":
        """The same profiles restricted to the named blocks (in the order given)."""
        blocks = _check_blocks(blocks, tuple(self.blocks))
        columns, spans, start = [], {}, 0
        for b in blocks:
            lo, hi = self.blocks[b]
            columns.append(np.arange(lo, hi))
            spans[b] = (start, start + hi - lo)
            start += hi - lo
        cols = np.concatenate(columns)
        return ItemFeatures(self.matrix[:, cols], self.names[cols], spans)

    def binary(self) -> sp.csr_matrix:
        """The 0/1 pattern of the profiles (which features each item has), for set measures."""
        m = self.matrix.copy()
        m.data = (m.data != 0).astype(float)
        m.eliminate_zeros()
        return m

    def empty_items(self) -> np.ndarray:
        """Items whose profile has no feature at all."""
        return np.flatnonzero(np.diff(self.binary().indptr) == 0)

    def describe(self) -> pd.DataFrame:
        """Per block: columns, items covered (with at least one non-zero) and mean non-zeros per item."""
        rows = {}
        for b, (lo, hi) in self.blocks.items():
            part = self.matrix[:, lo:hi]
            per_item = np.diff(part.indptr)
            rows[b] = {"features": hi - lo, "items covered": int((per_item > 0).sum()),
                       "non-zeros per covered item": per_item[per_item > 0].mean() if (per_item > 0).any() else 0.0}
        return pd.DataFrame.from_dict(rows, orient="index")


def _check_blocks(blocks, known) -> tuple[str, ...]:
    if len(blocks) == 1 and not isinstance(blocks[0], str):
        blocks = tuple(blocks[0])
    unknown = [b for b in blocks if b not in known]
    if unknown or not blocks:
        raise ValueError(f"blocks must be names from {list(known)}, got {list(blocks)!r}"
                         + (f" (unknown: {unknown})" if unknown else " (none given)") + ".")
    if len(set(blocks)) != len(blocks):
        raise ValueError(f"blocks lists a name twice: {list(blocks)!r}.")
    return tuple(blocks)


def item_features(dataset: Dataset, blocks=BASIC_BLOCKS, *, knowledge: pd.DataFrame | None = None,
                  min_films: int = 2, idf: bool = True, normalise: bool = True, weights: dict | None = None) -> ItemFeatures:
    """Build item profiles from ``blocks`` (names from `BLOCKS`) for every item of ``dataset``.

    Knowledge-graph blocks need ``knowledge``, the table of `load_knowledge_graph`; films
    without facts get an empty block. ``weights`` maps block names to a multiplier (default 1).
    """
    if not isinstance(dataset, Dataset):
        raise TypeError(f"dataset must be a recsys_lite Dataset, got {type(dataset).__name__}.")
    if isinstance(blocks, str):
        blocks = (blocks,)
    blocks = _check_blocks(tuple(blocks), BLOCKS)
    min_films = whole_number(min_films, "min_films")
    flag(idf, "idf")
    flag(normalise, "normalise")
    weights = dict(weights or {})
    stray = [b for b in weights if b not in blocks]
    if stray:
        raise ValueError(f"weights names blocks that are not built: {stray}; blocks are {list(blocks)}.")
    for b, w in weights.items():
        real_number(w, f"weights[{b!r}]", above=0)
    kg_blocks = [b for b in blocks if b in RELATIONS]
    if kg_blocks:
        if knowledge is None:
            raise ValueError(f"the blocks {kg_blocks} come from the knowledge graph: pass "
                             "knowledge=load_knowledge_graph(dataset).")
        missing = {"item", "relation", "entity"} - set(getattr(knowledge, "columns", ()))
        if missing:
            raise ValueError("knowledge must be the table of load_knowledge_graph (columns item, relation, entity); "
                             f"missing {sorted(missing)}.")
        if len(knowledge) and (knowledge["item"].min() < 0 or knowledge["item"].max() >= dataset.n_items):
            raise ValueError(f"knowledge names items outside 0 .. {dataset.n_items - 1}; was it loaded for another dataset?")
    parts, names, spans, start = [], [], {}, 0
    for b in blocks:
        if b == "genres":
            m, labels = _genres(dataset)
        elif b == "year":
            m, labels = _decades(dataset)
        elif b == "title":
            m, labels = _title_terms(dataset, min_films)
        else:
            m, labels = _entities(knowledge[knowledge["relation"] == b], dataset.n_items, min_films, idf)
        if normalise:
            norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1))).ravel()
            m = sp.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ m
        m = sp.csr_matrix(m * weights.get(b, 1.0))
        parts.append(m)
        names.extend(f"{b}={label}" for label in labels)
        spans[b] = (start, start + m.shape[1])
        start += m.shape[1]
    return ItemFeatures(sp.hstack(parts, format="csr"), np.array(names, dtype=object), spans)


def _genres(dataset: Dataset):
    if "genres" not in dataset.items:
        raise ValueError("dataset.items has no 'genres' column for the genres block.")
    rows = dataset.items["genres"]
    index = {g: j for j, g in enumerate(GENRES)}
    pairs = [(i, index[g]) for i, gs in enumerate(rows) for g in gs if g in index]
    r, c = np.array(pairs, dtype=np.int64).reshape(-1, 2).T
    return sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(dataset.n_items, len(GENRES))), list(GENRES)


def _decades(dataset: Dataset):
    if "year" not in dataset.items:
        raise ValueError("dataset.items has no 'year' column for the year block.")
    year = pd.to_numeric(dataset.items["year"], errors="coerce").to_numpy(dtype=float)
    known = np.isfinite(year)
    decade = (year[known] // 10 * 10).astype(int)
    labels = np.unique(decade)
    cols = np.searchsorted(labels, decade)
    m = sp.csr_matrix((np.ones(known.sum()), (np.flatnonzero(known), cols)), shape=(dataset.n_items, len(labels)))
    return m, [f"{d}s" for d in labels]


def _title_terms(dataset: Dataset, min_films: int):
    from sklearn.feature_extraction.text import TfidfVectorizer
    if "title" not in dataset.items:
        raise ValueError("dataset.items has no 'title' column for the title block.")
    vectoriser = TfidfVectorizer(stop_words="english", min_df=min_films)
    try:
        m = vectoriser.fit_transform(dataset.items["title"].fillna("").astype(str))
    except ValueError:            # no word in min_films titles: an empty block
        return sp.csr_matrix((dataset.n_items, 0)), []
    return m, list(vectoriser.get_feature_names_out())


def _entities(facts: pd.DataFrame, n_items: int, min_films: int, idf: bool):
    films = facts.groupby("entity")["item"].nunique()
    kept = films[films >= min_films]
    labels = kept.index.to_numpy()
    facts = facts[facts["entity"].isin(kept.index)]
    cols = pd.Index(labels).get_indexer(facts["entity"])
    values = np.log(n_items / kept.to_numpy()[cols]) if idf else np.ones(len(cols))
    m = sp.csr_matrix((values, (facts["item"].to_numpy(), cols)), shape=(n_items, len(labels)))
    return m, list(labels)
