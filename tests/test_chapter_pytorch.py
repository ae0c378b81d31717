"""The numerical facts that chapters/pytorch.md states, read from the executed chapter."""

import pytest

pytestmark = pytest.mark.slow  # needs the built book


def test_from_numpy_shares_memory_and_tensor_copies(values):
    assert values["pytorch_from_numpy_shares_memory"] is True
    assert values["pytorch_tensor_copies"] is True


def test_autograd_derivative_of_cubic_matches_hand_value(values):
    assert values["pytorch_scalar_grad"] == 14.0  # d(x^3 + 2x)/dx = 3x^2 + 2 at x = 2


def test_autograd_gradient_of_mse_matches_hand_formula(values):
    assert values["pytorch_autograd_vs_hand_max_diff"] < 1e-12


def test_second_backward_pass_doubles_the_gradient(values):
    assert values["pytorch_grad_accumulation_diff"] < 1e-12


def test_linear_layer_computes_x_times_w_transposed_plus_b(values):
    assert values["pytorch_linear_formula_max_diff"] < 1e-5


def test_training_loop_learns_the_digits(values):
    assert values["pytorch_val_accuracy"] > 0.9


def test_loaded_state_dict_gives_identical_outputs(values):
    assert values["pytorch_state_dict_max_diff"] < 1e-6


def test_pytorch_and_keras_networks_have_equal_parameter_counts(values):
    assert values["pytorch_param_count"] == values["pytorch_keras_param_count"] == 6570


def test_pytorch_network_is_the_keras_chapters_network(values, chapter_values):
    assert values["pytorch_param_count"] == chapter_values("keras")["keras_param_count"]


def test_same_weights_give_the_same_logits_in_both_frameworks(values):
    assert values["pytorch_keras_same_weights_max_diff"] < 1e-5


def test_side_by_side_accuracies_agree_within_a_few_images(values):
    keras_acc = values["pytorch_side_keras_val_accuracy"]
    torch_acc = values["pytorch_side_torch_val_accuracy"]
    assert keras_acc > 0.9 and torch_acc > 0.9
    assert abs(keras_acc - torch_acc) <= 5 / 360 + 1e-9, f"Keras {keras_acc}, PyTorch {torch_acc} (360 images)"


def test_flatten_reads_each_digit_image_row_by_row_into_the_models_inputs(values):
    assert values["pytorch_digit_images_shape"] == [1797, 8, 8]
    assert values["pytorch_flatten_rows_match"] is True  # images reshaped row by row == data
    assert values["pytorch_flatten_shape"] == [360, 64]  # the 360 validation images, 64 pixels each
    assert values["pytorch_flatten_max_diff"] == 0.0  # Flatten only reshapes: the same logits
