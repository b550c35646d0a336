"""``nnqft reproduce pdlt`` (docs/deep.md)."""

from __future__ import annotations

from . import reproduce
from ._common import reproduction_options, run_reproduction


@reproduce.command("pdlt")
@reproduction_options("results/pdlt", "Smaller Monte Carlo (about a minute).")
def reproduce_pdlt_cmd(quick, out_dir, force, quiet):
    """Deep networks at finite width ([PDLT] ch. 5): normalised vertex against depth at and off
    criticality, deep relu kurtosis against L/N, 1/N theory against Monte Carlo (z without and
    with the theory's truncation error sigma_th, estimated from the next order at one input).

    PNG + PDF figures, NetCDF, summary.json/.md/.html. Quick: ~1 minute; full: tens of minutes.
    """
    from ..reproduce.pdlt import reproduce_pdlt

    run_reproduction(reproduce_pdlt, out_dir, quick, force, quiet)
