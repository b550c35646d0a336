"""The shared figure style and the experiment figures: what is drawn matches what is labelled.

Figures are captured before saving (``style.save`` is replaced by a recorder) so that the
artists can be inspected: reference lines against the function their legend names, failed Monte
Carlo points drawn apart, axis labels on every panel, PNG at 200 dpi plus PDF.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from nnqft.experiments import plots
from nnqft.reproduce import style


@pytest.fixture
def captured(monkeypatch):
    """Figures handed to style.save, kept open for inspection."""
    figs = []

    def keep(fig, path, **kw):
        figs.append(fig)
        return [path, path]

    monkeypatch.setattr(style, "save", keep)
    yield figs
    import matplotlib.pyplot as plt

    for f in figs:
        plt.close(f)


def _free_theory_ds(heavy_gauss=True):
    N = np.array([2.0, 5.0, 20.0, 100.0, 1000.0])
    series = ["erf", "gauss"]
    order = [2, 4, 6]
    m_ex = np.stack([np.stack([0 * N, 1 / N, 3 / N], -1), np.stack([0 * N, 5 / N, 9 / N], -1)])
    m_mc = m_ex * 1.05
    heavy = np.array([[0] * 5, [int(heavy_gauss)] * 5])
    return xr.Dataset(
        {"m_exact": (("series", "width", "order"), m_ex),
         "m_mc": (("series", "width", "order"), m_mc),
         "m_mc_err": (("series", "width", "order"), 0.1 * m_mc),
         "m_floor": (("series", "width", "order"), 0.01 + 0 * m_mc),
         "r6_exact": (("series", "width"), np.stack([2 / N**2, 7 / N**2])),
         "r6_mc": (("series", "width"), np.stack([2.1 / N**2, 3 / N**2])),
         "r6_mc_err": (("series", "width"), np.stack([0.1 / N**2, 0.1 / N**2])),
         "heavy_tail": (("series", "width"), heavy)},
        coords={"series": series, "width": N, "order": order})


def test_free_theory_reference_lines_match_their_labels(captured, tmp_path):
    """The bug this guards: the 6-point panel drew 1/N^2 while the only legend said 1/N."""
    plots.plot_free_theory(_free_theory_ds(), tmp_path / "f.png")
    (fig,) = captured
    axes = fig.axes
    assert len(axes) == 3
    expected = {"$1/N$": lambda n: 1 / n, "$1/N^2$": lambda n: 1 / n**2}
    seen = []
    for ax in axes:
        refs = [ln for ln in ax.get_lines() if ln.get_label() in expected]
        assert len(refs) == 1
        ln = refs[0]
        x, y = ln.get_xdata(), ln.get_ydata()
        np.testing.assert_allclose(y, expected[ln.get_label()](x), rtol=1e-12)
        seen.append(ln.get_label())
    assert seen == ["$1/N$", "$1/N$", "$1/N^2$"]
    # the two reference lines differ in style, so one shared legend tells them apart
    styles = {ln.get_label(): ln.get_linestyle() for ax in axes for ln in ax.get_lines()
              if ln.get_label() in expected}
    assert styles["$1/N$"] != styles["$1/N^2$"]
    legend_labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "$1/N$" in legend_labels and "$1/N^2$" in legend_labels
    # negative control: the old drawing (1/N^2 labelled 1/N) fails the same comparison
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(axes[2].get_lines()[-1].get_ydata(), expected["$1/N$"](
            axes[2].get_lines()[-1].get_xdata()), rtol=1e-12)


def test_every_panel_is_labelled_and_legends_sit_outside(captured, tmp_path):
    plots.plot_free_theory(_free_theory_ds(), tmp_path / "f.png")
    (fig,) = captured
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel()
        assert ax.get_legend() is None  # no legend on top of the data
    assert len(fig.legends) == 1


def test_failed_monte_carlo_points_are_drawn_as_failures(captured, tmp_path):
    plots.plot_free_theory(_free_theory_ds(heavy_gauss=True), tmp_path / "f.png")
    labels = [t.get_text() for t in captured[0].legends[0].get_texts()]
    assert "gauss: Monte Carlo, failed (heavy tails)" in labels
    assert "gauss: Monte Carlo" not in labels and "erf: Monte Carlo" in labels
    plots.plot_free_theory(_free_theory_ds(heavy_gauss=False), tmp_path / "g.png")
    labels = [t.get_text() for t in captured[1].legends[0].get_texts()]
    assert not any("failed" in t for t in labels)


def test_mc_points_failures_have_no_error_bars():
    import matplotlib.pyplot as plt

    with style.figure_style():
        fig, ax = style.subplots()
        style.mc_points(ax, [1, 2, 3], [1.0, 2.0, 3.0], [0.1, 0.1, 0.1],
                        failed=[False, True, False], label="MC")
        ok = [c for c in ax.containers]  # one errorbar container: the good points only
        assert len(ok) == 1 and len(ok[0].lines[0].get_xdata()) == 2
        crosses = [ln for ln in ax.get_lines() if ln.get_marker() == "x"]
        assert len(crosses) == 1 and list(crosses[0].get_xdata()) == [2.0]
        plt.close(fig)


def test_ten_series_are_distinguishable():
    st = [style.series_style(i) for i in range(10)]
    keys = {(s["color"], s["marker"], s["linestyle"]) for s in st}
    assert len(keys) == 10
    assert len({s["color"] for s in st[:9]}) == 9  # nine colours before any repeats
    assert len({s["marker"] for s in st}) == 10
    seq = style.sequential(10)
    assert len({tuple(np.round(c, 6)) for c in seq}) == 10


def test_symlog_labels_whole_decades_only():
    import matplotlib.pyplot as plt

    with style.figure_style():
        fig, ax = style.subplots()
        y = np.array([-3e-5, -2e-3, 0.0, 1e-4, 5e-2, 3.0, 100.0])
        ax.plot(np.arange(len(y)), y, "o")
        style.symlog_axis(ax, data=y)
        fig.canvas.draw()
        labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert "0" in labels
        for t in labels:
            assert t == "0" or "10^{" in t  # whole decades, nothing in between
        assert len(labels) == len(set(labels))
        lo, hi = ax.get_ylim()
        assert lo < -3e-5 and hi > 100  # every point inside the axes
        plt.close(fig)


def test_save_writes_png_at_200_dpi_and_pdf(tmp_path):
    from PIL import Image

    with style.figure_style():
        fig, ax = style.subplots()
        ax.plot([1, 2], [1, 2])
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        png, pdf = style.save(fig, tmp_path / "a.png")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    with Image.open(png) as im:
        assert tuple(round(v) for v in im.info["dpi"]) == (200, 200)
