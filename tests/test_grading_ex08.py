"""ex08_regularisation: the catalogue of wrong answers (and other correct ones) that proves its grader;
the tests themselves are in ``grading_harness.grading_proof``."""

from grading_harness import Catalogue, grading_proof

ASSIGNMENT = "ex08_regularisation"

# The reference's training loop with one line changed; the wrong trainers below fill in MARKED lines.
TRAINER = """
    def train_regularised_mlp(X, y, hidden=256, p=0.5, lam=0.01, epochs=300, lr=0.1, batch_size=25, seed=0):
        rng = np.random.default_rng(seed)
        n, d = X.shape
        C = int(y.max()) + 1
        params = {{"W1": {init1}, "b1": np.zeros(hidden), "W2": {init2}, "b2": np.zeros(C)}}
        for _ in range(epochs):
            order = {order}
            for start in range(0, n, batch_size):
                rows = order[start:start + batch_size]
                xb, yb = X[rows], y[rows]
                pre = xb @ params["W1"] + params["b1"]
                h, mask = {dropout}
                z = h @ params["W2"] + params["b2"]
                e = np.exp(z - z.max(axis=1, keepdims=True))
                dz = e / e.sum(axis=1, keepdims=True)
                dz[np.arange(len(rows)), yb] -= 1.0
                dz = dz / {divide}
                dpre = {backward} * (pre > 0)
                _, grads = {penalty}
                grads["W2"] = grads["W2"] + h.T @ dz
                grads["b2"] = grads["b2"] + dz.sum(axis=0)
                grads["W1"] = grads["W1"] + xb.T @ dpre
                grads["b1"] = grads["b1"] + dpre.sum(axis=0)
                params = {{k: params[k] - lr * grads[k] for k in params}}
        return params
"""
RIGHT = dict(init1="he_init(d, hidden, rng)", init2="he_init(hidden, C, rng)", order="rng.permutation(n)",
             dropout="dropout_forward(np.maximum(pre, 0.0), p, rng)", divide="len(rows)",
             backward="dropout_backward(dz @ params['W2'].T, mask, p)", penalty="l2_penalty(params, lam)")


def trainer(**changes):
    return TRAINER.format(**{**RIGHT, **changes})


WRONG = {
    "he_init": {
        "variance 1/fan_in": """
            def he_init(fan_in, fan_out, rng):
                return rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)
        """,
        "standard deviation 2/fan_in": """
            def he_init(fan_in, fan_out, rng):
                return rng.normal(0.0, 2.0 / fan_in, size=(fan_in, fan_out))
        """,
        "PyTorch's layout (fan_out, fan_in)": """
            def he_init(fan_in, fan_out, rng):
                return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_out, fan_in))
        """,
        "draws from np.random's global generator": """
            def he_init(fan_in, fan_out, rng):
                return np.random.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
        """,
        "makes a generator of its own": """
            def he_init(fan_in, fan_out, rng):
                return np.random.default_rng(0).normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
        """,
        "uniform with the right variance": """
            def he_init(fan_in, fan_out, rng):
                limit = np.sqrt(6.0 / fan_in)
                return rng.uniform(-limit, limit, size=(fan_in, fan_out))
        """,
    },
    "dropout_forward": {
        "kept entries not scaled": """
            def dropout_forward(X, p, rng, training=True):
                if not training:
                    return X, None
                mask = rng.random(X.shape) >= p
                return X * mask, mask
        """,
        "p taken as the keep probability": """
            def dropout_forward(X, p, rng, training=True):
                if not training:
                    return X, None
                mask = rng.random(X.shape) < p
                return X * mask / p, mask
        """,
        "drops in evaluation mode too": """
            def dropout_forward(X, p, rng, training=True):
                mask = rng.random(X.shape) >= p
                return X * mask / (1 - p), (mask if training else None)
        """,
        "draws from np.random's global generator": """
            def dropout_forward(X, p, rng, training=True):
                if not training:
                    return X, None
                mask = np.random.rand(*X.shape) >= p
                return X * mask / (1 - p), mask
        """,
        "mask True where dropped": """
            def dropout_forward(X, p, rng, training=True):
                if not training:
                    return X, None
                dropped = rng.random(X.shape) < p
                return np.where(dropped, 0.0, X / (1 - p)), dropped
        """,
        "changes X in place": """
            def dropout_forward(X, p, rng, training=True):
                if not training:
                    return X, None
                mask = rng.random(X.shape) >= p
                X *= mask / (1 - p)
                return X, mask
        """,
    },
    "dropout_backward": {
        "gradient not scaled": """
            def dropout_backward(d_out, mask, p):
                return d_out * mask
        """,
        "gradient multiplied by 1 - p": """
            def dropout_backward(d_out, mask, p):
                return d_out * mask * (1 - p)
        """,
        "mask ignored": """
            def dropout_backward(d_out, mask, p):
                return d_out / (1 - p)
        """,
        "divided by p": """
            def dropout_backward(d_out, mask, p):
                return d_out * mask / p
        """,
        "inverted mask": """
            def dropout_backward(d_out, mask, p):
                return d_out * ~mask / (1 - p)
        """,
        "always returns float64": """
            def dropout_backward(d_out, mask, p):
                return np.asarray(d_out, dtype=np.float64) * mask / (1 - p)
        """,
    },
    "l2_penalty": {
        "biases penalised": """
            def l2_penalty(params, lam):
                penalty = lam / 2 * sum(np.sum(v ** 2) for v in params.values())
                return penalty, {k: lam * v for k, v in params.items()}
        """,
        "no 1/2 in the penalty": """
            def l2_penalty(params, lam):
                weights = [k for k in params if k.startswith("W")]
                penalty = lam * sum(np.sum(params[k] ** 2) for k in weights)
                return penalty, {k: lam * v if k in weights else np.zeros_like(v) for k, v in params.items()}
        """,
        "gradient lam * W / 2": """
            def l2_penalty(params, lam):
                weights = [k for k in params if k.startswith("W")]
                penalty = lam / 2 * sum(np.sum(params[k] ** 2) for k in weights)
                return penalty, {k: lam * v / 2 if k in weights else np.zeros_like(v) for k, v in params.items()}
        """,
        "gradients of the weights only": """
            def l2_penalty(params, lam):
                weights = [k for k in params if k.startswith("W")]
                penalty = lam / 2 * sum(np.sum(params[k] ** 2) for k in weights)
                return penalty, {k: lam * params[k] for k in weights}
        """,
        "mean instead of sum of the squares": """
            def l2_penalty(params, lam):
                weights = [k for k in params if k.startswith("W")]
                penalty = lam / 2 * sum(np.mean(params[k] ** 2) for k in weights)
                return penalty, {k: lam * v if k in weights else np.zeros_like(v) for k, v in params.items()}
        """,
        "grads written into the caller's dict": """
            def l2_penalty(params, lam):
                grads, penalty = params, 0.0
                for k in list(grads):
                    if k.startswith("W"):
                        penalty += lam / 2 * np.sum(params[k] ** 2)
                        grads[k] = lam * params[k]
                    else:
                        grads[k] = np.zeros_like(params[k])
                return penalty, grads
        """,
    },
    "batchnorm_forward": {
        "unbiased variance for the batch": """
            def batchnorm_forward(X, gamma, beta, running_mean, running_var, training=True, momentum=0.1, eps=1e-5):
                if training:
                    mean, var = X.mean(axis=0), X.var(axis=0, ddof=1)
                    running_mean = (1 - momentum) * running_mean + momentum * mean
                    running_var = (1 - momentum) * running_var + momentum * var
                else:
                    mean, var = running_mean, running_var
                return gamma * (X - mean) / np.sqrt(var + eps) + beta, running_mean, running_var
        """,
        "biased variance for the running variance": """
            def batchnorm_forward(X, gamma, beta, running_mean, running_var, training=True, momentum=0.1, eps=1e-5):
                if training:
                    mean, var = X.mean(axis=0), X.var(axis=0)
                    running_mean = (1 - momentum) * running_mean + momentum * mean
                    running_var = (1 - momentum) * running_var + momentum * var
                else:
                    mean, var = running_mean, running_var
                return gamma * (X - mean) / np.sqrt(var + eps) + beta, running_mean, running_var
        """,
        "momentum the other way round (Keras')": """
            def batchnorm_forward(X, gamma, beta, running_mean, running_var, training=True, momentum=0.1, eps=1e-5):
                if training:
                    mean, var = X.mean(axis=0), X.var(axis=0)
                    running_mean = momentum * running_mean + (1 - momentum) * mean
                    running_var = momentum * running_var + (1 - momentum) * X.var(axis=0, ddof=1)
                else:
                    mean, var = running_mean, running_var
                return gamma * (X - mean) / np.sqrt(var + eps) + beta, running_mean, running_var
        """,
        "running statistics not updated": """
            def batchnorm_forward(X, gamma, beta, running_mean, running_var, training=True, momentum=0.1, eps=1e-5):
                if training:
                    mean, var = X.mean(axis=0), X.var(axis=0)
                else:
                    mean, var = running_mean, running_var
                return gamma * (X - mean) / np.sqrt(var + eps) + beta, running_mean, running_var
        """,
        "batch statistics in evaluation mode": """
            def batchnorm_forward(X, gamma, beta, running_mean, running_var, training=True, momentum=0.1, eps=1e-5):
                mean, var = X.mean(axis=0), X.var(axis=0)
                if training:
                    n = len(X)
                    running_mean = (1 - momentum) * running_mean + momentum * mean
                    running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
                return gamma * (X - mean) / np.sqrt(var + eps) + beta, running_mean, running_var
        """,
        "running statistics updated in place": """
            def batchnorm_forward(X, gamma, beta, running_mean, running_var, training=True, momentum=0.1, eps=1e-5):
                if training:
                    n = len(X)
                    mean, var = X.mean(axis=0), X.var(axis=0)
                    running_mean *= 1 - momentum
                    running_mean += momentum * mean
                    running_var *= 1 - momentum
                    running_var += momentum * var * n / (n - 1)
                else:
                    mean, var = running_mean, running_var
                return gamma * (X - mean) / np.sqrt(var + eps) + beta, running_mean, running_var
        """,
    },
    "train_regularised_mlp": {
        "L2 gradients left out of the update": trainer(penalty="None, {k: np.zeros_like(v) for k, v in params.items()}"),
        "always regularised: p and lam fixed": trainer(dropout="dropout_forward(np.maximum(pre, 0.0), 0.5, rng)",
                                                      backward="dropout_backward(dz @ params['W2'].T, mask, 0.5)",
                                                      penalty="l2_penalty(params, 0.01)"),
        "ReLU's derivative left out of the backward pass": trainer(
            backward="dropout_backward(dz @ params['W2'].T, mask, p) + 0 * pre"),
        "gradient of the sum over the batch, not the mean": trainer(divide="1.0"),
        "shuffles with np.random's global generator": trainer(order="np.random.permutation(n)"),
    },
}

ALTERNATIVES = {
    "he_init": """
        def he_init(fan_in, fan_out, rng):
            return rng.normal(0.0, np.sqrt(2 / fan_in), size=(fan_in, fan_out))
    """,
    "dropout_forward": """
        def dropout_forward(X, p, rng, training=True):
            if not training:
                return X, None
            mask = rng.binomial(1, 1 - p, size=np.shape(X)).astype(bool)
            return np.where(mask, X / (1 - p), 0), mask
    """,
    "dropout_backward": """
        def dropout_backward(d_out, mask, p):
            return np.where(mask, d_out / (1 - p), 0)
    """,
    "l2_penalty": """
        def l2_penalty(params, lam):
            penalty, grads = 0.0, {}
            for name, value in params.items():
                if name[0] == "W":
                    penalty += lam / 2 * float((value * value).sum())
                    grads[name] = lam * value
                else:
                    grads[name] = 0 * value
            return penalty, grads
    """,
    "batchnorm_forward": """
        def batchnorm_forward(X, gamma, beta, running_mean, running_var, training=True, momentum=0.1, eps=1e-5):
            if training:
                n = len(X)
                mu = X.sum(axis=0) / n
                squares = ((X - mu) ** 2).sum(axis=0)
                sigma2 = squares / n
                running_mean = running_mean + momentum * (mu - running_mean)
                running_var = running_var + momentum * (squares / (n - 1) - running_var)
            else:
                mu, sigma2 = running_mean, running_var
            scale = gamma / np.sqrt(sigma2 + eps)
            return X * scale + (beta - mu * scale), running_mean, running_var
    """,
    "train_regularised_mlp": """
        def train_regularised_mlp(X, y, hidden=256, p=0.5, lam=0.01, epochs=300, lr=0.1, batch_size=25, seed=0):
            rng = np.random.default_rng(seed)
            C = int(np.max(y)) + 1
            params = {"W1": he_init(X.shape[1], hidden, rng), "b1": np.zeros(hidden)}
            params["W2"], params["b2"] = he_init(hidden, C, rng), np.zeros(C)
            params = {k: v.astype(np.float32) for k, v in params.items()}   # all in float32
            index = np.arange(len(X))
            for epoch in range(epochs):
                rng.shuffle(index)
                for batch in np.array_split(index, int(np.ceil(len(X) / batch_size))):
                    xb, yb = X[batch], y[batch]
                    h = np.maximum(xb @ params["W1"] + params["b1"], 0)
                    hd, keep = dropout_forward(h, p, rng)
                    z = hd @ params["W2"] + params["b2"]
                    log_p = z - np.logaddexp.reduce(z, axis=1, keepdims=True)
                    dz = (np.exp(log_p) - np.eye(C, dtype=np.float32)[yb]) / len(yb)
                    dh = dropout_backward(dz @ params["W2"].T, keep, p)
                    dh[h <= 0] = 0
                    penalty_grads = l2_penalty(params, lam)[1]
                    data = {"W1": xb.T @ dh, "b1": dh.sum(0), "W2": hd.T @ dz, "b2": dz.sum(0)}
                    params = {k: params[k] - lr * (data[k] + penalty_grads[k]) for k in params}
            return params
    """,
}


CATALOGUE = Catalogue(ASSIGNMENT, WRONG, ALTERNATIVES)

TestGrading = grading_proof(CATALOGUE)
