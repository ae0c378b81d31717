"""The harness that proves the graders: how it groups wrong answers and which losses it allows."""

from grading_harness import Catalogue
from test_grading_ex01 import ASSIGNMENT, WRONG


def test_parts_that_call_each_other_are_found_through_the_chain():
    catalogue = Catalogue(ASSIGNMENT, WRONG)
    assert catalogue.reaches["perceptron_fit"] == {"perceptron_epoch", "step"}
    assert catalogue.reaches["step"] == set()
    assert catalogue.may_lose(["step"]) == {"test_step", "test_tlu_predict", "test_perceptron_epoch",
                                            "test_perceptron_fit"}
    assert catalogue.may_lose(["perceptron_fit"]) == {"test_perceptron_fit"}


def test_rounds_never_put_two_parts_that_call_each_other_together():
    catalogue = Catalogue(ASSIGNMENT, WRONG)
    for chosen in catalogue.rounds:
        assert not any(catalogue.reaches[part] & set(chosen) for part in chosen), chosen
    assert sum(len(r) for r in catalogue.rounds) == sum(len(m) for m in WRONG.values())
