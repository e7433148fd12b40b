"""Rating metrics (checked by hand and against scikit-learn) and group aggregation."""
import numpy as np
import pytest
from sklearn.metrics import mean_absolute_error, mean_squared_error

from recsys_lite.group import aggregate, group_ranking, ties_at_cut
from recsys_lite.metrics import mae, rmse


def test_rmse_mae_by_hand():
    t, p = [4, 3, 5, 1], [3.5, 3, 4, 3]
    # errors 0.5, 0, 1, -2: squares 0.25 + 0 + 1 + 4 = 5.25; abs 3.5
    assert rmse(t, p) == pytest.approx(np.sqrt(5.25 / 4))
    assert mae(t, p) == pytest.approx(3.5 / 4)
    assert rmse(t, t) == 0 and mae(t, t) == 0


def test_against_scikit_learn():
    rng = np.random.default_rng(0)
    t, p = rng.integers(1, 6, 500), rng.uniform(1, 5, 500)
    assert rmse(t, p) == pytest.approx(np.sqrt(mean_squared_error(t, p)))
    assert mae(t, p) == pytest.approx(mean_absolute_error(t, p))


@pytest.mark.parametrize("metric", [rmse, mae])
def test_bad_inputs(metric):
    with pytest.raises(ValueError, match="same length"):
        metric([1, 2], [1])
    with pytest.raises(ValueError, match="empty"):
        metric([], [])
    with pytest.raises(ValueError, match="y_pred contains 1 NaN"):
        metric([1, 2], [1, np.nan])


def test_aggregation_by_hand():
    s = np.array([[5, 3, 4], [1, 3, 4], [5, 3, 2]], dtype=float)  # 3 members x 3 items
    assert aggregate(s, "average").tolist() == [11 / 3, 3, 10 / 3]
    assert aggregate(s, "least_misery").tolist() == [1, 3, 2]
    assert aggregate(s, "most_pleasure").tolist() == [5, 3, 4]
    assert aggregate(s, "multiplicative").tolist() == [25, 27, 32]
    # Borda: a member gives each item the number of items they score lower.
    # member 1 (5, 3, 4): 2, 0, 1; member 2 (1, 3, 4): 0, 1, 2; member 3 (5, 3, 2): 2, 1, 0
    assert aggregate(s, "borda").tolist() == [4, 2, 3]
    tied = np.array([[5, 3, 4], [3, 3, 4]], dtype=float)           # member 2 ties items 0 and 1 at the bottom
    assert aggregate(tied, "borda").tolist() == [2 + 0.5, 0 + 0.5, 1 + 2]
    assert group_ranking(s, "average").tolist() == [0, 2, 1]
    assert group_ranking(s, "least_misery").tolist() == [1, 2, 0]
    assert group_ranking(s, "least_misery", k=1).tolist() == [1]
    assert group_ranking(s, "borda").tolist() == [0, 2, 1]


def test_ties_are_broken_the_same_way_for_every_strategy():
    s = np.array([[4, 5, 3], [4, 3, 5]], dtype=float)              # every item averages 4
    assert group_ranking(s, "average").tolist() == [0, 1, 2]       # no tie_scores: lower index first
    assert ties_at_cut(s, "average", 1) == 3 and ties_at_cut(s, "least_misery", 1) == 1
    tie = np.array([[4.1, 4.0, 3.0], [4.2, 3.0, 5.0]])             # a model's continuous predictions
    assert group_ranking(s, "average", tie_scores=tie).tolist() == [0, 2, 1]   # 4.15 > 4.0 > 3.5
    # least misery: items 1 and 2 tie at 3; by the minimum of the predictions, 3.0 each: index
    assert group_ranking(s, "least_misery", tie_scores=tie).tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="tie_scores must have the shape"):
        group_ranking(s, tie_scores=tie[:, :2])
    with pytest.raises(ValueError, match="positive scores"):
        aggregate(np.array([[1.0, -1.0]]), "multiplicative")
    with pytest.raises(ValueError, match="larger than the number of items"):
        ties_at_cut(s, "average", 4)


def test_aggregation_errors():
    with pytest.raises(ValueError, match="strategy must be one of"):
        aggregate(np.ones((2, 2)), "median")
    with pytest.raises(ValueError, match="members x items"):
        aggregate(np.ones(3))
    with pytest.raises(ValueError, match="NaN"):
        aggregate(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="k must be"):
        group_ranking(np.ones((2, 2)), k=0)
