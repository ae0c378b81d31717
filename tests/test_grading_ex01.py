"""ex01_perceptron: the grader gives the reference full marks, the blank release zero, and every
plausible wrong implementation less than full marks for its part."""

import pytest

from anncourse.course import student_submission
from grading_harness import (assert_blank_scores_zero, assert_part_loses_points,
                             assert_reference_full_marks, grade_catalogue, wrong_cases)

ASSIGNMENT = "ex01_perceptron"

WRONG = {
    "step": {
        "step(0) is 0": """
            def step(z):
                return (np.asarray(z) > 0).astype(int)
        """,
        "booleans instead of numbers": """
            def step(z):
                return np.asarray(z) >= 0
        """,
        "only works on 1-D input": """
            def step(z):
                return np.array([1 if value >= 0 else 0 for value in z])
        """,
        "numpy heaviside with value 0 at 0": """
            def step(z):
                return np.heaviside(z, 0.0)
        """,
    },
    "tlu_predict": {
        "bias forgotten": """
            def tlu_predict(X, w, b):
                return step(X @ w)
        """,
        "bias subtracted": """
            def tlu_predict(X, w, b):
                return step(X @ w - b)
        """,
        "strict inequality at the boundary": """
            def tlu_predict(X, w, b):
                return (X @ w + b > 0).astype(int)
        """,
        "calls the hidden reference": """
            def tlu_predict(X, w, b):
                return _reference.tlu_predict(X, w, b)
        """,
    },
    "perceptron_epoch": {
        "batch update instead of per sample": """
            def perceptron_epoch(X, y, w, b, lr=1.0):
                error = y - step(X @ w + b)
                return w + lr * X.T @ error, b + lr * error.sum()
        """,
        "updates the caller's weights in place": """
            def perceptron_epoch(X, y, w, b, lr=1.0):
                for x_i, y_i in zip(X, y):
                    error = y_i - step(x_i @ w + b)
                    w += lr * error * x_i
                    b += lr * error
                return w, b
        """,
        "bias never updated": """
            def perceptron_epoch(X, y, w, b, lr=1.0):
                w = np.array(w, dtype=float)
                for x_i, y_i in zip(X, y):
                    error = y_i - step(x_i @ w + b)
                    w = w + lr * error * x_i
                return w, b
        """,
        "error sign flipped": """
            def perceptron_epoch(X, y, w, b, lr=1.0):
                w = np.array(w, dtype=float)
                for x_i, y_i in zip(X, y):
                    error = step(x_i @ w + b) - y_i
                    w = w + lr * error * x_i
                    b = b + lr * error
                return w, b
        """,
    },
    "perceptron_fit": {
        "starts from random weights": """
            def perceptron_fit(X, y, lr=1.0, max_epochs=100):
                w, b = np.random.default_rng().normal(size=X.shape[1]), 0.0
                for _ in range(max_epochs):
                    new_w, new_b = perceptron_epoch(X, y, w, b, lr)
                    if np.array_equal(new_w, w) and new_b == b:
                        break
                    w, b = new_w, new_b
                return w, b
        """,
        "one epoch too few": """
            def perceptron_fit(X, y, lr=1.0, max_epochs=100):
                w, b = np.zeros(X.shape[1]), 0.0
                for _ in range(max_epochs - 1):
                    w, b = perceptron_epoch(X, y, w, b, lr)
                return w, b
        """,
        "stops after the first epoch": """
            def perceptron_fit(X, y, lr=1.0, max_epochs=100):
                return perceptron_epoch(X, y, np.zeros(X.shape[1]), 0.0, lr)
        """,
        "ignores the learning rate": """
            def perceptron_fit(X, y, lr=1.0, max_epochs=100):
                w, b = np.zeros(X.shape[1]), 0.0
                for _ in range(max_epochs):
                    new_w, new_b = perceptron_epoch(X, y, w, b, 1.0)
                    if np.array_equal(new_w, w) and new_b == b:
                        break
                    w, b = new_w, new_b
                return w, b
        """,
        "hands the work to scikit-learn": """
            def perceptron_fit(X, y, lr=1.0, max_epochs=100):
                from sklearn.linear_model import Perceptron
                model = Perceptron(eta0=lr, max_iter=max_epochs, shuffle=False, tol=None).fit(X, y)
                return model.coef_[0], float(model.intercept_[0])
        """,
    },
}

AUTOGRADED_PARTS = ["test_step", "test_tlu_predict", "test_perceptron_epoch", "test_perceptron_fit"]


SWALLOW_ERRORS = """
def step(z):
    return z

get_ipython().set_custom_exc((Exception,), lambda *args, **kwargs: None)
"""


REDEFINE_CHECK = """
def tlu_predict(X, w, b):
    return np.zeros(len(X))

def expect_equal(*args, **kwargs):
    return None
"""

SELF_CONTAINED_TLU = """
def tlu_predict(X, w, b):
    return (X @ w + b >= 0).astype(int)
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp(ASSIGNMENT)


@pytest.fixture(scope="module")
def grades(workdir):
    extra = {"corrupted-file": "{ this is not a notebook",
             "syntax-error": student_submission(ASSIGNMENT, {"step": "def step(z)\n    return z"}),
             "swallows-errors": student_submission(ASSIGNMENT, {"step": SWALLOW_ERRORS}),
             "redefines-a-check": student_submission(ASSIGNMENT, {"tlu_predict": REDEFINE_CHECK}),
             "wrong-step-only": student_submission(ASSIGNMENT, {"step": WRONG["step"]["step(0) is 0"],
                                                                "tlu_predict": SELF_CONTAINED_TLU})}
    return grade_catalogue(ASSIGNMENT, WRONG, workdir, extra=extra)


@pytest.mark.slow
def test_reference_solution_earns_full_marks(grades):
    assert_reference_full_marks(grades, manual_parts=("xor_answer",))


@pytest.mark.slow
def test_untouched_release_earns_zero(grades):
    assert_blank_scores_zero(grades, AUTOGRADED_PARTS)


@pytest.mark.slow
@pytest.mark.parametrize("part, mistake", wrong_cases(WRONG))
def test_wrong_implementation_loses_points(grades, part, mistake):
    assert_part_loses_points(grades, part, mistake)


@pytest.mark.slow
def test_broken_submissions_score_zero_without_stopping_the_batch(grades):
    assert sum(g.score for g in grades["corrupted-file"].values()) == 0
    syntax = grades["syntax-error"]
    assert set(syntax) >= set(AUTOGRADED_PARTS) and syntax["test_step"].score == 0
    # The batch went on: submissions graded after the broken ones still got their marks.
    assert_reference_full_marks(grades, manual_parts=("xor_answer",))


@pytest.mark.slow
def test_answers_that_silence_errors_score_zero_with_the_reason_in_the_feedback(grades, workdir):
    assert sum(g.score for g in grades["swallows-errors"].values()) == 0
    graded = (workdir / "autograded" / "swallows-errors" / ASSIGNMENT / "perceptron.ipynb").read_text()
    assert "Grading refused" in graded and "get_ipython" in graded


@pytest.mark.slow
def test_answers_that_redefine_a_grading_check_score_zero(grades):
    assert sum(g.score for g in grades["redefines-a-check"].values()) == 0


@pytest.mark.slow
def test_a_failing_visible_test_costs_only_its_own_part(grades):
    parts = grades["wrong-step-only"]
    assert parts["test_step"].score == 0
    assert parts["test_tlu_predict"].score == parts["test_tlu_predict"].max_score
