"""Safety of outputs: manifests, ``--force`` keeps foreign files, locks, the README sequence.

The reproductions themselves take minutes, so the CLI tests replace them by stand-ins that write
a few files through :mod:`nnqft.io` (as every nnqft writer does); the directory handling under
test (``OutputDirectory``, ``reproduce all``, the manifest) is the real one.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import types

import pytest

from cli_helpers import run_cli_redirected
from nnqft.experiments.store import LockedError, OutputDirectory, RunLock
from nnqft.io import (
    MANIFEST_NAME,
    ForeignFileError,
    OutputManifest,
    atomic_write_text,
    tracked_outputs,
)

from .helpers import REPO


def _tree(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


# ---------------------------------------------------------------------------- the manifest
def test_manifest_records_every_file_and_clear_removes_only_those(tmp_path):
    d = tmp_path / "out"
    with tracked_outputs(d):
        atomic_write_text(d / "summary.md", "a")
        atomic_write_text(d / "data" / "deep" / "x.nc", "b")
    m = OutputManifest(d)
    assert m.files == {"summary.md", "data/deep/x.nc"}
    assert m.dirs == {"data", "data/deep"}
    # the user's files: one beside, one inside a directory nnqft created, one own subdirectory
    (d / "notes.txt").write_text("mine")
    (d / "data" / "keep.txt").write_text("mine")
    (d / "mine").mkdir()
    (d / "mine" / "thesis.tex").write_text("mine")
    (d / "data" / "deep" / ".x.nc.abc123.tmp").write_text("leftover of a killed writer")
    removed = OutputManifest(d).clear()
    assert {p.relative_to(d).as_posix() for p in removed} == {
        "summary.md", "data/deep/x.nc", "data/deep"}
    assert _tree(d) == [MANIFEST_NAME, "data", "data/keep.txt", "mine", "mine/thesis.tex",
                        "notes.txt"]
    # the directory still holding a user's file stays listed, to be removed once it is empty
    assert OutputManifest(d).files == set() and OutputManifest(d).dirs == {"data"}


def test_a_foreign_file_is_never_overwritten(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    (d / "summary.md").write_text("the user's")
    with tracked_outputs(d), pytest.raises(ForeignFileError, match="did not write it"):
        atomic_write_text(d / "summary.md", "nnqft's")
    assert (d / "summary.md").read_text() == "the user's"
    # outside any tracked directory nothing changes (plain atomic writes)
    atomic_write_text(tmp_path / "free.txt", "1")
    atomic_write_text(tmp_path / "free.txt", "2")
    assert (tmp_path / "free.txt").read_text() == "2"


def test_nested_manifests(tmp_path):
    outer, inner = tmp_path / "results", tmp_path / "results" / "hms"
    with tracked_outputs(outer):
        atomic_write_text(outer / "report.md", "r")
        with tracked_outputs(inner):
            atomic_write_text(inner / "summary.md", "s")
    assert OutputManifest(inner).files == {"summary.md"}
    assert OutputManifest(outer).files == {"report.md", "hms/summary.md",
                                           f"hms/{MANIFEST_NAME}"}
    (inner / "mine.txt").write_text("x")
    OutputManifest(outer).clear()
    assert _tree(outer) == [MANIFEST_NAME, "hms", "hms/mine.txt"]


# ---------------------------------------------------------------------------- the lock
def test_lock_file_is_removed_on_exit_error_and_interrupt(tmp_path):
    d = tmp_path / "o"
    with OutputDirectory(d):
        assert (d / ".lock").read_text().strip() == str(os.getpid())
        with pytest.raises(LockedError, match=f"process {os.getpid()}"):
            RunLock(d).acquire()  # a second holder is refused, naming the first
    assert not (d / ".lock").exists()
    for exc in (RuntimeError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(exc)), OutputDirectory(d, force=True):
            assert (d / ".lock").exists()
            raise exc
        assert not (d / ".lock").exists()


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()  # its pid now names no running process (reaped)
    d = tmp_path / "o"
    d.mkdir()
    (d / ".lock").write_text(f"{p.pid}\n")
    with pytest.warns(UserWarning, match=f"stale lock .* of process {p.pid}"):
        lock = RunLock(d).acquire()
    assert (d / ".lock").read_text().strip() == str(os.getpid())
    lock.release()
    assert not (d / ".lock").exists()


# ---------------------------------------------------------------------------- the CLI
def _fake_reproduction(name):
    def fake(out_dir, quick=True, progress=True):
        from pathlib import Path

        out_dir = Path(out_dir)
        atomic_write_text(out_dir / "summary.json", json.dumps({"part": name}))
        atomic_write_text(out_dir / "summary.md", f"# {name}\n")
        atomic_write_text(out_dir / "figures" / f"{name}.png", "png")
        return {"files": ["summary.json", "summary.md"], "wall_s": 0.0, "slopes": []}

    return fake


@pytest.fixture
def stand_ins(monkeypatch):
    """Cheap stand-ins for the three parts of ``reproduce all`` and for ``reproduce hms/els``."""
    import nnqft.cli.run as cli_run
    import nnqft.reproduce.els as els
    import nnqft.reproduce.hms as hms

    monkeypatch.setattr(hms, "reproduce_hms", _fake_reproduction("hms"))
    monkeypatch.setattr(els, "reproduce_els", _fake_reproduction("els"))
    fake = types.ModuleType("fake_parts")
    fake.free_theory = _fake_reproduction("free_theory")
    monkeypatch.setitem(sys.modules, "fake_parts", fake)
    monkeypatch.setattr(cli_run, "_free_theory",
                        lambda out, quick, quiet, mode: fake.free_theory(out))
    monkeypatch.setattr(cli_run, "_PARTS", (
        ("free_theory", "Free theory", None),
        ("hms", "[HMS] reproduction", ("nnqft.reproduce.hms", "reproduce_hms")),
        ("els", "[ELS] reproduction", ("nnqft.reproduce.els", "reproduce_els")),
    ))


@pytest.mark.parametrize("which", ["hms", "els"])
def test_reproduce_force_keeps_the_users_subdirectory(tmp_path, stand_ins, which):
    out = tmp_path / which
    assert run_cli_redirected(["reproduce", which, "--quick", "--out", str(out), "--quiet"])[0] == 0
    (out / "my_analysis").mkdir()
    (out / "my_analysis" / "fit.py").write_text("mine")
    (out / "figures" / "my_plot.png").write_text("mine")
    code, _, err = run_cli_redirected(["reproduce", which, "--quick", "--out", str(out), "--quiet"])
    assert code == 2 and "already exists" in err and "--force" in err
    code, _, err = run_cli_redirected(["reproduce", which, "--quick", "--out", str(out), "--quiet",
                                       "--force"])
    assert code == 0, err
    assert (out / "my_analysis" / "fit.py").read_text() == "mine"
    assert (out / "figures" / "my_plot.png").read_text() == "mine"
    assert json.loads((out / "summary.json").read_text()) == {"part": which}
    assert not (out / ".lock").exists()


def _commands(text: str, prefix: str) -> list[list[str]]:
    """Command lines in ``text`` that start with ``prefix`` (after a Makefile's $(BIN)/)."""
    out = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(\$\(BIN\)/)?", "", line).split("#")[0].strip()
        if line.startswith(prefix):
            out.append(shlex.split(line)[1:])
    return out


def test_make_run_twice_then_the_readme_commands(tmp_path, stand_ins, monkeypatch):
    """The sequence a new user follows: ``make run`` (twice), their own run under results/,
    then the README's ``reproduce`` commands as written. Nothing of the user's is removed and
    every command succeeds."""
    make_run = _commands((REPO / "Makefile").read_text(), "nnqft reproduce all")
    readme = _commands((REPO / "README.md").read_text(), "nnqft reproduce")
    assert len(make_run) == 1 and "--force" in make_run[0]
    assert {c[1] for c in readme} >= {"hms", "els"}
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run_cli_redirected(make_run[0] + ["--quiet"])
    assert code == 0, err
    # the user's own run and notes under results/ (e.g. `nnqft run examples/quickstart.toml`)
    with tracked_outputs(tmp_path / "results" / "quickstart"):
        atomic_write_text(tmp_path / "results" / "quickstart" / "report.md", "user's run")
    (tmp_path / "results" / "notes.txt").write_text("mine")
    (tmp_path / "results" / "hms" / "extra").mkdir()
    (tmp_path / "results" / "hms" / "extra" / "a.txt").write_text("mine")
    before = (tmp_path / "results" / "status.json").stat().st_mtime_ns
    code, stdout, err = run_cli_redirected(make_run[0] + ["--quiet"])  # a second `make run`
    assert code == 0, err
    assert stdout.strip().splitlines()[-1] == "results/report.md"
    assert (tmp_path / "results" / "status.json").stat().st_mtime_ns != before
    assert (tmp_path / "results" / "quickstart" / "report.md").read_text() == "user's run"
    assert (tmp_path / "results" / "notes.txt").read_text() == "mine"
    assert (tmp_path / "results" / "hms" / "extra" / "a.txt").read_text() == "mine"
    for cmd in readme:
        out = cmd[cmd.index("--out") + 1]
        # every README reproduction writes outside results/ (which belongs to make run) ...
        assert not (tmp_path / out).resolve().is_relative_to(tmp_path / "results"), cmd
        assert not (tmp_path / out).exists(), cmd
        if cmd[1] in ("hms", "els"):  # ... and those with stand-ins run through the real CLI
            code, _, err = run_cli_redirected(cmd + ["--quiet"])
            assert code == 0, (cmd, err)
    assert not list(tmp_path.rglob(".lock"))


def test_sigterm_removes_the_lock(tmp_path):
    """SIGTERM (e.g. from a batch system) ends the run with exit 143 and no .lock left."""
    import signal
    import time

    from .helpers import cli_cmd, small_config, write_config

    cfg = write_config(tmp_path / "t.toml", small_config(
        name="term", networks={"activation": "erf", "width": [20]},
        sampling={"n_networks": 6400, "exact": False}, analyses={}))
    out = tmp_path / "o"
    p = subprocess.Popen(cli_cmd("run", cfg, "--out", out, "--quiet"), cwd=REPO,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    while p.poll() is None and not list(out.rglob("chunk-*.npz")):
        assert time.monotonic() - t0 < 120
        time.sleep(0.01)
    assert (out / ".lock").exists()
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 143 and err.strip().endswith("terminated"), err
    assert not (out / ".lock").exists()  # (resuming after an interruption: test_sigkill.py)
