"""``nnqft couplings`` and ``nnqft reproduce hms`` (design.md section 4)."""

from __future__ import annotations

import math

import click

from . import cli, reproduce
from ._common import (
    InputError,
    build_network,
    emit_json,
    exact_label,
    method_options,
    network_options,
    parse_cutoff,
    parse_inputs,
    reproduction_options,
    resolve_method,
    run_reproduction,
)
from .vector import outputs_option, with_outputs


@cli.command()
@network_options
@click.option("--inputs", required=True, help="JSON list of inputs, e.g. '[0.2, 0.4]'.")
@click.option("--cutoff", default=None,
              help="Cutoff Lambda > 0 or 'inf' [default: inf for gauss and cos; erf, relu and "
                   "tanh require a finite one].")
@method_options("Source of G4_c: exact (one hidden layer, or deep relu with sigma_b = 0 on one "
                "ray), one-over-n (leading-order 1/N theory of deep erf, relu, tanh nets; "
                "docs/deep.md) or monte-carlo (implied by --networks).")
@click.option("--sextic", is_flag=True,
              help="Also the sextic coupling kappa per 6-tuple (S = ... + kappa/6! phi^6).")
@outputs_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def couplings(activation, width, depth, sigma_w, sigma_b, weight_law, inputs, cutoff, method,
              exact, n_networks, seed, estimator, sextic, outputs, as_json, quiet):
    """Quartic coupling lambda = -G4_c / I_4 per sorted 4-tuple (S = ... + lambda/4! phi^4).

    Tuple mean and spread (standard deviation) are unweighted over the sorted tuples; Monte
    Carlo errors are jackknife errors over batches. [HMS] lambda = lambda / 24 (their code:
    -lambda / 24); [ELS] u_4 = lambda. With --outputs n: the O(n) couplings,
    S = ... + lambda/4! (f.f)^2 + kappa/6! (f.f)^3, per input tuple and pairing (n >= 2;
    the sextic needs n >= 3 or n = 1), see docs/vector.md.
    """
    from ..eft import couplings as fit_couplings
    from ..eft import sextic_couplings

    X = parse_inputs(inputs)
    net = build_network(activation, width, depth, sigma_w, sigma_b, weight_law, X.shape[1])
    net = with_outputs(net, outputs)
    L = parse_cutoff(cutoff)
    if L is None:
        if net.activation in ("gauss", "cos"):
            L = math.inf
        else:
            raise InputError(f"--cutoff is required for {net.activation}-net "
                             "(I_4 diverges at an infinite cutoff)")
    if math.isinf(L) and net.activation not in ("gauss", "cos"):
        raise InputError(f"--cutoff inf is not allowed for {net.activation}-net "
                         "(I_4 diverges); give a finite cutoff")
    method = resolve_method(method, exact, n_networks)
    exact = method == "exact"
    if n_networks is not None and n_networks < 2:
        raise InputError(f"--networks must be at least 2, got {n_networks}")
    orders = (2, 4, 6) if sextic else (2, 4)
    if exact and net.depth > 1:
        from ..deep.relu_exact import exact_relu_correlators

        c = exact_relu_correlators(net, X, orders=orders)
    elif exact:
        from ..exact import exact_correlators

        c = exact_correlators(net, X, orders=orders)
    elif method == "one-over-n":
        from ..deep.theory import perturbative_correlators

        if sextic:
            raise InputError("--sextic needs G6_c, which the 1/N theory does not give at "
                             "leading order; use --method exact or --networks M")
        c = perturbative_correlators(net, X, orders=orders)
    else:
        from ..estimate import estimate_correlators

        c = estimate_correlators(net, X, orders=orders, n_networks=n_networks, seed=seed,
                                 estimator=estimator, progress=not quiet)
    if outputs is not None:
        from ..eft.on import on_couplings as fit_couplings
        from ..eft.on import on_sextic_couplings as sextic_couplings
    fit = fit_couplings(c, net, L)
    out = fit.to_dict()
    out["method"] = method.replace("-", "_")
    if c.n_networks is None:
        out["exact_method"] = c.meta.get("method")
        out["accuracy"] = c.meta.get("accuracy")
    else:
        out["n_networks"] = c.n_networks
        out["estimator"] = c.estimator
        out["diagnostics"] = c.meta.get("heavy_tail")
        out["heavy_tail_check"] = c.meta.get("heavy_tail_check")
    if sextic:
        s = sextic_couplings(c, net, L, quartic=fit).to_dict()
        out.update({k: v for k, v in s.items() if k not in ("cutoff", "exact", "tuples")})
        out["convention"] = s["convention"]
        out["tuples6"] = s["tuples"] if "tuples" in s else s["tuples6"]
    if as_json:
        emit_json(out)
        return
    src = (exact_label(c, max(c.orders)) if c.n_networks is None
           else f"{c.n_networks} networks ({c.estimator})")
    click.echo(f"lambda ({fit.convention}), cutoff {'inf' if math.isinf(L) else L:g}, {src}")
    from ..stats import format_value_error as pm

    for i, t in enumerate(fit.tuples):
        lam = pm(fit.lam[i], None if fit.lam_err is None else fit.lam_err[i], plain_digits=8)
        click.echo(f"{tuple(int(v) for v in t)}  lambda {lam}  I4 {fit.I4[i]:.6g}")
    click.echo(f"mean {pm(fit.mean, fit.mean_err, plain_digits=8)}  spread "
               f"{pm(fit.spread, getattr(fit, 'spread_err', None), plain_digits=4)}")
    if sextic:
        click.echo(f"kappa mean {out['kappa_mean']:.8g}  spread {out['kappa_spread']:.4g}")


@reproduce.command("hms")
@reproduction_options("results/hms",
                      "Smaller Monte Carlo (about 30 s; the full run about 2 minutes).")
def reproduce_hms_cmd(quick, out_dir, force, quiet):
    """Every [HMS] figure type: PNG + NetCDF, summary.json and summary.md.

    Quick: ~30 s; full: ~2 minutes on 2 cores (see docs/eft.md).
    """
    from ..reproduce.hms import reproduce_hms

    run_reproduction(reproduce_hms, out_dir, quick, force, quiet)
