"""Executors: map a block function over block indices, in-process or on a Dask cluster.

An executor returns the result of every block keyed by block index; the caller folds them in
block order, so the numbers do not depend on the executor, the chunk size (blocks per task), the
number of workers or the order in which chunks finish.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

import numpy as np

__all__ = ["LocalExecutor", "DaskExecutor", "resolve_executor", "chunked", "collect_chunks",
           "pin_blas_threads", "run_chunk_pinned"]


def chunked(blocks: Sequence[int], chunk_blocks: int) -> list[list[int]]:
    """Split block indices into consecutive chunks of ``chunk_blocks``."""
    blocks = list(blocks)
    return [blocks[i : i + chunk_blocks] for i in range(0, len(blocks), chunk_blocks)]


def _run_chunk(fn: Callable, chunk: list[int]):
    if hasattr(fn, "run_chunk"):  # a task that computes a chunk at once (nnqft.estimate.BlockTask)
        return fn.run_chunk(chunk)
    return [(b, fn(b)) for b in chunk]


def collect_chunks(chunk_results: Iterable[list], on_chunk: Callable | None = None) -> dict:
    """Gather finished chunks (lists of (block, result)) into {block: result}, calling
    ``on_chunk`` on each as it arrives (the checkpoint and progress hook)."""
    results = {}
    for res in chunk_results:
        results.update(res)
        if on_chunk:
            on_chunk(res)
    return results


_BLAS_PINNED = False


def pin_blas_threads() -> None:
    """Limit BLAS to one thread for the rest of this (worker) process.

    Block computations run with single-threaded BLAS everywhere, so that every block gives the
    same bits in every executor. Worker processes (Dask, process pools) pin once for their whole
    life; the in-process :class:`LocalExecutor` limits BLAS from the calling thread for the
    duration of ``map_blocks`` and restores it afterwards (a per-thread limit would race, since
    BLAS thread counts are process-wide).
    """
    global _BLAS_PINNED
    if not _BLAS_PINNED:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")
        _BLAS_PINNED = True


def run_chunk_pinned(fn: Callable, chunk: list[int]):
    """Compute a chunk of blocks in a worker process, with BLAS pinned to one thread."""
    pin_blas_threads()
    return _run_chunk(fn, chunk)


class LocalExecutor:
    """In-process execution (the default).

    Parameters
    ----------
    workers : int
        Threads computing chunks concurrently (numpy releases the GIL in the heavy parts;
        BLAS is limited to one thread, process-wide, while blocks are computed).
    chunk_blocks : int or None
        Blocks per chunk (default: enough chunks for smooth progress).
    shuffle_seed : int or None
        If given, chunks are submitted in a shuffled order (used to test determinism).
    """

    def __init__(self, workers: int = 1, chunk_blocks: int | None = None,
                 shuffle_seed: int | None = None):
        if int(workers) < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if chunk_blocks is not None and int(chunk_blocks) < 1:
            raise ValueError(f"chunk_blocks must be >= 1, got {chunk_blocks}")
        self.workers = int(workers)
        self.chunk_blocks = chunk_blocks
        self.shuffle_seed = shuffle_seed

    def map_blocks(self, fn: Callable, blocks: Iterable[int], on_chunk: Callable | None = None):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return self._map_blocks(fn, list(blocks), on_chunk)

    def _map_blocks(self, fn: Callable, blocks: list[int], on_chunk: Callable | None):
        cb = self.chunk_blocks or max(1, math.ceil(len(blocks) / 200))
        chunks = chunked(blocks, cb)
        if self.shuffle_seed is not None:
            order = np.random.default_rng(self.shuffle_seed).permutation(len(chunks))
            chunks = [chunks[i] for i in order]
        if self.workers == 1:
            return collect_chunks((_run_chunk(fn, ch) for ch in chunks), on_chunk)
        with ThreadPoolExecutor(self.workers) as pool:
            futs = [pool.submit(_run_chunk, fn, ch) for ch in chunks]
            return collect_chunks((f.result() for f in as_completed(futs)), on_chunk)


class DaskExecutor:
    """Execution on a Dask distributed cluster.

    Parameters
    ----------
    client : distributed.Client or str
        A connected client, or a scheduler address such as ``"tcp://127.0.0.1:8786"``.
    chunk_blocks : int or None
        Blocks per task (default: about four tasks per worker thread, at least one block).
    retries : int
        Times a task that raised is retried. A task whose worker dies is rescheduled by the
        scheduler itself (up to its ``distributed.scheduler.allowed-failures``, default 3), so a
        dead worker costs a retry, not the run.
    """

    def __init__(self, client, chunk_blocks: int | None = None, retries: int = 3):
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover
            raise ValueError("the Dask executor needs 'dask[distributed]' (pip install nnqft[dask])") from None
        if isinstance(client, str):
            try:
                client = Client(client, timeout="10s")
            except OSError as exc:
                raise ValueError(f"cannot connect to the Dask scheduler at {client}: {exc}") from None
        self.client = client
        self.chunk_blocks = chunk_blocks
        self.retries = int(retries)

    def map_blocks(self, fn: Callable, blocks: Iterable[int], on_chunk: Callable | None = None):
        from distributed import as_completed as das_completed

        blocks = list(blocks)
        if self.chunk_blocks:
            cb = int(self.chunk_blocks)
        else:
            nthreads = max(1, sum(self.client.nthreads().values()))
            cb = max(1, math.ceil(len(blocks) / (4 * nthreads)))
        chunks = chunked(blocks, cb)
        futs = [self.client.submit(run_chunk_pinned, fn, ch, pure=False, retries=self.retries)
                for ch in chunks]
        return collect_chunks((f.result() for f in das_completed(futs)), on_chunk)


def resolve_executor(executor):
    """None/"local" -> LocalExecutor(); an int -> LocalExecutor(workers=int); a Dask Client or
    an address string ("tcp://...") -> DaskExecutor; an executor object passes through."""
    if executor is None or (isinstance(executor, str) and executor == "local"):
        return LocalExecutor()
    if isinstance(executor, (int, np.integer)) and not isinstance(executor, bool):
        return LocalExecutor(workers=int(executor))
    if isinstance(executor, (LocalExecutor, DaskExecutor)) or hasattr(executor, "map_blocks"):
        return executor
    if isinstance(executor, str):
        return DaskExecutor(executor)
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover
        Client = ()
    if Client and isinstance(executor, Client):
        return DaskExecutor(executor)
    raise ValueError(f"unknown executor {executor!r}: use None, 'local', a worker count, "
                     "a dask.distributed.Client or a scheduler address")
