"""Numerical facts stated in chapters/activations.md, read from the executed chapter's glued values."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_stack_of_linear_layers_equals_one_linear_layer(values):
    assert values["activations_linear_stack_max_diff"] < 1e-10


def test_no_single_linear_layer_fits_a_stack_with_relus(values):
    assert values["activations_relu_stack_linear_fit_error"] > 0.1


def test_numpy_activations_match_pytorch(values):
    assert values["activations_max_value_error"] < 1e-12


def test_numpy_derivatives_match_autograd(values):
    assert values["activations_max_autograd_error"] < 1e-12


def test_sigmoid_gradients_vanish_far_more_than_relu_gradients(values):
    sigmoid, relu = values["activations_grad_ratio_sigmoid"], values["activations_grad_ratio_relu"]
    assert sigmoid < 1e-6
    assert sigmoid < 1e-4 * relu


def test_relu_and_tanh_gradients_keep_their_order_of_magnitude_across_layers(values):
    assert 0.1 < values["activations_grad_ratio_relu"] < 10
    assert 0.1 < values["activations_grad_ratio_tanh"] < 10


def test_small_learning_rate_leaves_few_dead_relus(values):
    assert values["activations_dead_fraction_small_lr"] < 0.1


def test_large_learning_rates_kill_most_relus(values):
    assert values["activations_dead_fraction_large_lr"] > 0.5
    assert values["activations_dead_fraction_huge_lr"] > 0.5


def test_dead_relus_get_zero_gradient_and_never_revive(values):
    assert values["activations_dead_unit_max_grad"] == 0.0
    assert values["activations_dead_units_revived"] == 0
