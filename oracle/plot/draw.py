"""Drawing with matplotlib, headless, reproducibly: figures from :mod:`.data` and golden files.

matplotlib is imported only inside these functions (:func:`require`): without it
they raise :class:`PlotUnavailable`, whose message names the ``plot`` extra.
Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas (no
pyplot, no display, no global figure registry), under matplotlib's default style
(a user's matplotlibrc does not change the picture), and :func:`save` writes
PNG, SVG or PDF without dates or version stamps, so the same data give the same
bytes with the same matplotlib.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Any, Iterator, Optional, Union

import numpy as np

EXTRA = "pip install 'rmsprop-oracle[plot]'"
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}
RC = {"svg.hashsalt": "rmsprop-oracle", "svg.fonttype": "path", "pdf.compression": 6}
HORIZON_STYLE = {"float64": ("black", ":"), "float32": ("0.45", "-."), "float16": ("0.6", "--")}


class PlotUnavailable(ImportError):
    """matplotlib is not importable; the message says how to install the ``plot`` extra."""


def require() -> Any:
    """The matplotlib module, or :class:`PlotUnavailable` naming the extra."""
    try:
        import matplotlib
        import matplotlib.figure  # noqa: F401
        import matplotlib.style  # noqa: F401
        from matplotlib.backends import backend_agg  # noqa: F401
    except ImportError:
        raise PlotUnavailable(f"matplotlib is not installed; install the plot extra: {EXTRA}") from None
    return matplotlib


@contextlib.contextmanager
def style() -> Iterator[Any]:
    """matplotlib's default style plus the reproducibility settings, for building and saving."""
    mpl = require()
    with mpl.style.context("default"), mpl.rc_context(RC):
        yield mpl


def new_figure(rows: int, heights: Optional[list] = None, size: tuple = (9.0, 7.5)) -> tuple[Any, list]:
    """A constrained-layout figure on the Agg canvas with ``rows`` stacked axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=100, constrained_layout=True)
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, 1, gridspec_kw={"height_ratios": heights} if heights else None, squeeze=False)
    return fig, [a for row in axes for a in row]


def save(fig: Any, path: Union[str, Path]) -> Path:
    """Write ``fig`` as PNG, SVG or PDF (by the suffix), without timestamps or version stamps."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"output must end in {', '.join(FORMATS)}, got {str(path)!r}")
    with style():
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format=fmt, metadata=METADATA[fmt])
    return path


def mark_horizon(ax: Any, step: int, label: str, color: str = "0.35", ls: str = ":",
                 shade_to: Optional[float] = None) -> None:
    """A vertical line at ``step``; with ``shade_to``, the steps after it greyed out."""
    ax.axvline(step, color=color, ls=ls, lw=1.2, label=label)
    if shade_to is not None and shade_to > step:
        ax.axvspan(step, shade_to, color="0.92", zorder=0,
                   label="past the horizon: an element is compared only while its bound <= u^(1/3)|exact|")


def step_axis(ax: Any, steps: int, first: int = 0) -> None:
    """Integer ticks, steps ``first``..``steps``."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlim(first - 0.5, max(steps, first + 1) + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("step")


def _floor_ceiling(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values) & (values > 0)]
    lo = float(finite.min()) if finite.size else 1.0
    hi = float(finite.max()) if finite.size else 1.0
    return 10.0 ** math.floor(math.log10(lo)) / 2, 10.0 ** math.ceil(math.log10(hi)) * 2


def error_axes(ax: Any, d: Any) -> None:
    """Error and bound in ULPs per step, log scale; horizon and first exceedance marked."""
    steps = np.arange(1, d.last + 1)
    err, bound, comp, ratio = d.err_ulp[1:], d.bound_ulp[1:], d.compared[1:], d.ratio[1:]
    if d.per_element:
        series = [(d.labels[j], err[:, j], bound[:, j], comp[:, j], f"C{j}", ratio[:, j])
                  for j in range(len(d.labels))]
    else:
        r = np.where(comp, ratio, -1.0)
        pick = np.argmax(r, axis=1)
        rows = np.arange(len(steps))
        series = [("worst element per step", err[rows, pick], bound[rows, pick], comp.any(axis=1), "C0",
                   ratio[rows, pick])]
    shown = np.concatenate([np.where(c, e, np.nan) for _, e, _, c, _, _ in series] +
                           [np.where(c, b, np.nan) for _, _, b, c, _, _ in series]) if series else np.zeros(0)
    floor, ceiling = _floor_ceiling(shown)
    for label, e, b, c, color, r in series:
        ec = np.where(c, e, np.nan)
        ax.plot(steps, np.where(ec > 0, ec, np.nan), "o-", ms=3, lw=1.2, color=color, label=f"error {label}")
        ax.plot(steps, np.where(c & (b > 0), b, np.nan), "--", lw=1.2, color=color, label=f"bound {label}")
        zero = c & (e == 0)
        if zero.any():
            ax.plot(steps[zero], np.full(zero.sum(), floor), "v", ms=4, color=color, ls="none",
                    label=f"error 0 {label} (drawn at the bottom)")
        over = c & ~(r <= 1.0) & np.isfinite(e) & (e > 0)
        if over.any():
            ax.plot(steps[over], e[over], "o", ms=7, mfc="none", mec="red", ls="none",
                    label=f"error > bound {label}")
        bad = c & ~np.isfinite(e)
        if bad.any():
            ax.plot(steps[bad], np.full(bad.sum(), ceiling), "X", ms=6, color="red", ls="none",
                    label=f"non-finite output {label}")
    ax.set_yscale("log")
    ax.set_ylim(floor / 1.5, ceiling * 1.5)
    step_axis(ax, d.steps, first=1)
    if d.horizon is not None:
        mark_horizon(ax, d.horizon, f"horizon: step {d.horizon} (every bound <= u^(1/3)|exact| up to here)",
                     shade_to=d.steps + 0.5)
    if d.first_exceed is not None:
        ax.axvline(d.first_exceed, color="red", lw=1.5, label=f"first error > bound: step {d.first_exceed}")
    ax.set_ylabel(f"ULPs of {d.dtype} at the exact value")
    how = "per element" if d.per_element else f"worst of {len(d.labels)} elements (largest error/bound) per step"
    ax.set_title(f"Error |got - exact| and forward error bound, in ULPs ({how})", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7, loc="best", ncol=2 if len(series) > 2 else 1)


def trajectory_axes(ax: Any, d: Any) -> None:
    """Exact trajectory (line) and the candidate's values (crosses) per element."""
    cols = list(range(len(d.labels))) if d.per_element else [d.worst_element()]
    src = "certified golden values" if d.exact_source == "golden" else "reference hi + lo"
    for k, j in enumerate(cols):
        color = f"C{j}" if d.per_element else "C0"
        ax.plot(d.exact_steps, d.exact[:, j], "-", lw=1.6, color=color, alpha=0.6, label=f"exact {d.labels[j]}")
        ax.plot(np.arange(d.got.shape[0]), d.got[:, j], "x", ms=4, color=color, label=f"candidate {d.labels[j]}")
    if d.horizon is not None:
        mark_horizon(ax, d.horizon, f"horizon: step {d.horizon}")
    step_axis(ax, d.steps)
    ax.set_ylabel("parameter value")
    which = "" if d.per_element else f" (element {d.labels[cols[0]]}, the worst)"
    ax.set_title(f"Trajectory: exact ({src}) vs candidate ({d.dtype}){which}", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="best", ncol=2 if len(cols) > 2 else 1)


def verdict(d: Any) -> str:
    """One line: within the bound or not, worst ratio and ULPs, how far compared."""
    upto = f"compared to step {d.horizon} (the horizon)" if d.horizon is not None else f"compared over all {d.steps} steps"
    worst = f"worst error {d.worst_ratio:.3g} x bound, {d.worst_ulp:.3g} ULP"
    if d.first_exceed is not None:
        return f"FAILS: error exceeds the bound first at step {d.first_exceed}; {worst}; {upto}"
    return f"within the bound at every compared step; {worst}; {upto}"


def error_figure(d: Any) -> Any:
    """The two-panel figure of an :class:`~oracle.plot.data.ErrorData`."""
    with style():
        fig, (top, bottom) = new_figure(2, [3, 2])
        error_axes(top, d)
        trajectory_axes(bottom, d)
        fig.suptitle(f"RMSProp against its error bound: case {d.case} ({d.loop} loop, {d.steps} steps), {d.dtype}\n"
                     f"candidate {d.candidate}, convention {d.convention}\n{verdict(d)}", fontsize=10)
    return fig


def golden_trajectory_figure(doc: dict, steps: list, values: np.ndarray, labels: list, horizons: dict) -> Any:
    """A golden file's certified trajectory per element with its per-dtype horizons."""
    with style():
        fig, (ax,) = new_figure(1, size=(9.0, 4.8))
        for j, label in enumerate(labels[:8]):
            ax.plot(steps, values[:, j], ".-", ms=3, lw=1.2, color=f"C{j}", label=label)
        for dtype, h in horizons.items():
            color, ls = HORIZON_STYLE[dtype]
            mark_horizon(ax, h, f"{dtype} horizon: step {h}", color=color, ls=ls)
        step_axis(ax, int(max(steps)))
        ax.set_ylabel("parameter value (certified)")
        ax.set_title(f"golden/{doc['case']}.json: certified trajectory"
                     + (" and horizons (last step a float run can be held to it)" if horizons else ""), fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="best")
        fig.suptitle(doc["description"], fontsize=9)
    return fig


def gluon_cycle_figure(c: Any) -> Any:
    """The intended Gluon run: even/odd epochs of each parameter, the cycle centre, the 2-epoch change."""
    with style():
        fig, (top, bottom) = new_figure(2, [3, 2], size=(9.0, 7.5))
        for j, label in enumerate(c.labels):
            for parity, ls, marker in ((0, "-", "."), (1, "--", "")):
                sel = c.steps % 2 == parity
                top.plot(c.steps[sel], c.values[sel, j], ls=ls, marker=marker, ms=3, lw=1.2, color=f"C{j}",
                         label=f"{label}, {'even' if parity == 0 else 'odd'} epochs")
            top.axhline(c.centre[j], color=f"C{j}", lw=0.8, ls=(0, (1, 3)))
        top.plot([], [], color="0.3", lw=0.8, ls=(0, (1, 3)), label="cycle centre c (epoch 2000)")
        for ax in (top, bottom):
            for dtype, h in c.horizons.items():
                color, ls = HORIZON_STYLE[dtype]
                mark_horizon(ax, h, f"{dtype} horizon: epoch {h}", color=color, ls=ls)
            ax.set_xscale("symlog", linthresh=10)
            ax.set_xlim(0, c.steps[-1] * 1.05)
            ax.set_xlabel("epoch (linear to 10, logarithmic after)")
            ax.grid(True, alpha=0.3)
        top.set_ylabel("parameter value (certified)")
        top.set_title("Certified trajectory: even and odd epochs converge to c + delta and c - delta", fontsize=10)
        top.legend(fontsize=7, ncol=2, loc="center right", framealpha=0.95)
        gap = np.flatnonzero(np.diff(c.change_steps) > 1) + 1  # runs of consecutive stored epochs
        for k, (a, b) in enumerate(zip([0, *gap], [*gap, len(c.change_steps)])):
            if k:
                bottom.plot(c.change_steps[a - 1:a + 1], c.change[a - 1:a + 1], ":", lw=1.2, color="C4",
                            label="epochs not stored: joined by a straight line" if k == 1 else None)
            bottom.plot(c.change_steps[a:b], c.change[a:b], "o-", ms=3, lw=1.2, color="C4",
                        label="max_i |p_i(t) - p_i(t-2)| / 2" if k == 0 else None)
        bottom.set_yscale("log")
        bottom.set_ylabel("half change over 2 epochs")
        bottom.set_title("Approach to the period-2 cycle (from the 50-digit certified values)", fontsize=10)
        bottom.legend(fontsize=7, loc="lower left")
        fig.suptitle(f"golden/{c.case}.json: the intended Gluon run ({c.epochs} certified epochs) settles on a "
                     f"period-2 cycle\np = c +- delta around c = ({', '.join(f'{x:.4g}' for x in c.centre)}), "
                     f"delta = ({', '.join(f'{x:.3g}' for x in c.delta)}); loss stays at {c.loss:.4g}", fontsize=10)
    return fig
