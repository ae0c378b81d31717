"""The checks that hidden tests share: strict, and with messages a student can act on."""

import os

import numpy as np
import pytest
import torch
from scipy.special import expit

from anncourse.grading import (arguments_unchanged, call_numpy_only, expect_close, expect_equal,
                               hypothesis_outside_the_submission, torch_float64)


def test_expect_close_names_a_known_mistake():
    with pytest.raises(AssertionError, match="known mistake: softmax applied twice"):
        expect_close(np.array([0.2, 0.8]), np.array([0.3, 0.7]), "softmax(z)",
                     mistakes={"softmax applied twice": np.array([0.2, 0.8])})


def test_expect_close_reports_shape_none_and_nan():
    with pytest.raises(AssertionError, match="shape"):
        expect_close(np.zeros(3), np.zeros(2), "f(x)")
    with pytest.raises(AssertionError, match="forget a `return`"):
        expect_close(None, np.zeros(2), "f(x)")
    with pytest.raises(AssertionError, match="numerical stability"):
        expect_close(np.array([np.nan, 1.0]), np.array([0.0, 1.0]), "f(x)")
    expect_close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-12]), "f(x)")


def test_expect_equal_is_exact():
    expect_equal(np.array([0, 1]), np.array([0, 1]), "step(z)")
    with pytest.raises(AssertionError, match=r"step\(z\) returned"):
        expect_equal(np.array([0, 0]), np.array([0, 1]), "step(z)")


def test_arguments_unchanged_catches_in_place_updates():
    w = np.zeros(3)
    with pytest.raises(AssertionError, match="in place"):
        with arguments_unchanged("update(w)", w):
            w += 1
    params = {"W": np.ones(2)}
    with pytest.raises(AssertionError, match="in place"):
        with arguments_unchanged("sgd_step(params)", params):
            params["W"] -= 1


def test_numpy_only_accepts_numpy_code():
    assert call_numpy_only(lambda z: np.maximum(z, 0).sum(), np.array([-1.0, 2.0])) == 2.0


@pytest.mark.parametrize("framework_call", [
    lambda z: torch.relu(torch.as_tensor(z)).numpy(),
    lambda z: torch.as_tensor(z).softmax(0).numpy(),
    lambda z: expit(z),
    lambda z: __import__("sklearn.preprocessing", fromlist=["x"]).minmax_scale(z),
], ids=["torch-function", "tensor-method", "scipy", "sklearn"])
def test_numpy_only_catches_frameworks_however_they_are_called(framework_call):
    with pytest.raises(AssertionError, match="NumPy only"):
        call_numpy_only(framework_call, np.array([-1.0, 2.0]), name="relu")


def test_numpy_only_catches_a_framework_imported_inside_a_helper():
    def helper(z):
        import torch as backend
        return backend.sigmoid(backend.as_tensor(z)).numpy()

    def student(z):
        return helper(z) * 1.0

    with pytest.raises(AssertionError, match="uses torch"):
        call_numpy_only(student, np.ones(2))


def test_torch_float64_gives_a_float64_tensor():
    tensor = torch_float64(np.ones(3, dtype=np.float32), requires_grad=True)
    assert str(tensor.dtype) == "torch.float64" and tensor.requires_grad


def test_hypothesis_examples_are_kept_out_of_the_submission(monkeypatch, tmp_path):
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    monkeypatch.chdir(tmp_path)
    hypothesis_outside_the_submission()
    assert not os.environ["HYPOTHESIS_STORAGE_DIRECTORY"].startswith(str(tmp_path))
