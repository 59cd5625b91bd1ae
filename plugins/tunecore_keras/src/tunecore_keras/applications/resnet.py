"""HyperResNet: a ResNet whose version and depth are hyperparameters.

The three versions are the bottleneck networks of He et al., "Deep Residual
Learning for Image Recognition" (2015, ``"v1"``), He et al., "Identity
Mappings in Deep Residual Networks" (2016, ``"v2"``, pre-activation) and Xie
et al., "Aggregated Residual Transformations for Deep Neural Networks" (2017,
``"next"``, grouped convolutions), laid out as Keras Tuner 1.4 lays them out
(strides, widths, where the down-sampling happens), so that a search space and
its results carry over. Stages are named ``conv2`` to ``conv5``; the depths of
``conv3`` and ``conv4`` are tuned, ``conv2`` and ``conv5`` have three blocks.
"""

from typing import Any

import keras
from keras import layers

from tunecore.hyperparameters import HyperParameters
from tunecore_keras.applications import _inputs

_EPSILON = 1.001e-5
_GROUPS = 32  # ResNeXt's cardinality

#: Per version: (filters, blocks, stride) of stages conv2..conv5, where blocks
#: is a number or the name of the hyperparameter that tunes it.
_STAGES: dict[str, tuple[tuple[int, Any, int], ...]] = {
    "v1": ((64, 3, 1), (128, "conv3_depth", 2), (256, "conv4_depth", 2), (512, 3, 2)),
    "v2": ((64, 3, 2), (128, "conv3_depth", 2), (256, "conv4_depth", 2), (512, 3, 1)),
    "next": ((64, 3, 2), (256, "conv3_depth", 2), (512, "conv4_depth", 2), (1024, 3, 1)),
}

_OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "rmsprop": keras.optimizers.RMSprop,
    "sgd": keras.optimizers.SGD,
}


class HyperResNet(_inputs.ImageClassifier):
    """A ResNet hypermodel (Keras Tuner's ``applications.HyperResNet``).

    Models take images of shape ``input_shape`` and, with the top, output
    ``classes`` softmax probabilities; they are compiled with
    ``categorical_crossentropy`` (one-hot labels) and the ``accuracy`` metric.

    Hyperparameters: ``version`` (``"v1"``, ``"v2"``, ``"next"``; default
    ``"v2"``), ``conv3_depth`` (4, 8), ``conv4_depth`` (6, 23, 36),
    ``pooling`` (``"avg"``, ``"max"``) and, with the top, ``optimizer``
    (``"adam"``, ``"rmsprop"``, ``"sgd"``) and ``learning_rate`` (0.1, 0.01,
    0.001; default 0.01).

    Args:
        include_top: Whether to end with the softmax classifier (and compile).
            Without it, the model outputs the pooled features, uncompiled.
        input_shape: Shape of one image, e.g. ``(224, 224, 3)``. One of
            ``input_shape`` and ``input_tensor`` is required.
        input_tensor: A Keras tensor (e.g. ``keras.Input(...)``) to build on.
        classes: Number of classes; required when ``include_top`` is True.
        **kwargs: ``name`` and ``tunable``, as for :class:`tunecore.HyperModel`.

    Raises:
        ValueError: ``classes`` is missing with ``include_top=True``, or
            neither ``input_shape`` nor ``input_tensor`` is given.
    """

    def build(self, hp: HyperParameters) -> Any:
        version = hp.Choice("version", ["v1", "v2", "next"], default="v2")
        depths = {
            "conv3_depth": hp.Choice("conv3_depth", [4, 8]),
            "conv4_depth": hp.Choice("conv4_depth", [6, 23, 36]),
        }
        inputs, x = _inputs.image_input(self.input_shape, self.input_tensor)

        x = _stem(x, preact=version == "v2", use_bias=version != "next")
        for index, (filters, blocks, stride) in enumerate(_STAGES[version], start=2):
            x = _stage(x, version, filters, depths.get(blocks, blocks), stride, name=f"conv{index}")
        if version == "v2":
            x = layers.BatchNormalization(axis=_inputs.channel_axis(), epsilon=_EPSILON, name="post_bn")(x)
            x = layers.Activation("relu", name="post_relu")(x)

        pooling = hp.Choice("pooling", ["avg", "max"], default="avg")
        if pooling == "avg":
            x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        else:
            x = layers.GlobalMaxPooling2D(name="max_pool")(x)
        if not self.include_top:
            return keras.Model(inputs, x, name="ResNet")

        outputs = layers.Dense(self.classes, activation="softmax", name="probs")(x)
        model = keras.Model(inputs, outputs, name="ResNet")
        optimizer = hp.Choice("optimizer", list(_OPTIMIZERS), default="adam")
        learning_rate = hp.Choice("learning_rate", [0.1, 0.01, 0.001], default=0.01)
        model.compile(
            optimizer=_OPTIMIZERS[optimizer](learning_rate=learning_rate),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model


def _stem(x, preact, use_bias):
    """7x7/2 convolution and 3x3/2 max pooling; v2 normalises after the last stage instead."""
    x = layers.ZeroPadding2D(3, name="conv1_pad")(x)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = _batch_norm(x, "conv1_bn")
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    return layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)


def _stage(x, version, filters, blocks, stride, name):
    """``blocks`` bottleneck blocks; the first one projects the shortcut.

    v1 and ResNeXt down-sample in the first block, v2 in the last one.
    """
    for index in range(blocks):
        first, last = index == 0, index == blocks - 1
        block_name = f"{name}_block{index + 1}"
        if version == "v1":
            x = _block_v1(x, filters, stride if first else 1, first, block_name)
        elif version == "v2":
            x = _block_v2(x, filters, stride if last else 1, first, block_name)
        else:
            x = _block_next(x, filters, stride if first else 1, first, block_name)
    return x


def _batch_norm(x, name):
    return layers.BatchNormalization(axis=_inputs.channel_axis(), epsilon=_EPSILON, name=name)(x)


def _block_v1(x, filters, stride, project, name):
    """Conv-BN-ReLU bottleneck (1x1, 3x3, 1x1 to ``4 * filters``); ReLU after the sum."""
    if project:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _batch_norm(shortcut, f"{name}_0_bn")
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(_batch_norm(x, f"{name}_1_bn"))
    x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(_batch_norm(x, f"{name}_2_bn"))
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = _batch_norm(x, f"{name}_3_bn")
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def _block_v2(x, filters, stride, project, name):
    """Pre-activation bottleneck: BN-ReLU first, and nothing after the sum."""
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(_batch_norm(x, f"{name}_preact_bn"))
    if project:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    elif stride > 1:
        shortcut = layers.MaxPooling2D(1, strides=stride, name=f"{name}_0_pool")(x)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = layers.Activation("relu", name=f"{name}_1_relu")(_batch_norm(x, f"{name}_1_bn"))
    x = layers.ZeroPadding2D(1, name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, 3, strides=stride, use_bias=False, name=f"{name}_2_conv")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(_batch_norm(x, f"{name}_2_bn"))
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def _block_next(x, filters, stride, project, name):
    """ResNeXt bottleneck: the 3x3 convolution is split into ``_GROUPS`` groups.

    Keras 3 has grouped convolutions (``Conv2D(groups=...)``), so the
    depthwise-then-sum construction of older Keras applications is not needed.
    """
    width = (64 // _GROUPS) * filters
    if project:
        shortcut = layers.Conv2D(width, 1, strides=stride, use_bias=False, name=f"{name}_0_conv")(x)
        shortcut = _batch_norm(shortcut, f"{name}_0_bn")
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_1_conv")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(_batch_norm(x, f"{name}_1_bn"))
    x = layers.ZeroPadding2D(1, name=f"{name}_2_pad")(x)
    x = layers.Conv2D(
        filters, 3, strides=stride, groups=_GROUPS, use_bias=False, name=f"{name}_2_conv"
    )(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(_batch_norm(x, f"{name}_2_bn"))
    x = layers.Conv2D(width, 1, use_bias=False, name=f"{name}_3_conv")(x)
    x = _batch_norm(x, f"{name}_3_bn")
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)
