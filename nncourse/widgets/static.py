"""The kernel-free version of a figure app, for the built book.

The figure is rendered in advance for every combination of a small grid of parameter values
(:func:`choose_grid`: every option of a choice, a few values of each slider including its default
and both ends, or what the app asks for), each frame a compressed WebP image. :func:`static_html`
embeds the frames in one HTML snippet with a few lines of JavaScript that build the controls and
show the frame for the selected values. It needs no kernel, no server and no CDN: it works from
``file://``. Controls exist only where there is more than one precomputed value (parameters with
one value are listed as fixed), and they say that they snap to precomputed values.

The budget: at most :data:`APP_BUDGET_BYTES` of frames per app (so a page with two apps stays
under :data:`PAGE_BUDGET_BYTES`), and :data:`BOOK_BUDGET_BYTES` for the whole book; the book's
tests check the page and book budgets on the built HTML.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.ticker import LogFormatterSciNotation, NullLocator

from nncourse.parallel import parallel_map
from nncourse.plotting import DPI
from nncourse.plotting.check import check_figure, checking
from nncourse.widgets.params import Param

__all__ = [
    "APP_BUDGET_BYTES",
    "BOOK_BUDGET_BYTES",
    "PAGE_BUDGET_BYTES",
    "DeadControlError",
    "FrameError",
    "StaticFrames",
    "choose_grid",
    "encode_frame",
    "render_frames",
    "static_html",
]

APP_BUDGET_BYTES = 2_000_000
PAGE_BUDGET_BYTES = 4_000_000
BOOK_BUDGET_BYTES = 40_000_000
DEFAULT_COUNT = 5  # values per slider unless the app says otherwise
FRAME_DPI = DPI  # frames fill the book's column at their drawn size (nncourse.plotting)
FRAME_QUALITY = 80
FRAME_MIME = "image/webp"
SCRIPT = (Path(__file__).with_name("static_figure.js")).read_text()


class FrameError(RuntimeError):
    """The figure function raised for one combination of parameter values (named)."""


class DeadControlError(ValueError):
    """A control whose precomputed values all show the same frame: it would do nothing."""


def choose_grid(
    params: Sequence[Param], overrides: Mapping[str, int | Sequence] | None = None
) -> dict[str, list]:
    """The values precomputed per parameter, from the specs and the app's ``overrides``.

    An override is a count of slider values (``Param.grid(count)``) or an explicit list that
    must contain the default (the book opens on the live app's first frame). One value fixes
    the parameter at its default in the book.
    """
    overrides = dict(overrides or {})
    unknown = set(overrides) - {p.name for p in params}
    if unknown:
        raise ValueError(f"Invalid static overrides: no parameters named {sorted(unknown)}")
    grid = {}
    for param in params:
        choice = overrides.get(param.name, DEFAULT_COUNT)
        if isinstance(choice, int) and not isinstance(choice, bool):
            if choice == 1 or param.kind not in ("choice", "bool"):
                values = param.grid(choice)
            else:  # every option of a choice, both states of a bool
                values = param.grid()
        else:
            values = list(choice)
            for value in values:
                param.check_value(value)
            if param.value not in values:
                raise ValueError(
                    f"Invalid static values for {param.name!r}: {values} must contain "
                    f"the default {param.value!r}"
                )
        grid[param.name] = values
    return grid


_SUPERSCRIPTS = str.maketrans("-−0123456789", "⁻⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _plain_power(label: str) -> str:
    r"""A log axis's mathtext label as plain text: ``$\mathdefault{2\times10^{-3}}$`` ->
    ``2×10⁻³``. Plain text draws without the mathtext parser (about 15 ms a label, parsed
    again for every new figure)."""
    match = re.fullmatch(r"\$\\mathdefault\{(.*)\}\$", label)
    if match is None:
        return label
    body = match.group(1).replace("\\times", "×").replace("\\cdot", "·")
    return re.sub(r"\^\{([^}]*)\}", lambda power: power.group(1).translate(_SUPERSCRIPTS), body)


class PlainLogFormatter(LogFormatterSciNotation):
    """matplotlib's log-axis labels (same ticks, same numbers) in plain text."""

    def __call__(self, x, pos=None) -> str:
        return _plain_power(super().__call__(x, pos))


def lean(fig):
    """Drop what costs render time and shows little: minor ticks of log axes (matplotlib makes
    a tick object, line and label for each), and mathtext in log axes' labels (the same labels
    in plain text). Returns ``fig``."""
    for ax in fig.axes:
        for axis, limits in ((ax.xaxis, ax.get_xlim), (ax.yaxis, ax.get_ylim)):
            if axis.get_scale() == "log":
                low, high = sorted(limits())
                if low > 0 and high / low > 30:  # labelled major ticks remain: at least two
                    axis.set_minor_locator(NullLocator())
                for get, put in (
                    (axis.get_major_formatter, axis.set_major_formatter),
                    (axis.get_minor_formatter, axis.set_minor_formatter),
                ):
                    old = get()
                    if type(old) is LogFormatterSciNotation:
                        put(
                            PlainLogFormatter(
                                old._base,
                                labelOnlyBase=old.labelOnlyBase,
                                minor_thresholds=old.minor_thresholds,
                                linthresh=old._linthresh,
                            )
                        )
    return fig


def encode_frame(fig) -> bytes:
    """One frame: the figure as a small WebP image."""
    lean(fig)
    buffer = io.BytesIO()
    fig.savefig(
        buffer, format="webp", dpi=FRAME_DPI, pil_kwargs={"quality": FRAME_QUALITY, "method": 4}
    )
    return buffer.getvalue()


@dataclass
class StaticFrames:
    """Frames over a grid: ``frames[index[key]]`` for ``key`` a tuple of value indices."""

    params: list[Param]
    grid: dict[str, list]
    frames: list[bytes] = field(default_factory=list)
    index: dict[tuple[int, ...], int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def nbytes(self) -> int:
        return sum(len(frame) for frame in self.frames)

    def default_key(self) -> tuple[int, ...]:
        return tuple(self.grid[p.name].index(p.value) for p in self.params)

    def frame(self, **values) -> bytes:
        """The frame shown for these values (defaults for those not given)."""
        key = list(self.default_key())
        for k, p in enumerate(self.params):
            if p.name in values:
                key[k] = self.grid[p.name].index(values[p.name])
        return self.frames[self.index[tuple(key)]]


def render_frames(
    figure_fn: Callable,
    params: Sequence[Param],
    grid: Mapping[str, list],
    fixed: Mapping | None = None,
    budget: int = APP_BUDGET_BYTES,
    encode: Callable = encode_frame,
) -> StaticFrames:
    """Render ``figure_fn(**fixed, **values)`` for every combination in ``grid``.

    The frames are rendered side by side on the CPU's cores
    (:func:`nncourse.parallel.parallel_map`).
    Identical frames are stored once. Raises :class:`FrameError` naming the combination when
    the figure function raises, :class:`DeadControlError` when moving a control from the default
    frame changes nothing, and ValueError when the frames exceed ``budget`` bytes.
    """
    params = list(params)
    fixed = dict(fixed or {})
    result = StaticFrames(params, {p.name: list(grid[p.name]) for p in params})
    start = time.perf_counter()
    keys = list(itertools.product(*[range(len(result.grid[p.name])) for p in params]))

    def render(key: tuple[int, ...]) -> bytes:
        values = {p.name: result.grid[p.name][i] for p, i in zip(params, key, strict=True)}
        try:
            fig = figure_fn(**fixed, **values)
            if checking():  # NNLIB_CHECK_FIGURES=1: every frame must be readable
                check_figure(fig, dpi=FRAME_DPI, tight=False)
            return encode(fig)
        except Exception as error:
            combination = ", ".join(f"{name}={value!r}" for name, value in values.items())
            raise FrameError(
                f"{getattr(figure_fn, '__name__', figure_fn)} failed for {combination}: "
                f"{type(error).__name__}: {error}"
            ) from error

    seen: dict[bytes, int] = {}
    for key, frame in zip(keys, parallel_map(render, keys), strict=True):
        if frame not in seen:
            seen[frame] = len(result.frames)
            result.frames.append(frame)
        result.index[key] = seen[frame]
    result.seconds = time.perf_counter() - start
    if result.nbytes > budget:
        raise ValueError(
            f"Invalid static grid: {len(result.index)} frames take {result.nbytes / 1e6:.2f} MB, "
            f"over the budget of {budget / 1e6:.2f} MB per app; precompute fewer values"
        )
    _check_no_dead_control(result)
    return result


def _check_no_dead_control(result: StaticFrames) -> None:
    default = result.default_key()
    for k, param in enumerate(result.params):
        values = result.grid[param.name]
        for i in range(1, len(values)):
            before, after = list(default), list(default)
            before[k], after[k] = i - 1, i
            if result.index[tuple(before)] == result.index[tuple(after)]:
                raise DeadControlError(
                    f"Invalid static grid: {param.name} = {values[i - 1]!r} and {values[i]!r} "
                    "show the same frame (the control would do nothing); choose other values"
                )


def _data_uri(frame: bytes) -> str:
    return f"data:{FRAME_MIME};base64," + base64.b64encode(frame).decode("ascii")


def static_html(frames: StaticFrames, title: str = "") -> str:
    """The kernel-free figure: the default frame, the frame data, and the script that builds
    controls for the parameters with more than one value."""
    moving = [p for p in frames.params if len(frames.grid[p.name]) > 1]
    fixed = [p for p in frames.params if len(frames.grid[p.name]) == 1]
    default = frames.default_key()
    position = {p.name: k for k, p in enumerate(frames.params)}
    data = {
        "params": [
            {
                "name": p.name,
                "label": p.title,
                "kind": p.kind,
                "group": p.group,
                "position": position[p.name],
                "values": [p.format(v) for v in frames.grid[p.name]],
                "default": default[position[p.name]],
            }
            for p in moving
        ],
        "size": len(frames.params),
        "default": list(default),
        "index": {",".join(map(str, key)): i for key, i in frames.index.items()},
        "frames": [_data_uri(frame) for frame in frames.frames],
    }
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    counts = ", ".join(f"{p.title}: {len(frames.grid[p.name])}" for p in moving)
    note = (
        f"In this book the frames were computed in advance ({counts} values); the controls "
        "snap to them. Run the notebook in Jupyter or Colab and the figure is recomputed for any "
        "value as you move a control."
        if moving
        else "In this book a frame computed in advance. Run the notebook in Jupyter or Colab to "
        "change the parameters."
    )
    if 0 < len(fixed) <= 4:
        note += " Fixed in the book: " + ", ".join(
            f"{p.title} = {p.format(frames.grid[p.name][0])}" for p in fixed
        )
        note += "."
    elif fixed:
        note += f" The other {len(fixed)} controls stay at their defaults in the book."
    alt = html.escape(title or "interactive figure, precomputed")
    first = frames.frames[frames.index[default]]
    return (
        '<div class="nnlib-static-figure" style="margin:0.5em 0">\n'
        '<div class="nnlib-controls" style="display:flex;flex-direction:column;gap:2px;'
        'font-size:0.85em"></div>\n'
        f'<img class="nnlib-frame" alt="{alt}" data-key="{",".join(map(str, default))}" '
        f'style="max-width:100%;height:auto" src="{_data_uri(first)}">\n'
        '<p class="nnlib-note" style="font-size:0.8em;color:#555;margin:0">'
        f"{html.escape(note)}</p>\n"
        f'<script type="application/json" class="nnlib-frames">{payload}</script>\n'
        f"<script>{SCRIPT}</script>\n"
        "</div>"
    )
