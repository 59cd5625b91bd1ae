"""HyperModel: builds a model from hyperparameters, and fits it."""

from tunecore.errors import InvalidArgumentError


class HyperModel:
    """Keras Tuner's hypermodel: subclass it and override :meth:`build`.

    Args:
        name: Optional name.
        tunable: Whether the hyperparameters it declares are tuned.
    """

    def __init__(self, name=None, tunable=True):
        self.name = name
        self.tunable = tunable

    def build(self, hp):
        """Return a model built with the values in ``hp`` (a :class:`HyperParameters`)."""
        raise NotImplementedError(f"{type(self).__name__} must implement build(hp).")

    def declare_hyperparameters(self, hp):
        """Declare hyperparameters up front, before any trial (optional)."""

    def fit(self, hp, model, *args, **kwargs):
        """Train ``model``; override to tune training itself (batch size, shuffling...).

        Returns:
            What ``model.fit`` returns, a float, or a dict of metrics.
        """
        return model.fit(*args, **kwargs)


class FunctionHyperModel(HyperModel):
    """Wraps a ``build(hp)`` function."""

    def __init__(self, build):
        super().__init__(name=getattr(build, "__name__", None))
        self._build = build

    def build(self, hp):
        return self._build(hp)


def as_hypermodel(hypermodel):
    """A :class:`HyperModel` from a HyperModel, a ``build(hp)`` callable, or None."""
    if hypermodel is None or isinstance(hypermodel, HyperModel):
        return hypermodel
    if callable(hypermodel):
        return FunctionHyperModel(hypermodel)
    raise InvalidArgumentError(
        f"The `hypermodel` argument should be either a callable build(hp) or a HyperModel "
        f"instance; got {hypermodel!r}."
    )
