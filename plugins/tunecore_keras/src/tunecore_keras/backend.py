"""Keras's backend: importing Keras, and what a search can do on each backend.

Keras 3 picks its backend (TensorFlow, JAX or PyTorch) once, when it is first
imported, from ``KERAS_BACKEND`` or ``~/.keras/keras.json`` (TensorFlow by
default); one process runs one backend. The plugin imports Keras through
here before anything else, so a backend that is not installed fails with the
extra that installs it; nothing in the plugin imports TensorFlow unless it is
the backend.

Distribution is the one feature that differs between backends: TensorFlow runs
a trial under a ``tf.distribute.Strategy``, JAX under a
``keras.distribution.Distribution`` (Keras implements it on JAX only), PyTorch
under neither. :func:`check_distribution` refuses the others by name.
"""

import importlib.util
import os
from typing import Any

from tunecore.errors import InvalidArgumentError, MissingDependencyError

#: The backends a search can train on, each installed by ``tunecore[keras,<name>]``.
TRAINING_BACKENDS = ("tensorflow", "jax", "torch")


def _installed(module_name: str) -> bool:
    try:
        return importlib.util.find_spec(module_name) is not None
    except (ImportError, ValueError):  # ValueError: a module blocked in sys.modules
        return False


def _install_hint(backend: str) -> str:
    others = [b for b in TRAINING_BACKENDS if b != backend]
    installed = [b for b in others if _installed(b)]
    if installed:
        instead = f"or use an installed backend: KERAS_BACKEND={installed[0]}"
    else:
        instead = "or install another and name it in KERAS_BACKEND: " + ", ".join(
            f"'tunecore[keras,{b}]'" for b in others
        )
    return (
        f"Install it with: pip install 'tunecore[keras,{backend}]', {instead} "
        f"(installed backends: {', '.join(installed) or 'none'})."
    )


def _chosen_by() -> str:
    if os.environ.get("KERAS_BACKEND"):
        return "from KERAS_BACKEND"
    return "from Keras's keras.json or its default; KERAS_BACKEND chooses another"


def _missing_backend(exc: ImportError) -> MissingDependencyError | None:
    """The error naming the extra to install, when ``exc`` is Keras's backend (or Keras) missing."""
    module = (exc.name or "").partition(".")[0]
    if module == "keras":
        return MissingDependencyError(
            f"The Keras tuners need Keras 3 and a backend ({exc}). Install them with: "
            f"pip install 'tunecore[keras,tensorflow]' (or keras,jax or keras,torch)."
        )
    if module not in TRAINING_BACKENDS:
        return None
    return MissingDependencyError(
        f"Keras is set to run on the {module!r} backend ({_chosen_by()}), but "
        f"{module} cannot be imported ({exc}). {_install_hint(module)}"
    )


def _import_keras() -> Any:
    try:
        import keras
    except ImportError as exc:
        error = _missing_backend(exc)
        if error is None:
            raise
        raise error from exc
    except ValueError as exc:  # Keras's "Unable to import backend : <name>"
        # An ImportError, so that tunecore reports it as it is, not as a broken plugin.
        raise MissingDependencyError(
            f"KERAS_BACKEND={os.environ.get('KERAS_BACKEND')!r} is not a Keras backend that "
            f"tunecore can train on ({exc}): use one of {', '.join(TRAINING_BACKENDS)}, each "
            f"installed by pip install 'tunecore[keras,<backend>]'."
        ) from exc
    return keras


keras = _import_keras()


def name() -> str:
    """The backend this process runs Keras on: ``"tensorflow"``, ``"jax"``, ``"torch"``..."""
    return str(keras.backend.backend())


def check_trainable() -> None:
    """Refuse a backend that cannot train a model (Keras's ``numpy`` and ``openvino``).

    Raises:
        InvalidArgumentError: naming the backend and the ones to use.
    """
    if name() not in TRAINING_BACKENDS:
        raise InvalidArgumentError(
            f"Keras runs on the {name()!r} backend ({_chosen_by()}), which cannot "
            f"train models: set KERAS_BACKEND to one of {', '.join(TRAINING_BACKENDS)}."
        )


def _has_base(value: Any, package: str, names: tuple[str, ...]) -> bool:
    # Read from the class, so that checking never imports TensorFlow.
    return any(cls.__module__.startswith(package) and cls.__name__ in names for cls in type(value).__mro__)


def check_distribution(distribution: Any, argument: str = "distribution_strategy") -> None:
    """Check that this backend can run trials under ``distribution``.

    Args:
        distribution: A ``tf.distribute.Strategy`` (TensorFlow backend), a
            ``keras.distribution.Distribution`` (JAX backend), another object
            with a ``scope()`` context manager, or None.
        argument: How the user gave it, for the message.

    Raises:
        InvalidArgumentError: the backend cannot use it; the message names the
            backend and what to use instead.
    """
    if distribution is None:
        return
    backend = name()
    given = f"{argument}={type(distribution).__name__}(...)"
    if _has_base(distribution, "tensorflow.", ("Strategy", "StrategyBase")):
        if backend != "tensorflow":
            raise InvalidArgumentError(
                f"{given} is a tf.distribute strategy, which runs on Keras's TensorFlow backend "
                f"only; this process runs Keras on {backend!r}. {_instead(backend)}"
            )
    elif _has_base(distribution, "keras.", ("Distribution",)):  # Keras exports no base class
        if backend != "jax":
            raise InvalidArgumentError(
                f"{given} is a keras.distribution, which Keras implements on its JAX backend "
                f"only; this process runs Keras on {backend!r}. {_instead(backend)}"
            )
    elif not callable(getattr(distribution, "scope", None)):
        raise InvalidArgumentError(
            f"{argument} must be a tf.distribute.Strategy (TensorFlow backend) or a "
            f"keras.distribution.Distribution (JAX backend); got {distribution!r}."
        )


def _instead(backend: str) -> str:
    if backend == "tensorflow":
        return "Use a tf.distribute strategy instead, e.g. tf.distribute.MirroredStrategy()."
    if backend == "jax":
        return (
            "Use a keras.distribution instead, e.g. "
            "keras.distribution.DataParallel(devices=keras.distribution.list_devices())."
        )
    return (
        f"The {backend!r} backend has no distribution a trial can run under: run trials in "
        f"parallel with search(executor='process', max_parallel_trials=...), or distribute on "
        f"KERAS_BACKEND=tensorflow (tf.distribute) or KERAS_BACKEND=jax (keras.distribution)."
    )


def global_distribution() -> Any:
    """The ``keras.distribution`` set with ``keras.distribution.set_distribution``, if any.

    Keras keeps it in its global state, which ``keras.backend.clear_session``
    (called before each trial) resets; the tuner reads it once, when the search
    starts, and runs each trial under it.
    """
    return keras.distribution.distribution()
