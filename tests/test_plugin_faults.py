"""One broken plugin breaks nothing: it is skipped, named, and everything else works."""

import pytest

import tunecore as kt
from tunecore import plugins
from tunecore.cli import main
from tunecore.errors import MissingDependencyError, PluginNotFoundError
from tunecore.oracles import RandomSearch

_GOOD = """
    import tunecore
    from tunecore.oracles import RandomSearch

    class Good(RandomSearch):
        pass

    @tunecore.hookimpl
    def tunecore_register_oracles(register):
        register("good", Good)
"""

_FAILS_AT_IMPORT = """
    import tunecore
    import acme_dependency_that_is_not_installed
"""

_HOOK_RAISES = """
    import tunecore
    from tunecore.oracles import RandomSearch

    EVENTS = []

    class Half(RandomSearch):
        pass

    @tunecore.hookimpl
    def tunecore_register_oracles(register):
        register("half", Half)

    @tunecore.hookimpl
    def tunecore_register_tuners(register):
        raise RuntimeError("tuner table is corrupt")

    @tunecore.hookimpl
    def tunecore_trial_end(tuner, trial):
        EVENTS.append(trial.trial_id)
"""


def _plugin_warnings(record):
    return [str(w.message) for w in record if issubclass(w.category, plugins.PluginWarning)]


def _search_with_random():
    tuner = kt.FunctionTuner(lambda hp: hp.Float("x", 0, 1), oracle="random", max_trials=2)
    tuner.search(verbose=0)
    return tuner


def test_plugin_failing_at_import_is_skipped_with_one_warning(install_plugin):
    install_plugin("acme-good", {"acme_good": _GOOD}, {"good": "acme_good"})
    install_plugin("acme-broken", {"acme_broken": _FAILS_AT_IMPORT}, {"broken": "acme_broken"}, version="2.0")
    with pytest.warns(plugins.PluginWarning) as record:
        assert {"good", "grid", "random"} <= set(kt.oracles.available())
        assert len(_search_with_random().oracle.trials) == 2
        kt.oracles.get("good")
    [message] = _plugin_warnings(record)
    assert "'broken = acme_broken'" in message
    assert "acme-broken 2.0" in message
    assert "ModuleNotFoundError: No module named 'acme_dependency_that_is_not_installed'" in message
    assert "broken" not in {name for name, _, _ in plugins.get_plugin_manager().list_plugins()}


def test_plugin_whose_registration_hook_raises_is_skipped_entirely(install_plugin):
    install_plugin("acme-half", {"acme_half": _HOOK_RAISES}, {"half": "acme_half"})
    with pytest.warns(plugins.PluginWarning) as record:
        assert len(_search_with_random().oracle.trials) == 2
    [message] = _plugin_warnings(record)
    assert "'half = acme_half'" in message and "acme-half 0.1" in message
    assert "tunecore_register_tuners raised RuntimeError: tuner table is corrupt" in message
    # Nothing of a skipped plugin is half-installed: neither its names nor its lifecycle hooks.
    assert "half" not in kt.oracles.available()
    import acme_half

    assert acme_half.EVENTS == []


def test_plugin_passing_aliases_as_a_string_is_broken(install_plugin):
    source = """
        import tunecore
        from tunecore.oracles import RandomSearch

        @tunecore.hookimpl
        def tunecore_register_oracles(register):
            register("spelled", RandomSearch, aliases="SpelledOracle")
    """
    install_plugin("acme-spelled", {"acme_spelled": source}, {"spelled": "acme_spelled"})
    with pytest.warns(plugins.PluginWarning) as record:
        names = plugins.get_plugin_manager().oracles.all_names()
    [message] = _plugin_warnings(record)
    assert "aliases='SpelledOracle'" in message and "('SpelledOracle',)" in message
    assert "spelled" not in names and "S" not in names


def test_cli_lists_a_broken_plugin_with_its_reason_and_exits_0(install_plugin, capsys, recwarn):
    install_plugin("acme-broken", {"acme_broken": _FAILS_AT_IMPORT}, {"broken": "acme_broken"}, version="2.0")
    assert main(["plugins"]) == 0
    out, err = capsys.readouterr()
    assert "tunecore.oracles._plugin builtin — oracles: grid, random" in out
    assert (
        "broken 2.0 — BROKEN, skipped: entry point 'broken = acme_broken' of acme-broken: "
        "import failed: ModuleNotFoundError: No module named 'acme_dependency_that_is_not_installed'"
    ) in out
    assert "Traceback" not in out + err
    assert not [w for w in recwarn if issubclass(w.category, plugins.PluginWarning)]


def test_plugin_cannot_replace_a_builtin_name_or_alias(install_plugin):
    source = """
        import tunecore
        from tunecore.oracles import RandomSearch

        class Impostor(RandomSearch):
            pass

        @tunecore.hookimpl
        def tunecore_register_oracles(register):
            register("random", Impostor, aliases=("ImpostorOracle",))
            register("mine", Impostor, aliases=("GridSearch", "MineOracle"))
    """
    install_plugin("acme-impostor", {"acme_impostor": source}, {"impostor": "acme_impostor"})
    with pytest.warns(plugins.PluginWarning) as record:
        assert kt.oracles.get("random") is RandomSearch
    assert kt.oracles.get("GridSearch").__name__ == "GridSearch"
    assert kt.oracles.get("mine").__name__ == "Impostor"
    assert kt.oracles.get("MineOracle").__name__ == "Impostor"
    assert "ImpostorOracle" not in plugins.get_plugin_manager().oracles.all_names()
    messages = _plugin_warnings(record)
    assert len(messages) == 2
    for refused, message in zip(("'random'", "'GridSearch'"), messages):
        assert f"oracle {refused}" in message
        assert "plugin 'impostor' (entry point 'impostor = acme_impostor' of acme-impostor 0.1)" in message
        assert "built-in plugin 'tunecore.oracles._plugin' registered it first" in message


def test_cli_lists_the_names_a_plugin_was_refused(install_plugin, capsys, recwarn):
    source = """
        import tunecore
        from tunecore.oracles import RandomSearch

        @tunecore.hookimpl
        def tunecore_register_oracles(register):
            register("random", RandomSearch)
            register("mine", RandomSearch)
    """
    install_plugin("acme-impostor", {"acme_impostor": source}, {"impostor": "acme_impostor"})
    assert main(["plugins"]) == 0
    assert (
        "impostor 0.1 — oracles: mine; refused, already registered: oracle 'random' "
        "(by tunecore.oracles._plugin)"
    ) in capsys.readouterr().out


def test_two_plugins_registering_one_name_the_first_loaded_wins(install_plugin):
    for letter in "ab":
        source = f"""
            import tunecore
            from tunecore.oracles import RandomSearch

            class Shared_{letter}(RandomSearch):
                pass

            @tunecore.hookimpl
            def tunecore_register_oracles(register):
                register("shared", Shared_{letter})
        """
        install_plugin(f"acme-{letter}", {f"acme_{letter}": source}, {f"plugin_{letter}": f"acme_{letter}"})
    with pytest.warns(plugins.PluginWarning) as record:
        manager = plugins.get_plugin_manager()
    winner = manager.oracles.provider("shared")
    loser = ({"plugin_a", "plugin_b"} - {winner}).pop()
    assert kt.oracles.get("shared").__name__ == f"Shared_{winner[-1]}"
    [message] = _plugin_warnings(record)
    assert message.startswith(f"Refusing oracle 'shared' from plugin {loser!r}")
    assert f"plugin {winner!r}" in message
    assert [(r.plugin, r.kind, r.name, r.owner) for r in manager.refused] == [(loser, "oracle", "shared", winner)]


def test_two_distributions_with_one_entry_point_name_the_second_is_skipped(install_plugin):
    install_plugin("acme-one", {"acme_one": _GOOD}, {"same": "acme_one"})
    install_plugin("acme-two", {"acme_two": _GOOD}, {"same": "acme_two"})
    with pytest.warns(plugins.PluginWarning) as record:
        manager = plugins.get_plugin_manager()
    [message] = _plugin_warnings(record)
    assert "acme-one" in message and "acme-two" in message
    assert [b.name for b in manager.broken] == ["same"]


_FACTORIES = """
    import tunecore

    class NotAnOracle:
        pass

    NUMBER = 42

    @tunecore.hookimpl
    def tunecore_register_oracles(register):
        register("numeric", 42, aliases=("NumericOracle",))
        register("nowhere", "acme_nowhere:Thing")
        register("no_such_class", "acme_factories:Missing")
        register("no_colon", "acme_factories")
        register("number_string", "acme_factories:NUMBER")
        register("needs_extra", "acme_needs_extra:Thing")

    @tunecore.hookimpl
    def tunecore_register_executors(register):
        register("cluster", "acme_nowhere:Cluster")
"""

_NEEDS_EXTRA = """
    from tunecore.optional import optional_import

    optional_import("acme_gpu_lib_that_is_not_installed", "acme")
"""


@pytest.fixture
def bad_factories(install_plugin):
    install_plugin(
        "acme-factories",
        {"acme_factories": _FACTORIES, "acme_needs_extra": _NEEDS_EXTRA},
        {"factories": "acme_factories"},
    )


@pytest.mark.parametrize(
    "name, problem",
    [
        ("numeric", "registered it as 42 (int), which is neither callable nor a 'package.module:Class' string"),
        ("NumericOracle", "registered it as 42 (int)"),
        ("nowhere", "registered it as 'acme_nowhere:Thing', which fails to import: "
                    "ModuleNotFoundError: No module named 'acme_nowhere'"),
        ("no_such_class", "registered it as 'acme_factories:Missing', which fails to import: AttributeError"),
        ("no_colon", "registered it as 'acme_factories', which is not a 'package.module:Class' string"),
        ("number_string", "registered it as 'acme_factories:NUMBER', which is 42 (int), not callable"),
    ],
)
def test_unusable_factory_names_the_name_and_the_plugin_when_used(bad_factories, name, problem):
    with pytest.raises(PluginNotFoundError) as info:
        kt.oracles.get(name)
    message = str(info.value)
    assert message.startswith(f"Oracle {name!r} cannot be used: plugin 'factories' "
                              "(entry point 'factories = acme_factories' of acme-factories 0.1) ")
    assert problem in message
    others = message.partition("Fix or uninstall that plugin, or use another oracle: ")[2]
    assert {"grid", "random"} <= set(others.rstrip(".").split(", "))
    with pytest.raises(PluginNotFoundError, match=f"Oracle {name!r} cannot be used"):
        kt.FunctionTuner(lambda hp: hp.Float("x", 0, 1), oracle=name, max_trials=1)


def test_unusable_executor_factory_names_the_plugin(bad_factories):
    with pytest.raises(PluginNotFoundError, match="Executor 'cluster' cannot be used: plugin 'factories'"):
        kt.executors.create("cluster")
    assert len(_search_with_random().oracle.trials) == 2


def test_a_factory_missing_an_optional_dependency_still_names_the_extra(bad_factories):
    with pytest.raises(MissingDependencyError, match=r"pip install 'tunecore\[acme\]'"):
        kt.oracles.get("needs_extra")


def test_an_optional_module_that_names_what_it_lacks_keeps_its_own_message(install_plugin):
    install_plugin(
        "acme-backend",
        {"acme_backend": """
            from tunecore.errors import MissingDependencyError

            raise MissingDependencyError("acme needs a backend: pip install 'acme[fast]'")
        """},
        {},
    )
    from tunecore.optional import optional_import

    with pytest.raises(MissingDependencyError, match=r"^acme needs a backend: pip install 'acme\[fast\]'$"):
        optional_import("acme_backend", "acme")
