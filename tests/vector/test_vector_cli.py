"""CLI contract of the multi-output options (docs/vector.md): ``--outputs``, ``--entry``."""

import json

import numpy as np
import pytest

import nnqft as nq
from cli_helpers import run_cli

BASE = ("correlators", "--net", "erf", "--width", "7", "--sigma-w", "1.3", "--sigma-b", "0.4",
        "--inputs", "[0.3, 0.8]")


def test_issue_interface_check(capsys):
    status, out, err = run_cli(capsys, *BASE, "--outputs", "3", "--order", "4", "--exact",
                               "--json")
    assert status == 0
    obj = json.loads(out)
    for key in ("order", "tuples", "full", "connected", "gp", "full_err", "connected_err",
                "n_networks", "exact"):
        assert key in obj
    T = np.array(obj["tuples"])
    assert T.shape == (126, 4, 2)  # C(6 + 3, 4) sorted tuples of 6 (input, output) points
    codes = T[..., 0] * 3 + T[..., 1]
    assert np.all(np.diff(codes, axis=1) >= 0)  # each tuple sorted
    net = nq.Network("erf", width=7, sigma_w=1.3, sigma_b=0.4, outputs=3)
    c = nq.exact_correlators(net, [0.3, 0.8], orders=(4,))
    assert np.array_equal(np.array(obj["connected"]), c.connected(4))
    assert np.array_equal(T, c.tuples(4))


def test_without_outputs_unchanged(capsys):
    status, out, _ = run_cli(capsys, *BASE, "--order", "4", "--exact", "--json")
    obj = json.loads(out)
    assert status == 0 and "outputs" not in obj
    assert obj["tuples"][1] == [0, 0, 0, 1]
    c = nq.exact_correlators(nq.Network("erf", width=7, sigma_w=1.3, sigma_b=0.4), [0.3, 0.8],
                             orders=(4,))
    assert obj["connected"] == c.connected(4).tolist()


def test_entry(capsys):
    status, out, _ = run_cli(capsys, *BASE, "--outputs", "2", "--exact", "--json", "--entry",
                             "[[1, 1], [0, 0], [0, 1], [1, 0]]")
    assert status == 0
    obj = json.loads(out)
    assert obj["order"] == 4 and obj["tuples"] == [[[0, 0], [0, 1], [1, 0], [1, 1]]]
    net = nq.Network("erf", width=7, sigma_w=1.3, sigma_b=0.4, outputs=2)
    c = nq.exact_correlators(net, [0.3, 0.8], orders=(4,))
    assert obj["connected"] == [c.value("connected", [[0, 0], [0, 1], [1, 0], [1, 1]])]


@pytest.mark.parametrize("extra, match", [
    (("--outputs", "0"), "--outputs must be a positive integer"),
    (("--outputs", "-2"), "--outputs must be a positive integer"),
    (("--outputs", "2", "--entry", "[[0, 0], [1, 2]]"), "output index out of range"),
    (("--outputs", "2", "--entry", "[[0, 0], [5, 1]]"), "input index out of range"),
    (("--outputs", "2", "--entry", "[[0, 0]]"), "even number"),
    (("--entry", "[[0, 0], [1, 1]]"), "--entry needs --outputs"),
])
def test_bad_input_exits_2_with_one_line(capsys, extra, match):
    status, out, err = run_cli(capsys, *BASE, "--exact", *extra)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and match in err


def test_couplings_outputs(capsys):
    args = ("couplings", "--net", "gauss", "--width", "5", "--sigma-b", "0.5", "--inputs",
            "[-0.5, 0.1, 0.7]", "--exact", "--sextic", "--json")
    status, out, _ = run_cli(capsys, *args, "--outputs", "3")
    assert status == 0
    obj = json.loads(out)
    assert obj["outputs"] == 3 and "(f.f)^2" in obj["convention"]
    assert np.array(obj["lambda_pairings"]).shape == (15, 3)
    status, out1, _ = run_cli(capsys, *args)
    ref = json.loads(out1)
    assert "outputs" not in ref
    # normal law: the O(n) coupling per tuple (pairing mean) is the one-output coupling
    np.testing.assert_allclose(obj["lambda"], ref["lambda"], rtol=1e-12)
    np.testing.assert_allclose(obj["kappa"], ref["kappa"], rtol=1e-10)
    status, out2, _ = run_cli(capsys, *args, "--outputs", "1")
    one = json.loads(out2)
    assert one["lambda"] == ref["lambda"] and one["kappa"] == ref["kappa"]


def test_couplings_outputs_bad(capsys):
    args = ("couplings", "--net", "erf", "--width", "3", "--inputs", "[-0.4, 0.3]", "--cutoff",
            "3", "--exact", "--sextic")
    status, out, err = run_cli(capsys, *args, "--outputs", "2")
    assert status == 2 and out == "" and "at least 3 outputs" in err
    status, out, err = run_cli(capsys, *args, "--outputs", "0")
    assert status == 2 and len(err.strip().splitlines()) == 1


def test_bridge_outputs(capsys):
    args = ("bridge", "--net", "gauss", "--width", "100", "--exact", "--json", "--inputs",
            "[0.01, 0.02]")
    status, out, _ = run_cli(capsys, *args, "--outputs", "3")
    assert status == 0
    obj = json.loads(out)
    assert obj["outputs"] == 3 and obj["modes"]["goldstone"] == 2 and "(f.f)^2" in obj[
        "convention"]
    status, out1, _ = run_cli(capsys, *args)
    ref = json.loads(out1)
    assert "outputs" not in ref and "modes" not in ref
    assert obj["u4"] == pytest.approx(ref["u4"], rel=1e-12)
    for extra, match in ((("--outputs", "0"), "positive integer"),
                         (("--outputs", "2", "--flow", "els"), "one-output"),
                         (("--outputs", "2", "--order", "8"), "order must be 4 or 6")):
        status, out, err = run_cli(capsys, *args, *extra)
        assert status == 2 and out == "" and match in err


def test_one_over_n_with_outputs(capsys):
    args = ("correlators", "--net", "tanh", "--depth", "3", "--width", "20", "--sigma-b", "0.3",
            "--inputs", "[0.3, 0.7]", "--method", "one-over-n", "--json")
    status, out, _ = run_cli(capsys, *args, "--outputs", "2")
    assert status == 0
    obj = json.loads(out)
    assert obj["method"] == "one_over_n" and np.array(obj["tuples"]).shape == (35, 4, 2)
    from nnqft.vector import perturbative_vector_correlators

    th = perturbative_vector_correlators(
        nq.Network("tanh", depth=3, width=20, sigma_b=0.3, outputs=2), [0.3, 0.7])
    assert obj["connected"] == th.connected(4).tolist()


def test_too_many_point_tuples_refused_before_sampling(capsys):
    status, out, err = run_cli(capsys, "correlators", "--net", "erf", "--width", "5",
                               "--outputs", "10", "--inputs", "[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]",
                               "--order", "6", "--networks", "1000")
    assert status == 2 and out == "" and "sorted tuples" in err
    assert len(err.strip().splitlines()) == 1
