"""Optimizers, step rules and the trajectory runner (lectures 1 and 5).

* :class:`GradientDescent`: plain gradient descent as a ``torch.optim.Optimizer``;
* :class:`SGD`, :class:`Adagrad`, :class:`RMSprop`, :class:`Adadelta`, :class:`Adam`,
  :class:`AdamW`, :class:`Adamax`, :class:`NAdam`: torch.optim's algorithms written out, with the
  same names and defaults;
* step rules for analytic surfaces: :class:`ExactQuadraticStep`, :class:`Backtracking` (Armijo),
  :class:`Newton` (with optional damping);
* :func:`run`: runs any of them, or any torch optimizer, from a batch of starting points on a
  :class:`~nnlib.analytic_surfaces.Landscape`; :func:`run_scipy` runs SciPy's L-BFGS, BFGS and CG
  for comparison.
"""

from nnlib.optim.adam import (
    Adam,
    Adamax,
    AdamW,
    NAdam,
    adam_update,
    adamax_update,
    nadam_update,
)
from nnlib.optim.adaptive import (
    Adadelta,
    Adagrad,
    RMSprop,
    adadelta_update,
    adagrad_update,
    rmsprop_update,
)
from nnlib.optim.base import apply_weight_decay
from nnlib.optim.gd import GradientDescent, gd_update
from nnlib.optim.linesearch import Backtracking, ExactQuadraticStep, armijo_step, exact_step
from nnlib.optim.momentum import (
    VelocityMomentum,
    momentum_rate,
    nesterov_lookahead,
    optimal_momentum,
    velocity_momentum_update,
)
from nnlib.optim.newton import Newton, newton_direction
from nnlib.optim.rates import best_rate, measured_rate, predicted_rate, steps_to_tolerance
from nnlib.optim.runner import StepRule, Trajectory, describe_run, minimize_module, run, run_scipy
from nnlib.optim.saddles import (
    NoisyGD,
    SaddleFreeNewton,
    predicted_escape_steps,
    saddle_free_direction,
)
from nnlib.optim.sgd import SGD, sgd_update

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Backtracking",
    "ExactQuadraticStep",
    "GradientDescent",
    "NAdam",
    "Newton",
    "NoisyGD",
    "RMSprop",
    "SaddleFreeNewton",
    "StepRule",
    "Trajectory",
    "VelocityMomentum",
    "adadelta_update",
    "adagrad_update",
    "adam_update",
    "adamax_update",
    "apply_weight_decay",
    "armijo_step",
    "best_rate",
    "describe_run",
    "exact_step",
    "gd_update",
    "measured_rate",
    "minimize_module",
    "momentum_rate",
    "nadam_update",
    "nesterov_lookahead",
    "newton_direction",
    "optimal_momentum",
    "predicted_escape_steps",
    "predicted_rate",
    "rmsprop_update",
    "run",
    "run_scipy",
    "saddle_free_direction",
    "sgd_update",
    "steps_to_tolerance",
    "velocity_momentum_update",
]
