"""nnqft run: results directory, provenance, report, overwrite rules, lock, checkpoints."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from nnqft.experiments.config import parse_config
from nnqft.experiments.runner import run_experiment
from nnqft.experiments.store import CheckpointError, LockedError

from .helpers import assert_identical, load_arrays, run_cli, small_config, to_toml, write_config


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One complete run through the CLI (subprocess)."""
    d = tmp_path_factory.mktemp("run")
    cfg = write_config(d / "small.toml", small_config())
    out = d / "out"
    r = run_cli("run", cfg, "--out", out)
    assert r.returncode == 0, r.stderr
    return cfg, out, r


def test_results_directory_layout(finished):
    cfg, out, r = finished
    assert r.stdout.strip().splitlines()[-1] == str(out / "report.md")
    for name in ("config.toml", "config.json", "provenance.json", "report.md", "report.html",
                 "figures/correlators.png", "figures/free_theory.png", "data/free_theory.nc"):
        assert (out / name).is_file(), name
    assert (out / "config.toml").read_text() == Path(cfg).read_text()
    ncs = sorted((out / "data" / "correlators").glob("*.nc"))
    assert len(ncs) == 4  # 2 networks x (mc, exact)
    assert not list(out.rglob("*.tmp"))


def test_progress_and_logs_on_stderr_only(finished):
    _, out, r = finished
    assert r.stdout.strip() == str(out / "report.md")
    assert "nnqft:" in r.stderr


def test_provenance_complete(finished):
    _, out, _ = finished
    p = json.loads((out / "provenance.json").read_text())
    for key in ("nnqft_version", "git_commit", "host", "seed", "start_time", "end_time",
                "wall_time_s", "config_sha256", "tasks", "sessions", "executor", "command"):
        assert key in p, key
    for lib in ("numpy", "scipy", "xarray", "nnqft", "python"):
        assert p["versions"][lib]
    assert p["status"] == "complete" and p["seed"] == 7 and p["wall_time_s"] > 0
    assert p["git_commit"] is None or len(p["git_commit"]) == 40
    assert all("fingerprint" in t and "wall_time_s" in t for t in p["tasks"])


def test_netcdf_units_conventions_no_timings(finished):
    _, out, _ = finished
    for path in (out / "data").rglob("*.nc"):
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            assert ds.attrs.get("conventions") and ds.attrs.get("title"), path
            for name, v in ds.data_vars.items():
                assert "units" in v.attrs, (path, name)
                assert "time" not in name.lower() and "wall" not in name.lower()
            assert not any("wall" in k or "time" in k for k in ds.attrs), path


def test_report_renders_with_figures_and_tables(finished):
    _, out, _ = finished
    md = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    images = [line.split("](")[1].rstrip(")") for line in md.splitlines() if line.startswith("![")]
    assert images and all((out / im).is_file() for im in images)
    for im in images:
        assert (out / im).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f'src="{im}"' in html
    assert md.count("|---|") >= 3 and html.count("<table>") >= 3
    assert "## Free theory" in md and "## Provenance" in md


def test_free_theory_values_are_real(finished):
    _, out, _ = finished
    with xr.open_dataset(out / "data" / "free_theory.nc", engine="h5netcdf") as ds:
        m4e = ds["m_exact"].sel(order=4).values[0]
        m4 = ds["m_mc"].sel(order=4).values[0]
        err = ds["m_mc_err"].sel(order=4).values[0]
        assert np.all(np.isfinite(m4e)) and np.all(m4e > 0)
        assert m4e[0] > m4e[1]  # falls with width
        # exact values against Monte Carlo (5 sigma), at the width where m4 is above the floor
        assert abs(m4[0] - m4e[0]) < 5 * err[0]


def test_existing_directory_is_not_overwritten(finished, tmp_path):
    cfg, out, _ = finished
    before = (out / "provenance.json").read_text()
    r = run_cli("run", cfg, "--out", out)
    assert r.returncode == 2 and "--resume" in r.stderr and r.stderr.count("\n") == 1
    assert (out / "provenance.json").read_text() == before


def test_resume_on_finished_run_does_nothing(finished):
    cfg, out, _ = finished
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != ".lock"}
    r = run_cli("run", cfg, "--out", out, "--resume")
    assert r.returncode == 0, r.stderr
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != ".lock"}
    assert before == after


def test_resume_missing_directory_is_an_error(tmp_path):
    cfg = write_config(tmp_path / "c.toml", small_config())
    r = run_cli("run", cfg, "--out", tmp_path / "none", "--resume")
    assert r.returncode == 2 and "does not exist" in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "none").exists()


def test_resume_and_force_are_exclusive(tmp_path):
    cfg = write_config(tmp_path / "c.toml", small_config())
    r = run_cli("run", cfg, "--out", tmp_path / "o", "--resume", "--force")
    assert r.returncode == 2 and not (tmp_path / "o").exists()


def _cfg(**over):
    data = small_config(**over)
    return parse_config(data), to_toml(data)


def test_force_reruns_identically(finished, tmp_path):
    _, out, _ = finished
    cfg, text = _cfg()
    res = run_experiment(cfg, text, tmp_path / "o", quiet=True)
    (tmp_path / "o" / "stray.txt").write_text("x")  # the user's files, beside nnqft's
    (tmp_path / "o" / "data" / "mine").mkdir()
    (tmp_path / "o" / "data" / "mine" / "notes.txt").write_text("y")
    run_experiment(cfg, text, tmp_path / "o", mode="force", quiet=True)
    assert (tmp_path / "o" / "stray.txt").read_text() == "x"  # --force removes only nnqft's
    assert (tmp_path / "o" / "data" / "mine" / "notes.txt").read_text() == "y"
    assert not (tmp_path / "o" / ".lock").exists()  # the lock file goes with the run
    assert res.status == "complete"
    assert_identical(load_arrays(out), load_arrays(tmp_path / "o"))


def test_force_never_overwrites_a_foreign_file(tmp_path):
    """--force into a user's directory keeps the user's files; a user's file with a name
    nnqft writes (report.md) is refused before anything is written."""
    cfg, text = _cfg()
    d = tmp_path / "mine"
    d.mkdir()
    (d / "thesis.tex").write_text("precious")
    (d / "report.md").write_text("my report")
    with pytest.raises(ValueError, match="report.md was not written by nnqft"):
        run_experiment(cfg, text, d, mode="force", quiet=True)
    assert sorted(p.name for p in d.iterdir()) == ["report.md", "thesis.tex"]
    (d / "report.md").unlink()
    assert run_experiment(cfg, text, d, mode="force", quiet=True).status == "complete"
    assert (d / "thesis.tex").read_text() == "precious"


def test_resume_with_a_different_config_is_refused(finished):
    _, out, _ = finished
    cfg, text = _cfg(seed=8)
    with pytest.raises(ValueError, match="configuration differs"):
        run_experiment(cfg, text, out, mode="resume", quiet=True)


def test_lock_prevents_a_second_run(tmp_path):
    cfg, text = _cfg()
    d = tmp_path / "o"
    d.mkdir()
    fd = os.open(d / ".lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        with pytest.raises(LockedError):
            run_experiment(cfg, text, d, mode="resume", quiet=True)
        p = write_config(tmp_path / "c.toml", small_config())
        r = run_cli("run", p, "--out", d, "--resume")
        assert r.returncode == 2 and "lock" in r.stderr and r.stderr.count("\n") == 1
    finally:
        os.close(fd)
    assert run_experiment(cfg, text, d, mode="resume", quiet=True).status == "complete"


def _partial_run(tmp_path):
    """A complete run whose outputs are then removed: a run with every checkpoint written."""
    cfg, text = _cfg(sampling={"exact": False}, analyses={})
    d = tmp_path / "o"
    run_experiment(cfg, text, d, quiet=True)
    prov = json.loads((d / "provenance.json").read_text())
    prov["status"] = "running"
    (d / "provenance.json").write_text(json.dumps(prov))
    chunks = sorted((d / "checkpoints").rglob("chunk-*.npz"))
    return cfg, text, d, chunks


def test_corrupted_checkpoint_is_refused(tmp_path):
    cfg, text, d, chunks = _partial_run(tmp_path)
    data = bytearray(chunks[3].read_bytes())
    data[len(data) // 2] ^= 0xFF
    chunks[3].write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=chunks[3].name):
        run_experiment(cfg, text, d, mode="resume", quiet=True)
    p = write_config(tmp_path / "c.toml", small_config(sampling={"exact": False}, analyses={}))
    r = run_cli("run", p, "--out", d, "--resume")
    assert r.returncode == 2 and chunks[3].name in r.stderr and r.stderr.count("\n") == 1


def test_truncated_checkpoint_is_refused(tmp_path):
    cfg, text, d, chunks = _partial_run(tmp_path)
    chunks[0].write_bytes(chunks[0].read_bytes()[:100])
    with pytest.raises(CheckpointError, match="corrupted"):
        run_experiment(cfg, text, d, mode="resume", quiet=True)


def test_foreign_checkpoint_is_refused(tmp_path):
    cfg, text, d, chunks = _partial_run(tmp_path)
    # a valid checkpoint of the other network (another plan) copied into this plan's directory
    other = [c for c in chunks if c.parent != chunks[0].parent][0]
    target = chunks[0].parent / other.name
    target.unlink()
    target.write_bytes(other.read_bytes())
    with pytest.raises(CheckpointError, match="foreign"):
        run_experiment(cfg, text, d, mode="resume", quiet=True)


def test_resume_after_lost_outputs_recomputes_identically(tmp_path):
    cfg, text, d, chunks = _partial_run(tmp_path)
    ref = load_arrays(d)
    for p in (d / "data").rglob("*.nc"):
        p.unlink()
    # half of the checkpoints lost: those blocks are recomputed from their own seeds
    for c in chunks[::2]:
        c.unlink()
    res = run_experiment(cfg, text, d, mode="resume", quiet=True)
    assert res.status == "complete"
    assert_identical(ref, load_arrays(d))
    prov = json.loads((d / "provenance.json").read_text())
    assert len(prov["sessions"]) == 2
    assert any(t["blocks_from_checkpoints"] > 0 for t in prov["tasks"])
