"""Plugin discovery, the registries and the lifecycle hooks."""

import inspect
import pathlib
import re
import sys
import textwrap

import pytest

import tunecore as kt
from tunecore import hookspecs, plugins
from tunecore.errors import MissingDependencyError, PluginNotFoundError

_THIRD_PARTY = textwrap.dedent(
    '''
    import tunecore
    from tunecore.oracles import RandomSearch
    from tunecore.trial import TrialStatus

    class AlwaysLow(RandomSearch):
        """Suggests the lowest value first, then random."""

    EVENTS = []

    @tunecore.hookimpl
    def tunecore_register_oracles(register):
        register("always_low", AlwaysLow, aliases=("AlwaysLowOracle",))

    @tunecore.hookimpl
    def tunecore_register_executors(register):
        register("lazy_exec", "tunecore_thirdparty_exec:Missing")

    @tunecore.hookimpl
    def tunecore_trial_end(tuner, trial):
        EVENTS.append(("end", trial.trial_id, trial.status))

    @tunecore.hookimpl
    def tunecore_metrics_reported(oracle, trial, metrics, step):
        EVENTS.append(("metrics", trial.trial_id, dict(metrics), step))
    '''
)


@pytest.fixture
def third_party(install_plugin):
    """A plugin installed the way pip would: a module and a dist-info with entry points."""
    install_plugin("acme-oracle", {"acme_oracle": _THIRD_PARTY}, {"acme": "acme_oracle"}, version="1.2.3")


def test_third_party_oracle_is_found_by_name(third_party):
    cls = kt.oracles.get("always_low")
    assert cls.__name__ == "AlwaysLow"
    assert kt.oracles.AlwaysLowOracle is cls
    assert "always_low" in kt.oracles.available()
    tuner = kt.FunctionTuner(lambda hp: hp.Float("x", 0, 1), oracle="always_low", max_trials=3)
    tuner.search(verbose=0)
    assert len(tuner.oracle.trials) == 3


def test_hook_tunecore_trial_end_and_metrics_reported(third_party):
    import acme_oracle

    acme_oracle.EVENTS.clear()
    kt.tune(lambda hp: hp.Float("x", 0, 1), max_trials=2, verbose=0)
    ends = [e for e in acme_oracle.EVENTS if e[0] == "end"]
    metrics = [e for e in acme_oracle.EVENTS if e[0] == "metrics"]
    assert [e[2] for e in ends] == ["COMPLETED", "COMPLETED"]
    assert [m[1] for m in metrics] == [e[1] for e in ends]
    assert "default_objective" in metrics[0][2]


def test_plugin_listing_names_versions_and_registrations(third_party):
    rows = {name: (version, provides) for name, version, provides in plugins.get_plugin_manager().list_plugins()}
    assert rows["acme"] == ("1.2.3", {"oracle": ["always_low"], "executor": ["lazy_exec"]})
    assert rows["tunecore.oracles._plugin"][1] == {"oracle": ["grid", "random"]}


def test_autoload_can_be_disabled(third_party, fresh_plugins):
    fresh_plugins.setenv(plugins.DISABLE_AUTOLOAD_ENV, "1")
    plugins.reset_plugin_manager()
    assert "always_low" not in kt.oracles.available()
    assert {"grid", "random"} <= set(kt.oracles.available())


def test_unknown_name_lists_installed_suggests_and_names_the_extra(fresh_plugins):
    fresh_plugins.setenv(plugins.DISABLE_AUTOLOAD_ENV, "1")
    with pytest.raises(PluginNotFoundError) as info:
        kt.oracles.get("bayesain")
    assert str(info.value) == (
        "Unknown oracle 'bayesain'. Installed oracles: grid, random. Did you mean 'bayesian'? "
        "It is provided by an optional plugin: pip install 'tunecore[bayes]'."
    )


def test_plugin_names_resolve_as_attributes_or_say_what_to_install(fresh_plugins):
    fresh_plugins.setenv(plugins.DISABLE_AUTOLOAD_ENV, "1")
    with pytest.raises(PluginNotFoundError, match=r"pip install 'tunecore\[bayes\]'"):
        kt.oracles.BayesianOptimizationOracle
    with pytest.raises(PluginNotFoundError, match=r"pip install 'tunecore\[sklearn\]'"):
        kt.tuners.SklearnTuner
    with pytest.raises(PluginNotFoundError, match=r"pip install 'tunecore\[keras\]'"):
        kt.Hyperband
    assert not hasattr(kt.oracles, "NoSuchThing")


def test_dask_executor_without_distributed_names_the_dask_extra(fresh_plugins):
    fresh_plugins.setenv(plugins.DISABLE_AUTOLOAD_ENV, "1")
    fresh_plugins.setitem(sys.modules, "distributed", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'tunecore\[dask\]'"):
        kt.executors.create("dask")


def test_misspelled_hook_fails_loudly_as_that_plugin_being_broken(install_plugin):
    install_plugin(
        "typo-plugin",
        {"typo_plugin": "import tunecore\n@tunecore.hookimpl\ndef tunecore_register_oracle(register):\n    pass\n"},
        {"typo": "typo_plugin"},
    )
    with pytest.warns(plugins.PluginWarning) as record:
        assert {"grid", "random"} <= set(kt.oracles.available())
    [warning] = [w for w in record if issubclass(w.category, plugins.PluginWarning)]
    assert "unknown hook 'tunecore_register_oracle'" in str(warning.message)
    assert "did you mean 'tunecore_register_oracles'?" in str(warning.message)
    assert "typo-plugin" in str(warning.message)
    assert "typo" not in {name for name, _, _ in plugins.get_plugin_manager().list_plugins()}


def test_the_install_hints_match_what_the_first_party_plugins_register(fresh_plugins):
    manager = plugins.get_plugin_manager()
    for registry in (manager.oracles, manager.tuners):
        registered = {
            name: registry.provider(name) for name in registry.all_names()
            if registry.provider(name) in ("bayes", "sklearn", "keras", "optuna")
        }
        assert registered == plugins.KNOWN_PROVIDERS[registry.kind], registry.kind


def test_hook_tunecore_metrics_reported_gets_the_tuner_as_the_other_lifecycle_hooks_do(fresh_plugins):
    seen = []

    class Recorder:
        @kt.hookimpl
        def tunecore_metrics_reported(self, tuner, trial, step, metrics):
            seen.append(("report", tuner, trial.trial_id, step, dict(metrics)))

        @kt.hookimpl
        def tunecore_trial_end(self, tuner, trial):
            seen.append(("end", tuner, trial.trial_id, None, None))

    plugins.get_plugin_manager().pm.register(Recorder())

    def loss(hp, trial):
        trial.report(0, loss=1.0)
        return 0.5

    tuner = kt.FunctionTuner(loss, objective="loss", max_trials=1)
    tuner.search(verbose=0)
    trial_id = next(iter(tuner.oracle.trials))
    assert seen == [("report", tuner, trial_id, 0, {"loss": 1.0}), ("end", tuner, trial_id, None, None)]

    oracle = kt.oracles.RandomSearch(objective="loss", max_trials=1)  # driven without a tuner
    oracle.hyperparameters.Float("x", 0, 1)
    trial = oracle.ask()
    oracle.report(trial.trial_id, 3, loss=0.25)
    assert seen[-1] == ("report", None, trial.trial_id, 3, {"loss": 0.25})


def test_the_docs_hook_table_matches_the_hookspecs():
    page = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "plugins.md").read_text()
    documented = dict(re.findall(r"^\| `(tunecore_\w+)\(([^)]*)\)` \|", page, re.MULTILINE))
    specified = {
        name: ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        for name in dir(hookspecs) if name.startswith("tunecore_")
    }
    assert documented == specified
