"""Exact vector correlators carry the one-output engine's labels (issue 12 item 2): method,
rule, estimated absolute and relative error per order, and ``exact`` true only at an
estimated relative error <= 1e-10 (EXACT_TOLERANCE).

The point moments of n outputs are the single-neuron moments times output-law factors, so the
relative accuracy of every order must equal the one-output engine's; the estimate is checked
against independent truth (a much finer quadrature rule) where the rule is inexact.
"""

import json

import numpy as np
import pytest

import nnqft as nq
from nnqft.cli import main
from nnqft.exact import EXACT_TOLERANCE
from nnqft.moments import single_neuron_moment_table
from nnqft.vector import exact_vector_correlators, vector_brackets

HMS_ERF = list(0.002 * np.arange(1, 5))  # [HMS] erf inputs (first four)
X_RANK4 = np.array([[0.3, 0.1, -0.2], [0.5, -0.4, 0.2], [-0.1, 0.6, 0.3], [0.4, 0.4, 0.4]])
KEYS = ("method", "rule", "abs_error_estimate", "full_abs_error_estimate", "accuracy")


def test_erf_on_hms_inputs_is_not_labelled_exact():
    """erf, [HMS] inputs, order 6, two outputs: polar quadrature at ~2e-9 relative for G6_c,
    so not exact (it was labelled exact before); the labels equal the one-output ones."""
    net = nq.Network("erf", width=5, outputs=2)
    c = nq.exact_correlators(net, HMS_ERF, orders=(6,))
    one = nq.exact_correlators(net.replace(d_out=1), HMS_ERF, orders=(6,))
    assert all(k in c.meta for k in KEYS)
    assert c.exact is False and c.meta["method"] == "quadrature"
    assert c.meta["accuracy"][6] > EXACT_TOLERANCE
    assert c.meta["rule"] == one.meta["rule"] and one.exact is False
    for n in (2, 4, 6):
        assert c.meta["accuracy"][n] == pytest.approx(one.meta["accuracy"][n], rel=1e-9)


@pytest.mark.parametrize("net,X", [
    (nq.Network("gauss", width=10, sigma_b=0.5, outputs=3), [[-0.3], [0.2], [0.7]]),
    (nq.Network("relu", width=10, sigma_b=0.3, outputs=2), [[-0.5], [0.2], [0.7]]),  # rank 2
], ids=["gauss-closed", "relu-rank2"])
def test_exact_vector_results_are_exact(net, X):
    c = exact_vector_correlators(net, X, orders=(6,))
    assert c.exact is True
    assert max(c.meta["accuracy"].values()) <= EXACT_TOLERANCE
    assert c.meta["method"] == ("closed form" if net.activation == "gauss" else "quadrature")


def test_rank4_relu_vector_estimate_covers_the_true_error():
    """relu, d = 3 with a bias, 2 outputs (rank-4 tensor Gauss-Hermite, ~1e-3): not exact; the
    estimated error of G4_c bounds its difference from a 32-node-per-axis rule."""
    net = nq.Network("relu", d_in=3, width=10, sigma_b=0.5, outputs=2)
    c = exact_vector_correlators(net, X_RANK4, orders=(4,))
    assert c.exact is False and "rank 4" in c.meta["rule"]
    err = c.meta["abs_error_estimate"]
    fine = single_neuron_moment_table(net, X_RANK4, (2, 4), method="quadrature", nodes=32)
    B = vector_brackets(net, X_RANK4, (4,), moments=fine)
    truth = net.sigma_w**4 / net.width * B[4]
    diff = np.max(np.abs(c.connected(4) - truth))
    assert 1e-8 < diff <= err[4]  # really inexact, and covered
    assert c.meta["accuracy"][4] < 1e-2  # informative


def test_brackets_without_accuracy_are_not_exact():
    net = nq.Network("gauss", width=10, outputs=2)
    X = [[0.1], [0.4]]
    mom = single_neuron_moment_table(net, X, (2, 4))
    c = exact_vector_correlators(net, X, (4,), brackets=vector_brackets(net, X, (4,), moments=mom))
    assert c.exact is False and c.meta["method"].startswith("unknown")


def test_cli_vector_exact_reports_method_and_accuracy(capsys):
    """`nnqft correlators --outputs 3 --exact --json` labels as the one-output path does."""
    out = {}
    for n in ("3", "1"):
        assert main(["correlators", "--net", "erf", "--width", "5", "--outputs", n,
                     "--inputs", json.dumps(HMS_ERF), "--order", "6", "--exact",
                     "--json"]) == 0
        out[n] = json.loads(capsys.readouterr().out)
    v, s = out["3"], out["1"]
    assert v["exact"] is False and v["exact_method"] == "quadrature" and v["outputs"] == 3
    assert v["accuracy"].keys() == s["accuracy"].keys() == {"2", "4", "6"}
    assert v["accuracy"]["6"] == pytest.approx(s["accuracy"]["6"], rel=1e-9)
    assert v["accuracy"]["6"] > EXACT_TOLERANCE
