"""tunecore-sklearn's hook implementations (registered through the `tunecore` entry point).

The factories are import strings, so discovering the plugin never imports scikit-learn.
"""

from tunecore.hookspecs import Register
from tunecore.plugins import hookimpl


@hookimpl
def tunecore_register_tuners(register: Register) -> None:
    register("sklearn", "tunecore_sklearn.tuner:Sklearn", aliases=("Sklearn", "SklearnTuner"))
    register("TunecoreSearchCV", "tunecore_sklearn.search_cv:TunecoreSearchCV")
