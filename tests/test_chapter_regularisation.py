"""Numerical facts stated in chapters/regularisation.md, read from the executed chapter's glued values."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


# Initialisation ------------------------------------------------------------------------------

def test_relu_halves_the_second_moment(values):
    assert abs(values["regularisation_relu_second_moment"] - 0.5) < 0.01


def test_too_small_weights_lose_a_factor_of_six_to_nine_per_layer_and_leave_the_chart(values):
    assert 5.5 < values["regularisation_small_tanh_factor_per_layer"] < 7
    assert 8 < values["regularisation_small_relu_factor_per_layer"] < 9.5
    assert values["regularisation_small_last_layer_on_chart"] <= 5
    assert abs(values["regularisation_spread_tanh_small_first"] - 0.16) < 0.01
    assert values["regularisation_spread_tanh_small_last"] < 1e-15
    assert values["regularisation_spread_relu_small_last"] < 1e-15


def test_glorot_halves_the_variance_of_every_relu_layer(values):
    shrink = values["regularisation_relu_glorot_shrink"]
    assert 400 < shrink < 1200, f"the text says about 2^(19/2) = 724, got {shrink}"
    assert 0.001 < values["regularisation_spread_relu_glorot_last"] < 0.0025
    assert abs(values["regularisation_spread_relu_glorot_first"] - 1) < 0.05


def test_he_keeps_the_spread_of_relu_layers_level(values):
    assert 1 < values["regularisation_spread_relu_he_min"]
    assert values["regularisation_spread_relu_he_max"] < 2


def test_with_tanh_glorot_decays_slowly_and_he_stays_near_one(values):
    assert 0.1 < values["regularisation_spread_tanh_glorot_last"] < 0.2
    assert abs(values["regularisation_spread_tanh_glorot_first"] - 1) < 0.05
    assert 0.7 < values["regularisation_spread_tanh_he_min"]
    assert values["regularisation_spread_tanh_he_max"] < 1.5


def test_pytorch_and_keras_initialisers_draw_the_stated_variances(values):
    assert values["regularisation_torch_he_var_rel_error"] < 0.02
    assert values["regularisation_keras_he_var_rel_error"] < 0.02
    assert values["regularisation_torch_glorot_var_rel_error"] < 0.02


# Overfitting -----------------------------------------------------------------------------------

def test_the_wide_network_has_about_38000_parameters(values):
    assert 38_000 <= values["regularisation_wide_mlp_parameters"] < 39_000


def test_the_wide_network_memorises_100_digits(values):
    assert values["regularisation_plain_train_accuracy"] == 1.0
    assert values["regularisation_plain_train_loss"] < 1e-3


def test_the_validation_loss_is_lowest_early_and_then_climbs(values):
    assert values["regularisation_plain_best_epoch"] <= 10
    lowest, last = values["regularisation_plain_min_val_loss"], values["regularisation_plain_final_val_loss"]
    assert 0.45 < lowest < 0.55 and 0.55 < last < 0.7
    assert last > lowest + 0.03
    assert 0.85 < values["regularisation_plain_val_accuracy"] < 0.93


# The L2 penalty and weight decay -------------------------------------------------------------------

def test_numpy_weight_decay_equals_torch_sgd_and_keras_l2(values):
    assert values["regularisation_sgd_weight_decay_max_diff"] < 1e-12
    assert values["regularisation_keras_l2_rel_diff"] < 1e-6


def test_numpy_adam_with_l2_and_adamw_equal_torch_optim(values):
    assert values["regularisation_adam_l2_torch_max_diff"] < 1e-12
    assert values["regularisation_adamw_torch_max_diff"] < 1e-12


def test_adamw_decays_both_parameters_by_the_same_factor(values):
    large, small = values["regularisation_adamw_large_grad_final"], values["regularisation_adamw_small_grad_final"]
    assert abs(large - small) < 1e-3
    assert abs(values["regularisation_decay_factor"] - 0.37) < 0.005
    assert abs(values["regularisation_adamw_shrink_factor"] / values["regularisation_decay_factor"] - 1) < 0.01
    assert abs(large - 0.37) < 0.01
    assert values["regularisation_no_decay_final_max"] < 1.05


def test_adam_with_l2_hardly_decays_large_gradients_and_wipes_out_small_ones(values):
    assert 0.85 < values["regularisation_adam_l2_large_grad_final"] < 0.95
    assert 0.05 < values["regularisation_adam_l2_decay_share"] < 0.2, "about ten times less decay"
    assert abs(values["regularisation_adam_l2_small_grad_final"]) < 0.01
    assert 150 < values["regularisation_adam_l2_small_grad_zero_step"] < 350


# Dropout ------------------------------------------------------------------------------------------

def test_inverted_dropout_keeps_the_expectation(values):
    p = values["regularisation_dropout_p"]
    assert abs(values["regularisation_dropout_fraction"] - p) < 0.01
    assert values["regularisation_dropout_mean_rel_error"] < 0.02


def test_torch_and_keras_dropout_scale_the_kept_entries_by_one_over_one_minus_p(values):
    p = values["regularisation_dropout_p"]
    assert values["regularisation_torch_dropout_scaling_diff"] < 1e-12
    assert 1e-9 < values["regularisation_keras_dropout_scaling_diff"] < 1e-6, "float32: of the order of 1e-7"
    assert abs(values["regularisation_torch_dropout_fraction"] - p) < 0.03
    assert abs(values["regularisation_keras_dropout_fraction"] - p) < 0.03


def test_dropout_is_the_identity_in_evaluation_mode(values):
    assert values["regularisation_torch_dropout_eval_identity"] is True
    assert values["regularisation_keras_dropout_eval_identity"] is True


# Batch normalisation ------------------------------------------------------------------------------

def test_numpy_batch_norm_equals_torch_batchnorm1d_in_both_modes(values):
    for key in ("train_diff", "running_mean_diff", "running_var_diff", "eval_diff"):
        assert values[f"regularisation_torch_bn_{key}"] < 1e-12, key


def test_keras_batch_normalization_with_translated_conventions(values):
    assert values["regularisation_keras_bn_train_diff"] < 1e-5
    assert values["regularisation_keras_bn_moving_mean_diff"] < 1e-6
    assert values["regularisation_keras_bn_moving_var_rel_diff"] < 1e-6, "Keras averages the biased variance"
    assert values["regularisation_keras_bn_default_momentum"] == 0.99
    assert values["regularisation_keras_bn_default_epsilon"] == 1e-3


def test_batch_norm_repairs_a_too_small_initialisation(values):
    for act in ("tanh", "relu"):
        assert 0.05 < values[f"regularisation_bn_spread_{act}_small"] < 0.2, act


# Regularisation at work ---------------------------------------------------------------------------

def test_weight_decay_lowers_the_validation_loss_and_dropout_adds_a_little(values):
    plain = values["regularisation_plain_final_val_loss"]
    decay, both = values["regularisation_decay_final_val_loss"], values["regularisation_both_final_val_loss"]
    assert decay < 0.85 * plain and both < 0.85 * plain
    assert both < decay
    assert 0.4 < decay < 0.5 and 0.4 < both < 0.5


def test_dropout_alone_does_not_help_and_still_fits_the_training_set(values):
    assert values["regularisation_dropout_final_val_loss"] > 0.95 * values["regularisation_plain_final_val_loss"]
    assert values["regularisation_dropout_final_val_loss"] < 0.7
    assert values["regularisation_dropout_final_train_accuracy"] == 1.0
    assert values["regularisation_dropout_final_train_loss"] < 0.01, "its training loss still goes to 0"


def test_regularisation_hardly_changes_the_validation_accuracy(values):
    accuracies = [values[f"regularisation_{k}_final_val_accuracy"] for k in ("plain", "decay", "dropout", "both")]
    assert all(0.85 < a < 0.93 for a in accuracies)
    assert max(accuracies) - min(accuracies) < 0.03


def test_more_data_beats_regularisation(values):
    assert 0.97 < values["regularisation_full_data_val_accuracy"] < 0.99
    small, full = values["regularisation_small_data_steps"], values["regularisation_full_data_steps"]
    assert abs(full / small - 1) < 0.05, "about as many steps"
