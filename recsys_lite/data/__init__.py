"""Datasets: MovieLens-100K (fetched, verified, loaded) with its knowledge graph and item
profiles, and simulated worlds with known truth."""
from .dataset import Dataset
from .movielens import (GENRES, DataError, fetch_knowledge_graph, fetch_movielens_100k, genre_matrix,
                        load_movielens_100k, read_atomic, read_grouplens)
from .knowledge_graph import RELATION_GROUPS, RELATIONS, load_knowledge_graph, relation_coverage
from .features import BLOCKS, ItemFeatures, item_features
from .simulated import WorldTruth, simulate_world

__all__ = ["BLOCKS", "Dataset", "DataError", "GENRES", "ItemFeatures", "RELATIONS", "RELATION_GROUPS", "WorldTruth",
           "fetch_knowledge_graph", "fetch_movielens_100k", "genre_matrix", "item_features", "load_knowledge_graph",
           "load_movielens_100k", "read_atomic", "read_grouplens", "relation_coverage", "simulate_world"]
