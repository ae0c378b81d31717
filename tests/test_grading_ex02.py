"""ex02_backprop: the catalogue of wrong answers (and other correct ones) that proves its grader;
the tests themselves are in ``grading_harness.grading_proof``."""

from grading_harness import Catalogue, grading_proof

ASSIGNMENT = "ex02_backprop"

WRONG = {
    "dense_forward": {
        "bias forgotten": """
            def dense_forward(X, W, b):
                return X @ W
        """,
        "bias subtracted": """
            def dense_forward(X, W, b):
                return X @ W - b
        """,
        "weights transposed": """
            def dense_forward(X, W, b):
                return X @ W.T + b
        """,
        "one sample only": """
            def dense_forward(X, W, b):
                return (X[0] @ W + b)[None, :]
        """,
        "hands the work to torch": """
            def dense_forward(X, W, b):
                import torch
                return torch.nn.functional.linear(torch.tensor(X), torch.tensor(W).T, torch.tensor(b)).numpy()
        """,
    },
    "dense_backward": {
        "db as a mean where dW is a sum": """
            def dense_backward(dZ, X, W):
                return dZ @ W.T, X.T @ dZ, dZ.mean(axis=0)
        """,
        "updates W in place before computing dX": """
            def dense_backward(dZ, X, W):
                dW = X.T @ dZ
                W -= 0.1 * dW
                return dZ @ W.T, dW, dZ.sum(axis=0)
        """,
        "computes dX with the updated weights": """
            def dense_backward(dZ, X, W):
                dW = X.T @ dZ
                W = W - dW
                return dZ @ W.T, dW, dZ.sum(axis=0)
        """,
        "dX transposed as W @ dZ.T": """
            def dense_backward(dZ, X, W):
                return W @ dZ.T, X.T @ dZ, dZ.sum(axis=0)
        """,
        "dW and db both means": """
            def dense_backward(dZ, X, W):
                n = len(X)
                return dZ @ W.T, X.T @ dZ / n, dZ.sum(axis=0) / n
        """,
        "db keeps the summed axis": """
            def dense_backward(dZ, X, W):
                return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0, keepdims=True)
        """,
        "dW transposed": """
            def dense_backward(dZ, X, W):
                return dZ @ W.T, dZ.T @ X, dZ.sum(axis=0)
        """,
        "calls the hidden reference": """
            def dense_backward(dZ, X, W):
                return _grader_reference.dense_backward(dZ, X, W)
        """,
        "hands the work to torch autograd": """
            def dense_backward(dZ, X, W):
                import torch
                Xt = torch.tensor(X, requires_grad=True)
                Wt = torch.tensor(W, requires_grad=True)
                (Xt @ Wt).backward(torch.tensor(dZ))
                return Xt.grad.numpy(), Wt.grad.numpy(), dZ.sum(axis=0)
        """,
    },
    "mse_loss": {
        "sum instead of mean": """
            def mse_loss(y_pred, y):
                return float(np.sum((y_pred - y) ** 2))
        """,
        "mean over the samples only": """
            def mse_loss(y_pred, y):
                return float(np.sum((y_pred - y) ** 2) / len(y_pred))
        """,
        "half the mean squared error": """
            def mse_loss(y_pred, y):
                return float(0.5 * np.mean((y_pred - y) ** 2))
        """,
        "mean absolute error": """
            def mse_loss(y_pred, y):
                return float(np.mean(np.abs(y_pred - y)))
        """,
        "one loss per sample": """
            def mse_loss(y_pred, y):
                return np.mean((y_pred - y) ** 2, axis=-1)
        """,
        "hands the work to torch": """
            def mse_loss(y_pred, y):
                import torch
                return torch.nn.functional.mse_loss(torch.tensor(y_pred), torch.tensor(y)).item()
        """,
    },
    "mse_grad": {
        "missing the 2": """
            def mse_grad(y_pred, y):
                return (y_pred - y) / y_pred.size
        """,
        "missing the 1/N": """
            def mse_grad(y_pred, y):
                return 2 * (y_pred - y)
        """,
        "divides by the number of samples only": """
            def mse_grad(y_pred, y):
                return 2 * (y_pred - y) / len(y_pred)
        """,
        "sign flipped": """
            def mse_grad(y_pred, y):
                return 2 * (y - y_pred) / y_pred.size
        """,
        "hands the work to torch autograd": """
            def mse_grad(y_pred, y):
                import torch
                t = torch.tensor(y_pred, requires_grad=True)
                torch.nn.functional.mse_loss(t, torch.tensor(y)).backward()
                return t.grad.numpy()
        """,
    },
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
    "two_layer_loss_and_grads": {
        "forgets the sigmoid derivative": """
            def two_layer_loss_and_grads(X, Y, params):
                W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
                H = sigmoid(X @ W1 + b1)
                Y_hat = H @ W2 + b2
                dY_hat = 2 * (Y_hat - Y) / Y_hat.size
                dZ1 = dY_hat @ W2.T
                return float(np.mean((Y_hat - Y) ** 2)), {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0),
                                                          "W2": H.T @ dY_hat, "b2": dY_hat.sum(axis=0)}
        """,
        "sigmoid derivative taken at the pre-activation": """
            def two_layer_loss_and_grads(X, Y, params):
                W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
                Z1 = X @ W1 + b1
                H = sigmoid(Z1)
                Y_hat = H @ W2 + b2
                dY_hat = 2 * (Y_hat - Y) / Y_hat.size
                dZ1 = (dY_hat @ W2.T) * Z1 * (1 - Z1)
                return float(np.mean((Y_hat - Y) ** 2)), {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0),
                                                          "W2": H.T @ dY_hat, "b2": dY_hat.sum(axis=0)}
        """,
        "mse gradient without its 2": """
            def two_layer_loss_and_grads(X, Y, params):
                W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
                H = sigmoid(X @ W1 + b1)
                Y_hat = H @ W2 + b2
                dY_hat = (Y_hat - Y) / Y_hat.size
                dZ1 = (dY_hat @ W2.T) * H * (1 - H)
                return float(np.mean((Y_hat - Y) ** 2)), {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0),
                                                          "W2": H.T @ dY_hat, "b2": dY_hat.sum(axis=0)}
        """,
        "bias gradients as means": """
            def two_layer_loss_and_grads(X, Y, params):
                W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
                H = sigmoid(X @ W1 + b1)
                Y_hat = H @ W2 + b2
                dY_hat = 2 * (Y_hat - Y) / Y_hat.size
                dZ1 = (dY_hat @ W2.T) * H * (1 - H)
                return float(np.mean((Y_hat - Y) ** 2)), {"W1": X.T @ dZ1, "b1": dZ1.mean(axis=0),
                                                          "W2": H.T @ dY_hat, "b2": dY_hat.mean(axis=0)}
        """,
        "updates W2 before backpropagating through it": """
            def two_layer_loss_and_grads(X, Y, params):
                W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
                H = sigmoid(X @ W1 + b1)
                Y_hat = H @ W2 + b2
                dY_hat = 2 * (Y_hat - Y) / Y_hat.size
                dW2 = H.T @ dY_hat
                W2 -= 0.1 * dW2
                dZ1 = (dY_hat @ W2.T) * H * (1 - H)
                return float(np.mean((Y_hat - Y) ** 2)), {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0),
                                                          "W2": dW2, "b2": dY_hat.sum(axis=0)}
        """,
        "gradient keys renamed": """
            def two_layer_loss_and_grads(X, Y, params):
                W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
                H = sigmoid(X @ W1 + b1)
                Y_hat = H @ W2 + b2
                dY_hat = 2 * (Y_hat - Y) / Y_hat.size
                dZ1 = (dY_hat @ W2.T) * H * (1 - H)
                return float(np.mean((Y_hat - Y) ** 2)), {"dW1": X.T @ dZ1, "db1": dZ1.sum(axis=0),
                                                          "dW2": H.T @ dY_hat, "db2": dY_hat.sum(axis=0)}
        """,
        "hands the work to torch autograd": """
            def two_layer_loss_and_grads(X, Y, params):
                import torch
                t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
                H = torch.sigmoid(torch.tensor(X) @ t["W1"] + t["b1"])
                loss = torch.mean((H @ t["W2"] + t["b2"] - torch.tensor(Y)) ** 2)
                loss.backward()
                return loss.item(), {k: v.grad.numpy() for k, v in t.items()}
        """,
    },
    "sgd_step": {
        "updates in place": """
            def sgd_step(params, grads, lr):
                for k in params:
                    params[k] -= lr * grads[k]
                return params
        """,
        "changes and returns the dict it was given": """
            def sgd_step(params, grads, lr):
                for k in params:
                    params[k] = params[k] - lr * grads[k]
                return params
        """,
        "copies the dict but not the arrays": """
            def sgd_step(params, grads, lr):
                new = dict(params)
                for k in new:
                    new[k] -= lr * grads[k]
                return new
        """,
        "steps uphill": """
            def sgd_step(params, grads, lr):
                return {k: params[k] + lr * grads[k] for k in params}
        """,
        "ignores the learning rate": """
            def sgd_step(params, grads, lr):
                return {k: params[k] - grads[k] for k in params}
        """,
        "only the keys of a two-layer network": """
            def sgd_step(params, grads, lr):
                return {k: params[k] - lr * grads[k] for k in ("W1", "b1", "W2", "b2")}
        """,
    },
}


CATALOGUE = Catalogue(ASSIGNMENT, WRONG)

TestGrading = grading_proof(CATALOGUE)
