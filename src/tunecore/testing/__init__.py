"""Test suites that oracles (ours, plugins', third parties') reuse.

Subclass :class:`OracleConformance` in a test module and provide the
``make_oracle`` fixture:

    from tunecore.testing import OracleConformance

    class TestMyOracle(OracleConformance):
        @pytest.fixture
        def make_oracle(self):
            return lambda **kwargs: MyOracle(**kwargs)
"""

from tunecore.testing.oracle_conformance import OracleConformance, run_trials

__all__ = ["OracleConformance", "run_trials"]
