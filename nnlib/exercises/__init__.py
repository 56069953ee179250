"""Checkers for the exercises: each compares a student's function with the reference in nnlib.

Presentation module. A checker returns a :class:`CheckResult` that displays as one friendly
message: all cases pass, the first mismatch (inputs, expected, got), an exception, or "not
implemented yet" for a stub that still raises ``NotImplementedError``.
"""

from nnlib.exercises.convexity import (
    check_backtracking_step,
    check_exact_quadratic_step,
    check_predicted_steps,
)
from nnlib.exercises.core import (
    Case,
    CheckResult,
    Misconception,
    check,
    check_value,
    configure,
    named,
)
from nnlib.exercises.curvature import (
    check_classify_critical_point,
    check_hessian_vector_product,
    check_power_iteration,
)
from nnlib.exercises.descent import check_cubic_gradient, check_largest_stable_lr
from nnlib.exercises.init import check_fan_in, check_kaiming_normal, check_predicted_std
from nnlib.exercises.norm import check_batchnorm_forward, check_layer_norm, check_running_average
from nnlib.exercises.optimizers import check_adam_step, check_cosine_schedule, check_momentum_step
from nnlib.exercises.regularization import (
    check_inverted_dropout,
    check_mixup_pairs,
    check_swa_update,
)
from nnlib.exercises.transfer import (
    check_extract_codes,
    check_freeze_all_but_head,
    check_layerwise_lrs,
)

__all__ = [
    "Case",
    "CheckResult",
    "Misconception",
    "check",
    "check_adam_step",
    "check_backtracking_step",
    "check_batchnorm_forward",
    "check_classify_critical_point",
    "check_cosine_schedule",
    "check_cubic_gradient",
    "check_exact_quadratic_step",
    "check_extract_codes",
    "check_fan_in",
    "check_freeze_all_but_head",
    "check_hessian_vector_product",
    "check_inverted_dropout",
    "check_kaiming_normal",
    "check_largest_stable_lr",
    "check_layer_norm",
    "check_layerwise_lrs",
    "check_mixup_pairs",
    "check_momentum_step",
    "check_power_iteration",
    "check_predicted_std",
    "check_predicted_steps",
    "check_running_average",
    "check_swa_update",
    "check_value",
    "configure",
    "named",
]
