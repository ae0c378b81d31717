"""Numerical gradients, as a small reusable tool (after cs231n's ``gradient_check.py``)."""

from __future__ import annotations

from typing import Callable

import numpy as np


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of the scalar function ``f`` at ``x``.

    ``df/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``, one entry at a time. ``f`` is called
    with a perturbed copy of ``x`` (same shape and dtype), so it must use its argument; ``x`` itself
    is never touched. Returns an array of ``x``'s shape (float64).
    """
    if not np.issubdtype(np.asarray(x).dtype, np.floating):
        raise TypeError(f"numerical_gradient needs a floating array, got dtype {np.asarray(x).dtype}")
    point = np.array(x, copy=True)
    entries = point.reshape(-1)  # a view: writing an entry moves the point
    slopes = np.empty(entries.size, dtype=np.float64)
    for i, value in enumerate(entries.copy()):
        entries[i] = value + eps
        up = float(f(point))
        entries[i] = value - eps
        down = float(f(point))
        entries[i] = value
        slopes[i] = (up - down) / (2 * eps)
    return slopes.reshape(point.shape)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``max |a - b| / max(|a| + |b|)``: about 1e-7 or less when a float64 gradient is right."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    scale = np.max(np.abs(a) + np.abs(b))
    return 0.0 if scale == 0 else float(np.max(np.abs(a - b)) / scale)


def check_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, analytic: np.ndarray,
                   eps: float = 1e-5, tol: float = 1e-6) -> float:
    """Compare an analytic gradient with the numerical one; raise if they disagree, else return the error."""
    error = relative_error(analytic, numerical_gradient(f, x, eps))
    if error > tol:
        raise AssertionError(f"analytic and numerical gradients differ: relative error {error:.2e} > {tol:.0e}")
    return error
