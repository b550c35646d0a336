"""``nnqft action``: the exact action and effective action of a one-hidden-layer ensemble."""

from __future__ import annotations

import json

import click

from . import cli
from ._common import (
    InputError,
    build_network,
    emit_json,
    network_options,
    parse_inputs,
    reproduction_options,
    run_reproduction,
)


def _parse_phi(text: str, k: int):
    try:
        raw = json.loads(text)
    except json.JSONDecodeError:
        raise InputError(f"--phi must be JSON, e.g. '[0.25, 0.5]', got {text!r}") from None
    if not isinstance(raw, list) or not raw:
        raise InputError("--phi must be a non-empty JSON list")
    if k == 1:
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw):
            raise InputError("--phi must be a list of numbers for one input")
    elif not all(isinstance(v, list) and len(v) == k and
                 all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in v)
                 for v in raw):
        raise InputError(f"--phi must be a list of {k}-element lists for {k} inputs, "
                         "e.g. '[[0.1, 0.2], [0.3, 0.4]]'")
    return raw


@cli.command()
@network_options
@click.option("--inputs", required=True, help="JSON list of 1 or 2 inputs, e.g. '[0.7]'.")
@click.option("--phi", "phi_text", required=True,
              help="JSON field values: numbers for one input, pairs for two inputs.")
@click.option("--no-check", is_flag=True,
              help="Skip the refined second evaluation that estimates the accuracy of S.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def action(activation, width, depth, sigma_w, sigma_b, weight_law, inputs, phi_text, no_check,
           as_json):
    """Exact S(phi) - S(0) and Gamma(phi) - Gamma(0) (one hidden layer, normal last layer).

    S = -log p is the exact action (log-density of the outputs), Gamma the Legendre transform
    of W(J) = log E[exp(J.f)]; G2 and G4c are the exact connected correlators. Gamma is null
    with a gamma_note for gauss-net (W infinite for every J != 0). See docs/action.md.
    """
    from ..action.exact import exact_action

    X = parse_inputs(inputs)
    if X.shape[0] > 2:
        raise InputError(f"--inputs: the exact action takes 1 or 2 inputs, got {X.shape[0]}")
    net = build_network(activation, width, depth, sigma_w, sigma_b, weight_law, X.shape[1])
    if net.depth != 1:
        raise InputError(f"--depth: the exact action needs one hidden layer, got {net.depth}")
    if net.weight_law != "normal":
        raise InputError("--weight-law: the exact action needs a normal last layer (the output "
                         f"is then conditionally Gaussian), got {net.weight_law!r}")
    phi = _parse_phi(phi_text, X.shape[0])
    res = exact_action(net, X, phi, check_accuracy=not no_check)
    out = res.to_dict()
    if as_json:
        emit_json(out)
        return
    click.echo(f"G2 = {out['G2']}, G4c = {out['G4c']}, accuracy {res.accuracy:.2g}")
    for i in range(len(res.S)):
        g = "n/a" if res.Gamma is None else f"{res.Gamma[i]:.12g}"
        click.echo(f"phi {phi[i]}  S-S0 {res.S[i]:.12g}  Gamma {g}")
    if res.gamma_note:
        click.echo(res.gamma_note)


from . import reproduce  # noqa: E402


@reproduce.command("action")
@reproduction_options("results/action", "Smaller sample and tables (about a minute).")
def reproduce_action_cmd(quick, out_dir, force, quiet):
    """Exact theory of one-layer ensembles: p(f) against sampled networks, S against its 1/N and
    1/N^2 reconstructions, Gamma against the d = 0 FRG flow and polynomial truncations
    (docs/action.md). PNG + PDF figures, summary.json/.md."""
    from ..reproduce.action import reproduce_action

    run_reproduction(reproduce_action, out_dir, quick, force, quiet)
