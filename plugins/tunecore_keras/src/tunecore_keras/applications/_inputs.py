"""The checks and the image input that the application hypermodels share."""

import numbers
from collections.abc import Sequence
from typing import Any

import keras

from tunecore import HyperModel


def check_input(owner: str, input_shape: Sequence[int | None] | None, input_tensor: Any) -> None:
    """Raise unless ``owner`` (a class name, for the message) was given an image input."""
    if input_shape is None and input_tensor is None:
        raise ValueError(
            f"{owner} needs to know its images: you must specify either `input_shape` "
            "(e.g. input_shape=(32, 32, 3)) or `input_tensor` (e.g. "
            "input_tensor=keras.Input((32, 32, 3))); both are None."
        )


def check_classes(owner: str, classes: object, when: str = "") -> None:
    """Raise unless ``classes`` is a positive integer; ``when`` says why it is needed."""
    if isinstance(classes, bool) or not isinstance(classes, numbers.Integral) or classes < 1:
        raise ValueError(
            f"{owner} got classes={classes!r}: you must specify `classes`{when}, the number "
            "of classes to classify images into, as a positive integer (e.g. classes=10)."
        )


def image_input(input_shape: Sequence[int | None] | None, input_tensor: Any) -> tuple[Any, Any]:
    """The model's inputs, and the tensor its first layer is applied to.

    ``input_tensor`` wins over ``input_shape``, as in ``keras.applications``;
    it may be an intermediate tensor, in which case the model starts at the
    ``keras.Input`` it comes from.
    """
    if input_tensor is not None:
        return keras.utils.get_source_inputs(input_tensor), input_tensor
    inputs = keras.Input(shape=input_shape)
    return inputs, inputs


def channel_axis() -> int:
    """The axis of the channels in an image batch, per Keras's image data format."""
    return -1 if keras.config.image_data_format() == "channels_last" else 1


class ImageClassifier(HyperModel):
    """The arguments HyperResNet and HyperXception share, checked once (see their docstrings)."""

    def __init__(
        self,
        include_top: bool = True,
        input_shape: Sequence[int | None] | None = None,
        input_tensor: Any = None,
        classes: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if include_top:
            check_classes(type(self).__name__, classes, when=" when include_top=True")
        check_input(type(self).__name__, input_shape, input_tensor)
        self.include_top = include_top
        self.input_shape = input_shape
        self.input_tensor = input_tensor
        self.classes = classes
