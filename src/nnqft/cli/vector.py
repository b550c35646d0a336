"""Multi-output (O(n)) options shared by ``correlators``, ``couplings`` and ``bridge``, and
``nnqft reproduce vector`` (docs/vector.md)."""

from __future__ import annotations

import json

import click

from ._common import InputError, reproduction_options, run_reproduction

__all__ = ["outputs_option", "with_outputs", "parse_entry"]


def outputs_option(f):
    """``--outputs n``: number of network outputs (an n-component O(n) field)."""
    return click.option(
        "--outputs", type=int, default=None,
        help="Number of outputs n (an O(n) field; correlators over (input, output) pairs, "
             "docs/vector.md) [default: 1, today's scalar output].")(f)


def with_outputs(net, outputs):
    """The network with ``outputs`` outputs; unchanged when ``outputs`` is None."""
    if outputs is None:
        return net
    if outputs < 1:
        raise InputError(f"--outputs must be a positive integer, got {outputs}")
    return net.replace(outputs=outputs)


def parse_entry(text: str, n_inputs: int, n_out: int):
    """``--entry`` JSON: a list of [input_index, output_index] pairs; returns combined points."""
    import numpy as np

    from ..vector import check_points

    try:
        raw = json.loads(text)
    except json.JSONDecodeError:
        raise InputError(f"--entry must be JSON, e.g. '[[0, 0], [1, 1]]', got {text!r}") from None
    a = np.asarray(raw) if isinstance(raw, list) and raw else None
    if a is None or a.ndim != 2 or a.shape[1] != 2 or a.dtype.kind not in "iu":
        raise InputError("--entry must be a non-empty list of [input_index, output_index] pairs")
    if len(a) % 2:
        raise InputError(f"--entry needs an even number of points, got {len(a)}")
    try:
        return check_points(a, n_inputs, n_out)
    except ValueError as exc:
        raise InputError(f"--entry: {exc}") from None


def _register_reproduce():
    from . import reproduce

    @reproduce.command("vector")
    @reproduction_options("results/vector", "Smaller Monte Carlo and fewer large-n flows (about a "
                          "minute; the full run a few minutes).")
    def reproduce_vector_cmd(quick, out_dir, force, quiet):
        """Multi-output networks as O(n) fields: O(n) coupling against width for n = 1, 2, 3,
        4, 10, pairing amplitudes, O(n) flows with k*, Monte Carlo against exact
        (docs/vector.md)."""
        from ..reproduce.vector import reproduce_vector

        run_reproduction(reproduce_vector, out_dir, quick, force, quiet)


_register_reproduce()
