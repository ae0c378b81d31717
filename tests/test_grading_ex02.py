"""ex02_backprop: the catalogue of wrong answers (and other correct ones) that proves its grader;
the tests themselves are in ``grading_harness.grading_proof``."""

from grading_harness import Catalogue, grading_proof

ASSIGNMENT = "ex02_backprop"

# The reference's forward and backward pass, for the wrong answers that change one thing in them.
_FORWARD = """
    def mlp_forward(X, params, activation):
        phi = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[activation]
        A, cache = X, []
        for layer, (W, b) in enumerate(params):
            Z = A @ W + b
            cache.append((A, Z))
            A = phi(Z) if layer < len(params) - 1 else Z
        return A, cache
"""

_BACKWARD = """
    def mlp_backward(dY_hat, params, cache, activation):
        grads = []
        dZ = dY_hat
        for layer in reversed(range(len(params))):
            A_in = cache[layer][0]
            grads.insert(0, (A_in.T @ dZ, dZ.sum(axis=0)))
            if layer > 0:
                if activation == "sigmoid":
                    slope = A_in * (1.0 - A_in)
                elif activation == "tanh":
                    slope = 1.0 - A_in * A_in
                else:
                    slope = (A_in > 0).astype(A_in.dtype)
                dZ = (dZ @ params[layer][0].T) * slope
        return grads
"""

_TRAIN = """
    def train_mlp(X, Y, params, activation, lr, epochs, batch_size, seed):
        rng = np.random.default_rng(seed)
        losses = []
        for _ in range(epochs):
            order = rng.permutation(len(X))
            for start in range(0, len(X), batch_size):
                batch = order[start:start + batch_size]
                _, grads = mlp_loss_and_grads(X[batch], Y[batch], params, activation)
                params = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]
            losses.append(mlp_loss_and_grads(X, Y, params, activation)[0])
        return params, losses
"""


def _changed(source: str, old: str, new: str) -> str:
    assert old in source, old
    return source.replace(old, new)


WRONG = {
    "numerical_gradient": {
        "forward difference": """
            def numerical_gradient(f, x, eps=1e-5):
                grad = np.zeros(x.shape)
                base = f(x)
                for index in np.ndindex(x.shape):
                    old = x[index]
                    x[index] = old + eps
                    grad[index] = (f(x) - base) / eps
                    x[index] = old
                return grad
        """,
        "leaves x modified": """
            def numerical_gradient(f, x, eps=1e-5):
                grad = np.zeros(x.shape)
                for index in np.ndindex(x.shape):
                    x[index] += eps
                    f_plus = f(x)
                    x[index] -= 2 * eps
                    f_minus = f(x)
                    grad[index] = (f_plus - f_minus) / (2 * eps)
                return grad
        """,
        "divides by eps instead of 2 eps": """
            def numerical_gradient(f, x, eps=1e-5):
                grad = np.zeros(x.shape)
                for index in np.ndindex(x.shape):
                    old = x[index]
                    x[index] = old + eps
                    f_plus = f(x)
                    x[index] = old - eps
                    f_minus = f(x)
                    x[index] = old
                    grad[index] = (f_plus - f_minus) / eps
                return grad
        """,
        "ignores the eps argument": """
            def numerical_gradient(f, x, eps=1e-5):
                grad = np.zeros(x.shape)
                h = 1e-5
                for index in np.ndindex(x.shape):
                    old = x[index]
                    x[index] = old + h
                    f_plus = f(x)
                    x[index] = old - h
                    f_minus = f(x)
                    x[index] = old
                    grad[index] = (f_plus - f_minus) / (2 * h)
                return grad
        """,
        "perturbs a copy, so a closure over x sees nothing": """
            def numerical_gradient(f, x, eps=1e-5):
                grad = np.zeros(x.shape)
                for index in np.ndindex(x.shape):
                    x_plus, x_minus = x.copy(), x.copy()
                    x_plus[index] += eps
                    x_minus[index] -= eps
                    grad[index] = (f(x_plus) - f(x_minus)) / (2 * eps)
                return grad
        """,
        "only works on 1-D arrays": """
            def numerical_gradient(f, x, eps=1e-5):
                grad = np.zeros(x.shape)
                for i in range(x.size):
                    old = x[i]
                    x[i] = old + eps
                    f_plus = f(x)
                    x[i] = old - eps
                    f_minus = f(x)
                    x[i] = old
                    grad[i] = (f_plus - f_minus) / (2 * eps)
                return grad
        """,
        "restores x by adding eps back": """
            def numerical_gradient(f, x, eps=1e-5):
                grad = np.zeros(x.shape)
                for index in np.ndindex(x.shape):
                    x[index] += eps
                    f_plus = f(x)
                    x[index] -= 2 * eps
                    f_minus = f(x)
                    x[index] += eps
                    grad[index] = (f_plus - f_minus) / (2 * eps)
                return grad
        """,
    },
    "mlp_forward": {
        "the activation after the last layer too": _changed(
            _FORWARD, "A = phi(Z) if layer < len(params) - 1 else Z", "A = phi(Z)"),
        "no activation between the layers": _changed(
            _FORWARD, "A = phi(Z) if layer < len(params) - 1 else Z", "A = Z"),
        "always tanh, whatever the activation asked": _changed(
            _FORWARD, '{"sigmoid": sigmoid, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[activation]',
            "np.tanh"),
        "the cache holds each layer's output, not its input": """
            def mlp_forward(X, params, activation):
                phi = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[activation]
                A, cache = X, []
                for layer, (W, b) in enumerate(params):
                    Z = A @ W + b
                    A = phi(Z) if layer < len(params) - 1 else Z
                    cache.append((A, Z))
                return A, cache
        """,
        "two layers hard-coded": """
            def mlp_forward(X, params, activation):
                phi = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[activation]
                (W1, b1), (W2, b2) = params[0], params[-1]
                Z1 = X @ W1 + b1
                H = phi(Z1)
                Z2 = H @ W2 + b2
                return Z2, [(X, Z1), (H, Z2)]
        """,
        "relu as np.max, which reduces the array": _changed(
            _FORWARD, "lambda z: np.maximum(z, 0)", "lambda z: np.max(z, 0)"),
        "hands the work to torch": """
            def mlp_forward(X, params, activation):
                import torch
                A, cache = torch.tensor(X), []
                for layer, (W, b) in enumerate(params):
                    Z = A @ torch.tensor(W) + torch.tensor(b)
                    cache.append((A.numpy(), Z.numpy()))
                    A = getattr(torch, activation)(Z) if layer < len(params) - 1 else Z
                return A.numpy(), cache
        """,
    },
    "mlp_backward": {
        "forgets the activation's derivative": _changed(
            _BACKWARD, "dZ = (dZ @ params[layer][0].T) * slope", "dZ = dZ @ params[layer][0].T"),
        "sigmoid's derivative written with Z instead of sigmoid(Z)": _changed(
            _BACKWARD, "slope = A_in * (1.0 - A_in)", "Z = cache[layer - 1][1]\n                    slope = Z * (1.0 - Z)"),
        "tanh's derivative taken as 1 - tanh(z)": _changed(
            _BACKWARD, "slope = 1.0 - A_in * A_in", "slope = 1.0 - A_in"),
        "the sigmoid's derivative for every activation": _changed(
            _BACKWARD, 'if activation == "sigmoid":', "if True:"),
        "the gradients in reverse order, last layer first": _changed(
            _BACKWARD, "grads.insert(0, (A_in.T @ dZ, dZ.sum(axis=0)))", "grads.append((A_in.T @ dZ, dZ.sum(axis=0)))"),
        "db as a mean over the batch": _changed(_BACKWARD, "dZ.sum(axis=0)", "dZ.mean(axis=0)"),
        "backpropagates through the weights of the layer below": _changed(
            _BACKWARD, "dZ = (dZ @ params[layer][0].T) * slope", "dZ = (dZ @ params[layer - 1][0]) * slope"),
        "calls the hidden reference": """
            def mlp_backward(dY_hat, params, cache, activation):
                return _grader_mlp_backward(dY_hat, params, cache, activation)
        """,
    },
    "mlp_loss_and_grads": {
        "the 2 of the square's derivative forgotten": """
            def mlp_loss_and_grads(X, Y, params, activation):
                Y_hat, cache = mlp_forward(X, params, activation)
                return float(np.mean((Y_hat - Y) ** 2)), mlp_backward((Y_hat - Y) / Y.size, params, cache, activation)
        """,
        "dL/dY_hat divided by the number of samples only": """
            def mlp_loss_and_grads(X, Y, params, activation):
                Y_hat, cache = mlp_forward(X, params, activation)
                return float(np.mean((Y_hat - Y) ** 2)), mlp_backward(2 * (Y_hat - Y) / len(Y), params, cache, activation)
        """,
        "the gradient's sign flipped": """
            def mlp_loss_and_grads(X, Y, params, activation):
                Y_hat, cache = mlp_forward(X, params, activation)
                return float(np.mean((Y_hat - Y) ** 2)), mlp_backward(2 * (Y - Y_hat) / Y.size, params, cache, activation)
        """,
        "the loss as a sum": """
            def mlp_loss_and_grads(X, Y, params, activation):
                Y_hat, cache = mlp_forward(X, params, activation)
                return float(np.sum((Y_hat - Y) ** 2)), mlp_backward(2 * (Y_hat - Y) / Y.size, params, cache, activation)
        """,
        "hands the backward pass the residual itself": """
            def mlp_loss_and_grads(X, Y, params, activation):
                Y_hat, cache = mlp_forward(X, params, activation)
                return float(np.mean((Y_hat - Y) ** 2)), mlp_backward(Y_hat - Y, params, cache, activation)
        """,
    },
    "train_mlp": {
        "steps uphill": _changed(_TRAIN, "(W - lr * dW, b - lr * db)", "(W + lr * dW, b + lr * db)"),
        "ignores the learning rate": _changed(_TRAIN, "(W - lr * dW, b - lr * db)", "(W - dW, b - db)"),
        "one batch per epoch": _changed(
            _TRAIN, "for start in range(0, len(X), batch_size):", "for start in [0]:"),
        "updates the given arrays in place": _changed(
            _TRAIN, "params = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]",
            "for (W, b), (dW, db) in zip(params, grads):\n"
            "                    W -= lr * dW\n"
            "                    b -= lr * db"),
        "returns the parameters it was given": _changed(
            _TRAIN, "return params, losses", "return first, losses").replace(
            "rng = np.random.default_rng(seed)", "rng = np.random.default_rng(seed)\n        first = params"),
        "records each loss before its epoch": """
            def train_mlp(X, Y, params, activation, lr, epochs, batch_size, seed):
                rng = np.random.default_rng(seed)
                losses = []
                for _ in range(epochs):
                    losses.append(mlp_loss_and_grads(X, Y, params, activation)[0])
                    order = rng.permutation(len(X))
                    for start in range(0, len(X), batch_size):
                        batch = order[start:start + batch_size]
                        _, grads = mlp_loss_and_grads(X[batch], Y[batch], params, activation)
                        params = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]
                return params, losses
        """,
        "trains only the last layer": _changed(
            _TRAIN, "params = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]",
            "params = params[:-1] + [(params[-1][0] - lr * grads[-1][0], params[-1][1] - lr * grads[-1][1])]"),
        "divides the batch's gradient by its size again": _changed(
            _TRAIN, "(W - lr * dW, b - lr * db)", "(W - lr * dW / len(batch), b - lr * db / len(batch))"),
    },
}

ALTERNATIVES = {
    "numerical_gradient": """
        def numerical_gradient(f, x, eps=1e-5):
            grad = np.empty(x.shape, dtype=float)
            for flat in range(x.size):
                index = np.unravel_index(flat, x.shape)
                saved = x[index].copy()
                x[index] = saved + eps
                up = float(f(x))
                x[index] = saved - eps
                down = float(f(x))
                x[index] = saved
                grad[index] = (up - down) / (2.0 * eps)
            return grad
    """,
    "mlp_forward": """
        def relu(z):
            return np.where(z > 0, z, np.zeros_like(z))


        def mlp_forward(X, params, activation):
            cache = []
            out = X
            for W, b in params:
                if cache:  # every layer after the first starts with the activation of the one before
                    previous = cache[-1][1]
                    out = sigmoid(previous) if activation == "sigmoid" else (
                        np.tanh(previous) if activation == "tanh" else relu(previous))
                cache.append((out, out @ W + b))
            return cache[-1][1], cache
    """,
    "mlp_backward": """
        def mlp_backward(dY_hat, params, cache, activation):
            result = []
            upstream = dY_hat
            for (W, b), (A_in, Z), below in zip(params[::-1], cache[::-1], [*cache[-2::-1], None]):
                result.append((A_in.T @ upstream, upstream.sum(axis=0)))
                if below is not None:
                    Z_below = below[1]
                    if activation == "sigmoid":
                        s = sigmoid(Z_below)
                        derivative = s * (1 - s)
                    elif activation == "tanh":
                        derivative = 1 / np.cosh(Z_below) ** 2
                    else:
                        derivative = np.heaviside(Z_below, 0.0)
                    upstream = upstream @ W.T * derivative
            return result[::-1]
    """,
    "mlp_loss_and_grads": """
        def mlp_loss_and_grads(X, Y, params, activation):
            # all in one, without the two helpers: also right
            phi = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[activation]
            inputs, A = [], X
            for W, b in params[:-1]:
                inputs.append(A)
                A = phi(A @ W + b)
            inputs.append(A)
            Y_hat = A @ params[-1][0] + params[-1][1]
            loss = ((Y_hat - Y) ** 2).mean()
            dZ = (Y_hat - Y) * (2 / Y.size)
            grads = [None] * len(params)
            for layer in range(len(params) - 1, -1, -1):
                grads[layer] = (inputs[layer].T @ dZ, dZ.sum(axis=0))
                if layer:
                    A_in = inputs[layer]
                    d = {"sigmoid": A_in * (1 - A_in), "tanh": 1 - A_in ** 2, "relu": (A_in > 0) * 1.0}[activation]
                    dZ = dZ @ params[layer][0].T * d
            return loss, grads
    """,
    "train_mlp": """
        def train_mlp(X, Y, params, activation, lr, epochs, batch_size, seed):
            generator = np.random.default_rng(seed)
            indices = np.arange(len(X))
            history = []
            current = [(W.copy(), b.copy()) for W, b in params]
            for epoch in range(epochs):
                generator.shuffle(indices)
                for first in range(0, len(indices), batch_size):
                    rows = indices[first:first + batch_size]
                    _, grads = mlp_loss_and_grads(X[rows], Y[rows], current, activation)
                    current = [(W - lr * gW, b - lr * gb) for (W, b), (gW, gb) in zip(current, grads)]
                Y_hat, _ = mlp_forward(X, current, activation)
                history.append(np.mean((Y_hat - Y) ** 2))
            return current, history
    """,
}


CATALOGUE = Catalogue(ASSIGNMENT, WRONG, ALTERNATIVES, independent=frozenset({"mlp_loss_and_grads"}))

TestGrading = grading_proof(CATALOGUE)
