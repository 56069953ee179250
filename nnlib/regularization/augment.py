r"""Data augmentation on image tensors of shape (N, C, H, W): label-preserving transformations
that enlarge a small training set (flip, rotate, stretch, shear, crop, intensity jitter, noise).

Geometric transformations are one affine map each. For output pixel coordinates
u (normalized to [-1, 1]) the image is sampled at A u + t, bilinearly,
with zeros outside (``F.affine_grid`` and ``F.grid_sample``), so rotations, stretches and shears
of a whole batch are one call. The random transforms draw one set of parameters per image from a
``torch.Generator``, so a seeded :class:`Augment` produces the same batches on every run; labels
are never touched. Whether a transformation preserves the label is a property of the data: a
horizontally flipped digit is often no longer the same digit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from nnlib import utils
from nnlib.utils import check_fraction, check_positive

__all__ = [
    "Augment",
    "Compose",
    "GaussianNoise",
    "IntensityJitter",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomShear",
    "RandomStretch",
    "affine",
    "hflip",
    "rotate",
    "shear",
    "stretch",
]


def _check_images(x: torch.Tensor) -> None:
    if x.ndim != 4:
        raise ValueError(f"Invalid images: shape {tuple(x.shape)}, expected (N, C, H, W)")


def affine(x: torch.Tensor, matrices: torch.Tensor) -> torch.Tensor:
    """Sample each image at ``matrices[i] @ [u, v, 1]`` for output coordinates ``(u, v)`` in
    [-1, 1] (``matrices``: (N, 2, 3) or one (2, 3) for all images)."""
    _check_images(x)
    matrices = matrices.to(x.dtype).expand(len(x), 2, 3)
    grid = F.affine_grid(matrices, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _linear_maps(a, b, c, d) -> torch.Tensor:
    """(N, 2, 3) affine matrices [[a, b, 0], [c, d, 0]] from four (N,) tensors."""
    zero = torch.zeros_like(a)
    return torch.stack([torch.stack([a, b, zero], -1), torch.stack([c, d, zero], -1)], -2)


def hflip(x: torch.Tensor) -> torch.Tensor:
    """Mirror left-right."""
    _check_images(x)
    return x.flip(-1)


def rotate(x: torch.Tensor, degrees) -> torch.Tensor:
    """Rotate square images counter-clockwise (as displayed) by ``degrees`` (scalar or (N,))."""
    angle = torch.as_tensor(degrees, dtype=torch.float64).expand(len(x)) * math.pi / 180
    cos, sin = angle.cos(), angle.sin()
    return affine(x, _linear_maps(cos, -sin, sin, cos))


def stretch(x: torch.Tensor, sx, sy) -> torch.Tensor:
    """Scale the content by ``sx`` horizontally and ``sy`` vertically (> 1 enlarges)."""
    sx = torch.as_tensor(sx, dtype=torch.float64).expand(len(x))
    sy = torch.as_tensor(sy, dtype=torch.float64).expand(len(x))
    if (sx <= 0).any() or (sy <= 0).any():
        raise ValueError("Invalid sx/sy: stretch factors must be > 0")
    zero = torch.zeros_like(sx)
    return affine(x, _linear_maps(1 / sx, zero, zero, 1 / sy))


def shear(x: torch.Tensor, amount) -> torch.Tensor:
    """Horizontal shear: row at height v is shifted by ``amount * v`` (normalized units)."""
    s = torch.as_tensor(amount, dtype=torch.float64).expand(len(x))
    one, zero = torch.ones_like(s), torch.zeros_like(s)
    return affine(x, _linear_maps(one, s, zero, one))


class _Random:
    """A random transform: ``t(x, generator)`` draws per-image parameters and applies them."""

    def _uniform(self, n: int, low: float, high: float, generator) -> torch.Tensor:
        return low + (high - low) * torch.rand(n, generator=generator, dtype=torch.float64)


class RandomFlip(_Random):
    """Mirror each image left-right with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = check_fraction("p", p, closed=True)

    def __call__(self, x, generator=None):
        flip = torch.rand(len(x), generator=generator) < self.p
        return torch.where(flip.view(-1, 1, 1, 1), hflip(x), x)


class RandomRotation(_Random):
    """Rotate each image by an angle drawn uniformly from [-degrees, degrees]."""

    def __init__(self, degrees: float = 15.0) -> None:
        self.degrees = check_positive("degrees", degrees, allow_zero=True)

    def __call__(self, x, generator=None):
        return rotate(x, self._uniform(len(x), -self.degrees, self.degrees, generator))


class RandomStretch(_Random):
    """Stretch each image by independent factors drawn from [1 - amount, 1 + amount]."""

    def __init__(self, amount: float = 0.15) -> None:
        self.amount = check_fraction("amount", amount)

    def __call__(self, x, generator=None):
        lo, hi = 1 - self.amount, 1 + self.amount
        return stretch(
            x, self._uniform(len(x), lo, hi, generator), self._uniform(len(x), lo, hi, generator)
        )


class RandomShear(_Random):
    """Shear each image by an amount drawn from [-amount, amount]."""

    def __init__(self, amount: float = 0.2) -> None:
        self.amount = check_positive("amount", amount, allow_zero=True)

    def __call__(self, x, generator=None):
        return shear(x, self._uniform(len(x), -self.amount, self.amount, generator))


class RandomCrop(_Random):
    """Pad by ``padding`` zero pixels and crop back to the original size at a random offset
    (a random shift by up to ``padding`` pixels in each direction)."""

    def __init__(self, padding: int = 1) -> None:
        if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
            raise ValueError(f"Invalid padding: {padding!r} (must be an integer >= 0)")
        self.padding = padding

    def __call__(self, x, generator=None):
        _check_images(x)
        pad, (h, w) = self.padding, x.shape[-2:]
        padded = F.pad(x, (pad, pad, pad, pad))
        offsets = torch.randint(0, 2 * pad + 1, (len(x), 2), generator=generator)
        rows = offsets[:, :1] + torch.arange(h)  # (N, H)
        cols = offsets[:, 1:] + torch.arange(w)  # (N, W)
        index = torch.arange(len(x)).view(-1, 1, 1)
        return padded.permute(0, 2, 3, 1)[index, rows[:, :, None], cols[:, None, :]].permute(
            0, 3, 1, 2
        )


class IntensityJitter(_Random):
    """Grey-level analogue of colour jitter: ``x -> c * x + b`` with contrast factor ``c`` from
    [1 - contrast, 1 + contrast] and brightness shift ``b`` from [-brightness, brightness]."""

    def __init__(self, brightness: float = 0.1, contrast: float = 0.2) -> None:
        self.brightness = check_positive("brightness", brightness, allow_zero=True)
        self.contrast = check_fraction("contrast", contrast)

    def __call__(self, x, generator=None):
        n = len(x)
        c = self._uniform(n, 1 - self.contrast, 1 + self.contrast, generator).to(x.dtype)
        b = self._uniform(n, -self.brightness, self.brightness, generator).to(x.dtype)
        return c.view(-1, 1, 1, 1) * x + b.view(-1, 1, 1, 1)


class GaussianNoise(_Random):
    """Add independent N(0, std^2) noise to every pixel."""

    def __init__(self, std: float = 0.1) -> None:
        self.std = check_positive("std", std, allow_zero=True)

    def __call__(self, x, generator=None):
        return x + self.std * torch.randn(x.shape, generator=generator, dtype=x.dtype)


class Compose:
    """Apply transforms in order, all drawing from the same generator."""

    def __init__(self, transforms: Sequence) -> None:
        self.transforms = list(transforms)

    def __call__(self, x, generator=None):
        for transform in self.transforms:
            x = transform(x, generator)
        return x


class Augment:
    """A seeded batch transform ``(x, y) -> (augmented x, y)`` for
    ``nnlib.train.fit(batch_transform=...)``. ``shape`` reshapes flat inputs to images and back."""

    def __init__(self, *transforms, seed: int = 0, shape: Sequence[int] | None = None) -> None:
        self.transform = Compose(transforms)
        self.shape = tuple(shape) if shape is not None else None
        self.generator = utils.generator(seed)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        images = x.view(len(x), *self.shape) if self.shape else x
        out = self.transform(images, self.generator)
        return (out.reshape(x.shape) if self.shape else out), y
