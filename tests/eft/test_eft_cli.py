"""``nnqft couplings`` and ``nnqft reproduce hms``: JSON contract and the error contract."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cli_helpers import run_cli
from nnqft.cli import main


def test_couplings_json_exact_relu(capsys):
    rc, out, _ = run_cli(capsys, "couplings", "--net", "relu", "--width", "20", "--sigma-b", "0",
                         "--inputs", "[0.2, 0.4, 0.6]", "--cutoff", "100", "--exact", "--json")
    assert rc == 0
    obj = json.loads(out)  # exactly one JSON object on stdout
    assert obj["convention"] == "S = ... + lambda/4! phi^4"
    assert obj["cutoff"] == 100.0 and obj["exact"] is True and obj["lambda_err"] is None
    assert len(obj["tuples"]) == len(obj["lambda"]) == len(obj["I4"]) == 15
    assert obj["lambda_mean"] * 20 * 100**5 == pytest.approx(-300, rel=1e-10)


def test_couplings_json_gauss_default_inf_and_mc(capsys):
    rc, out, _ = run_cli(capsys, "couplings", "--net", "gauss", "--width", "10", "--sigma-b", "0.3",
                         "--inputs", "[0.01, 0.02]", "--networks", "2000", "--quiet", "--json")
    assert rc == 0
    obj = json.loads(out)
    assert obj["cutoff"] is None and obj["exact"] is False
    assert len(obj["lambda_err"]) == 5 and obj["lambda_mean_err"] > 0


@pytest.mark.parametrize("args", [
    ["--net", "relu", "--inputs", "[0.2]", "--exact"],                      # no cutoff
    ["--net", "erf", "--inputs", "[0.2]", "--cutoff", "inf", "--exact"],     # inf for erf
    ["--net", "erf", "--inputs", "[0.2]", "--cutoff", "0", "--exact"],
    ["--net", "erf", "--inputs", "[0.2]", "--cutoff", "-3", "--exact"],
    ["--net", "erf", "--inputs", "[0.2]", "--cutoff", "3"],                  # no source
    ["--net", "erf", "--inputs", "[0.2, NaN]", "--cutoff", "3", "--exact"],
    ["--net", "relu", "--inputs", "[[1, 1, 1, 1]]", "--cutoff", "3", "--exact"],  # d > 3
])
def test_couplings_bad_input_exit_2(args, capsys):
    rc = None
    with pytest.raises(SystemExit) as exc:
        rc = main(["couplings", *args])
    assert rc is None and exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("nnqft: error:") and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_reproduce_hms_quick(tmp_path):
    """The quick reproduction end to end (about a minute): files and headline numbers."""
    r = subprocess.run([sys.executable, "-m", "nnqft.cli", "reproduce", "hms", "--quick",
                        "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    s = json.loads((tmp_path / "summary.json").read_text())
    for stem in ("deviation_vs_width", "connected6_vs_width", "relu_lambda_vs_cutoff",
                 "six_point_vs_cutoff"):
        assert (tmp_path / f"{stem}.png").stat().st_size > 0
        assert (tmp_path / f"{stem}.pdf").stat().st_size > 0
        assert (tmp_path / f"{stem}.nc").stat().st_size > 0
    assert (tmp_path / "locality.nc").stat().st_size > 0  # the table is in summary.md, not a PNG
    assert not (tmp_path / "locality.png").exists()
    mc_slope = s["monte_carlo"]["relu_slope_d1"]
    assert mc_slope["exact_by_construction"] and mc_slope["err"] is None
    assert "by construction" in (tmp_path / "summary.md").read_text()
    assert (tmp_path / "summary.md").exists()
    assert "<table>" in (tmp_path / "summary.html").read_text()
    ex = s["exact"]
    assert ex["relu_lambda_N_Lambda5"] == pytest.approx(-300, rel=1e-9)
    assert ex["relu_slope_d3"] == pytest.approx(-7, abs=1e-6)
    assert ex["relu_six_point_hms_ratio"] == pytest.approx(0.9409, abs=5e-5)
    assert not list(tmp_path.glob("*.tmp"))
