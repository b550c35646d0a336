"""``nnqft kernel`` and ``nnqft correlators``."""

from __future__ import annotations

import click

from . import cli
from ._common import InputError, build_network, emit_json, network_options, parse_inputs


@cli.command()
@click.option("--net", "activation", required=True, help="Activation: erf, relu, tanh, gauss or cos.")
@click.option("--depth", type=int, default=1, show_default=True, help="Number of hidden layers.")
@click.option("--sigma-w", type=float, default=1.0, show_default=True, help="Weight scale sigma_W.")
@click.option("--sigma-b", type=float, default=None, help="Bias scale [default: 1, or 0 for relu].")
@click.option("--inputs", required=True, help="JSON list of inputs, e.g. '[0.1, 0.2]' or '[[0,1],[1,0]]'.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def kernel(activation, depth, sigma_w, sigma_b, inputs, as_json):
    """Infinite-width (GP) kernel K(x_i, x_j) at the given inputs."""
    from ..kernels import gp_kernel

    X = parse_inputs(inputs)
    net = build_network(activation, 1, depth, sigma_w, sigma_b, "normal", X.shape[1])
    K = gp_kernel(net, X)
    if as_json:
        emit_json({"inputs": X, "kernel": K})
    else:
        for row in K:
            click.echo("  ".join(f"{v: .10g}" for v in row))


@cli.command()
@network_options
@click.option("--inputs", required=True, help="JSON list of inputs.")
@click.option("--order", type=int, default=4, show_default=True,
              help="Even order n, 2 <= n <= 12 (the cost grows like the number of even set "
                   "partitions: 150349 at n = 12).")
@click.option("--exact", is_flag=True, help="Exact finite-width correlators (one hidden layer).")
@click.option("--networks", "n_networks", type=int, default=None, help="Monte Carlo: number of networks.")
@click.option("--seed", type=int, default=0, show_default=True, help="Monte Carlo seed.")
@click.option("--estimator", type=click.Choice(["raw", "conditional"]), default=None,
              help="Monte Carlo estimator [default: conditional where allowed].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def correlators(activation, width, depth, sigma_w, sigma_b, weight_law, inputs, order, exact,
                n_networks, seed, estimator, as_json, quiet):
    """Full and connected n-point functions over sorted input tuples."""
    from ..combinatorics import MAX_ORDER
    from ..estimate import estimate_correlators
    from ..exact import exact_correlators

    X = parse_inputs(inputs)
    net = build_network(activation, width, depth, sigma_w, sigma_b, weight_law, X.shape[1])
    if exact == (n_networks is not None):
        raise InputError("give exactly one of --exact or --networks M")
    if order < 2 or order % 2 or order > MAX_ORDER:
        raise InputError(f"--order must be an even integer from 2 to {MAX_ORDER}, got {order}")
    if exact:
        c = exact_correlators(net, X, orders=(order,))
    else:
        c = estimate_correlators(net, X, orders=(order,), n_networks=n_networks, seed=seed,
                                 estimator=estimator, progress=not quiet)
    out = {
        "order": order,
        "tuples": c.tuples(order),
        "full": c.full(order),
        "connected": c.connected(order),
        "gp": c.gp(order),
        "full_err": c.full_err(order),
        "connected_err": c.connected_err(order),
        "n_networks": c.n_networks,
        "exact": c.exact,
    }
    if not c.exact:
        out["estimator"] = c.estimator
        out["diagnostics"] = c.meta.get("heavy_tail")
    if as_json:
        emit_json(out)
        return
    click.echo(f"order {order}, {'exact' if c.exact else f'{c.n_networks} networks ({c.estimator})'}")
    err = c.connected_err(order)
    for i, t in enumerate(c.tuples(order)):
        e = "" if err is None else f" +- {err[i]:.3g}"
        click.echo(f"{tuple(int(v) for v in t)}  full {c.full(order)[i]: .8g}  connected "
                   f"{c.connected(order)[i]: .6g}{e}")
