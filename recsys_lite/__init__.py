"""recsys_lite: the small library behind RecSys Lite, an executable book on recommender systems.

Subpackages and modules: `data` (MovieLens-100K, simulated worlds, the Dataset type), `split`
(train/test splits, negative sampling), `models` (the model contract and the models),
`metrics`, `evaluation` (the shared protocol), `group` (group recommendation), `plots` and `widgets` (notebook helpers).
"""
from .data import Dataset, load_movielens_100k, simulate_world

__version__ = "0.1.0"
__all__ = ["Dataset", "load_movielens_100k", "simulate_world", "__version__"]
