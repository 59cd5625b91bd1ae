"""TensorBoard's HParams dashboard for any tuner, without TensorFlow.

TensorBoard infers a hyperparameter's domain from the values it saw when no
experiment summary declares it: an ``Int`` becomes a float interval, a log
scale is lost, and nothing says which metric is the search's score. This
callback writes the declared search space instead, with the tensorboard
package's protobufs and record writer only (``pip install 'tunecore[tensorboard]'``).

Layout of ``logdir``::

    logdir/               the experiment: each hyperparameter's declared domain, the metrics
    logdir/<trial_id>/    one run per trial: its values, each reported metric by step,
                          its score (tag ``tunecore/score``) and how it ended

The Keras tuners' ``keras.callbacks.TensorBoard`` logs go to
``<log_dir>/<trial_id>/train`` and ``.../validation``: give this callback the
same folder and HParams shows their per-epoch metrics beside each trial too.

Domains (HParams has no scale field: the description says it):

====================  ==========================================================
``Int``               an integer interval; with a step > 1 or a log scale, the
                      discrete grid of its values (up to 1000 of them)
``Float``             a real interval (its grid, up to 1000 values, with a step)
``Choice``            the discrete set of its values
``Boolean``           ``{False, True}``
``Fixed``             its one value
====================  ==========================================================
"""

import glob
import os
import socket
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tunecore.callbacks import Callback
from tunecore.hyperparameters import Boolean, Choice, Fixed, Float, HyperParameter, HyperParameters, Int
from tunecore.optional import optional_import
from tunecore.storage import paths
from tunecore.trial import Trial, TrialStatus

if TYPE_CHECKING:
    from tunecore.objective import Objective
    from tunecore.oracles.base import Oracle
    from tunecore.tuners.base_tuner import BaseTuner

#: The tag of a trial's score (the objective's best value) in its run.
SCORE_TAG = "tunecore/score"
#: The largest grid declared as a discrete domain; larger ones are intervals.
MAX_DISCRETE = 1000
_EXPERIMENT_SUFFIX = ".tunecore-hparams"


class TensorBoardHParams(Callback):
    """Record every trial of a search for TensorBoard's HParams dashboard.

    Example:
        ```python
        tuner.search(..., callbacks=[tunecore.integrations.TensorBoardHParams("logs/hparams")])
        # then: tensorboard --logdir logs/hparams
        ```

    Args:
        logdir: The folder TensorBoard reads (created if needed).

    Raises:
        MissingDependencyError: tensorboard is not installed (when the search begins).
    """

    def __init__(self, logdir: str | os.PathLike[str]) -> None:
        self.logdir = os.fspath(logdir)
        self._tb: Any = None  # a _TensorBoard once the search begins
        self._writers: dict[str, _EventWriter] = {}
        self._metrics: dict[str, None] = {}

    def on_search_begin(self, tuner: "BaseTuner") -> None:
        self._tb = _TensorBoard()
        os.makedirs(self.logdir, exist_ok=True)
        if tuner.oracle.hyperparameters.space:  # known up front (a hypermodel, a resumed search)
            self._write_experiment(tuner.oracle)

    def on_trial_report(
        self, tuner: "BaseTuner", trial: Trial, step: int, metrics: dict[str, float]
    ) -> None:
        writer = self._writer(trial.trial_id)
        for name, value in metrics.items():
            self._metrics.setdefault(name, None)
            writer.write(self._tb.scalar(name, value), step)

    def on_trial_end(self, tuner: "BaseTuner", trial: Trial) -> None:
        writer = self._writer(trial.trial_id)
        values = {name: _plain(value) for name, value in trial.hyperparameters.values.items()}
        writer.write(self._tb.session_start(values, trial.trial_id, trial.started_at), 0)
        if trial.score is not None:
            writer.write(self._tb.scalar(SCORE_TAG, trial.score), trial.best_step or 0)
        writer.write(self._tb.session_end(trial.status, trial.ended_at), 0)
        writer.close()
        del self._writers[trial.trial_id]

    def on_search_end(self, tuner: "BaseTuner") -> None:
        if self._tb is None:
            return
        for writer in self._writers.values():  # trials interrupted: their runs stay open
            writer.close()
        self._writers.clear()
        self._write_experiment(tuner.oracle)

    def _write_experiment(self, oracle: "Oracle") -> None:
        """The experiment summary: the space as declared now, the score and the metrics seen."""
        for trial in oracle.trials.values():
            self._metrics.update(dict.fromkeys(trial.metrics.metrics))
        experiment = self._tb.experiment(oracle.hyperparameters, oracle.objective, list(self._metrics))
        # TensorBoard keeps the first experiment summary it reads in a run: replace
        # ours (a TensorBoard already running shows the new one once restarted).
        for old in glob.glob(os.path.join(glob.escape(self.logdir), "*tfevents*" + _EXPERIMENT_SUFFIX)):
            os.remove(old)
        writer = _EventWriter(self.logdir, _EXPERIMENT_SUFFIX)
        writer.write(experiment, 0)
        writer.close()

    def _writer(self, trial_id: str) -> "_EventWriter":
        if trial_id not in self._writers:
            if not paths.is_trial_id(trial_id):
                raise ValueError(f"{trial_id!r} is not a valid trial id; it cannot name a run folder.")
            self._writers[trial_id] = _EventWriter(os.path.join(self.logdir, trial_id), ".tunecore")
        return self._writers[trial_id]


def hparams_domain(hp: HyperParameter, hparams_api: Any) -> tuple[Any, str]:
    """``(domain, description)`` of a tunecore hyperparameter in ``tensorboard.plugins.hparams.api``.

    Args:
        hp: A :class:`~tunecore.hyperparameters.HyperParameter`.
        hparams_api: ``tensorboard.plugins.hparams.summary_v2`` (or ``.api``, which
            imports TensorFlow): the module with ``Discrete``, ``IntInterval``...
    """
    kind = type(hp).__name__
    if isinstance(hp, Boolean):
        return hparams_api.Discrete([False, True]), kind
    if isinstance(hp, Fixed):
        return _discrete([hp.value], hparams_api), f"{kind} {hp.value!r}"
    if isinstance(hp, Choice):
        return _discrete(hp.values, hparams_api), kind
    if isinstance(hp, (Int, Float)):
        words = [f"{kind} in [{hp.min_value!r}, {hp.max_value!r}]"]
        if hp.step is not None and not (isinstance(hp, Int) and hp.step == 1 and hp.sampling == "linear"):
            words.append(f"step {hp.step!r}" if hp.sampling == "linear" else f"factor {hp.step!r}")
        if hp.sampling != "linear":
            words.append(f"{hp.sampling.replace('_', ' ')} scale")
        description = ", ".join(words)
        plain_int = isinstance(hp, Int) and hp.step == 1 and hp.sampling == "linear"
        if hp.step is not None and not plain_int and len(hp.grid_values()) <= MAX_DISCRETE:
            return _discrete(list(hp.grid_values()), hparams_api), description
        if isinstance(hp, Int):
            return hparams_api.IntInterval(int(hp.min_value), int(hp.max_value)), description
        return hparams_api.RealInterval(float(hp.min_value), float(hp.max_value)), description
    return None, kind


def _discrete(values: Iterable[Any], hparams_api: Any) -> Any:
    values = [_plain(v) for v in values]
    kinds = {type(v) for v in values}
    if kinds <= {int, float} and len(kinds) == 2:
        values = [float(v) for v in values]
    elif len(kinds) != 1 or not kinds <= {int, float, bool, str}:
        values = [str(v) for v in values]
    return hparams_api.Discrete(values)


def _plain(value: Any) -> bool | int | float | str:
    """A value HParams can hold: bool, int, float or str."""
    if isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "item"):  # a numpy scalar
        return _plain(value.item())
    return str(value)


_STATUS = {
    TrialStatus.COMPLETED: "STATUS_SUCCESS",
    TrialStatus.STOPPED: "STATUS_SUCCESS",
    TrialStatus.FAILED: "STATUS_FAILURE",
    TrialStatus.INVALID: "STATUS_FAILURE",
}


class _TensorBoard:
    """The tensorboard modules this callback uses, imported once, without TensorFlow."""

    def __init__(self) -> None:
        optional_import("tensorboard", "tensorboard")
        # summary_v2 has api's classes; api itself imports TensorFlow (for its Keras callback).
        self.hparams = optional_import("tensorboard.plugins.hparams.summary_v2", "tensorboard")
        self.metadata = optional_import("tensorboard.plugins.hparams.metadata", "tensorboard")
        self.plugin_data = optional_import("tensorboard.plugins.hparams.plugin_data_pb2", "tensorboard")
        self.api_pb2 = optional_import("tensorboard.plugins.hparams.api_pb2", "tensorboard")
        self.scalars = optional_import("tensorboard.plugins.scalar.summary_v2", "tensorboard")
        self.summary_pb2 = optional_import("tensorboard.compat.proto.summary_pb2", "tensorboard")

    def scalar(self, tag: str, value: float) -> Any:
        return self.scalars.scalar_pb(tag, float(value))

    def session_start(self, values: dict[str, Any], trial_id: str, start_time: float | None) -> Any:
        return self.hparams.hparams_pb(values, trial_id=trial_id, start_time_secs=start_time)

    def session_end(self, status: str, end_time: float | None) -> Any:
        info = self.plugin_data.SessionEndInfo(
            status=getattr(self.api_pb2, _STATUS.get(status, "STATUS_UNKNOWN")),
            end_time_secs=end_time or time.time(),
        )
        summary = self.summary_pb2.Summary()
        summary.value.add(
            tag=self.metadata.SESSION_END_INFO_TAG,
            metadata=self.metadata.create_summary_metadata(
                self.plugin_data.HParamsPluginData(session_end_info=info)
            ),
            tensor=self.metadata.NULL_TENSOR,
        )
        return summary

    def experiment(self, space: HyperParameters, objective: "Objective", metric_names: list[str]) -> Any:
        hparams: list[Any] = []
        seen: set[str] = set()
        for hp in space.space:
            if hp.name in seen:  # a name defined in several branches: its first definition
                continue
            seen.add(hp.name)
            domain, description = hparams_domain(hp, self.hparams)
            hparams.append(self.hparams.HParam(hp.name, domain, description=description))
        metrics = [self.hparams.Metric(
            SCORE_TAG, display_name="score",
            description=f"The trial's best {objective.name} ({objective.direction}).",
        )]
        metrics += [self.hparams.Metric(name) for name in metric_names]
        return self.hparams.hparams_config_pb(hparams, metrics)


class _EventWriter:
    """An event file of ``folder``: TensorFlow's record format, written without TensorFlow."""

    def __init__(self, folder: str, suffix: str) -> None:
        record_writer = optional_import("tensorboard.summary.writer.record_writer", "tensorboard")
        self._event_pb2 = optional_import("tensorboard.compat.proto.event_pb2", "tensorboard")
        os.makedirs(folder, exist_ok=True)
        name = f"events.out.tfevents.{time.time():.6f}.{socket.gethostname()}.{os.getpid()}{suffix}"
        self._file = open(os.path.join(folder, name), "wb")
        self._records = record_writer.RecordWriter(self._file)
        self._records.write(
            self._event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2").SerializeToString()
        )

    def write(self, summary: Any, step: int) -> None:
        event = self._event_pb2.Event(wall_time=time.time(), step=int(step), summary=summary)
        self._records.write(event.SerializeToString())
        self._file.flush()

    def close(self) -> None:
        self._file.close()
