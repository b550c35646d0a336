"""``nnqft reproduce action --quick``: files, summary numbers, refusal of an existing directory."""

import json

import pytest

from nnqft.cli import main


@pytest.mark.slow
def test_reproduce_action_quick(tmp_path, capsys):
    out = tmp_path / "action"
    assert main(["reproduce", "action", "--quick", "--quiet", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    for stem in ("density", "reconstruction", "gamma_frg"):
        assert {f"{stem}.png", f"{stem}.pdf"} <= names
    s = json.loads((out / "summary.json").read_text())
    erf = next(r for r in s["reconstruction"]["slopes"] if r["net"] == "erf")
    assert erf["slope_1/N"] == pytest.approx(-2, abs=0.15)
    assert erf["slope_1/N^2"] == pytest.approx(-3, abs=0.15)
    assert all(r["max_abs_error"] < 1e-6 for r in s["frg"]["grid_flows"])
    with pytest.raises(SystemExit) as e:
        main(["reproduce", "action", "--quick", "--quiet", "--out", str(out)])
    assert e.value.code == 2
