"""The results directory: atomic files, the run lock and crash-safe checkpoints.

Layout of a results directory::

    .lock                          fcntl.flock'd while a run holds the directory
    config.toml, config.json       the configuration as run (text and validated canonical form)
    provenance.json                versions, git commit, seed, host, times; status running|complete
    checkpoints/<task>/<fingerprint>/chunk-<first>-<last>.npz
                                   block accumulators of one finished chunk (see below)
    data/*.nc                      NetCDF results (written at the end)
    figures/*.png, report.md, report.html

Every file is written to a temporary name in the same directory, flushed, fsync'd and renamed
(:func:`atomic_write_bytes`), so a reader (or a resumed run) never sees half a file, whenever the
writer is killed. A checkpoint records the plan fingerprint, its block numbers and a SHA-256 of
its payload; on resume each is verified, and a corrupted or foreign file is refused with an error
naming it (:class:`CheckpointError`), never silently used or silently recomputed.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np

from ..accumulate import MomentSums
from ..io import atomic_write_bytes, atomic_write_json, atomic_write_text  # noqa: F401 (re-exported)

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_json",
    "RunLock",
    "LockedError",
    "CheckpointError",
    "CheckpointStore",
    "OutputDirectory",
    "RESULT_MARKERS",
]

CHECKPOINT_FORMAT = 1


def remove_temporaries(root: Path) -> None:
    """Delete leftovers ``.*.tmp`` of writers that were killed (they are never read)."""
    for p in root.rglob(".*.tmp"):
        try:
            p.unlink()
        except OSError:
            pass


class LockedError(RuntimeError):
    """Another process holds the results directory."""


class RunLock:
    """An exclusive ``fcntl.flock`` on ``DIR/.lock``.

    The operating system releases the lock when the holding process dies (even by SIGKILL), so a
    killed run can always be resumed; a second live run on the same directory is refused.
    """

    def __init__(self, directory: str | Path):
        self.path = Path(directory) / ".lock"
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockedError(
                f"another nnqft run is using {self.path.parent} (lock held on {self.path.name})"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def clear_directory(directory: Path, keep: tuple[str, ...] = (".lock",)) -> None:
    """Remove everything in ``directory`` except the names in ``keep`` (for ``--force``)."""
    for p in directory.iterdir():
        if p.name in keep:
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()


#: Names whose presence marks a directory as nnqft output (so --force may clear it).
RESULT_MARKERS = frozenset({".lock", "config.json", "provenance.json", "checkpoints",
                            "summary.json", "report.md"})


class OutputDirectory:
    """Context manager guarding an output directory for the ``reproduce`` commands.

    An existing non-empty directory is refused unless ``force``; with ``force`` it is cleared,
    but only when it looks like nnqft output (one of :data:`RESULT_MARKERS`). The directory is
    locked (:class:`RunLock`) while it is written, so two runs cannot share it.
    """

    def __init__(self, directory: str | Path, force: bool = False):
        self.path = Path(directory)
        self.force = force
        self._lock: RunLock | None = None

    def __enter__(self) -> Path:
        out = self.path
        if out.exists() and not out.is_dir():
            raise ValueError(f"{out} exists and is not a directory")
        if out.exists() and any(p.name != ".lock" for p in out.iterdir()):
            if not self.force:
                raise ValueError(f"{out} already exists; use --force to overwrite it")
            if not {p.name for p in out.iterdir()} & RESULT_MARKERS:
                raise ValueError(f"--force: {out} is not an nnqft results directory; "
                                 "refusing to clear it")
        out.mkdir(parents=True, exist_ok=True)
        self._lock = RunLock(out).acquire()
        if self.force:
            clear_directory(out)
        return out

    def __exit__(self, *exc) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


class CheckpointError(ValueError):
    """A checkpoint file is corrupted or belongs to another run."""


def _digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for k in sorted(arrays):
        a = np.ascontiguousarray(arrays[k])
        h.update(k.encode())
        h.update(str(a.dtype).encode())
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


_CHUNK_RE = re.compile(r"^chunk-(\d+)-(\d+)\.npz$")


class CheckpointStore:
    """Per-chunk block accumulators of one sampling plan, under ``root/<task>/<fingerprint>/``.

    Parameters
    ----------
    root : Path
        The ``checkpoints`` directory of a results directory.
    task : str
        Task key (one network of the grid).
    fingerprint : str
        :meth:`nnqft.estimate.SamplingPlan.fingerprint` of the plan.
    """

    def __init__(self, root: str | Path, task: str, fingerprint: str):
        self.task_dir = Path(root) / task
        self.dir = self.task_dir / fingerprint
        self.fingerprint = fingerprint

    def save(self, results: list[tuple[int, MomentSums]]) -> Path:
        """Persist one chunk's (block, MomentSums) pairs atomically; returns the file."""
        results = sorted(results, key=lambda r: r[0])
        blocks = [b for b, _ in results]
        payload: dict[str, np.ndarray] = {"blocks": np.array(blocks, dtype=np.int64)}
        for b, s in results:
            for k, v in s.to_arrays().items():
                payload[f"b{b}.{k}"] = np.asarray(v)
        meta = {
            "format": CHECKPOINT_FORMAT,
            "fingerprint": self.fingerprint,
            "sha256": _digest(payload),
        }
        buf = io.BytesIO()
        np.savez(buf, __meta__=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
                 **payload)
        path = self.dir / f"chunk-{blocks[0]:06d}-{blocks[-1]:06d}.npz"
        atomic_write_bytes(path, buf.getvalue())
        return path

    def load(self, n_blocks: int, accumulated_orders: tuple[int, ...],
             block_counts) -> dict[int, MomentSums]:
        """Read and verify every checkpoint of this plan.

        Parameters
        ----------
        n_blocks : int
            Number of blocks of the plan.
        accumulated_orders : tuple of int
            The plan's accumulated monomial orders (checked against every block).
        block_counts : callable
            ``b -> number of networks in block b`` (checked against every block).

        Raises
        ------
        CheckpointError
            Naming the file: unreadable, checksum mismatch, another plan's fingerprint, blocks
            out of range or duplicated, inconsistent contents.
        """
        done: dict[int, MomentSums] = {}
        if self.task_dir.exists():
            for d in self.task_dir.iterdir():
                if d.name != self.fingerprint and not d.name.startswith("."):
                    raise CheckpointError(
                        f"foreign checkpoint directory {d} (another plan's fingerprint); "
                        "remove it or rerun with --force"
                    )
        if not self.dir.exists():
            return done
        for path in sorted(self.dir.iterdir()):
            if path.name.endswith(".tmp") and path.name.startswith("."):
                continue
            m = _CHUNK_RE.match(path.name)
            if not m:
                raise CheckpointError(f"unexpected file in the checkpoints: {path}")
            for b, s in self._read(path, n_blocks, accumulated_orders, block_counts).items():
                if b in done:
                    raise CheckpointError(f"checkpoint {path} repeats block {b}")
                done[b] = s
        return done

    def _read(self, path: Path, n_blocks, orders, block_counts) -> dict[int, MomentSums]:
        bad = f"corrupted checkpoint {path}"
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except Exception as exc:  # noqa: BLE001 - any read failure means corruption
            raise CheckpointError(f"{bad}: unreadable ({type(exc).__name__})") from None
        try:
            meta = json.loads(arrays.pop("__meta__").tobytes().decode())
            fp, digest = meta["fingerprint"], meta["sha256"]
        except Exception:  # noqa: BLE001
            raise CheckpointError(f"{bad}: no valid header") from None
        if meta.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"{bad}: unknown format {meta.get('format')!r}")
        if fp != self.fingerprint:
            raise CheckpointError(f"foreign checkpoint {path}: it belongs to another plan "
                                  f"(fingerprint {str(fp)[:12]}...)")
        if _digest(arrays) != digest:
            raise CheckpointError(f"{bad}: checksum mismatch")
        m = _CHUNK_RE.match(path.name)
        blocks = [int(b) for b in arrays.get("blocks", np.array([], dtype=np.int64))]
        if not blocks or blocks[0] != int(m.group(1)) or blocks[-1] != int(m.group(2)):
            raise CheckpointError(f"{bad}: block numbers do not match the file name")
        out = {}
        for b in blocks:
            if not 0 <= b < n_blocks:
                raise CheckpointError(f"{bad}: block {b} out of range")
            try:
                s = MomentSums.from_arrays({k.split(".", 1)[1]: v for k, v in arrays.items()
                                            if k.startswith(f"b{b}.")})
            except Exception:  # noqa: BLE001
                raise CheckpointError(f"{bad}: block {b} is incomplete") from None
            if s.orders != tuple(orders) or s.count != block_counts(b):
                raise CheckpointError(f"{bad}: block {b} does not match the plan")
            out[b] = s
        return out
