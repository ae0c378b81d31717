"""ex06_pytorch: the catalogue of wrong answers (and other correct ones) that proves its grader;
the tests themselves are in ``grading_harness.grading_proof``."""

from grading_harness import Catalogue, grading_proof

ASSIGNMENT = "ex06_pytorch"

WRONG = {
    "get_device": {
        "always the CPU": """
            def get_device():
                return torch.device("cpu")
        """,
        "skips MPS": """
            def get_device():
                return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        """,
        "MPS before CUDA": """
            def get_device():
                if torch.backends.mps.is_available():
                    return torch.device("mps")
                if torch.cuda.is_available():
                    return torch.device("cuda")
                return torch.device("cpu")
        """,
        "MPS built is not MPS available": """
            def get_device():
                if torch.cuda.is_available():
                    return torch.device("cuda")
                if torch.backends.mps.is_built():
                    return torch.device("mps")
                return torch.device("cpu")
        """,
        "a string, not a torch.device": """
            def get_device():
                if torch.cuda.is_available():
                    return "cuda"
                if torch.backends.mps.is_available():
                    return "mps"
                return "cpu"
        """,
    },
    "MLP": {
        "ends in softmax": """
            class MLP(nn.Module):
                def __init__(self, n_inputs, hidden=(64,), n_classes=10):
                    super().__init__()
                    layers, width = [], n_inputs
                    for units in hidden:
                        layers += [nn.Linear(width, units), nn.ReLU()]
                        width = units
                    layers += [nn.Linear(width, n_classes), nn.Softmax(dim=1)]
                    self.layers = nn.Sequential(*layers)

                def forward(self, x):
                    return self.layers(x)
        """,
        "ends in log-softmax": """
            class MLP(nn.Module):
                def __init__(self, n_inputs, hidden=(64,), n_classes=10):
                    super().__init__()
                    layers, width = [], n_inputs
                    for units in hidden:
                        layers += [nn.Linear(width, units), nn.ReLU()]
                        width = units
                    layers += [nn.Linear(width, n_classes), nn.LogSoftmax(dim=1)]
                    self.layers = nn.Sequential(*layers)

                def forward(self, x):
                    return self.layers(x)
        """,
        "no ReLU between the layers": """
            class MLP(nn.Module):
                def __init__(self, n_inputs, hidden=(64,), n_classes=10):
                    super().__init__()
                    widths = [n_inputs, *hidden, n_classes]
                    self.layers = nn.Sequential(*[nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:])])

                def forward(self, x):
                    return self.layers(x)
        """,
        "ReLU after the output layer too": """
            class MLP(nn.Module):
                def __init__(self, n_inputs, hidden=(64,), n_classes=10):
                    super().__init__()
                    widths = [n_inputs, *hidden, n_classes]
                    layers = []
                    for a, b in zip(widths[:-1], widths[1:]):
                        layers += [nn.Linear(a, b), nn.ReLU()]
                    self.layers = nn.Sequential(*layers)

                def forward(self, x):
                    return self.layers(x)
        """,
        "sigmoid instead of ReLU": """
            class MLP(nn.Module):
                def __init__(self, n_inputs, hidden=(64,), n_classes=10):
                    super().__init__()
                    layers, width = [], n_inputs
                    for units in hidden:
                        layers += [nn.Linear(width, units), nn.Sigmoid()]
                        width = units
                    layers.append(nn.Linear(width, n_classes))
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
                    for layer in self.linears[:-1]:
                        x = torch.relu(layer(x))
                    return self.linears[-1](x)
        """,
        "only the first hidden layer": """
            class MLP(nn.Module):
                def __init__(self, n_inputs, hidden=(64,), n_classes=10):
                    super().__init__()
                    self.layers = nn.Sequential(nn.Linear(n_inputs, hidden[0]), nn.ReLU(),
                                                nn.Linear(hidden[0], n_classes))

                def forward(self, x):
                    return self.layers(x)
        """,
        # The reference lives in the grading process only: in the sandbox this is a NameError.
        "calls the hidden reference": """
            class MLP(nn.Module):
                def __init__(self, n_inputs, hidden=(64,), n_classes=10):
                    super().__init__()
                    self.inner = _grader_reference.MLP(n_inputs, hidden, n_classes)

                def forward(self, x):
                    return self.inner(x)
        """,
    },
    "make_loaders": {
        "no shuffle": """
            def make_loaders(X_train, y_train, X_val, y_val, batch_size=32):
                train = TensorDataset(torch.as_tensor(X_train, dtype=torch.float32), torch.as_tensor(y_train, dtype=torch.int64))
                val = TensorDataset(torch.as_tensor(X_val, dtype=torch.float32), torch.as_tensor(y_val, dtype=torch.int64))
                return DataLoader(train, batch_size=batch_size), DataLoader(val, batch_size=batch_size)
        """,
        "labels as float": """
            def make_loaders(X_train, y_train, X_val, y_val, batch_size=32):
                train = TensorDataset(torch.as_tensor(X_train, dtype=torch.float32), torch.as_tensor(y_train, dtype=torch.float32))
                val = TensorDataset(torch.as_tensor(X_val, dtype=torch.float32), torch.as_tensor(y_val, dtype=torch.float32))
                return (DataLoader(train, batch_size=batch_size, shuffle=True),
                        DataLoader(val, batch_size=batch_size))
        """,
        "labels keep their int32 dtype": """
            def make_loaders(X_train, y_train, X_val, y_val, batch_size=32):
                train = TensorDataset(torch.as_tensor(X_train, dtype=torch.float32), torch.as_tensor(y_train))
                val = TensorDataset(torch.as_tensor(X_val, dtype=torch.float32), torch.as_tensor(y_val))
                return (DataLoader(train, batch_size=batch_size, shuffle=True),
                        DataLoader(val, batch_size=batch_size))
        """,
        "inputs keep their float64 dtype": """
            def make_loaders(X_train, y_train, X_val, y_val, batch_size=32):
                train = TensorDataset(torch.as_tensor(X_train), torch.as_tensor(y_train, dtype=torch.int64))
                val = TensorDataset(torch.as_tensor(X_val), torch.as_tensor(y_val, dtype=torch.int64))
                return (DataLoader(train, batch_size=batch_size, shuffle=True),
                        DataLoader(val, batch_size=batch_size))
        """,
        "the validation loader shuffles too": """
            def make_loaders(X_train, y_train, X_val, y_val, batch_size=32):
                train = TensorDataset(torch.as_tensor(X_train, dtype=torch.float32), torch.as_tensor(y_train, dtype=torch.int64))
                val = TensorDataset(torch.as_tensor(X_val, dtype=torch.float32), torch.as_tensor(y_val, dtype=torch.int64))
                return (DataLoader(train, batch_size=batch_size, shuffle=True),
                        DataLoader(val, batch_size=batch_size, shuffle=True))
        """,
        "batch size ignored": """
            def make_loaders(X_train, y_train, X_val, y_val, batch_size=32):
                train = TensorDataset(torch.as_tensor(X_train, dtype=torch.float32), torch.as_tensor(y_train, dtype=torch.int64))
                val = TensorDataset(torch.as_tensor(X_val, dtype=torch.float32), torch.as_tensor(y_val, dtype=torch.int64))
                return DataLoader(train, batch_size=32, shuffle=True), DataLoader(val, batch_size=32)
        """,
        "drops the last incomplete batch": """
            def make_loaders(X_train, y_train, X_val, y_val, batch_size=32):
                train = TensorDataset(torch.as_tensor(X_train, dtype=torch.float32), torch.as_tensor(y_train, dtype=torch.int64))
                val = TensorDataset(torch.as_tensor(X_val, dtype=torch.float32), torch.as_tensor(y_val, dtype=torch.int64))
                return (DataLoader(train, batch_size=batch_size, shuffle=True, drop_last=True),
                        DataLoader(val, batch_size=batch_size))
        """,
        "shuffled once, not every epoch": """
            def make_loaders(X_train, y_train, X_val, y_val, batch_size=32):
                order = np.random.default_rng(0).permutation(len(X_train))
                train = TensorDataset(torch.as_tensor(X_train[order], dtype=torch.float32),
                                      torch.as_tensor(y_train[order], dtype=torch.int64))
                val = TensorDataset(torch.as_tensor(X_val, dtype=torch.float32), torch.as_tensor(y_val, dtype=torch.int64))
                return DataLoader(train, batch_size=batch_size), DataLoader(val, batch_size=batch_size)
        """,
    },
    "train_one_epoch": {
        "no zero_grad": """
            def train_one_epoch(model, loader, loss_fn, optimizer, device):
                model.train()
                total, count = 0.0, 0
                for X, y in loader:
                    X, y = X.to(device), y.to(device)
                    loss = loss_fn(model(X), y)
                    loss.backward()
                    optimizer.step()
                    total += loss.item() * len(y)
                    count += len(y)
                return total / count
        """,
        "mean over batches, not over samples": """
            def train_one_epoch(model, loader, loss_fn, optimizer, device):
                model.train()
                losses = []
                for X, y in loader:
                    X, y = X.to(device), y.to(device)
                    optimizer.zero_grad()
                    loss = loss_fn(model(X), y)
                    loss.backward()
                    optimizer.step()
                    losses.append(loss.item())
                return sum(losses) / len(losses)
        """,
        "forgets model.train()": """
            def train_one_epoch(model, loader, loss_fn, optimizer, device):
                total, count = 0.0, 0
                for X, y in loader:
                    X, y = X.to(device), y.to(device)
                    optimizer.zero_grad()
                    loss = loss_fn(model(X), y)
                    loss.backward()
                    optimizer.step()
                    total += loss.item() * len(y)
                    count += len(y)
                return total / count
        """,
        "zero_grad between backward and step": """
            def train_one_epoch(model, loader, loss_fn, optimizer, device):
                model.train()
                total, count = 0.0, 0
                for X, y in loader:
                    X, y = X.to(device), y.to(device)
                    loss = loss_fn(model(X), y)
                    loss.backward()
                    optimizer.zero_grad()
                    optimizer.step()
                    total += loss.item() * len(y)
                    count += len(y)
                return total / count
        """,
        "ignores loss_fn": """
            def train_one_epoch(model, loader, loss_fn, optimizer, device):
                model.train()
                total, count = 0.0, 0
                for X, y in loader:
                    X, y = X.to(device), y.to(device)
                    optimizer.zero_grad()
                    loss = nn.functional.cross_entropy(model(X), y)
                    loss.backward()
                    optimizer.step()
                    total += loss.item() * len(y)
                    count += len(y)
                return total / count
        """,
        "returns a tensor, not a float": """
            def train_one_epoch(model, loader, loss_fn, optimizer, device):
                model.train()
                total, count = 0.0, 0
                for X, y in loader:
                    X, y = X.to(device), y.to(device)
                    optimizer.zero_grad()
                    loss = loss_fn(model(X), y)
                    loss.backward()
                    optimizer.step()
                    total = total + loss.detach() * len(y)
                    count += len(y)
                return total / count
        """,
        "the loss of the last batch": """
            def train_one_epoch(model, loader, loss_fn, optimizer, device):
                model.train()
                for X, y in loader:
                    X, y = X.to(device), y.to(device)
                    optimizer.zero_grad()
                    loss = loss_fn(model(X), y)
                    loss.backward()
                    optimizer.step()
                return loss.item()
        """,
        "weights every batch by loader.batch_size": """
            def train_one_epoch(model, loader, loss_fn, optimizer, device):
                model.train()
                total = 0.0
                for X, y in loader:
                    X, y = X.to(device), y.to(device)
                    optimizer.zero_grad()
                    loss = loss_fn(model(X), y)
                    loss.backward()
                    optimizer.step()
                    total += loss.item() * loader.batch_size
                return total / len(loader.dataset)
        """,
    },
    "evaluate": {
        "left in training mode": """
            def evaluate(model, loader, device):
                correct, count = 0, 0
                with torch.no_grad():
                    for X, y in loader:
                        X, y = X.to(device), y.to(device)
                        correct += (model(X).argmax(dim=1) == y).sum().item()
                        count += len(y)
                return correct / count
        """,
        "tracks gradients": """
            def evaluate(model, loader, device):
                model.eval()
                correct, count = 0, 0
                for X, y in loader:
                    X, y = X.to(device), y.to(device)
                    correct += (model(X).argmax(dim=1) == y).sum().item()
                    count += len(y)
                return correct / count
        """,
        "a percentage": """
            def evaluate(model, loader, device):
                model.eval()
                correct, count = 0, 0
                with torch.no_grad():
                    for X, y in loader:
                        X, y = X.to(device), y.to(device)
                        correct += (model(X).argmax(dim=1) == y).sum().item()
                        count += len(y)
                return 100 * correct / count
        """,
        "a count": """
            def evaluate(model, loader, device):
                model.eval()
                correct = 0
                with torch.no_grad():
                    for X, y in loader:
                        X, y = X.to(device), y.to(device)
                        correct += (model(X).argmax(dim=1) == y).sum().item()
                return correct
        """,
        "mean of the batch accuracies": """
            def evaluate(model, loader, device):
                model.eval()
                accuracies = []
                with torch.no_grad():
                    for X, y in loader:
                        X, y = X.to(device), y.to(device)
                        accuracies.append((model(X).argmax(dim=1) == y).float().mean().item())
                return sum(accuracies) / len(accuracies)
        """,
        "switches gradients off for good": """
            def evaluate(model, loader, device):
                model.eval()
                torch.set_grad_enabled(False)
                correct, count = 0, 0
                for X, y in loader:
                    X, y = X.to(device), y.to(device)
                    correct += (model(X).argmax(dim=1) == y).sum().item()
                    count += len(y)
                return correct / count
        """,
        "backward on the evaluation loss": """
            def evaluate(model, loader, device):
                model.eval()
                correct, count = 0, 0
                for X, y in loader:
                    X, y = X.to(device), y.to(device)
                    logits = model(X)
                    nn.functional.cross_entropy(logits, y).backward()
                    correct += (logits.argmax(dim=1) == y).sum().item()
                    count += len(y)
                return correct / count
        """,
    },
}

# Other correct answers: a conditional expression, ModuleList with F.relu, from_numpy conversions,
# zero_grad(set_to_none) after the step, inference_mode and a tensor accuracy.
ALTERNATIVES = {
    "get_device": """
        def get_device():
            name = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
            return torch.device(name)
    """,
    "MLP": """
        class MLP(nn.Module):
            def __init__(self, n_inputs, hidden=(64,), n_classes=10):
                super().__init__()
                widths = [n_inputs, *hidden]
                self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
                self.out = nn.Linear(widths[-1], n_classes)

            def forward(self, x):
                for layer in self.hidden:
                    x = nn.functional.relu(layer(x))
                return self.out(x)
    """,
    "make_loaders": """
        def make_loaders(X_train, y_train, X_val, y_val, batch_size=32):
            def tensors(X, y):
                return TensorDataset(torch.from_numpy(np.asarray(X, dtype=np.float32)),
                                     torch.from_numpy(np.asarray(y)).long())
            train_loader = DataLoader(tensors(X_train, y_train), batch_size, shuffle=True)
            val_loader = DataLoader(tensors(X_val, y_val), batch_size, shuffle=False)
            return train_loader, val_loader
    """,
    "train_one_epoch": """
        def train_one_epoch(model, loader, loss_fn, optimizer, device):
            model.train()
            running, seen = 0.0, 0
            for inputs, labels in loader:
                inputs, labels = inputs.to(device), labels.to(device)
                loss = loss_fn(model(inputs), labels)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                running += loss.item() * inputs.shape[0]
                seen += inputs.shape[0]
            return running / seen
    """,
    "evaluate": """
        def evaluate(model, loader, device):
            model.eval()
            hits, total = torch.tensor(0), 0
            with torch.inference_mode():
                for inputs, labels in loader:
                    predictions = model(inputs.to(device)).argmax(dim=-1).cpu()
                    hits += (predictions == labels).sum()
                    total += len(labels)
            return hits.item() / total
    """,
}


CATALOGUE = Catalogue(ASSIGNMENT, WRONG, ALTERNATIVES)

TestGrading = grading_proof(CATALOGUE)
