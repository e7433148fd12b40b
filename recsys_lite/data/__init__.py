"""Datasets: MovieLens-100K (fetched, verified, loaded) and simulated worlds with known truth."""
from .dataset import Dataset
from .movielens import (GENRES, DataError, fetch_movielens_100k, genre_matrix,
                        load_movielens_100k, read_atomic, read_grouplens)
from .simulated import WorldTruth, simulate_world

__all__ = ["Dataset", "DataError", "GENRES", "WorldTruth", "fetch_movielens_100k", "genre_matrix",
           "load_movielens_100k", "read_atomic", "read_grouplens", "simulate_world"]
