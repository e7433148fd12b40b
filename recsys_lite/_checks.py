"""Argument checks shared by the whole library, so every message reads the same way."""
from __future__ import annotations

import numpy as np


def whole_number(value, name: str, minimum: int = 1) -> int:
    """``value`` as an int if it is a whole number >= minimum (bools refused); else ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}.")
    return int(value)
