"""The knowledge graph that ships with MovieLens-100K in the registry wheel, as item facts.

``ml-100k.kg`` holds 91,631 Freebase triples (head entity, relation, tail entity) and
``ml-100k.link`` maps 1,598 of the 1,682 films to their Freebase entity (Zhao et al. 2019,
KB4Rec). Entities are Freebase ids such as ``m.0bln8``: the files carry no names, so a film's
actors can be counted and compared but not printed.

Most relations come twice, once from the film (``film.film.directed_by``) and once towards it
(``film.director.film``). `load_knowledge_graph` keeps one direction: for every linked film,
the entities it points to under the relations of `RELATIONS`, as a long table (item, relation,
entity). A film without a link, or a relation the film lacks, simply has no rows.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .dataset import Dataset
from .movielens import (ATOMIC_DIR, KNOWLEDGE_SHA256, DataError, _cache_problems, _read_table,
                        default_data_dir, fetch_knowledge_graph)

#: short name -> the Freebase relation, read from the film to the entity
RELATIONS = {
    "actor": "film.film.actor",
    "director": "film.film.directed_by",
    "writer": "film.film.written_by",
    "producer": "film.film.produced_by",
    "cinematographer": "film.film.cinematography",
    "company": "film.film.production_companies",
    "kg_genre": "film.film.genre",
    "subject": "film.film.subjects",
    "language": "film.film.language",
    "country": "film.film.country",
    "content_rating": "film.film.rating",
    "award_nominated": "film.film.award_nomination",
    "award_won": "film.film.award_won",
    "sequel": "film.film.sequel",
    "prequel": "film.film.prequel",
}

#: the relations grouped the way chapter 4's ablation adds them
RELATION_GROUPS = {
    "people": ("actor", "director", "writer", "producer", "cinematographer"),
    "studios": ("company",),
    "genres and subjects": ("kg_genre", "subject"),
    "origin": ("language", "country", "content_rating"),
    "awards": ("award_nominated", "award_won"),
    "series": ("sequel", "prequel"),
}


def check_relations(relations) -> tuple[str, ...]:
    """``relations`` as a tuple of known short names; else a ValueError listing them."""
    if isinstance(relations, str):
        relations = (relations,)
    relations = tuple(relations)
    unknown = [r for r in relations if r not in RELATIONS]
    if unknown or not relations:
        raise ValueError(f"relations must be names from {list(RELATIONS)}, got {list(relations)!r}"
                         + (f" (unknown: {unknown})" if unknown else " (empty)") + ".")
    if len(set(relations)) != len(relations):
        raise ValueError(f"relations lists a name twice: {list(relations)!r}.")
    return relations


def load_knowledge_graph(dataset: Dataset, data_dir=None, *, relations=tuple(RELATIONS)) -> pd.DataFrame:
    """The films' knowledge-graph facts: a table with columns ``item`` (the dataset's contiguous
    item id), ``relation`` (a short name from `RELATIONS`) and ``entity`` (a Freebase id),
    one row per distinct fact, sorted.

    The two files are fetched and verified first if needed (`fetch_knowledge_graph`). Links to
    original item ids the dataset does not hold are ignored, so the graph also serves a subset
    of the films.
    """
    if not isinstance(dataset, Dataset):
        raise TypeError(f"dataset must be a recsys_lite Dataset, got {type(dataset).__name__}.")
    relations = check_relations(relations)
    folder = Path(data_dir).expanduser() / ATOMIC_DIR if data_dir else default_data_dir() / ATOMIC_DIR
    if _cache_problems(folder, KNOWLEDGE_SHA256):
        folder = fetch_knowledge_graph(folder.parent)
    return read_knowledge_graph(folder, dataset, relations=relations, verify=False)   # checked just now


def read_knowledge_graph(folder, dataset: Dataset, *, relations=tuple(RELATIONS), verify: bool = True) -> pd.DataFrame:
    """Read ``ml-100k.kg`` and ``ml-100k.link`` from ``folder`` (checked against their sha256
    unless ``verify=False``) and map them onto ``dataset``'s items; see `load_knowledge_graph`."""
    relations = check_relations(relations)
    folder = Path(folder)
    if verify:
        problems = _cache_problems(folder, KNOWLEDGE_SHA256)
        if problems:
            raise DataError(f"{folder} does not hold the verified knowledge-graph files ({'; '.join(problems)}). "
                            "Run `make data` (or recsys_lite.data.fetch_knowledge_graph()) to fetch them.")
    kg = _read_table(folder / "ml-100k.kg", sep="\t", header=0, dtype=str, names=["head", "relation", "tail"])
    link = _read_table(folder / "ml-100k.link", sep="\t", header=0, dtype=str, names=["item_id", "head"])
    item_index = pd.Series(dataset.items.index, index=dataset.items["item_id"].astype(str))
    link = link[link["item_id"].isin(item_index.index)]
    link = link.assign(item=item_index[link["item_id"]].to_numpy())
    short = {v: k for k, v in RELATIONS.items() if k in relations}
    facts = kg[kg["relation"].isin(short)].merge(link[["head", "item"]], on="head")
    out = pd.DataFrame({"item": facts["item"].astype("int64"), "relation": facts["relation"].map(short),
                        "entity": facts["tail"]})
    return out.drop_duplicates().sort_values(["item", "relation", "entity"]).reset_index(drop=True)


def relation_coverage(facts: pd.DataFrame, n_items: int) -> pd.DataFrame:
    """Per relation: how many films have at least one fact, their share of ``n_items``, the
    number of distinct entities and the mean number of facts per covered film."""
    missing = {"item", "relation", "entity"} - set(getattr(facts, "columns", ()))
    if missing:
        raise ValueError(f"facts must be a table from load_knowledge_graph (columns item, relation, entity); "
                         f"missing {sorted(missing)}.")
    g = facts.groupby("relation", sort=False)
    table = pd.DataFrame({"films": g["item"].nunique(), "entities": g["entity"].nunique(), "facts": g.size()})
    table["share of films"] = table["films"] / n_items
    table["facts per film"] = table["facts"] / table["films"]
    order = [r for r in RELATIONS if r in table.index]
    return table.loc[order, ["films", "share of films", "entities", "facts per film"]]
