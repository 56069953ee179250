"""Regularization (lecture 6): everything that trades training fit for generalization.

* :mod:`~nnlib.regularization.penalties`: L2 / weight decay, L1, elastic net, sparsity;
* :mod:`~nnlib.regularization.dropout`: inverted and scale-at-test dropout, the ensemble view;
* :mod:`~nnlib.regularization.targets`: label smoothing and mixup;
* :mod:`~nnlib.regularization.augment`: seeded, composable image augmentations;
* :mod:`~nnlib.regularization.calibration`: expected calibration error, reliability diagrams;
* :mod:`~nnlib.regularization.averaging`: ensembles, snapshot ensembles, SWA, Polyak and EMA
  averaging, the BN statistics update;

Early stopping is :class:`nnlib.train.EarlyStopping` (re-exported here); decoupled weight decay is
:class:`nnlib.optim.AdamW`. The lecture's experiment set-ups (the digits study, the two-moons toy)
are in :mod:`nncourse.lecture6.digits` and :mod:`nncourse.lecture6.boundaries`.
"""

from nnlib.regularization.augment import (
    Augment,
    Compose,
    GaussianNoise,
    IntensityJitter,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomShear,
    RandomStretch,
    affine,
    hflip,
    rotate,
    shear,
    stretch,
)
from nnlib.regularization.averaging import (
    AveragedModel,
    SnapshotCollector,
    SWACallback,
    ema_average,
    ensemble_predict,
    get_ema_avg_fn,
    get_ema_multi_avg_fn,
    get_swa_avg_fn,
    get_swa_multi_avg_fn,
    swa_average,
    update_bn,
)
from nnlib.regularization.calibration import Reliability, expected_calibration_error, reliability
from nnlib.regularization.dropout import (
    Dropout,
    dropout,
    dropout_with_mask,
    mc_dropout_predict,
    subnetwork_geometric_mean,
)
from nnlib.regularization.penalties import (
    Penalty,
    decay_parameters,
    elastic_net_penalty,
    l1_penalty,
    l1_proximal_step,
    l2_penalty,
    soft_threshold_,
    sparsity,
)
from nnlib.regularization.targets import LabelSmoothingCrossEntropy, Mixup, mix_pairs, mixup
from nnlib.train import EarlyStopping

__all__ = [
    "Augment",
    "AveragedModel",
    "Compose",
    "Dropout",
    "EarlyStopping",
    "GaussianNoise",
    "IntensityJitter",
    "LabelSmoothingCrossEntropy",
    "Mixup",
    "Penalty",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomShear",
    "RandomStretch",
    "Reliability",
    "SWACallback",
    "SnapshotCollector",
    "affine",
    "decay_parameters",
    "dropout",
    "dropout_with_mask",
    "elastic_net_penalty",
    "ema_average",
    "ensemble_predict",
    "expected_calibration_error",
    "get_ema_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_avg_fn",
    "get_swa_multi_avg_fn",
    "hflip",
    "l1_penalty",
    "l1_proximal_step",
    "l2_penalty",
    "mc_dropout_predict",
    "mix_pairs",
    "mixup",
    "reliability",
    "rotate",
    "shear",
    "soft_threshold_",
    "sparsity",
    "stretch",
    "subnetwork_geometric_mean",
    "swa_average",
    "update_bn",
]
