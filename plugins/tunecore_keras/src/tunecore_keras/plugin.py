"""tunecore-keras's hook implementations (registered through the `tunecore` entry point).

Tuners are registered as ``"module:Class"`` strings so that discovering the
plugin never imports TensorFlow or Keras.
"""

from tunecore.hookspecs import Register
from tunecore.plugins import hookimpl


@hookimpl
def tunecore_register_tuners(register: Register) -> None:
    register("keras", "tunecore_keras.tuner:Tuner", aliases=("Tuner",))
    register("RandomSearch", "tunecore_keras.tuners:RandomSearch")
    register("GridSearch", "tunecore_keras.tuners:GridSearch")
    register("BayesianOptimization", "tunecore_keras.tuners:BayesianOptimization")
    register("Hyperband", "tunecore_keras.hyperband:Hyperband")
