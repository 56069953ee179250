"""Normalization layers, written from scratch with torch.nn's names and state (lecture 4).

* :mod:`nnlib.norm.batch`: ``BatchNorm1d``, ``BatchNorm2d`` and batch renormalization;
* :mod:`nnlib.norm.sample`: ``LayerNorm``, ``GroupNorm``, ``InstanceNorm1d``, ``InstanceNorm2d``,
  which normalise each example on its own and so do not care about the batch size;
* :mod:`nnlib.norm.weight`: weight normalization w = g v / ||v||.

The backward passes are autograd's; lecture 4 derives the batch-norm gradient by hand and checks it.
"""

from nnlib.norm.batch import (
    BatchNorm1d,
    BatchNorm2d,
    BatchRenorm1d,
    batch_norm,
    batch_norm_input_grad,
    running_average,
    scale_shift,
)
from nnlib.norm.sample import GroupNorm, InstanceNorm1d, InstanceNorm2d, LayerNorm
from nnlib.norm.weight import WeightNorm, weight_norm

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchRenorm1d",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "LayerNorm",
    "WeightNorm",
    "batch_norm",
    "batch_norm_input_grad",
    "running_average",
    "scale_shift",
    "weight_norm",
]
