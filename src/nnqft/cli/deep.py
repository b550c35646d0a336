"""``nnqft reproduce pdlt`` (docs/deep.md)."""

from __future__ import annotations

import click

from . import reproduce


@reproduce.command("pdlt")
@click.option("--quick", is_flag=True, help="Smaller Monte Carlo (about a minute).")
@click.option("--out", "out_dir", default="results/pdlt", show_default=True,
              help="Output directory.")
@click.option("--force", is_flag=True,
              help="Replace the output nnqft wrote in an existing --out directory "
                   "(files nnqft did not write are kept).")
@click.option("--quiet", is_flag=True, help="No progress lines.")
def reproduce_pdlt_cmd(quick, out_dir, force, quiet):
    """Deep networks at finite width ([PDLT] ch. 5): normalised vertex against depth at and off
    criticality, deep relu kurtosis against L/N, 1/N theory against Monte Carlo.

    PNG + PDF figures, NetCDF, summary.json/.md/.html. Quick: ~1 minute; full: tens of minutes.
    """
    from ..experiments.store import OutputDirectory
    from ..reproduce.pdlt import reproduce_pdlt

    with OutputDirectory(out_dir, force=force):
        summary = reproduce_pdlt(out_dir, quick=quick, progress=not quiet)
    click.echo(f"wrote {len(summary['files'])} files to {out_dir} "
               f"({summary['wall_s']:.1f} s)", err=True)
