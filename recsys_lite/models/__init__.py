"""Models: the shared contract (`Recommender`) and the models built on it."""
from .base import NotFittedError, Recommendations, Recommender, top_k
from .baselines import BiasBaseline, Popularity

__all__ = ["BiasBaseline", "NotFittedError", "Popularity", "Recommendations", "Recommender", "top_k"]
