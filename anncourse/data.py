"""The course's data: sets that ship with scikit-learn or are generated, so no page needs the internet.

``load_dataset(name)`` returns a seeded train/validation :class:`Split` with float32 features
(standardised on the training part only) and int64 class labels (float32 targets for regression).
MNIST and Fashion-MNIST have real loaders (download once, then cache), but no executed page uses them.
"""

from __future__ import annotations

import gzip
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import NamedTuple

import numpy as np


class Split(NamedTuple):
    X_train: np.ndarray
    X_val: np.ndarray
    y_train: np.ndarray
    y_val: np.ndarray


def make_xor(n_per_corner: int = 1, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: points near the corners of the unit square, label 1 where exactly one coordinate is 1.

    With ``n_per_corner=1`` and no noise it is the four-row truth table.
    """
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    labels = np.array([0, 1, 1, 0], dtype=np.int64)
    X = np.repeat(corners, n_per_corner, axis=0)
    y = np.repeat(labels, n_per_corner)
    if noise:
        X = X + np.random.default_rng(seed).normal(scale=noise, size=X.shape)
    return X, y


def make_separable(n: int = 100, d: int = 2, margin: float = 0.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points in ``d`` dimensions with 0/1 labels that a hyperplane separates with at least ``margin``."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=d)
    w /= np.linalg.norm(w)
    X = rng.uniform(-3, 3, size=(4 * n, d))
    distance = X @ w
    X = X[np.abs(distance) >= margin][:n]
    if len(X) < n:
        raise ValueError("margin too large for this many points; lower it or raise n")
    return X, (X @ w > 0).astype(np.int64)


_SKLEARN_LOADERS = {
    "digits": "load_digits",
    "iris": "load_iris",
    "breast_cancer": "load_breast_cancer",
    "diabetes": "load_diabetes",
}
_GENERATED = {"moons", "circles", "xor", "separable"}
DATASETS = tuple(sorted(_SKLEARN_LOADERS) + sorted(_GENERATED))


def _raw_dataset(name: str, n_samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    import sklearn.datasets as skd

    if name in _SKLEARN_LOADERS:
        bunch = getattr(skd, _SKLEARN_LOADERS[name])()
        return bunch.data, bunch.target
    if name == "moons":
        return skd.make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    if name == "circles":
        return skd.make_circles(n_samples=n_samples, noise=noise, factor=0.5, random_state=seed)
    if name == "xor":
        return make_xor(n_per_corner=max(1, n_samples // 4), noise=noise or 0.15, seed=seed)
    if name == "separable":
        return make_separable(n=n_samples, seed=seed)
    raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")


def load_dataset(name: str, val_size: float = 0.2, seed: int = 0, standardize: bool = True,
                 n_samples: int = 400, noise: float = 0.2) -> Split:
    """A seeded, stratified train/validation split of one of :data:`DATASETS`.

    Features become float32, standardised with the training part's mean and standard deviation
    (so nothing leaks from the validation part). Labels become int64, except for the regression set
    ``diabetes``, whose targets are float32. ``n_samples`` and ``noise`` apply to generated sets only.
    """
    from sklearn.model_selection import train_test_split

    X, y = _raw_dataset(name, n_samples, noise, seed)
    regression = name == "diabetes"
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=val_size, random_state=seed, stratify=None if regression else y)
    if standardize:
        mean, std = X_train.mean(axis=0), X_train.std(axis=0)
        std[std == 0] = 1.0  # constant pixels in digits
        X_train, X_val = (X_train - mean) / std, (X_val - mean) / std
    label_dtype = np.float32 if regression else np.int64
    return Split(X_train.astype(np.float32), X_val.astype(np.float32),
                 y_train.astype(label_dtype), y_val.astype(label_dtype))


# MNIST-like sets: the files Keras' own loaders use, downloaded once into a cache folder.
_KERAS_DATA_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_MNIST_FILES = {
    "mnist": ["mnist.npz"],
    "fashion_mnist": ["train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
                      "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"],
}


class DatasetUnavailableError(RuntimeError):
    """Raised when a data set is neither cached nor downloadable."""


def default_cache_dir() -> Path:
    return Path(os.environ.get("ANNCOURSE_DATA", Path.home() / ".cache" / "anncourse"))


def _fetch(filename: str, url: str, cache_dir: Path) -> Path:
    target = cache_dir / filename
    if target.exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    try:
        with urllib.request.urlopen(url, timeout=30) as response, open(partial, "wb") as out:
            shutil.copyfileobj(response, out)
    except (urllib.error.URLError, OSError) as error:
        partial.unlink(missing_ok=True)
        raise DatasetUnavailableError(
            f"could not download {url} ({error}). Offline? Download that file on a machine with "
            f"internet and place it at {target}, or use the offline data set "
            f"anncourse.data.load_dataset('digits') (8x8 digits that ship with scikit-learn)."
        ) from error
    partial.rename(target)
    return target


def _read_idx(path: Path, offset: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def load_mnist(kind: str = "mnist", cache_dir: str | Path | None = None, base_url: str = _KERAS_DATA_URL):
    """``(X_train, y_train), (X_test, y_test)`` of MNIST or Fashion-MNIST as uint8 images ``(N, 28, 28)``.

    Files are downloaded once into ``cache_dir`` (default ``~/.cache/anncourse`` or ``$ANNCOURSE_DATA``).
    Offline and uncached, it raises :class:`DatasetUnavailableError` naming the file to place.
    """
    if kind not in _MNIST_FILES:
        raise ValueError(f"kind must be one of {sorted(_MNIST_FILES)}, got {kind!r}")
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder = cache / kind
    paths = [_fetch(name, base_url + ("fashion-mnist/" if kind == "fashion_mnist" else "") + name, folder)
             for name in _MNIST_FILES[kind]]
    if kind == "mnist":
        with np.load(paths[0]) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    y_train, X_train, y_test, X_test = (_read_idx(p, 8 if "labels" in p.name else 16) for p in paths)
    return (X_train.reshape(-1, 28, 28), y_train), (X_test.reshape(-1, 28, 28), y_test)
