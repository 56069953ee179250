"""Regularization (lecture 6): everything that trades training fit for generalization.

* :mod:`~nnlib.regularization.penalties`: L2 / weight decay, L1, elastic net, sparsity;
* :mod:`~nnlib.regularization.dropout`: inverted and scale-at-test dropout, the ensemble view;
* :mod:`~nnlib.regularization.targets`: label smoothing and mixup;
* :mod:`~nnlib.regularization.augment`: seeded, composable image augmentations;
* :mod:`~nnlib.regularization.calibration`: expected calibration error, reliability diagrams;
* :mod:`~nnlib.regularization.averaging`: ensembles, snapshot ensembles, SWA, Polyak and EMA
  averaging, the BN statistics update;
* :mod:`~nnlib.regularization.study`: the lecture's overfitting set-up and multi-seed comparisons;
  :mod:`~nnlib.regularization.toy`: the two-moons toy behind the widget.

Early stopping is :class:`nnlib.train.EarlyStopping` (re-exported here); decoupled weight decay is
:class:`nnlib.optim.AdamW`.
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
    ensemble_predict,
    get_ema_avg_fn,
    get_ema_multi_avg_fn,
    get_swa_avg_fn,
    get_swa_multi_avg_fn,
    update_bn,
)
from nnlib.regularization.calibration import (
    Reliability,
    expected_calibration_error,
    reliability,
)
from nnlib.regularization.dropout import (
    Dropout,
    dropout,
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
from nnlib.regularization.study import DigitsStudy, mean_spread
from nnlib.regularization.targets import (
    LabelSmoothingCrossEntropy,
    Mixup,
    label_smoothing_cross_entropy,
    mix_pairs,
    mixup,
)
from nnlib.regularization.toy import fit_toy_classifier, probability_grid, toy_problem
from nnlib.train import EarlyStopping

__all__ = [
    "Augment",
    "AveragedModel",
    "Compose",
    "DigitsStudy",
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
    "elastic_net_penalty",
    "ensemble_predict",
    "expected_calibration_error",
    "fit_toy_classifier",
    "get_ema_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_avg_fn",
    "get_swa_multi_avg_fn",
    "hflip",
    "l1_penalty",
    "l1_proximal_step",
    "l2_penalty",
    "label_smoothing_cross_entropy",
    "mc_dropout_predict",
    "mean_spread",
    "mix_pairs",
    "mixup",
    "probability_grid",
    "reliability",
    "rotate",
    "shear",
    "soft_threshold_",
    "sparsity",
    "stretch",
    "subnetwork_geometric_mean",
    "toy_problem",
    "update_bn",
]
