"""Models: the shared contract (`Recommender`) and the models built on it.

`TwoTower` needs torch and is imported from `recsys_lite.models.two_tower` (torch loads only then).
"""
from .base import NotFittedError, Recommendations, Recommender, top_k
from .baselines import BiasBaseline, Popularity, RandomRanking
from .content import ContentKNN, ContentProfile, FeatureCrossModel, UserClassifier
from .knn import ItemKNN, UserKNN
from .mf import BiasedMF, ImplicitMF

__all__ = ["BiasBaseline", "BiasedMF", "ContentKNN", "ContentProfile", "FeatureCrossModel", "ImplicitMF", "ItemKNN",
           "NotFittedError", "Popularity", "RandomRanking", "Recommendations", "Recommender", "UserClassifier",
           "UserKNN", "top_k"]
