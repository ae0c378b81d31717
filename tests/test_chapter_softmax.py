"""The numerical facts that the chapter "Softmax and logits" states, read from its executed page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_logit_is_the_inverse_of_sigmoid(values):
    assert values["softmax_logit_roundtrip_max_diff"] < 1e-12


def test_two_class_softmax_is_sigmoid_of_the_logit_difference(values):
    assert values["softmax_two_class_sigmoid_max_diff"] < 1e-12


def test_naive_softmax_and_global_max_shift_break_rows_of_the_batch(values):
    assert values["softmax_naive_bad_rows"] >= 1, "the naive softmax should overflow on the row of large logits"
    assert values["softmax_global_shift_bad_rows"] >= 1, "the global-max shift should turn small rows into 0/0"


def test_row_wise_max_shift_gives_a_distribution_in_every_row(values):
    assert values["softmax_rowwise_bad_rows"] == 0
    assert values["softmax_rowwise_max_sum_error"] < 1e-12
    # rows whose logits differ by a constant must get the same probabilities
    assert values["softmax_rowwise_large_equals_small"] < 1e-12
    assert values["softmax_rowwise_vs_torch_max_diff"] < 1e-12


def test_log_softmax_is_exact_where_log_of_softmax_is_infinite(values):
    assert values["softmax_log_of_softmax_is_finite"] is False
    assert values["softmax_log_softmax_first_entry"] == pytest.approx(-1e4, abs=1e-9)
    assert values["softmax_log_softmax_second_entry"] == pytest.approx(0.0, abs=1e-12)


def test_cross_entropy_loss_and_gradient_match_pytorch_autograd(values):
    assert values["softmax_ce_loss_diff"] < 1e-12
    assert values["softmax_ce_grad_max_diff"] < 1e-12
    assert values["softmax_ce_grad_numerical_rel_error"] < 1e-7


def test_probability_route_gives_infinite_or_clipped_loss_and_no_useful_gradient(values):
    assert values["softmax_prob_route_torch_loss_is_finite"] is False
    assert values["softmax_prob_route_torch_grad_is_finite"] is False
    exact = values["softmax_exact_hard_loss"]
    assert values["softmax_prob_route_keras_loss"] < exact / 5, "Keras' clipped loss should be far below the true one"
    assert values["softmax_prob_route_keras_grad_max_abs"] == 0.0


def test_logits_route_gives_the_exact_loss_and_gradient(values):
    assert values["softmax_exact_hard_loss"] == pytest.approx(100.0, abs=1e-9)
    assert values["softmax_logit_route_loss_max_error"] < 1e-4
    assert values["softmax_logit_route_grad_max_error"] < 1e-6


def test_sparse_and_categorical_cross_entropy_are_the_same_loss(values):
    assert values["softmax_sparse_vs_categorical_diff"] < 1e-12


def test_stable_binary_cross_entropy_matches_pytorch_and_two_class_softmax(values):
    assert values["softmax_bce_vs_torch_diff"] < 1e-10
    assert values["softmax_two_class_ce_vs_bce_diff"] < 1e-12


def test_numpy_pytorch_and_keras_compute_the_same_cross_entropy(values):
    assert values["softmax_three_way_max_diff_float64"] < 1e-12
    assert values["softmax_keras_float32_diff"] < 1e-5


def test_forgetting_keepdims_hides_for_one_sample_and_breaks_larger_batches(values):
    assert values["softmax_keepdims_slip_one_row_is_right"] is True
    assert values["softmax_keepdims_slip_two_rows"] == "ValueError"


def test_a_numpy_network_trained_with_softmax_cross_entropy_learns_the_digits(values):
    assert values["softmax_net_accuracy"] >= 0.95
    assert values["softmax_net_accuracy_percent"] == f"{100 * values['softmax_net_accuracy']:.1f}"
    # the text: a little above log 10 at the start; then the training loss far below the held-out one
    assert 2.3 < values["softmax_net_initial_loss"] < 2.8
    assert values["softmax_net_initial_loss_text"] == f"{values['softmax_net_initial_loss']:.2f}"
    assert values["softmax_net_final_train_loss"] < 0.05
    assert values["softmax_net_final_heldout_loss"] > 3 * values["softmax_net_final_train_loss"]
    assert values["softmax_net_final_train_loss_text"] == f"{values['softmax_net_final_train_loss']:.2f}"
    assert values["softmax_net_final_heldout_loss_text"] == f"{values['softmax_net_final_heldout_loss']:.2f}"
