"""The template's oracle passes tunecore's oracle contract, and is found by name once installed."""

import pytest

import tunecore as kt
from tunecore.testing import OracleConformance
from tunecore_plugin_template.oracle import LocalSearch


class TestLocalSearch(OracleConformance):
    @pytest.fixture
    def make_oracle(self):
        return lambda **kwargs: LocalSearch(**kwargs)


def test_the_installed_plugin_is_found_by_name():
    assert kt.oracles.get("local_search") is LocalSearch
    assert "local_search" in kt.oracles.available()


def test_a_search_with_the_oracle_by_name_finds_the_minimum():
    def loss(hp):
        return (hp.Float("x", -5.0, 5.0) - 1.0) ** 2

    tuner = kt.tune(loss, oracle="local_search", scale=0.05, max_trials=20, seed=0, verbose=0)
    assert tuner.oracle.get_best_trials(1)[0].score < 0.5


def test_a_scale_that_is_not_positive_is_refused_by_name():
    with pytest.raises(ValueError, match=r"LocalSearch got scale=0; it must be a positive number"):
        LocalSearch(scale=0, objective="loss", max_trials=1)
