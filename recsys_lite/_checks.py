"""Argument checks shared by the whole library, so every message reads the same way: it names
the argument, says what was expected and shows what came."""
from __future__ import annotations

import math

import numpy as np


def whole_number(value, name: str, minimum: int = 1) -> int:
    """``value`` as an int if it is a whole number >= minimum (bools refused); else ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}.")
    return int(value)


def layer_widths(value, name: str, *, empty: bool = True) -> tuple:
    """``value`` (a list or tuple of whole numbers >= 1) as a tuple of layer widths; an empty
    one only with ``empty``; else ValueError."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or (not empty and not len(value)):
        raise ValueError(f"{name} must be a {'' if empty else 'non-empty '}list of layer widths, got {value!r}.")
    return tuple(whole_number(w, name) for w in value)


def real_number(value, name: str, *, minimum: float | None = None, above: float | None = None,
                maximum: float | None = None, below: float | None = None) -> float:
    """``value`` as a finite float (bools, strings, NaN and inf refused), optionally with
    ``value >= minimum``, ``value > above``, ``value <= maximum`` and ``value < below``; else
    ValueError."""
    ok = (not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))
          and math.isfinite(value))
    bounds = []
    if minimum is not None:
        bounds.append(f">= {minimum}")
        ok = ok and value >= minimum
    if above is not None:
        bounds.append(f"> {above}")
        ok = ok and value > above
    if maximum is not None:
        bounds.append(f"<= {maximum}")
        ok = ok and value <= maximum
    if below is not None:
        bounds.append(f"< {below}")
        ok = ok and value < below
    if not ok:
        expected = "a finite number" + (f" {' and '.join(bounds)}" if bounds else "")
        raise ValueError(f"{name} must be {expected}, got {value!r}.")
    return float(value)


def fraction(value, name: str) -> float:
    """A number strictly between 0 and 1 (numpy scalars welcome); else ValueError."""
    ok = (not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))
          and 0 < value < 1)
    if not ok:
        raise ValueError(f"{name} must be a fraction strictly between 0 and 1, got {value!r}.")
    return float(value)


def one_of(value, name: str, choices) -> str:
    """``value`` if it is one of ``choices``; else ValueError listing them."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}.")
    return value


def flag(value, name: str) -> bool:
    """A real boolean (True/False, numpy's too); else ValueError."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def ids(values, n: int, name: str, *, allow_empty: bool = True) -> np.ndarray:
    """A 1-D int64 array of ids in 0 .. n-1.

    Whole floats (3.0) are accepted; fractional, NaN, string or boolean ids, ids outside the
    range (the padding id -1 included) and other shapes are refused with a ValueError that names
    ``name`` and shows the first offenders.
    """
    arr = np.atleast_1d(np.asarray(values))
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of ids, got shape {arr.shape}.")
    if not arr.size:
        if not allow_empty:
            raise ValueError(f"{name} is empty; give at least one id.")
        return arr.astype(np.int64)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"{name} must be integer ids (contiguous ids 0 .. {n - 1}), got dtype {arr.dtype}.")
    if np.issubdtype(arr.dtype, np.floating):
        bad = arr[~np.isfinite(arr) | (arr != np.round(arr))]
        if bad.size:
            raise ValueError(f"{name} must be whole numbers (ids), got {_show(bad)}.")
    bad = arr[(arr < 0) | (arr >= n)]
    if bad.size:
        singular = name[:-1] if name.endswith("s") else name
        raise ValueError(f"unknown {singular} id(s) {_show(bad)} in {name}: the ids are 0 .. {n - 1}"
                         + (" (-1 pads a short top-k list; it is not an item)" if (bad == -1).any() else "")
                         + ". Original MovieLens ids map to these with dataset.user_index / item_index.")
    return arr.astype(np.int64)


def distinct_ids(values, n: int, name: str) -> np.ndarray:
    """`ids` that must be non-empty and name each id once (e.g. a set of candidate items)."""
    arr = ids(values, n, name, allow_empty=False)
    if len(np.unique(arr)) != len(arr):
        raise ValueError(f"{name} lists an item twice; give each {name[:-1] if name.endswith('s') else name} item once.")
    return arr


def _show(values) -> str:
    values = np.asarray(values).ravel()
    shown = ", ".join(map(str, values[:5].tolist()))
    return shown + (" ..." if values.size > 5 else "")
