"""The harness that proves the graders: how it groups wrong answers and which losses it allows."""

from grading_harness import Catalogue
from test_grading_ex01 import ASSIGNMENT, WRONG


def test_parts_that_call_each_other_are_found_through_the_chain():
    catalogue = Catalogue(ASSIGNMENT, WRONG)
    assert catalogue.reaches["multiclass_fit"] == {"multiclass_epoch", "multiclass_predict"}
    assert catalogue.reaches["train_digits"] == {"multiclass_fit", "multiclass_epoch", "multiclass_predict"}
    assert catalogue.reaches["step"] == set()
    assert catalogue.may_lose(["multiclass_epoch"]) == {"test_multiclass_epoch", "test_multiclass_fit",
                                                        "test_train_digits"}
    assert catalogue.may_lose(["train_digits"]) == {"test_train_digits"}


def test_a_part_judged_on_its_own_may_not_lose_points_for_the_parts_it_calls():
    catalogue = Catalogue(ASSIGNMENT, WRONG, independent={"multiclass_fit"})
    assert catalogue.may_lose(["multiclass_epoch"]) == {"test_multiclass_epoch", "test_train_digits"}
    assert "test_multiclass_fit" in catalogue.may_lose(["multiclass_fit"])


def test_rounds_never_put_two_parts_that_call_each_other_together():
    catalogue = Catalogue(ASSIGNMENT, WRONG)
    for chosen in catalogue.rounds:
        assert not any(catalogue.reaches[part] & set(chosen) for part in chosen), chosen
    assert sum(len(r) for r in catalogue.rounds) == sum(len(m) for m in WRONG.values())
