"""Models: the shared contract (`Recommender`) and the models built on it.

`TwoTower` and `FeatureMF` need torch and are imported from `recsys_lite.models.two_tower` and
`recsys_lite.models.feature_mf` (torch loads only then).
"""
from .base import NotFittedError, Recommendations, Recommender, top_k
from .baselines import BiasBaseline, Popularity, RandomRanking
from .content import ContentKNN, ContentProfile, FeatureCrossModel, UserClassifier
from .hybrid import SwitchingHybrid, WeightedHybrid
from .knn import ItemKNN, UserKNN
from .mf import BiasedMF, ImplicitMF

__all__ = ["BiasBaseline", "BiasedMF", "ContentKNN", "ContentProfile", "FeatureCrossModel", "ImplicitMF", "ItemKNN",
           "NotFittedError", "Popularity", "RandomRanking", "Recommendations", "Recommender", "SwitchingHybrid",
           "UserClassifier", "UserKNN", "WeightedHybrid", "top_k"]
