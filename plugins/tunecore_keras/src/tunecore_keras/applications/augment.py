"""HyperImageAugment: a search over image augmentations made of Keras random layers.

Each transform (rotate, translate_x, translate_y, contrast) has a strength
factor, tuned within a range. With ``augment_layers=0`` every transform is
applied to every image, one after the other. Otherwise the model is a simple
RandAugment (Cubuk et al., "RandAugment: Practical automated data augmentation
with a reduced search space", 2019): a tuned number of :class:`RandAugment`
layers, each applying to each image one transform picked at random. As with
every Keras random layer, the models change images in training only: at
inference they return their input.
"""

import numbers
from collections.abc import Sequence
from typing import Any

import keras
from keras import layers, ops

from tunecore import HyperModel
from tunecore.hyperparameters import HyperParameters
from tunecore_keras.applications import _inputs

#: Transform name -> function of its strength factor that makes the Keras layer.
TRANSFORMS = {
    "rotate": lambda factor: layers.RandomRotation(factor),
    "translate_x": lambda factor: layers.RandomTranslation(height_factor=0, width_factor=factor),
    "translate_y": lambda factor: layers.RandomTranslation(height_factor=factor, width_factor=0),
    "contrast": lambda factor: layers.RandomContrast(factor),
}


@keras.saving.register_keras_serializable(package="tunecore_keras")
class RandAugment(layers.Layer):
    """Applies to each image one of ``transforms``, picked uniformly at random.

    A transform whose factor is 0 is still picked as often as the others, and
    leaves the images it is picked for unchanged (Keras Tuner's behaviour).

    Args:
        transforms: Names of transforms, keys of :data:`TRANSFORMS`.
        factors: The strength of each transform.
        seed: Seed of the per-image choice.
        **kwargs: Those of ``keras.layers.Layer``.
    """

    def __init__(
        self, transforms: Sequence[str], factors: Sequence[float], seed: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if len(transforms) != len(factors):
            raise ValueError(
                f"RandAugment needs one factor per transform; got transforms={transforms!r} "
                f"and factors={factors!r}."
            )
        unknown = [name for name in transforms if name not in TRANSFORMS]
        if unknown:
            raise ValueError(f"RandAugment got unknown transforms {unknown!r}; known ones: {', '.join(TRANSFORMS)}.")
        self.transforms = list(transforms)
        self.factors = [float(factor) for factor in factors]
        self.seed = seed
        # Transforms with a zero factor get no layer: picking them is the identity.
        self._active_indices = [i for i, factor in enumerate(self.factors) if factor]
        self._active_layers = [TRANSFORMS[self.transforms[i]](self.factors[i]) for i in self._active_indices]
        self._seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape: Any) -> None:
        for layer in self._active_layers:
            layer.build(input_shape)

    def call(self, images: Any, training: bool | None = None) -> Any:
        if not training or not self._active_layers:
            return images
        batch_size = ops.shape(images)[0]
        picked = keras.random.randint((batch_size,), 0, len(self.transforms), seed=self._seed_generator)
        picked = ops.reshape(picked, (-1,) + (1,) * (len(images.shape) - 1))
        output = images
        for index, layer in zip(self._active_indices, self._active_layers):
            output = ops.where(ops.equal(picked, index), layer(images, training=True), output)
        return output

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "transforms": self.transforms,
                "factors": self.factors, "seed": self.seed}


class HyperImageAugment(HyperModel):
    """An image augmentation hypermodel (Keras Tuner's ``applications.HyperImageAugment``).

    Its models map images of shape (height, width, channels) to images of the
    same shape; use one as the ``augmentation_model`` of another hypermodel
    (e.g. :class:`~tunecore_keras.applications.HyperEfficientNet`) or as the
    first layer of a model.

    Each transform argument sets the search range of that transform's factor,
    ``factor_<transform>``: a number ``x`` searches [0, x], a pair ``[x, y]``
    searches [x, y], and None (or 0) leaves the transform out. The default of
    a factor is the low end of its range. The factors mean what the Keras
    layers' do: ``rotate`` is a fraction of a full turn (``RandomRotation``),
    ``translate_x`` and ``translate_y`` fractions of the width and the height
    (``RandomTranslation``), ``contrast`` a ``RandomContrast`` factor.

    Args:
        input_shape: Shape of one image, e.g. ``(32, 32, 3)``; None sizes are
            allowed. One of ``input_shape`` and ``input_tensor`` is required.
        input_tensor: A Keras tensor (e.g. ``keras.Input(...)``) to build on.
        rotate: Range of ``factor_rotate`` (default 0.5).
        translate_x: Range of ``factor_translate_x`` (default 0.4).
        translate_y: Range of ``factor_translate_y`` (default 0.4).
        contrast: Range of ``factor_contrast`` (default 0.3).
        augment_layers: 0 (or None) applies every transform, in the order
            above, each with its tuned factor: the model is named
            ``"image_augment"``. An int ``n`` or a pair ``[m, n]`` builds a
            ``"image_rand_augment"`` model of ``augment_layers`` (tuned in [0,
            n] or [m, n], default the low end) :class:`RandAugment` layers; the
            factors are then tuned without a step, and defined only when at
            least one layer is built (as in Keras Tuner).
        **kwargs: ``name`` and ``tunable``, as for :class:`tunecore.HyperModel`.

    Raises:
        ValueError: neither ``input_shape`` nor ``input_tensor`` is given, or
            a range or ``augment_layers`` is not as described.

    Example:
        ``HyperImageAugment(input_shape=(32, 32, 3), augment_layers=0,
        rotate=[0.2, 0.3], translate_x=0.1, translate_y=None, contrast=None)``
        tunes ``factor_rotate`` in [0.2, 0.3] and ``factor_translate_x`` in
        [0, 0.1], and applies both transforms to every image.
    """

    def __init__(
        self,
        input_shape: Sequence[int | None] | None = None,
        input_tensor: Any = None,
        rotate: float | Sequence[float] | None = 0.5,
        translate_x: float | Sequence[float] | None = 0.4,
        translate_y: float | Sequence[float] | None = 0.4,
        contrast: float | Sequence[float] | None = 0.3,
        augment_layers: int | Sequence[int] | None = 3,
        **kwargs: Any,
    ) -> None:
        _inputs.check_input(type(self).__name__, input_shape, input_tensor)
        self.input_shape = input_shape
        self.input_tensor = input_tensor
        #: ``[(transform name, (factor min, factor max))]``, for the transforms in use.
        self.transforms: list[tuple[str, tuple[float, float]]] = []
        for name, value in (("rotate", rotate), ("translate_x", translate_x),
                            ("translate_y", translate_y), ("contrast", contrast)):
            if value:
                self.transforms.append((name, _factor_range(name, value)))
        if augment_layers:
            self.model_name = "image_rand_augment"
            self.augment_layers_min, self.augment_layers_max = _layers_range(augment_layers)
        else:
            self.model_name = "image_augment"
        super().__init__(**kwargs)

    def build(self, hp: HyperParameters) -> Any:
        inputs, x = _inputs.image_input(self.input_shape, self.input_tensor)
        if self.model_name == "image_rand_augment":
            x = self._rand_augment(x, hp)
        else:
            x = self._every_transform(x, hp)
        return keras.Model(inputs, x, name=self.model_name)

    def _rand_augment(self, x, hp):
        count = hp.Int(
            "augment_layers", self.augment_layers_min, self.augment_layers_max,
            default=self.augment_layers_min,
        )
        for _ in range(count):
            factors = [hp.Float(f"factor_{name}", low, high, default=low)
                       for name, (low, high) in self.transforms]
            x = RandAugment([name for name, _ in self.transforms], factors)(x)
        return x

    def _every_transform(self, x, hp):
        for name, (low, high) in self.transforms:
            factor = hp.Float(f"factor_{name}", low, high, step=0.05, default=low)
            if factor:
                x = TRANSFORMS[name](factor)(x)
        return x


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _factor_range(name, value):
    """``(low, high)`` from a transform argument: a number ``x`` (``(0, x)``) or a pair."""
    if _is_number(value):
        return (0, value)
    if isinstance(value, (list, tuple)):
        if len(value) > 2:
            raise ValueError(
                f"HyperImageAugment got {name}={value!r}: the length of a range must not "
                f"exceed 2; pass [low, high], e.g. {name}=[0.1, 0.3], or one number x for [0, x]."
            )
        if len(value) == 2 and all(_is_number(v) for v in value):
            return (value[0], value[1])
    raise ValueError(
        f"HyperImageAugment got {name}={value!r}: it must be int or float (x searches "
        f"[0, x]), a pair of int or float [low, high], or None to leave {name} out."
    )


def _layers_range(augment_layers):
    """``(low, high)`` from ``augment_layers``: an int ``n`` (``(0, n)``) or a pair of ints."""
    pair = (0, augment_layers) if not isinstance(augment_layers, (list, tuple)) else tuple(augment_layers)
    valid = len(pair) == 2 and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in pair)
    if not valid or pair[0] > pair[1]:
        raise ValueError(
            f"HyperImageAugment got augment_layers={augment_layers!r}: it must be int (n "
            "searches 0 to n layers), a pair of int [min, max] with 0 <= min <= max, or 0 "
            "to apply every transform to every image."
        )
    return pair
