"""Reproductions of published analyses (the application layer).

Each module here writes files, draws figures and prints prose for one ``nnqft reproduce NAME``
command, using the pure physics packages (the core, ``eft``, ``frg``, ``bridge``, the 1/N theory
and the exact action). Nothing in the physics packages imports from here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

#: The summaries every reproduction writes next to its figures and NetCDF files.
SUMMARY_FILES = ("summary.json", "summary.md", "summary.html")


def stage_log(message: str, progress: bool) -> None:
    """One ``nnqft: ...`` progress line on stderr when ``progress`` is on (stdout stays clean)."""
    if progress:
        from ..progress import log

        log(message)


def run_stages(label: str, stages: Iterable[tuple[str, Callable[..., object]]], args: Sequence,
               summary: dict, progress: bool) -> None:
    """Run the stages of one reproduction in order, timing each.

    Calls ``stage(*args)`` for every ``(name, stage)`` pair, stores its wall time in
    ``summary["timings_s"][name]`` (created if missing), logs one ``label: stage NAME done in
    T s`` line per stage (:func:`stage_log`) and stores the total in ``summary["wall_s"]``.
    """
    timings = summary.setdefault("timings_s", {})
    t0 = time.perf_counter()
    for name, stage in stages:
        ts = time.perf_counter()
        stage(*args)
        timings[name] = time.perf_counter() - ts
        stage_log(f"{label}: stage {name} done in {timings[name]:.1f} s", progress)
    summary["wall_s"] = time.perf_counter() - t0


def output_files(out: Path, summaries: Sequence[str] = SUMMARY_FILES) -> list[str]:
    """The names of the figures and NetCDF files in ``out`` (sorted), then ``summaries``.

    Called before the summaries are written, so that they can list every file of the run.
    """
    return sorted(p.name for p in Path(out).iterdir()
                  if p.suffix in (".png", ".pdf", ".nc")) + list(summaries)
