"""Hyperparameter importances of a search: ``tunecore.importance.get_param_importances(tuner)``.

From the tunecore-optuna plugin (``pip install 'tunecore[optuna]'``), which
builds on ``optuna.importance``; this module forwards to it. Importing it
imports Optuna; ``import tunecore`` does not.
"""

from tunecore.optional import optional_import

get_param_importances = optional_import("tunecore_optuna.importance", "optuna").get_param_importances

__all__ = ["get_param_importances"]
