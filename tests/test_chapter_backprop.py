"""Numerical facts stated in chapters/backprop.md, read from the executed chapter's glued values."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_hand_computed_neuron_gradients_match_numerical_and_autograd(values):
    assert values["backprop_neuron_numerical_diff"] < 1e-8
    assert values["backprop_neuron_autograd_diff"] < 1e-12


def test_dense_backward_passes_the_numerical_gradient_check(values):
    assert values["backprop_dense_gradcheck_error"] < 1e-7


def test_input_gradient_with_already_updated_weights_is_clearly_wrong(values):
    assert values["backprop_updated_weights_dx_error"] > 0.1


def test_two_layer_network_passes_the_numerical_gradient_check(values):
    assert values["backprop_gradcheck_rel_error"] < 1e-7


def test_numpy_gradients_match_autograd(values):
    assert values["backprop_max_grad_diff"] < 1e-10
    assert values["backprop_loss_diff"] < 1e-12


def test_per_epoch_smaller_batches_reach_lower_training_loss(values):
    assert (values["backprop_final_loss_sgd"] < values["backprop_final_loss_minibatch"]
            < values["backprop_final_loss_batch"])


def test_minibatch_network_learns_iris(values):
    assert values["backprop_minibatch_val_accuracy"] > 0.9


def test_constant_start_keeps_hidden_units_identical(values):
    assert values["backprop_symmetric_unit_spread"] < 1e-12


def test_random_start_gives_distinct_hidden_units(values):
    assert values["backprop_random_unit_spread"] > 0.1


def test_the_drawn_network_has_the_stated_number_of_parameters(values):
    assert values["backprop_mlp_n_params"] == 4 * 8 + 8 + 8 * 3 + 3


def test_central_difference_error_shrinks_like_eps_squared_and_one_sided_like_eps(values):
    assert values["backprop_central_error"] < values["backprop_one_sided_error"] / 100
    assert 8 < values["backprop_one_sided_shrink"] < 12
    assert 80 < values["backprop_central_shrink"] < 120


def test_one_hidden_layer_fits_better_as_it_widens(values):
    rms = [values[f"backprop_ua_rms_{width}"] for width in (2, 8, 32)]
    assert rms[0] > 0.3, "two units should visibly miss sin 2x"
    assert rms[1] < rms[0] / 3
    assert rms[2] < 1e-3
