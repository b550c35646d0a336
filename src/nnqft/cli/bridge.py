"""``nnqft bridge`` (IR data of a network for the FRG) and ``nnqft reproduce els``."""

from __future__ import annotations

import json
import math

import click

from ..stats import format_value_error
from . import cli, reproduce
from ._common import (
    InputError,
    build_network,
    emit_json,
    method_options,
    network_options,
    parse_cutoff,
    parse_inputs,
    reproduction_options,
    resolve_method,
)
from .vector import outputs_option, with_outputs


@cli.command()
@network_options
@click.option("--inputs", default=None,
              help="JSON list of inputs; omit for the small-input limit (the single input x = 0; "
                   "gauss and cos only).")
@click.option("--d-in", type=int, default=1, show_default=True,
              help="Input dimension when --inputs is omitted.")
@method_options("Source of the correlators: exact (gauss, cos; one-hidden-layer erf, relu, "
                "tanh; deep relu with sigma_b = 0 on one ray), one-over-n (leading-order "
                "1/N theory of erf, relu, tanh nets at any depth; docs/deep.md) or "
                "monte-carlo (implied by --networks).",
                estimator_help="Monte Carlo estimator [default: conditional].")
@click.option("--order", type=click.Choice(["4", "6", "8"]), default=None,
              help="Highest correlator order (8: u8 from the exact G8_c) [default: 6; erf, "
                   "relu, tanh: 4, the only one].")
@click.option("--cutoff", default=None,
              help="erf, relu, tanh: cutoff Lambda of I_4 (required; I_4 diverges at inf).")
@click.option("--cutoffs", default=None,
              help="erf, relu, tanh: JSON list of cutoffs for the running [default: Lambda "
                   "times 10^(-1, -1/2, 0, 1/2, 1)].")
@click.option("--sigma-ws", default=None,
              help="erf, relu, tanh: JSON list of sigma_W for the [ELS] reading [default: "
                   "sigma_w times 2^(-1, -1/2, 0, 1/2, 1)]; '[]' skips it.")
@click.option("--flow", "flows", multiple=True, type=click.Choice(["a", "b", "els"]),
              help="Also run an upward LPA flow from k = 1e-10 to 100 and report k* (where it "
                   "diverges): a = full kinetic term A exp(p^2/mu^2), raw couplings; b = its p^2 "
                   "truncation, canonical couplings; els = the [ELS] set-up (unit p^2 "
                   "coefficient, raw u4) with measured couplings (docs/theory.md#set-ups); "
                   "gauss and cos nets only.")
@outputs_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def bridge(activation, width, depth, sigma_w, sigma_b, weight_law, inputs, d_in, method,
           exact, n_networks, seed, estimator, order, cutoff, cutoffs, sigma_ws, flows, outputs,
           as_json, quiet):
    """IR data for the FRG: kinetic term (A, mu2, Z0) and the couplings u4, u6 (raw and
    canonical) measured from G4_c and G6_c of gauss and cos nets (docs/theory.md#sextic-coupling,
    #set-ups).

    With --outputs n: the O(n) couplings of an n-output network, u4/4! (f.f)^2 + u6/6! (f.f)^3,
    and O(n) LPA flows (components n; set-ups a and b) with their Goldstone and radial modes
    (docs/vector.md).

    erf, relu and tanh nets (any --depth; deep ones with --method one-over-n or --networks M)
    have no translation-invariant kernel, hence no kinetic term and no --flow: the bridge gives
    their input-space IR data on --inputs instead: the propagator G2 = K + K1/N and its
    inverse, lambda = -G4_c/I_4 per sorted 4-tuple at --cutoff (mean, spread), its running over
    --cutoffs (log-log slope) and the [ELS] sigma_W reading over --sigma-ws (docs/deep.md
    section 9).
    """
    from ..bridge import ir_data
    from ..bridge.flows import els_with_measured, flow_from_ir

    X = None if inputs is None else parse_inputs(inputs)
    d = d_in if X is None else X.shape[1]
    method = resolve_method(method, exact, n_networks)
    if activation not in ("gauss", "cos"):
        return _input_space_bridge(
            build_network(activation, width, depth, sigma_w, sigma_b, weight_law, d), X, method,
            n_networks, seed, estimator, order, cutoff, cutoffs, sigma_ws, flows, outputs,
            as_json, quiet)
    if method == "one-over-n":
        raise InputError("--method one-over-n is the 1/N theory of erf, relu and tanh nets; "
                         f"the {activation}-net bridge takes --method exact or --networks M")
    for name, v in (("--cutoff", cutoff), ("--cutoffs", cutoffs), ("--sigma-ws", sigma_ws)):
        if v is not None:
            raise InputError(f"{name} is for erf, relu and tanh nets (the {activation}-net "
                             "bridge works at Lambda = inf)")
    exact = method == "exact"
    order = order or "6"
    if depth != 1:
        raise InputError(f"a {activation}-net has one hidden layer; deep networks: erf, relu or "
                         "tanh (input-space IR data, --method one-over-n or --networks M)")
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


def _parse_list(text, name):
    """A JSON list of positive numbers (``--cutoffs``, ``--sigma-ws``)."""
    if text is None:
        return None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError:
        raise InputError(f"{name} must be a JSON list of numbers, got {text!r}") from None
    ok = isinstance(raw, list) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0
        for v in raw)
    if not ok:
        raise InputError(f"{name} must be a JSON list of positive finite numbers, got {text!r}")
    return [float(v) for v in raw]


def _input_space_bridge(net, X, method, n_networks, seed, estimator, order, cutoff, cutoffs,
                        sigma_ws, flows, outputs, as_json, quiet):
    """``nnqft bridge`` for erf, relu and tanh nets: input-space IR data (docs/deep.md s. 9)."""
    from ..bridge.deep import deep_ir_data

    where = f"{net.activation}-net" + (f" of depth {net.depth}" if net.depth > 1 else "")
    if flows:
        raise InputError(f"--flow needs a translation-invariant kernel (a gauss or cos net, one "
                         f"hidden layer); the {where} has none, so no kinetic term to flow "
                         "from; drop --flow for its input-space IR data")
    if outputs is not None:
        raise InputError(f"--outputs: the input-space IR data of the {where} are for one output")
    if order not in (None, "4"):
        raise InputError(f"--order {order}: the input-space IR data of the {where} hold the "
                         "quartic coupling only (--order 4)")
    if X is None:
        raise InputError(f"--inputs is required for the {where} (its IR data live on a finite "
                         "input set)")
    L = parse_cutoff(cutoff)
    if L is None or math.isinf(L):
        raise InputError(f"--cutoff: give a finite cutoff for the {where} (I_4 diverges at inf)")
    ir = deep_ir_data(net, X, cutoff=L, method=method, cutoffs=_parse_list(cutoffs, "--cutoffs"),
                      sigma_ws=_parse_list(sigma_ws, "--sigma-ws"), n_networks=n_networks,
                      seed=seed, estimator=estimator, progress=not quiet)
    out = ir.to_dict()
    if as_json:
        emit_json(out)
        return
    fit, run, sw = ir.fit, ir.run, ir.sigma_w_reading
    src = ("1/N theory (leading order)" if ir.method == "one_over_n" else "exact"
           if ir.method == "exact" else f"{ir.n_networks} networks ({ir.estimator})")
    widths = net.width if isinstance(net.width, int) else list(net.width)
    click.echo(f"{where}, N = {widths}, sigma_w = {net.sigma_w}, sigma_b = {net.sigma_b}, "
               f"d = {net.d_in}, {X.shape[0]} inputs, {src}")
    click.echo(f"  accuracy: {ir.accuracy}")
    click.echo("  no momentum-space kinetic term (the kernel is not translation invariant); "
               "input-space IR data:")
    err = ir.propagator_err
    for a, row in enumerate(ir.propagator):
        cells = [format_value_error(v, None if err is None else err[a, b])
                 for b, v in enumerate(row)]
        click.echo(("  G2 = K + K1/N: " if a == 0 else " " * 17) + "  ".join(cells))
    click.echo(f"  cond(G2) = {ir.condition:.3g}" + (
        "" if ir.inverse_propagator is not None else " (Gamma^(2) = G2^-1 not reported)"))
    click.echo(f"  lambda at cutoff {fit.cutoff:g}: mean {format_value_error(fit.mean, fit.mean_err)}"
               f", spread {fit.spread:.4g} over {len(fit.lam)} tuples")

    def slope(v, e):  # Monte Carlo: jackknife error; otherwise the fit's residual error
        if ir.method == "monte_carlo":
            return format_value_error(v, e)
        return f"{v:.6g} (least-squares residual error {e:.2g})"

    click.echo(f"  running: d ln|lambda| / d ln Lambda = {slope(run.slope, run.slope_err)} "
               f"over Lambda = {run.cutoffs[0]:g} .. {run.cutoffs[-1]:g}")
    if sw is not None:
        click.echo(f"  [ELS] sigma_W reading: d ln|lambda| / d ln sigma_W = "
                   f"{slope(sw['slope'], sw['slope_err'])} over sigma_W = "
                   f"{sw['sigma_w'][0]:g} .. {sw['sigma_w'][-1]:g}")


@reproduce.command("els")
@reproduction_options("results/els", "Smaller Monte Carlo and scans (a few minutes).")
def reproduce_els_cmd(quick, out_dir, force, quiet):
    """Reproduce [ELS]: <|u4|> against sigma_W, slopes, flows, k* (docs/theory.md#frg-from-the-ir)."""
    from ..experiments.store import OutputDirectory
    from ..reproduce.els import reproduce_els

    with OutputDirectory(out_dir, force=force):
        summary = reproduce_els(out_dir, quick=quick, progress=not quiet)
    n = len(summary.get("slopes", []))
    click.echo(f"wrote {out_dir}/summary.json, summary.md ({n} slopes)", err=True)

