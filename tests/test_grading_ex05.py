"""ex05_keras: the catalogue of wrong answers (and other correct ones) that proves its grader;
the tests themselves are in ``grading_harness.grading_proof``."""

import pytest
from grading_harness import Catalogue, grading_proof, lost_points

ASSIGNMENT = "ex05_keras"

WRONG = {
    "build_residual_mlp": {
        "no shortcut: a plain stack of Dense layers": """
            def build_residual_mlp(n_inputs, width=64, n_blocks=2, n_classes=10, dropout=0.0):
                layers = [keras.Input(shape=(n_inputs,)), keras.layers.Dense(width, activation="relu")]
                for _ in range(n_blocks):
                    layers.append(keras.layers.Dense(width, activation="relu"))
                    if dropout > 0:
                        layers.append(keras.layers.Dropout(dropout))
                return keras.Sequential(layers + [keras.layers.Dense(n_classes)])
        """,
        "linear branch, ReLU after the sum": """
            def build_residual_mlp(n_inputs, width=64, n_blocks=2, n_classes=10, dropout=0.0):
                inputs = keras.Input(shape=(n_inputs,))
                h = keras.layers.Dense(width, activation="relu")(inputs)
                for _ in range(n_blocks):
                    branch = keras.layers.Dense(width)(h)
                    if dropout > 0:
                        branch = keras.layers.Dropout(dropout)(branch)
                    h = keras.layers.Activation("relu")(keras.layers.Add()([h, branch]))
                return keras.Model(inputs, keras.layers.Dense(n_classes)(h))
        """,
        "every shortcut starts at the first layer": """
            def build_residual_mlp(n_inputs, width=64, n_blocks=2, n_classes=10, dropout=0.0):
                inputs = keras.Input(shape=(n_inputs,))
                first = h = keras.layers.Dense(width, activation="relu")(inputs)
                for _ in range(n_blocks):
                    branch = keras.layers.Dense(width, activation="relu")(h)
                    if dropout > 0:
                        branch = keras.layers.Dropout(dropout)(branch)
                    h = keras.layers.Add()([first, branch])
                return keras.Model(inputs, keras.layers.Dense(n_classes)(h))
        """,
        "Concatenate, as in wide-and-deep, instead of Add": """
            def build_residual_mlp(n_inputs, width=64, n_blocks=2, n_classes=10, dropout=0.0):
                inputs = keras.Input(shape=(n_inputs,))
                h = keras.layers.Dense(width, activation="relu")(inputs)
                for _ in range(n_blocks):
                    branch = keras.layers.Dense(width, activation="relu")(h)
                    if dropout > 0:
                        branch = keras.layers.Dropout(dropout)(branch)
                    h = keras.layers.Concatenate()([h, branch])
                return keras.Model(inputs, keras.layers.Dense(n_classes)(h))
        """,
        "dropout on the sum, not on the branch": """
            def build_residual_mlp(n_inputs, width=64, n_blocks=2, n_classes=10, dropout=0.0):
                inputs = keras.Input(shape=(n_inputs,))
                h = keras.layers.Dense(width, activation="relu")(inputs)
                for _ in range(n_blocks):
                    branch = keras.layers.Dense(width, activation="relu")(h)
                    h = keras.layers.Add()([h, branch])
                    if dropout > 0:
                        h = keras.layers.Dropout(dropout)(h)
                return keras.Model(inputs, keras.layers.Dense(n_classes)(h))
        """,
        "dropout rate fixed at 0.5": """
            def build_residual_mlp(n_inputs, width=64, n_blocks=2, n_classes=10, dropout=0.0):
                inputs = keras.Input(shape=(n_inputs,))
                h = keras.layers.Dense(width, activation="relu")(inputs)
                for _ in range(n_blocks):
                    branch = keras.layers.Dropout(0.5)(keras.layers.Dense(width, activation="relu")(h))
                    h = keras.layers.Add()([h, branch])
                return keras.Model(inputs, keras.layers.Dense(n_classes)(h))
        """,
        "ends in softmax": """
            def build_residual_mlp(n_inputs, width=64, n_blocks=2, n_classes=10, dropout=0.0):
                inputs = keras.Input(shape=(n_inputs,))
                h = keras.layers.Dense(width, activation="relu")(inputs)
                for _ in range(n_blocks):
                    branch = keras.layers.Dense(width, activation="relu")(h)
                    if dropout > 0:
                        branch = keras.layers.Dropout(dropout)(branch)
                    h = keras.layers.Add()([h, branch])
                return keras.Model(inputs, keras.layers.Dense(n_classes, activation="softmax")(h))
        """,
        "one Dense layer shared by all blocks": """
            def build_residual_mlp(n_inputs, width=64, n_blocks=2, n_classes=10, dropout=0.0):
                inputs = keras.Input(shape=(n_inputs,))
                h = keras.layers.Dense(width, activation="relu")(inputs)
                shared = keras.layers.Dense(width, activation="relu")
                for _ in range(n_blocks):
                    branch = shared(h)
                    if dropout > 0:
                        branch = keras.layers.Dropout(dropout)(branch)
                    h = keras.layers.Add()([h, branch])
                return keras.Model(inputs, keras.layers.Dense(n_classes)(h))
        """,
    },
    "warmup_cosine": {
        "no warm-up: a cosine from the peak at step 0": """
            def warmup_cosine(peak, warmup_steps, total_steps):
                return keras.optimizers.schedules.CosineDecay(peak, decay_steps=total_steps)
        """,
        "the decay lasts total_steps after the warm-up": """
            def warmup_cosine(peak, warmup_steps, total_steps):
                return keras.optimizers.schedules.CosineDecay(0.0, decay_steps=total_steps, warmup_target=peak,
                                                              warmup_steps=warmup_steps)
        """,
        "the cosine climbs back after total_steps": """
            class _Schedule(keras.optimizers.schedules.LearningRateSchedule):
                def __init__(self, peak, warmup_steps, total_steps):
                    self.peak, self.warmup_steps, self.total_steps = peak, warmup_steps, total_steps

                def __call__(self, step):
                    s = keras.ops.cast(step, "float32")
                    cosine = 0.5 * self.peak * (1 + keras.ops.cos(math.pi * (s - self.warmup_steps)
                                                                  / (self.total_steps - self.warmup_steps)))
                    return keras.ops.where(s < self.warmup_steps, self.peak * s / self.warmup_steps, cosine)

            def warmup_cosine(peak, warmup_steps, total_steps):
                return _Schedule(peak, warmup_steps, total_steps)
        """,
        "a plain function of the step": """
            def warmup_cosine(peak, warmup_steps, total_steps):
                def rate(step):
                    s = keras.ops.cast(step, "float32")
                    progress = keras.ops.clip((s - warmup_steps) / (total_steps - warmup_steps), 0.0, 1.0)
                    cosine = 0.5 * peak * (1 + keras.ops.cos(math.pi * progress))
                    return keras.ops.where(s < warmup_steps, peak * s / warmup_steps, cosine)
                return rate
        """,
        "the warm-up is one step ahead": """
            class _Schedule(keras.optimizers.schedules.LearningRateSchedule):
                def __init__(self, peak, warmup_steps, total_steps):
                    self.peak, self.warmup_steps, self.total_steps = peak, warmup_steps, total_steps

                def __call__(self, step):
                    s = keras.ops.cast(step, "float32")
                    progress = keras.ops.clip((s - self.warmup_steps) / (self.total_steps - self.warmup_steps), 0, 1)
                    cosine = 0.5 * self.peak * (1 + keras.ops.cos(math.pi * progress))
                    return keras.ops.where(s < self.warmup_steps, self.peak * (s + 1) / self.warmup_steps, cosine)

            def warmup_cosine(peak, warmup_steps, total_steps):
                return _Schedule(peak, warmup_steps, total_steps)
        """,
        "a linear decay after the warm-up": """
            def warmup_cosine(peak, warmup_steps, total_steps):
                class Schedule(keras.optimizers.schedules.LearningRateSchedule):
                    def __call__(self, step):
                        s = keras.ops.cast(step, "float32")
                        progress = keras.ops.clip((s - warmup_steps) / (total_steps - warmup_steps), 0.0, 1.0)
                        return keras.ops.where(s < warmup_steps, peak * s / warmup_steps, peak * (1 - progress))
                return Schedule()
        """,
    },
    "StopAtTarget": {
        "a strict comparison: reaching the target exactly does not stop": """
            class StopAtTarget(keras.callbacks.Callback):
                def __init__(self, monitor="val_accuracy", target=0.95, mode="max"):
                    super().__init__()
                    self.monitor, self.target, self.mode, self.stopped_epoch = monitor, target, mode, None

                def on_train_begin(self, logs=None):
                    self.stopped_epoch = None

                def on_epoch_end(self, epoch, logs=None):
                    if self.monitor not in logs:
                        raise ValueError(f"no {self.monitor} in the logs")
                    value = logs[self.monitor]
                    if (value > self.target) if self.mode == "max" else (value < self.target):
                        self.stopped_epoch = epoch
                        self.model.stop_training = True
        """,
        "mode ignored: always 'at least'": """
            class StopAtTarget(keras.callbacks.Callback):
                def __init__(self, monitor="val_accuracy", target=0.95, mode="max"):
                    super().__init__()
                    self.monitor, self.target, self.stopped_epoch = monitor, target, None

                def on_train_begin(self, logs=None):
                    self.stopped_epoch = None

                def on_epoch_end(self, epoch, logs=None):
                    if self.monitor not in logs:
                        raise ValueError(f"no {self.monitor} in the logs")
                    if logs[self.monitor] >= self.target:
                        self.stopped_epoch = epoch
                        self.model.stop_training = True
        """,
        "sets its own stop_training, not the model's": """
            class StopAtTarget(keras.callbacks.Callback):
                def __init__(self, monitor="val_accuracy", target=0.95, mode="max"):
                    super().__init__()
                    self.monitor, self.target, self.mode, self.stopped_epoch = monitor, target, mode, None

                def on_train_begin(self, logs=None):
                    self.stopped_epoch = None

                def on_epoch_end(self, epoch, logs=None):
                    if self.monitor not in logs:
                        raise ValueError(f"no {self.monitor} in the logs")
                    value = logs[self.monitor]
                    if (value >= self.target) if self.mode == "max" else (value <= self.target):
                        self.stopped_epoch = epoch
                        self.stop_training = True
        """,
        "stopped_epoch counted from 1": """
            class StopAtTarget(keras.callbacks.Callback):
                def __init__(self, monitor="val_accuracy", target=0.95, mode="max"):
                    super().__init__()
                    self.monitor, self.target, self.mode, self.stopped_epoch = monitor, target, mode, None

                def on_train_begin(self, logs=None):
                    self.stopped_epoch = None

                def on_epoch_end(self, epoch, logs=None):
                    if self.monitor not in logs:
                        raise ValueError(f"no {self.monitor} in the logs")
                    value = logs[self.monitor]
                    if (value >= self.target) if self.mode == "max" else (value <= self.target):
                        self.stopped_epoch = epoch + 1
                        self.model.stop_training = True
        """,
        "not reset at the start of a training": """
            class StopAtTarget(keras.callbacks.Callback):
                def __init__(self, monitor="val_accuracy", target=0.95, mode="max"):
                    super().__init__()
                    self.monitor, self.target, self.mode, self.stopped_epoch = monitor, target, mode, None

                def on_epoch_end(self, epoch, logs=None):
                    if self.monitor not in logs:
                        raise ValueError(f"no {self.monitor} in the logs")
                    value = logs[self.monitor]
                    if (value >= self.target) if self.mode == "max" else (value <= self.target):
                        self.stopped_epoch = epoch
                        self.model.stop_training = True
        """,
        "a missing value is silently ignored": """
            class StopAtTarget(keras.callbacks.Callback):
                def __init__(self, monitor="val_accuracy", target=0.95, mode="max"):
                    super().__init__()
                    self.monitor, self.target, self.mode, self.stopped_epoch = monitor, target, mode, None

                def on_train_begin(self, logs=None):
                    self.stopped_epoch = None

                def on_epoch_end(self, epoch, logs=None):
                    value = (logs or {}).get(self.monitor)
                    if value is None:
                        return
                    if (value >= self.target) if self.mode == "max" else (value <= self.target):
                        self.stopped_epoch = epoch
                        self.model.stop_training = True
        """,
        "monitor hard-coded to val_accuracy": """
            class StopAtTarget(keras.callbacks.Callback):
                def __init__(self, monitor="val_accuracy", target=0.95, mode="max"):
                    super().__init__()
                    self.target, self.mode, self.stopped_epoch = target, mode, None

                def on_train_begin(self, logs=None):
                    self.stopped_epoch = None

                def on_epoch_end(self, epoch, logs=None):
                    if "val_accuracy" not in logs:
                        raise ValueError("no val_accuracy in the logs")
                    value = logs["val_accuracy"]
                    if (value >= self.target) if self.mode == "max" else (value <= self.target):
                        self.stopped_epoch = epoch
                        self.model.stop_training = True
        """,
    },
    "fit_digits": {
        "no Flatten: the model expects rows of 64 values": """
            def fit_digits(images, labels, seed=0):
                keras.utils.set_random_seed(seed)
                model = build_residual_mlp(64, dropout=0.1)
                steps = 20 * math.ceil(0.9 * len(images) / 64)
                model.compile(optimizer=keras.optimizers.Adam(warmup_cosine(1e-2, steps // 10, steps)),
                              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
                model.fit(images.reshape(len(images), 64) / 16, labels, validation_split=0.1, epochs=20,
                          batch_size=64, verbose=0, callbacks=[StopAtTarget("val_accuracy", 0.99)])
                return model
        """,
        "returns the History, not the model": """
            def fit_digits(images, labels, seed=0):
                keras.utils.set_random_seed(seed)
                pixels = keras.Input(shape=(8, 8))
                scaled = keras.layers.Rescaling(1 / 16)(keras.layers.Flatten()(pixels))
                model = keras.Model(pixels, build_residual_mlp(64, dropout=0.1)(scaled))
                steps = 20 * math.ceil(0.9 * len(images) / 64)
                model.compile(optimizer=keras.optimizers.Adam(warmup_cosine(1e-2, steps // 10, steps)),
                              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
                return model.fit(images, labels, validation_split=0.1, epochs=20, batch_size=64, verbose=0,
                                 callbacks=[StopAtTarget("val_accuracy", 0.99)])
        """,
        "a single epoch": """
            def fit_digits(images, labels, seed=0):
                keras.utils.set_random_seed(seed)
                pixels = keras.Input(shape=(8, 8))
                scaled = keras.layers.Rescaling(1 / 16)(keras.layers.Flatten()(pixels))
                model = keras.Model(pixels, build_residual_mlp(64, dropout=0.1)(scaled))
                steps = math.ceil(0.9 * len(images) / 64)
                model.compile(optimizer=keras.optimizers.Adam(warmup_cosine(1e-2, steps // 10, steps)),
                              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
                model.fit(images, labels, validation_split=0.1, epochs=1, batch_size=64, verbose=0,
                          callbacks=[StopAtTarget("val_accuracy", 0.99)])
                return model
        """,
        "stops at 90% training accuracy": """
            def fit_digits(images, labels, seed=0):
                keras.utils.set_random_seed(seed)
                pixels = keras.Input(shape=(8, 8))
                scaled = keras.layers.Rescaling(1 / 16)(keras.layers.Flatten()(pixels))
                model = keras.Model(pixels, build_residual_mlp(64, dropout=0.1)(scaled))
                steps = 20 * math.ceil(0.9 * len(images) / 64)
                model.compile(optimizer=keras.optimizers.Adam(warmup_cosine(1e-2, steps // 10, steps)),
                              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
                model.fit(images, labels, validation_split=0.1, epochs=20, batch_size=64, verbose=0,
                          callbacks=[StopAtTarget("accuracy", 0.9)])
                return model
        """,
        "scales the images outside the model": """
            def fit_digits(images, labels, seed=0):
                keras.utils.set_random_seed(seed)
                mean, std = images.mean(axis=0), images.std(axis=0) + 1e-6
                pixels = keras.Input(shape=(8, 8))
                model = keras.Model(pixels, build_residual_mlp(64, dropout=0.1)(keras.layers.Flatten()(pixels)))
                steps = 20 * math.ceil(0.9 * len(images) / 64)
                model.compile(optimizer=keras.optimizers.Adam(warmup_cosine(1e-2, steps // 10, steps)),
                              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
                model.fit((images - mean) / std, labels, validation_split=0.1, epochs=20, batch_size=64, verbose=0,
                          callbacks=[StopAtTarget("val_accuracy", 0.99)])
                return model
        """,
    },
}

# Other correct answers: Dense and Activation layers with the + operator, a built-in schedule, other
# comparisons, a Normalization layer and a validation set split off by hand.
ALTERNATIVES = {
    "build_residual_mlp": """
        def build_residual_mlp(n_inputs, width=64, n_blocks=2, n_classes=10, dropout=0.0):
            x = keras.Input(shape=(n_inputs,), name="features")
            h = keras.layers.Activation("relu")(keras.layers.Dense(width)(x))
            for k in range(n_blocks):
                f = keras.layers.Activation("relu")(keras.layers.Dense(width, name=f"block_{k}")(h))
                h = h + keras.layers.Dropout(rate=dropout)(f)
            return keras.Model(inputs=x, outputs=keras.layers.Dense(n_classes, name="logits")(h), name="resmlp")
    """,
    "warmup_cosine": """
        def warmup_cosine(peak, warmup_steps, total_steps):
            return keras.optimizers.schedules.CosineDecay(
                initial_learning_rate=0.0, decay_steps=total_steps - warmup_steps, alpha=0.0,
                warmup_target=peak, warmup_steps=warmup_steps)
    """,
    "StopAtTarget": """
        import operator

        class StopAtTarget(keras.callbacks.Callback):
            def __init__(self, monitor="val_accuracy", target=0.95, mode="max"):
                super().__init__()
                self.monitor, self.target = monitor, target
                self.reached = {"max": operator.ge, "min": operator.le}[mode]
                self.stopped_epoch = None

            def on_train_begin(self, logs=None):
                self.stopped_epoch = None

            def on_epoch_end(self, epoch, logs=None):
                value = (logs or {}).get(self.monitor)
                if value is None:
                    raise ValueError(f"the logs have no {self.monitor!r}: {sorted(logs or {})}")
                if self.stopped_epoch is None and self.reached(float(value), self.target):
                    self.stopped_epoch = int(epoch)
                    self.model.stop_training = True
    """,
    "fit_digits": """
        def fit_digits(images, labels, seed=0):
            keras.utils.set_random_seed(seed)
            order = np.random.default_rng(seed).permutation(len(images))
            cut = int(0.85 * len(images))
            train, held = order[:cut], order[cut:]
            normalise = keras.layers.Normalization()
            normalise.adapt(images[train].reshape(-1, 64))
            pixels = keras.Input(shape=(8, 8))
            features = normalise(keras.layers.Flatten()(pixels))
            model = keras.Model(pixels, build_residual_mlp(64, width=96, n_blocks=1)(features))
            steps = 15 * math.ceil(cut / 32)
            model.compile(optimizer=keras.optimizers.Adam(warmup_cosine(3e-3, steps // 20, steps)),
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                          metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])
            model.fit(images[train], labels[train], validation_data=(images[held], labels[held]), epochs=15,
                      batch_size=32, verbose=0, callbacks=[StopAtTarget("val_loss", target=0.02, mode="min")])
            return model
    """,
}

CATALOGUE = Catalogue(ASSIGNMENT, WRONG, ALTERNATIVES)


class TestGrading(grading_proof(CATALOGUE)):
    @pytest.mark.slow
    def test_feedback_names_the_known_mistake(self, graded):
        """The round with the plain stack tells the student the shortcut is missing."""
        student = CATALOGUE.round_of("build_residual_mlp", "no shortcut: a plain stack of Dense layers")
        assert "shortcut" in graded.feedback(student)
        assert not lost_points(graded.grades["reference"], CATALOGUE.test_cells)
