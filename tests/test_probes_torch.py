"""The PyTorch probes (``anncourse.probes_torch``), called directly, without a sandbox: each builds or
reports what its docstring says, and what it reports is plain data that can cross the sandbox."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from anncourse import plaindata, probes_torch

PROBES = Path(probes_torch.__file__)


def plain(value):
    """``value`` after a round trip through the sandbox protocol; fails if it is not plain data."""
    return plaindata.decode(plaindata.encode(value))


def test_the_probe_module_imports_only_the_standard_library_numpy_and_torch():
    tree = ast.parse(PROBES.read_text())
    nodes = list(ast.walk(tree))
    roots = {alias.name.split(".")[0] for node in nodes if isinstance(node, ast.Import) for alias in node.names}
    roots |= {node.module.split(".")[0] for node in nodes if isinstance(node, ast.ImportFrom) and node.level == 0}
    assert not any(isinstance(node, ast.ImportFrom) and node.level for node in nodes), "a relative import"
    assert roots <= set(sys.stdlib_module_names) | {"numpy", "torch"}, roots


def test_the_probe_module_loads_as_a_top_level_module():
    spec = importlib.util.spec_from_file_location("probes_torch", PROBES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.state_dict) and module.__name__ == "probes_torch"


# Building --------------------------------------------------------------------------------------

def test_sequential_is_reproducible_from_its_seed_and_follows_the_spec():
    spec = [["Linear", 3, 4], ["ReLU"], ["Dropout", 0.5], ["Linear", 4, 2, {"bias": False}]]
    first, again, other = (probes_torch.sequential(spec, seed) for seed in (5, 5, 6))
    assert [type(m).__name__ for m in first] == ["Linear", "ReLU", "Dropout", "Linear"]
    assert first[2].p == 0.5 and first[3].bias is None and first[0].bias is not None
    assert torch.equal(first[0].weight, again[0].weight)
    assert not torch.equal(first[0].weight, other[0].weight)
    assert probes_torch.sequential(spec, 5, torch.float64)[0].weight.dtype == torch.float64
    assert first[0].weight.dtype == torch.float32


@pytest.mark.parametrize("name", ["functional", "init", "linear", "Parameter", "NoSuchLayer"])
def test_sequential_builds_only_layers_of_torch_nn(name):
    with pytest.raises(ValueError, match="no layer"):
        probes_torch.sequential([[name, 2, 2]])


def test_tensor_loader_keeps_the_order_unless_shuffled_and_then_follows_its_seed():
    X, y = torch.arange(10.0).reshape(10, 1), torch.arange(10)
    in_order = [b[1].tolist() for b in probes_torch.tensor_loader(X, y, 4)]
    assert in_order == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]

    def orders(loader, epochs=2):
        return [torch.cat([b[1] for b in loader]).tolist() for _ in range(epochs)]

    first = orders(probes_torch.tensor_loader(X, y, 4, shuffle=True, seed=3))
    assert first == orders(probes_torch.tensor_loader(X, y, 4, shuffle=True, seed=3))
    assert first != orders(probes_torch.tensor_loader(X, y, 4, shuffle=True, seed=4))
    assert first[0] != first[1] and sorted(first[0]) == list(range(10))
    from_arrays = next(iter(probes_torch.tensor_loader(np.zeros((3, 2), np.float32), np.zeros(3, np.int64), 2)))
    assert from_arrays[0].dtype == torch.float32 and from_arrays[1].dtype == torch.int64


def test_optimizer_is_built_on_the_models_parameters():
    model = probes_torch.sequential([["Linear", 2, 1]])
    sgd = probes_torch.optimizer("SGD", model, {"lr": 0.5, "momentum": 0.9})
    assert isinstance(sgd, torch.optim.SGD) and sgd.defaults["lr"] == 0.5 and sgd.defaults["momentum"] == 0.9
    assert {id(p) for p in sgd.param_groups[0]["params"]} == {id(p) for p in model.parameters()}
    assert isinstance(probes_torch.optimizer("Adam", model), torch.optim.Adam)
    for wrong in ("Optimizer_", "lr_scheduler", "Linear"):
        with pytest.raises(ValueError):
            probes_torch.optimizer(wrong, model)


def test_loss_function_takes_its_settings_and_only_losses():
    loss = probes_torch.loss_function("CrossEntropyLoss", {"label_smoothing": 0.2})
    assert isinstance(loss, nn.CrossEntropyLoss) and loss.label_smoothing == 0.2
    assert probes_torch.loss_function("CrossEntropyLoss").label_smoothing == 0.0
    with pytest.raises(ValueError):
        probes_torch.loss_function("Linear", {"in_features": 1, "out_features": 1})


# Calling ---------------------------------------------------------------------------------------

def test_call_seeded_seeds_the_global_generator_first():
    def draw(n, scale=1.0):
        return scale * torch.rand(n)

    first = probes_torch.call_seeded(draw, 1, args=(3,), kwargs={"scale": 2.0})
    assert torch.equal(first, probes_torch.call_seeded(draw, 1, args=(3,), kwargs={"scale": 2.0}))
    assert not torch.equal(first, probes_torch.call_seeded(draw, 2, args=(3,), kwargs={"scale": 2.0}))


@pytest.mark.parametrize("cuda, mps", [(True, True), (True, False), (False, True), (False, False)])
def test_call_with_accelerators_pretends_and_restores(cuda, mps):
    real = torch.cuda.is_available, torch.backends.mps.is_available
    seen = probes_torch.call_with_accelerators(lambda: (torch.cuda.is_available(), torch.backends.mps.is_available()),
                                               cuda, mps)
    assert seen == (cuda, mps)
    assert (torch.cuda.is_available, torch.backends.mps.is_available) == real

    def fails():
        raise RuntimeError("no device")

    with pytest.raises(RuntimeError):
        probes_torch.call_with_accelerators(fails, cuda, mps)
    assert (torch.cuda.is_available, torch.backends.mps.is_available) == real


def test_call_recorded_reports_mode_tracking_and_inputs_of_every_forward_call():
    model = probes_torch.sequential([["Linear", 2, 1]])
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])

    def epoch(model, X, times=1):
        model.train()
        model(X[:2])
        model.eval()
        with torch.no_grad():
            model(X[2:])
        return times * 1.5

    report = probes_torch.call_recorded(epoch, model, args=(X,), kwargs={"times": 2})
    assert report["result"] == 3.0 and report["grad_enabled_after"] is True
    assert [(c["training"], c["grad_enabled"]) for c in report["calls"]] == [(True, True), (False, False)]
    assert torch.equal(report["calls"][0]["inputs"], X[:2]) and torch.equal(report["calls"][1]["inputs"], X[2:])
    assert not model._forward_pre_hooks, "the hook stays on the model"
    model(X)  # not recorded any more: the report is unchanged
    assert len(report["calls"]) == 2


def test_call_recorded_reports_tracking_left_off_then_switches_it_back_on():
    model = probes_torch.sequential([["Linear", 2, 1]])

    def switches_off(model):
        torch.set_grad_enabled(False)
        return model(torch.ones(1, 2))

    report = probes_torch.call_recorded(switches_off, model)
    assert report["grad_enabled_after"] is False and torch.is_grad_enabled()
    torch.set_grad_enabled(False)
    try:  # the call starts with tracking on, whatever the cells before it did
        assert probes_torch.call_recorded(lambda m: m(torch.ones(1, 2)), model)["calls"][0]["grad_enabled"] is True
    finally:
        torch.set_grad_enabled(True)


def test_call_recorded_seeds_before_the_call_and_removes_its_hook_when_the_call_raises():
    model = probes_torch.sequential([["Linear", 2, 1]])
    draws = [probes_torch.call_recorded(lambda m: torch.rand(2), model, seed=9)["result"] for _ in range(2)]
    assert torch.equal(*draws)

    def fails(model):
        model(torch.ones(1, 2))
        raise ValueError("student's error")

    with pytest.raises(ValueError, match="student's error"):
        probes_torch.call_recorded(fails, model)
    assert not model._forward_pre_hooks


def test_call_recorded_keeps_no_inputs_that_are_not_tensors():
    class Anything(nn.Module):
        def forward(self, x):
            return x

    report = probes_torch.call_recorded(lambda m: m([1, 2]), Anything())
    assert report["calls"][0]["inputs"] is None


# Reading and setting ----------------------------------------------------------------------------

def test_accelerators_reports_what_torch_reports():
    assert probes_torch.accelerators() == {"cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    assert probes_torch.call_with_accelerators(probes_torch.accelerators, True, False) == {"cuda": True, "mps": False}


def test_module_summary_counts_only_registered_parameters():
    class PlainList(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(3, 4)]

    model = probes_torch.sequential([["Linear", 3, 4]])
    assert probes_torch.module_summary(model) == {"type": "torch.nn.modules.container.Sequential", "is_module": True,
                                                  "n_parameters": 16, "training": True}
    assert probes_torch.module_summary(PlainList())["n_parameters"] == 0
    assert probes_torch.module_summary(model.eval())["training"] is False
    assert probes_torch.module_summary("cpu") == {"type": "str", "is_module": False}


def test_forward_reports_the_linear_layers_in_the_order_they_ran():
    class Backwards(nn.Module):
        def __init__(self):
            super().__init__()
            self.second, self.first = nn.Linear(4, 2), nn.Linear(3, 4, bias=False)

        def forward(self, x):
            return self.second(torch.relu(self.first(x)))

    model, X = Backwards(), torch.randn(5, 3)
    report = probes_torch.forward(model, X)
    assert [(l["in_features"], l["out_features"]) for l in report["linears"]] == [(3, 4), (4, 2)]
    assert report["linears"][0]["bias"] is None and torch.equal(report["linears"][1]["bias"], model.second.bias)
    assert torch.equal(report["linears"][0]["weight"], model.first.weight)
    assert torch.allclose(report["output"], model(X)) and not report["output"].requires_grad
    assert not any(m._forward_hooks for m in model.modules()), "the hooks stay on the model"
    assert probes_torch.forward(nn.ReLU(), -torch.ones(2))["output"].tolist() == [0.0, 0.0]  # no parameters


def test_batches_reports_tensors_and_the_types_of_anything_else():
    X, y = torch.arange(6.0).reshape(6, 1), torch.arange(6)
    loader = probes_torch.tensor_loader(X, y, 4, shuffle=True)
    first, again = probes_torch.batches(loader, epochs=2, seed=0), probes_torch.batches(loader, epochs=2, seed=0)
    assert [[len(b[1]) for b in epoch] for epoch in first] == [[4, 2], [4, 2]]
    assert all(torch.equal(a[1], b[1]) for e, f in zip(first, again) for a, b in zip(e, f))
    assert probes_torch.batches([(np.zeros(2), "label"), 3, [torch.ones(1)]]) == [[["numpy.ndarray", "str"], "int",
                                                                                    [torch.ones(1)]]]
    assert len(probes_torch.batches(iter(range(100)), epochs=2, max_batches=7)[0]) == 7


def test_state_dict_and_gradients_are_copies_taken_when_asked():
    model = probes_torch.sequential([["Linear", 2, 1]])
    state = probes_torch.state_dict(model)
    assert set(state) == {"0.weight", "0.bias"} and set(probes_torch.gradients(model).values()) == {None}
    model(torch.ones(3, 2)).sum().backward()
    grads = probes_torch.gradients(model)
    assert torch.equal(grads["0.bias"], torch.tensor([3.0]))
    with torch.no_grad():
        model[0].weight.add_(1.0)
        model[0].bias.grad.zero_()
    assert not torch.equal(state["0.weight"], model[0].weight) and float(grads["0.bias"]) == 3.0


def test_load_state_dict_is_strict_and_set_training_switches_modes():
    model = probes_torch.sequential([["Linear", 1, 1, {"bias": False}]])
    probes_torch.load_state_dict(model, {"0.weight": torch.full((1, 1), 7.0)})
    assert float(model[0].weight.detach()) == 7.0
    with pytest.raises(RuntimeError):
        probes_torch.load_state_dict(model, {"weight": torch.zeros(1, 1)})
    probes_torch.set_training(model, False)
    assert not model.training and not model[0].training
    probes_torch.set_training(model, True)
    assert model.training


def test_to_numpy_takes_tensors_and_arrays():
    assert np.array_equal(probes_torch.to_numpy(torch.tensor([1.0, 2.0], requires_grad=True)), [1.0, 2.0])
    array = np.arange(3)
    assert np.array_equal(probes_torch.to_numpy(array), array) and probes_torch.to_numpy([[1, 2]]).shape == (1, 2)


def test_reports_are_plain_data():
    model = probes_torch.sequential([["Linear", 2, 3], ["ReLU"], ["Linear", 3, 2]])
    loader = probes_torch.tensor_loader(torch.randn(5, 2), torch.arange(5) % 2, 2)
    reports = [probes_torch.accelerators(), probes_torch.module_summary(model),
               probes_torch.forward(model, torch.ones(1, 2)),
               probes_torch.batches(loader), probes_torch.state_dict(model), probes_torch.gradients(model),
               probes_torch.call_recorded(lambda m: m(torch.ones(2, 2)).sum().item(), model),
               probes_torch.to_numpy(torch.ones(2))]
    for report in reports:
        plain(report)  # raises PlainDataError on anything that is not plain
    crossed = plain(probes_torch.forward(model, torch.ones(1, 2)))
    weight = crossed["linears"][0]["weight"]
    assert isinstance(weight, torch.Tensor) and not weight.requires_grad


def test_fill_gradients_leaves_stale_gradients_of_every_parameter():
    model = probes_torch.sequential([["Linear", 2, 3], ["ReLU"], ["Linear", 3, 1]])
    assert plain(probes_torch.fill_gradients(model, 0.5)) is None
    grads = probes_torch.gradients(model)
    assert set(grads) == {name for name, _ in model.named_parameters()}
    for name, p in model.named_parameters():
        assert grads[name].shape == p.shape and torch.all(grads[name] == 0.5)
        assert not p.grad.requires_grad
