"""``nnqft action``: JSON contract, xarray round trip, one-line errors with exit status 2."""

import json

import numpy as np
import pytest

import nnqft as nq
from nnqft.action.exact import ActionResult, exact_action
from nnqft.cli import main


def test_action_json_contract(capsys):
    rc = main(["action", "--net", "erf", "--width", "3", "--sigma-w", "1.5", "--sigma-b", "0.5",
               "--inputs", "[0.7]", "--phi", "[0.25, 0.5, 1.0]", "--json"])
    assert rc == 0
    obj = json.loads(capsys.readouterr().out)
    assert set(obj) >= {"phi", "S", "Gamma", "G2", "G4c", "accuracy"}
    assert obj["phi"] == [0.25, 0.5, 1.0]
    c = nq.exact_correlators(nq.Network("erf", width=3, sigma_w=1.5, sigma_b=0.5), [[0.7]],
                             orders=(2, 4))
    assert obj["G2"] == pytest.approx(c.connected(2)[0], rel=1e-12)
    assert obj["G4c"] == pytest.approx(c.connected(4)[0], rel=1e-12)
    assert obj["accuracy"] < 1e-8
    assert np.all(np.diff(obj["S"]) > 0) and np.all(np.diff(obj["Gamma"]) > 0)


def test_gauss_gamma_null_with_note(capsys):
    rc = main(["action", "--net", "gauss", "--width", "3", "--sigma-b", "0.3", "--inputs",
               "[0.7]", "--phi", "[0.5]", "--json"])
    assert rc == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["Gamma"] is None and "infinite for every real J" in obj["gamma_note"]


@pytest.mark.parametrize("args, msg", [
    (["--depth", "2"], "one hidden layer"),
    (["--weight-law", "uniform"], "normal last layer"),
    (["--sigma-b", "0", "--width", "1"], "singular"),
    (["--inputs", "[0.1, 0.2, 0.3]"], "1 or 2 inputs"),
    (["--phi", "[[0.1, 0.2]]"], "list of numbers"),
])
def test_bad_input_exit_2(capsys, args, msg):
    base = {"--net": "erf", "--width": "3", "--inputs": "[0.7]", "--phi": "[0.0, 0.5]"}
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    argv = ["action"] + [x for kv in base.items() for x in kv] + ["--json"]
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert msg in err and len(err.strip().splitlines()) == 1


def test_unresolvable_phi_is_refused():
    # rotated contour (sigma_b = 0): far tails are lost to cancellation (S error 1e-4 at
    # phi = 10, nothing left at 15) -> refused, not printed
    net = nq.Network("erf", width=2, sigma_w=1.5, sigma_b=0.0)
    assert exact_action(net, [0.7], [10.0], check_accuracy=False).S_err[0] < 1e-3
    with pytest.raises(ValueError, match="resolvable"):
        exact_action(net, [0.7], [15.0], check_accuracy=False)


def test_result_round_trips_to_xarray():
    net = nq.Network("cos", width=2, sigma_w=1.5, sigma_b=0.5)
    r = exact_action(net, [0.7], [0.1, 0.4])
    r2 = ActionResult.from_dataset(r.to_dataset())
    assert np.array_equal(r2.S, r.S) and np.array_equal(r2.Gamma, r.Gamma)
    assert r2.network == r.network and r2.meta == r.meta
