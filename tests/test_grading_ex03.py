"""ex03_activations: the catalogue of wrong answers (and other correct ones) that proves its grader;
the tests themselves are in ``grading_harness.grading_proof``."""

from grading_harness import Catalogue, grading_proof

ASSIGNMENT = "ex03_activations"

WRONG = {
    "silu": {
        "exp(-z) overflows for large negative inputs": """
            def silu(z):
                return z / (1 + np.exp(-z))
        """,
        "the sigmoid alone": """
            def silu(z):
                return sigmoid(z)
        """,
        "z times the sigmoid of -z": """
            def silu(z):
                return z * sigmoid(-z)
        """,
        "float32 turned into float64": """
            def silu(z):
                return np.asarray(z, dtype=float) * sigmoid(z)
        """,
        "changes z in place": """
            def silu(z):
                z *= sigmoid(z)
                return z
        """,
        "hands the work to torch": """
            def silu(z):
                import torch
                return torch.nn.functional.silu(torch.from_numpy(np.asarray(z))).numpy()
        """,
    },
    "silu_grad": {
        "half the product rule: the sigmoid alone": """
            def silu_grad(z):
                return sigmoid(z)
        """,
        "half the product rule: z times the sigmoid's derivative": """
            def silu_grad(z):
                s = sigmoid(z)
                return z * s * (1 - s)
        """,
        "the sigmoid's derivative taken as the sigmoid": """
            def silu_grad(z):
                s = sigmoid(z)
                return s * (1 + z)
        """,
        "exp form that overflows": """
            def silu_grad(z):
                e = np.exp(-z)
                return (1 + e + z * e) / (1 + e) ** 2
        """,
        "float64 ones turn float32 into float64": """
            def silu_grad(z):
                s = sigmoid(z)
                return np.ones(np.shape(z)) * s + z * s * (1 - s)
        """,
        "hands the work to torch autograd": """
            def silu_grad(z):
                import torch
                t = torch.tensor(z, requires_grad=True)
                torch.nn.functional.silu(t).sum().backward()
                return t.grad.numpy()
        """,
    },
    "activation_backward": {
        "the z-formulas applied to the output A": """
            def activation_backward(dA, A, name):
                slopes = {"sigmoid": lambda a: sigmoid(a) * (1 - sigmoid(a)), "tanh": lambda a: 1 - np.tanh(a) ** 2,
                          "relu": lambda a: a > 0, "elu": lambda a: np.where(a > 0, 1, np.exp(np.minimum(a, 0))),
                          "softplus": sigmoid}
                if name not in slopes:
                    raise ValueError(name)
                return dA * slopes[name](A)
        """,
        "relu's derivative 1 at A = 0": """
            def activation_backward(dA, A, name):
                slopes = {"sigmoid": lambda a: a * (1 - a), "tanh": lambda a: 1 - a * a,
                          "relu": lambda a: a >= 0, "elu": lambda a: np.where(a > 0, 1, a + 1),
                          "softplus": lambda a: -np.expm1(-a)}
                if name not in slopes:
                    raise ValueError(name)
                return dA * slopes[name](A)
        """,
        "elu's derivative exp(A) instead of A + 1": """
            def activation_backward(dA, A, name):
                slopes = {"sigmoid": lambda a: a * (1 - a), "tanh": lambda a: 1 - a * a,
                          "relu": lambda a: a > 0, "elu": lambda a: np.where(a > 0, 1, np.exp(np.minimum(a, 0))),
                          "softplus": lambda a: -np.expm1(-a)}
                if name not in slopes:
                    raise ValueError(name)
                return dA * slopes[name](A)
        """,
        "softplus inverted with log(expm1(A)), which overflows": """
            def activation_backward(dA, A, name):
                slopes = {"sigmoid": lambda a: a * (1 - a), "tanh": lambda a: 1 - a * a,
                          "relu": lambda a: a > 0, "elu": lambda a: np.where(a > 0, 1, a + 1),
                          "softplus": lambda a: sigmoid(np.log(np.expm1(a)))}
                if name not in slopes:
                    raise ValueError(name)
                return dA * slopes[name](A)
        """,
        "relu's derivative from np.where(A > 0, 1.0, 0.0) is float64": """
            def activation_backward(dA, A, name):
                slopes = {"sigmoid": lambda a: a * (1 - a), "tanh": lambda a: 1 - a * a,
                          "relu": lambda a: np.where(a > 0, 1.0, 0.0), "elu": lambda a: np.where(a > 0, 1, a + 1),
                          "softplus": lambda a: -np.expm1(-a)}
                if name not in slopes:
                    raise ValueError(name)
                return dA * slopes[name](A)
        """,
        "the derivative without dA": """
            def activation_backward(dA, A, name):
                slopes = {"sigmoid": lambda a: a * (1 - a), "tanh": lambda a: 1 - a * a,
                          "relu": lambda a: (a > 0).astype(a.dtype), "elu": lambda a: np.where(a > 0, 1, a + 1),
                          "softplus": lambda a: -np.expm1(-a)}
                if name not in slopes:
                    raise ValueError(name)
                return slopes[name](A)
        """,
        "a KeyError for an unknown name": """
            def activation_backward(dA, A, name):
                slopes = {"sigmoid": lambda a: a * (1 - a), "tanh": lambda a: 1 - a * a,
                          "relu": lambda a: a > 0, "elu": lambda a: np.where(a > 0, 1, a + 1),
                          "softplus": lambda a: -np.expm1(-a)}
                return dA * slopes[name](A)
        """,
    },
    "layer_gradient_norms": {
        "the activation also on the output layer": """
            def layer_gradient_norms(X, Y, layers, activation):
                forward = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[activation]
                outputs = [X]
                for W, b in layers:
                    outputs.append(forward(outputs[-1] @ W + b))
                dA = 2 * (outputs[-1] - Y) / Y.size
                norms = []
                for index in reversed(range(len(layers))):
                    dZ = activation_backward(dA, outputs[index + 1], activation)
                    norms.append(np.linalg.norm(outputs[index].T @ dZ))
                    dA = dZ @ layers[index][0].T
                return np.array(norms[::-1])
        """,
        "the norms in reverse order": """
            def layer_gradient_norms(X, Y, layers, activation):
                forward = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[activation]
                outputs = [X]
                for W, b in layers[:-1]:
                    outputs.append(forward(outputs[-1] @ W + b))
                dZ = 2 * (outputs[-1] @ layers[-1][0] + layers[-1][1] - Y) / Y.size
                norms = []
                for index in reversed(range(len(layers))):
                    norms.append(np.linalg.norm(outputs[index].T @ dZ))
                    if index:
                        dZ = activation_backward(dZ @ layers[index][0].T, outputs[index], activation)
                return np.array(norms)
        """,
        "the loss gradient without the factor 2": """
            def layer_gradient_norms(X, Y, layers, activation):
                forward = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[activation]
                outputs = [X]
                for W, b in layers[:-1]:
                    outputs.append(forward(outputs[-1] @ W + b))
                dZ = (outputs[-1] @ layers[-1][0] + layers[-1][1] - Y) / Y.size
                norms = []
                for index in reversed(range(len(layers))):
                    norms.append(np.linalg.norm(outputs[index].T @ dZ))
                    if index:
                        dZ = activation_backward(dZ @ layers[index][0].T, outputs[index], activation)
                return np.array(norms[::-1])
        """,
        "no activation derivative in the backward pass": """
            def layer_gradient_norms(X, Y, layers, activation):
                forward = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[activation]
                outputs = [X]
                for W, b in layers[:-1]:
                    outputs.append(forward(outputs[-1] @ W + b))
                dZ = 2 * (outputs[-1] @ layers[-1][0] + layers[-1][1] - Y) / Y.size
                norms = []
                for index in reversed(range(len(layers))):
                    norms.append(np.linalg.norm(outputs[index].T @ dZ))
                    dZ = dZ @ layers[index][0].T
                return np.array(norms[::-1])
        """,
        "hands the work to torch autograd": """
            def layer_gradient_norms(X, Y, layers, activation):
                import torch
                forward = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[activation]
                weights = [torch.tensor(W, requires_grad=True) for W, _ in layers]
                out = torch.tensor(X)
                for index, (W, (_, b)) in enumerate(zip(weights, layers)):
                    out = out @ W + torch.tensor(b)
                    if index < len(layers) - 1:
                        out = forward(out)
                ((out - torch.tensor(Y)) ** 2).mean().backward()
                return np.array([W.grad.norm().item() for W in weights])
        """,
    },
}

ALTERNATIVES = {
    # Both branches of the sigmoid written out, without calling it.
    "silu": """
        def silu(z):
            e = np.exp(-np.abs(z))
            return np.where(z >= 0, z / (1 + e), z * e / (1 + e))
    """,
    # The product rule written with exp(-|z|) on each side of 0.
    "silu_grad": """
        def silu_grad(z):
            e = np.exp(-np.abs(z))
            s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
            return s + z * s * (1 - s)
    """,
    # A table of slopes; softplus's 1 - exp(-A), less accurate than expm1 for tiny A, is accepted.
    "activation_backward": """
        def activation_backward(dA, A, name):
            if name == "relu":
                return np.where(A > 0, dA, 0)
            if name == "elu":
                return np.where(A > 0, dA, dA * (A + 1))
            slopes = {"sigmoid": lambda a: a - a * a, "tanh": lambda a: (1 - a) * (1 + a),
                      "softplus": lambda a: 1 - np.exp(-a)}
            if name not in slopes:
                raise ValueError(f"no such activation: {name}")
            return dA * slopes[name](A)
    """,
    # The weight gradients kept, then measured as the square root of their sum of squares.
    "layer_gradient_norms": """
        def layer_gradient_norms(X, Y, layers, activation):
            if activation == "sigmoid":
                forward = sigmoid
            elif activation == "tanh":
                forward = np.tanh
            else:
                forward = lambda z: np.where(z > 0, z, 0.0)
            inputs, H = [], X
            for depth, (W, b) in enumerate(layers):
                inputs.append(H)
                Z = H @ W + b
                H = Z if depth == len(layers) - 1 else forward(Z)
            grad = (H - Y) * (2.0 / Y.size)
            grads_W = []
            for depth in range(len(layers) - 1, -1, -1):
                grads_W.insert(0, inputs[depth].T @ grad)
                if depth > 0:
                    grad = activation_backward(grad @ layers[depth][0].T, inputs[depth], activation)
            return np.array([np.sqrt(np.sum(g ** 2)) for g in grads_W])
    """,
}

CATALOGUE = Catalogue(ASSIGNMENT, WRONG, ALTERNATIVES)

TestGrading = grading_proof(CATALOGUE)
