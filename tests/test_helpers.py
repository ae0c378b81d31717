"""Unit tests of the helper package that chapters and exercises import."""

from __future__ import annotations

import gzip
import random
import sys
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from anncourse import data, device, gradcheck, plotting, seeding  # noqa: E402


# device -----------------------------------------------------------------------------------------

def test_device_falls_back_to_cpu_without_gpus(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert device.pick_torch_device() == torch.device("cpu")
    assert "cpu" in capsys.readouterr().out


def test_device_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda _: "Fake GPU")
    assert device.pick_torch_device(verbose=False).type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert device.pick_torch_device(verbose=False).type == "mps"


def test_chosen_device_runs_a_tensor_operation():
    chosen = device.pick_torch_device(verbose=False)
    x = torch.ones(3, device=chosen)
    assert (x * 2).sum().item() == 6


# seeding ----------------------------------------------------------------------------------------

def draws():
    return random.random(), np.random.rand(), torch.rand(1).item()


def test_seed_everything_makes_python_numpy_and_torch_repeat():
    rng_a = seeding.seed_everything(7)
    first = draws() + (rng_a.normal(),)
    rng_b = seeding.seed_everything(7)
    second = draws() + (rng_b.normal(),)
    assert first == second
    seeding.seed_everything(8)
    assert draws() != first[:3]


def test_seed_everything_seeds_keras_when_imported(monkeypatch):
    calls = []
    fake_keras = SimpleNamespace(utils=SimpleNamespace(set_random_seed=calls.append))
    monkeypatch.setitem(sys.modules, "keras", fake_keras)
    seeding.seed_everything(3)
    assert calls == [3]


# data -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", data.DATASETS)
def test_every_dataset_loads_offline_with_course_dtypes(name):
    split = data.load_dataset(name, seed=1)
    assert split.X_train.dtype == np.float32 and split.X_val.dtype == np.float32
    assert split.X_train.shape[1] == split.X_val.shape[1] and len(split.X_train) == len(split.y_train)
    expected_labels = np.float32 if name == "diabetes" else np.int64
    assert split.y_train.dtype == expected_labels
    assert 0.15 < len(split.X_val) / (len(split.X_train) + len(split.X_val)) < 0.25


def test_standardisation_uses_the_training_part_only():
    split = data.load_dataset("iris", seed=0)
    assert np.allclose(split.X_train.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(split.X_train.std(axis=0), 1, atol=1e-4)
    assert not np.allclose(split.X_val.mean(axis=0), 0, atol=1e-3)


def test_splits_are_seeded_and_stratified():
    a, b = data.load_dataset("digits", seed=3), data.load_dataset("digits", seed=3)
    assert np.array_equal(a.X_train, b.X_train)
    assert not np.array_equal(a.X_train, data.load_dataset("digits", seed=4).X_train)
    train_share = np.bincount(a.y_train) / len(a.y_train)
    val_share = np.bincount(a.y_val) / len(a.y_val)
    assert np.max(np.abs(train_share - val_share)) < 0.02


def test_unknown_dataset_names_the_choices():
    with pytest.raises(ValueError, match="digits"):
        data.load_dataset("mnist-on-a-laptop")


def test_xor_truth_table():
    X, y = data.make_xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]


def test_separable_data_has_the_requested_margin():
    X, y = data.make_separable(n=50, d=3, margin=0.5, seed=2)
    assert X.shape == (50, 3) and set(np.unique(y)) == {0, 1}
    from sklearn.svm import LinearSVC
    assert LinearSVC(C=1e4, max_iter=100_000).fit(X, y).score(X, y) == 1.0


def test_mnist_offline_error_names_the_file_and_the_fallback(tmp_path):
    with pytest.raises(data.DatasetUnavailableError) as error:
        data.load_mnist(cache_dir=tmp_path, base_url="http://127.0.0.1:9/")
    message = str(error.value)
    assert str(tmp_path / "mnist" / "mnist.npz") in message and "load_dataset('digits')" in message
    assert not list((tmp_path / "mnist").glob("*.part")), "a failed download must leave no partial file"


def test_mnist_loads_from_the_cache(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    np.savez(folder / "mnist.npz", x_train=images, y_train=np.array([3, 5], dtype=np.uint8),
             x_test=images[:1], y_test=np.array([7], dtype=np.uint8))
    (X_train, y_train), (X_test, y_test) = data.load_mnist(cache_dir=tmp_path, base_url="http://127.0.0.1:9/")
    assert np.array_equal(X_train, images) and y_train.tolist() == [3, 5] and y_test.tolist() == [7]


def test_fashion_mnist_reads_idx_files_from_the_cache(tmp_path):
    folder = tmp_path / "fashion_mnist"
    folder.mkdir()
    images = np.arange(3 * 28 * 28, dtype=np.uint8)
    for split, n in (("train", 3), ("t10k", 1)):
        with gzip.open(folder / f"{split}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"\0" * 8 + bytes(range(n)))
        with gzip.open(folder / f"{split}-images-idx3-ubyte.gz", "wb") as f:
            f.write(b"\0" * 16 + images[: n * 784].tobytes())
    (X_train, y_train), (X_test, _) = data.load_mnist("fashion_mnist", cache_dir=tmp_path,
                                                      base_url="http://127.0.0.1:9/")
    assert X_train.shape == (3, 28, 28) and y_train.tolist() == [0, 1, 2] and X_test.shape == (1, 28, 28)


# gradcheck --------------------------------------------------------------------------------------

def test_numerical_gradient_of_a_known_function_leaves_x_unchanged():
    x = np.random.default_rng(0).normal(size=(3, 4))
    before = x.copy()
    seen = []
    grad = gradcheck.numerical_gradient(lambda v: seen.append(v.dtype) or np.sum(v ** 3), x)
    assert np.allclose(grad, 3 * before ** 2, rtol=1e-6)
    assert np.array_equal(x, before)
    assert set(seen) == {np.dtype(np.float64)}
    assert gradcheck.numerical_gradient(lambda v: float(np.sum(v)), x.astype(np.float32), eps=1e-2).shape == (3, 4)


def test_check_gradient_accepts_right_and_rejects_wrong_gradients():
    x = np.random.default_rng(1).normal(size=5)
    assert gradcheck.check_gradient(lambda v: np.sum(np.sin(v)), x, np.cos(x)) < 1e-8
    with pytest.raises(AssertionError, match="relative error"):
        gradcheck.check_gradient(lambda v: np.sum(np.sin(v)), x, np.sin(x))


def test_relative_error_rejects_mismatched_shapes_and_integer_input():
    with pytest.raises(ValueError):
        gradcheck.relative_error(np.zeros(2), np.zeros(3))
    with pytest.raises(TypeError):
        gradcheck.numerical_gradient(lambda v: 0.0, np.arange(3))


# plotting ---------------------------------------------------------------------------------------

def test_decision_boundary_shades_each_class():
    X, y = data.make_xor(n_per_corner=5, noise=0.1)
    ax = plotting.plot_decision_boundary(lambda G: (G[:, 0] > 0.5).astype(int), X, y, resolution=30)
    assert ax.collections, "nothing was drawn"
    assert ax.get_xlim()[0] < X[:, 0].min()
    plt.close("all")


def test_decision_boundary_needs_two_features():
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plotting.plot_decision_boundary(lambda G: G[:, 0], np.zeros((4, 3)), np.zeros(4))


def test_learning_curves_draw_training_and_validation():
    axes = plotting.plot_learning_curves({"loss": [3, 2, 1], "val_loss": [3, 2.5, 2], "accuracy": [0.1, 0.5, 0.9]})
    assert len(axes) == 2 and len(axes[0].lines) == 2 and len(axes[1].lines) == 1
    plt.close("all")


def test_muted_stderr_fd_silences_the_descriptor_and_restores_it(capfd):
    import os

    from anncourse.frameworks import muted_stderr_fd

    with muted_stderr_fd():
        os.write(2, b"start-up noise\n")
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"
