"""Crash-safe output: atomic file writes and JSON conversion, shared by every writer in nnqft.

Every file is written to a temporary name in its destination directory, flushed and fsync'd,
given the usual permissions (0666 less the umask; ``mkstemp`` alone would leave 0600), renamed
over the destination, and the directory is fsync'd. A reader never sees a half-written file,
and a writer killed at any moment leaves at most a ``.NAME.*.tmp`` file behind.

Output directories keep a manifest (``.nnqft-manifest.json``, :class:`OutputManifest`) of the
files and directories nnqft wrote there. While a directory is tracked (:func:`tracked_outputs`,
used by every command that writes a results directory), :func:`atomic_write` records each file
in the manifest *before* writing it, and refuses to overwrite a file that the manifest does not
list (:class:`ForeignFileError`). ``--force`` then removes exactly the recorded files
(:meth:`OutputManifest.clear`): whatever else a user keeps in the directory is left alone.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
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
    "MANIFEST_NAME",
    "ForeignFileError",
    "OutputManifest",
    "tracked_outputs",
    "foreign_entries",
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
    _claim(path)
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
    """Save a matplotlib figure as PNG (200 dpi unless ``dpi`` is given) atomically and close
    it. Figures of the reports use :func:`nnqft.reproduce.style.save` (PNG plus PDF)."""
    import matplotlib.pyplot as plt

    savefig_kw.setdefault("format", "png")
    savefig_kw.setdefault("dpi", 200)
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


# ---------------------------------------------------------------------------- manifests
#: File name of the manifest in an output directory.
MANIFEST_NAME = ".nnqft-manifest.json"
_MANIFEST_FORMAT = 1
_LOCK_NAME = ".lock"


class ForeignFileError(ValueError):
    """nnqft refuses to overwrite a file in an output directory that it did not write."""


def _abs(path: str | Path) -> Path:
    return Path(os.path.abspath(path))


class OutputManifest:
    """The files and directories nnqft wrote under one output directory.

    Stored as ``ROOT/.nnqft-manifest.json``: ``{"format": 1, "files": [...], "dirs": [...]}``
    with paths relative to ``ROOT`` (``dirs``: directories nnqft created). Written atomically;
    a file is recorded before it is written, so after a crash the manifest lists at most a
    file that does not exist yet (harmless), never an unlisted nnqft file.

    Parameters
    ----------
    root : path
        The output directory (need not exist yet).

    Raises
    ------
    ValueError
        The manifest exists but is unreadable.
    """

    def __init__(self, root: str | Path):
        self.root = _abs(root)
        self.path = self.root / MANIFEST_NAME
        self.files: set[str] = set()
        self.dirs: set[str] = set()
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text())
                self.files = {str(f) for f in data["files"]}
                self.dirs = {str(d) for d in data["dirs"]}
            except (OSError, ValueError, KeyError, TypeError):
                raise ValueError(f"{self.path} is unreadable; nnqft cannot tell which files in "
                                 f"{self.root} it wrote (remove them by hand)") from None

    @property
    def exists(self) -> bool:
        """Whether the manifest file is on disk (the directory holds nnqft output)."""
        return self.path.exists()

    def relative(self, path: str | Path) -> str | None:
        """``path`` relative to the root (POSIX form), or None when it lies outside."""
        p = _abs(path)
        try:
            rel = p.relative_to(self.root)
        except ValueError:
            return None
        return None if rel == Path(".") else rel.as_posix()

    def owns(self, path: str | Path) -> bool:
        """Whether nnqft recorded ``path`` (a file, or the manifest itself) here."""
        rel = self.relative(path)
        return rel is not None and (rel == MANIFEST_NAME or rel in self.files)

    def record(self, path: str | Path, dirs: Sequence[str | Path] = ()) -> None:
        """Record a file (and directories nnqft created for it); saves when anything is new."""
        rel = self.relative(path)
        new_dirs = {r for r in (self.relative(d) for d in dirs) if r is not None}
        if rel is None or (rel in self.files and new_dirs <= self.dirs):
            return
        self.files.add(rel)
        self.dirs |= new_dirs
        self.save()

    def save(self) -> None:
        """Write the manifest atomically (and record it in enclosing tracked directories)."""
        self.root.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"format": _MANIFEST_FORMAT, "files": sorted(self.files),
                           "dirs": sorted(self.dirs)}, indent=1) + "\n"
        _write_untracked(self.path, text.encode("utf-8"))
        with _REGISTRY_LOCK:
            outer = [m for m in _ACTIVE if m is not self and m.relative(self.path) is not None]
        for m in outer:
            m.record(self.path)

    def clear(self) -> list[Path]:
        """Remove every recorded file (and leftover temporaries of its writer), then the
        recorded directories that are empty; keep everything else. Returns what was removed."""
        removed: list[Path] = []
        for rel in sorted(self.files):
            p = self.root / rel
            if p.is_symlink() or p.is_file():
                p.unlink()
                removed.append(p)
            if p.parent.is_dir():
                for t in p.parent.glob(f".{p.name}.*.tmp"):
                    t.unlink(missing_ok=True)
        self.files.clear()
        for rel in sorted(self.dirs, key=lambda r: r.count("/"), reverse=True):
            p = self.root / rel
            try:
                p.rmdir()  # only when empty: a directory holding foreign files is kept
            except FileNotFoundError:
                self.dirs.discard(rel)
            except OSError:
                continue
            else:
                removed.append(p)
                self.dirs.discard(rel)
        self.save()
        return removed


_ACTIVE: list[OutputManifest] = []
_REGISTRY_LOCK = threading.RLock()


def _write_untracked(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _claim(path: Path) -> None:
    """Before ``path`` is written: refuse a foreign file, record it in the tracked manifests."""
    with _REGISTRY_LOCK:
        mans = [m for m in _ACTIVE if m.relative(path) is not None]
        if not mans:
            return
        if path.name in (MANIFEST_NAME, _LOCK_NAME):
            raise ForeignFileError(f"refusing to write {path}: the name is reserved by nnqft")
        if os.path.lexists(path) and not any(m.owns(path) for m in mans):
            raise ForeignFileError(
                f"refusing to overwrite {path}: nnqft did not write it (move it away or "
                "choose another output directory)")
        created = []
        d = _abs(path).parent
        while not d.exists():
            created.append(d)
            d = d.parent
        for m in mans:
            m.record(path, [c for c in created if m.relative(c) is not None])


@contextlib.contextmanager
def tracked_outputs(root: str | Path, *, adopt_existing: bool = False) -> Iterator[OutputManifest]:
    """Track every file written under ``root`` by :func:`atomic_write` in its manifest.

    Nested tracked directories each keep their own manifest, and an enclosing one lists the
    nested files too, so either can be cleared on its own. ``adopt_existing`` records the
    files already there when no manifest exists yet (a directory written by an nnqft version
    without manifests, being resumed).
    """
    m = OutputManifest(root)
    if adopt_existing and not m.exists and m.root.is_dir():
        for p in m.root.rglob("*"):
            if p.is_file() and p.name != _LOCK_NAME and not p.name.endswith(".tmp"):
                m.files.add(p.relative_to(m.root).as_posix())
    with _REGISTRY_LOCK:
        _ACTIVE.append(m)
    try:
        if not m.exists:  # mark the directory as nnqft's at once; an existing one is current
            m.save()
        yield m
    finally:
        with _REGISTRY_LOCK:
            _ACTIVE.remove(m)


def foreign_entries(root: str | Path, names: Sequence[str]) -> list[Path]:
    """Entries ``root/NAME`` (for ``names`` nnqft is about to write) that nnqft did not write.

    Existing directories are not collisions (nnqft writes beside what they hold). Used to
    refuse ``--force`` before any work when an output would overwrite a user's file; every
    other collision is refused when the file is about to be written.
    """
    m = OutputManifest(root)
    bad = []
    for name in names:
        p = m.root / name
        if os.path.lexists(p) and not (p.is_dir() and not p.is_symlink()) and not m.owns(p):
            bad.append(p)
    return bad
