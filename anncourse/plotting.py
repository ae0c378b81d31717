"""The few plots the chapters share (decision boundaries, learning curves) and the style of the
site's figures."""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

# A figure W inches wide is shown in a phone's 342-px figure column at 342 / (72 W) px per point,
# so text of f points reads at 9.5 px or more when f >= 2 W. The inline backend saves a tight box
# with padding, a little wider than the figure: 12-point text fits on 5.8 inches, not quite on 6.
SITE_FIGURES = {
    "svg.fonttype": "none",  # text stays text: sharp at any zoom, and measurable by the browser tests
    "svg.hashsalt": "anncourse",  # the same figure gives the same file, build after build
    "figure.figsize": (5.8, 3.7),
    "font.size": 12,
    "axes.titlesize": 12,
    "axes.labelsize": 12,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "figure.titlesize": 13,
}


def use_site_figures() -> None:
    """Draw the notebook's figures as SVG, sized and lettered to be read on a phone (``SITE_FIGURES``)."""
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("svg", metadata={"Date": None})  # no build date: reproducible files
    plt.rcParams.update(SITE_FIGURES)


def plot_decision_boundary(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray,
                           ax=None, resolution: int = 200, padding: float = 0.5, title: str | None = None):
    """Shade the plane by ``predict`` (class labels for an ``(N, 2)`` array) and scatter ``X`` coloured by ``y``.

    Returns the axes. ``predict`` is called once, on the whole grid, so it should be vectorised.
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary needs 2-D points, shape (N, 2); got {X.shape}")
    ax = ax if ax is not None else plt.gca()
    (x_min, y_min), (x_max, y_max) = X.min(axis=0) - padding, X.max(axis=0) + padding
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    zz = np.asarray(predict(grid)).reshape(xx.shape)
    boundaries = np.arange(int(np.max(y)) + 2) - 0.5  # one colour band per class label 0, 1, ...
    ax.contourf(xx, yy, zz, alpha=0.25, cmap="coolwarm", levels=boundaries)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolors="k", s=25)
    ax.set(xlim=(x_min, x_max), ylim=(y_min, y_max), xlabel="$x_1$", ylabel="$x_2$")
    if title:
        ax.set_title(title)
    return ax


def plot_learning_curves(history: Mapping[str, Sequence[float]], metrics: Sequence[str] | None = None,
                         axes=None, xlabel: str = "epoch"):
    """One panel per metric, training and validation (``val_`` prefix, as in Keras' ``History.history``).

    ``history`` maps names like ``"loss"`` and ``"val_loss"`` to one value per epoch. Returns the axes.
    """
    metrics = list(metrics) if metrics is not None else [k for k in history if not k.startswith("val_")]
    if not metrics:
        raise ValueError("history has no training metric to plot")
    if axes is None:
        # side by side, in the width of one figure (two panels stay legible on a phone)
        _, axes = plt.subplots(1, len(metrics), figsize=(5.8, 3.4), squeeze=False)
        axes = axes[0]
    for ax, name in zip(np.atleast_1d(axes), metrics):
        epochs = np.arange(1, len(history[name]) + 1)
        ax.plot(epochs, history[name], label=f"training {name}")
        if f"val_{name}" in history:
            ax.plot(epochs, history[f"val_{name}"], label=f"validation {name}")
        ax.set(xlabel=xlabel, ylabel=name)
        ax.legend()
    return axes
