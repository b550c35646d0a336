"""Shared helpers for CLI commands: input parsing, JSON output, the error contract."""

from __future__ import annotations

import json
import math
import sys
from typing import NoReturn

import click
import numpy as np

from ..errors import NumericalError
from ..io import to_jsonable

__all__ = ["InputError", "NumericalError", "fail", "parse_inputs", "parse_cutoff", "emit_json", "to_jsonable",
           "network_options", "method_options", "build_network", "resolve_method",
           "exact_label", "reproduction_options", "run_reproduction"]


class InputError(ValueError):
    """Bad user input: reported as one line with exit status 2.

    Numerical failure on valid input is ``NumericalError`` (``nnqft.errors``, re-exported
    here): one line with exit status 1 (see ``nnqft.cli._main``).
    """


def fail(message: str, status: int = 2) -> NoReturn:
    """Print ``nnqft: error: MESSAGE`` on stderr and exit with ``status``."""
    click.echo(f"nnqft: error: {message}", err=True)
    sys.exit(status)


def parse_inputs(text: str) -> np.ndarray:
    """Parse ``--inputs`` JSON: ``[0.1, 0.2]`` (d_in = 1) or ``[[0.5, 1], [1, 1]]``."""
    from ..networks import as_inputs

    try:
        raw = json.loads(text)
    except json.JSONDecodeError:
        raise InputError(f"--inputs must be JSON, e.g. '[0.1, 0.2]', got {text!r}") from None
    if not isinstance(raw, list) or not raw:
        raise InputError("--inputs must be a non-empty JSON list")
    try:
        return as_inputs(raw)
    except ValueError as exc:
        raise InputError(f"--inputs: {exc}") from None


def parse_cutoff(text: str | None) -> float | None:
    """``--cutoff``: a positive number or ``inf``; None when not given."""
    if text is None:
        return None
    try:
        v = float(text)
    except ValueError:
        raise InputError(f"--cutoff must be a positive number or 'inf', got {text!r}") from None
    if math.isnan(v) or v <= 0:
        raise InputError(f"--cutoff must be a positive number or 'inf', got {text!r}")
    return v


def emit_json(obj: dict) -> None:
    """Print exactly one JSON object on stdout."""
    sys.stdout.write(json.dumps(to_jsonable(obj)) + "\n")
    sys.stdout.flush()


def network_options(f):
    """Common network options: --net, --width, --depth, --sigma-w, --sigma-b, --weight-law."""
    opts = [
        click.option("--net", "activation", required=True,
                     help="Activation: erf, relu, tanh, gauss or cos."),
        click.option("--width", type=int, default=100, show_default=True, help="Hidden width N."),
        click.option("--depth", type=int, default=1, show_default=True,
                     help="Number of hidden layers (1 for gauss and cos)."),
        click.option("--sigma-w", type=float, default=1.0, show_default=True,
                     help="Weight scale sigma_W."),
        click.option("--sigma-b", type=float, default=None,
                     help="Bias scale sigma_b [default: 1, or 0 for relu]."),
        click.option("--weight-law", default="normal", show_default=True,
                     help="Last-layer weight law: normal or uniform."),
    ]
    return _with_options(opts)(f)


def _with_options(opts):
    """A decorator adding the click options ``opts`` in the order given."""
    def decorate(f):
        for o in reversed(opts):
            f = o(f)
        return f
    return decorate


def method_options(method_help: str, networks_help: str = "Monte Carlo: number of networks.",
                   estimator_help: str = "Monte Carlo estimator [default: conditional where "
                                         "allowed]."):
    """The options :func:`resolve_method` reads: --method, --exact, --networks, --seed and
    --estimator; ``method_help`` says which nets each method serves in this command."""
    opts = [
        click.option("--method", type=click.Choice(["exact", "one-over-n", "monte-carlo"]),
                     default=None, help=method_help),
        click.option("--exact", is_flag=True, help="Same as --method exact."),
        click.option("--networks", "n_networks", type=int, default=None, help=networks_help),
        click.option("--seed", type=int, default=0, show_default=True, help="Monte Carlo seed."),
        click.option("--estimator", type=click.Choice(["raw", "conditional"]), default=None,
                     help=estimator_help),
    ]
    return _with_options(opts)


def reproduction_options(default_out: str, quick_help: str):
    """The options of every ``nnqft reproduce NAME`` command: --quick, --out (default
    ``default_out``), --force and --quiet."""
    return _with_options([
        click.option("--quick", is_flag=True, help=quick_help),
        click.option("--out", "out_dir", default=default_out, show_default=True,
                     help="Output directory."),
        click.option("--force", is_flag=True,
                     help="Replace the output nnqft wrote in an existing --out directory "
                          "(files nnqft did not write are kept)."),
        click.option("--quiet", is_flag=True, help="No progress lines."),
    ])


def run_reproduction(run, out_dir, quick: bool, force: bool, quiet: bool) -> dict:
    """Run ``run(out_dir, quick=quick, progress=not quiet)`` in the locked output directory.

    :class:`nnqft.experiments.store.OutputDirectory` refuses an existing directory without
    --force and keeps the files nnqft did not write; the summary's ``files`` and ``wall_s`` are
    reported on stderr (stdout stays clean). Returns the summary.
    """
    from ..experiments.store import OutputDirectory

    with OutputDirectory(out_dir, force=force):
        summary = run(out_dir, quick=quick, progress=not quiet)
    click.echo(f"wrote {len(summary['files'])} files to {out_dir} "
               f"({summary['wall_s']:.1f} s)", err=True)
    return summary


def build_network(activation, width, depth, sigma_w, sigma_b, weight_law, d_in):
    from ..networks import Network

    return Network(activation=activation, width=width, depth=depth, d_in=d_in,
                   sigma_w=sigma_w, sigma_b=sigma_b, weight_law=weight_law)


def resolve_method(method, exact, n_networks) -> str:
    """The correlator method from --method, --exact (alias) and --networks (implies Monte Carlo,
    at least 64 networks: the error bars come from 64 jackknife batches)."""
    if exact and n_networks is not None:
        raise InputError("give exactly one of --exact (= --method exact) or --networks M "
                         "(= --method monte-carlo)")
    if exact:
        if method not in (None, "exact"):
            raise InputError(f"--exact means --method exact; it cannot be combined with "
                             f"--method {method}")
        method = "exact"
    if n_networks is not None:
        if method not in (None, "monte-carlo"):
            raise InputError(f"--networks M means Monte Carlo; it cannot be combined with "
                             f"--method {method}")
        if n_networks < 64:
            raise InputError(f"--networks must be at least 64 (the error bars come from 64 "
                             f"batches of networks), got {n_networks}")
        return "monte-carlo"
    if method is None:
        raise InputError("give exactly one of --method exact|one-over-n|monte-carlo, --exact or "
                         "--networks M")
    if method == "monte-carlo":
        raise InputError("--method monte-carlo needs --networks M")
    return method


def exact_label(c, order: int) -> str:
    """'exact' or, for the exact engine on quadrature moments, the method and its accuracy."""
    acc = (c.meta.get("accuracy") or {}).get(order)
    if acc is None:
        return "exact" if c.exact else f"exact engine ({c.meta.get('method', 'unknown')})"
    how = "exact" if c.exact else "not exact"
    return f"{how} ({c.meta.get('method')}, estimated relative error {acc:.1e})"
