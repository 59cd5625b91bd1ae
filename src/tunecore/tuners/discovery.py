"""Space discovery: the hyperparameters a hypermodel defines, known before the first trial.

Keras Tuner builds the hypermodel in the tuner's constructor so that the space
is known (and shown) at once; it builds once per conditional branch so that a
model-based oracle sees the whole space up front. A build that raises ends the
discovery: the trials will report the error.
"""

import logging
from typing import Any

from tunecore.hypermodel import HyperModel
from tunecore.hyperparameters import HyperParameters
from tunecore.oracles.base import Oracle

logger = logging.getLogger("tunecore")

_MAX_DISCOVERY_BUILDS = 100

#: ``(parent, value)`` assignments, outermost first, that make a branch active.
Path = tuple[tuple[str, Any], ...]


def populate_initial_space(oracle: Oracle, hypermodel: HyperModel | None, build: bool = True) -> None:
    """Declare ``hypermodel``'s hyperparameters in ``oracle``'s space, and with ``build``,
    build it once per conditional branch to meet the conditional ones.

    On resume, the hypermodel's definitions are first checked against the project's.
    """
    if hypermodel is None:
        return
    if oracle.trials:
        _check_definitions(oracle, hypermodel)
    hp = oracle.get_space()
    hypermodel.declare_hyperparameters(hp)
    oracle.update_space(hp)
    if build:
        _discover_conditional_space(oracle, hypermodel)


def _check_definitions(oracle: Oracle, hypermodel: HyperModel) -> None:
    """On resume, build once on a fresh space: the hypermodel's definitions must be the project's."""
    fresh = HyperParameters()
    try:
        hypermodel.declare_hyperparameters(fresh)
        hypermodel.build(fresh)
    except Exception as exc:
        logger.debug("Checking the definitions stopped: build raised %r", exc)
    oracle.check_definitions(fresh)


def _discover_conditional_space(oracle: Oracle, hypermodel: HyperModel) -> None:
    """Build once per branch of the space, to meet every conditional hyperparameter.

    Branches come from the conditional scopes a build entered (active or not),
    and from each value of every parent of a known condition; a nested branch
    is built with its ancestors' values.
    """
    explored: set[Path] = set()
    scopes: set[Path] = set()
    hp = oracle.get_space()
    for _ in range(_MAX_DISCOVERY_BUILDS):
        try:
            hypermodel.build(hp)
        except Exception as exc:
            logger.debug("Space discovery stopped: build raised %r", exc)
            return
        oracle.update_space(hp)
        scopes |= hp.scopes
        path = _unexplored_path(oracle.hyperparameters, explored, scopes)
        if path is None:
            return
        explored.add(path)
        hp = oracle.get_space()
        for name, value in path:
            hp.assign(name, value)
        hp.ensure_active_values()


def _unexplored_path(space: HyperParameters, explored: set[Path], scopes: set[Path]) -> Path | None:
    """The ``(parent, value)`` assignments of a branch not built yet, outermost first, or None."""
    for scope in sorted(scopes, key=len):
        if scope not in explored:
            return scope
    branch = _unexplored_branch(space, {path[-1] for path in explored})
    return None if branch is None else (*_activating(space, branch[0]), branch)


def _activating(space: HyperParameters, name: str, seen: frozenset[str] = frozenset()) -> list[tuple[str, Any]]:
    """``(parent, value)`` pairs, outermost first, that make ``name`` active."""
    if name in seen or not space.is_defined(name):
        return []
    path: list[tuple[str, Any]] = []
    for condition in space.get_hyperparameter(name).conditions:
        path += [*_activating(space, condition.name, seen | {name}), (condition.name, condition.values[0])]
    return path


def _unexplored_branch(space: HyperParameters, explored: set[tuple[str, Any]]) -> tuple[str, Any] | None:
    parents = []
    for hp in space.space:
        for condition in hp.conditions:
            if condition.name not in parents:
                parents.append(condition.name)
    for name in parents:
        parent = space.get_hyperparameter(name)
        for value in parent.grid_values():
            if (name, value) not in explored:
                return (name, value)
    return None
