"""Walking a search space: sampling, enumerating and fingerprinting values."""

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tunecore import schedule

if TYPE_CHECKING:
    import random

    import numpy as np

    from tunecore.hyperparameters.base import HyperParameter

_UNSET = object()


def values_hash(values: Mapping[str, Any]) -> str:
    """A fingerprint of a dict of active values, equal for equal configurations.

    Scheduling values are left out but for ``tuner/trial_id`` (see
    :mod:`tunecore.schedule`).
    """
    kept = {
        name: value for name, value in values.items()
        if not schedule.is_scheduling(name) or name == schedule.TRIAL_ID
    }
    text = json.dumps(sorted(kept.items()), default=repr)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def sample_values(space: Iterable["HyperParameter"], rng: "np.random.Generator | random.Random") -> dict[str, Any]:
    """Draw one configuration: each active hyperparameter uniformly in its unit encoding.

    Conditions refer to parents defined earlier, so one pass in definition order
    decides what is active.
    """
    values: dict[str, Any] = {}
    for hp in space:
        if hp.is_active(values):
            values[hp.name] = hp.prob_to_value(rng.random())
    return values


def space_size(space: Iterable["HyperParameter"]) -> float:
    """An upper bound on the number of configurations, or ``math.inf`` if continuous."""
    size = 1
    for hp in space:
        if hp.cardinality is None:
            return math.inf
        size *= hp.cardinality
    return size


def iter_grid(space: Sequence["HyperParameter"],
              values_of: Callable[["HyperParameter"], Iterable[Any]] | None = None) -> Iterator[dict[str, Any]]:
    """Every configuration in Keras Tuner's grid order: the last hyperparameter varies fastest.

    ``values_of(hp)`` gives the values of each hyperparameter in the order to
    try them; by default ``hp.grid_values()``.

    An inactive hyperparameter is left out, so each conditional branch is
    enumerated once. A name defined in several branches takes the values of
    its active definition.
    """
    values: dict[str, Any] = {}

    def walk(i):
        if i == len(space):
            yield dict(values)
            return
        hp = space[i]
        if not hp.is_active(values):
            yield from walk(i + 1)
            return
        previous = values.get(hp.name, _UNSET)
        for value in hp.grid_values() if values_of is None else values_of(hp):
            values[hp.name] = value
            yield from walk(i + 1)
        if previous is _UNSET:
            del values[hp.name]
        else:
            values[hp.name] = previous

    return walk(0)
