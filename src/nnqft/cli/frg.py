"""``nnqft frg exponents`` and ``nnqft frg flow`` (design.md section 4)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..io import write_netcdf
from . import cli
from ._common import InputError, emit_json


@cli.group()
def frg() -> None:
    """Functional RG in the LPA: fixed points, exponents and flows."""


@frg.command()
@click.option("--dim", type=float, default=3.0, show_default=True, help="Dimension d (real).")
@click.option("--components", type=int, default=1, show_default=True, help="O(n): n.")
@click.option("--regulator", default="litim", show_default=True,
              help="litim, exponential, gaussian or litim_spectral.")
@click.option("--method", type=click.Choice(["polynomial", "grid", "shooting"]),
              default="polynomial", show_default=True)
@click.option("--order", type=int, default=16, show_default=True,
              help="Polynomial order M: u truncated at (rho - rho_0)^M, rho_0 the minimum "
                   "(converges to order 40 and beyond).")
@click.option("--expand-about", type=click.Choice(["minimum", "zero"]), default="minimum",
              show_default=True)
@click.option("--grid-points", type=int, default=201, show_default=True,
              help="Grid method: number of points.")
@click.option("--grid-seed", type=click.Choice(["quadratic", "shooting", "polynomial"]),
              default="quadratic", show_default=True,
              help="Grid method: Newton's start (quadratic: the order-2 closed form, so the grid "
                   "is independent of the polynomial method).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def exponents(dim, components, regulator, method, order, expand_about, grid_points, grid_seed,
              as_json):
    """Wilson-Fisher fixed point and critical exponents (nu, omega, eigenvalues).

    nu comes from the most relevant physical direction; every relevant one is listed
    ("relevant", theta > 0). JSON also carries "diagnostics" (Newton residual, seed, grid
    eigenvector filter) and, for the polynomial method, "convergence" (nu, omega by order).
    Numerical failure (no convergence) exits with status 1, bad input with 2.
    """
    from ..frg import LPA

    if not 20 <= grid_points <= 4001:
        raise InputError(f"--grid-points must be between 20 and 4001 (the stability matrix is "
                         f"dense), got {grid_points}")
    if not 2 <= order <= 100:
        raise InputError(f"--order must be between 2 and 100 (double precision converges by "
                         f"order 30-40; order 80 takes ~20 s), got {order}")
    lpa = LPA(dim=dim, components=components, regulator=regulator)
    if method == "polynomial":
        fp = lpa.fixed_point(method="polynomial", order=order, expand_about=expand_about)
    elif method == "grid":
        fp = lpa.fixed_point(method="grid", n_points=grid_points, seed=grid_seed)
    else:
        fp = lpa.fixed_point(method="shooting")
    out = fp.to_dict()
    if as_json:
        emit_json(out)
    else:
        click.echo(f"nu = {fp.nu:.10g}   omega = {fp.omega:.10g}")
        click.echo("relevant theta: " + " ".join(f"{x:.10g}" for x in fp.relevant))
        click.echo(f"minimum r_0 (kappa) = {fp.minimum:.10g}   "
                   f"u''(r_0) (lambda) = {fp.curvature:.10g}")
        click.echo("eigenvalues: " + " ".join(f"{x:.6g}" for x in out["eigenvalues"]
                                             if not isinstance(x, list)))


@frg.command()
@click.option("--dim", type=float, default=1.0, show_default=True)
@click.option("--components", type=int, default=1, show_default=True)
@click.option("--regulator", default="litim", show_default=True)
@click.option("--kinetic", default=None,
              help="JSON: {\"A\": .., \"mu2\": ..} (exponential) or {\"Z0\": .., \"m2\": ..}; "
                   "default p^2.")
@click.option("--method", type=click.Choice(["polynomial", "grid"]), default="polynomial",
              show_default=True)
@click.option("--initial", required=True,
              help="JSON couplings, e.g. '[2, -0.0736, 50]' = u2, u4, u6 "
                   "(U = sum u_2j phi^2j/(2j)!).")
@click.option("--k-start", type=float, required=True)
@click.option("--k-end", type=float, required=True)
@click.option("--order", type=int, default=None, help="Polynomial order (default: len(initial)).")
@click.option("--expand-about", type=click.Choice(["zero", "minimum"]), default="zero",
              show_default=True)
@click.option("--rho-max", type=float, default=1.0, show_default=True, help="Grid: rho range.")
@click.option("--out", "out", required=True, type=click.Path(),
              help="Output stem: writes OUT.nc, OUT.png (200 dpi) and OUT.pdf.")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
def flow(dim, components, regulator, kinetic, method, initial, k_start, k_end, order,
         expand_about, rho_max, out, force, as_json):
    """Integrate a polynomial or grid flow; write NetCDF and a plot."""
    from ..frg import LPA, ExponentialKinetic, P2Kinetic

    try:
        init = json.loads(initial)
    except json.JSONDecodeError:
        raise InputError(f"--initial must be JSON, got {initial!r}") from None
    kin = None
    if kinetic:
        try:
            kd = json.loads(kinetic)
        except json.JSONDecodeError:
            raise InputError(f"--kinetic must be JSON, got {kinetic!r}") from None
        if set(kd) == {"A", "mu2"}:
            kin = ExponentialKinetic(float(kd["A"]), float(kd["mu2"]))
        elif set(kd) <= {"Z0", "m2"}:
            kin = P2Kinetic(**{k: float(v) for k, v in kd.items()})
        else:
            raise InputError("--kinetic: give {\"A\", \"mu2\"} or {\"Z0\", \"m2\"}")
    stem = Path(out)
    if stem.suffix in (".nc", ".png", ".pdf"):
        stem = stem.with_suffix("")
    nc, png, pdf = stem.with_suffix(".nc"), stem.with_suffix(".png"), stem.with_suffix(".pdf")
    for p in (nc, png, pdf):
        if p.exists() and not force:
            raise InputError(f"{p} exists; use --force to overwrite")
    lpa = LPA(dim=dim, components=components, regulator=regulator, kinetic=kin)
    kw = {"rho_max": rho_max} if method == "grid" else {"order": order,
                                                        "expand_about": expand_about}
    res = lpa.flow(init, (k_start, k_end), method=method, **kw)
    stem.parent.mkdir(parents=True, exist_ok=True)
    ds = res.to_dataset()
    write_netcdf(ds, nc)
    _plot(res, png)  # OUT.png (200 dpi) and OUT.pdf, atomically
    summary = {"status": res.status, "k_star": res.k_star, "message": res.message,
               "netcdf": str(nc), "plot": str(png)}
    if res.rho is None:
        summary["final"] = res.final
    if as_json:
        emit_json(summary)
    else:
        click.echo(res.message, err=True)
        click.echo(f"wrote {nc}, {png} and {pdf}")


def _plot(res, path: Path) -> None:
    """The flow in the shared figure style: PNG (200 dpi) and PDF beside it."""
    import numpy as np

    from ..reproduce import style

    with style.figure_style():
        fig, ax = style.subplots(panel=(5.0, 3.6))
        if res.rho is None:
            for i, name in enumerate(res.names):
                ax.plot(res.k, res.values[:, i], label=name, **style.series_style(i, None),
                        markevery=max(1, len(res.k) // 12))
            style.log_axes(ax, y=False)
            style.symlog_axis(ax, data=np.asarray(res.values).ravel())
            ax.set_xlabel(style.dimensionless("RG scale $k$"))
            ax.set_ylabel(style.dimensionless("coupling"))
        else:
            idx = np.unique(np.linspace(0, len(res.k) - 1, 8).astype(int))
            cols = style.sequential(len(idx))
            for j, i in enumerate(idx):
                ax.plot(res.rho, res.values[i], color=cols[j], label=f"$k = {res.k[i]:.3g}$")
            ax.set_xlabel(style.dimensionless(r"$\rho$"))
            ax.set_ylabel(style.dimensionless(r"$U'(\rho)$"))
        if res.k_star is not None:
            ax.set_title(f"{res.status} at $k^* = {res.k_star:.4g}$")
        style.legend_outside(ax)
        style.save(fig, path)
