"""ex07_optimizers: the catalogue of wrong answers (and other correct ones) that proves its grader;
the tests themselves are in ``grading_harness.grading_proof``."""

from grading_harness import Catalogue, grading_proof

ASSIGNMENT = "ex07_optimizers"

# The reference loop with one line changed (marked), for the early-stopping mistakes.
_LOOP = """
def train_with_early_stopping(model, train_loader, val_loader, optimizer, loss_fn, device,
                              patience=3, max_epochs=50):
    history, best_loss, best_state, epochs_without_improvement = [], float("inf"), None, 0
    for _ in {EPOCHS}:
        {TRAIN_MODE}
        train_losses = []
        for X, y in train_loader:
            X, y = X.to(device), y.to(device)
            {ZERO_GRAD}
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
            train_losses.append(loss.item())
        {EVAL_MODE}
        total, count = 0.0, 0
        with {NO_GRAD}:
            for X, y in val_loader:
                X, y = X.to(device), y.to(device)
                batch_loss = loss_fn(model(X), y).item()
                total += batch_loss * len(X)
                count += len(X)
        history.append({RECORDED})
        if history[-1] {IMPROVED} best_loss:
            best_loss, epochs_without_improvement = history[-1], 0
            best_state = {SAVED}
        else:
            epochs_without_improvement += 1
            if epochs_without_improvement {STOP} patience:
                {ON_STOP}
                break
    {RESTORE}
    return history
"""
_RIGHT = {"EPOCHS": "range(max_epochs)", "TRAIN_MODE": "model.train()", "ZERO_GRAD": "optimizer.zero_grad()",
          "EVAL_MODE": "model.eval()", "NO_GRAD": "torch.no_grad()", "RECORDED": "total / count",
          "IMPROVED": "<", "SAVED": "copy.deepcopy(model.state_dict())", "STOP": ">=", "ON_STOP": "pass",
          "RESTORE": "model.load_state_dict(best_state)"}


def loop(**changes):
    """The reference loop with the given placeholders changed."""
    text = _LOOP
    for key, value in {**_RIGHT, **changes}.items():
        text = text.replace("{" + key + "}", value)
    return text


WRONG = {
    "sgd_momentum_update": {
        "momentum with (1 - momentum) dampening": """
            def sgd_momentum_update(param, grad, velocity, lr, momentum=0.9):
                velocity = momentum * velocity + (1 - momentum) * grad
                return param - lr * velocity, velocity
        """,
        "velocity updated after the parameter": """
            def sgd_momentum_update(param, grad, velocity, lr, momentum=0.9):
                param = param - lr * velocity
                velocity = momentum * velocity + grad
                return param, velocity
        """,
        "in-place update of the caller's param": """
            def sgd_momentum_update(param, grad, velocity, lr, momentum=0.9):
                velocity = momentum * velocity + grad
                param -= lr * velocity
                return param, velocity
        """,
        "in-place update of the caller's velocity": """
            def sgd_momentum_update(param, grad, velocity, lr, momentum=0.9):
                velocity *= momentum
                velocity += grad
                return param - lr * velocity, velocity
        """,
        "learning rate inside the velocity": """
            def sgd_momentum_update(param, grad, velocity, lr, momentum=0.9):
                velocity = momentum * velocity + lr * grad
                return param - velocity, velocity
        """,
        "nesterov momentum": """
            def sgd_momentum_update(param, grad, velocity, lr, momentum=0.9):
                velocity = momentum * velocity + grad
                return param - lr * (grad + momentum * velocity), velocity
        """,
        "step goes uphill": """
            def sgd_momentum_update(param, grad, velocity, lr, momentum=0.9):
                velocity = momentum * velocity + grad
                return param + lr * velocity, velocity
        """,
        "hands the work to torch.optim": """
            def sgd_momentum_update(param, grad, velocity, lr, momentum=0.9):
                p = torch.tensor(param, requires_grad=True)
                optimizer = torch.optim.SGD([p], lr=lr, momentum=momentum)
                optimizer.state[p]["momentum_buffer"] = torch.tensor(velocity)
                p.grad = torch.tensor(grad)
                optimizer.step()
                return p.detach().numpy(), optimizer.state[p]["momentum_buffer"].numpy()
        """,
    },
    "adam_update": {
        "no bias correction": """
            def adam_update(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
                m = beta1 * m + (1 - beta1) * grad
                v = beta2 * v + (1 - beta2) * grad**2
                return param - lr * m / (np.sqrt(v) + eps), m, v
        """,
        "bias correction with t - 1": """
            def adam_update(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
                m = beta1 * m + (1 - beta1) * grad
                v = beta2 * v + (1 - beta2) * grad**2
                m_hat, v_hat = m / (1 - beta1**(t - 1)), v / (1 - beta2**(t - 1))
                return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
        """,
        "bias correction with t + 1": """
            def adam_update(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
                m = beta1 * m + (1 - beta1) * grad
                v = beta2 * v + (1 - beta2) * grad**2
                m_hat, v_hat = m / (1 - beta1**(t + 1)), v / (1 - beta2**(t + 1))
                return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
        """,
        "eps inside the square root": """
            def adam_update(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
                m = beta1 * m + (1 - beta1) * grad
                v = beta2 * v + (1 - beta2) * grad**2
                m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
                return param - lr * m_hat / np.sqrt(v_hat + eps), m, v
        """,
        "in-place update of the caller's m and v": """
            def adam_update(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
                m *= beta1
                m += (1 - beta1) * grad
                v *= beta2
                v += (1 - beta2) * grad**2
                m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
                return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
        """,
        "returns the bias-corrected averages": """
            def adam_update(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
                m = beta1 * m + (1 - beta1) * grad
                v = beta2 * v + (1 - beta2) * grad**2
                m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
                return param - lr * m_hat / (np.sqrt(v_hat) + eps), m_hat, v_hat
        """,
        "gradient weight (1 - beta1) missing from m": """
            def adam_update(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
                m = beta1 * m + grad
                v = beta2 * v + (1 - beta2) * grad**2
                m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
                return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
        """,
        "betas swapped": """
            def adam_update(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
                m = beta2 * m + (1 - beta2) * grad
                v = beta1 * v + (1 - beta1) * grad**2
                m_hat, v_hat = m / (1 - beta2**t), v / (1 - beta1**t)
                return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
        """,
        "only m bias-corrected": """
            def adam_update(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
                m = beta1 * m + (1 - beta1) * grad
                v = beta2 * v + (1 - beta2) * grad**2
                return param - lr * (m / (1 - beta1**t)) / (np.sqrt(v) + eps), m, v
        """,
    },
    "train_with_early_stopping": {
        "keeps the last weights": loop(RESTORE="pass"),
        "patience off by one": loop(STOP=">"),
        "no zero_grad": loop(ZERO_GRAD="pass"),
        "no model.eval() for validation": loop(EVAL_MODE="pass"),
        "no torch.no_grad() for validation": loop(NO_GRAD="torch.enable_grad()"),
        "returns the training losses": loop(RECORDED="sum(train_losses) / len(train_losses)"),
        "best state saved without a copy": loop(SAVED="model.state_dict()"),
        "model.train() only once, before the loop": loop(TRAIN_MODE="model.train() if _ == 0 else None"),
        "restores the best weights only when stopping early": loop(
            ON_STOP="model.load_state_dict(best_state)", RESTORE="pass"),
        "a tie counts as an improvement": loop(IMPROVED="<="),
        "ignores max_epochs": loop(EPOCHS="iter(int, 1)"),
        "validation loss of the last batch only": loop(RECORDED="batch_loss"),
        "mean of the batch losses over the training set size": loop(RECORDED="total / len(train_loader.dataset)"),
        # The reference lives in the grading process only: in the sandbox this is a NameError.
        "calls the hidden reference": """
            def train_with_early_stopping(model, train_loader, val_loader, optimizer, loss_fn, device,
                                          patience=3, max_epochs=50):
                return _grader_reference.train_with_early_stopping(model, train_loader, val_loader, optimizer,
                                                            loss_fn, device, patience, max_epochs)
        """,
    },
}


CATALOGUE = Catalogue(ASSIGNMENT, WRONG)

TestGrading = grading_proof(CATALOGUE)
