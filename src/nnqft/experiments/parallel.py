"""Executors for experiments: local worker processes and a Dask cluster.

Both follow the engine's executor protocol (``map_blocks(fn, blocks, on_chunk)`` returning
``{block: result}``); the engine folds the block accumulators in block order, so the numbers are
bit-identical to an in-process run whatever the number of workers or the order of completion.
"""

from __future__ import annotations

import math
import multiprocessing as mp
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from ..executors import DaskExecutor, LocalExecutor, chunked, run_chunk_pinned
from ..progress import log

__all__ = ["ProcessExecutor", "make_executor"]


class ProcessExecutor:
    """Chunks of blocks on ``workers`` local processes (``concurrent.futures``, spawn context).

    Parameters
    ----------
    workers : int
        Number of worker processes.
    chunk_blocks : int
        Blocks per task.
    retries : int
        How many times the pool may be rebuilt after a worker process dies; the chunks it held
        are resubmitted (a dead worker costs a retry, not the run).
    """

    def __init__(self, workers: int, chunk_blocks: int = 8, retries: int = 3):
        self.workers = int(workers)
        self.chunk_blocks = int(chunk_blocks)
        self.retries = int(retries)
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"))
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def map_blocks(self, fn: Callable, blocks: Iterable[int], on_chunk: Callable | None = None):
        pending = chunked(list(blocks), self.chunk_blocks)
        results: dict = {}
        failures = 0
        while pending:
            pool = self._get_pool()
            futs = {pool.submit(run_chunk_pinned, fn, ch): i for i, ch in enumerate(pending)}
            finished: set[int] = set()
            broken = False
            not_done = set(futs)
            while not_done:
                done, not_done = wait(not_done, return_when=FIRST_COMPLETED)
                for f in done:
                    try:
                        res = f.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    finished.add(futs[f])
                    results.update(res)
                    if on_chunk:
                        on_chunk(res)
            pending = [ch for i, ch in enumerate(pending) if i not in finished]
            if broken:
                failures += 1
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
                if failures > self.retries:
                    raise RuntimeError(f"worker processes died {failures} times; giving up")
                log(f"a worker process died; retrying {len(pending)} chunks "
                    f"(retry {failures}/{self.retries})")
        return results


def _check_reachable(address: str, timeout: float = 3.0) -> None:
    """Fail fast (ValueError, one line) when a tcp:// scheduler address does not answer."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls") or not parts.hostname or not parts.port:
        return
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=timeout).close()
    except OSError as exc:
        raise ValueError(f"cannot connect to the Dask scheduler at {address}: "
                         f"{exc.strerror or exc}") from None


def make_executor(workers: int = 1, scheduler: str | None = None, chunk_blocks: int = 8,
                  retries: int = 3, client=None):
    """The executor for a run: in-process, local processes, or a Dask cluster.

    Parameters
    ----------
    workers : int
        1: in-process; more: that many local worker processes.
    scheduler : str or None
        Address of a running Dask scheduler (``tcp://host:8786``).
    client : distributed.Client or None
        An existing client (takes precedence over ``scheduler``; used by tests).
    """
    if client is not None:
        return DaskExecutor(client, chunk_blocks=chunk_blocks, retries=retries)
    if scheduler is not None:
        _check_reachable(scheduler)
        return DaskExecutor(scheduler, chunk_blocks=chunk_blocks, retries=retries)
    if workers > 1:
        return ProcessExecutor(workers, chunk_blocks=chunk_blocks, retries=retries)
    return LocalExecutor(workers=1, chunk_blocks=max(1, math.floor(chunk_blocks)))
