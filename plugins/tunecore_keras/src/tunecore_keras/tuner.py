"""The Keras tuner: builds, compiles and fits a model per trial, keeps its best epoch."""

import contextlib
import copy
import json
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from tunecore import callbacks as callbacks_module
from tunecore.errors import (
    FailedTrialError,
    FatalError,
    FatalTypeError,
    FatalValueError,
    NoSavedModelError,
    OversizedModelError,
)
from tunecore.hypermodel import HyperModel
from tunecore.hyperparameters import HyperParameters
from tunecore.oracles import Oracle
from tunecore.signatures import accepts_keyword
from tunecore.storage import paths
from tunecore.trial import Trial, TrialStatus
from tunecore.tuners import BaseTuner
from tunecore_keras import backend, tensorboard_logs, weights
from tunecore_keras import results as results_module
from tunecore_keras.backend import keras
from tunecore_keras.callbacks import BatchTrialCallback, SaveBestEpoch, TrialCallback, check_model_size

logger = logging.getLogger("tunecore")
_KERAS_STATE = threading.Lock()

CHECKPOINT_FILE = "checkpoint.weights.h5"
BUILD_CONFIG_FILE = "build_config.json"


def _any_batch_size(build_config):
    """A model's build config with its batch dimension left open.

    A model built by ``fit`` records the shape of its first batch; loaded from
    that, it would only take batches of that size.
    """
    shape = (build_config or {}).get("input_shape")
    if isinstance(shape, (list, tuple)) and shape and all(d is None or isinstance(d, int) for d in shape):
        return {**build_config, "input_shape": [None, *shape[1:]]}
    return build_config


class Tuner(BaseTuner):
    """Tunes Keras models: Keras Tuner 1.4's ``Tuner``, on tunecore's search loop.

    Each trial builds the hypermodel (inside ``distribution_strategy.scope()``
    when given), compiles it with the tuner's overrides, and calls
    ``hypermodel.fit(hp, model, *args, callbacks=..., **kwargs)`` with the
    arguments of :meth:`search`. Every epoch is reported to the oracle, which
    may stop the trial early; the weights of the best epoch are saved in the
    trial's folder for :meth:`load_model` and :meth:`get_best_models`.

    With ``executions_per_trial > 1`` the executions are not reported live (no
    early stopping): when they are done, the trial reports the mean of each
    epoch over executions, and its score is Keras Tuner's, the mean of the
    executions' best epochs. A model larger than ``max_model_size`` raises
    :class:`~tunecore.errors.OversizedModelError`, which makes its trial INVALID;
    when ``max_consecutive_failed_trials`` trials in a row are oversized, the
    space cannot fit the limit and the search stops with a
    :class:`~tunecore.errors.FatalError` (a ``RuntimeError``, as Keras Tuner's).

    Args:
        oracle: A :class:`~tunecore.oracles.Oracle` instance.
        hypermodel: A :class:`~tunecore.HyperModel` or a function ``build(hp)``
            returning a Keras model. Optional when ``run_trial`` is overridden.
        max_model_size: Models with more parameters are marked INVALID and skipped.
        optimizer: Compile models with this optimizer (a fresh copy per trial).
        loss: Compile models with this loss.
        metrics: Compile models with these metrics.
        distribution_strategy: Each trial builds and fits inside its
            ``scope()``: a ``tf.distribute.Strategy`` on the TensorFlow backend,
            a ``keras.distribution.Distribution`` on JAX (a distribution set
            with ``keras.distribution.set_distribution`` before the search is
            used the same way). PyTorch has none; see :mod:`.backend`.
        directory: Parent folder of the project (default: the working directory).
        project_name: The project's folder (default ``"untitled_project"``).
        logger: Accepted for Keras Tuner compatibility; unused.
        tuner_id: Name of this tuner in the trials it runs.
        overwrite: Delete an existing project instead of resuming it.
        executions_per_trial: Models trained from scratch per trial; their
            metrics are averaged.
        max_retries_per_trial: Overrides the oracle's setting when given.
        max_consecutive_failed_trials: Overrides the oracle's setting when given.
        keep_best_checkpoints: Keep the checkpoints of the best ``k`` trials
            only, deleting the others' as trials end. None (default) keeps all,
            as Keras Tuner does. Refused with an oracle that ranks the trials by
            a model (``best="model"``).
    """

    #: Whether checkpoints may be pruned while the search runs (Hyperband needs them until it ends).
    prune_checkpoints_during_search = True

    def __init__(
        self,
        oracle: Oracle,
        hypermodel: HyperModel | Callable[[HyperParameters], Any] | None = None,
        max_model_size: int | None = None,
        optimizer: Any = None,
        loss: Any = None,
        metrics: Any = None,
        distribution_strategy: Any = None,
        directory: str | os.PathLike[str] | None = None,
        project_name: str | None = None,
        logger: Any = None,
        tuner_id: str | None = None,
        overwrite: bool = False,
        executions_per_trial: int = 1,
        max_retries_per_trial: int | None = None,
        max_consecutive_failed_trials: int | None = None,
        keep_best_checkpoints: int | None = None,
        **kwargs: Any,
    ) -> None:
        if hypermodel is None and type(self).run_trial is Tuner.run_trial:
            raise ValueError(
                f"{type(self).__name__}: Received `hypermodel=None`. Pass a HyperModel or a "
                "function build(hp), or subclass the tuner and override run_trial()."
            )
        if not isinstance(executions_per_trial, int) or executions_per_trial < 1:
            raise ValueError(
                f"executions_per_trial must be an integer >= 1; got {executions_per_trial!r}."
            )
        if keep_best_checkpoints is not None and (
            not isinstance(keep_best_checkpoints, int) or keep_best_checkpoints < 1
        ):
            raise ValueError(
                f"keep_best_checkpoints must be None (keep all) or an integer >= 1; "
                f"got {keep_best_checkpoints!r}."
            )
        if keep_best_checkpoints is not None and oracle.reranks_best:
            raise ValueError(
                f"keep_best_checkpoints={keep_best_checkpoints} deletes the checkpoints of the trials "
                "outside the best ones as the search goes, but this oracle ranks the trials by a model "
                "(best='model'), which can bring a trial whose checkpoint was deleted back to the top. "
                "Keep every checkpoint (keep_best_checkpoints=None) or rank by the observed scores "
                "(best='observed')."
            )
        backend.check_trainable()
        backend.check_distribution(distribution_strategy)
        super().__init__(
            oracle,
            hypermodel,
            directory=directory,
            project_name=project_name,
            logger=logger,
            overwrite=overwrite,
            tuner_id=tuner_id,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
            **kwargs,
        )
        self.max_model_size = max_model_size
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.distribution_strategy = distribution_strategy
        self.executions_per_trial = executions_per_trial
        self.keep_best_checkpoints = keep_best_checkpoints
        self._oversized_in_a_row = 0
        self._global_distribution = None

    # The search --------------------------------------------------------------

    def search(self, *fit_args: Any, **fit_kwargs: Any) -> None:
        """Run the search; arguments go to ``model.fit`` (see :meth:`BaseTuner.search`).

        Inside trials ``fit`` is quiet (``verbose=0``) unless ``verbose`` is
        given, so that Keras's progress bars do not fight the search's line.

        Raises:
            FatalValueError: a callback cannot be deep-copied (each execution gets copies).
            MissingDependencyError: a ``TensorBoard`` callback without tensorboard installed.
            InvalidArgumentError: a ``keras.distribution`` is set, and the backend is not JAX.
        """
        found = backend.global_distribution()
        if found is not None:  # read before the trials' clear_session() resets it
            backend.check_distribution(found, argument="keras.distribution.set_distribution")
            self._global_distribution = found
        callbacks = callbacks_module.split(fit_kwargs.get("callbacks"))[1] or []  # Keras's, for fit
        try:
            copy.deepcopy(callbacks)
        except Exception as exc:
            raise FatalValueError(
                f"All callbacks used during a search should be deep-copyable: every callback "
                f"passed to search() must support copy.deepcopy (each "
                f"execution gets fresh copies); copying {callbacks!r} raised {exc!r}."
            ) from exc
        tensorboard_logs.require(callbacks)
        extra = tensorboard_logs.hparams_callbacks(callbacks)
        if extra:
            ours, others = callbacks_module.split(fit_kwargs.get("callbacks"))
            fit_kwargs["callbacks"] = [*ours, *(others or []), *extra]
        super().search(*fit_args, **fit_kwargs)

    def fit_target(self) -> Callable[..., Any] | None:
        """``keras.Model.fit`` unless ``run_trial`` or the hypermodel's ``fit`` is overridden."""
        if type(self).run_trial is not Tuner.run_trial:
            return self.run_trial
        if self.hypermodel is not None and type(self.hypermodel).fit is HyperModel.fit:
            return keras.Model.fit
        return super().fit_target()

    def trial_scope(self) -> contextlib.AbstractContextManager[Any]:
        # Keras keeps global state (clear_session resets it for everyone), so
        # trials that share a process, as on a threaded Dask worker, take turns.
        return _KERAS_STATE

    def on_search_begin(self) -> None:
        """Called when the search starts, after the space was discovered by building models."""
        # Discovery builds models; release them before the first trial.
        keras.backend.clear_session(free_memory=False)

    def run_trial(self, trial: Trial, *args: Any, **kwargs: Any) -> Any:
        """Build and fit the trial's model ``executions_per_trial`` times.

        Returns:
            What ``hypermodel.fit`` returned, one entry per execution (Keras
            Tuner's list of ``History`` objects).
        """
        # Each trial starts from a clean Keras state, so memory stays flat. Python's
        # own collector frees the old models: a forced gc.collect() takes ~0.8 s
        # with TensorFlow loaded, more than the whole trial's bookkeeping.
        keras.backend.clear_session(free_memory=False)
        os.makedirs(self.get_trial_dir(trial.trial_id), exist_ok=True)
        kwargs.setdefault("verbose", 0)
        try:
            histories = self._run_executions(trial, *args, **kwargs)
        except OversizedModelError as exc:
            self._oversized_in_a_row += 1
            limit = getattr(self.oracle, "max_consecutive_failed_trials", 3)  # a worker's oracle lacks it
            if limit is not None and self._oversized_in_a_row >= limit:
                raise FatalError(
                    f"{exc} {self._oversized_in_a_row} trials in a row built models over "
                    f"max_model_size={self.max_model_size}: raise the limit or shrink the search space."
                ) from exc
            raise
        self._oversized_in_a_row = 0
        return histories

    def _run_executions(self, trial, *args, **kwargs):
        user_callbacks = kwargs.pop("callbacks", None) or []
        checkpoint = SaveBestEpoch(self.oracle.objective, self._checkpoint_path(trial.trial_id))
        live = self.executions_per_trial == 1
        # Where model.fit is the only source of metrics and validates every epoch, the objective
        # must be in the first epoch's logs (a custom fit may compute it after training).
        check = type(self.hypermodel).fit is HyperModel.fit and kwargs.get("validation_freq", 1) == 1
        histories, watchers = [], []
        for execution in range(self.executions_per_trial):
            callbacks = copy.deepcopy(user_callbacks)
            tensorboard_logs.configure(callbacks, trial, None if live else execution)
            watcher = self._trial_callback(trial, live, check)
            watchers.append(watcher)
            result = self._build_and_fit_model(
                trial, *args, callbacks=[*callbacks, watcher, checkpoint], **kwargs
            )
            if watcher.nan_epoch is not None:
                raise FailedTrialError(
                    f"Trial {trial.trial_id}: the loss was {watcher.epochs[watcher.nan_epoch]['loss']} "
                    f"at epoch {watcher.nan_epoch}; training stopped (as TerminateOnNaN does)."
                )
            histories.append(result)
            if watcher.stopped:
                break
        if not live:
            self._report_executions(trial, histories, watchers)
        return histories

    def _trial_callback(self, trial, live, check_objective=False):
        tuner_class = type(self)
        batch_hooks = (
            tuner_class.on_batch_begin is not Tuner.on_batch_begin
            or tuner_class.on_batch_end is not Tuner.on_batch_end
        )
        callback_class = BatchTrialCallback if batch_hooks else TrialCallback
        return callback_class(self, trial, live=live, check_objective=check_objective)

    def _build_and_fit_model(self, trial, *args, **kwargs):
        """Build the model and call ``hypermodel.fit`` (Keras Tuner's hook for AutoKeras)."""
        hp = trial.hyperparameters
        if not accepts_keyword(self.hypermodel.fit, "verbose"):
            kwargs.pop("verbose", None)
        with self._scope():
            model = self._try_build(hp)
            result = self.hypermodel.fit(hp, model, *args, **kwargs)
        build_config = _any_batch_size(model.get_build_config() if model.built else None)
        if build_config is not None:
            # load_model must build a model that build(hp) leaves unbuilt before loading
            # weights; a Hyperband trial's model was built by loading its parent's weights.
            path = os.path.join(self.get_trial_dir(trial.trial_id), BUILD_CONFIG_FILE)
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
            with os.fdopen(paths.open_project_file(path, flags, "The build config of a trial"), "w") as f:
                json.dump(build_config, f)
        return result

    def _try_build(self, hp):
        """Build a trial's model and check it (Hyperband extends it to load weights)."""
        model = self._build_model(hp)
        check_model_size(model, self.max_model_size)
        return model

    def _build_model(self, hp):
        model = self.hypermodel.build(hp)
        if not isinstance(model, keras.Model):
            raise FatalTypeError(
                f"Expected the model-building function (the hypermodel's build(hp)) to return a "
                f"keras.Model; it returned "
                f"{model!r} of type {type(model).__name__}."
            )
        self._override_compile_args(model)
        return model

    def _override_compile_args(self, model):
        if not (self.optimizer or self.loss or self.metrics):
            return
        # Keras keeps the arguments of compile() as given; reading them back (rather
        # than model.metrics, which holds compiled wrappers) keeps the model's own
        # metrics and custom metric functions when only some arguments are overridden.
        config = getattr(model, "_compile_config", None) if model.compiled else None
        kwargs = dict(config.config) if config is not None else {}
        if self.optimizer:
            kwargs["optimizer"] = (
                self.optimizer
                if isinstance(self.optimizer, str)
                else keras.optimizers.deserialize(keras.optimizers.serialize(self.optimizer))
            )
        if self.loss:
            kwargs["loss"] = self.loss
        if self.metrics:
            kwargs["metrics"] = self.metrics
        model.compile(**kwargs)

    def _scope(self):
        distribution = self.distribution_strategy
        if distribution is None:
            distribution = self._global_distribution
        if distribution is None:
            return contextlib.nullcontext()
        return distribution.scope()

    def _report_executions(self, trial, histories, watchers):
        """Report several executions' mean curve, once they all trained every epoch they saw."""
        complete = all(
            isinstance(h, keras.callbacks.History) and list(h.epoch) == list(w.epochs)
            for h, w in zip(histories, watchers)
        )
        if not complete:
            return
        curve = results_module.executions_curve([w.epochs for w in watchers], self.oracle.objective)
        for step, metrics in curve:
            self.oracle.report(trial.trial_id, step, **metrics)

    def results_to_metrics(self, results: Any) -> dict[str, float] | None:
        """Keras ``History`` objects become their best epoch's metrics (see :mod:`.results`)."""
        objective = self.oracle.objective
        if isinstance(results, list):
            results = [results_module.to_metrics(r, objective) for r in results]
        else:
            results = results_module.to_metrics(results, objective)
        return super().results_to_metrics(results)

    # Hooks (Keras Tuner's) ---------------------------------------------------

    def on_epoch_begin(self, trial: Trial, model: Any, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Called at the start of each epoch of a trial's ``fit``."""

    def on_epoch_end(self, trial: Trial, model: Any, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Called at the end of each epoch; ``logs`` holds its metrics (add to it to report more)."""

    def on_batch_begin(self, trial: Trial, model: Any, batch: int, logs: dict[str, Any] | None) -> None:
        """Called before each training batch (overriding it makes Keras wait for every batch)."""

    def on_batch_end(self, trial: Trial, model: Any, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called after each training batch (overriding it makes Keras wait for every batch)."""

    def on_trial_end(self, trial: Trial) -> None:
        if self.prune_checkpoints_during_search:
            self._prune_checkpoints()

    def on_search_end(self) -> None:
        self._prune_checkpoints()

    # Models ------------------------------------------------------------------

    def save_model(self, trial_id: str, model: Any, step: int = 0) -> None:
        """Save ``model``'s weights as the trial's checkpoint."""
        os.makedirs(self.get_trial_dir(trial_id), exist_ok=True)
        weights.save(model, self._checkpoint_path(trial_id))

    def load_model(self, trial: Trial) -> Any:
        """The trial's model, rebuilt from its hyperparameters, with its best epoch's weights.

        Raises:
            NoSavedModelError: the trial has no checkpoint (it never finished an
                epoch, or ``keep_best_checkpoints`` deleted it).
        """
        with self._scope():
            model = self._build_model(trial.hyperparameters)
            self._load_checkpoint(model, trial.trial_id)
        return model

    def _load_checkpoint(self, model, trial_id):
        path = self._checkpoint_path(trial_id)
        if not os.path.exists(path):
            reason = (
                f"keep_best_checkpoints={self.keep_best_checkpoints} keeps only the best trials'"
                if self.keep_best_checkpoints
                else "the trial never finished an epoch"
            )
            raise NoSavedModelError(f"Trial {trial_id} has no checkpoint at {path} ({reason}).")
        build_config = os.path.join(self.get_trial_dir(trial_id), BUILD_CONFIG_FILE)
        if not model.built and os.path.lexists(build_config):
            with os.fdopen(paths.open_project_file(build_config, os.O_RDONLY, "The build config of a trial")) as f:
                model.build_from_config(json.load(f))
        weights.load(model, path)

    def _checkpoint_path(self, trial_id):
        return os.path.join(self.get_trial_dir(trial_id), CHECKPOINT_FILE)

    def _prune_checkpoints(self):
        if self.keep_best_checkpoints is None:
            return
        keep = {t.trial_id for t in self.oracle.get_best_trials(self.keep_best_checkpoints)}
        for trial_id, trial in self.oracle.trials.items():
            if trial_id in keep or trial.status not in TrialStatus.FINISHED:
                continue
            path = self._checkpoint_path(trial_id)
            if os.path.exists(path):
                os.remove(path)
