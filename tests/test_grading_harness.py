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


def test_an_answer_that_tampers_is_graded_alone():
    wrong = {part: dict(mistakes) for part, mistakes in WRONG.items()}
    wrong["tlu_predict"]["swallows errors"] = """
        def tlu_predict(X, w, b):
            return X @ w
        get_ipython().set_custom_exc((Exception,), print)
    """
    catalogue = Catalogue(ASSIGNMENT, wrong)
    assert catalogue.tampers(wrong["tlu_predict"]["swallows errors"])
    assert not catalogue.tampers(wrong["tlu_predict"]["calls the hidden reference"]), "that costs its part only"
    rounds = catalogue.rounds
    assert {"tlu_predict": "swallows errors"} in rounds
    assert sum(len(r) for r in rounds) == sum(len(m) for m in wrong.values())
