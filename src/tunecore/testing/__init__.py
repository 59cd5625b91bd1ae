"""Test suites that plugins and third parties reuse for their oracles, storages and executors.

Subclass a suite in a test module and provide the fixture that makes the
object under test; each suite's docstring names its fixture and the
capabilities it skips when not claimed.

```python
from tunecore.testing import OracleConformance

class TestMyOracle(OracleConformance):
    @pytest.fixture
    def make_oracle(self):
        return lambda **kwargs: MyOracle(**kwargs)
```
"""

from tunecore.testing.executor_conformance import ExecutorConformance
from tunecore.testing.oracle_conformance import OracleConformance, run_trials
from tunecore.testing.storage_conformance import StorageConformance

__all__ = ["ExecutorConformance", "OracleConformance", "StorageConformance", "run_trials"]
