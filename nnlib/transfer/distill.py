r"""The two losses of FitNets (Romero et al. 2015, lecture 7): the hint loss of stage 1 and
knowledge distillation (Hinton et al. 2015) in stage 2.

**Hints.** The student's guided layer, mapped by a regressor r to the teacher's shape, is pulled
towards the teacher's hint layer, per example the squared distance over all features::

    L_hint = (1/n) ∑ᵢ ½ ‖u_h(xᵢ) - r(v_g(xᵢ))‖².

**Distillation.**
A student learns from a teacher's *softened* class probabilities: both sets of logits are
divided by a temperature T > 1 before the softmax, which lifts the small probabilities of the
wrong classes (which digits a 3 resembles), and the student minimises::

    L = T² (1/n) ∑ᵢ KL( softmax(tᵢ / T) ‖ softmax(sᵢ / T) ),

with teacher logits tᵢ and student logits sᵢ. The factor T² keeps the gradient's size
independent of T (the gradient of the softened term scales as 1/T²). Equal to
``T**2 * torch.nn.functional.kl_div(log_softmax(s / T), log_softmax(t / T), log_target=True,
reduction="batchmean")``.
"""

from __future__ import annotations

import torch

from nnlib.utils import check_positive

__all__ = ["distillation_loss", "hint_loss"]


def distillation_loss(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float = 4.0
) -> torch.Tensor:
    """The distillation loss above, averaged over the batch (rows are examples)."""
    temperature = check_positive("temperature", temperature)
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(
            f"student logits {tuple(student_logits.shape)} and teacher logits "
            f"{tuple(teacher_logits.shape)} differ in shape"
        )
    log_p_student = torch.log_softmax(student_logits / temperature, dim=1)
    log_p_teacher = torch.log_softmax(teacher_logits / temperature, dim=1)
    p_teacher = log_p_teacher.exp()
    kl = (p_teacher * (log_p_teacher - log_p_student)).sum(dim=1)
    return temperature**2 * kl.mean()


def hint_loss(regressed: torch.Tensor, hints: torch.Tensor) -> torch.Tensor:
    """The hint loss above: half the squared distance over every feature of an example (all
    dimensions but the first), averaged over the examples."""
    if regressed.shape != hints.shape:
        raise ValueError(
            f"regressed {tuple(regressed.shape)} and hints {tuple(hints.shape)} differ in shape"
        )
    return 0.5 * ((regressed - hints) ** 2).flatten(1).sum(dim=1).mean()
