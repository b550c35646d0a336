"""The results directory: atomic files, the run lock and crash-safe checkpoints.

Layout of a results directory::

    .lock                          fcntl.flock'd while a run holds the directory (removed at exit)
    .nnqft-manifest.json           every file nnqft wrote here (nnqft.io.OutputManifest)
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
import warnings
from pathlib import Path

import numpy as np

from ..accumulate import MomentSums
from ..io import (  # noqa: F401 (atomic writers re-exported)
    MANIFEST_NAME,
    OutputManifest,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    foreign_entries,
    tracked_outputs,
)

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_json",
    "RunLock",
    "LockedError",
    "CheckpointError",
    "CheckpointStore",
    "OutputDirectory",
    "OUTPUT_NAMES",
    "clear_outputs",
]

CHECKPOINT_FORMAT = 1


def remove_temporaries(root: Path) -> None:
    """Delete leftovers ``.NAME.*.tmp`` of killed writers of the files nnqft recorded in the
    manifest of ``root`` (they are never read); other ``.tmp`` files are left alone."""
    m = OutputManifest(root)
    for rel in (*m.files, MANIFEST_NAME):
        p = m.root / rel
        if p.parent.is_dir():
            for t in p.parent.glob(f".{p.name}.*.tmp"):
                try:
                    t.unlink()
                except OSError:
                    pass


class LockedError(RuntimeError):
    """Another process holds the results directory."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _read_pid(fd: int) -> int | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return int(os.read(fd, 64).decode().strip() or "x")
    except (OSError, ValueError):
        return None


class RunLock:
    """An exclusive ``fcntl.flock`` on ``DIR/.lock``, which holds the owner's process id.

    The operating system releases the lock when the holding process dies (even by SIGKILL), so a
    killed run can always be resumed; a second live run on the same directory is refused. The
    file is removed when the lock is released (also on errors and Ctrl-C, through the context
    managers that hold it). A file left by a process that was killed outright is taken over,
    with a warning naming the dead process.
    """

    def __init__(self, directory: str | Path):
        self.path = Path(directory) / ".lock"
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pid = _read_pid(fd)
                os.close(fd)
                who = "" if pid is None else f" (process {pid})"
                raise LockedError(f"another nnqft run{who} is using {self.path.parent} "
                                  f"(lock held on {self.path.name})") from None
            # the previous holder may have removed the file between our open and flock
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        pid = _read_pid(fd)
        if pid is not None and pid != os.getpid() and not _pid_alive(pid):
            warnings.warn(f"taking over the stale lock {self.path} of process {pid}, which is "
                          "no longer running", stacklevel=2)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        """Remove the lock file and release the lock (idempotent)."""
        if self._fd is not None:
            try:
                if os.fstat(self._fd).st_ino == os.stat(self.path).st_ino:
                    os.unlink(self.path)  # while still holding it: nobody can take it meanwhile
            except OSError:
                pass
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def clear_outputs(directory: str | Path) -> list[Path]:
    """``--force``: remove the files nnqft recorded in the manifest of ``directory`` (and the
    directories it created, once empty). Files nnqft did not write are kept."""
    return OutputManifest(directory).clear()


def has_content(directory: Path) -> bool:
    """Whether ``directory`` holds anything besides the lock and the manifest."""
    return directory.is_dir() and any(p.name not in (".lock", MANIFEST_NAME)
                                      for p in directory.iterdir())


#: Top-level names the nnqft writers use; ``--force`` refuses up front to overwrite one of
#: them that nnqft did not write (other collisions are refused when the file is written).
OUTPUT_NAMES = ("summary.json", "summary.md", "summary.html", "report.md", "report.html",
                "config.toml", "config.json", "provenance.json", "status.json")


def check_no_foreign_outputs(directory: Path, names=OUTPUT_NAMES) -> None:
    """Raise ValueError naming the first of ``names`` in ``directory`` nnqft did not write."""
    bad = foreign_entries(directory, names) if directory.is_dir() else []
    if bad:
        raise ValueError(f"--force: {bad[0]} was not written by nnqft; refusing to overwrite "
                         "it (move it away or choose another output directory)")


class OutputDirectory:
    """Context manager guarding an output directory for the ``reproduce`` commands.

    An existing non-empty directory is refused unless ``force``. With ``force`` the files that
    nnqft wrote there before (listed in its manifest, ``.nnqft-manifest.json``) are removed and
    everything else is kept; an nnqft output name held by a foreign file is refused before any
    work. Every file written inside the context is recorded in the manifest
    (:func:`nnqft.io.tracked_outputs`), and a foreign file is never overwritten. The directory
    is locked (:class:`RunLock`) while it is written, so two runs cannot share it; the lock
    file is removed on exit, also after an error or Ctrl-C.
    """

    def __init__(self, directory: str | Path, force: bool = False, names=OUTPUT_NAMES):
        self.path = Path(directory)
        self.force = force
        self.names = tuple(names)
        self._lock: RunLock | None = None
        self._tracking = None

    def __enter__(self) -> Path:
        out = self.path
        if out.exists() and not out.is_dir():
            raise ValueError(f"{out} exists and is not a directory")
        if has_content(out):
            if not self.force:
                raise ValueError(f"{out} already exists; use --force to replace the output "
                                 "nnqft wrote there (other files are kept)")
            check_no_foreign_outputs(out, self.names)
        out.mkdir(parents=True, exist_ok=True)
        self._lock = RunLock(out).acquire()
        try:
            if self.force:
                clear_outputs(out)
            self._tracking = tracked_outputs(out)
            self._tracking.__enter__()
        except BaseException:
            self._lock.release()
            self._lock = None
            raise
        return out

    def __exit__(self, *exc) -> None:
        try:
            if self._tracking is not None:
                self._tracking.__exit__(None, None, None)
                self._tracking = None
        finally:
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
