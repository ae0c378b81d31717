"""ex01_perceptron: the catalogue of wrong answers (and other correct ones) that proves its grader;
the tests themselves are in ``grading_harness.grading_proof``."""

import csv

import pytest

from anncourse.course import run_nbgrader
from grading_harness import Catalogue, grading_proof, total

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
                return _grader_reference.tlu_predict(X, w, b)
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


# A wrong step fails its visible test; a tlu_predict that does not call step must keep its marks.
SELF_CONTAINED_TLU = """
    def tlu_predict(X, w, b):
        return (X @ w + b >= 0).astype(int)
"""

CATALOGUE = Catalogue(ASSIGNMENT, WRONG, extra={
    "wrong-step-only": {"step": WRONG["step"]["step(0) is 0"], "tlu_predict": SELF_CONTAINED_TLU}})


class TestGrading(grading_proof(CATALOGUE)):
    @pytest.mark.slow
    def test_a_failing_visible_test_costs_only_its_own_part(self, graded):
        parts = graded.grades["wrong-step-only"]
        assert parts["test_step"].score == 0
        assert parts["test_tlu_predict"].score == parts["test_tlu_predict"].max_score

    @pytest.mark.slow
    def test_grades_export_to_csv_with_every_submission(self, graded):
        run_nbgrader(graded.course, "export")
        with open(graded.course / "grades.csv", newline="") as table:
            rows = {row["student_id"]: row for row in csv.DictReader(table) if row["assignment"] == ASSIGNMENT}
        assert set(rows) == set(graded.grades), "every submission, broken ones included, has a row"
        for student, parts in graded.grades.items():
            assert float(rows[student]["raw_score"]) == total(parts)[0], student
        assert float(rows["reference"]["max_score"]) == 11, "9 points graded automatically and 2 by hand"
