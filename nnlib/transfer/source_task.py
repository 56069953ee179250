r"""The source task of lecture 7: an invented alphabet of stroke glyphs, generated offline.

No pretrained network can be downloaded in this course, so it makes its own large source task.
Each class is a *glyph*: two to four pen strokes (straight lines and circular arcs) on a 3x3 grid
of anchor points, a made-up letter. An image draws one glyph with random handwriting-like jitter
(rotation, scale, shear, shift, pen width, a stray stroke) on a 16x16 canvas, then averages 2x2
blocks to 8x8 grey levels in [0, 1], the recipe that made scikit-learn's digits (from 32x32
bitmaps, 4x4 blocks). The glyphs share strokes, corners and curves with handwritten digits but
none of their classes.

Rendering is vectorised: a pixel is ink when its distance to the nearest stroke segment is below
half the pen width, with the distance from point p to the segment [a, b]::

    d(p; a, b) = ‖p - a - t* (b - a)‖,    t* = clip((p - a)ᵀ (b - a) / ‖b - a‖², 0, 1).

Everything is drawn from ``torch.Generator`` objects seeded by the arguments, so the same call
gives the same images on any machine.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch

from nnlib import utils
from nnlib.utils import check_positive_int

__all__ = ["ANCHORS", "glyph_alphabet", "make_glyphs", "render_segments"]

ANCHORS = torch.tensor([(x, y) for y in (-0.75, 0.0, 0.75) for x in (-0.5, 0.0, 0.5)])
CANVAS = 16  # rendered side; 2x2 blocks are averaged down to 8x8
ARC_SEGMENTS = 6  # an arc is drawn as a polyline of this many segments
MAX_SEGMENTS = 4 * ARC_SEGMENTS
ALPHABET_SEED = 2024


def _random_stroke(g: torch.Generator) -> torch.Tensor:
    """One stroke as a (S, 2, 2) tensor of segments: a line between two anchors, or an arc."""
    if torch.rand((), generator=g) < 0.55:
        i, j = torch.randperm(9, generator=g)[:2].tolist()
        return torch.stack([ANCHORS[i], ANCHORS[j]]).unsqueeze(0)
    centre = ANCHORS[torch.randint(9, (), generator=g)]
    radius = (0.4, 0.55)[int(torch.randint(2, (), generator=g))]
    start = math.pi / 4 * int(torch.randint(8, (), generator=g))
    span = math.pi / 2 * int(torch.randint(2, 5, (), generator=g))  # 180, 270 or 360 degrees
    angles = start + span * torch.linspace(0, 1, ARC_SEGMENTS + 1)
    points = centre + radius * torch.stack([torch.cos(angles), 1.3 * torch.sin(angles)], 1)
    return torch.stack([points[:-1], points[1:]], dim=1)


def _pad(segments: torch.Tensor) -> torch.Tensor:
    """Pad to MAX_SEGMENTS by repeating the first segment (a repeat draws no new ink)."""
    extra = segments[:1].expand(MAX_SEGMENTS - len(segments), 2, 2)
    return torch.cat([segments, extra])


def render_segments(segments: torch.Tensor, width: torch.Tensor) -> torch.Tensor:
    """Images (N, 1, 8, 8) in [0, 1] of N drawings, each a set of segments (N, S, 2, 2) in the
    square [-1, 1]^2 (y up), drawn with pen widths ``width`` (N,) on a 16x16 canvas, then
    2x2-block averaged."""
    centres = (torch.arange(CANVAS) + 0.5) / CANVAS * 2 - 1
    py, px = torch.meshgrid(-centres, centres, indexing="ij")
    p = torch.stack([px, py], -1).reshape(1, 1, -1, 2)  # (1, 1, P, 2)
    a, b = segments[:, :, None, 0], segments[:, :, None, 1]  # (N, S, 1, 2)
    ab = b - a
    t = ((p - a) * ab).sum(-1) / (ab * ab).sum(-1).clamp_min(1e-12)
    closest = a + t.clamp(0, 1).unsqueeze(-1) * ab
    distance2 = ((p - closest) ** 2).sum(-1).amin(dim=1)  # (N, P), squared
    ink = (distance2 <= (width[:, None] / 2) ** 2).float().reshape(-1, 1, CANVAS, CANVAS)
    return torch.nn.functional.avg_pool2d(ink, CANVAS // 8)


def glyph_alphabet(n_classes: int = 100, seed: int = ALPHABET_SEED) -> torch.Tensor:
    """The glyph templates (n_classes, MAX_SEGMENTS, 2, 2): random glyphs of two to four strokes,
    each kept only if its clean 8x8 rendering differs clearly from every glyph kept before.
    (Computed once per argument pair; each call returns a fresh copy.)"""
    return _alphabet(check_positive_int("n_classes", n_classes), seed).clone()


@lru_cache(maxsize=4)
def _alphabet(n_classes: int, seed: int) -> torch.Tensor:
    # Not replicated: the alphabet is the shipped network's set of classes.
    g = torch.Generator().manual_seed(seed)
    kept: list[torch.Tensor] = []
    images: list[torch.Tensor] = []
    for _ in range(200 * n_classes):
        if len(kept) == n_classes:
            break
        n_strokes = int(torch.randint(2, 5, (), generator=g))
        glyph = _pad(torch.cat([_random_stroke(g) for _ in range(n_strokes)]))
        image = render_segments(glyph[None], torch.tensor([0.3]))[0].flatten()
        if all((image - other).norm() > 1.2 for other in images):
            kept.append(glyph)
            images.append(image)
    if len(kept) < n_classes:
        raise ValueError(f"Invalid n_classes: {n_classes} (could only make {len(kept)} glyphs)")
    return torch.stack(kept)


def make_glyphs(
    n: int, n_classes: int = 100, seed: int = 0, chunk: int = 2048
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` jittered glyph images (n, 1, 8, 8) in [0, 1] and labels (n,), balanced over classes.

    Per image: rotation within ±30°, scale 0.7-1.2 with aspect ratio 0.8-1.25, shear within
    ±0.4, shift within ±0.2 of the half-width, pen width 0.22-0.38, and in half the images a short
    stray stroke anywhere (clutter the network must learn to ignore). ``seed`` fixes the draw; the
    alphabet itself is fixed (``glyph_alphabet``), so different seeds give new images of the same
    classes, e.g. a held-out test set.
    """
    n = check_positive_int("n", n)
    chunk = check_positive_int("chunk", chunk)
    alphabet = glyph_alphabet(n_classes)
    g = utils.generator(seed)
    labels = torch.arange(n) % n_classes
    labels = labels[torch.randperm(n, generator=g)]

    def uniform(size, low, high):
        return low + (high - low) * torch.rand(size, generator=g)

    angle = uniform(n, -math.pi / 6, math.pi / 6)
    scale = uniform(n, 0.7, 1.2)
    aspect = uniform(n, 0.8, 1.25)
    shear = uniform(n, -0.4, 0.4)
    shift = uniform((n, 1, 1, 2), -0.2, 0.2)
    clutter = uniform((n, 1, 2, 2), -0.9, 0.9)  # a short stray stroke in half the images
    clutter[:, :, 1] = clutter[:, :, 0] + 0.6 * (clutter[:, :, 1] - clutter[:, :, 0])
    clutter[torch.rand(n, generator=g) < 0.5] = 5.0  # off the canvas: no ink
    width = uniform(n, 0.22, 0.38)
    cos, sin = torch.cos(angle), torch.sin(angle)
    rotation = torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)
    stretch = torch.zeros(n, 2, 2)
    stretch[:, 0, 0], stretch[:, 0, 1] = scale * aspect, shear * scale
    stretch[:, 1, 1] = scale / aspect
    affine = rotation @ stretch  # (n, 2, 2), applied to column vectors
    segments = alphabet[labels] @ affine[:, None].transpose(-1, -2) + shift
    segments = torch.cat([segments, clutter], dim=1)
    images = torch.cat(
        [
            render_segments(s, w)
            for s, w in zip(segments.split(chunk), width.split(chunk), strict=True)
        ]
    )
    return images, labels
