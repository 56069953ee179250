"""What a trained network computes (lecture 7): its codes for new inputs (feature extraction,
the *codes* a new classifier trains on), and pictures of its first-layer filters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import torch
from torch import nn

from nnlib.transfer.freezing import _check_layers, layer_names
from nnlib.utils import check_positive_int, model_mode

__all__ = ["extract_features", "orientation_tuning", "strongest_patches"]


def _digest(tensors: Iterable[torch.Tensor]) -> str:
    digest = hashlib.sha1()
    for tensor in tensors:
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


@torch.no_grad()
def extract_features(
    model: nn.Sequential,
    x: torch.Tensor,
    upto: str = "fc",
    *,
    flatten: bool = True,
    batch_size: int = 1024,
    cache: dict | None = None,
) -> torch.Tensor:
    """The output of block ``upto`` (inclusive) for inputs ``x``, in eval mode, without
    gradients: the network's *codes* for a new classifier. Flattened to (N, features) unless
    ``flatten=False``.

    With a ``cache`` dict, results are stored under a key made of ``upto``, a digest of ``x``
    and a digest of the blocks' weights and statistics, so a repeated call returns the stored
    tensor and a changed model or input never gets a stale one.
    """
    (upto,) = _check_layers(model, upto, argument="upto")
    batch_size = check_positive_int("batch_size", batch_size)
    names = layer_names(model)
    trunk = nn.Sequential(*[getattr(model, n) for n in names[: names.index(upto) + 1]])
    key = None
    if cache is not None:
        key = (upto, flatten, _digest([x]), _digest(trunk.state_dict().values()))
        if key in cache:
            return cache[key]
    with model_mode(model, False):
        features = torch.cat([trunk(chunk) for chunk in x.split(batch_size)])
    if flatten:
        features = features.flatten(1)
    if cache is not None:
        cache[key] = features
    return features


@torch.no_grad()
def strongest_patches(model: nn.Sequential, x: torch.Tensor, top: int = 50) -> torch.Tensor:
    """For each first-layer filter, the mean of the ``top`` 3x3 input patches (zero padding, as
    in the network) on which the filter's raw response ``w * patch`` is largest: a picture of
    what the filter responds to in the images ``x``. Returns (filters, 3, 3)."""
    top = check_positive_int("top", top)
    conv = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    patches = nn.functional.unfold(x, 3, padding=1).transpose(1, 2).reshape(-1, 9)
    responses = patches @ conv.weight.flatten(1).T  # (N * positions, filters)
    best = responses.topk(min(top, len(patches)), dim=0).indices  # (top, filters)
    return patches[best].mean(dim=0).reshape(-1, 3, 3)


@torch.no_grad()
def orientation_tuning(
    model: nn.Sequential, n_angles: int = 12
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each first-layer filter's strongest raw response to a bar through the centre of an 8x8
    image, drawn like the glyphs, at ``n_angles`` orientations in [0°, 180°).

    Returns (angles in degrees (A,), responses (A, filters))."""
    from nnlib.transfer.source_task import render_segments

    n_angles = check_positive_int("n_angles", n_angles)
    angles = torch.arange(n_angles) * 180.0 / n_angles
    radians = torch.deg2rad(angles)
    tip = 0.8 * torch.stack([torch.cos(radians), torch.sin(radians)], dim=1)
    bars = render_segments(torch.stack([-tip, tip], dim=1)[:, None], torch.full((n_angles,), 0.3))
    conv = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    return angles, conv(bars).amax(dim=(2, 3))
