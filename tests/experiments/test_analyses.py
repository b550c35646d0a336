"""Couplings/running and bridge analyses, and ``nnqft reproduce all`` (with stand-in parts)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from cli_helpers import run_cli_redirected
from nnqft.experiments.config import parse_config
from nnqft.experiments.runner import run_experiment

from .helpers import REPO, small_config, to_toml


def _run(data, out):
    return run_experiment(parse_config(data), to_toml(data), out, quiet=True)


def test_couplings_running_relu_slope(tmp_path):
    data = small_config(inputs=[0.2, 0.6, 1.0], networks={"activation": "relu", "width": 20},
                        sampling={"orders": [2, 4], "n_networks": 2000},
                        analyses={"couplings": {"cutoffs": [10.0, 100.0, 1000.0]}})
    _run(data, tmp_path / "o")
    with xr.open_dataset(tmp_path / "o" / "data" / "couplings.nc", engine="h5netcdf") as ds:
        lam = ds["lambda_mean"].sel(source="exact").values[0]
        slope = np.diff(np.log(np.abs(lam))) / np.diff(np.log(ds["cutoff"].values))
        assert slope == pytest.approx([-5.0, -5.0], abs=1e-6)  # docs/theory.md#running, d = 1
        assert np.all(np.isfinite(ds["lambda_mean_err"].sel(source="mc").values))
        assert "convention" in ds["lambda_mean"].attrs
    assert (tmp_path / "o" / "figures" / "couplings.png").exists()


def test_bridge_analysis(tmp_path):
    data = small_config(inputs=[-0.01, 0.0, 0.01],
                        networks={"activation": "gauss", "width": 100, "sigma_b": 0.3},
                        sampling={"n_networks": 2000}, analyses={"bridge": {}})
    _run(data, tmp_path / "o")
    with xr.open_dataset(tmp_path / "o" / "data" / "bridge.nc", engine="h5netcdf") as ds:
        assert ds["mu2"].values[0, 0] == pytest.approx(2.0)  # 2 sigma_w^2 / d
        u4e, u4m = ds["u4"].sel(source="exact").item(), ds["u4"].sel(source="mc").item()
        assert abs(u4m - u4e) < 5 * ds["u4_err"].sel(source="mc").item()


def test_bridge_needs_translation_invariant_networks():
    with pytest.raises(ValueError, match="gauss or cos"):
        parse_config(small_config(analyses={"bridge": {}}))


def test_reproduce_all_reports_missing_parts(tmp_path, monkeypatch):
    import nnqft.cli.run as cli_run

    def small_free_theory(out, quick, quiet, mode):
        data = small_config(sampling={"n_networks": 2000})
        res = run_experiment(parse_config(data), to_toml(data), out, mode=mode, quiet=True)
        return {"report": str(res.report)}

    def fake_hms(out_dir, quick=True, progress=True):
        from nnqft.io import atomic_write_text

        atomic_write_text(out_dir / "summary.md", "# HMS\n")  # nnqft writers go through io
        return {"ok": True, "value": np.float64(1.5)}

    import types
    fake = types.ModuleType("fake_hms_module")
    fake.reproduce_hms = fake_hms
    monkeypatch.setitem(__import__("sys").modules, "fake_hms_module", fake)
    monkeypatch.setattr(cli_run, "_free_theory", small_free_theory)
    monkeypatch.setattr(cli_run, "_PARTS", (
        ("free_theory", "Free theory", None),
        ("hms", "[HMS] reproduction", ("fake_hms_module", "reproduce_hms")),
        ("els", "[ELS] reproduction", ("nnqft.no_such_module", "reproduce_els")),
    ))
    out = tmp_path / "results"
    code, stdout, stderr = run_cli_redirected(["reproduce", "all", "--quick", "--out", str(out),
                                               "--quiet"])
    assert code == 1
    assert stdout.strip().splitlines()[-1] == str(out / "report.md")
    assert "reproduce_els is not available" in stderr
    status = json.loads((out / "status.json").read_text())["parts"]
    assert status["free_theory"]["status"] == "complete"
    assert status["hms"]["status"] == "complete" and status["hms"]["result"]["value"] == 1.5
    assert status["els"]["status"] == "missing"
    md = (out / "report.md").read_text()
    assert "[summary.md](hms/summary.md)" in md and "free_theory/report.md" in md
    # existing directory: refused without --resume/--force; --resume skips completed parts
    code, _, stderr = run_cli_redirected(["reproduce", "all", "--out", str(out), "--quiet"])
    assert code == 2 and "--resume" in stderr
    code, stdout, _ = run_cli_redirected(["reproduce", "all", "--out", str(out), "--quiet",
                                          "--resume"])
    assert code == 1 and stdout.strip().splitlines()[-1] == str(out / "report.md")


def test_quickstart_example_is_small():
    cfg = parse_config(__import__("tomllib").loads((REPO / "examples" / "quickstart.toml")
                                                   .read_text()))
    assert len(cfg.networks_list()) * cfg.sampling.n_networks <= 200_000
