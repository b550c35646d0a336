"""Crash-safe output: atomic file writes and JSON conversion, shared by every writer in nnqft.

Every file is written to a temporary name in its destination directory, flushed and fsync'd,
given the usual permissions (0666 less the umask; ``mkstemp`` alone would leave 0600), renamed
over the destination, and the directory is fsync'd. A reader never sees a half-written file,
and a writer killed at any moment leaves at most a ``.NAME.*.tmp`` file behind.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_json",
    "write_netcdf",
    "save_figure",
    "to_jsonable",
]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | Path, writer: Callable[[str], None]) -> Path:
    """Create ``path`` atomically: ``writer(tmp)`` writes a temporary file that is then fsync'd,
    given normal permissions and renamed over ``path``.

    ``writer`` receives the temporary path (a str ending in ``.tmp``: give file formats
    explicitly, e.g. ``fig.savefig(tmp, format="png")``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        writer(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""

    def writer(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            fh.write(data)

    return atomic_write(path, writer)


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, obj) -> Path:
    """Write ``obj`` as indented JSON (numpy values converted, non-finite floats as null)."""
    return atomic_write_text(
        path, json.dumps(to_jsonable(obj), indent=2, sort_keys=True, default=str) + "\n"
    )


def write_netcdf(ds, path: str | Path) -> Path:
    """Write an xarray Dataset as NetCDF-4 (h5netcdf engine) atomically."""
    return atomic_write(path, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))


def save_figure(fig, path: str | Path, **savefig_kw) -> Path:
    """Save a matplotlib figure as PNG atomically and close it."""
    import matplotlib.pyplot as plt

    savefig_kw.setdefault("format", "png")
    try:
        return atomic_write(path, lambda tmp: fig.savefig(tmp, **savefig_kw))
    finally:
        plt.close(fig)


def to_jsonable(obj: Any) -> Any:
    """Convert numpy values and non-finite floats for JSON (inf and nan become null)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj
