"""ex03_activations: the catalogue of wrong answers (and other correct ones) that proves its grader;
the tests themselves are in ``grading_harness.grading_proof``."""

from grading_harness import Catalogue, grading_proof

ASSIGNMENT = "ex03_activations"

WRONG = {
    "sigmoid": {
        "overflows for large negative inputs": """
            def sigmoid(z):
                return 1 / (1 + np.exp(-z))
        """,
        "overflows for large positive inputs": """
            def sigmoid(z):
                return np.exp(z) / (1 + np.exp(z))
        """,
        "both branches of np.where evaluated with exp(-z)": """
            def sigmoid(z):
                return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))
        """,
        "sign flipped": """
            def sigmoid(z):
                e = np.exp(-np.abs(z))
                return np.where(z >= 0, e / (1 + e), 1 / (1 + e))
        """,
        "float32 turned into float64": """
            def sigmoid(z):
                z = np.asarray(z, dtype=float)
                e = np.exp(-np.abs(z))
                return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
        """,
        "hands the work to torch": """
            def sigmoid(z):
                import torch
                return torch.sigmoid(torch.from_numpy(np.asarray(z))).numpy()
        """,
    },
    "sigmoid_grad": {
        "sigmoid times one minus z": """
            def sigmoid_grad(z):
                return sigmoid(z) * (1 - z)
        """,
        "the sigmoid itself": """
            def sigmoid_grad(z):
                return sigmoid(z)
        """,
        "tanh's derivative formula": """
            def sigmoid_grad(z):
                return 1 - sigmoid(z) ** 2
        """,
        "exp form that overflows": """
            def sigmoid_grad(z):
                return np.exp(-z) / (1 + np.exp(-z)) ** 2
        """,
        "hands the work to torch autograd": """
            def sigmoid_grad(z):
                import torch
                t = torch.tensor(z, requires_grad=True)
                torch.sigmoid(t).sum().backward()
                return t.grad.numpy()
        """,
    },
    "tanh_grad": {
        "missing square": """
            def tanh_grad(z):
                return 1 - np.tanh(z)
        """,
        "squares z instead of tanh z": """
            def tanh_grad(z):
                return 1 - z ** 2
        """,
        "one over cosh squared overflows": """
            def tanh_grad(z):
                return 1 / np.cosh(z) ** 2
        """,
        "tanh squared": """
            def tanh_grad(z):
                return np.tanh(z) ** 2
        """,
        "hands the work to torch autograd": """
            def tanh_grad(z):
                import torch
                t = torch.tensor(z, requires_grad=True)
                torch.tanh(t).sum().backward()
                return t.grad.numpy()
        """,
    },
    "relu": {
        "absolute value": """
            def relu(z):
                return np.abs(z)
        """,
        "clipped at one": """
            def relu(z):
                return np.clip(z, 0, 1)
        """,
        "changes z in place": """
            def relu(z):
                z[z < 0] = 0
                return z
        """,
        "float32 turned into float64": """
            def relu(z):
                return np.maximum(z, 0).astype(float)
        """,
        "hands the work to torch": """
            def relu(z):
                import torch
                return torch.relu(torch.from_numpy(np.asarray(z))).numpy()
        """,
    },
    "relu_grad": {
        "relu_grad(0) is 1": """
            def relu_grad(z):
                return (z >= 0).astype(z.dtype)
        """,
        "booleans instead of numbers": """
            def relu_grad(z):
                return z > 0
        """,
        "relu itself": """
            def relu_grad(z):
                return np.maximum(z, 0)
        """,
        "float32 turned into float64": """
            def relu_grad(z):
                return np.where(z > 0, 1.0, 0.0)
        """,
        "hands the work to torch autograd": """
            def relu_grad(z):
                import torch
                t = torch.tensor(z, requires_grad=True)
                torch.relu(t).sum().backward()
                return t.grad.numpy()
        """,
    },
    "leaky_relu": {
        "ignores alpha": """
            def leaky_relu(z, alpha=0.01):
                return np.where(z > 0, z, 0.01 * z)
        """,
        "plain relu": """
            def leaky_relu(z, alpha=0.01):
                return np.maximum(z, 0)
        """,
        "max of z and alpha": """
            def leaky_relu(z, alpha=0.01):
                return np.maximum(z, alpha)
        """,
        "alpha applied to both sides": """
            def leaky_relu(z, alpha=0.01):
                return alpha * z
        """,
        "hands the work to torch": """
            def leaky_relu(z, alpha=0.01):
                import torch
                return torch.nn.functional.leaky_relu(torch.from_numpy(np.asarray(z)), alpha).numpy()
        """,
    },
    "leaky_relu_grad": {
        "returns 0 for negatives": """
            def leaky_relu_grad(z, alpha=0.01):
                return (z > 0).astype(z.dtype)
        """,
        "returns 1 at zero": """
            def leaky_relu_grad(z, alpha=0.01):
                return np.where(z >= 0, 1.0, alpha).astype(z.dtype)
        """,
        "ignores alpha": """
            def leaky_relu_grad(z, alpha=0.01):
                return np.where(z > 0, 1.0, 0.01).astype(z.dtype)
        """,
        "alpha times z for negatives": """
            def leaky_relu_grad(z, alpha=0.01):
                return np.where(z > 0, 1.0, alpha * z).astype(z.dtype)
        """,
        "hands the work to torch autograd": """
            def leaky_relu_grad(z, alpha=0.01):
                import torch
                t = torch.tensor(z, requires_grad=True)
                torch.nn.functional.leaky_relu(t, alpha).sum().backward()
                return t.grad.numpy()
        """,
    },
    "softplus": {
        "log of one plus exp overflows": """
            def softplus(z):
                return np.log(1 + np.exp(z))
        """,
        "log1p of exp overflows": """
            def softplus(z):
                return np.log1p(np.exp(z))
        """,
        "relu instead of softplus": """
            def softplus(z):
                return np.maximum(z, 0)
        """,
        "sign flipped": """
            def softplus(z):
                return np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))
        """,
        "float32 turned into float64": """
            def softplus(z):
                return np.logaddexp(0.0, np.asarray(z, dtype=np.float64))
        """,
        "hands the work to torch": """
            def softplus(z):
                import torch
                return torch.nn.functional.softplus(torch.from_numpy(np.asarray(z))).numpy()
        """,
    },
}


CATALOGUE = Catalogue(ASSIGNMENT, WRONG)

TestGrading = grading_proof(CATALOGUE)
