"""ex04_softmax: the catalogue of wrong answers (and other correct ones) that proves its grader;
the tests themselves are in ``grading_harness.grading_proof``."""

from grading_harness import Catalogue, grading_proof

ASSIGNMENT = "ex04_softmax"

WRONG = {
    "softmax": {
        "shifted by the global maximum of the batch": """
            def softmax(z):
                exps = np.exp(z - np.max(z))
                return exps / exps.sum(axis=-1, keepdims=True)
        """,
        "normalised along axis 0": """
            def softmax(z):
                exps = np.exp(z - z.max(axis=0, keepdims=True))
                return exps / exps.sum(axis=0, keepdims=True)
        """,
        "no shift at all": """
            def softmax(z):
                exps = np.exp(z)
                return exps / exps.sum(axis=-1, keepdims=True)
        """,
        "softmax applied twice": """
            def softmax(z):
                def once(a):
                    exps = np.exp(a - a.max(axis=-1, keepdims=True))
                    return exps / exps.sum(axis=-1, keepdims=True)
                return once(once(z))
        """,
        "hard-coded axis 1": """
            def softmax(z):
                exps = np.exp(z - z.max(axis=1, keepdims=True))
                return exps / exps.sum(axis=1, keepdims=True)
        """,
        "divides by the sum over the whole batch": """
            def softmax(z):
                exps = np.exp(z - z.max(axis=-1, keepdims=True))
                return exps / exps.sum()
        """,
        "shifts the caller's array in place": """
            def softmax(z):
                z -= z.max(axis=-1, keepdims=True)
                exps = np.exp(z)
                return exps / exps.sum(axis=-1, keepdims=True)
        """,
        "always returns float64": """
            def softmax(z):
                z = np.asarray(z, dtype=np.float64)
                exps = np.exp(z - z.max(axis=-1, keepdims=True))
                return exps / exps.sum(axis=-1, keepdims=True)
        """,
        "hands the work to PyTorch": """
            def softmax(z):
                import torch
                return torch.softmax(torch.from_numpy(np.asarray(z)), dim=-1).numpy()
        """,
    },
    "log_softmax": {
        "log of the softmax": """
            def log_softmax(z):
                return np.log(softmax(z))
        """,
        "log-sum-exp without the max shift": """
            def log_softmax(z):
                return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
        """,
        "log-sum-exp term forgotten": """
            def log_softmax(z):
                return z - z.max(axis=-1, keepdims=True)
        """,
        "maximum not added back": """
            def log_softmax(z):
                m = z.max(axis=-1, keepdims=True)
                return z - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))
        """,
        "log-sum-exp along axis 0": """
            def log_softmax(z):
                m = z.max(axis=0, keepdims=True)
                return z - m - np.log(np.sum(np.exp(z - m), axis=0, keepdims=True))
        """,
        "always returns float64": """
            def log_softmax(z):
                z = np.asarray(z, dtype=np.float64)
                shifted = z - z.max(axis=-1, keepdims=True)
                return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        """,
    },
    "one_hot": {
        "returns integers": """
            def one_hot(y, num_classes):
                return np.eye(num_classes, dtype=int)[y]
        """,
        "number of columns from the largest label": """
            def one_hot(y, num_classes):
                return np.eye(int(np.max(y)) + 1)[y]
        """,
        "transposed": """
            def one_hot(y, num_classes):
                return np.eye(num_classes)[y].T
        """,
        "whole columns set to 1": """
            def one_hot(y, num_classes):
                out = np.zeros((len(y), num_classes))
                out[:, y] = 1.0
                return out
        """,
        "returns booleans": """
            def one_hot(y, num_classes):
                return np.asarray(y)[:, None] == np.arange(num_classes)
        """,
    },
    "cross_entropy": {
        "summed instead of averaged": """
            def cross_entropy(logits, y):
                return float(-np.sum(log_softmax(logits)[np.arange(len(y)), y]))
        """,
        "logits used as probabilities": """
            def cross_entropy(logits, y):
                return float(-np.mean(np.log(logits[np.arange(len(y)), y])))
        """,
        "log of the softmax": """
            def cross_entropy(logits, y):
                return float(-np.mean(np.log(softmax(logits))[np.arange(len(y)), y]))
        """,
        "per-sample losses": """
            def cross_entropy(logits, y):
                return -log_softmax(logits)[np.arange(len(y)), y]
        """,
        "mean over all N*C entries": """
            def cross_entropy(logits, y):
                return float(-np.mean(one_hot(y, logits.shape[1]) * log_softmax(logits)))
        """,
        "sign flipped": """
            def cross_entropy(logits, y):
                return float(np.mean(log_softmax(logits)[np.arange(len(y)), y]))
        """,
    },
    "cross_entropy_grad": {
        "missing the 1/N": """
            def cross_entropy_grad(logits, y):
                return softmax(logits) - one_hot(y, logits.shape[1])
        """,
        "sign flipped": """
            def cross_entropy_grad(logits, y):
                return (one_hot(y, logits.shape[1]) - softmax(logits)) / len(y)
        """,
        "one-hot labels not subtracted": """
            def cross_entropy_grad(logits, y):
                return softmax(logits) / len(y)
        """,
        "divided by N*C": """
            def cross_entropy_grad(logits, y):
                return (softmax(logits) - one_hot(y, logits.shape[1])) / logits.size
        """,
        "inline softmax without the max shift": """
            def cross_entropy_grad(logits, y):
                exps = np.exp(logits)
                p = exps / exps.sum(axis=1, keepdims=True)
                return (p - one_hot(y, logits.shape[1])) / len(y)
        """,
        "subtracts 1 from the whole row": """
            def cross_entropy_grad(logits, y):
                return (softmax(logits) - 1.0) / len(y)
        """,
    },
    "binary_cross_entropy_with_logits": {
        "naive sigmoid then log": """
            def binary_cross_entropy_with_logits(logits, y):
                s = 1 / (1 + np.exp(-logits))
                return float(np.mean(-y * np.log(s) - (1 - y) * np.log(1 - s)))
        """,
        "log(1 + exp(-z)) without the absolute value": """
            def binary_cross_entropy_with_logits(logits, y):
                return float(np.mean(logits * (1 - y) + np.log1p(np.exp(-logits))))
        """,
        "summed instead of averaged": """
            def binary_cross_entropy_with_logits(logits, y):
                z = logits
                return float(np.sum(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))
        """,
        "labels swapped": """
            def binary_cross_entropy_with_logits(logits, y):
                z = logits
                return float(np.mean(np.maximum(z, 0) - z * (1 - y) + np.log1p(np.exp(-np.abs(z)))))
        """,
        "log1p term forgotten": """
            def binary_cross_entropy_with_logits(logits, y):
                return float(np.mean(np.maximum(logits, 0) - logits * y))
        """,
        "clipped sigmoid": """
            def binary_cross_entropy_with_logits(logits, y):
                s = np.clip(0.5 * (1 + np.tanh(0.5 * logits)), 1e-7, 1 - 1e-7)
                return float(np.mean(-y * np.log(s) - (1 - y) * np.log(1 - s)))
        """,
    },
}


CATALOGUE = Catalogue(ASSIGNMENT, WRONG)

TestGrading = grading_proof(CATALOGUE)
