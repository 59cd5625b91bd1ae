"""Dashboards and experiment trackers, as per-search callbacks.

```python
from tunecore.integrations import MLflowCallback, TensorBoardHParams

tuner.search(..., callbacks=[TensorBoardHParams("logs/hparams"), MLflowCallback()])
```

Each is a :class:`tunecore.callbacks.Callback`: it follows the searches it is
given and no other. Importing this package imports neither TensorBoard nor
MLflow; a callback imports its library when the search begins, and says which
``pip install 'tunecore[...]'`` provides it if it is missing.
"""

from tunecore.integrations.mlflow import MLflowCallback
from tunecore.integrations.tensorboard import TensorBoardHParams

__all__ = ["MLflowCallback", "TensorBoardHParams"]
