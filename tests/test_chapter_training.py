"""The numerical facts that the chapter "Training in practice" states, read from its executed page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_momentum_and_adam_formulas_match_torch_optim(values):
    assert values["training_momentum_formula_max_diff"] < 1e-12
    assert values["training_adam_formula_max_diff"] < 1e-12


def test_too_small_learning_rate_barely_lowers_the_loss(values):
    assert values["training_small_lr_relative_drop"] < 0.1
    assert values["training_good_lr_final_loss"] < values["training_small_lr_final_loss"] / 10


def test_too_large_learning_rate_diverges(values):
    assert values["training_large_lr_all_finite"] is False, "the loss at rate 10 should overflow to inf/nan"
    assert values["training_large_lr_growth_before_overflow"] > 1e6, "the loss should grow before it overflows"


def test_range_test_suggests_a_rate_that_trains_well(values):
    assert 1e-3 < values["training_range_test_suggested_lr"] < 10
    assert values["training_range_test_suggested_lr_val_accuracy"] > 0.9


def test_small_batches_learn_more_per_epoch_than_the_full_batch(values):
    assert values["training_batch_accuracy_smallest"] > values["training_batch_accuracy_full"] + 0.1


def test_early_stopping_waits_patience_epochs_and_restores_the_best_weights(values):
    patience, best, stop = (values[f"training_es_{k}"] for k in ("patience", "best_epoch", "stop_epoch"))
    assert stop == best + patience, f"stopped at epoch {stop}, best {best}, patience {patience}"
    assert values["training_es_last_minus_best"] > 0, "the last epoch should be worse than the best"
    assert values["training_es_restored_minus_best"] < 1e-6, "the restored model should have the best validation loss"


def test_too_narrow_networks_are_clearly_worse_and_depth_does_not_fix_them(values):
    assert values["training_size_narrow_shallow_accuracy"] < values["training_size_wide_shallow_accuracy"] - 0.2
    assert values["training_size_narrow_deep_accuracy"] < values["training_size_narrow_shallow_accuracy"]


def test_largest_network_fits_training_data_better_but_barely_generalises_better(values):
    assert values["training_size_wide_deep_train_loss"] < values["training_size_wide_shallow_train_loss"] / 10
    assert abs(values["training_size_wide_deep_accuracy"] - values["training_size_wide_shallow_accuracy"]) < 0.03


def test_hyperparameter_search_finds_a_good_setting_among_poor_ones(values):
    assert values["training_search_best_accuracy"] > 0.9
    assert values["training_search_best_accuracy"] - values["training_search_worst_accuracy"] > 0.1


def test_same_seed_gives_identical_weights(values):
    assert values["training_same_seed_identical"] is True


def test_different_seed_gives_different_weights(values):
    assert values["training_different_seed_identical"] is False
    assert values["training_different_seed_max_weight_diff"] > 1e-3


def test_momentum_reaches_the_lowest_training_loss_and_plain_sgd_the_highest(values):
    sgd, momentum = values["training_opt_final_loss_sgd"], values["training_opt_final_loss_momentum"]
    assert momentum < sgd / 10
    for name in ("rmsprop", "adam"):
        assert momentum < values[f"training_opt_final_loss_{name}"] < sgd, f"{name} should lie in between"


def test_a_cosine_schedule_lets_a_large_rate_settle(values):
    constant = values["training_schedule_constant_final_loss"]
    cosine = values["training_schedule_cosine_final_loss"]
    assert cosine < constant / 200, "the text says more than a hundred times lower, the alt text hundreds of times"
    assert 5 <= values["training_schedule_constant_rises"] <= 9, "the text says about half of the 14 changes are rises"
    assert values["training_schedule_constant_last_rise"] >= 12, "the text says the constant run still rises in the last few epochs"
    assert 0 < values["training_schedule_cosine_last_rise"] <= 5, "the text says the cosine run bounces only in the first five epochs"
    assert values["training_schedule_cosine_last_lr"] < 0.03 / 50, "the cosine rate should end near zero"
    assert round(values["training_schedule_cosine_accuracy"], 2) == 0.97
    assert round(values["training_schedule_constant_accuracy"], 2) == 0.96


def test_clipping_rescues_a_too_large_rate_and_does_nothing_at_a_good_one(values):
    assert values["training_clip_unclipped_val_loss"] > 1e10, "without clipping, rate 3 should blow up"
    assert values["training_clip_unclipped_max_norm"] > 1e6, "the gradient norms should grow by orders of magnitude"
    assert 0.94 < values["training_clip_clipped_accuracy"] < 0.96, "the text says about 95%"
    assert 0.3 < values["training_clip_clipped_fraction"] < 0.5, "the text says about two steps in five were clipped"
    assert values["training_clip_good_max_norm"] < 1.0, "at rate 1 the clipping at norm 1 should never act"
    assert values["training_clip_good_accuracy"] > values["training_clip_clipped_accuracy"]
