"""Analytic test surfaces: value, gradient and Hessian in closed form, with their known points.

These are formulas (Rosenbrock, Beale, a quadratic, ...), not networks: slices through a real
network's loss are :mod:`nnlib.loss_slices`.

Lectures 1 and 2 (convexity, gradient descent, saddle points) run optimizers on these surfaces.
Every method is vectorised over points of shape ``(..., dim)``: a whole contour grid, or a batch of
starting points, is one call. ``value`` returns shape ``(...)``, ``gradient`` ``(..., dim)`` and
``hessian`` ``(..., dim, dim)``. Gradients and Hessians are written out by hand and tested against
autograd and finite differences; the base class falls back on autograd where a surface has none.
A 2-D surface writes its gradient as ``partials(x, y)`` in plain arithmetic, so the same formula
takes tensors of coordinates (``gradient``), numpy arrays, or one point's Python floats
(``gradient_at``): the course's optimizer race evaluates it on numpy views of
its racers' few points, where a torch call's fixed overhead would cost more than the arithmetic.

Use :func:`get` to build a surface by name (``get("rosenbrock")``), or the classes directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from nnlib import utils
from nnlib.utils import check_positive

__all__ = [
    "Beale",
    "Himmelblau",
    "Landscape",
    "LeastSquares",
    "LinearRecurrence",
    "MonkeySaddle",
    "Quadratic",
    "Rosenbrock",
    "TiltedDoubleWell",
    "TinyMLP",
    "TwinValleys",
    "get",
    "running_example",
    "saddle",
]

DTYPE = torch.float64


@dataclass(frozen=True)
class Window:
    """The plot window (x range, y range) that shows a surface's interesting features."""

    xlim: tuple[float, float]
    ylim: tuple[float, float]


class Landscape:
    """A smooth function on R^dim. Subclasses define ``value`` and, where known, the derivatives."""

    name = "landscape"
    dim = 2
    window = Window((-2.0, 2.0), (-2.0, 2.0))
    minima: tuple[tuple[float, ...], ...] = ()
    saddles: tuple[tuple[float, ...], ...] = ()

    def value(self, p: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def partials(self, x, y) -> tuple:
        """(df/dx, df/dy) at coordinates x and y, in plain arithmetic: tensors, numpy arrays or
        Python floats.
        2-D surfaces whose derivatives are written by hand override this."""
        raise NotImplementedError

    def gradient(self, p: torch.Tensor) -> torch.Tensor:
        """The gradient at points p (..., dim): the stacked ``partials`` where the surface has
        them, else autograd on the summed values (points are independent)."""
        p = self._points(p)
        if self._has_partials():
            return torch.stack(self.partials(*_split(p)), dim=-1)
        p = p.detach().requires_grad_(True)
        with torch.enable_grad():
            (grad,) = torch.autograd.grad(self.value(p).sum(), p)
        return grad

    def gradient_at(self, point) -> tuple[float, ...]:
        """The gradient at one point given as Python floats, as Python floats: ``partials`` on
        the floats themselves where the surface has them, else ``gradient`` on a tensor."""
        if len(point) != self.dim:
            raise ValueError(f"Invalid point {point} for {self.name}: need {self.dim} coordinates")
        if self._has_partials():
            return self.partials(*point)
        return tuple(self.gradient(torch.tensor(point, dtype=DTYPE)).tolist())

    def _has_partials(self) -> bool:
        return type(self).partials is not Landscape.partials

    def hessian(self, p: torch.Tensor) -> torch.Tensor:
        """Autograd fallback: one Hessian per point, by vmap over torch.func.hessian."""
        p = self._points(p)
        flat = p.reshape(-1, self.dim)
        hess = torch.vmap(torch.func.hessian(self.value))(flat)
        return hess.reshape(*p.shape, self.dim)

    def __call__(self, p: torch.Tensor) -> torch.Tensor:
        return self.value(p)

    def _points(self, p) -> torch.Tensor:
        p = torch.as_tensor(p, dtype=DTYPE)
        if p.ndim == 0 or p.shape[-1] != self.dim:
            raise ValueError(
                f"Invalid points of shape {tuple(p.shape)} for {self.name}: "
                f"the last dimension must be {self.dim}"
            )
        return p

    def grid(self, resolution: int = 101) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(X, Y, Z) over the plot window, for contour plots of 2-D surfaces."""
        xs = torch.linspace(*self.window.xlim, resolution, dtype=DTYPE)
        ys = torch.linspace(*self.window.ylim, resolution, dtype=DTYPE)
        grid_x, grid_y = torch.meshgrid(xs, ys, indexing="xy")
        return grid_x, grid_y, self.value(torch.stack([grid_x, grid_y], dim=-1))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _split(p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return p[..., 0], p[..., 1]


def _tanh(v):
    """tanh of a tensor, a numpy array or a Python float (see ``Landscape.partials``)."""
    if isinstance(v, float):
        return math.tanh(v)
    return np.tanh(v) if isinstance(v, np.ndarray) else torch.tanh(v)


def _matrix(rows) -> torch.Tensor:
    """Stack nested [[a, b], [c, d]] of equally shaped tensors into shape (..., 2, 2)."""
    return torch.stack([torch.stack(row, dim=-1) for row in rows], dim=-2)


class Quadratic(Landscape):
    """f(p) = 1/2 p^T A p with A = R(angle) diag(eigenvalues) R(angle)^T.

    Gradient A p, Hessian A everywhere. Positive eigenvalues give a bowl with its minimum at the
    origin; mixed signs give a saddle there. The condition number is |l_max| / |l_min|.
    """

    def __init__(self, eigenvalues=(1.0, 10.0), angle: float = 0.0, name: str = "quadratic"):
        eigenvalues = torch.as_tensor(eigenvalues, dtype=DTYPE)
        if eigenvalues.shape != (2,) or not torch.isfinite(eigenvalues).all():
            raise ValueError(
                f"Invalid eigenvalues: {eigenvalues.tolist()} (need two finite numbers)"
            )
        if (eigenvalues == 0).any():
            raise ValueError(f"Invalid eigenvalues: {eigenvalues.tolist()} (zero is not allowed)")
        self.eigenvalues = eigenvalues
        self.angle = float(angle)
        c, s = math.cos(self.angle), math.sin(self.angle)
        self.rotation = torch.tensor([[c, -s], [s, c]], dtype=DTYPE)
        self.A = self.rotation @ torch.diag(eigenvalues) @ self.rotation.T
        self._entries = self.A.tolist()  # for partials on Python floats
        self.name = name
        self.minima = ((0.0, 0.0),) if (eigenvalues > 0).all() else ()
        self.saddles = ((0.0, 0.0),) if (eigenvalues > 0).any() and (eigenvalues < 0).any() else ()
        reach = 2.0
        self.window = Window((-reach, reach), (-reach, reach))

    @property
    def condition_number(self) -> float:
        magnitudes = self.eigenvalues.abs()
        return (magnitudes.max() / magnitudes.min()).item()

    def value(self, p):
        p = self._points(p)
        return 0.5 * torch.einsum("...i,ij,...j->...", p, self.A, p)

    def partials(self, x, y):
        """A p, written out."""
        (a, b), (c, d) = self._entries
        return a * x + b * y, c * x + d * y

    def hessian(self, p):
        p = self._points(p)
        return self.A.expand(*p.shape[:-1], 2, 2).clone()

    def __repr__(self) -> str:
        values = [round(v, 4) for v in self.eigenvalues.tolist()]
        return f"Quadratic(eigenvalues={values}, angle={self.angle:.4g})"


def running_example() -> Quadratic:
    """The lectures' running example f = x1^2 + 4 x2^2, i.e. eigenvalues 2 and 8 (kappa = 4)."""
    return Quadratic((2.0, 8.0), name="x1² + 4x2²")


def saddle() -> Quadratic:
    """f = x^2 - y^2: the textbook saddle at the origin (eigenvalues 2 and -2)."""
    return Quadratic((2.0, -2.0), name="saddle x² - y²")


class Rosenbrock(Landscape):
    """f = (a - x)^2 + b (y - x^2)^2: a curved, narrow valley; minimum (a, a^2), f = 0."""

    name = "rosenbrock"
    window = Window((-2.0, 2.0), (-1.0, 3.0))

    def __init__(self, a: float = 1.0, b: float = 100.0):
        self.a, self.b = float(a), check_positive("b", b)
        self.minima = ((self.a, self.a**2),)

    def value(self, p):
        x, y = _split(self._points(p))
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def partials(self, x, y):
        dx = -2 * (self.a - x) - 4 * self.b * x * (y - x**2)
        dy = 2 * self.b * (y - x**2)
        return dx, dy

    def hessian(self, p):
        x, y = _split(self._points(p))
        dxx = 2 - 4 * self.b * y + 12 * self.b * x**2
        dxy = -4 * self.b * x
        dyy = torch.full_like(x, 2 * self.b)
        return _matrix([[dxx, dxy], [dxy, dyy]])


class Beale(Landscape):
    """f = sum_{i=1..3} (c_i - x + x y^i)^2 with c = (1.5, 2.25, 2.625); minimum (3, 0.5), f = 0."""

    name = "beale"
    window = Window((-4.5, 4.5), (-4.5, 4.5))
    minima = ((3.0, 0.5),)
    C = (1.5, 2.25, 2.625)

    def _terms(self, p):
        return self._terms_of(*_split(self._points(p)))

    def _terms_of(self, x, y):
        """Per term i: (x, y, i, t_i, (dt_i/dx, dt_i/dy)) with t_i = c_i - x + x y^i."""
        for i, c in enumerate(self.C, start=1):
            t = c - x + x * y**i
            dt = (y**i - 1, i * x * y ** (i - 1))
            yield x, y, i, t, dt

    def value(self, p):
        return sum(t**2 for *_, t, _ in self._terms(p))

    def partials(self, x, y):
        terms = list(self._terms_of(x, y))
        dx = sum(2 * t * tx for *_, t, (tx, _) in terms)
        dy = sum(2 * t * ty for *_, t, (_, ty) in terms)
        return dx, dy

    def hessian(self, p):
        total = 0
        for x, y, i, t, (tx, ty) in self._terms(p):
            txy = i * y ** (i - 1)
            tyy = i * (i - 1) * x * y ** (i - 2) if i > 1 else torch.zeros_like(x)
            total = total + 2 * _matrix(
                [[tx * tx, tx * ty + t * txy], [tx * ty + t * txy, ty * ty + t * tyy]]
            )
        return total


class Himmelblau(Landscape):
    """f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2: four minima of value 0, one maximum, four saddles."""

    name = "himmelblau"
    window = Window((-5.0, 5.0), (-5.0, 5.0))
    minima = ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126))

    def value(self, p):
        x, y = _split(self._points(p))
        return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2

    def partials(self, x, y):
        u, v = x**2 + y - 11, x + y**2 - 7
        return 4 * x * u + 2 * v, 2 * u + 4 * y * v

    def hessian(self, p):
        x, y = _split(self._points(p))
        u, v = x**2 + y - 11, x + y**2 - 7
        dxy = 4 * x + 4 * y
        return _matrix([[4 * u + 8 * x**2 + 2, dxy], [dxy, 2 + 4 * v + 8 * y**2]])


class MonkeySaddle(Landscape):
    """f = x^3 - 3 x y^2: a degenerate critical point at 0 (zero Hessian) and three valleys."""

    name = "monkey saddle"
    window = Window((-1.5, 1.5), (-1.5, 1.5))
    saddles = ((0.0, 0.0),)

    def value(self, p):
        x, y = _split(self._points(p))
        return x**3 - 3 * x * y**2

    def partials(self, x, y):
        return 3 * x**2 - 3 * y**2, -6 * x * y

    def hessian(self, p):
        x, y = _split(self._points(p))
        return _matrix([[6 * x, -6 * y], [-6 * y, -6 * x]])


class TwinValleys(Landscape):
    """f = x^2 + (y^2 - 1)^2 / 4: a saddle at the origin (f = 1/4) between minima (0, +-1), f = 0.

    Gradient descent started on the line y = 0 slides into the saddle and stays there.
    """

    name = "twin valleys"
    window = Window((-1.5, 1.5), (-1.5, 1.5))
    minima = ((0.0, -1.0), (0.0, 1.0))
    saddles = ((0.0, 0.0),)

    def value(self, p):
        x, y = _split(self._points(p))
        return x**2 + (y**2 - 1) ** 2 / 4

    def partials(self, x, y):
        return 2 * x, y * (y**2 - 1)

    def hessian(self, p):
        x, y = _split(self._points(p))
        zero = torch.zeros_like(x)
        return _matrix([[torch.full_like(x, 2.0), zero], [zero, 3 * y**2 - 1]])


class TinyMLP(Landscape):
    """Square loss of the two-weight network y_hat = tanh(w1 tanh(w2 x)) on one example (x, t).

    L(w1, w2) = (t - tanh(w1 tanh(w2 x)))^2, default example T = (0.5, 0.5) (lecture 2). It has a
    saddle at the origin, plateaus far from it and the symmetry L(w1, w2) = L(-w1, -w2).
    Gradient by hand; the Hessian comes from autograd.
    """

    name = "tiny MLP"
    window = Window((-4.0, 4.0), (-4.0, 4.0))
    saddles = ((0.0, 0.0),)

    def __init__(self, x: float = 0.5, t: float = 0.5):
        self.x, self.t = float(x), float(t)

    def value(self, p):
        w1, w2 = _split(self._points(p))
        return (self.t - torch.tanh(w1 * torch.tanh(w2 * self.x))) ** 2

    def partials(self, w1, w2):
        h = _tanh(w2 * self.x)
        y = _tanh(w1 * h)
        dl_dy = -2 * (self.t - y)
        dy_dw1 = (1 - y**2) * h
        dy_dw2 = (1 - y**2) * w1 * (1 - h**2) * self.x
        return dl_dy * dy_dw1, dl_dy * dy_dw2

    def origin_hessian(self) -> torch.Tensor:
        """The Hessian at the saddle w = 0 in closed form, from the example (x, t).

        Near the origin tanh(w1 tanh(w2 x)) = w1 w2 x + O(|w|^3), so
        L = t^2 - 2 t x w1 w2 + O(|w|^4): no quadratic term in w1 or w2 alone and a cross
        term -2 t x w1 w2, hence H(0) = [[0, -2tx], [-2tx, 0]] with eigenvalues +-2|tx|.
        """
        c = -2.0 * self.t * self.x
        return torch.tensor([[0.0, c], [c, 0.0]], dtype=DTYPE)

    def ravine(self, w2) -> torch.Tensor:
        """The floor of the two ravines (loss 0): w1 = artanh(t) / tanh(w2 x) for each w2.

        NaN everywhere when there is none: |t| >= 1 (tanh cannot reach t) or x = 0; +-inf where
        tanh(w2 x) = 0.
        """
        w2 = torch.as_tensor(w2, dtype=DTYPE)
        if abs(self.t) >= 1 or self.x == 0:
            return torch.full_like(w2, float("nan"))
        return math.atanh(self.t) / torch.tanh(w2 * self.x)


class LinearRecurrence(Landscape):
    """A one-unit linear recurrent net with a cliff (lecture 2; Pascanu et al. 2013).

    h_0 = 0, h_k = w h_{k-1} + b for k = 1..T, loss L(w, b) = (h_T - y)^2 / 2 with
    h_T = b (1 + w + ... + w^{T-1}). For |w| < 1 the sum stays below 1/(1 - w); past |w| = 1 it
    grows like |w|^T, so the loss rises by orders of magnitude over a short distance in w: a wall
    ("cliff") where the gradient explodes. Value by unrolling the recurrence; gradient and
    Hessian by autograd.
    """

    name = "linear recurrence"
    window = Window((0.0, 1.15), (-0.1, 0.7))

    def __init__(self, steps: int = 20, target: float = 1.0):
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"Invalid steps: {steps!r} (must be a positive integer)")
        self.steps, self.target = steps, float(target)

    def value(self, p):
        w, b = _split(self._points(p))
        h = torch.zeros_like(w)
        for _ in range(self.steps):
            h = w * h + b
        return 0.5 * (h - self.target) ** 2


class TiltedDoubleWell(Landscape):
    """f(x) = x^4 - 2 x^2 + tilt x on the line (dim = 1): two local minima of different height
    when |tilt| is small, so where gradient descent ends depends on where it starts."""

    name = "tilted double well"
    dim = 1
    window = Window((-2.0, 2.0), (-2.0, 2.0))

    def __init__(self, tilt: float = 0.5):
        self.tilt = float(tilt)
        roots = np.roots([4.0, 0.0, -4.0, self.tilt])  # f'(x) = 4x^3 - 4x + tilt
        real = sorted(r.real for r in roots if abs(r.imag) < 1e-9)
        self.minima = tuple((float(x),) for x in real if 12 * x**2 - 4 > 0)

    def value(self, p):
        x = self._points(p)[..., 0]
        return x**4 - 2 * x**2 + self.tilt * x

    def gradient(self, p):
        x = self._points(p)
        return 4 * x**3 - 4 * x + self.tilt

    def hessian(self, p):
        x = self._points(p)
        return (12 * x**2 - 4).unsqueeze(-1)


class LeastSquares(Landscape):
    """f(w) = 1/(2n) ||X w - y||^2 for data X (n x d) and y (n).

    Gradient X^T (X w - y) / n, Hessian X^T X / n.

    ``gradient(w, rows)`` uses only the given rows: the minibatch estimate SGD uses.
    """

    name = "least squares"

    def __init__(self, X: torch.Tensor, y: torch.Tensor):
        X = torch.as_tensor(X, dtype=DTYPE)
        y = torch.as_tensor(y, dtype=DTYPE)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(f"Invalid shapes: X {tuple(X.shape)} and y {tuple(y.shape)}")
        self.X, self.y = X, y
        self.n, self.dim = X.shape

    @classmethod
    def random(cls, n: int = 10_000, d: int = 500, noise: float = 0.5, seed: int = 0):
        """Gaussian X, targets from a random w* plus Gaussian noise of scale ``noise``."""
        g = utils.generator(seed)
        X = torch.randn(n, d, generator=g, dtype=DTYPE)
        w_star = torch.randn(d, generator=g, dtype=DTYPE) / math.sqrt(d)
        y = X @ w_star + noise * torch.randn(n, generator=g, dtype=DTYPE)
        return cls(X, y)

    @classmethod
    def train_test(cls, n_train: int, n_test: int, d: int, noise: float = 1.0, seed: int = 0):
        """Two problems whose targets come from the same w*: a training set and a held-out set."""
        whole = cls.random(n_train + n_test, d, noise, seed)
        return cls(whole.X[:n_train], whole.y[:n_train]), cls(whole.X[n_train:], whole.y[n_train:])

    def value(self, w):
        residual = self._points(w) @ self.X.T - self.y
        return 0.5 * (residual**2).mean(dim=-1)

    def gradient(self, w, rows: torch.Tensor | None = None):
        X, y = (self.X, self.y) if rows is None else (self.X[rows], self.y[rows])
        residual = self._points(w) @ X.T - y
        return residual @ X / len(y)

    def hessian(self, w=None):
        return self.X.T @ self.X / self.n

    def eigenvalues(self) -> torch.Tensor:
        """The Hessian's eigenvalues, ascending: lambda_min ... lambda_max = L."""
        return torch.linalg.eigvalsh(self.hessian())

    def solution(self) -> torch.Tensor:
        return torch.linalg.lstsq(self.X, self.y.unsqueeze(-1)).solution.squeeze(-1)


_REGISTRY = {
    "quadratic": Quadratic,
    "running example": running_example,
    "saddle": saddle,
    "rosenbrock": Rosenbrock,
    "beale": Beale,
    "himmelblau": Himmelblau,
    "monkey saddle": MonkeySaddle,
    "tiny mlp": TinyMLP,
    "tilted double well": TiltedDoubleWell,
    "twin valleys": TwinValleys,
    "linear recurrence": LinearRecurrence,
}


def get(name: str, **kwargs) -> Landscape:
    """Build a surface by name: one of ``sorted(_REGISTRY)``."""
    key = name.lower()
    if key not in _REGISTRY:
        raise ValueError(f"Invalid landscape name: {name!r} (choose from {sorted(_REGISTRY)})")
    return _REGISTRY[key](**kwargs)
