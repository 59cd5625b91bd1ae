"""HyperModel: builds a model from hyperparameters, and fits it."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tunecore.errors import InvalidArgumentError
from tunecore.signatures import binding_error

if TYPE_CHECKING:
    from tunecore.hyperparameters import HyperParameters


class HyperModel:
    """Keras Tuner's hypermodel: subclass it and override :meth:`build`.

    Args:
        name: Optional name.
        tunable: Whether the hyperparameters it declares are tuned.
    """

    def __init__(self, name: str | None = None, tunable: bool = True) -> None:
        self.name = name
        self.tunable = tunable

    def build(self, hp: "HyperParameters") -> Any:
        """Return a model built with the values in ``hp`` (a :class:`HyperParameters`)."""
        raise NotImplementedError(f"{type(self).__name__} must implement build(hp).")

    def declare_hyperparameters(self, hp: "HyperParameters") -> None:
        """Declare hyperparameters up front, before any trial (optional)."""

    def fit(self, hp: "HyperParameters", model: Any, *args: Any, **kwargs: Any) -> Any:
        """Train ``model``; override to tune training itself (batch size, shuffling...).

        Returns:
            What ``model.fit`` returns, a float, or a dict of metrics.
        """
        return model.fit(*args, **kwargs)


class DefaultHyperModel(HyperModel):
    """Wraps a ``build(hp)`` function.

    Args:
        build: Returns a model built with the values in ``hp``.
    """

    def __init__(self, build: Callable[["HyperParameters"], Any]) -> None:
        super().__init__(name=getattr(build, "__name__", None))
        self._build = build

    def build(self, hp: "HyperParameters") -> Any:
        return self._build(hp)


def as_hypermodel(
    hypermodel: HyperModel | Callable[["HyperParameters"], Any] | None,
) -> HyperModel | None:
    """A :class:`HyperModel` from a HyperModel, a ``build(hp)`` callable, or None.

    Raises:
        InvalidArgumentError: ``hypermodel`` is none of these.
    """
    if hypermodel is None:
        return hypermodel
    if isinstance(hypermodel, type) and issubclass(hypermodel, HyperModel):
        raise InvalidArgumentError(
            f"The `hypermodel` argument is the class {hypermodel.__name__}; pass an instance of it: "
            f"hypermodel={hypermodel.__name__}()."
        )
    build = hypermodel.build if isinstance(hypermodel, HyperModel) else hypermodel
    if callable(build):
        mismatch = binding_error(build, (None,), {})
        if mismatch is not None:  # every trial would fail the same way
            raise InvalidArgumentError(
                f"The `hypermodel` argument should be a callable build(hp), which is called with the "
                f"trial's hyperparameters as its one argument; {mismatch}."
            )
        return hypermodel if isinstance(hypermodel, HyperModel) else DefaultHyperModel(hypermodel)
    raise InvalidArgumentError(
        f"The `hypermodel` argument should be either a callable build(hp) or a HyperModel "
        f"instance; got {hypermodel!r}."
    )
