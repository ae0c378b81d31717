"""The numerical facts that chapters/keras.md states, read from the executed chapter."""

import math

import pytest

pytestmark = pytest.mark.slow  # needs the built book

DIGITS_WIDTHS = [64, 64, 32, 10]


def test_chapter_runs_keras_on_the_tensorflow_backend(values):
    assert values["keras_backend"] == "tensorflow"


def test_parameter_count_by_hand_matches_keras(values):
    expected = sum(n_in * n_out + n_out for n_in, n_out in zip(DIGITS_WIDTHS[:-1], DIGITS_WIDTHS[1:]))
    assert values["keras_param_count_by_hand"] == expected == 6570
    assert values["keras_param_count"] == expected


def test_dense_layer_computes_relu_of_xw_plus_b(values):
    assert values["keras_dense_formula_max_diff"] < 1e-5


def test_digits_network_learns(values):
    assert values["keras_val_accuracy"] > 0.9
    assert values["keras_test_accuracy_evaluate"] > 0.9


def test_training_loss_averaged_over_epoch_exceeds_end_of_epoch_loss(values):
    averaged, end = values["keras_epoch1_averaged_loss"], values["keras_epoch1_end_loss"]
    assert averaged > end + 0.1, f"averaged {averaged}, end of epoch {end}"


def test_evaluate_accuracy_equals_argmax_of_predict(values):
    assert abs(values["keras_test_accuracy_evaluate"] - values["keras_test_accuracy_argmax"]) < 1e-6


def test_softmax_outputs_sum_to_one(values):
    assert values["keras_probability_row_sum_max_dev"] < 1e-5


def test_softmax_and_logits_models_reach_the_same_accuracy(values):
    softmax, logits = values["keras_softmax_val_accuracy"], values["keras_logits_val_accuracy"]
    assert abs(softmax - logits) <= 0.02, f"softmax output {softmax}, logits output {logits}"


def test_loss_from_logits_is_exact_and_loss_from_probabilities_is_clipped(values):
    # logits (200, 0, -200), true class 2: exact loss logsumexp(z) - z_2 = 400
    assert math.isclose(values["keras_extreme_loss_from_logits"], 400.0, rel_tol=1e-5)
    assert math.isclose(values["keras_extreme_loss_from_probs"], -math.log(1e-7), abs_tol=1e-2)


def test_adaptive_optimizers_beat_plain_sgd_in_validation_loss(values):
    sgd = values["keras_sgd_val_loss"]
    assert values["keras_adam_val_loss"] < sgd
    assert values["keras_rmsprop_val_loss"] < sgd


def test_loaded_keras_file_predicts_like_the_original(values):
    assert values["keras_saved_model_max_diff"] < 1e-6


def test_early_stopping_stops_patience_epochs_after_the_best_and_restores_it(values):
    best, run, patience = values["keras_early_best_epoch"], values["keras_early_epochs_run"], values["keras_early_patience"]
    assert patience == 3
    assert run == best + patience < 100, f"best epoch {best}, {run} epochs run"
    assert best > 15, "the text says the best epoch comes after the 15 epochs chosen by hand"
    assert values["keras_early_best_val_loss"] < values["keras_adam_val_loss"]
    assert values["keras_early_last_val_loss"] > values["keras_early_best_val_loss"]
    assert math.isclose(values["keras_early_restored_val_loss"], values["keras_early_best_val_loss"], rel_tol=1e-5)


def test_checkpoint_file_predicts_like_the_restored_model(values):
    assert values["keras_checkpoint_max_diff"] < 1e-6


def test_flatten_reads_the_images_row_by_row_without_weights(values):
    assert values["keras_images_are_data"] is True
    assert tuple(values["keras_images_shape"]) == (1797, 8, 8)
    assert tuple(values["keras_flatten_output_shape"]) == (None, 64)
    assert values["keras_flatten_param_count"] == values["keras_param_count"]
    assert values["keras_flatten_max_diff"] < 1e-6


def test_standardising_the_diabetes_target_helps(values):
    scaled, raw = values["keras_diabetes_r2_scaled"], values["keras_diabetes_r2_raw"]
    assert scaled > 0.2
    assert scaled > raw + 0.5, f"standardised target R^2 {scaled}, raw target R^2 {raw}"


def test_diabetes_networks_land_within_ten_percent_of_the_linear_baseline_mse(values):
    # same validation set, so MSE ratios are ratios of (1 - R^2)
    linear = 1 - values["keras_diabetes_r2_linear"]
    for key in ["scaled", "wide_deep", "sklearn"]:
        ratio = (1 - values[f"keras_diabetes_r2_{key}"]) / linear
        assert abs(ratio - 1) < 0.1, f"{key}: MSE is {ratio:.2f} times the linear baseline's"


def test_wide_and_deep_is_the_weakest_standardised_network(values):
    # the text: although its wide path can carry the linear relation, it comes out last of the three
    others = [values["keras_diabetes_r2_scaled"], values["keras_diabetes_r2_sklearn"]]
    assert values["keras_diabetes_r2_wide_deep"] < min(others)


def test_tensorflow_lists_the_cpu_and_pins_work_to_it(values):
    assert "CPU:0" in values["keras_devices"].split(", ")
    assert values["keras_pinned_device"].endswith("CPU:0")
