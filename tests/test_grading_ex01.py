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
    "multiclass_predict": {
        "bias forgotten": """
            def multiclass_predict(X, W, b):
                return np.argmax(X @ W, axis=1)
        """,
        "argmax over the samples": """
            def multiclass_predict(X, W, b):
                return np.argmax(X @ W + b, axis=0)
        """,
        "lowest score wins": """
            def multiclass_predict(X, W, b):
                return np.argmin(X @ W + b, axis=1)
        """,
        "ties go to the highest class": """
            def multiclass_predict(X, W, b):
                scores = X @ W + b
                best = np.zeros(len(X), dtype=int)
                for c in range(scores.shape[1]):
                    best = np.where(scores[:, c] >= scores[np.arange(len(X)), best], c, best)
                return best
        """,
    },
    "multiclass_epoch": {
        "batch update instead of per sample": """
            def multiclass_epoch(X, y, W, b, lr=1.0):
                W, b = np.array(W, dtype=float), np.array(b, dtype=float)
                guesses = np.argmax(X @ W + b, axis=1)
                mistakes = 0
                for x_i, y_i, guess in zip(X, y, guesses):
                    if guess != y_i:
                        W[:, y_i] += lr * x_i
                        W[:, guess] -= lr * x_i
                        b[y_i] += lr
                        b[guess] -= lr
                        mistakes += 1
                return W, b, mistakes
        """,
        "only the true class moves": """
            def multiclass_epoch(X, y, W, b, lr=1.0):
                W, b = np.array(W, dtype=float), np.array(b, dtype=float)
                mistakes = 0
                for x_i, y_i in zip(X, y):
                    guess = np.argmax(x_i @ W + b)
                    if guess != y_i:
                        W[:, y_i] += lr * x_i
                        b[y_i] += lr
                        mistakes += 1
                return W, b, mistakes
        """,
        "updates the caller's W and b in place": """
            def multiclass_epoch(X, y, W, b, lr=1.0):
                mistakes = 0
                for x_i, y_i in zip(X, y):
                    guess = np.argmax(x_i @ W + b)
                    if guess != y_i:
                        W[:, y_i] += lr * x_i
                        W[:, guess] -= lr * x_i
                        b[y_i] += lr
                        b[guess] -= lr
                        mistakes += 1
                return W, b, mistakes
        """,
        "biases never updated": """
            def multiclass_epoch(X, y, W, b, lr=1.0):
                W, b = np.array(W, dtype=float), np.array(b, dtype=float)
                mistakes = 0
                for x_i, y_i in zip(X, y):
                    guess = np.argmax(x_i @ W + b)
                    if guess != y_i:
                        W[:, y_i] += lr * x_i
                        W[:, guess] -= lr * x_i
                        mistakes += 1
                return W, b, mistakes
        """,
        "counts every sample as a mistake": """
            def multiclass_epoch(X, y, W, b, lr=1.0):
                W, b = np.array(W, dtype=float), np.array(b, dtype=float)
                mistakes = 0
                for x_i, y_i in zip(X, y):
                    guess = np.argmax(x_i @ W + b)
                    if guess != y_i:
                        W[:, y_i] += lr * x_i
                        W[:, guess] -= lr * x_i
                        b[y_i] += lr
                        b[guess] -= lr
                    mistakes += 1
                return W, b, mistakes
        """,
        "ties go to the highest class": """
            def multiclass_epoch(X, y, W, b, lr=1.0):
                W, b = np.array(W, dtype=float), np.array(b, dtype=float)
                mistakes = 0
                for x_i, y_i in zip(X, y):
                    scores = x_i @ W + b
                    guess = 0
                    for c in range(len(scores)):
                        if scores[c] >= scores[guess]:
                            guess = c
                    if guess != y_i:
                        W[:, y_i] += lr * x_i
                        W[:, guess] -= lr * x_i
                        b[y_i] += lr
                        b[guess] -= lr
                        mistakes += 1
                return W, b, mistakes
        """,
    },
    "multiclass_fit": {
        "ignores the seed (never shuffles)": """
            def multiclass_fit(X, y, n_classes, lr=1.0, max_epochs=100, seed=None):
                W, b = np.zeros((X.shape[1], n_classes)), np.zeros(n_classes)
                best, fewest, history = (W, b), np.inf, []
                for _ in range(max_epochs):
                    W, b, mistakes = multiclass_epoch(X, y, W, b, lr)
                    history.append(mistakes)
                    errors = np.sum(multiclass_predict(X, W, b) != y)
                    if errors < fewest:
                        best, fewest = (W, b), errors
                    if mistakes == 0:
                        break
                return best[0], best[1], history
        """,
        "a new generator every epoch": """
            def multiclass_fit(X, y, n_classes, lr=1.0, max_epochs=100, seed=None):
                W, b = np.zeros((X.shape[1], n_classes)), np.zeros(n_classes)
                best, fewest, history = (W, b), np.inf, []
                for _ in range(max_epochs):
                    if seed is None:
                        order = np.arange(len(X))
                    else:
                        order = np.random.default_rng(seed).permutation(len(X))
                    W, b, mistakes = multiclass_epoch(X[order], y[order], W, b, lr)
                    history.append(mistakes)
                    errors = np.sum(multiclass_predict(X, W, b) != y)
                    if errors < fewest:
                        best, fewest = (W, b), errors
                    if mistakes == 0:
                        break
                return best[0], best[1], history
        """,
        "returns the last weights, not the pocket": """
            def multiclass_fit(X, y, n_classes, lr=1.0, max_epochs=100, seed=None):
                W, b = np.zeros((X.shape[1], n_classes)), np.zeros(n_classes)
                rng = None if seed is None else np.random.default_rng(seed)
                history = []
                for _ in range(max_epochs):
                    order = np.arange(len(X)) if rng is None else rng.permutation(len(X))
                    W, b, mistakes = multiclass_epoch(X[order], y[order], W, b, lr)
                    history.append(mistakes)
                    if mistakes == 0:
                        break
                return W, b, history
        """,
        "the pocket keeps the later epoch on a tie": """
            def multiclass_fit(X, y, n_classes, lr=1.0, max_epochs=100, seed=None):
                W, b = np.zeros((X.shape[1], n_classes)), np.zeros(n_classes)
                rng = None if seed is None else np.random.default_rng(seed)
                best, fewest, history = (W, b), np.inf, []
                for _ in range(max_epochs):
                    order = np.arange(len(X)) if rng is None else rng.permutation(len(X))
                    W, b, mistakes = multiclass_epoch(X[order], y[order], W, b, lr)
                    history.append(mistakes)
                    errors = np.sum(multiclass_predict(X, W, b) != y)
                    if errors <= fewest:
                        best, fewest = (W, b), errors
                    if mistakes == 0:
                        break
                return best[0], best[1], history
        """,
        "never stops early": """
            def multiclass_fit(X, y, n_classes, lr=1.0, max_epochs=100, seed=None):
                W, b = np.zeros((X.shape[1], n_classes)), np.zeros(n_classes)
                rng = None if seed is None else np.random.default_rng(seed)
                best, fewest, history = (W, b), np.inf, []
                for _ in range(max_epochs):
                    order = np.arange(len(X)) if rng is None else rng.permutation(len(X))
                    W, b, mistakes = multiclass_epoch(X[order], y[order], W, b, lr)
                    history.append(mistakes)
                    errors = np.sum(multiclass_predict(X, W, b) != y)
                    if errors < fewest:
                        best, fewest = (W, b), errors
                return best[0], best[1], history
        """,
        "starts from random weights": """
            def multiclass_fit(X, y, n_classes, lr=1.0, max_epochs=100, seed=None):
                rng = np.random.default_rng(seed)
                W, b = rng.normal(size=(X.shape[1], n_classes)), np.zeros(n_classes)
                best, fewest, history = (W, b), np.inf, []
                for _ in range(max_epochs):
                    order = np.arange(len(X)) if seed is None else rng.permutation(len(X))
                    W, b, mistakes = multiclass_epoch(X[order], y[order], W, b, lr)
                    history.append(mistakes)
                    errors = np.sum(multiclass_predict(X, W, b) != y)
                    if errors < fewest:
                        best, fewest = (W, b), errors
                    if mistakes == 0:
                        break
                return best[0], best[1], history
        """,
    },
    "train_digits": {
        "one epoch in the given order": """
            def train_digits(X, y):
                W, b, _ = multiclass_fit(X, y, n_classes=10, max_epochs=1)
                return W, b
        """,
        "trained on standardised pixels, weights not folded back": """
            def train_digits(X, y):
                mean, std = X.mean(axis=0), X.std(axis=0)
                std[std == 0] = 1.0
                W, b, _ = multiclass_fit((X - mean) / std, y, n_classes=10, max_epochs=20, seed=0)
                return W, b
        """,
        "weights returned transposed": """
            def train_digits(X, y):
                W, b, _ = multiclass_fit(X / 16, y, n_classes=10, max_epochs=20, seed=0)
                return (W / 16).T, b
        """,
    },
}

# Correct answers written differently from the reference: each earns full marks.
ALTERNATIVES = {
    "step": """
        def step(z):
            return np.heaviside(z, 1.0)
    """,
    "multiclass_predict": """
        def multiclass_predict(X, W, b):
            return np.argmax(np.einsum("ij,jk->ik", X, W) + b, axis=-1)
    """,
    "multiclass_epoch": """
        def multiclass_epoch(X, y, W, b, lr=1.0):
            W, b = W.astype(float), b.astype(float)   # astype copies
            n_classes = W.shape[1]
            mistakes = 0
            for x, label in zip(X, y):
                predicted = int(np.argmax(W.T @ x + b))
                if predicted != label:
                    change = np.eye(n_classes)[label] - np.eye(n_classes)[predicted]
                    W = W + lr * np.outer(x, change)
                    b = b + lr * change
                    mistakes += 1
            return W, b, mistakes
    """,
    "multiclass_fit": """
        def multiclass_fit(X, y, n_classes, lr=1.0, max_epochs=100, seed=None):
            X, y = np.asarray(X), np.asarray(y)
            rng = np.random.default_rng(seed) if seed is not None else None
            W, b = np.zeros((X.shape[1], n_classes)), np.zeros(n_classes)
            history, best = [], None
            for epoch in range(max_epochs):
                idx = rng.permutation(len(y)) if rng is not None else np.arange(len(y))
                W, b, made = multiclass_epoch(X[idx], y[idx], W, b, lr=lr)
                history.append(int(made))
                wrong = int((multiclass_predict(X, W, b) != y).sum())
                if best is None or wrong < best[0]:
                    best = (wrong, W.copy(), b.copy())
                if made == 0:
                    break
            return best[1], best[2], history
    """,
    "train_digits": """
        def train_digits(X, y):
            # Standardised pixels for training, folded back: (x - mean) / std @ W + b on raw x.
            mean, std = X.mean(axis=0), X.std(axis=0)
            std[std == 0] = 1.0
            W, b, _ = multiclass_fit((X - mean) / std, y, 10, max_epochs=20, seed=0)
            return W / std[:, None], b - (mean / std) @ W
    """,
}

CATALOGUE = Catalogue(ASSIGNMENT, WRONG, ALTERNATIVES, independent=frozenset({"multiclass_fit"}), extra={
    "wrong-epoch-only": {"multiclass_epoch": WRONG["multiclass_epoch"]["only the true class moves"]}})


class TestGrading(grading_proof(CATALOGUE)):
    @pytest.mark.slow
    def test_a_failing_part_costs_nothing_to_the_part_judged_with_the_graders_helpers(self, graded):
        parts = graded.grades["wrong-epoch-only"]
        assert parts["test_multiclass_epoch"].score == 0
        assert parts["test_multiclass_fit"].score == parts["test_multiclass_fit"].max_score

    @pytest.mark.slow
    def test_grades_export_to_csv_with_every_submission(self, graded):
        run_nbgrader(graded.course, "export")
        with open(graded.course / "grades.csv", newline="") as table:
            rows = {row["student_id"]: row for row in csv.DictReader(table) if row["assignment"] == ASSIGNMENT}
        assert set(rows) == set(graded.grades), "every submission, broken ones included, has a row"
        for student, parts in graded.grades.items():
            assert float(rows[student]["raw_score"]) == total(parts)[0], student
        assert float(rows["reference"]["max_score"]) == 16, "14 points graded automatically and 2 by hand"
