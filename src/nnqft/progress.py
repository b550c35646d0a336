"""Progress reporting on stderr: a rich bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import time

__all__ = ["Progress", "log"]


def log(message: str) -> None:
    """One log line on stderr (never stdout: stdout is reserved for results and JSON)."""
    print(f"nnqft: {message}", file=sys.stderr, flush=True)


class Progress:
    """Context manager: ``with Progress("sampling", total) as p: p.advance(n)``.

    On a terminal it draws a rich progress bar (rate and ETA) on stderr; elsewhere it prints a
    plain line at most every 10 seconds and at the end. ``enabled=False`` is silent.
    """

    def __init__(self, description: str, total: float, enabled: bool = True, unit: str = "it"):
        self.description = description
        self.total = total
        self.enabled = enabled
        self.unit = unit
        self.done = 0.0
        self._bar = None
        self._t0 = time.perf_counter()
        self._last = self._t0

    def __enter__(self) -> Progress:
        if not self.enabled:
            return self
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TaskProgressColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                console=Console(stderr=True), transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(self.description, total=self.total)
        return self

    def advance(self, n: float = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(self._task, advance=n)
            return
        now = time.perf_counter()
        if now - self._last >= 10.0:
            self._last = now
            rate = self.done / max(now - self._t0, 1e-9)
            eta = (self.total - self.done) / rate if rate > 0 else float("inf")
            log(f"{self.description}: {self.done:.0f}/{self.total:.0f} {self.unit} "
                f"({rate:.3g} {self.unit}/s, ETA {eta:.0f} s)")

    def __exit__(self, *exc) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.__exit__(*exc)
        elapsed = time.perf_counter() - self._t0
        if exc[0] is None and elapsed > 2.0:
            log(f"{self.description}: {self.done:.0f}/{self.total:.0f} {self.unit} in {elapsed:.1f} s")
