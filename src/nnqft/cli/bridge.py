"""``nnqft bridge`` (IR data of a network for the FRG) and ``nnqft reproduce els``."""

from __future__ import annotations

import click

from ..stats import format_value_error
from . import cli, reproduce
from ._common import InputError, build_network, emit_json, network_options, parse_inputs
from .vector import outputs_option, with_outputs


@cli.command()
@network_options
@click.option("--inputs", default=None,
              help="JSON list of inputs; omit for the small-input limit (the single input x = 0).")
@click.option("--d-in", type=int, default=1, show_default=True,
              help="Input dimension when --inputs is omitted.")
@click.option("--exact", is_flag=True, help="Exact finite-width correlators.")
@click.option("--networks", "n_networks", type=int, default=None,
              help="Monte Carlo: number of networks.")
@click.option("--seed", type=int, default=0, show_default=True, help="Monte Carlo seed.")
@click.option("--estimator", type=click.Choice(["raw", "conditional"]), default=None,
              help="Monte Carlo estimator [default: conditional].")
@click.option("--order", type=click.Choice(["4", "6", "8"]), default="6", show_default=True,
              help="Highest correlator order (8: u8 from the exact G8_c).")
@click.option("--flow", "flows", multiple=True, type=click.Choice(["a", "b", "els"]),
              help="Also run an upward LPA flow from k = 1e-10 to 100 and report k* (where it "
                   "diverges): a = full kinetic term A exp(p^2/mu^2), raw couplings; b = its p^2 "
                   "truncation, canonical couplings; els = the [ELS] set-up (unit p^2 "
                   "coefficient, raw u4) with measured couplings (docs/theory.md#set-ups).")
@outputs_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def bridge(activation, width, depth, sigma_w, sigma_b, weight_law, inputs, d_in, exact,
           n_networks, seed, estimator, order, flows, outputs, as_json, quiet):
    """IR data for the FRG: kinetic term (A, mu2, Z0) and the couplings u4, u6 (raw and
    canonical) measured from G4_c and G6_c (docs/theory.md#sextic-coupling, #set-ups).

    With --outputs n: the O(n) couplings of an n-output network, u4/4! (f.f)^2 + u6/6! (f.f)^3,
    and O(n) LPA flows (components n; set-ups a and b) with their Goldstone and radial modes
    (docs/vector.md).
    """
    from ..bridge import ir_data
    from ..bridge.flows import els_with_measured, flow_from_ir

    X = None if inputs is None else parse_inputs(inputs)
    d = d_in if X is None else X.shape[1]
    if exact == (n_networks is not None):
        raise InputError("give exactly one of --exact or --networks M")
    if depth != 1:
        raise InputError("the bridge needs one hidden layer (gauss or cos)")
    net = build_network(activation, width, depth, sigma_w, sigma_b, weight_law, d)
    if outputs is not None:
        from ..bridge.on import on_flow_from_ir, on_ir_data, on_ir_dict

        net = with_outputs(net, outputs)
        if "els" in flows:
            raise InputError("--flow els is the one-output [ELS] set-up; with --outputs use "
                             "--flow a or b")
        ir = on_ir_data(net, X, order=int(order), exact=exact, n_networks=n_networks,
                        seed=seed, estimator=estimator, progress=not quiet)
        out = on_ir_dict(ir)
        out["outputs"] = net.d_out
        if flows:
            out["flows"] = {s: {**(f := on_flow_from_ir(ir, s, int(order))).summary(),
                                "components": f.meta["components"], "modes": f.meta["modes"]}
                            for s in flows}
    else:
        ir = ir_data(net, X, order=int(order), exact=exact,
                     n_networks=n_networks, seed=seed, estimator=estimator,
                     progress=not quiet)
        out = ir.to_dict()
    if flows and outputs is None:
        res = {}
        for s in flows:
            f = els_with_measured(ir) if s == "els" else flow_from_ir(ir, s, int(order))
            res[s] = f.summary()
        out["flows"] = res
    if as_json:
        emit_json(out)
        return
    src = "exact" if ir.exact else f"{ir.n_networks} networks ({ir.estimator})"
    click.echo(f"{activation}-net N = {width}, sigma_w = {sigma_w}, sigma_b = {net.sigma_b}, "
               f"d = {d}, {src}{', small-input limit' if ir.small_input else ''}")
    click.echo(f"  kinetic: A = {ir.A:.6g}, mu2 = {ir.mu2:.6g}, Z0 = {ir.Z0:.6g}")

    def pm(v, e):
        return "n/a" if v is None else format_value_error(v, e)

    click.echo(f"  raw:       u4 = {pm(out['u4'], out['u4_err'])}, u6 = {pm(out['u6'], out['u6_err'])}")
    click.echo(f"  canonical: u4 = {pm(out['u4_canonical'], out['u4_canonical_err'])}, "
               f"u6 = {pm(out['u6_canonical'], out['u6_canonical_err'])}")
    if ir.heavy_tail and ir.heavy_tail.get("fired"):
        click.echo("  WARNING heavy tails: " + "; ".join(ir.heavy_tail["reasons"]), err=True)
    for s, f in out.get("flows", {}).items():
        ks = f["k_star"]
        note = ("" if ir.n_networks is None or ks is None
                else " (from the Monte Carlo central values; no error propagated)")
        click.echo(f"  flow {s}: {f['status']}" + ("" if ks is None else f", k* = {ks:.4g}")
                   + note)


@reproduce.command("els")
@click.option("--quick", is_flag=True, help="Smaller Monte Carlo and scans (a few minutes).")
@click.option("--out", "out_dir", default="results/els", show_default=True,
              help="Output directory.")
@click.option("--force", is_flag=True,
              help="Replace the output nnqft wrote in an existing --out directory "
                   "(files nnqft did not write are kept).")
@click.option("--quiet", is_flag=True, help="No progress output.")
def reproduce_els_cmd(quick, out_dir, force, quiet):
    """Reproduce [ELS]: <|u4|> against sigma_W, slopes, flows, k* (docs/theory.md#frg-from-the-ir)."""
    from ..experiments.store import OutputDirectory
    from ..reproduce.els import reproduce_els

    with OutputDirectory(out_dir, force=force):
        summary = reproduce_els(out_dir, quick=quick, progress=not quiet)
    n = len(summary.get("slopes", []))
    click.echo(f"wrote {out_dir}/summary.json, summary.md ({n} slopes)", err=True)

