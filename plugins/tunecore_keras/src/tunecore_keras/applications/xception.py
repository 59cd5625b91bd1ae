"""HyperXception: an Xception-like network of tunable width, depth and head.

After Chollet, "Xception: Deep Learning with Depthwise Separable Convolutions"
(2017), simplified as Keras Tuner 1.4 has it: one strided convolution, a
middle flow of residual blocks of two separable convolutions each, one
down-sampling exit block, global pooling and a small dense head. The
hyperparameters, their order and their defaults are Keras Tuner's.

``activation`` picks the flavour of every layer: ``"relu"`` layers are
convolution, batch normalisation, ReLU; ``"selu"`` layers are self-normalising
(SELU activation, LeCun-normal initialisation) and use no batch normalisation.
"""

from typing import Any

import keras
from keras import layers

from tunecore.hyperparameters import HyperParameters
from tunecore_keras.applications import _inputs


class HyperXception(_inputs.ImageClassifier):
    """An Xception hypermodel (Keras Tuner's ``applications.HyperXception``).

    Models take images of shape ``input_shape`` and, with the top, output
    ``classes`` softmax probabilities; they are compiled with Adam,
    ``categorical_crossentropy`` (one-hot labels) and the ``accuracy`` metric.

    Hyperparameters: ``activation`` (``"relu"``, ``"selu"``),
    ``conv2d_num_filters`` (32, 64, 128; default 64), ``kernel_size`` (3, 5),
    ``initial_strides`` (2), ``sep_num_filters`` (128 to 768 by 128; default
    256), ``num_residual_blocks`` (2 to 8; default 4), ``pooling`` (``"avg"``,
    ``"flatten"``, ``"max"``) and, with the top, ``num_dense_layers`` (1 to
    3), ``dropout_rate`` (0 to 0.6 by 0.1; default 0.5), ``dense_use_bn``
    (True, False) and ``learning_rate`` (1e-3, 1e-4, 1e-5).

    Args:
        include_top: Whether to end with the dense head and the softmax
            classifier (and compile). Without it, the model outputs the
            pooled features, uncompiled.
        input_shape: Shape of one image, e.g. ``(256, 256, 3)``. One of
            ``input_shape`` and ``input_tensor`` is required.
        input_tensor: A Keras tensor (e.g. ``keras.Input(...)``) to build on.
        classes: Number of classes; required when ``include_top`` is True.
        **kwargs: ``name`` and ``tunable``, as for :class:`tunecore.HyperModel`.

    Raises:
        ValueError: ``classes`` is missing with ``include_top=True``, or
            neither ``input_shape`` nor ``input_tensor`` is given.
    """

    def build(self, hp: HyperParameters) -> Any:
        activation = hp.Choice("activation", ["relu", "selu"])
        inputs, x = _inputs.image_input(self.input_shape, self.input_tensor)

        # Entry flow.
        filters = hp.Choice("conv2d_num_filters", [32, 64, 128], default=64)
        kernel_size = hp.Choice("kernel_size", [3, 5])
        strides = hp.Choice("initial_strides", [2])
        x = _conv(x, filters, kernel_size, strides, activation)

        # Middle flow, then the exit block, which halves the resolution.
        sep_filters = hp.Int("sep_num_filters", 128, 768, step=128, default=256)
        for _ in range(hp.Int("num_residual_blocks", 2, 8, default=4)):
            x = _residual(x, sep_filters, activation, downsample=False)
        x = _residual(x, 2 * sep_filters, activation, downsample=True)

        pooling = hp.Choice("pooling", ["avg", "flatten", "max"])
        if pooling == "avg":
            x = layers.GlobalAveragePooling2D()(x)
        elif pooling == "max":
            x = layers.GlobalMaxPooling2D()(x)
        else:
            x = layers.Flatten()(x)
        if not self.include_top:
            return keras.Model(inputs, x, name="Xception")

        num_dense_layers = hp.Int("num_dense_layers", 1, 3)
        dropout_rate = hp.Float("dropout_rate", 0.0, 0.6, step=0.1, default=0.5)
        use_batch_norm = hp.Choice("dense_use_bn", [True, False])
        for _ in range(num_dense_layers):
            # Keras Tuner's head: hidden layers as wide as the number of classes.
            x = _dense(x, self.classes, activation, use_batch_norm, dropout_rate)
        outputs = layers.Dense(self.classes, activation="softmax")(x)
        model = keras.Model(inputs, outputs, name="Xception")
        model.compile(
            optimizer=keras.optimizers.Adam(hp.Choice("learning_rate", [1e-3, 1e-4, 1e-5])),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model


def _selu_options(activation, *initialised):
    """The keyword arguments that make a layer self-normalising, or none for ReLU."""
    if activation != "selu":
        return {}
    options = {f"{name}_initializer": "lecun_normal" for name in initialised}
    return {"activation": "selu", **options}


def _normalised_relu(x, activation):
    if activation == "selu":
        return x
    x = layers.BatchNormalization()(x)
    return layers.Activation("relu")(x)


def _conv(x, filters, kernel_size, strides, activation):
    selu = activation == "selu"
    x = layers.Conv2D(
        filters, kernel_size, strides=strides, padding="same", use_bias=selu,
        **_selu_options(activation, "kernel"),
    )(x)
    return _normalised_relu(x, activation)


def _separable_conv(x, filters, activation):
    selu = activation == "selu"
    x = layers.SeparableConv2D(
        filters, 3, padding="same", use_bias=selu,
        **_selu_options(activation, "depthwise", "pointwise"),
    )(x)
    return _normalised_relu(x, activation)


def _residual(x, filters, activation, downsample):
    """Two separable convolutions plus a shortcut (a 1x1 projection where the shape changes)."""
    if downsample:
        shortcut = layers.Conv2D(filters, 1, strides=2, padding="same")(x)
    elif x.shape[_inputs.channel_axis()] != filters:
        shortcut = layers.Conv2D(filters, 1, padding="same")(x)
    else:
        shortcut = x
    x = _separable_conv(x, filters, activation)
    x = _separable_conv(x, filters, activation)
    if downsample:
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    return layers.Add()([x, shortcut])


def _dense(x, units, activation, use_batch_norm, dropout_rate):
    if activation == "selu":
        x = layers.Dense(units, **_selu_options(activation, "kernel"))(x)
    else:
        x = layers.Dense(units, activation="relu")(x)
        if use_batch_norm:
            x = layers.BatchNormalization()(x)
    if dropout_rate:
        x = layers.Dropout(dropout_rate)(x)
    return x
