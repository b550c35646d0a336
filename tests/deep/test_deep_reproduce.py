"""``nnqft reproduce pdlt``: conventions (refuse an existing directory) and the quick run."""

import json

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
