"""ex05_keras: the catalogue of wrong answers (and other correct ones) that proves its grader;
the tests themselves are in ``grading_harness.grading_proof``."""

import pytest
from grading_harness import Catalogue, grading_proof, lost_points

ASSIGNMENT = "ex05_keras"

WRONG = {
    "build_mlp": {
        "ends in softmax": """
            def build_mlp(n_inputs, hidden=(64,), n_classes=10, activation="relu"):
                layers = [keras.Input(shape=(n_inputs,))]
                layers += [keras.layers.Dense(units, activation=activation) for units in hidden]
                layers.append(keras.layers.Dense(n_classes, activation="softmax"))
                return keras.Sequential(layers)
        """,
        "softmax as an extra layer after the logits": """
            def build_mlp(n_inputs, hidden=(64,), n_classes=10, activation="relu"):
                layers = [keras.Input(shape=(n_inputs,))]
                layers += [keras.layers.Dense(units, activation=activation) for units in hidden]
                layers += [keras.layers.Dense(n_classes), keras.layers.Softmax()]
                return keras.Sequential(layers)
        """,
        "hidden layers without activation": """
            def build_mlp(n_inputs, hidden=(64,), n_classes=10, activation="relu"):
                layers = [keras.Input(shape=(n_inputs,))]
                layers += [keras.layers.Dense(units) for units in hidden]
                layers.append(keras.layers.Dense(n_classes))
                return keras.Sequential(layers)
        """,
        "activation on the output layer too": """
            def build_mlp(n_inputs, hidden=(64,), n_classes=10, activation="relu"):
                layers = [keras.Input(shape=(n_inputs,))]
                layers += [keras.layers.Dense(units, activation=activation) for units in hidden]
                layers.append(keras.layers.Dense(n_classes, activation=activation))
                return keras.Sequential(layers)
        """,
        "only the first hidden layer": """
            def build_mlp(n_inputs, hidden=(64,), n_classes=10, activation="relu"):
                return keras.Sequential([keras.Input(shape=(n_inputs,)),
                                         keras.layers.Dense(hidden[0], activation=activation),
                                         keras.layers.Dense(n_classes)])
        """,
        "hidden units hard-coded to 64": """
            def build_mlp(n_inputs, hidden=(64,), n_classes=10, activation="relu"):
                layers = [keras.Input(shape=(n_inputs,))]
                layers += [keras.layers.Dense(64, activation=activation) for _ in hidden]
                layers.append(keras.layers.Dense(n_classes))
                return keras.Sequential(layers)
        """,
        "no output layer: the last hidden layer has n_classes units": """
            def build_mlp(n_inputs, hidden=(64,), n_classes=10, activation="relu"):
                layers = [keras.Input(shape=(n_inputs,))]
                layers += [keras.layers.Dense(units, activation=activation) for units in hidden[:-1]]
                layers.append(keras.layers.Dense(n_classes))
                return keras.Sequential(layers)
        """,
        "always relu whatever the activation argument": """
            def build_mlp(n_inputs, hidden=(64,), n_classes=10, activation="relu"):
                layers = [keras.Input(shape=(n_inputs,))]
                layers += [keras.layers.Dense(units, activation="relu") for units in hidden]
                layers.append(keras.layers.Dense(n_classes))
                return keras.Sequential(layers)
        """,
        "no Input: the model is never built": """
            def build_mlp(n_inputs, hidden=(64,), n_classes=10, activation="relu"):
                layers = [keras.layers.Dense(units, activation=activation) for units in hidden]
                return keras.Sequential(layers + [keras.layers.Dense(n_classes)])
        """,
        "calls the hidden reference": """
            def build_mlp(n_inputs, hidden=(64,), n_classes=10, activation="relu"):
                return _grader_reference.build_mlp(n_inputs, hidden, n_classes, activation)
        """,
    },
    "compile_for_logits": {
        "from_logits=False": """
            def compile_for_logits(model, learning_rate=1e-3):
                model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                              loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
                return model
        """,
        "loss given by name, so from_logits is False": """
            def compile_for_logits(model, learning_rate=1e-3):
                model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
                return model
        """,
        "optimizer by name ignores the learning rate": """
            def compile_for_logits(model, learning_rate=1e-3):
                model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                              metrics=["accuracy"])
                return model
        """,
        "SGD instead of Adam": """
            def compile_for_logits(model, learning_rate=1e-3):
                model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate),
                              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                              metrics=["accuracy"])
                return model
        """,
        "learning rate hard-coded": """
            def compile_for_logits(model, learning_rate=1e-3):
                model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                              metrics=["accuracy"])
                return model
        """,
        "no accuracy metric": """
            def compile_for_logits(model, learning_rate=1e-3):
                model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
                return model
        """,
        "keras.metrics.Accuracy compares labels with raw outputs": """
            def compile_for_logits(model, learning_rate=1e-3):
                model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                              metrics=[keras.metrics.Accuracy()])
                return model
        """,
        "categorical cross-entropy expects one-hot labels": """
            def compile_for_logits(model, learning_rate=1e-3):
                model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                              loss=keras.losses.CategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
                return model
        """,
        "forgets to return the model": """
            def compile_for_logits(model, learning_rate=1e-3):
                model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                              metrics=["accuracy"])
        """,
    },
    "train": {
        "no validation data": """
            def train(model, X_train, y_train, X_val, y_val, epochs=20, batch_size=32):
                return model.fit(X_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0)
        """,
        "validation_split instead of the validation data": """
            def train(model, X_train, y_train, X_val, y_val, epochs=20, batch_size=32):
                return model.fit(X_train, y_train, validation_split=0.2, epochs=epochs,
                                 batch_size=batch_size, verbose=0)
        """,
        "epochs not passed to fit": """
            def train(model, X_train, y_train, X_val, y_val, epochs=20, batch_size=32):
                return model.fit(X_train, y_train, validation_data=(X_val, y_val), batch_size=batch_size,
                                 verbose=0)
        """,
        "batch size not passed to fit": """
            def train(model, X_train, y_train, X_val, y_val, epochs=20, batch_size=32):
                return model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=epochs, verbose=0)
        """,
        "trains on the validation data": """
            def train(model, X_train, y_train, X_val, y_val, epochs=20, batch_size=32):
                return model.fit(X_val, y_val, validation_data=(X_train, y_train), epochs=epochs,
                                 batch_size=batch_size, verbose=0)
        """,
        "returns the history dict, not the History": """
            def train(model, X_train, y_train, X_val, y_val, epochs=20, batch_size=32):
                return model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=epochs,
                                 batch_size=batch_size, verbose=0).history
        """,
        "trains a copy and returns its History": """
            def train(model, X_train, y_train, X_val, y_val, epochs=20, batch_size=32):
                copy = keras.models.clone_model(model)
                copy.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                             loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
                return copy.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=epochs,
                                batch_size=batch_size, verbose=0)
        """,
    },
    "predict_proba": {
        "returns the logits": """
            def predict_proba(model, X):
                return keras.ops.convert_to_numpy(model(X))
        """,
        "softmax applied twice": """
            def predict_proba(model, X):
                return keras.ops.convert_to_numpy(keras.ops.softmax(keras.ops.softmax(model(X))))
        """,
        "softmax along axis 0": """
            def predict_proba(model, X):
                return keras.ops.convert_to_numpy(keras.ops.softmax(model(X), axis=0))
        """,
        "softmax without subtracting the maximum": """
            def predict_proba(model, X):
                logits = model.predict(X, verbose=0)
                return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        """,
        "sigmoid instead of softmax": """
            def predict_proba(model, X):
                return keras.ops.convert_to_numpy(keras.ops.sigmoid(model(X)))
        """,
    },
    "predict_classes": {
        "argmax along axis 0": """
            def predict_classes(model, X):
                return np.argmax(keras.ops.convert_to_numpy(model(X)), axis=0)
        """,
        "keeps a column: shape (N, 1)": """
            def predict_classes(model, X):
                return np.argmax(keras.ops.convert_to_numpy(model(X)), axis=1, keepdims=True)
        """,
        "argmax without an axis": """
            def predict_classes(model, X):
                return np.argmax(keras.ops.convert_to_numpy(model(X)))
        """,
        "returns the probabilities": """
            def predict_classes(model, X):
                return predict_proba(model, X)
        """,
        "classes as floats": """
            def predict_classes(model, X):
                return np.argmax(keras.ops.convert_to_numpy(model(X)), axis=1).astype(float)
        """,
    },
}

# Other correct answers: the functional API, Keras' own predict, a named metric, shuffling, printing.
ALTERNATIVES = {
    "build_mlp": """
        def build_mlp(n_inputs, hidden=(64,), n_classes=10, activation="relu"):
            inputs = keras.Input(shape=(n_inputs,))
            x = inputs
            for units in hidden:
                x = keras.layers.Dense(units)(x)
                x = keras.layers.Activation(activation)(x)
            return keras.Model(inputs, keras.layers.Dense(n_classes, name="logits")(x))
    """,
    "compile_for_logits": """
        def compile_for_logits(model, learning_rate=1e-3):
            model.compile(keras.optimizers.Adam(learning_rate),
                          keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                          metrics=[keras.metrics.SparseCategoricalAccuracy()])
            return model
    """,
    "train": """
        def train(model, X_train, y_train, X_val, y_val, epochs=20, batch_size=32):
            history = model.fit(X_train, y_train, batch_size=batch_size, epochs=epochs, verbose=2,
                                validation_data=(X_val, y_val), shuffle=True)
            return history
    """,
    "predict_proba": """
        def predict_proba(model, X):
            logits = model.predict(X, verbose=0)
            shifted = logits - logits.max(axis=1, keepdims=True)
            return np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    """,
    "predict_classes": """
        def predict_classes(model, X):
            return predict_proba(model, X).argmax(axis=-1)
    """,
}


# Predictions left as Keras tensors (the hidden tests convert them in the sandbox, where they stay).
AS_KERAS_TENSORS = {
    "predict_proba": """
        def predict_proba(model, X):
            return keras.ops.softmax(model(X), axis=-1)
    """,
    "predict_classes": """
        def predict_classes(model, X):
            return keras.ops.argmax(model(X), axis=-1)
    """,
}

CATALOGUE = Catalogue(ASSIGNMENT, WRONG, ALTERNATIVES, extra={"keras-tensors": AS_KERAS_TENSORS})


class TestGrading(grading_proof(CATALOGUE)):
    @pytest.mark.slow
    def test_predictions_returned_as_keras_tensors_earn_full_marks(self, graded):
        assert not lost_points(graded.grades["keras-tensors"], CATALOGUE.test_cells)
