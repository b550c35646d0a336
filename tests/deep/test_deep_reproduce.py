"""``nnqft reproduce pdlt``: conventions (refuse an existing directory) and the quick run."""

import json
import math

import pytest

from cli_helpers import run_cli
from nnqft.cli import main


def test_refuses_existing_directory(tmp_path, capsys):
    out = tmp_path / "pdlt"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    status, _, err = run_cli(capsys, "reproduce", "pdlt", "--quick", "--out", str(out))
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert (out / "keep.txt").read_text() == "x"


@pytest.mark.slow
def test_quick_reproduction(tmp_path):
    out = tmp_path / "pdlt"
    assert main(["reproduce", "pdlt", "--quick", "--quiet", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    for name in ("vertex_vs_depth", "relu_kurtosis"):
        assert (out / f"{name}.png").exists() and (out / f"{name}.pdf").exists()
    assert summary["vertex"]["relu_critical_increment"] == pytest.approx(5.0, rel=1e-12)
    assert all(abs(r["z"]) < 5 for r in summary["kurtosis"])
    assert all(r["max_abs_z_G4c"] < 5 for r in summary["table"])
    # the theory truncation error sigma_th (docs/deep.md section 6.1) and the validation's
    # criteria: present and finite for every case; sigma_th > 0 (relu's exceeds 1 % at L = 2)
    for r in summary["table"]:
        for key in ("max_abs_z_G4c_with_th", "max_x_G4c", "sigma_th_rel_G4c"):
            assert math.isfinite(r[key]), (key, r)
        assert r["max_abs_z_G4c_with_th"] < 5 and r["max_x_G4c"] < 5
        assert r["max_abs_z_G4c_with_th"] <= r["max_abs_z_G4c"] + 1e-12
        assert 0 < r["sigma_th_rel_G4c"] < 1
    assert min(r["sigma_th_rel_G4c"] for r in summary["table"] if r["activation"] == "relu") > 0.01
    v = summary["vertex"]
    n_mc = len(summary["config"]["vertex_depths"])
    for key in ("mc_z_with_th", "mc_x", "sigma_th_rel"):
        assert set(v[key]) == set(v["mc_z"])
        assert all(len(vals) == n_mc and all(math.isfinite(x) for x in vals)
                   for vals in v[key].values())
    # depth 1 has no next order (G4_c = V/N, G2 = K exactly); relu at criticality at L = 4,
    # N = 50: rho / (1 - rho) with rho = 5 (L - 1) / (2N) = 0.15 (docs/deep.md section 6.1)
    relu_crit = next(k for k in v["sigma_th_rel"] if k.startswith("relu critical"))
    assert v["sigma_th_rel"][relu_crit][0] == 0.0
    assert v["sigma_th_rel"][relu_crit][-1] == pytest.approx(0.15 / 0.85, rel=1e-9)
    assert "not a fit" in summary["sigma_th"] and "sigma_th" in (out / "summary.md").read_text()
