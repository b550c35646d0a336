"""``nnqft frg exponents`` and ``nnqft frg flow``: JSON contract, files, errors."""

import json

import pytest

from nnqft.cli import main


def test_exponents_json_contract(capsys):
    rc = main(["frg", "exponents", "--dim", "3", "--components", "1", "--regulator", "litim",
               "--method", "polynomial", "--order", "8", "--json"])
    assert rc == 0
    out = capsys.readouterr().out
    obj = json.loads(out)  # exactly one JSON object on stdout
    assert set(obj) >= {"nu", "omega", "eigenvalues", "fixed_point"}
    assert set(obj["fixed_point"]) >= {"kappa", "lambda"}
    # order 8 is within 1e-4 of the published nu (see test_fixed_point)
    assert obj["nu"] == pytest.approx(0.649561773880, abs=1e-4)
    assert obj["eigenvalues"] == sorted(obj["eigenvalues"])


def test_exponents_bad_regulator_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["frg", "exponents", "--regulator", "sharp", "--json"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "unknown regulator" in err and len(err.strip().splitlines()) == 1


def test_flow_writes_files_and_refuses_overwrite(tmp_path, capsys):
    stem = tmp_path / "els"
    args = ["frg", "flow", "--initial", "[2, -0.0736, 50]", "--k-start", "1e-10",
            "--k-end", "100", "--out", str(stem), "--json"]
    assert main(args) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["status"] == "completed"
    assert obj["final"]["u4"] == pytest.approx(-4.484, rel=1e-3)  # docs/theory.md#the-published-flow
    assert (tmp_path / "els.nc").exists() and (tmp_path / "els.png").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2
    assert "--force" in capsys.readouterr().err
    assert main(args + ["--force"]) == 0


def test_flow_upward_grid_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["frg", "flow", "--method", "grid", "--dim", "3", "--initial", "[0.3, 2]",
              "--k-start", "0.1", "--k-end", "1", "--out", str(tmp_path / "g")])
    assert e.value.code == 2
    assert "UV down only" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
