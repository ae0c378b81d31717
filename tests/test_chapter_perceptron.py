"""The numerical facts that the chapter "The perceptron" states, read from its executed page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_the_learning_figure_shows_three_epochs_as_its_alt_text_says(values):
    assert values["perceptron_epochs"] == 3, "the learning figure's alt text and caption describe three panels"
    assert values["perceptron_mistakes_per_epoch"] == [3, 1, 0]
    assert values["perceptron_wrong_after_epoch_1"] == 8, "the alt text says 8 points are on the wrong side"
    assert values["perceptron_wrong_after_epoch_2"] == 0, "the alt text says epoch 2's line separates the colours"


def test_from_zero_weights_the_learning_rate_only_scales_the_weights(values):
    assert values["perceptron_slow_mistakes_per_epoch"] == values["perceptron_mistakes_per_epoch"]
    assert values["perceptron_lr_scaling_max_diff"] < 1e-12


def test_the_mistake_bound_holds_and_a_wider_margin_tightens_it(values):
    assert values["perceptron_total_mistakes"] == 4, "the text states 4 mistakes"
    learned, svm = values["perceptron_bound_learned"], values["perceptron_bound_svm"]
    assert learned == pytest.approx(107.1, abs=0.1) and svm == pytest.approx(75.3, abs=0.1)
    assert values["perceptron_total_mistakes"] <= svm < learned


def test_scikit_learn_stops_by_its_own_rule_and_differs_only_at_a_zero_score(values):
    assert values["perceptron_sklearn_epochs"] == 7, "the text says scikit-learn stops after epoch 7"
    assert values["perceptron_sklearn_accuracy"] == 1.0
    assert values["perceptron_first_label"] == 1, "the text says the first sample is of class 1"
    assert values["perceptron_zero_is_a_mistake_max_diff"] == 0.0
