"""One figure style for every nnqft figure (reproductions and experiment reports).

Use it as::

    from nnqft.reproduce import style

    with style.figure_style():
        fig, ax = style.subplots()
        for i, N in enumerate(widths):
            ax.plot(x, y[i], color=style.sequential(len(widths))[i], label=f"N = {N}")
        style.mc_points(ax, x, mc, err, failed=heavy, color=style.CATEGORICAL[0], label="MC")
        style.reference_line(ax, x, 1 / x, label="$1/N$")
        ax.set_xlabel(style.dimensionless("width $N$"))
        style.legend_outside(ax)
        style.save(fig, out / "name.png")        # name.png (200 dpi) and name.pdf

Rules the helpers implement (and every figure follows):

- colours: :data:`CATEGORICAL` (Paul Tol's "muted" scheme, distinguishable with the common
  colour-vision deficiencies) for unordered series, :func:`sequential` (viridis, cut before its
  pale yellow end) for ordered families such as widths; beyond nine series the categorical
  colours repeat with a different marker and line style (:func:`series_style`), so ten curves
  stay distinguishable without colour;
- reference lines (power laws, published values) in dark grey dashes, labelled with exactly the
  function drawn (:func:`reference_line`);
- Monte Carlo points with error bars; points whose error bar cannot be trusted (heavy tails) are
  drawn as failures: an open cross without error bar and their own legend entry
  (:func:`mc_points`);
- legends outside the data area (:func:`legend_outside`), so they never hide data;
- symmetric-log axes with labels at whole decades only (:func:`symlog_axis`), so tick labels do
  not collide around zero;
- every panel has axis labels; dimensionless quantities say so (:func:`dimensionless`);
- each figure is written as PNG at 200 dpi plus PDF, atomically (:func:`save`); tables go into
  the Markdown/HTML reports, never into images.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "CATEGORICAL",
    "MARKERS",
    "LINESTYLES",
    "REFERENCE_COLOR",
    "DPI",
    "RC",
    "figure_style",
    "subplots",
    "sequential",
    "series_style",
    "dimensionless",
    "mc_points",
    "reference_line",
    "legend_outside",
    "log_axes",
    "symlog_axis",
    "save",
]

#: Paul Tol's "muted" qualitative scheme (https://personal.sron.nl/~pault/), colour-blind safe.
CATEGORICAL: tuple[str, ...] = (
    "#332288",  # indigo
    "#CC6677",  # rose
    "#117733",  # green
    "#DDAA33",  # sand (darkened for contrast on white)
    "#88CCEE",  # cyan
    "#882255",  # wine
    "#44AA99",  # teal
    "#999933",  # olive
    "#AA4499",  # purple
)
#: Ten distinct markers (a marker per series keeps curves apart in grey-scale print).
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
#: Line styles used once the categorical colours repeat.
LINESTYLES: tuple[str | tuple, ...] = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)))
#: Colour of reference lines (power laws, published values).
REFERENCE_COLOR = "0.2"
#: Resolution of the PNG files.
DPI = 200

#: The rcParams of every nnqft figure.
RC = {
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 7.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.4,
    "lines.markersize": 4.5,
    "errorbar.capsize": 2,
    "legend.framealpha": 0.9,
    "axes.prop_cycle": None,  # filled in by figure_style (needs matplotlib's cycler)
    "savefig.dpi": DPI,
    "figure.dpi": 100,
    "pdf.fonttype": 42,  # TrueType in PDFs (editable text, accepted by journals)
}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@contextlib.contextmanager
def figure_style() -> Iterator[None]:
    """Context in which matplotlib uses the nnqft style (Agg backend, :data:`RC`)."""
    plt = _plt()
    from cycler import cycler

    rc = dict(RC)
    rc["axes.prop_cycle"] = cycler(color=list(CATEGORICAL))
    with plt.rc_context(rc):
        yield


def subplots(nrows: int = 1, ncols: int = 1, *, panel: tuple[float, float] = (4.2, 3.2),
             **kw):
    """``plt.subplots`` with constrained layout and ``panel`` inches per panel (width, height).

    Call inside :func:`figure_style` (the style applies to artists created in it).
    """
    plt = _plt()
    kw.setdefault("figsize", (panel[0] * ncols, panel[1] * nrows))
    kw.setdefault("layout", "constrained")
    kw.setdefault("squeeze", True)
    return plt.subplots(nrows, ncols, **kw)


def sequential(n: int, cmap: str = "viridis") -> list:
    """``n`` colours of an ordered family (e.g. widths), dark to light, colour-blind safe."""
    plt = _plt()
    cm = plt.get_cmap(cmap)
    if n <= 1:
        return [cm(0.0)]
    return [cm(v) for v in np.linspace(0.0, 0.88, n)]


def series_style(i: int, n: int | None = None, ordered: bool = False) -> dict:
    """Colour, marker and line style of series ``i`` (of ``n``) as plot keywords.

    Unordered series use :data:`CATEGORICAL` and, past nine, a new line style; ordered ones
    (``ordered=True``, ``n`` needed) a :func:`sequential` colour. Markers always differ.
    """
    if ordered:
        if n is None:
            raise ValueError("ordered series need n")
        color = sequential(n)[i]
        ls = "-"
    else:
        color = CATEGORICAL[i % len(CATEGORICAL)]
        ls = LINESTYLES[(i // len(CATEGORICAL)) % len(LINESTYLES)]
    return {"color": color, "marker": MARKERS[i % len(MARKERS)], "linestyle": ls}


def dimensionless(label: str) -> str:
    """``label`` marked as a dimensionless quantity (axis labels)."""
    return f"{label} (dimensionless)"


def mc_points(ax, x, y, err=None, *, failed=None, color=None, marker: str = "o",
              label: str | None = "Monte Carlo", failed_label: str | None = None,
              failed_marker: str = "x", **kw) -> None:
    """Monte Carlo points with error bars; ``failed`` points drawn as failures.

    Parameters
    ----------
    x, y, err : array_like
        Positions, values and standard errors (``err`` may be None).
    failed : array_like of bool, optional
        Points whose error bar cannot be trusted (e.g. the heavy-tail diagnostic fired, or the
        estimate is off the exact value by many of its error bars). They are drawn as open
        crosses (``failed_marker``) without error bars, with the legend entry
        ``failed_label`` (default: ``label`` + " - failed (heavy tails)").
    color, marker, label : plot options for the good points.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    e = None if err is None else np.asarray(err, dtype=float)
    bad = np.zeros(x.shape, dtype=bool) if failed is None else np.asarray(failed, dtype=bool)
    ok = ~bad & np.isfinite(y)
    if np.any(ok):
        ax.errorbar(x[ok], y[ok], yerr=None if e is None else e[ok], fmt=marker, color=color,
                    label=label, linestyle="none", **kw)
    if np.any(bad & np.isfinite(y)):
        sel = bad & np.isfinite(y)
        if failed_label is None and label is not None:
            failed_label = f"{label} - failed (heavy tails)"
        ax.plot(x[sel], y[sel], linestyle="none", marker=failed_marker, markersize=7, mew=1.6,
                color=color, label=failed_label)


def reference_line(ax, x, y, label: str, **kw) -> None:
    """A reference curve (power law, published value): dark grey dashes, labelled ``label``.

    The label must name exactly the function drawn (e.g. ``"$\\propto 1/N^2$"`` for ``1/x**2``).
    """
    kw.setdefault("color", REFERENCE_COLOR)
    kw.setdefault("linestyle", "--")
    kw.setdefault("linewidth", 1.0)
    ax.plot(x, y, label=label, **kw)


def legend_outside(ax_or_fig, where: str = "right", ncols: int | None = None, **kw):
    """A legend outside the data area, so it never hides data.

    ``where``: "right" (beside the axes) or "below" (under the figure, clear of the axis
    labels). With a Figure, or with "below", the handles of all the figure's axes are collected
    (duplicates by label dropped) into one legend; the figure needs constrained layout
    (:func:`subplots`).
    """
    from matplotlib.figure import Figure

    if isinstance(ax_or_fig, Figure):
        handles, labels, seen = [], [], set()
        for ax in ax_or_fig.axes:
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                if lab not in seen and not lab.startswith("_"):
                    seen.add(lab)
                    handles.append(h)
                    labels.append(lab)
        if not handles:
            return None
        if where == "below":
            n = ncols or min(len(labels), 4)
            return ax_or_fig.legend(handles, labels, loc="outside lower center", ncols=n, **kw)
        return ax_or_fig.legend(handles, labels, loc="outside right upper", ncols=ncols or 1,
                                **kw)
    ax = ax_or_fig
    if not ax.get_legend_handles_labels()[0]:
        return None
    if where == "below":  # under the whole figure: clear of tick labels and axis labels
        return legend_outside(ax.figure, where="below", ncols=ncols or 2, **kw)
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), ncols=ncols or 1,
                     borderaxespad=0.0, **kw)


def log_axes(ax, x: bool = True, y: bool = True) -> None:
    """Logarithmic x and/or y axis with labels at major ticks only (short ranges otherwise
    label minor ticks such as 3x10^1 and 4x10^1 on top of each other)."""
    import matplotlib.ticker as mt

    for flag, setter, axis in ((x, ax.set_xscale, ax.xaxis), (y, ax.set_yscale, ax.yaxis)):
        if flag:
            setter("log")
            axis.set_minor_formatter(mt.NullFormatter())


def symlog_axis(ax, axis: str = "y", linthresh: float | None = None,
                data: Sequence[float] | None = None) -> None:
    """A symmetric-log axis labelled at whole decades only (no colliding labels near 0).

    ``linthresh`` defaults to the smallest nonzero ``|data|`` (so every point is on the
    logarithmic part) rounded down to a decade; the linear part is one decade wide. With
    ``data`` (values and error-bar ends) the limits are set to hold all of it with a margin
    (from 0 when nothing is negative).
    """
    import matplotlib.ticker as mt

    vals = np.asarray([] if data is None else data, dtype=float).ravel()
    vals = vals[np.isfinite(vals)]
    if linthresh is None:
        v = np.abs(vals[vals != 0])
        linthresh = 10.0 ** np.floor(np.log10(v.min())) if v.size else 1.0
    setter = ax.set_yscale if axis == "y" else ax.set_xscale
    setter("symlog", linthresh=linthresh, linscale=1.0)
    if vals.size:
        lo, hi = float(vals.min()), float(vals.max())
        lo = 0.0 if lo >= 0 else -max(-lo, linthresh) * 3
        hi = 0.0 if hi <= 0 else max(hi, linthresh) * 3
        (ax.set_ylim if axis == "y" else ax.set_xlim)(lo, hi)
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(mt.SymmetricalLogLocator(base=10, linthresh=linthresh,
                                                      subs=[1.0]))
    target.set_minor_locator(mt.NullLocator())
    lo, hi = (ax.get_ylim() if axis == "y" else ax.get_xlim())
    decades = sum(np.log10(max(abs(v), linthresh) / linthresh) for v in (lo, hi))
    step = max(1, int(np.ceil(decades / 8)))  # at most ~8 labelled decades in all

    def fmt(val, _pos):
        if val == 0:
            return "0"
        k = np.log10(abs(val) / linthresh)
        if abs(k - round(k)) > 1e-6 or round(k) % step or round(k) == 0:
            return ""  # +-linthresh sits half a decade from 0: its label would crowd "0"
        e = int(round(np.log10(abs(val))))
        return ("$-$" if val < 0 else "") + f"$10^{{{e}}}$"

    target.set_major_formatter(mt.FuncFormatter(fmt))


def save(fig, path: str | Path, **savefig_kw) -> list[Path]:
    """Write ``fig`` as ``NAME.png`` (200 dpi) and ``NAME.pdf`` atomically; closes it.

    ``path`` may end in ``.png`` or have no suffix. Returns the two paths. Metadata that changes
    from run to run (creation date, software version) is left out, so reruns give the same
    bytes where the backend allows.
    """
    from ..io import atomic_write

    plt = _plt()
    path = Path(path)
    png = path if path.suffix == ".png" else path.with_suffix(".png")
    pdf = png.with_suffix(".pdf")
    kw = {"bbox_inches": "tight", **savefig_kw}
    try:
        atomic_write(png, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI,
                                                  metadata={"Software": None}, **kw))
        atomic_write(pdf, lambda tmp: fig.savefig(tmp, format="pdf",
                                                  metadata={"Creator": None, "Producer": None,
                                                            "CreationDate": None}, **kw))
    finally:
        plt.close(fig)
    return [png, pdf]
