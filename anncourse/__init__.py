"""Helpers shared by the chapters and exercises of the course.

One module per job, imported where needed; none imports PyTorch or TensorFlow at import time,
so ``import anncourse`` stays fast and quiet.

- ``anncourse.device``: pick the PyTorch device (CUDA, then MPS, then CPU) and list TensorFlow's.
- ``anncourse.seeding``: one call that seeds Python, NumPy, PyTorch and Keras.
- ``anncourse.data``: the offline data sets (scikit-learn's and generated ones), and MNIST loaders.
- ``anncourse.gradcheck``: numerical gradients and a relative-error check.
- ``anncourse.plotting``: decision boundaries and learning curves.
"""

__version__ = "0.1.0"
