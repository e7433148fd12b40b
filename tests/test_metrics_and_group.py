"""Rating metrics (checked by hand and against scikit-learn) and group aggregation."""
import numpy as np
import pytest
from sklearn.metrics import mean_absolute_error, mean_squared_error

from recsys_lite.group import aggregate, group_ranking
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
    assert group_ranking(s, "average").tolist() == [0, 2, 1]
    assert group_ranking(s, "least_misery").tolist() == [1, 2, 0]
    assert group_ranking(s, "least_misery", k=1).tolist() == [1]


def test_aggregation_errors():
    with pytest.raises(ValueError, match="unknown strategy"):
        aggregate(np.ones((2, 2)), "median")
    with pytest.raises(ValueError, match="members x items"):
        aggregate(np.ones(3))
    with pytest.raises(ValueError, match="NaN"):
        aggregate(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="k must be"):
        group_ranking(np.ones((2, 2)), k=0)
