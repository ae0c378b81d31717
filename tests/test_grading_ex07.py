"""ex07_optimizers: the catalogue of wrong answers (and other correct ones) that proves its grader;
the tests themselves are in ``grading_harness.grading_proof``."""

from grading_harness import Catalogue, grading_proof

ASSIGNMENT = "ex07_optimizers"

# The reference AdamW with one piece changed (marked), for the adamw_step mistakes.
_ADAMW = """
def adamw_step(params, grads, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    beta1, beta2 = betas
    if state is None:
        state = {"t": 0, "m": {}, "v": {}}
    t = {T}
    new_params, new_m, new_v = {}, {}, {}
    for name, theta in params.items():
        g = {GRAD}
        zeros = {ZEROS}
        m_old, v_old = {OLD}
        m = beta1 * m_old + (1 - beta1) * g
        v = beta2 * v_old + (1 - beta2) * g * g
        {IN_PLACE}
        adam = (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        new_params[name] = {UPDATE}
        new_m[name], new_v[name] = {KEPT}
    return new_params, {"t": {T_KEPT}, "m": new_m, "v": new_v}
"""
_ADAMW_RIGHT = {"T": 'state["t"] + 1', "GRAD": "grads[name]", "ZEROS": "np.zeros_like(theta)",
                "OLD": 'state["m"].get(name, zeros), state["v"].get(name, zeros)', "IN_PLACE": "pass",
                "UPDATE": "theta * (1 - lr * weight_decay) - lr * adam", "KEPT": "m, v", "T_KEPT": "t"}


def adamw(**changes):
    """The reference AdamW with the given placeholders changed."""
    text = _ADAMW
    for key, value in {**_ADAMW_RIGHT, **changes}.items():
        text = text.replace("{" + key + "}", value)
    return text


# The reference training loop with one piece changed (marked), for the train_with_adamw mistakes.
_LOOP = """
def train_with_adamw(model, X, y, epochs, batch_size, lr, weight_decay=1e-2, max_norm=1.0, seed=0):
    inputs, labels = {INPUTS}
    named = dict(model.named_parameters())
    rng = np.random.default_rng(seed)
    state, losses = None, []
    for epoch in range(epochs):
        {RNG}
        order = rng.permutation(len(X))
        for start in range({BATCH_STARTS}):
            rows = torch.as_tensor(order[start:start + batch_size])
            {CLEAR}
            loss = F.cross_entropy(model(inputs[rows]), labels[rows])
            loss.backward()
            values = {k: p.detach().numpy() for k, p in named.items()}
            raw = {k: p.grad.numpy() for k, p in named.items()}
            grads, _ = clip_grads_by_norm(raw, {MAX_NORM})
            new_values, new_state = adamw_step(values, {GRADS}, state, lr, weight_decay={DECAY})
            state = {STATE}
            with torch.no_grad():
                for k, parameter in named.items():
                    {WRITE}
            losses.append({LOSS})
    return losses
"""
_LOOP_RIGHT = {"INPUTS": "torch.as_tensor(X), torch.as_tensor(y)", "RNG": "pass",
               "BATCH_STARTS": "0, len(X), batch_size", "CLEAR": "model.zero_grad()", "MAX_NORM": "max_norm",
               "GRADS": "grads", "DECAY": "weight_decay", "STATE": "new_state",
               "WRITE": "parameter.copy_(torch.as_tensor(new_values[k]))", "LOSS": "loss.item()"}


def loop(**changes):
    """The reference loop with the given placeholders changed."""
    text = _LOOP
    for key, value in {**_LOOP_RIGHT, **changes}.items():
        text = text.replace("{" + key + "}", value)
    return text


WRONG = {
    "nesterov_update": {
        "classical momentum, no look-ahead": """
            def nesterov_update(param, grad, velocity, lr, momentum=0.9):
                velocity = momentum * velocity + grad
                return param - lr * velocity, velocity
        """,
        "look-ahead with the old buffer": """
            def nesterov_update(param, grad, velocity, lr, momentum=0.9):
                new_velocity = momentum * velocity + grad
                return param - lr * (grad + momentum * velocity), new_velocity
        """,
        "dampened buffer": """
            def nesterov_update(param, grad, velocity, lr, momentum=0.9):
                velocity = momentum * velocity + (1 - momentum) * grad
                return param - lr * (grad + momentum * velocity), velocity
        """,
        "returns the look-ahead step as the velocity": """
            def nesterov_update(param, grad, velocity, lr, momentum=0.9):
                step = grad + momentum * (momentum * velocity + grad)
                return param - lr * step, step
        """,
        "in-place update of the caller's velocity": """
            def nesterov_update(param, grad, velocity, lr, momentum=0.9):
                velocity *= momentum
                velocity += grad
                return param - lr * (grad + momentum * velocity), velocity
        """,
        "float32 turned into float64": """
            def nesterov_update(param, grad, velocity, lr, momentum=0.9):
                param, grad, velocity = (np.asarray(a, dtype=np.float64) for a in (param, grad, velocity))
                velocity = momentum * velocity + grad
                return param - lr * (grad + momentum * velocity), velocity
        """,
        "hands the work to torch.optim": """
            def nesterov_update(param, grad, velocity, lr, momentum=0.9):
                p = torch.tensor(param, requires_grad=True)
                optimizer = torch.optim.SGD([p], lr=lr, momentum=momentum, nesterov=True)
                optimizer.state[p]["momentum_buffer"] = torch.tensor(velocity)
                p.grad = torch.tensor(grad)
                optimizer.step()
                return p.detach().numpy(), optimizer.state[p]["momentum_buffer"].numpy()
        """,
    },
    "clip_grads_by_norm": {
        "each gradient clipped to its own norm": """
            def clip_grads_by_norm(grads, max_norm, norm_type=2.0):
                clipped = {}
                for name, g in grads.items():
                    own = float(np.max(np.abs(g))) if norm_type == np.inf else float(np.sum(np.abs(g) ** norm_type) ** (1 / norm_type))
                    clipped[name] = g * min(1.0, max_norm / (own + 1e-6))
                entries = np.concatenate([np.abs(g).ravel() for g in grads.values()])
                total = float(entries.max()) if norm_type == np.inf else float(np.sum(entries ** norm_type) ** (1 / norm_type))
                return clipped, total
        """,
        "clipping by value": """
            def clip_grads_by_norm(grads, max_norm, norm_type=2.0):
                entries = np.concatenate([np.abs(g).ravel() for g in grads.values()])
                total = float(entries.max()) if norm_type == np.inf else float(np.sum(entries ** norm_type) ** (1 / norm_type))
                return {name: np.clip(g, -max_norm, max_norm) for name, g in grads.items()}, total
        """,
        "small gradients scaled up": """
            def clip_grads_by_norm(grads, max_norm, norm_type=2.0):
                entries = np.concatenate([np.abs(g).ravel() for g in grads.values()])
                total = float(entries.max()) if norm_type == np.inf else float(np.sum(entries ** norm_type) ** (1 / norm_type))
                return {name: g * (max_norm / (total + 1e-6)) for name, g in grads.items()}, total
        """,
        "always the Euclidean norm": """
            def clip_grads_by_norm(grads, max_norm, norm_type=2.0):
                total = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
                return {name: g * min(1.0, max_norm / (total + 1e-6)) for name, g in grads.items()}, total
        """,
        "the general p-norm formula used for inf": """
            def clip_grads_by_norm(grads, max_norm, norm_type=2.0):
                total = float(sum(np.sum(np.abs(g) ** norm_type) for g in grads.values()) ** (1 / norm_type))
                return {name: g * min(1.0, max_norm / (total + 1e-6)) for name, g in grads.items()}, total
        """,
        "returns the norm after clipping": """
            def clip_grads_by_norm(grads, max_norm, norm_type=2.0):
                entries = np.concatenate([np.abs(g).ravel() for g in grads.values()])
                total = float(entries.max()) if norm_type == np.inf else float(np.sum(entries ** norm_type) ** (1 / norm_type))
                factor = min(1.0, max_norm / (total + 1e-6))
                return {name: g * factor for name, g in grads.items()}, total * factor
        """,
        "in-place scaling of the caller's gradients": """
            def clip_grads_by_norm(grads, max_norm, norm_type=2.0):
                entries = np.concatenate([np.abs(g).ravel() for g in grads.values()])
                total = float(entries.max()) if norm_type == np.inf else float(np.sum(entries ** norm_type) ** (1 / norm_type))
                for g in grads.values():
                    g *= min(1.0, max_norm / (total + 1e-6))
                return dict(grads), total
        """,
    },
    "adamw_step": {
        "Adam with an L2 term in the gradient": adamw(GRAD="grads[name] + weight_decay * theta",
                                                      UPDATE="theta - lr * adam"),
        "decay applied after the Adam step": adamw(UPDATE="(theta - lr * adam) * (1 - lr * weight_decay)"),
        "step count starts at 0": adamw(T='state["t"]', T_KEPT="t + 1"),
        "averages restart every step": adamw(OLD="zeros, zeros"),
        "bias-corrected averages kept in the state": adamw(KEPT="m / (1 - beta1**t), v / (1 - beta2**t)"),
        "in-place update of the state's arrays": adamw(
            OLD='state["m"].setdefault(name, zeros), state["v"].setdefault(name, 0 * zeros)',
            IN_PLACE="m_old *= 0; m_old += m; v_old *= 0; v_old += v; m, v = m_old, v_old"),
        "float64 zeros for float32 parameters": adamw(ZEROS="np.zeros(theta.shape)"),
        "hands the work to torch.optim.AdamW": """
            def adamw_step(params, grads, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
                tensors = {k: torch.tensor(p, requires_grad=True) for k, p in params.items()}
                optimizer = torch.optim.AdamW(tensors.values(), lr=lr, betas=betas, eps=eps,
                                              weight_decay=weight_decay)
                if state is not None:
                    for k, p in tensors.items():
                        optimizer.state[p] = {"step": torch.tensor(float(state["t"])),
                                              "exp_avg": torch.tensor(state["m"][k]),
                                              "exp_avg_sq": torch.tensor(state["v"][k])}
                for k, p in tensors.items():
                    p.grad = torch.tensor(grads[k])
                optimizer.step()
                t = 1 if state is None else state["t"] + 1
                return ({k: p.detach().numpy() for k, p in tensors.items()},
                        {"t": t, "m": {k: optimizer.state[p]["exp_avg"].numpy() for k, p in tensors.items()},
                         "v": {k: optimizer.state[p]["exp_avg_sq"].numpy() for k, p in tensors.items()}})
        """,
    },
    "train_with_adamw": {
        "torch's clipping and AdamW instead of one's own": """
            def train_with_adamw(model, X, y, epochs, batch_size, lr, weight_decay=1e-2, max_norm=1.0, seed=0):
                inputs, labels = torch.as_tensor(X), torch.as_tensor(y)
                optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
                rng = np.random.default_rng(seed)
                losses = []
                for epoch in range(epochs):
                    order = rng.permutation(len(X))
                    for start in range(0, len(X), batch_size):
                        rows = torch.as_tensor(order[start:start + batch_size])
                        optimizer.zero_grad()
                        loss = F.cross_entropy(model(inputs[rows]), labels[rows])
                        loss.backward()
                        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
                        optimizer.step()
                        losses.append(loss.item())
                return losses
        """,
        "gradients never cleared": loop(CLEAR="pass"),
        "the same order every epoch": loop(RNG="rng = np.random.default_rng(seed)"),
        "the last, smaller batch dropped": loop(BATCH_STARTS="0, len(X) - batch_size + 1, batch_size"),
        "state never passed back": loop(STATE="None"),
        "new values never written into the model": loop(WRITE="pass"),
        "the unclipped gradients given to adamw_step": loop(GRADS="raw"),
        "float32 hard-coded": loop(INPUTS="torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y)"),
    },
}

ALTERNATIVES = {
    "nesterov_update": """
        def nesterov_update(param, grad, velocity, lr, momentum=0.9):
            new_velocity = np.add(np.multiply(momentum, velocity), grad)
            new_param = param - lr * grad
            new_param = new_param - (lr * momentum) * new_velocity
            return new_param, new_velocity
    """,
    "clip_grads_by_norm": """
        import math

        def clip_grads_by_norm(grads, max_norm, norm_type=2.0):
            if math.isinf(norm_type):
                per_tensor = [np.max(np.abs(g)) for g in grads.values()]
                total = float(max(per_tensor))
            else:
                per_tensor = [np.linalg.norm(np.ravel(g), ord=norm_type) for g in grads.values()]
                total = float(np.linalg.norm(np.array(per_tensor, dtype=np.float64), ord=norm_type))
            scale = max_norm / (total + 1e-6)
            if scale >= 1.0:
                return {name: np.array(g, copy=True) for name, g in grads.items()}, total
            return {name: (g * scale).astype(g.dtype) for name, g in grads.items()}, total
    """,
    "adamw_step": """
        def adamw_step(params, grads, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
            b1, b2 = betas
            t = 1 if state is None else state["t"] + 1
            old_m = {} if state is None else state["m"]
            old_v = {} if state is None else state["v"]
            m = {k: b1 * old_m.get(k, 0 * g) + (1 - b1) * g for k, g in grads.items()}
            v = {k: b2 * old_v.get(k, 0 * g) + (1 - b2) * np.square(g) for k, g in grads.items()}
            out = {}
            for k, p in params.items():
                m_hat = m[k] / (1 - b1**t)
                v_hat = v[k] / (1 - b2**t)
                out[k] = p - lr * weight_decay * p - lr * m_hat / (np.sqrt(v_hat) + eps)
            return out, {"t": t, "m": m, "v": v}
    """,
    "train_with_adamw": """
        def train_with_adamw(model, X, y, epochs, batch_size, lr, weight_decay=1e-2, max_norm=1.0, seed=0):
            rng = np.random.default_rng(seed)
            n = len(X)
            batches = (n + batch_size - 1) // batch_size
            state, losses = None, []
            for epoch in range(epochs):
                order = rng.permutation(n)
                for b in range(batches):
                    idx = order[b * batch_size:(b + 1) * batch_size]
                    model.zero_grad(set_to_none=False)
                    loss = F.cross_entropy(model(torch.from_numpy(X[idx])), torch.from_numpy(y[idx]))
                    loss.backward()
                    params = {name: p.detach().cpu().numpy().copy() for name, p in model.named_parameters()}
                    grads = {name: p.grad.detach().cpu().numpy().copy() for name, p in model.named_parameters()}
                    grads, norm = clip_grads_by_norm(grads, max_norm)
                    params, state = adamw_step(params, grads, state, lr, weight_decay=weight_decay)
                    with torch.no_grad():
                        for name, p in model.named_parameters():
                            p.copy_(torch.from_numpy(params[name]))
                    losses.append(loss.item())
            return losses
    """,
}

CATALOGUE = Catalogue(ASSIGNMENT, WRONG, ALTERNATIVES)

TestGrading = grading_proof(CATALOGUE)
