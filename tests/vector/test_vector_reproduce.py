"""``nnqft reproduce vector --quick`` end to end (slow: about a minute)."""

import json

import pytest

from nnqft.cli import main


@pytest.mark.slow
def test_reproduce_vector_quick(tmp_path, capsys):
    out = tmp_path / "vector"
    assert main(["reproduce", "vector", "--quick", "--quiet", "--out", str(out)]) == 0
    s = json.loads((out / "summary.json").read_text())
    for name in ("on_coupling_vs_width", "pairing_amplitudes", "on_flows", "mc_vs_exact"):
        for ext in ("png", "pdf", "nc"):
            assert (out / f"{name}.{ext}").exists()
    assert (out / "summary.md").exists() and (out / "summary.html").exists()
    assert s["couplings"]["max_abs_z"] < 4.5
    assert s["amplitudes"]["max_abs_z"] < 4.5 and s["amplitudes"]["uniform_A0_max_abs_z"] < 4.5
    for r in s["mc_vs_exact"]:
        assert r["max_abs_z"] < 4.5
        assert r["control_no_deltas_max_abs_z"] > 10 and r["control_diagonal_only_max_abs_z"] > 10
    ks = [s["flows"]["k_star"][f"n={n}"] for n in (1, 2, 3, 4, 10)]
    assert all(k is not None for k in ks) and ks == sorted(ks, reverse=True)
    d = s["flows"]["large_n"]["u4_max_rel_diff_to_infinite_n"]
    assert d == sorted(d, reverse=True)
    # an existing directory is refused without --force (exit 2, nothing overwritten)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "vector", "--quick", "--quiet", "--out", str(out)])
    assert exc.value.code == 2 and "already exists" in capsys.readouterr().err
