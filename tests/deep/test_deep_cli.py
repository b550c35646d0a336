"""CLI: nnqft correlators --method exact|one-over-n|monte-carlo for deep networks."""

import json

import numpy as np
import pytest

import nnqft as nq
from cli_helpers import run_cli
from nnqft.deep import exact_relu_correlators


def test_one_over_n_json(capsys):
    status, out, err = run_cli(capsys, "correlators", "--net", "tanh", "--depth", "3", "--width",
                               "50", "--sigma-b", "0.2", "--inputs", "[0.5, 0.9]", "--order", "4",
                               "--method", "one-over-n", "--json")
    assert status == 0, err
    obj = json.loads(out)
    net = nq.Network("tanh", width=50, depth=3, sigma_b=0.2)
    c = nq.perturbative_correlators(net, [[0.5], [0.9]], orders=(4,))
    assert obj["method"] == "one_over_n" and obj["exact"] is False
    np.testing.assert_allclose(obj["connected"], c.connected(4), rtol=1e-14)
    assert obj["connected_err"] is None and obj["n_networks"] is None
    for key in ("tuples", "full", "gp", "full_err"):
        assert key in obj


def test_exact_deep_relu_order_8(capsys):
    status, out, err = run_cli(capsys, "correlators", "--net", "relu", "--depth", "4", "--width",
                               "5", "--inputs", "[0.5, 1.0]", "--order", "8", "--method",
                               "exact", "--json")
    assert status == 0, err
    obj = json.loads(out)
    net = nq.Network("relu", width=5, depth=4, sigma_b=0.0)
    c = exact_relu_correlators(net, [[0.5], [1.0]], orders=(8,))
    np.testing.assert_allclose(obj["full"], c.full(8), rtol=1e-14)
    assert obj["exact"] is True and obj["method"] == "exact"


def test_networks_implies_monte_carlo(capsys):
    status, out, _ = run_cli(capsys, "correlators", "--net", "erf", "--depth", "2", "--inputs",
                             "[0.5]", "--networks", "128", "--json", "--quiet")
    assert status == 0
    assert json.loads(out)["method"] == "monte_carlo"


@pytest.mark.parametrize("args,needle", [
    (["--net", "tanh", "--depth", "3", "--method", "exact"], "deep relu with sigma_b = 0"),
    (["--net", "relu", "--depth", "3", "--sigma-b", "0.5", "--method", "exact"], "sigma_b = 0"),
    (["--net", "gauss", "--method", "one-over-n"], "erf, relu and tanh"),
    (["--net", "erf", "--depth", "2", "--method", "one-over-n", "--order", "6"], "orders 2 and 4"),
    (["--net", "erf", "--method", "one-over-n", "--networks", "100"], "cannot be combined"),
    (["--net", "erf", "--method", "monte-carlo"], "needs --networks"),
    (["--net", "erf", "--method", "one-over-n", "--backend", "numpy"], "monte carlo"),
])
def test_unsupported_combinations_exit_2(capsys, args, needle):
    status, out, err = run_cli(capsys, "correlators", "--inputs", "[0.5]", *args)
    assert status == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle.lower() in lines[0].lower(), err


def test_couplings_one_over_n_and_deep_exact(capsys):
    args = ["couplings", "--net", "relu", "--depth", "3", "--width", "20", "--inputs",
            "[0.2, 0.6, 1.0]", "--cutoff", "100", "--json"]
    status, out, err = run_cli(capsys, *args, "--method", "one-over-n")
    assert status == 0, err
    lo = json.loads(out)
    net = nq.Network("relu", width=20, depth=3, sigma_b=0.0)
    ref = nq.eft.couplings(nq.perturbative_correlators(net, [[0.2], [0.6], [1.0]]), net, 100.0)
    np.testing.assert_allclose(lo["lambda"], ref.lam, rtol=1e-13)
    assert lo["method"] == "one_over_n"
    status, out, err = run_cli(capsys, *args, "--method", "exact")
    assert status == 0, err
    ex = json.loads(out)
    # exact (1 + 5/N)^L - 1 against its leading term 5 L / N, tuple by tuple (same I_4)
    ratio = np.array(ex["lambda"]) / np.array(lo["lambda"])
    np.testing.assert_allclose(ratio, ((1 + 5 / 20) ** 3 - 1) / (15 / 20), rtol=1e-10)


def test_couplings_one_over_n_refuses_sextic(capsys):
    status, out, err = run_cli(capsys, "couplings", "--net", "erf", "--depth", "2", "--inputs",
                               "[0.2]", "--cutoff", "10", "--method", "one-over-n", "--sextic")
    assert status == 2 and out == "" and "sextic" in err
