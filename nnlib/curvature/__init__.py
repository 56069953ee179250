"""Curvature: Hessians, their spectra and the classification of critical points (lectures 1, 2).

* :mod:`nnlib.curvature.matrix`: a Hessian you can hold (2-D surfaces, small models): its
  eigen-decomposition, condition number and second-order classification.
* :mod:`nnlib.curvature.network`: the Hessian of a real network's loss, used through
  Hessian-vector products: the dense matrix for small models, the top eigenvalues (Lanczos), the
  trace (Hutchinson) and the spectral density (stochastic Lanczos quadrature).
"""

from nnlib.curvature.matrix import (
    classify,
    condition_number,
    eigen,
    fraction_positive_definite,
    hessian,
)
from nnlib.curvature.network import (
    dense_hessian,
    hutchinson_trace,
    hvp,
    lanczos,
    negative_mass,
    power_iteration,
    probe_mass,
    spectral_density,
    top_eigenvalues,
)

__all__ = [
    "classify",
    "condition_number",
    "dense_hessian",
    "eigen",
    "fraction_positive_definite",
    "hessian",
    "hutchinson_trace",
    "hvp",
    "lanczos",
    "negative_mass",
    "power_iteration",
    "probe_mass",
    "spectral_density",
    "top_eigenvalues",
]
