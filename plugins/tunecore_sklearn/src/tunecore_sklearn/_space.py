"""A scikit-learn parameter space as tunecore hyperparameters, and trial values as parameters."""

from collections.abc import Mapping
from typing import Any

from tunecore import schedule
from tunecore.errors import InvalidSpaceError, InvalidSpaceTypeError
from tunecore.hyperparameters import Choice, HyperParameter, HyperParameters


class ParameterSpace:
    """Translates between ``search_space`` and an oracle's hyperparameters.

    Args:
        search_space: A dict mapping estimator parameter names (``"C"``,
            ``"svc__C"``) to tunecore hyperparameters named like their key, or to
            lists of values; or a :class:`tunecore.HyperParameters` whose names
            are parameter names (it may hold conditions).
        resource: The estimator parameter that receives a budgeting oracle's
            ``tuner/epochs`` (e.g. ``"n_estimators"``), or None.

    Raises:
        InvalidSpaceTypeError: A value is neither a hyperparameter nor a list.
        InvalidSpaceError: A hyperparameter's name differs from its key.
    """

    def __init__(
        self, search_space: Mapping[str, Any] | HyperParameters, resource: str | None = None
    ) -> None:
        self.resource = resource
        self._objects: dict[str, list[Any]] = {}
        if isinstance(search_space, HyperParameters):
            self.hyperparameters = search_space.copy()
            return
        if not isinstance(search_space, dict):
            raise InvalidSpaceTypeError(
                f"search_space must be a dict of parameter names to hyperparameters or lists, "
                f"or a tunecore HyperParameters; got {type(search_space).__name__}."
            )
        self.hyperparameters = HyperParameters()
        for name, definition in search_space.items():
            self.hyperparameters.register(self._hyperparameter(name, definition))

    def _hyperparameter(self, name, definition):
        if isinstance(definition, HyperParameter):
            if definition.name != name:
                raise InvalidSpaceError(
                    f"search_space[{name!r}] is a hyperparameter named {definition.name!r}; "
                    f"name it like its key: {type(definition).__name__}({name!r}, ...)."
                )
            return definition
        if isinstance(definition, (list, tuple)):
            try:
                return Choice(name, definition)
            except InvalidSpaceTypeError:
                # Estimators, None, mixed types: choose among their positions.
                self._objects[name] = list(definition)
                return Choice(name, list(range(len(definition))), ordered=False)
        raise InvalidSpaceTypeError(
            f"search_space[{name!r}] must be a tunecore hyperparameter (e.g. "
            f"tunecore.hyperparameters.Float({name!r}, 1e-3, 1e3, sampling='log')) or a list "
            f"of values; got {definition!r}."
        )

    def params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Estimator parameters for a trial's active ``values``.

        Raises:
            ValueError: The oracle set a budget but no ``resource`` parameter is named.
        """
        params: dict[str, Any] = {}
        for name, value in values.items():
            if name == schedule.EPOCHS:
                if self.resource is None:
                    raise ValueError(
                        f"The oracle gives each trial a budget ({name}={value!r}); name the "
                        "estimator parameter it sets with resource=..., e.g. "
                        "resource='n_estimators' or resource='max_iter'."
                    )
                params[self.resource] = value
            elif not schedule.is_scheduling(name):
                params[name] = self._objects[name][value] if name in self._objects else value
        return params
