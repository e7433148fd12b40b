"""Evaluation metrics: pure functions, one formula each, inputs validated at the boundary."""
from __future__ import annotations

import numpy as np


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(y_true, dtype=float).ravel()
    p = np.asarray(y_pred, dtype=float).ravel()
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred must have the same length, got {t.size} and {p.size}.")
    if t.size == 0:
        raise ValueError("y_true and y_pred are empty; there is nothing to score.")
    for name, a in (("y_true", t), ("y_pred", p)):
        if np.isnan(a).any():
            raise ValueError(f"{name} contains {int(np.isnan(a).sum())} NaN values.")
    return t, p


def rmse(y_true, y_pred) -> float:
    """Root mean squared error: sqrt( (1/N) Σ (r_ui − r̂_ui)² )."""
    t, p = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((t - p) ** 2)))


def mae(y_true, y_pred) -> float:
    """Mean absolute error: (1/N) Σ |r_ui − r̂_ui|.

    No square root: the overview article's MAE formula carries a stray one.
    """
    t, p = _pair(y_true, y_pred)
    return float(np.mean(np.abs(t - p)))
