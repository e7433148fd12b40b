"""Shared fixtures: a small simulated world (fast, known truth) and the real MovieLens-100K."""
import pytest

from recsys_lite.data import load_movielens_100k, simulate_world


@pytest.fixture(scope="session")
def world():
    """A small simulated world and its truth; unit tests use it where real data is not the point."""
    return simulate_world(n_users=120, n_items=80, density=0.15, seed=7)


@pytest.fixture(scope="session")
def ml100k():
    """The real dataset, fetched by `make test` before the tests run."""
    return load_movielens_100k()
