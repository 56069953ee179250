"""Figures in one consistent style: every function takes parameters and returns a Figure.

Presentation layer: these modules call technique modules for numbers and own no maths. Widgets
bind sliders to these pure functions (:mod:`nnlib.widgets`).

* :mod:`nnlib.viz.core`: style, ``new_figure``, curves and training histories;
* :mod:`nnlib.viz.cubic_fit`: the cubic fit of the first notebook; :mod:`nnlib.viz.descent`:
  gradient descent on convex surfaces; :mod:`nnlib.viz.nonconvex`: non-convex surfaces, loss slices,
  Hessian spectra, saddles and minima; :mod:`nnlib.viz.regularization`: decision boundaries,
  reliability diagrams and the other figures of regularization; the rest likewise by concept.
"""

from nnlib.viz.core import (
    DIVERGED_COLOR,
    STYLE,
    WIDGET_MARGINS,
    new_figure,
    plot_curves,
    plot_history,
)
from nnlib.viz.cubic_fit import cubic_fit_figure
from nnlib.viz.descent import (
    contour,
    gd_quadratic_figure,
    hessian_arrows,
    jensen_figure,
    plot_trajectory,
)
from nnlib.viz.init import layer_stats_figure, layer_stats_for
from nnlib.viz.nonconvex import (
    activations_figure,
    escape_figure,
    minima_figure,
    plane_figure,
    seed_bands_figure,
    spectrum_figure,
    tiny_mlp_figure,
)
from nnlib.viz.norm import norm_axes_figure, preprocessing_figure, two_feature_problem
from nnlib.viz.optimizers import (
    RACE_SURFACES,
    momentum_rate_figure,
    race_figure,
    race_optimizers,
    schedule_figure,
)
from nnlib.viz.regularization import (
    augmentation_gallery,
    boundary_figure,
    weight_histograms,
)
from nnlib.viz.transfer import (
    few_labels_figure,
    filters_figure,
    image_grid_figure,
    size_similarity_figure,
)

__all__ = [
    "DIVERGED_COLOR",
    "RACE_SURFACES",
    "STYLE",
    "WIDGET_MARGINS",
    "activations_figure",
    "augmentation_gallery",
    "boundary_figure",
    "contour",
    "cubic_fit_figure",
    "escape_figure",
    "few_labels_figure",
    "filters_figure",
    "gd_quadratic_figure",
    "hessian_arrows",
    "image_grid_figure",
    "jensen_figure",
    "layer_stats_figure",
    "layer_stats_for",
    "minima_figure",
    "momentum_rate_figure",
    "new_figure",
    "norm_axes_figure",
    "plane_figure",
    "plot_curves",
    "plot_history",
    "plot_trajectory",
    "preprocessing_figure",
    "race_figure",
    "race_optimizers",
    "schedule_figure",
    "seed_bands_figure",
    "size_similarity_figure",
    "spectrum_figure",
    "tiny_mlp_figure",
    "two_feature_problem",
    "weight_histograms",
]
