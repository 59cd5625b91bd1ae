"""Optuna's plots of a search: ``tunecore.visualization.plot_optimization_history(tuner)``.

Each function takes a tuner, a :class:`tunecore.Project` or a project path and
returns a plotly figure (``backend="matplotlib"``: matplotlib axes). They come
from the tunecore-optuna plugin (``pip install 'tunecore[optuna]'``), which
builds on ``optuna.visualization``; this module forwards to it. Importing it
imports Optuna; ``import tunecore`` does not.
"""

from tunecore.optional import optional_import

_visualization = optional_import("tunecore_optuna.visualization", "optuna")

plot_contour = _visualization.plot_contour
plot_intermediate_values = _visualization.plot_intermediate_values
plot_optimization_history = _visualization.plot_optimization_history
plot_parallel_coordinate = _visualization.plot_parallel_coordinate
plot_param_importances = _visualization.plot_param_importances
plot_slice = _visualization.plot_slice

__all__ = [
    "plot_contour", "plot_intermediate_values", "plot_optimization_history",
    "plot_parallel_coordinate", "plot_param_importances", "plot_slice",
]
