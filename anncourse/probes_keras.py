"""Probes of Keras objects, run inside the student's sandbox for the hidden tests of ``ex05_keras``.

A hidden test calls one as ``probe(probes_keras.describe_model, model)``: the probe receives the real
objects for the ``Remote`` handles it is given, and what it returns travels back as plain data (or as
a new handle when it is not plain). Keras objects never leave the sandbox; these functions build them
there and turn them into plain data.

Probes are not secret: a student may read this file. They measure and build only; every reference,
threshold and expected value stays in the hidden tests, which decide. They trust nothing about their
arguments beyond what their docstrings say, and report what they find (a student's object may be
anything).

This file is loaded in the sandbox as the top-level module ``probes_keras``: it imports only the
standard library, NumPy and Keras.
"""

from __future__ import annotations


import keras
import numpy as np

_PLAIN_SCALARS = (str, int, float, bool, type(None))


def _numpy(value) -> np.ndarray:
    if isinstance(value, keras.Variable):  # (convert_to_numpy warns on a Variable under NumPy 2)
        return np.asarray(value.numpy())
    return np.asarray(keras.ops.convert_to_numpy(value))


def _activation_name(function) -> str | None:
    if function is None:
        return None
    return getattr(function, "__name__", None) or type(function).__name__


def _describe_layer(layer) -> dict:
    info = {"class": type(layer).__name__, "name": str(layer.name), "dense": isinstance(layer, keras.layers.Dense)}
    if info["dense"]:
        info.update(units=int(layer.units), activation=_activation_name(layer.activation), use_bias=bool(layer.use_bias),
                    weights=[np.asarray(w) for w in layer.get_weights()])
    elif hasattr(layer, "activation"):  # keras.layers.Activation and the like
        info["activation"] = _activation_name(layer.activation)
    return info


def _leaf_layers(model) -> list:
    found = []
    for layer in model.layers:
        found += _leaf_layers(layer) if isinstance(layer, keras.Model) else [layer]
    return found


def describe_model(model) -> dict:
    """What ``model`` is made of, as plain data.

    ``class`` (type name) and ``is_model`` (an instance of ``keras.Model``); for a model also
    ``built``, ``input_shapes`` (the shapes of ``model.inputs``, ``None`` where the model has no
    defined inputs), ``params`` (``count_params()``, ``None`` where it cannot be counted) and
    ``layers``: the layers in order, nested models flattened, each with ``class``, ``name`` and
    ``dense`` (an instance of ``keras.layers.Dense``); a Dense layer adds ``units``, ``activation``
    (its name, ``"linear"`` for none), ``use_bias`` and ``weights`` (its ``get_weights()``).
    """
    info = {"class": type(model).__name__, "is_model": isinstance(model, keras.Model)}
    if not info["is_model"]:
        return info
    info["built"] = bool(model.built)
    try:
        info["input_shapes"] = [tuple(None if n is None else int(n) for n in tensor.shape) for tensor in model.inputs]
    except Exception:  # a Sequential without keras.Input has no defined inputs
        info["input_shapes"] = None
    try:
        info["params"] = int(model.count_params())
    except Exception:  # an unbuilt model cannot count its weights
        info["params"] = None
    info["layers"] = [_describe_layer(layer) for layer in _leaf_layers(model)]
    return info


def _describe_loss(loss) -> dict | None:
    if loss is None:
        return None
    if isinstance(loss, str):
        return {"class": "str", "name": loss, "config": {}}
    config = {}
    if hasattr(loss, "get_config"):
        try:
            config = {str(k): v for k, v in loss.get_config().items() if isinstance(v, _PLAIN_SCALARS)}
        except Exception:
            config = {}
    return {"class": type(loss).__name__, "name": str(getattr(loss, "name", getattr(loss, "__name__", ""))),
            "config": config}


def describe_compiled(model) -> dict:
    """What ``model.compile`` gave ``model``, as plain data.

    ``compiled`` (Keras' own flag); ``optimizer``: ``None``, or its ``class``, ``classes`` (the
    names of its class and base classes), ``learning_rate`` (a float, ``None`` for a schedule) and
    ``iterations`` (the optimizer steps taken so far); ``loss``: ``None``, or its ``class``
    (``"str"`` for a loss given by name), ``name`` and ``config`` (the plain entries of its
    ``get_config()``, e.g. ``from_logits``).
    """
    optimizer = getattr(model, "optimizer", None)
    info = {"compiled": bool(getattr(model, "compiled", False)), "optimizer": None,
            "loss": _describe_loss(getattr(model, "loss", None))}
    if optimizer is not None:
        try:
            rate = float(_numpy(optimizer.learning_rate))
        except Exception:
            rate = None
        try:
            iterations = int(_numpy(optimizer.iterations))
        except Exception:
            iterations = None
        info["optimizer"] = {"class": type(optimizer).__name__,
                             "classes": [kind.__name__ for kind in type(optimizer).__mro__],
                             "learning_rate": rate, "iterations": iterations}
    return info


def describe_history(history) -> dict:
    """``class`` (type name), ``is_history`` (an instance of ``keras.callbacks.History``) and
    ``logs``: ``history.history`` as ``{key: [float per epoch]}``, ``None`` where there is no such dict."""
    info = {"class": type(history).__name__, "is_history": isinstance(history, keras.callbacks.History), "logs": None}
    logs = getattr(history, "history", None)
    if isinstance(logs, dict):
        info["logs"] = {str(key): np.asarray(values, dtype=np.float64).ravel().tolist() for key, values in logs.items()}
    return info


def outputs(model, X) -> np.ndarray:
    """``model(X, training=False)`` as a NumPy array."""
    return _numpy(model(X, training=False))


def as_numpy(value) -> np.ndarray:
    """``value`` (a Keras or TensorFlow tensor, or anything array-like) as a NumPy array."""
    return _numpy(value)


def same_object(first, second) -> bool:
    """Whether the two handles stand for one and the same object (``first is second``)."""
    return first is second


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and the backend's random generators (``keras.utils.set_random_seed``)."""
    keras.utils.set_random_seed(int(seed))


def dense_model(n_inputs: int, layers, weights=None):
    """A new ``keras.Sequential``: ``keras.Input(shape=(n_inputs,))``, then one ``Dense(units,
    activation=activation)`` per ``(units, activation)`` pair of ``layers``; with ``weights`` (a list of
    arrays in the order of ``get_weights()``) set when given. Returns the model (a handle)."""
    model = keras.Sequential([keras.Input(shape=(int(n_inputs),))]
                             + [keras.layers.Dense(int(units), activation=activation) for units, activation in layers])
    if weights is not None:
        model.set_weights([np.asarray(w) for w in weights])
    return model


def compile_model(model, optimizer: str, learning_rate: float, loss: str, loss_options=None, metrics=()) -> None:
    """``model.compile`` with ``keras.optimizers.<optimizer>(learning_rate=learning_rate)``,
    ``keras.losses.<loss>(**loss_options)`` and ``metrics`` (names)."""
    model.compile(optimizer=getattr(keras.optimizers, optimizer)(learning_rate=learning_rate),
                  loss=getattr(keras.losses, loss)(**(loss_options or {})), metrics=list(metrics))


def compiled_loss(model, y_true, y_pred) -> np.ndarray:
    """The loss ``model`` was compiled with (looked up with ``keras.losses.get`` when it is a name),
    applied to ``(y_true, y_pred)``, as a NumPy array."""
    loss = keras.losses.get(model.loss) if isinstance(model.loss, str) else model.loss
    return _numpy(loss(y_true, y_pred))


def evaluate(model, X, y, batch_size=None) -> dict:
    """``model.evaluate(X, y, batch_size=batch_size, return_dict=True)`` as ``{name: float}``."""
    results = model.evaluate(X, y, batch_size=batch_size, verbose=0, return_dict=True)
    return {str(name): float(np.mean(_numpy(value))) for name, value in results.items()}


def _dense_layers(model) -> list:
    return [layer for layer in _leaf_layers(model) if isinstance(layer, keras.layers.Dense)]


def set_dense_weights(model, weights) -> None:
    """Give each Dense layer of ``model`` (in the order of ``describe_model``'s layers) its entry of
    ``weights``, a list with one ``[kernel, bias]`` (or ``[kernel]``) list per Dense layer."""
    layers = _dense_layers(model)
    if len(layers) != len(weights):
        raise ValueError(f"the model has {len(layers)} Dense layers, {len(weights)} sets of weights were given")
    for layer, arrays in zip(layers, weights):
        layer.set_weights([np.asarray(array) for array in arrays])


def outputs_in_training(model, X) -> np.ndarray:
    """``model(X, training=True)`` as a NumPy array (Dropout active, no weight changes)."""
    return _numpy(model(X, training=True))


def _plain_or_repr(value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    return repr(value)[:200]


def learning_rates(schedule, steps) -> dict:
    """The learning rate that ``keras.optimizers.SGD(learning_rate=schedule)`` uses at each optimizer
    step of ``steps`` (its ``iterations`` set to the step, then ``optimizer.learning_rate`` read).

    Returns ``class`` (type name of ``schedule``), ``is_schedule`` (an instance of
    ``keras.optimizers.schedules.LearningRateSchedule``), ``values`` (a float per step, ``None`` when
    it failed) and ``error`` (``None``, or the exception's type and message)."""
    info = {"class": type(schedule).__name__,
            "is_schedule": isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule),
            "values": None, "error": None}
    try:
        optimizer = keras.optimizers.SGD(learning_rate=schedule)
        values = []
        for step in steps:
            optimizer.iterations.assign(int(step))
            values.append(float(np.asarray(_numpy(optimizer.learning_rate), dtype=np.float64).reshape(())))
        info["values"] = values
    except Exception as error:
        info["error"] = f"{type(error).__name__}: {str(error)[:300]}"
    return info


def run_callback(callback, epoch_logs) -> dict:
    """Drive ``callback`` as ``fit`` does, without training: a small model is given to it with
    ``set_model`` (its ``stop_training`` False), then ``on_train_begin``; epoch ``i`` calls
    ``on_epoch_begin(i)`` and ``on_epoch_end(i, epoch_logs[i])`` and is the last when the model's
    ``stop_training`` is then True; ``on_train_end`` closes. The callback's exceptions propagate.

    Returns ``is_callback`` (an instance of ``keras.callbacks.Callback``), ``epochs_run``,
    ``stop_training`` (the model's flag at the end), ``has_stopped_epoch`` and ``stopped_epoch``
    (the callback's attribute: a number, ``None``, or the ``repr`` of anything else)."""
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    model.stop_training = False
    callback.set_model(model)
    callback.on_train_begin({})
    epochs_run = 0
    for epoch, logs in enumerate(epoch_logs):
        callback.on_epoch_begin(epoch, {})
        callback.on_epoch_end(epoch, {str(k): float(v) for k, v in dict(logs).items()})
        epochs_run += 1
        if model.stop_training:
            break
    callback.on_train_end({})
    missing = object()
    stopped = getattr(callback, "stopped_epoch", missing)
    return {"is_callback": isinstance(callback, keras.callbacks.Callback), "epochs_run": epochs_run,
            "stop_training": bool(model.stop_training), "has_stopped_epoch": stopped is not missing,
            "stopped_epoch": None if stopped is missing else _plain_or_repr(stopped)}


def fit_model(model, X, y, epochs: int, batch_size: int, validation_data=None, callbacks=None) -> dict:
    """``model.fit(X, y, epochs=..., batch_size=..., validation_data=..., callbacks=..., verbose=0)``.

    Returns ``epochs`` (``history.epoch``: the indices of the epochs run), ``logs`` (as
    ``describe_history`` gives them) and ``iterations`` (the optimizer steps taken so far)."""
    history = model.fit(X, y, epochs=int(epochs), batch_size=int(batch_size), verbose=0,
                        validation_data=None if validation_data is None else tuple(validation_data),
                        callbacks=None if callbacks is None else list(callbacks))
    return {"epochs": [int(epoch) for epoch in history.epoch], "logs": describe_history(history)["logs"],
            "iterations": int(_numpy(model.optimizer.iterations))}
