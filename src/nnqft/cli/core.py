"""``nnqft kernel`` and ``nnqft correlators``."""

from __future__ import annotations

import click
import numpy as np

from . import cli
from ._common import (
    InputError,
    build_network,
    emit_json,
    exact_label,
    method_options,
    network_options,
    parse_inputs,
    resolve_method,
)
from .vector import outputs_option, parse_entry, with_outputs


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
@method_options("exact: one hidden layer (any activation) or deep relu with sigma_b = 0 at "
                "inputs on one ray; one-over-n: leading-order 1/N theory of deep erf, relu, "
                "tanh nets (orders 2, 4; docs/deep.md); monte-carlo: sampling (implied by "
                "--networks).",
                networks_help="Monte Carlo: number of networks (>= 64: the error bars come from "
                              "64 batches of networks).")
@click.option("--backend", type=click.Choice(["numpy", "jax"]), default=None,
              help="Monte Carlo backend [default: numpy]; jax runs jit-compiled on JAX's default "
                   "device, CPU or GPU (pip install \"nnqft[jax]\"; docs/backends.md).")
@click.option("--dtype", type=click.Choice(["float64", "float32"]), default=None,
              help="Monte Carlo precision of the forward pass [default: float64]; float32 needs "
                   "--backend jax. Sums over networks are float64 always.")
@click.option("--block-size", type=int, default=None,
              help="Monte Carlo: networks per block [default: floor(M/64), at most 4096, so >= "
                   "64 jackknife batches]. Blocks are the unit of seeding, so a different block "
                   "size gives different draws; on a GPU, larger blocks (16384-65536) are up "
                   "to 3-5x faster for one-layer nets (docs/backends.md).")
@outputs_option
@click.option("--entry", default=None,
              help="With --outputs: print only this entry, a JSON list of [input_index, "
                   "output_index] pairs (its length is the order).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def correlators(activation, width, depth, sigma_w, sigma_b, weight_law, inputs, order, method,
                exact, n_networks, seed, estimator, backend, dtype, block_size, outputs, entry,
                as_json, quiet):
    """Full and connected n-point functions over sorted input tuples.

    With --outputs n the tuples are sorted tuples of [input_index, output_index] pairs
    (docs/vector.md).
    """
    from ..combinatorics import MAX_ORDER
    from ..estimate import estimate_correlators
    from ..exact import exact_correlators

    X = parse_inputs(inputs)
    net = build_network(activation, width, depth, sigma_w, sigma_b, weight_law, X.shape[1])
    net = with_outputs(net, outputs)
    method = resolve_method(method, exact, n_networks)
    exact = method == "exact"
    if entry is not None:
        if outputs is None:
            raise InputError("--entry needs --outputs")
        points = parse_entry(entry, X.shape[0], net.d_out)
        order = len(points)
    if order < 2 or order % 2 or order > MAX_ORDER:
        raise InputError(f"--order must be an even integer from 2 to {MAX_ORDER}, got {order}")
    if method != "monte-carlo" and (backend is not None or dtype is not None
                                    or block_size is not None):
        raise InputError(f"--backend, --dtype and --block-size apply to Monte Carlo "
                         f"(--networks M), not --method {method}")
    if block_size is not None and block_size < 1:
        raise InputError(f"--block-size must be a positive integer, got {block_size}")
    if exact and net.depth > 1:
        from ..deep.relu_exact import exact_relu_correlators

        c = exact_relu_correlators(net, X, orders=(order,))
    elif exact:
        kw = {} if net.d_out > 1 else {"progress": not quiet}
        c = exact_correlators(net, X, orders=(order,), **kw)
    elif method == "one-over-n":
        from ..deep.theory import perturbative_correlators

        if order > 4:
            raise InputError(f"--method one-over-n gives orders 2 and 4 (G6_c is O(1/N^2)), "
                             f"got --order {order}")
        if net.d_out > 1:  # the same theory with output deltas (docs/vector.md)
            from ..vector import perturbative_vector_correlators as perturbative_correlators
        c = perturbative_correlators(net, X, orders=(order,))
    else:
        c = estimate_correlators(net, X, orders=(order,), n_networks=n_networks, seed=seed,
                                 estimator=estimator, progress=not quiet, backend=backend,
                                 dtype=dtype, block_size=block_size)
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
        "method": method.replace("-", "_"),
    }
    if method == "monte-carlo":
        out["estimator"] = c.estimator
        out.update({k: c.meta.get(k) for k in ("backend", "dtype", "device", "block_size")})
        out["diagnostics"] = c.meta.get("heavy_tail")
        out["heavy_tail_check"] = c.meta.get("heavy_tail_check")
    elif exact:  # how the exact engine got its numbers and their estimated relative error
        out["exact_method"] = c.meta.get("method")
        out["accuracy"] = c.meta.get("accuracy")
        out["abs_error_estimate"] = c.meta.get("abs_error_estimate")
    if outputs is not None:
        out["outputs"] = net.d_out
    if entry is not None:
        from ..combinatorics import tuple_index

        i = int(tuple_index(points[None, :], X.shape[0] * net.d_out)[0])
        out.update(tuples=[out["tuples"][i]], **{k: None if out[k] is None else [out[k][i]]
                                                 for k in ("full", "connected", "gp", "full_err",
                                                           "connected_err")})
    if as_json:
        emit_json(out)
        return
    what = {"exact": exact_label(c, order),
            "one-over-n": f"1/N theory at N = {net.last_width}"}.get(
        method, f"{c.n_networks} networks ({c.estimator})")
    click.echo(f"order {order}, {what}")
    from ..stats import format_value_error as pm

    fe, ce = out["full_err"], out["connected_err"]
    for i, t in enumerate(out["tuples"]):
        label = tuple(tuple(int(v) for v in p) if np.ndim(p) else int(p) for p in t)
        click.echo(f"{label}  full {pm(out['full'][i], None if fe is None else fe[i], plain_digits=8)}"
                   f"  connected {pm(out['connected'][i], None if ce is None else ce[i])}")
