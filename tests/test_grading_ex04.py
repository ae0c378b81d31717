"""ex04_softmax: the catalogue of wrong answers (and other correct ones) that proves its grader;
the tests themselves are in ``grading_harness.grading_proof``."""

from grading_harness import Catalogue, grading_proof

ASSIGNMENT = "ex04_softmax"

WRONG = {
    "logsumexp": {
        "no shift by the maximum": """
            def logsumexp(z, axis=-1, keepdims=False):
                return np.log(np.sum(np.exp(z), axis=axis, keepdims=keepdims))
        """,
        "nan for a slice of only -inf": """
            def logsumexp(z, axis=-1, keepdims=False):
                m = np.max(z, axis=axis, keepdims=True)
                out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
                return out if keepdims else np.squeeze(out, axis=axis)
        """,
        "keepdims ignored": """
            def logsumexp(z, axis=-1, keepdims=False):
                m = np.max(z, axis=axis, keepdims=True)
                m = np.where(np.isfinite(m), m, 0)
                with np.errstate(divide="ignore"):
                    return m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
        """,
        "always returns float64": """
            def logsumexp(z, axis=-1, keepdims=False):
                z = np.asarray(z, dtype=np.float64)
                m = np.max(z, axis=axis, keepdims=True)
                m = np.where(np.isfinite(m), m, 0.0)
                with np.errstate(divide="ignore"):
                    out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
                return out if keepdims else np.squeeze(out, axis=axis)
        """,
    },
    "softmax": {
        "temperature multiplies the logits": """
            def softmax(z, axis=-1, temperature=1.0):
                s = np.asarray(z) * temperature
                e = np.exp(s - np.max(s, axis=axis, keepdims=True))
                return e / np.sum(e, axis=axis, keepdims=True)
        """,
        "always along the last axis": """
            def softmax(z, axis=-1, temperature=1.0):
                s = np.asarray(z) / temperature
                e = np.exp(s - s.max(axis=-1, keepdims=True))
                return e / e.sum(axis=-1, keepdims=True)
        """,
        "shifted by the global maximum": """
            def softmax(z, axis=-1, temperature=1.0):
                s = np.asarray(z) / temperature
                e = np.exp(s - np.max(s))
                return e / np.sum(e, axis=axis, keepdims=True)
        """,
        "divides by the sum of all entries": """
            def softmax(z, axis=-1, temperature=1.0):
                s = np.asarray(z) / temperature
                e = np.exp(s - np.max(s, axis=axis, keepdims=True))
                return e / np.sum(e)
        """,
        "always returns float64": """
            def softmax(z, axis=-1, temperature=1.0):
                s = np.asarray(z, dtype=np.float64) / temperature
                e = np.exp(s - np.max(s, axis=axis, keepdims=True))
                return e / np.sum(e, axis=axis, keepdims=True)
        """,
        "scales and shifts the caller's array in place": """
            def softmax(z, axis=-1, temperature=1.0):
                z /= temperature
                z -= np.max(z, axis=axis, keepdims=True)
                e = np.exp(z)
                return e / np.sum(e, axis=axis, keepdims=True)
        """,
    },
    "log_softmax": {
        "log of the softmax": """
            def log_softmax(z, axis=-1, temperature=1.0):
                s = np.asarray(z) / temperature
                e = np.exp(s - np.max(s, axis=axis, keepdims=True))
                return np.log(e / np.sum(e, axis=axis, keepdims=True))
        """,
        "temperature only inside the log-sum-exp": """
            def log_softmax(z, axis=-1, temperature=1.0):
                return z - logsumexp(np.asarray(z) / temperature, axis=axis, keepdims=True)
        """,
        "log-sum-exp without keepdims": """
            def log_softmax(z, axis=-1, temperature=1.0):
                s = np.asarray(z) / temperature
                return s - logsumexp(s, axis=axis)
        """,
        "always along the last axis": """
            def log_softmax(z, axis=-1, temperature=1.0):
                s = np.asarray(z) / temperature
                return s - logsumexp(s, axis=-1, keepdims=True)
        """,
    },
    "cross_entropy": {
        "smoothing spread over the other classes": """
            def cross_entropy(logits, y, label_smoothing=0.0, class_weights=None):
                n, c = logits.shape
                w = np.ones(c) if class_weights is None else np.asarray(class_weights)
                t = np.full((n, c), label_smoothing / (c - 1))
                t[np.arange(n), y] = 1.0 - label_smoothing
                return float(-np.sum(w * t * log_softmax(logits, axis=1)) / w[y].sum())
        """,
        "weighted sum divided by N": """
            def cross_entropy(logits, y, label_smoothing=0.0, class_weights=None):
                n, c = logits.shape
                w = np.ones(c) if class_weights is None else np.asarray(class_weights)
                t = np.full((n, c), label_smoothing / c)
                t[np.arange(n), y] += 1.0 - label_smoothing
                return float(-np.sum(w * t * log_softmax(logits, axis=1)) / n)
        """,
        "each sample weighted by its label's class": """
            def cross_entropy(logits, y, label_smoothing=0.0, class_weights=None):
                n, c = logits.shape
                w = np.ones(c) if class_weights is None else np.asarray(class_weights)
                t = np.full((n, c), label_smoothing / c)
                t[np.arange(n), y] += 1.0 - label_smoothing
                per_sample = -np.sum(t * log_softmax(logits, axis=1), axis=1)
                return float(np.sum(w[y] * per_sample) / w[y].sum())
        """,
        "log of the softmax": """
            def cross_entropy(logits, y, label_smoothing=0.0, class_weights=None):
                n, c = logits.shape
                w = np.ones(c) if class_weights is None else np.asarray(class_weights)
                t = np.full((n, c), label_smoothing / c)
                t[np.arange(n), y] += 1.0 - label_smoothing
                return float(-np.sum(w * t * np.log(softmax(logits, axis=1))) / w[y].sum())
        """,
    },
    "cross_entropy_grad": {
        "class weights left out": """
            def cross_entropy_grad(logits, y, label_smoothing=0.0, class_weights=None):
                n, c = logits.shape
                t = np.full((n, c), label_smoothing / c)
                t[np.arange(n), y] += 1.0 - label_smoothing
                return (softmax(logits, axis=1) - t) / n
        """,
        "each row scaled by its label's weight": """
            def cross_entropy_grad(logits, y, label_smoothing=0.0, class_weights=None):
                n, c = logits.shape
                w = np.ones(c) if class_weights is None else np.asarray(class_weights)
                t = np.full((n, c), label_smoothing / c)
                t[np.arange(n), y] += 1.0 - label_smoothing
                return w[y][:, None] * (softmax(logits, axis=1) - t) / w[y].sum()
        """,
        "weights multiply the columns": """
            def cross_entropy_grad(logits, y, label_smoothing=0.0, class_weights=None):
                n, c = logits.shape
                w = np.ones(c) if class_weights is None else np.asarray(class_weights)
                t = np.full((n, c), label_smoothing / c)
                t[np.arange(n), y] += 1.0 - label_smoothing
                return w * (softmax(logits, axis=1) - t) / w[y].sum()
        """,
        "divided by N": """
            def cross_entropy_grad(logits, y, label_smoothing=0.0, class_weights=None):
                n, c = logits.shape
                w = np.ones(c) if class_weights is None else np.asarray(class_weights)
                t = np.full((n, c), label_smoothing / c)
                t[np.arange(n), y] += 1.0 - label_smoothing
                a = w * t
                return (a.sum(axis=1, keepdims=True) * softmax(logits, axis=1) - a) / n
        """,
        "label smoothing ignored": """
            def cross_entropy_grad(logits, y, label_smoothing=0.0, class_weights=None):
                n, c = logits.shape
                w = np.ones(c) if class_weights is None else np.asarray(class_weights)
                a = w * np.eye(c)[y]
                return (a.sum(axis=1, keepdims=True) * softmax(logits, axis=1) - a) / w[y].sum()
        """,
        "sign flipped": """
            def cross_entropy_grad(logits, y, label_smoothing=0.0, class_weights=None):
                n, c = logits.shape
                w = np.ones(c) if class_weights is None else np.asarray(class_weights)
                t = np.full((n, c), label_smoothing / c)
                t[np.arange(n), y] += 1.0 - label_smoothing
                a = w * t
                return (a - a.sum(axis=1, keepdims=True) * softmax(logits, axis=1)) / w[y].sum()
        """,
    },
    "bce_with_logits_and_grad": {
        "sigmoid then log, as written": """
            def bce_with_logits_and_grad(logits, y, pos_weight=1.0):
                s = 1 / (1 + np.exp(-logits))
                loss = np.mean(-pos_weight * y * np.log(s) - (1 - y) * np.log(1 - s))
                return float(loss), ((1 + (pos_weight - 1) * y) * s - pos_weight * y) / logits.size
        """,
        "pos_weight on the negative term": """
            def bce_with_logits_and_grad(logits, y, pos_weight=1.0):
                z = np.asarray(logits)
                neg_log_sig = np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))
                loss = np.mean(pos_weight * (1 - y) * (z + neg_log_sig) + y * neg_log_sig)
                e = np.exp(-np.abs(z))
                s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
                return float(loss), (pos_weight * (1 - y) * s - y * (1 - s)) / z.size
        """,
        "pos_weight left out of the gradient": """
            def bce_with_logits_and_grad(logits, y, pos_weight=1.0):
                z = np.asarray(logits)
                neg_log_sig = np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))
                loss = np.mean((1 - y) * z + (1 + (pos_weight - 1) * y) * neg_log_sig)
                e = np.exp(-np.abs(z))
                s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
                return float(loss), (s - y) / z.size
        """,
        "pos_weight times the whole gradient": """
            def bce_with_logits_and_grad(logits, y, pos_weight=1.0):
                z = np.asarray(logits)
                neg_log_sig = np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))
                loss = np.mean((1 - y) * z + (1 + (pos_weight - 1) * y) * neg_log_sig)
                e = np.exp(-np.abs(z))
                s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
                return float(loss), pos_weight * (s - y) / z.size
        """,
        "gradient without the 1/n": """
            def bce_with_logits_and_grad(logits, y, pos_weight=1.0):
                z = np.asarray(logits)
                neg_log_sig = np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))
                scale = 1 + (pos_weight - 1) * y
                e = np.exp(-np.abs(z))
                s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
                return float(np.mean((1 - y) * z + scale * neg_log_sig)), scale * s - pos_weight * y
        """,
        "sigmoid of the gradient overflows": """
            def bce_with_logits_and_grad(logits, y, pos_weight=1.0):
                z = np.asarray(logits)
                neg_log_sig = np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))
                scale = 1 + (pos_weight - 1) * y
                s = 1 / (1 + np.exp(-z))
                return float(np.mean((1 - y) * z + scale * neg_log_sig)), (scale * s - pos_weight * y) / z.size
        """,
        "loss summed instead of averaged": """
            def bce_with_logits_and_grad(logits, y, pos_weight=1.0):
                z = np.asarray(logits)
                neg_log_sig = np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))
                scale = 1 + (pos_weight - 1) * y
                e = np.exp(-np.abs(z))
                s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
                return float(np.sum((1 - y) * z + scale * neg_log_sig)), (scale * s - pos_weight * y) / z.size
        """,
    },
    "top_k_accuracy": {
        "the k smallest logits": """
            def top_k_accuracy(logits, y, k=1):
                top = np.argsort(logits, axis=1)[:, :k]
                return float(np.mean(np.any(top == np.asarray(y)[:, None], axis=1)))
        """,
        "ties counted against the sample": """
            def top_k_accuracy(logits, y, k=1):
                own = logits[np.arange(len(y)), y][:, None]
                return float(np.mean(np.sum(logits >= own, axis=1) <= k))
        """,
        "ties broken by position": """
            def top_k_accuracy(logits, y, k=1):
                top = np.argsort(-logits, axis=1)[:, :k]
                return float(np.mean(np.any(top == np.asarray(y)[:, None], axis=1)))
        """,
        "one class too many": """
            def top_k_accuracy(logits, y, k=1):
                own = logits[np.arange(len(y)), y][:, None]
                return float(np.mean(np.sum(logits > own, axis=1) <= k))
        """,
        "the number of hits": """
            def top_k_accuracy(logits, y, k=1):
                own = logits[np.arange(len(y)), y][:, None]
                return float(np.sum(np.sum(logits > own, axis=1) < k))
        """,
    },
    "fit_softmax_regression": {
        "gradient ascent": """
            def fit_softmax_regression(X, y, num_classes, lr=0.5, steps=200, class_weights=None):
                if isinstance(class_weights, str):
                    class_weights = len(y) / (num_classes * np.bincount(y, minlength=num_classes))
                W, b, losses = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes), []
                for _ in range(steps):
                    logits = X @ W + b
                    losses.append(cross_entropy(logits, y, class_weights=class_weights))
                    g = cross_entropy_grad(logits, y, class_weights=class_weights)
                    W, b = W + lr * X.T @ g, b + lr * g.sum(axis=0)
                return W, b, losses
        """,
        "the weights' gradient divided by N again": """
            def fit_softmax_regression(X, y, num_classes, lr=0.5, steps=200, class_weights=None):
                if isinstance(class_weights, str):
                    class_weights = len(y) / (num_classes * np.bincount(y, minlength=num_classes))
                W, b, losses = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes), []
                for _ in range(steps):
                    logits = X @ W + b
                    losses.append(cross_entropy(logits, y, class_weights=class_weights))
                    g = cross_entropy_grad(logits, y, class_weights=class_weights)
                    W, b = W - lr * X.T @ g / len(X), b - lr * g.mean(axis=0)
                return W, b, losses
        """,
        "class weights never reach the loss": """
            def fit_softmax_regression(X, y, num_classes, lr=0.5, steps=200, class_weights=None):
                W, b, losses = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes), []
                for _ in range(steps):
                    logits = X @ W + b
                    losses.append(cross_entropy(logits, y))
                    g = cross_entropy_grad(logits, y)
                    W, b = W - lr * X.T @ g, b - lr * g.sum(axis=0)
                return W, b, losses
        """,
        "losses recorded after each step": """
            def fit_softmax_regression(X, y, num_classes, lr=0.5, steps=200, class_weights=None):
                if isinstance(class_weights, str):
                    class_weights = len(y) / (num_classes * np.bincount(y, minlength=num_classes))
                W, b, losses = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes), []
                for _ in range(steps):
                    g = cross_entropy_grad(X @ W + b, y, class_weights=class_weights)
                    W, b = W - lr * X.T @ g, b - lr * g.sum(axis=0)
                    losses.append(cross_entropy(X @ W + b, y, class_weights=class_weights))
                return W, b, losses
        """,
    },
}

# Other correct answers, written differently from the reference: each must earn full marks.
ALTERNATIVES = {
    "logsumexp": """
        def logsumexp(z, axis=-1, keepdims=False):
            z = np.asarray(z)
            peak = np.max(z, axis=axis, keepdims=True)
            safe = np.where(np.isneginf(peak), np.zeros_like(peak), peak)
            total = np.sum(np.exp(z - safe), axis=axis, keepdims=True)
            out = safe + np.log(total, out=np.full_like(total, -np.inf), where=total > 0)
            return out if keepdims else np.squeeze(out, axis=axis)
    """,
    "softmax": """
        def softmax(z, axis=-1, temperature=1.0):
            z = np.asarray(z)
            e = np.exp((z - z.max(axis=axis, keepdims=True)) / temperature)
            return e / e.sum(axis=axis, keepdims=True)
    """,
    "log_softmax": """
        def log_softmax(z, axis=-1, temperature=1.0):
            s = np.asarray(z) / temperature
            shifted = s - np.max(s, axis=axis, keepdims=True)
            return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    """,
    "cross_entropy": """
        def cross_entropy(logits, y, label_smoothing=0.0, class_weights=None):
            z = np.asarray(logits, dtype=np.float64)
            c = z.shape[1]
            w = np.ones(c) if class_weights is None else np.asarray(class_weights)
            t = (1 - label_smoothing) * np.eye(c)[y] + label_smoothing / c
            return float(np.sum(w * t * (logsumexp(z, axis=1, keepdims=True) - z)) / np.sum(w[y]))
    """,
    "cross_entropy_grad": """
        def cross_entropy_grad(logits, y, label_smoothing=0.0, class_weights=None):
            c = np.shape(logits)[1]
            w = np.ones(c) if class_weights is None else np.asarray(class_weights)
            a = w * ((1 - label_smoothing) * np.eye(c)[y] + label_smoothing / c)
            return (softmax(logits, axis=1) * a.sum(axis=1)[:, None] - a) / np.sum(w[y])
    """,
    "bce_with_logits_and_grad": """
        def bce_with_logits_and_grad(logits, y, pos_weight=1.0):
            z = np.asarray(logits)
            per_entry = (1 - y) * np.logaddexp(0, z) + pos_weight * y * np.logaddexp(0, -z)
            sig = 0.5 * (1 + np.tanh(0.5 * z))
            grad = (1 - y) * sig - pos_weight * y * (1 - sig)
            return float(np.mean(per_entry)), grad / z.size
    """,
    "top_k_accuracy": """
        def top_k_accuracy(logits, y, k=1):
            logits = np.asarray(logits)
            kth = -np.sort(-logits, axis=1)[:, min(k, logits.shape[1]) - 1]
            own = np.take_along_axis(logits, np.asarray(y)[:, None], axis=1)[:, 0]
            return float(np.mean(own >= kth))
    """,
    "fit_softmax_regression": """
        def fit_softmax_regression(X, y, num_classes, lr=0.5, steps=200, class_weights=None):
            if isinstance(class_weights, str):
                counts = np.array([np.sum(y == k) for k in range(num_classes)])
                class_weights = len(y) / (num_classes * counts)
            params = {"W": np.zeros((np.shape(X)[1], num_classes)), "b": np.zeros(num_classes)}
            losses = []
            for step in range(steps):
                logits = X @ params["W"] + params["b"]
                losses.append(cross_entropy(logits, y, 0.0, class_weights))
                dz = cross_entropy_grad(logits, y, 0.0, class_weights)
                params = {"W": params["W"] - lr * (X.T @ dz), "b": params["b"] - lr * np.sum(dz, axis=0)}
            return params["W"], params["b"], losses
    """,
}

CATALOGUE = Catalogue(ASSIGNMENT, WRONG, ALTERNATIVES,
                      independent=frozenset({"log_softmax", "cross_entropy", "cross_entropy_grad"}))

TestGrading = grading_proof(CATALOGUE)
