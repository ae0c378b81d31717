"""One call that makes a page or a grade reproducible."""

from __future__ import annotations

import random
import sys

import numpy as np


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed Python's ``random``, NumPy's global state, and PyTorch and Keras if they are imported.

    Import the frameworks first, then call this: seeding a framework that is not imported
    would mean importing it, which is slow (TensorFlow takes seconds) and noisy.
    Returns a fresh ``np.random.Generator`` for code that prefers an explicit generator.
    """
    random.seed(seed)
    np.random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)  # seeds the CPU and every CUDA device
    if "keras" in sys.modules:
        # Seeds Python, NumPy and the backend (TensorFlow) in one go.
        sys.modules["keras"].utils.set_random_seed(seed)
    return np.random.default_rng(seed)
