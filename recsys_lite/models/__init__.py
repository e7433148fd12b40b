"""Models: the shared contract (`Recommender`) and the models built on it.

`TwoTower` needs torch and is imported from `recsys_lite.models.two_tower` (torch loads only then).
"""
from .base import NotFittedError, Recommendations, Recommender, top_k
from .baselines import BiasBaseline, Popularity
from .knn import ItemKNN, UserKNN
from .mf import BiasedMF, ImplicitMF

__all__ = ["BiasBaseline", "BiasedMF", "ImplicitMF", "ItemKNN", "NotFittedError", "Popularity",
           "Recommendations", "Recommender", "UserKNN", "top_k"]
