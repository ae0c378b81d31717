"""The Keras probes of ex05's hidden tests, called directly (no sandbox): each reports what it claims.

One small model is shared: TensorFlow's import is the slow part.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from anncourse.frameworks import import_keras_quietly

keras = import_keras_quietly()

from anncourse import probes_keras as pk  # noqa: E402  (after the quiet import)

SOURCE = Path(pk.__file__)
RNG = np.random.default_rng(5)
WEIGHTS = [RNG.normal(size=(3, 4)).astype(np.float32), RNG.normal(size=4).astype(np.float32),
           RNG.normal(size=(4, 2)).astype(np.float32), RNG.normal(size=2).astype(np.float32)]
X = RNG.normal(size=(6, 3)).astype(np.float32)
Y = np.array([0, 1, 1, 0, 1, 0])


def forward(X):
    hidden = np.maximum(X @ WEIGHTS[0] + WEIGHTS[1], 0.0)
    return hidden @ WEIGHTS[2] + WEIGHTS[3]


@pytest.fixture(scope="module")
def model():
    return pk.dense_model(3, [(4, "relu"), (2, None)], WEIGHTS)


def test_probes_import_only_what_the_sandbox_has():
    """Loaded in the sandbox as the top-level module probes_keras: no anncourse, no relative imports."""
    tree = ast.parse(SOURCE.read_text())
    roots = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    roots |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 0}
    assert not any(isinstance(node, ast.ImportFrom) and node.level for node in ast.walk(tree))
    assert roots <= {"__future__", "sys", "keras", "numpy"}, roots


def test_dense_model_has_the_layers_and_weights_asked_for(model):
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dense"]
    assert [layer.units for layer in model.layers] == [4, 2]
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), WEIGHTS))


def test_describe_model_reports_architecture_params_and_weights(model):
    info = pk.describe_model(model)
    assert info["is_model"] and info["class"] == "Sequential" and info["built"]
    assert info["input_shapes"] == [(None, 3)]
    assert info["params"] == 3 * 4 + 4 + 4 * 2 + 2
    dense = [layer for layer in info["layers"] if layer["dense"]]
    assert [(d["units"], d["activation"], d["use_bias"]) for d in dense] == [(4, "relu", True), (2, "linear", True)]
    assert all(np.array_equal(w, expected) for d in dense for w, expected in zip(d["weights"], WEIGHTS[:2] if d["units"] == 4 else WEIGHTS[2:]))


def test_describe_model_of_a_non_model_or_an_unbuilt_model():
    assert pk.describe_model([1, 2]) == {"class": "list", "is_model": False}
    unbuilt = pk.describe_model(keras.Sequential([keras.layers.Dense(2)]))
    assert unbuilt["is_model"] and unbuilt["input_shapes"] is None and unbuilt["params"] is None


def test_describe_model_flattens_nested_models_and_names_activation_layers():
    inner = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(5, use_bias=False)])
    inputs = keras.Input(shape=(3,))
    outputs = keras.layers.Dense(2)(keras.layers.Activation("tanh")(inner(inputs)))
    info = pk.describe_model(keras.Model(inputs, outputs))
    kinds = [(layer["class"], layer.get("units"), layer.get("activation")) for layer in info["layers"] if layer["class"] != "InputLayer"]
    assert kinds == [("Dense", 5, "linear"), ("Activation", None, "tanh"), ("Dense", 2, "linear")]
    assert info["layers"][[l["class"] for l in info["layers"]].index("Dense")]["use_bias"] is False


def test_outputs_run_the_model_in_inference_mode(model):
    dropping = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dropout(0.9)])
    assert np.array_equal(pk.outputs(dropping, X), X)  # training=True would zero most entries
    got = pk.outputs(model, X)
    assert isinstance(got, np.ndarray) and got.dtype == np.float32
    np.testing.assert_allclose(got, forward(X), rtol=1e-5, atol=1e-5)


def test_as_numpy_converts_tensors():
    got = pk.as_numpy(keras.ops.softmax(keras.ops.convert_to_tensor(np.zeros((2, 4), np.float32))))
    assert type(got) is np.ndarray and np.allclose(got, 0.25)


def test_same_object_tells_identity_from_equality():
    first, second = [1], [1]
    assert pk.same_object(first, first) is True
    assert pk.same_object(first, second) is False


def test_set_seed_makes_initial_weights_repeat():
    def initial(seed):
        pk.set_seed(seed)
        return pk.dense_model(3, [(4, "relu")]).get_weights()[0]

    assert np.array_equal(initial(1), initial(1))
    assert not np.array_equal(initial(1), initial(2))


def test_describe_compiled_before_and_after_compile():
    fresh = pk.dense_model(3, [(2, None)])
    assert pk.describe_compiled(fresh) == {"compiled": False, "optimizer": None, "loss": None}
    pk.compile_model(fresh, "Adam", 0.02, "SparseCategoricalCrossentropy", {"from_logits": True}, ["accuracy"])
    info = pk.describe_compiled(fresh)
    assert info["compiled"]
    optimizer = info["optimizer"]
    assert optimizer["class"] == "Adam" and "Optimizer" in optimizer["classes"] and "AdamW" not in optimizer["classes"]
    assert np.isclose(optimizer["learning_rate"], 0.02) and optimizer["iterations"] == 0
    assert info["loss"]["class"] == "SparseCategoricalCrossentropy" and info["loss"]["config"]["from_logits"] is True
    fresh.compile(optimizer=keras.optimizers.AdamW(), loss="sparse_categorical_crossentropy")
    info = pk.describe_compiled(fresh)
    assert "Adam" in info["optimizer"]["classes"] and info["optimizer"]["class"] == "AdamW"
    assert info["loss"] == {"class": "str", "name": "sparse_categorical_crossentropy", "config": {}}


def test_compiled_loss_uses_the_loss_the_model_was_compiled_with():
    logits = RNG.normal(scale=3.0, size=(6, 2)).astype(np.float32)
    exact = np.log(np.exp(logits).sum(axis=1)) - logits[np.arange(6), Y]
    with_logits = pk.dense_model(3, [(2, None)])
    pk.compile_model(with_logits, "SGD", 0.1, "SparseCategoricalCrossentropy", {"from_logits": True})
    assert np.isclose(float(np.mean(pk.compiled_loss(with_logits, Y, logits))), exact.mean(), rtol=1e-5)
    by_name = pk.dense_model(3, [(2, None)])
    by_name.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")  # from_logits=False
    assert not np.isclose(float(np.mean(pk.compiled_loss(by_name, Y, logits))), exact.mean(), rtol=1e-3)


def test_evaluate_and_train_then_describe_the_history(model):
    pk.compile_model(model, "Adam", 0.01, "SparseCategoricalCrossentropy", {"from_logits": True}, ["accuracy"])
    logits = forward(X)
    results = pk.evaluate(model, X, Y, batch_size=6)
    assert all(type(value) is float for value in results.values())
    exact = np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1)) - (logits - logits.max(1, keepdims=True))[np.arange(6), Y]
    assert np.isclose(results["loss"], exact.mean(), rtol=1e-4)
    accuracy = [value for name, value in results.items() if "acc" in name]
    assert accuracy == [pytest.approx(np.mean(logits.argmax(1) == Y))]

    history = model.fit(X, Y, validation_data=(X, Y), epochs=2, batch_size=4, verbose=0)
    info = pk.describe_history(history)
    assert info["is_history"] and info["class"] == "History"
    assert {key: len(values) for key, values in info["logs"].items()} == {
        "accuracy": 2, "loss": 2, "val_accuracy": 2, "val_loss": 2}
    assert all(type(v) is float for values in info["logs"].values() for v in values)
    assert pk.describe_compiled(model)["optimizer"]["iterations"] == 2 * 2  # 2 epochs of ceil(6 / 4) steps
    assert pk.describe_history({"loss": [1.0]}) == {"class": "dict", "is_history": False, "logs": None}


def test_set_dense_weights_sets_each_dense_layer_in_order():
    inputs = keras.Input(shape=(3,))
    hidden = keras.layers.Activation("relu")(keras.layers.Dense(4)(inputs))
    functional = keras.Model(inputs, keras.layers.Dense(2)(hidden))
    pk.set_dense_weights(functional, [WEIGHTS[:2], WEIGHTS[2:]])
    np.testing.assert_allclose(pk.outputs(functional, X), forward(X), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="2 Dense layers"):
        pk.set_dense_weights(functional, [WEIGHTS[:2]])


def test_outputs_in_training_run_dropout():
    dropping = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dropout(0.5)])
    ones = np.ones((200, 3), np.float32)
    got = pk.outputs_in_training(dropping, ones)
    assert set(np.unique(got)) == {0.0, 2.0}  # inverted dropout: kept values scaled by 1 / (1 - p)
    assert np.array_equal(pk.outputs(dropping, ones), ones)


def test_learning_rates_reads_the_rate_an_optimizer_uses_at_each_step():
    cosine = keras.optimizers.schedules.CosineDecay(0.0, 6, warmup_target=0.1, warmup_steps=2)
    info = pk.learning_rates(cosine, [0, 1, 2, 5, 8, 20])
    assert info["is_schedule"] and info["class"] == "CosineDecay" and info["error"] is None
    expected = [0.0, 0.05, 0.1, 0.05 * (1 + np.cos(np.pi * 3 / 6)), 0.0, 0.0]
    np.testing.assert_allclose(info["values"], expected, rtol=1e-5, atol=1e-7)
    constant = pk.learning_rates(0.25, [0, 3])
    assert not constant["is_schedule"] and np.allclose(constant["values"], 0.25)
    plain = pk.learning_rates(lambda step: 0.1, [0])  # an optimizer calls a plain function without the step
    assert plain["values"] is None and plain["error"].startswith("TypeError")


def test_run_callback_drives_the_hooks_as_fit_does():
    stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=1)
    info = pk.run_callback(stopping, [{"val_loss": v} for v in [0.5, 0.4, 0.45, 0.3]])
    assert info == {"is_callback": True, "epochs_run": 3, "stop_training": True, "has_stopped_epoch": True,
                    "stopped_epoch": 2}
    again = pk.run_callback(stopping, [{"val_loss": v} for v in [0.5, 0.4]])  # on_train_begin resets it
    assert again["epochs_run"] == 2 and not again["stop_training"] and again["stopped_epoch"] == 0

    class Recorder(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.calls = []

        def on_train_begin(self, logs=None):
            self.calls.append("begin")

        def on_epoch_end(self, epoch, logs=None):
            self.calls.append((epoch, logs))

        def on_train_end(self, logs=None):
            self.calls.append("end")

    recorder = Recorder()
    info = pk.run_callback(recorder, [{"loss": 1}, {"loss": 0.5}])
    assert recorder.calls == ["begin", (0, {"loss": 1.0}), (1, {"loss": 0.5}), "end"]
    assert info["has_stopped_epoch"] is False and info["stopped_epoch"] is None and info["epochs_run"] == 2


def test_fit_model_reports_epochs_logs_and_steps_and_passes_callbacks():
    model = pk.dense_model(3, [(2, None)])
    pk.compile_model(model, "SGD", 0.1, "SparseCategoricalCrossentropy", {"from_logits": True})

    class StopAfterTwo(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = epoch == 1

    run = pk.fit_model(model, X, Y, epochs=5, batch_size=4, validation_data=(X, Y), callbacks=[StopAfterTwo()])
    assert run["epochs"] == [0, 1] and run["iterations"] == 2 * 2
    assert set(run["logs"]) == {"loss", "val_loss"} and all(len(v) == 2 for v in run["logs"].values())
