"""ex06_pytorch: the catalogue of wrong answers (and other correct ones) that proves its grader;
the tests themselves are in ``grading_harness.grading_proof``."""

from grading_harness import Catalogue, grading_proof

ASSIGNMENT = "ex06_pytorch"

WRONG = {
    "get_device": {
        "ignores prefer": """
            def get_device(prefer=None):
                if torch.cuda.is_available():
                    return torch.device("cuda")
                if torch.backends.mps.is_available():
                    return torch.device("mps")
                return torch.device("cpu")
        """,
        "falls back to the CPU when the device asked for is missing": """
            def get_device(prefer=None):
                available = [name for name, found in [("cuda", torch.cuda.is_available()),
                                                      ("mps", torch.backends.mps.is_available()), ("cpu", True)] if found]
                if prefer is None:
                    return torch.device(available[0])
                if str(prefer) not in ("cuda", "mps", "cpu"):
                    raise ValueError(f"unknown device {prefer!r}")
                return torch.device(prefer if str(prefer) in available else "cpu")
        """,
        "returns the name, not a torch.device": """
            def get_device(prefer=None):
                available = [name for name, found in [("cuda", torch.cuda.is_available()),
                                                      ("mps", torch.backends.mps.is_available()), ("cpu", True)] if found]
                if prefer is None:
                    return available[0]
                name = prefer.type if isinstance(prefer, torch.device) else prefer
                if name not in ("cuda", "mps", "cpu"):
                    raise ValueError(f"unknown device {prefer!r}")
                if name not in available:
                    raise ValueError(f"{name} is not available; available: {available}")
                return name
        """,
        "RuntimeError, not ValueError, for a missing device": """
            def get_device(prefer=None):
                available = [name for name, found in [("cuda", torch.cuda.is_available()),
                                                      ("mps", torch.backends.mps.is_available()), ("cpu", True)] if found]
                if prefer is None:
                    return torch.device(available[0])
                name = prefer.type if isinstance(prefer, torch.device) else prefer
                if name not in ("cuda", "mps", "cpu"):
                    raise ValueError(f"unknown device {prefer!r}")
                if name not in available:
                    raise RuntimeError(f"{name} is not available; available: {available}")
                return torch.device(name)
        """,
        "lets torch.device raise RuntimeError for an unknown name": """
            def get_device(prefer=None):
                available = [name for name, found in [("cuda", torch.cuda.is_available()),
                                                      ("mps", torch.backends.mps.is_available()), ("cpu", True)] if found]
                if prefer is None:
                    return torch.device(available[0])
                device = torch.device(prefer)
                if device.type not in available:
                    raise ValueError(f"{device} is not available; available: {', '.join(available)}")
                return device
        """,
        "the message does not say what is available": """
            def get_device(prefer=None):
                available = [name for name, found in [("cuda", torch.cuda.is_available()),
                                                      ("mps", torch.backends.mps.is_available()), ("cpu", True)] if found]
                if prefer is None:
                    return torch.device(available[0])
                name = prefer.type if isinstance(prefer, torch.device) else prefer
                if name not in ("cuda", "mps", "cpu"):
                    raise ValueError(f"unknown device {prefer!r}")
                if name not in available:
                    raise ValueError(f"{name} is not available")
                return torch.device(name)
        """,
        "a torch.device as prefer is rejected": """
            def get_device(prefer=None):
                available = [name for name, found in [("cuda", torch.cuda.is_available()),
                                                      ("mps", torch.backends.mps.is_available()), ("cpu", True)] if found]
                if prefer is None:
                    return torch.device(available[0])
                if prefer not in ("cuda", "mps", "cpu"):
                    raise ValueError(f"prefer must be 'cuda', 'mps' or 'cpu', not {prefer!r}")
                if prefer not in available:
                    raise ValueError(f"{prefer} is not available; available: {', '.join(available)}")
                return torch.device(prefer)
        """,
        "MPS before CUDA": """
            def get_device(prefer=None):
                available = [name for name, found in [("mps", torch.backends.mps.is_available()),
                                                      ("cuda", torch.cuda.is_available()), ("cpu", True)] if found]
                if prefer is None:
                    return torch.device(available[0])
                name = prefer.type if isinstance(prefer, torch.device) else prefer
                if name not in ("cuda", "mps", "cpu"):
                    raise ValueError(f"unknown device {prefer!r}")
                if name not in available:
                    raise ValueError(f"{name} is not available; available: {', '.join(available)}")
                return torch.device(name)
        """,
        "MPS built is not MPS available": """
            def get_device(prefer=None):
                available = [name for name, found in [("cuda", torch.cuda.is_available()),
                                                      ("mps", torch.backends.mps.is_built()), ("cpu", True)] if found]
                if prefer is None:
                    return torch.device(available[0])
                name = prefer.type if isinstance(prefer, torch.device) else prefer
                if name not in ("cuda", "mps", "cpu"):
                    raise ValueError(f"unknown device {prefer!r}")
                if name not in available:
                    raise ValueError(f"{name} is not available; available: {', '.join(available)}")
                return torch.device(name)
        """,
    },
    "MLP": {
        "no Flatten: images rejected": """
            class MLP(nn.Module):
                def __init__(self, n_inputs, hidden=(64,), n_classes=10):
                    super().__init__()
                    layers, width = [], n_inputs
                    for units in hidden:
                        layers += [nn.Linear(width, units), nn.ReLU()]
                        width = units
                    layers.append(nn.Linear(width, n_classes))
                    self.layers = nn.Sequential(*layers)

                def forward(self, x):
                    return self.layers(x)
        """,
        "flattens the batch axis too": """
            class MLP(nn.Module):
                def __init__(self, n_inputs, hidden=(64,), n_classes=10):
                    super().__init__()
                    layers, width = [], n_inputs
                    for units in hidden:
                        layers += [nn.Linear(width, units), nn.ReLU()]
                        width = units
                    layers.append(nn.Linear(width, n_classes))
                    self.layers = nn.Sequential(*layers)

                def forward(self, x):
                    return self.layers(torch.flatten(x)).reshape(-1, self.layers[-1].out_features)
        """,
        "ends in softmax": """
            class MLP(nn.Module):
                def __init__(self, n_inputs, hidden=(64,), n_classes=10):
                    super().__init__()
                    layers, width = [nn.Flatten()], n_inputs
                    for units in hidden:
                        layers += [nn.Linear(width, units), nn.ReLU()]
                        width = units
                    layers += [nn.Linear(width, n_classes), nn.Softmax(dim=1)]
                    self.layers = nn.Sequential(*layers)

                def forward(self, x):
                    return self.layers(x)
        """,
        "no ReLU between the layers": """
            class MLP(nn.Module):
                def __init__(self, n_inputs, hidden=(64,), n_classes=10):
                    super().__init__()
                    widths = [n_inputs, *hidden, n_classes]
                    self.layers = nn.Sequential(nn.Flatten(), *[nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:])])

                def forward(self, x):
                    return self.layers(x)
        """,
        "ReLU after the output layer too": """
            class MLP(nn.Module):
                def __init__(self, n_inputs, hidden=(64,), n_classes=10):
                    super().__init__()
                    widths = [n_inputs, *hidden, n_classes]
                    layers = [nn.Flatten()]
                    for a, b in zip(widths[:-1], widths[1:]):
                        layers += [nn.Linear(a, b), nn.ReLU()]
                    self.layers = nn.Sequential(*layers)

                def forward(self, x):
                    return self.layers(x)
        """,
        "layers in a plain Python list": """
            class MLP(nn.Module):
                def __init__(self, n_inputs, hidden=(64,), n_classes=10):
                    super().__init__()
                    widths = [n_inputs, *hidden, n_classes]
                    self.linears = [nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:])]

                def forward(self, x):
                    x = x.flatten(1)
                    for layer in self.linears[:-1]:
                        x = torch.relu(layer(x))
                    return self.linears[-1](x)
        """,
        "only the first hidden layer": """
            class MLP(nn.Module):
                def __init__(self, n_inputs, hidden=(64,), n_classes=10):
                    super().__init__()
                    self.layers = nn.Sequential(nn.Flatten(), nn.Linear(n_inputs, hidden[0]), nn.ReLU(),
                                                nn.Linear(hidden[0], n_classes))

                def forward(self, x):
                    return self.layers(x)
        """,
        # The reference lives in the grading process only: in the sandbox this is a NameError.
        "calls the hidden reference": """
            class MLP(nn.Module):
                def __init__(self, n_inputs, hidden=(64,), n_classes=10):
                    super().__init__()
                    self.inner = _grader_reference_MLP(n_inputs, hidden, n_classes)

                def forward(self, x):
                    return self.inner(x)
        """,
    },
    "train_epoch_accumulated": {
        "a step after every batch": """
            def train_epoch_accumulated(model, loader, loss_fn, optimizer, device, accumulate=1, max_norm=None):
                model.train()
                total, count = 0.0, 0
                for X, y in loader:
                    X, y = X.to(device), y.to(device)
                    optimizer.zero_grad()
                    loss = loss_fn(model(X), y)
                    loss.backward()
                    if max_norm is not None:
                        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
                    optimizer.step()
                    total += loss.item() * len(y)
                    count += len(y)
                return total / count
        """,
        "each loss divided by accumulate": """
            def train_epoch_accumulated(model, loader, loss_fn, optimizer, device, accumulate=1, max_norm=None):
                model.train()
                optimizer.zero_grad()
                total, count = 0.0, 0
                for i, (X, y) in enumerate(loader):
                    X, y = X.to(device), y.to(device)
                    loss = loss_fn(model(X), y)
                    (loss / accumulate).backward()
                    total += loss.item() * len(y)
                    count += len(y)
                    if (i + 1) % accumulate == 0 or i + 1 == len(loader):
                        if max_norm is not None:
                            nn.utils.clip_grad_norm_(model.parameters(), max_norm)
                        optimizer.step()
                        optimizer.zero_grad()
                return total / count
        """,
        "no step for the last, smaller group": """
            def train_epoch_accumulated(model, loader, loss_fn, optimizer, device, accumulate=1, max_norm=None):
                model.train()
                batches = [(X.to(device), y.to(device)) for X, y in loader]
                optimizer.zero_grad()
                total, count = 0.0, 0
                for start in range(0, len(batches) - accumulate + 1, accumulate):
                    group = batches[start:start + accumulate]
                    n_group = sum(len(y) for _, y in group)
                    for X, y in group:
                        loss = loss_fn(model(X), y)
                        (loss * len(y) / n_group).backward()
                        total += loss.item() * len(y)
                        count += len(y)
                    if max_norm is not None:
                        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
                    optimizer.step()
                    optimizer.zero_grad()
                return total / count
        """,
        "gradients cleared only once, at the start": """
            def train_epoch_accumulated(model, loader, loss_fn, optimizer, device, accumulate=1, max_norm=None):
                model.train()
                batches = [(X.to(device), y.to(device)) for X, y in loader]
                optimizer.zero_grad()
                total, count = 0.0, 0
                for start in range(0, len(batches), accumulate):
                    group = batches[start:start + accumulate]
                    n_group = sum(len(y) for _, y in group)
                    for X, y in group:
                        loss = loss_fn(model(X), y)
                        (loss * len(y) / n_group).backward()
                        total += loss.item() * len(y)
                        count += len(y)
                    if max_norm is not None:
                        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
                    optimizer.step()
                return total / count
        """,
        "stale gradients enter the first step": """
            def train_epoch_accumulated(model, loader, loss_fn, optimizer, device, accumulate=1, max_norm=None):
                model.train()
                batches = [(X.to(device), y.to(device)) for X, y in loader]
                total, count = 0.0, 0
                for start in range(0, len(batches), accumulate):
                    group = batches[start:start + accumulate]
                    n_group = sum(len(y) for _, y in group)
                    for X, y in group:
                        loss = loss_fn(model(X), y)
                        (loss * len(y) / n_group).backward()
                        total += loss.item() * len(y)
                        count += len(y)
                    if max_norm is not None:
                        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
                    optimizer.step()
                    optimizer.zero_grad()
                return total / count
        """,
        "clips after every batch": """
            def train_epoch_accumulated(model, loader, loss_fn, optimizer, device, accumulate=1, max_norm=None):
                model.train()
                batches = [(X.to(device), y.to(device)) for X, y in loader]
                optimizer.zero_grad()
                total, count = 0.0, 0
                for start in range(0, len(batches), accumulate):
                    group = batches[start:start + accumulate]
                    n_group = sum(len(y) for _, y in group)
                    for X, y in group:
                        loss = loss_fn(model(X), y)
                        (loss * len(y) / n_group).backward()
                        if max_norm is not None:
                            nn.utils.clip_grad_norm_(model.parameters(), max_norm)
                        total += loss.item() * len(y)
                        count += len(y)
                    optimizer.step()
                    optimizer.zero_grad()
                return total / count
        """,
        "forgets model.train()": """
            def train_epoch_accumulated(model, loader, loss_fn, optimizer, device, accumulate=1, max_norm=None):
                batches = [(X.to(device), y.to(device)) for X, y in loader]
                optimizer.zero_grad()
                total, count = 0.0, 0
                for start in range(0, len(batches), accumulate):
                    group = batches[start:start + accumulate]
                    n_group = sum(len(y) for _, y in group)
                    for X, y in group:
                        loss = loss_fn(model(X), y)
                        (loss * len(y) / n_group).backward()
                        total += loss.item() * len(y)
                        count += len(y)
                    if max_norm is not None:
                        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
                    optimizer.step()
                    optimizer.zero_grad()
                return total / count
        """,
        "returns the scaled losses": """
            def train_epoch_accumulated(model, loader, loss_fn, optimizer, device, accumulate=1, max_norm=None):
                model.train()
                batches = [(X.to(device), y.to(device)) for X, y in loader]
                optimizer.zero_grad()
                total, count = 0.0, 0
                for start in range(0, len(batches), accumulate):
                    group = batches[start:start + accumulate]
                    n_group = sum(len(y) for _, y in group)
                    for X, y in group:
                        loss = loss_fn(model(X), y) * len(y) / n_group
                        loss.backward()
                        total += loss.item() * len(y)
                        count += len(y)
                    if max_norm is not None:
                        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
                    optimizer.step()
                    optimizer.zero_grad()
                return total / count
        """,
    },
    "confusion_counts": {
        "rows and columns swapped": """
            def confusion_counts(model, loader, n_classes, device):
                model.eval()
                counts = np.zeros((n_classes, n_classes), dtype=np.int64)
                with torch.no_grad():
                    for X, y in loader:
                        predicted = model(X.to(device)).argmax(dim=1).cpu().numpy()
                        np.add.at(counts, (predicted, y.numpy()), 1)
                return counts
        """,
        "left in training mode": """
            def confusion_counts(model, loader, n_classes, device):
                counts = np.zeros((n_classes, n_classes), dtype=np.int64)
                with torch.no_grad():
                    for X, y in loader:
                        predicted = model(X.to(device)).argmax(dim=1).cpu().numpy()
                        np.add.at(counts, (y.numpy(), predicted), 1)
                return counts
        """,
        "tracks gradients": """
            def confusion_counts(model, loader, n_classes, device):
                model.eval()
                counts = np.zeros((n_classes, n_classes), dtype=np.int64)
                for X, y in loader:
                    predicted = model(X.to(device)).argmax(dim=1).cpu().numpy()
                    np.add.at(counts, (y.numpy(), predicted), 1)
                return counts
        """,
        "switches gradients off for good": """
            def confusion_counts(model, loader, n_classes, device):
                model.eval()
                torch.set_grad_enabled(False)
                counts = np.zeros((n_classes, n_classes), dtype=np.int64)
                for X, y in loader:
                    predicted = model(X.to(device)).argmax(dim=1).cpu().numpy()
                    np.add.at(counts, (y.numpy(), predicted), 1)
                return counts
        """,
        "scikit-learn without labels: classes that never occur vanish": """
            def confusion_counts(model, loader, n_classes, device):
                from sklearn.metrics import confusion_matrix
                model.eval()
                truth, predicted = [], []
                with torch.no_grad():
                    for X, y in loader:
                        predicted.append(model(X.to(device)).argmax(dim=1).cpu())
                        truth.append(y)
                return confusion_matrix(torch.cat(truth).numpy(), torch.cat(predicted).numpy())
        """,
        "fractions, not counts": """
            def confusion_counts(model, loader, n_classes, device):
                model.eval()
                counts = np.zeros((n_classes, n_classes))
                with torch.no_grad():
                    for X, y in loader:
                        predicted = model(X.to(device)).argmax(dim=1).cpu().numpy()
                        np.add.at(counts, (y.numpy(), predicted), 1)
                return counts / counts.sum()
        """,
    },
    "fit_digits": {
        "one epoch of plain SGD": """
            def fit_digits(images, labels, seed=0):
                torch.manual_seed(seed)
                model = MLP(64)
                loader = DataLoader(TensorDataset(torch.as_tensor(images), torch.as_tensor(labels)), batch_size=32,
                                    shuffle=True, generator=torch.Generator().manual_seed(seed))
                optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
                train_epoch_accumulated(model, loader, nn.CrossEntropyLoss(), optimizer, torch.device("cpu"))
                return model
        """,
        "images and labels shuffled apart": """
            def fit_digits(images, labels, seed=0):
                torch.manual_seed(seed)
                rng = np.random.default_rng(seed)
                model = MLP(64, hidden=(256,))
                shuffled_images = images[rng.permutation(len(images))]
                loader = DataLoader(TensorDataset(torch.as_tensor(shuffled_images), torch.as_tensor(labels)),
                                    batch_size=32)
                optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
                for epoch in range(25):
                    train_epoch_accumulated(model, loader, nn.CrossEntropyLoss(), optimizer, torch.device("cpu"))
                return model
        """,
        "standardises the training images, not the model's input": """
            def fit_digits(images, labels, seed=0):
                torch.manual_seed(seed)
                mean, std = images.mean(axis=0), images.std(axis=0) + 1e-3
                model = MLP(64, hidden=(256,))
                loader = DataLoader(TensorDataset(torch.as_tensor((images - mean) / std), torch.as_tensor(labels)),
                                    batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(seed))
                optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
                for epoch in range(25):
                    train_epoch_accumulated(model, loader, nn.CrossEntropyLoss(), optimizer, torch.device("cpu"))
                return model
        """,
    },
}

# Other correct answers: the availability checks kept as functions and called when needed; ModuleList
# with flatten(1) and F.relu; the group's batches held in a list and weighted up front, with the
# clipping written out; scikit-learn's confusion_matrix with every label; SGD with Nesterov momentum,
# a step schedule, accumulation and clipping.
ALTERNATIVES = {
    "get_device": """
        def get_device(prefer=None):
            checks = {"cuda": torch.cuda.is_available, "mps": torch.backends.mps.is_available, "cpu": lambda: True}
            if prefer is None:
                return torch.device(next(name for name, check in checks.items() if check()))
            name = prefer.type if isinstance(prefer, torch.device) else prefer
            if not isinstance(name, str) or name not in checks:
                raise ValueError(f"unknown device {prefer!r}: use None, 'cuda', 'mps', 'cpu' or a torch.device")
            if not checks[name]():
                have = [other for other, check in checks.items() if check()]
                raise ValueError(f"no {name} on this machine; it has {have}")
            return torch.device(prefer)
    """,
    "MLP": """
        class MLP(nn.Module):
            def __init__(self, n_inputs, hidden=(64,), n_classes=10):
                super().__init__()
                widths = [n_inputs, *hidden]
                self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
                self.out = nn.Linear(widths[-1], n_classes)

            def forward(self, x):
                x = x.reshape(len(x), -1)
                for layer in self.hidden:
                    x = nn.functional.relu(layer(x))
                return self.out(x)
    """,
    "train_epoch_accumulated": """
        def train_epoch_accumulated(model, loader, loss_fn, optimizer, device, accumulate=1, max_norm=None):
            model.train()
            running, seen, group = 0.0, 0, []

            def step(group):
                nonlocal running, seen
                optimizer.zero_grad()
                n_group = sum(len(labels) for _, labels in group)
                for inputs, labels in group:
                    loss = loss_fn(model(inputs), labels)
                    (loss * (len(labels) / n_group)).backward()
                    running += loss.item() * len(labels)
                    seen += len(labels)
                if max_norm is not None:
                    grads = [p.grad for p in model.parameters() if p.grad is not None]
                    norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
                    if norm > max_norm:
                        for g in grads:
                            g.mul_(max_norm / (norm + 1e-6))
                optimizer.step()

            for inputs, labels in loader:
                group.append((inputs.to(device), labels.to(device)))
                if len(group) == accumulate:
                    step(group)
                    group = []
            if group:
                step(group)
            return running / seen
    """,
    "confusion_counts": """
        def confusion_counts(model, loader, n_classes, device):
            from sklearn.metrics import confusion_matrix
            model.eval()
            truth, predicted = [], []
            with torch.inference_mode():
                for inputs, labels in loader:
                    predicted.append(model(inputs.to(device)).argmax(dim=-1).cpu())
                    truth.append(labels)
            return confusion_matrix(torch.cat(truth).numpy(), torch.cat(predicted).numpy(),
                                    labels=list(range(n_classes)))
    """,
    "fit_digits": """
        def fit_digits(images, labels, seed=0):
            torch.manual_seed(seed)
            generator = torch.Generator().manual_seed(seed)
            inputs = torch.from_numpy(np.asarray(images, dtype=np.float32))
            targets = torch.from_numpy(np.asarray(labels)).long()
            loader = DataLoader(TensorDataset(inputs, targets), batch_size=16, shuffle=True, generator=generator)
            model = MLP(inputs[0].numel(), hidden=(128, 64), n_classes=10)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=8, gamma=0.2)
            for epoch in range(20):
                train_epoch_accumulated(model, loader, nn.CrossEntropyLoss(), optimizer, torch.device("cpu"),
                                        accumulate=2, max_norm=5.0)
                scheduler.step()
            return model
    """,
}


CATALOGUE = Catalogue(ASSIGNMENT, WRONG, ALTERNATIVES)

TestGrading = grading_proof(CATALOGUE)
