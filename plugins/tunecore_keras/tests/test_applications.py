"""Keras Tuner's ready-made hypermodels, as tunecore_keras.applications has them.

Images are 32x32 (EfficientNet resizes them to its own resolution), with three
classes; nothing downloads weights (``HyperEfficientNet(weights=None)``).
"""

import keras
import numpy as np
import pytest

import tunecore as kt
from tunecore_keras import applications
from tunecore_keras.applications import HyperEfficientNet, HyperImageAugment, HyperResNet, HyperXception
from tunecore_keras.tuners import RandomSearch

SHAPE = (32, 32, 3)
CLASSES = 3


def images(n=6, shape=SHAPE, seed=0):
    """``n`` random images and one-hot labels cycling through the classes."""
    x = np.random.default_rng(seed).random((n, *shape), dtype="float32")
    return x, np.eye(CLASSES, dtype="float32")[np.arange(n) % CLASSES]


def layer_names(model):
    return [layer.name for layer in model.layers]


# The public API ----------------------------------------------------------------------------


def test_the_four_hypermodels_are_public_hypermodels():
    assert sorted(applications.__all__) == [
        "HyperEfficientNet", "HyperImageAugment", "HyperResNet", "HyperXception",
    ]
    assert all(issubclass(getattr(applications, name), kt.HyperModel) for name in applications.__all__)


def test_reachable_as_kt_applications():
    from tunecore.applications import HyperXception as imported

    assert kt.applications.HyperResNet is HyperResNet
    assert kt.applications.HyperImageAugment is HyperImageAugment
    assert imported is kt.applications.HyperXception


@pytest.mark.parametrize("hypermodel", [HyperResNet, HyperXception, HyperEfficientNet])
def test_classes_are_required(hypermodel):
    with pytest.raises(ValueError, match="classes"):
        hypermodel(input_shape=SHAPE)
    with pytest.raises(ValueError, match="classes=0"):
        hypermodel(input_shape=SHAPE, classes=0)


@pytest.mark.parametrize("hypermodel", [HyperResNet, HyperXception, HyperEfficientNet])
def test_an_input_shape_or_tensor_is_required(hypermodel):
    with pytest.raises(ValueError, match="input_tensor"):
        hypermodel(classes=CLASSES)


def test_image_augment_requires_an_input():
    with pytest.raises(ValueError, match="must specify"):
        HyperImageAugment()


def test_hypermodel_arguments_are_passed_on():
    hypermodel = HyperXception(input_shape=SHAPE, classes=CLASSES, name="xc", tunable=False)
    assert (hypermodel.name, hypermodel.tunable) == ("xc", False)


# HyperResNet ---------------------------------------------------------------------------------


def test_resnet_defaults():
    hp = kt.HyperParameters()
    model = HyperResNet(input_shape=SHAPE, classes=CLASSES).build(hp)
    assert hp.values == {
        "version": "v2", "conv3_depth": 4, "conv4_depth": 6, "pooling": "avg",
        "optimizer": "adam", "learning_rate": 0.01,
    }
    assert model.name == "ResNet" and model.output_shape == (None, CLASSES)
    assert "post_bn" in layer_names(model) and "avg_pool" in layer_names(model)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert model.optimizer.learning_rate.numpy() == pytest.approx(0.01)


def test_resnet_without_top_on_an_input_tensor():
    hp = kt.HyperParameters()
    inputs = keras.Input(SHAPE)
    model = HyperResNet(include_top=False, input_tensor=inputs).build(hp)
    assert model.inputs == [inputs]
    assert model.output_shape == (None, 2048)  # the pooled features of conv5
    assert not model.compiled
    assert "optimizer" not in hp.values and "learning_rate" not in hp.values


def test_resnet_fixed_values_override_the_space():
    hp = kt.HyperParameters()
    hp.Fixed("version", "v1")
    hp.Fixed("conv3_depth", 2)
    model = HyperResNet(input_shape=SHAPE, classes=CLASSES).build(hp)
    assert hp.get("version") == "v1" and hp.get("conv4_depth") == 6
    conv3_blocks = {name.split("_")[1] for name in layer_names(model) if name.startswith("conv3_")}
    assert conv3_blocks == {"block1", "block2"}
    assert "post_bn" not in layer_names(model)  # v1 has no pre-activation


@pytest.mark.slow
@pytest.mark.parametrize("version", ["v1", "next"])
def test_resnet_versions_train_and_predict(version):
    hp = kt.HyperParameters()
    hp.Fixed("version", version)
    hp.Fixed("pooling", "max")
    model = HyperResNet(input_shape=SHAPE, classes=CLASSES).build(hp)
    assert "max_pool" in layer_names(model)
    x, y = images(2)
    model.train_on_batch(x, y)
    assert model.predict(x, verbose=0).shape == (2, CLASSES)


# HyperXception -------------------------------------------------------------------------------


def test_xception_defaults():
    hp = kt.HyperParameters()
    model = HyperXception(input_shape=SHAPE, classes=CLASSES).build(hp)
    assert hp.values == {
        "activation": "relu", "conv2d_num_filters": 64, "kernel_size": 3, "initial_strides": 2,
        "sep_num_filters": 256, "num_residual_blocks": 4, "pooling": "avg",
        "num_dense_layers": 1, "dropout_rate": 0.5, "dense_use_bn": True, "learning_rate": 1e-3,
    }
    assert model.name == "Xception" and model.output_shape == (None, CLASSES)


def test_xception_without_top_on_an_input_tensor():
    hp = kt.HyperParameters()
    inputs = keras.Input(SHAPE)
    model = HyperXception(include_top=False, input_tensor=inputs).build(hp)
    assert model.inputs == [inputs]
    assert model.output_shape == (None, 512)  # twice sep_num_filters
    assert not model.compiled
    assert "num_dense_layers" not in hp.values and "learning_rate" not in hp.values


def test_xception_selu_flatten_and_two_dense_layers_train():
    hp = kt.HyperParameters()
    hp.Fixed("activation", "selu")
    hp.Fixed("pooling", "flatten")
    hp.Fixed("num_dense_layers", 2)
    hp.Fixed("sep_num_filters", 128)
    model = HyperXception(input_shape=SHAPE, classes=CLASSES).build(hp)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert "BatchNormalization" not in kinds and "Flatten" in kinds
    assert kinds.count("Dense") == 3
    x, y = images(2)
    model.train_on_batch(x, y)
    assert model.predict(x, verbose=0).shape == (2, CLASSES)


# HyperEfficientNet ---------------------------------------------------------------------------


def test_efficientnet_downloads_imagenet_weights_by_default_as_keras_tuner_does():
    assert HyperEfficientNet(input_shape=SHAPE, classes=CLASSES).weights == "imagenet"


def test_efficientnet_rejects_other_augmentation_models():
    with pytest.raises(ValueError, match="augmentation_model=0"):
        HyperEfficientNet(input_shape=SHAPE, classes=CLASSES, augmentation_model=0)


@pytest.mark.slow
def test_efficientnet_defaults_with_a_fixed_augmentation_model():
    hp = kt.HyperParameters()
    augmentation = keras.Sequential([keras.layers.RandomRotation(0.2)], name="aug")
    model = HyperEfficientNet(
        input_shape=SHAPE, classes=CLASSES, augmentation_model=augmentation, weights=None
    ).build(hp)
    assert hp.values == {"version": "B0", "pooling": "avg", "top_dropout_rate": 0.2, "learning_rate": 0.01}
    assert model.name == "EfficientNet" and model.output_shape == (None, CLASSES)
    assert layer_names(model)[1] == "aug"
    resizing = next(layer for layer in model.layers if isinstance(layer, keras.layers.Resizing))
    assert resizing.compute_output_shape((None, *SHAPE)) == (None, 224, 224, 3)
    x, y = images(2)
    model.train_on_batch(x, y)
    assert model.predict(x, verbose=0).shape == (2, CLASSES)


def test_efficientnet_compile_override_and_augmentation_hypermodel():
    class SgdOrAdam(HyperEfficientNet):
        def _compile(self, model, hp):
            optimizer = hp.Choice("optimizer", ["adam", "sgd"])
            model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])

    hp = kt.HyperParameters()
    hp.Fixed("pooling", "max")
    augmentation = HyperImageAugment(input_shape=SHAPE, augment_layers=0, contrast=None)
    model = SgdOrAdam(
        input_shape=SHAPE, classes=CLASSES, augmentation_model=augmentation, weights=None
    ).build(hp)
    assert "max_pool" in layer_names(model)
    assert layer_names(model)[1] == "image_augment"
    assert hp.values["optimizer"] == "adam" and "learning_rate" not in hp.values
    assert {"factor_rotate", "factor_translate_x", "factor_translate_y"} <= set(hp.values)


# HyperImageAugment ---------------------------------------------------------------------------


def test_augment_transform_ranges():
    assert HyperImageAugment(input_shape=SHAPE).transforms == [
        ("rotate", (0, 0.5)), ("translate_x", (0, 0.4)), ("translate_y", (0, 0.4)), ("contrast", (0, 0.3)),
    ]
    hypermodel = HyperImageAugment(input_shape=SHAPE, rotate=0.3, translate_x=[0.1, 0.5], contrast=None)
    assert hypermodel.transforms == [
        ("rotate", (0, 0.3)), ("translate_x", (0.1, 0.5)), ("translate_y", (0, 0.4)),
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"augment_layers": 1.5}, "must be int"),
        ({"augment_layers": [3, 1]}, "min <= max"),
        ({"contrast": [0.5, 1, 2]}, "exceed 2"),
        ({"contrast": [0.5, "a"]}, "must be int or float"),
        ({"rotate": "0.5"}, "must be int or float"),
    ],
)
def test_augment_rejects_bad_ranges(arguments, message):
    with pytest.raises(ValueError, match=message):
        HyperImageAugment(input_shape=SHAPE, **arguments)


def test_augment_defaults_build_an_identity():
    for augment_layers, name in [(3, "image_rand_augment"), (0, "image_augment")]:
        hp = kt.HyperParameters()
        model = HyperImageAugment(input_shape=(None, None, 3), augment_layers=augment_layers).build(hp)
        assert model.name == name and len(model.layers) == 1  # every default is the low end: 0
    assert hp.values == dict.fromkeys(
        ["factor_rotate", "factor_translate_x", "factor_translate_y", "factor_contrast"], 0
    )


def test_augment_hyperparameters_and_defaults():
    hp = kt.HyperParameters()
    HyperImageAugment(input_shape=SHAPE, translate_x=[0.2, 0.4], contrast=None, augment_layers=0).build(hp)
    assert hp.values == {"factor_rotate": 0, "factor_translate_x": 0.2, "factor_translate_y": 0}

    hp = kt.HyperParameters()
    HyperImageAugment(input_shape=SHAPE, augment_layers=[2, 5], contrast=[0.5, 1]).build(hp)
    assert hp.values == {
        "augment_layers": 2, "factor_rotate": 0, "factor_translate_x": 0,
        "factor_translate_y": 0, "factor_contrast": 0.5,
    }
    assert hp.get_hyperparameter("augment_layers").max_value == 5


@pytest.mark.parametrize("augment_layers", [0, 2])
def test_augment_changes_images_in_training_only(augment_layers):
    hp = kt.HyperParameters()
    hp.Fixed("factor_rotate", 0.3)
    if augment_layers:
        hp.Fixed("augment_layers", augment_layers)
    # Rotation only: a RandAugment layer may pick a transform whose factor is 0.
    model = HyperImageAugment(
        input_shape=(None, None, 3), rotate=[0.2, 0.5], translate_x=None, translate_y=None,
        contrast=None, augment_layers=augment_layers,
    ).build(hp)
    assert model.output_shape == (None, None, None, 3)
    x, _ = images(4, shape=(16, 16, 3))
    assert np.array_equal(model.predict(x, verbose=0), x)
    augmented = keras.ops.convert_to_numpy(model(x, training=True))
    assert augmented.shape == x.shape and not np.allclose(augmented, x)


def test_translate_x_moves_images_sideways():
    # Columns differ, rows are equal: only a horizontal shift changes the image.
    x = np.tile(np.arange(16, dtype="float32")[None, None, :, None], (4, 16, 1, 3))
    only = {"rotate": None, "translate_x": None, "translate_y": None, "contrast": None, "augment_layers": 0}
    for transform, moves in [("translate_x", True), ("translate_y", False)]:
        model = HyperImageAugment(input_shape=(16, 16, 3), **{**only, transform: [0.3, 0.3]}).build(
            kt.HyperParameters()
        )
        augmented = keras.ops.convert_to_numpy(model(x, training=True))
        assert (not np.allclose(augmented, x)) is moves, transform


# Searches ------------------------------------------------------------------------------------


def search(hypermodel, tmp_path, max_trials=1, hyperparameters=None, reload_best=True):
    """Search 1 epoch per trial; returns the tuner and the names in its space."""
    tuner = RandomSearch(
        hypermodel, objective="val_accuracy", max_trials=max_trials, seed=1,
        hyperparameters=hyperparameters, directory=tmp_path, project_name="applications",
    )
    (x, y), validation = images(3), images(3, seed=1)
    tuner.search(x, y, epochs=1, validation_data=validation, verbose=0)
    trials = list(tuner.oracle.trials.values())
    assert len(trials) == max_trials
    assert all(trial.status == kt.TrialStatus.COMPLETED for trial in trials)
    if reload_best:
        assert tuner.get_best_models(1)[0].predict(x, verbose=0).shape == (3, CLASSES)
    return tuner, {hp.name for hp in tuner.oracle.get_space().space}


@pytest.mark.slow
def test_random_search_over_resnet(tmp_path):
    shallow = kt.HyperParameters()
    shallow.Fixed("conv3_depth", 4)
    shallow.Fixed("conv4_depth", 6)
    _, names = search(HyperResNet(input_shape=SHAPE, classes=CLASSES), tmp_path, hyperparameters=shallow)
    assert names == {"version", "conv3_depth", "conv4_depth", "pooling", "optimizer", "learning_rate"}


@pytest.mark.slow
def test_random_search_over_xception(tmp_path):
    _, names = search(HyperXception(input_shape=SHAPE, classes=CLASSES), tmp_path, max_trials=2)
    assert names == {
        "activation", "conv2d_num_filters", "kernel_size", "initial_strides", "sep_num_filters",
        "num_residual_blocks", "pooling", "num_dense_layers", "dropout_rate", "dense_use_bn",
        "learning_rate",
    }


@pytest.mark.slow
def test_random_search_over_efficientnet_with_augmentation(tmp_path):
    b0 = kt.HyperParameters()
    b0.Fixed("version", "B0")
    hypermodel = HyperEfficientNet(
        input_shape=SHAPE, classes=CLASSES, weights=None,
        augmentation_model=HyperImageAugment(input_shape=SHAPE, augment_layers=[1, 2]),
    )
    _, names = search(hypermodel, tmp_path, hyperparameters=b0, reload_best=False)
    assert {"augment_layers", "factor_rotate", "factor_contrast", "version", "pooling",
            "top_dropout_rate", "learning_rate"} <= names
