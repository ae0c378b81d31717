"""Probes of PyTorch objects, run inside the student's sandbox for the hidden tests of ``ex06_pytorch``
and ``ex07_optimizers``.

A hidden test calls one as ``probe(probes_torch.state_dict, model)``: the probe receives the real
objects for the ``Remote`` handles it is given (the student's model, a loader built by another
probe...), and what it returns travels back as plain data, or as a new handle when it is not plain
(a model, a loader, an optimizer: those never leave the sandbox). The probes fall in three groups:

- *build* the grader's own objects in the sandbox, for the student's code to work on:
  :func:`sequential`, :func:`tensor_loader`, :func:`optimizer`, :func:`loss_function`;
- *call* the student's code under controlled conditions and report what happened:
  :func:`call_seeded`, :func:`call_with_accelerators`, :func:`call_recorded`;
- *read or set* an object's state: :func:`accelerators`, :func:`module_summary`, :func:`forward`,
  :func:`batches`, :func:`state_dict`, :func:`gradients`, :func:`load_state_dict`,
  :func:`set_training`, :func:`to_numpy`, :func:`fill_gradients`.

Probes are not secret: a student may read this file. They build and measure only; every reference,
threshold and expected value stays in the hidden tests, which decide. They trust nothing about their
arguments beyond what their docstrings say, and report what they find (a student's object may be
anything).

This file is loaded in the sandbox as the top-level module ``probes_torch``: it imports only the
standard library, NumPy and PyTorch. The grader may import it too (``anncourse.probes_torch``) to
build the very same objects on its side.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def _tensor(value):
    """A detached CPU copy of a tensor; anything else unchanged."""
    return value.detach().cpu().clone() if isinstance(value, torch.Tensor) else value


def _type_name(value) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


# Building the grader's objects -------------------------------------------------------------------

def sequential(layers, seed: int = 0, dtype=None):
    """A new ``nn.Sequential``, built after ``torch.manual_seed(seed)`` (so its initial weights are
    reproducible): one layer per entry of ``layers``, each ``[name, *args]`` or ``[name, *args,
    {keyword: value}]`` for ``torch.nn.<name>(*args, **keywords)``, e.g. ``["Linear", 4, 8]``,
    ``["ReLU"]``, ``["Dropout", 0.5]``, ``["Linear", 1, 1, {"bias": False}]``. Converted to ``dtype``
    (a ``torch.dtype``) when given. Returns the model (a handle)."""
    modules = []
    torch.manual_seed(int(seed))
    for spec in layers:
        name, *args = list(spec)
        keywords = args.pop() if args and isinstance(args[-1], dict) else {}
        kind = getattr(nn, name, None) if isinstance(name, str) else None
        if not (isinstance(kind, type) and issubclass(kind, nn.Module)):
            raise ValueError(f"torch.nn has no layer {name!r}")
        modules.append(kind(*args, **keywords))
    model = nn.Sequential(*modules)
    return model.to(dtype) if dtype is not None else model


def tensor_loader(X, y, batch_size: int, shuffle: bool = False, seed: int | None = None):
    """``DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=shuffle)`` over the given tensors
    (or arrays, converted with ``torch.as_tensor``), with its own generator seeded with ``seed`` when
    given (so a shuffled loader draws the same orders on every side). Returns the loader (a handle)."""
    generator = torch.Generator().manual_seed(int(seed)) if seed is not None else None
    dataset = TensorDataset(torch.as_tensor(X), torch.as_tensor(y))
    return DataLoader(dataset, batch_size=int(batch_size), shuffle=bool(shuffle), generator=generator)


def optimizer(name: str, model, settings=None):
    """``torch.optim.<name>(model.parameters(), **settings)``, e.g. ``optimizer("SGD", model, {"lr": 0.1})``.
    Returns the optimizer (a handle)."""
    kind = getattr(torch.optim, str(name), None)
    if not (isinstance(kind, type) and issubclass(kind, torch.optim.Optimizer)):
        raise ValueError(f"torch.optim has no optimizer {name!r}")
    return kind(model.parameters(), **(settings or {}))


def loss_function(name: str, settings=None):
    """``torch.nn.<name>(**settings)``, e.g. ``loss_function("CrossEntropyLoss", {"label_smoothing": 0.2})``.
    Returns the loss module (a handle)."""
    kind = getattr(nn, str(name), None)
    if not (isinstance(kind, type) and issubclass(kind, nn.modules.loss._Loss)):
        raise ValueError(f"torch.nn has no loss {name!r}")
    return kind(**(settings or {}))


# Calling the student's code ----------------------------------------------------------------------

def call_seeded(function, seed: int, args=(), kwargs=None):
    """``function(*args, **kwargs)`` right after ``torch.manual_seed(seed)``; returns its result."""
    torch.manual_seed(int(seed))
    return function(*args, **(kwargs or {}))


def call_with_accelerators(function, cuda: bool, mps: bool):
    """``function()`` while ``torch.cuda.is_available()`` returns ``cuda`` and
    ``torch.backends.mps.is_available()`` returns ``mps`` (both restored afterwards); returns its result."""
    real_cuda, real_mps = torch.cuda.is_available, torch.backends.mps.is_available
    torch.cuda.is_available = lambda: bool(cuda)
    torch.backends.mps.is_available = lambda: bool(mps)
    try:
        return function()
    finally:
        torch.cuda.is_available, torch.backends.mps.is_available = real_cuda, real_mps


def call_recorded(function, model, args=(), kwargs=None, seed: int | None = None) -> dict:
    """``function(model, *args, **kwargs)`` (after ``torch.manual_seed(seed)`` when given), recording
    every forward call of ``model`` (an ``nn.Module``) with a forward pre-hook.

    Gradient tracking is switched on before the call, as in a fresh session, whatever earlier cells
    left, and back on after it. Returns ``result`` (what the function returned), ``calls`` (per
    forward call, in order: ``training``, the model's mode; ``grad_enabled``,
    ``torch.is_grad_enabled()``; ``inputs``, a copy of the first input when it is a tensor, else
    ``None``) and ``grad_enabled_after`` (``torch.is_grad_enabled()`` right after the call).
    """
    calls = []

    def record(module, inputs):
        first = inputs[0] if inputs else None
        calls.append({"training": bool(module.training), "grad_enabled": bool(torch.is_grad_enabled()),
                      "inputs": _tensor(first) if isinstance(first, torch.Tensor) else None})

    handle = model.register_forward_pre_hook(record)
    torch.set_grad_enabled(True)
    try:
        if seed is not None:
            torch.manual_seed(int(seed))
        result = function(model, *args, **(kwargs or {}))
        tracking_after = torch.is_grad_enabled()
    finally:
        handle.remove()
        torch.set_grad_enabled(True)
    return {"result": result, "calls": calls, "grad_enabled_after": bool(tracking_after)}


# Reading and setting state -----------------------------------------------------------------------

def accelerators() -> dict:
    """What this PyTorch reports: ``cuda`` (``torch.cuda.is_available()``) and ``mps``
    (``torch.backends.mps.is_available()``)."""
    return {"cuda": bool(torch.cuda.is_available()), "mps": bool(torch.backends.mps.is_available())}


def module_summary(model) -> dict:
    """``type`` (its type's name) and ``is_module`` (an instance of ``nn.Module``); for a module also
    ``n_parameters`` (the elements of ``model.parameters()``) and ``training`` (its mode)."""
    info = {"type": _type_name(model), "is_module": isinstance(model, nn.Module)}
    if info["is_module"]:
        info["n_parameters"] = int(sum(p.numel() for p in model.parameters()))
        info["training"] = bool(model.training)
    return info


def forward(model, X) -> dict:
    """``model(X)`` under ``torch.no_grad()``, with ``X`` moved to the device of the model's first
    parameter (if it has one). Returns ``output`` (moved to the CPU when it is a tensor) and
    ``linears``: the ``nn.Linear`` modules of ``model.modules()`` in the order the call ran them, each
    with ``in_features``, ``out_features``, ``weight`` and ``bias`` (``None`` without a bias)."""
    called = []
    handles = [module.register_forward_hook(lambda layer, inputs, output: called.append(layer))
               for module in model.modules() if isinstance(module, nn.Linear)]
    try:
        where = next(iter(model.parameters()), None)
        X = torch.as_tensor(X)
        if where is not None:
            X = X.to(where.device)
        with torch.no_grad():
            output = model(X)
    finally:
        for handle in handles:
            handle.remove()
    linears = [{"in_features": int(layer.in_features), "out_features": int(layer.out_features),
                "weight": _tensor(layer.weight), "bias": _tensor(layer.bias)} for layer in called]
    return {"output": _tensor(output), "linears": linears}


def _batch_report(batch):
    if not isinstance(batch, (list, tuple)):
        return _type_name(batch)
    return [_tensor(item) if isinstance(item, torch.Tensor) else _type_name(item) for item in batch]


def batches(loader, epochs: int = 1, seed: int | None = None, max_batches: int = 10_000) -> list:
    """What iterating ``loader`` yields, ``epochs`` times in a row (after ``torch.manual_seed(seed)``
    when given), at most ``max_batches`` batches an epoch: one list per epoch, one entry per batch.
    A batch that is a list or tuple is reported as a list of its items, each a tensor (a CPU copy) or,
    when it is not a tensor, the name of its type; any other batch as the name of its type."""
    if seed is not None:
        torch.manual_seed(int(seed))
    report = []
    for _ in range(int(epochs)):
        epoch = []
        for batch in loader:
            epoch.append(_batch_report(batch))
            if len(epoch) >= max_batches:
                break
        report.append(epoch)
    return report


def state_dict(model) -> dict:
    """``model.state_dict()`` as ``{name: tensor}`` (CPU copies)."""
    return {str(name): _tensor(value) for name, value in model.state_dict().items()}


def gradients(model) -> dict:
    """``{name: parameter.grad}`` for ``model.named_parameters()`` (a CPU copy, ``None`` where no
    gradient is set)."""
    return {str(name): _tensor(p.grad) for name, p in model.named_parameters()}


def load_state_dict(model, state) -> None:
    """``model.load_state_dict(state)`` (strict), with ``state`` a ``{name: tensor}`` dict."""
    model.load_state_dict({name: torch.as_tensor(value) for name, value in state.items()})


def set_training(model, mode: bool) -> None:
    """``model.train(mode)``: training mode when ``mode`` is true, evaluation mode otherwise."""
    model.train(bool(mode))


def to_numpy(value) -> np.ndarray:
    """``value`` (a tensor, copied to the CPU, or anything array-like) as a NumPy array."""
    return _tensor(value).numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


def fill_gradients(model, value: float = 1.0) -> None:
    """Set every parameter's ``.grad`` to a tensor of its shape filled with ``value``: the stale
    gradients a training step must not use (ex06)."""
    with torch.no_grad():
        for p in model.parameters():
            p.grad = torch.full_like(p, float(value))
