"""HyperEfficientNet: one of ``keras.applications``' EfficientNets B0-B7 with a new head.

Tan and Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural
Networks" (2019). The images are resized to the resolution each version was
designed for (224 pixels for B0 to 600 for B7), go through the version's
convolutional base, then through a pooled, dropped-out softmax head. As in
Keras Tuner 1.4 the base is built with ImageNet weights by default, which
Keras downloads on first use; ``weights=None`` (a tunecore addition) trains
the base from scratch and downloads nothing.
"""

from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from tunecore import HyperModel
from tunecore.hyperparameters import HyperParameters
from tunecore_keras.applications import _inputs

#: Version -> (``keras.applications`` constructor, image size it was designed for).
VERSIONS = {
    "B0": ("EfficientNetB0", 224),
    "B1": ("EfficientNetB1", 240),
    "B2": ("EfficientNetB2", 260),
    "B3": ("EfficientNetB3", 300),
    "B4": ("EfficientNetB4", 380),
    "B5": ("EfficientNetB5", 456),
    "B6": ("EfficientNetB6", 528),
    "B7": ("EfficientNetB7", 600),
}


class HyperEfficientNet(HyperModel):
    """An EfficientNet hypermodel (Keras Tuner's ``applications.HyperEfficientNet``).

    Models take images of shape ``input_shape``, pass them through
    ``augmentation_model`` when given, and output ``classes`` softmax
    probabilities. :meth:`_compile` compiles them with SGD (momentum 0.1),
    ``categorical_crossentropy`` (one-hot labels) and the ``accuracy`` metric;
    override it to compile differently.

    Hyperparameters: ``version`` (``"B0"`` to ``"B7"``; default ``"B0"``),
    ``pooling`` (``"avg"``, ``"max"``), ``top_dropout_rate`` (0.2 to 0.8 by
    0.2; default 0.2), ``learning_rate`` (0.1, 0.01, 0.001; default 0.01),
    plus those of ``augmentation_model`` when it is a hypermodel.

    Args:
        input_shape: Shape of one image, e.g. ``(256, 256, 3)``. One of
            ``input_shape`` and ``input_tensor`` is required.
        input_tensor: A Keras tensor (e.g. ``keras.Input(...)``) to build on.
        classes: Number of classes (required).
        augmentation_model: Optional ``keras.Model``, or
            :class:`~tunecore.HyperModel` built with the same hyperparameters
            (e.g. :class:`~tunecore_keras.applications.HyperImageAugment`),
            applied to the images first.
        weights: Passed to the ``keras.applications`` constructor:
            ``"imagenet"`` (Keras Tuner's behaviour: pre-trained, downloaded
            by Keras), None (random initialisation) or a weights file.
        **kwargs: ``name`` and ``tunable``, as for :class:`tunecore.HyperModel`.

    Raises:
        ValueError: ``augmentation_model`` is of another type, ``classes`` is
            missing, or neither ``input_shape`` nor ``input_tensor`` is given.
    """

    def __init__(
        self,
        input_shape: Sequence[int | None] | None = None,
        input_tensor: Any = None,
        classes: int | None = None,
        augmentation_model: Any = None,
        *,
        weights: str | None = "imagenet",
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        if not isinstance(augmentation_model, (HyperModel, keras.Model, type(None))):
            raise ValueError(
                f"{owner} got augmentation_model={augmentation_model!r} "
                f"({type(augmentation_model).__name__}); it must be a keras.Model, a "
                "tunecore HyperModel (e.g. HyperImageAugment(...)) or None."
            )
        _inputs.check_classes(owner, classes)
        _inputs.check_input(owner, input_shape, input_tensor)
        super().__init__(**kwargs)
        self.input_shape = input_shape
        self.input_tensor = input_tensor
        self.classes = classes
        self.augmentation_model = augmentation_model
        self.weights = weights

    def build(self, hp: HyperParameters) -> Any:
        inputs, x = _inputs.image_input(self.input_shape, self.input_tensor)
        if isinstance(self.augmentation_model, HyperModel):
            x = self.augmentation_model.build(hp)(x)
        elif self.augmentation_model is not None:
            x = self.augmentation_model(x)

        version = hp.Choice("version", list(VERSIONS), default="B0")
        constructor, size = VERSIONS[version]
        x = layers.Resizing(size, size, interpolation="bilinear")(x)
        base = getattr(keras.applications, constructor)(
            include_top=False, weights=self.weights, input_tensor=x
        )
        x = base.output

        pooling = hp.Choice("pooling", ["avg", "max"], default="avg")
        if pooling == "avg":
            x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        else:
            x = layers.GlobalMaxPooling2D(name="max_pool")(x)
        rate = hp.Float("top_dropout_rate", min_value=0.2, max_value=0.8, step=0.2, default=0.2)
        x = layers.Dropout(rate, name="top_dropout")(x)
        outputs = layers.Dense(self.classes, activation="softmax", name="probs")(x)

        model = keras.Model(inputs, outputs, name="EfficientNet")
        self._compile(model, hp)
        return model

    def _compile(self, model: Any, hp: HyperParameters) -> None:
        """Compile ``model``, defining the training hyperparameters in ``hp``.

        Keras Tuner documents this method as the one to override to compile
        differently (another optimizer, loss or metrics); ``build`` calls it
        last, on the complete model.
        """
        learning_rate = hp.Choice("learning_rate", [0.1, 0.01, 0.001], default=0.01)
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.1),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
