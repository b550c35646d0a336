"""Exact engine results carry their method and an estimated accuracy; "exact" means exact.

A result is labelled exact only when its estimated error, relative to the largest |value| of
each order, is at most 1e-10 (EXACT_TOLERANCE). Estimates are checked against independent
truth: the closed-form GP kernels (arc-cosine for relu, arc-sine for erf) equal G2 at every
width, and a much finer quadrature rule for G4_c.
"""

import json

import numpy as np
import pytest

import nnqft as nq
from cli_helpers import run_cli
from nnqft.combinatorics import sorted_tuples
from nnqft.exact import EXACT_TOLERANCE, connected_brackets
from nnqft.moments import MAX_RULE_NODES, single_neuron_moment_table

X_RANK4 = np.array([[0.3, 0.1, -0.2], [0.5, -0.4, 0.2], [-0.1, 0.6, 0.3], [0.4, 0.4, 0.4]])


def _kernel_error(c):
    T = sorted_tuples(c.n_inputs, 2)
    return np.max(np.abs(c.full(2) - c.kernel[T[:, 0], T[:, 1]]))


def test_rank4_relu_is_labelled_quadrature_with_an_honest_accuracy():
    """relu, d = 3 with a bias, 4 inputs: rank 4, tensor Gauss-Hermite on a kinked integrand
    (~1e-3 relative). Labelled quadrature, exact false; the estimated error bounds the true one
    (G2 against the arc-cosine kernel; G4_c against a 32-node-per-axis rule) and is informative
    (below 1e-2)."""
    net = nq.Network("relu", d_in=3, width=10, sigma_b=0.5)
    c = nq.exact_correlators(net, X_RANK4, orders=(4,))
    assert c.exact is False and c.meta["method"] == "quadrature"
    assert "rank 4" in c.meta["rule"]
    acc, err = c.meta["accuracy"], c.meta["abs_error_estimate"]
    assert all(1e-6 < acc[n] < 1e-2 for n in (2, 4)), acc
    true2 = _kernel_error(c)
    assert 1e-6 < true2 <= err[2]  # really inexact, and the estimate covers it
    fine = single_neuron_moment_table(net, X_RANK4, (2, 4), method="quadrature", nodes=32)
    B = connected_brackets(net, X_RANK4, (4,), moments=fine)
    g4_fine = net.sigma_w**4 / net.width * B[4]
    assert np.max(np.abs(c.connected(4) - g4_fine)) <= err[4]


@pytest.mark.parametrize("net,X", [
    (nq.Network("gauss", width=10, sigma_b=0.5), [[-0.3], [0.2], [0.7]]),
    (nq.Network("cos", width=10, sigma_b=0.5), [[-1.0], [0.5], [1.5]]),
    (nq.Network("relu", width=10, sigma_b=0.3), [[-0.5], [0.2], [0.7], [1.2]]),  # rank 2
    (nq.Network("relu", d_in=3, width=10), X_RANK4[:3]),  # rank 3, no bias
], ids=["gauss-closed", "cos-closed", "relu-rank2", "relu-rank3"])
def test_exact_results_are_exact(net, X):
    c = nq.exact_correlators(net, X, orders=(6,))
    assert c.exact is True
    assert max(c.meta["accuracy"].values()) <= EXACT_TOLERANCE
    assert _kernel_error(c) <= c.meta["abs_error_estimate"][2] + 1e-15
    assert c.meta["method"] == ("closed form" if net.activation in ("gauss", "cos")
                                else "quadrature")


def test_erf_rank3_accuracy_covers_the_kernel_error():
    """erf, d = 2 with a bias (rank-3 polar rule, ~1e-6): not exact; the estimate of the G2
    error covers the difference from the arc-sine kernel."""
    net = nq.Network("erf", d_in=2, width=10, sigma_b=0.5)
    X = [[0.3, 0.1], [0.7, -0.2], [-0.4, 0.5]]
    c = nq.exact_correlators(net, X, orders=(4,))
    assert c.exact is False and c.meta["method"] == "quadrature"
    assert _kernel_error(c) <= c.meta["abs_error_estimate"][2]
    assert c.meta["accuracy"][4] < 1e-4


def test_huge_rules_are_refused():
    """d_in = 6 with a bias and 7 inputs would need 12^7 = 36M nodes: refused in one line."""
    X = np.random.default_rng(0).normal(size=(7, 6)) * 0.3
    net = nq.Network("relu", d_in=6, width=10, sigma_b=0.5)
    with pytest.raises(ValueError, match=f"above the limit {MAX_RULE_NODES}"):
        nq.exact_correlators(net, X, orders=(4,))


def test_cli_json_labels_quadrature(capsys):
    status, out, err = run_cli(capsys, "correlators", "--net", "relu", "--sigma-b", "0.5",
                               "--inputs", json.dumps(X_RANK4.tolist()), "--exact", "--json")
    assert status == 0, err
    obj = json.loads(out)
    assert obj["exact"] is False and obj["exact_method"] == "quadrature"
    assert 1e-6 < obj["accuracy"]["4"] < 1e-2
    status, out, err = run_cli(capsys, "correlators", "--net", "relu", "--sigma-b", "0.5",
                               "--inputs", json.dumps(X_RANK4.tolist()), "--exact")
    assert status == 0 and "not exact (quadrature, estimated relative error" in out
    X = np.random.default_rng(0).normal(size=(7, 6)) * 0.3
    status, out, err = run_cli(capsys, "correlators", "--net", "relu", "--sigma-b", "0.5",
                               "--inputs", json.dumps(X.tolist()), "--exact", "--json")
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "--networks M" in err
