"""Exact two-input density p(f1, f2) and action (nnqft.action.two) against independent truth.

Checks here: the identity p = exp(W(J) - J.f) p_J(f) for two different tilts J (different
whitening, lattices and phases), the CLI contract, and the refusals of singular cases.
Normalisation, moments, the one-input marginal, sampled networks and the relu singular masses:
tests/action/test_two_accuracy.py (docs/action.md section 4).
"""

import json

import numpy as np
import pytest

import nnqft as nq
from nnqft.action.theory import SingularDensityError
from nnqft.action.two import TwoInputTheory

X = [[0.7], [-0.3]]
NET = nq.Network("erf", width=10, sigma_w=1.5, sigma_b=0.5)


def test_saddle_tilt_agrees_with_a_common_tilt():
    # p = exp(W(J) - J.f) p_J(f) is exact for any J: two tilts, two different t rules
    th = TwoInputTheory(NET, X)
    f = np.array([[0.3, -0.2], [1.0, 0.8]])
    lp, _ = th.log_density(f)  # each point its own saddle J*
    lp0, _ = th.log_density(f, block=np.zeros(2, dtype=int))  # one common tilt
    assert np.max(np.abs(lp - lp0)) < 1e-8


@pytest.mark.parametrize("net, X_, exc, msg", [
    (nq.Network("erf", width=1, sigma_b=0.5), X, SingularDensityError, "N = 1"),
    (nq.Network("relu", width=5, sigma_b=0.5), X, SingularDensityError, "line"),
    (nq.Network("erf", width=5, sigma_b=0.5), [[0.7], [0.7]], SingularDensityError, "kernel"),
])
def test_singular_cases_refused(net, X_, exc, msg):
    with pytest.raises(exc, match=msg):
        TwoInputTheory(net, X_)


def test_cli_two_inputs_json_and_refusal(capsys):
    from nnqft.cli import main

    base = ["action", "--net", "erf", "--width", "10", "--sigma-w", "1.5", "--sigma-b", "0.5",
            "--inputs", "[[0.7], [-0.3]]", "--json", "--no-check"]
    assert main(base + ["--phi", "[[0.0, 0.0], [0.5, -0.3]]"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["phi"] == [[0.0, 0.0], [0.5, -0.3]] and len(obj["S"]) == 2
    assert obj["S"][0] == pytest.approx(0.0, abs=1e-12) and obj["S"][1] > 0
    assert len(obj["Gamma"]) == 2 and np.array(obj["G2"]).shape == (2, 2)
    relu = ["--net" if a == "--net" else a for a in base]
    relu[relu.index("erf")] = "relu"
    with pytest.raises(SystemExit) as e:
        main(relu + ["--phi", "[[0.1, 0.2]]"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "line" in err and len(err.strip().splitlines()) == 1


def test_symmetries_swap_and_parity():
    # exchanging the inputs exchanges f1 and f2; erf is odd, so p(-f) = p(f) (the tilts and
    # lattices at f, swapped f and -f all differ)
    f = np.array([[0.8, -0.4]])
    lp = TwoInputTheory(NET, X).log_density(f)[0]
    lp_swap = TwoInputTheory(NET, X[::-1]).log_density(f[:, ::-1])[0]
    lp_neg = TwoInputTheory(NET, X).log_density(-f)[0]
    assert abs(lp - lp_swap)[0] < 1e-10 and abs(lp - lp_neg)[0] < 1e-10
