"""Translation invariance, finite data sets (lattice mode sums) and the ``nnqft bridge`` CLI."""

import json
import math

import numpy as np
import pytest

import nnqft as nq
from nnqft.bridge import ir_data
from nnqft.bridge.flows import flow_from_ir
from nnqft.bridge.lattice import (
    ELS_LATTICE,
    Lattice,
    continuum_count,
    mode_count,
    mode_sum_flow,
    resolving_lattice,
)
from nnqft.bridge.symmetry import shift_violation
from nnqft.cli import main
from nnqft.exact import exact_correlators
from nnqft.moments import single_neuron_moments

ELS_X = [-0.01, -0.006, -0.002, 0.002, 0.006, 0.01]


# ------------------------------------------------------------------ translation invariance
@pytest.mark.parametrize("d,X,shifts", [
    (1, ELS_X, [0.01, 0.5, 3.0]),
    (2, [[0.1, 0.3], [-0.5, 1.0], [2.0, 0.3]], [[0.3, -1.0], [5.0, 7.0]]),
])
def test_cos_net_is_shift_invariant(d, X, shifts):
    net = nq.Network("cos", width=3, d_in=d, sigma_w=1.7)
    for row in shift_violation(net, X, shifts, order=4):
        assert row["max_rel"] <= 1e-12
        assert abs(row["lambda_rel_change"]) <= 1e-12
    for row in shift_violation(net, X, shifts[:1], order=6):
        assert row["max_rel"] <= 1e-12


def test_gauss_net_violation_matches_closed_form():
    # Under x -> x + s, C_4 gets exp(sw^2 (2 S s + 4 s^2) / d) and sum_3 C2 C2 is invariant
    # (docs/theory.md#translation-invariance): an independent prediction of the shifted G4_c.
    net = nq.Network("gauss", width=3, sigma_w=1.3, sigma_b=1.0)
    X = np.array(ELS_X)[:, None]
    s = 0.4
    row = shift_violation(net, X, [s])[0]
    c0 = exact_correlators(net, X, orders=(2, 4))
    T = c0.tuples(4)
    C4 = single_neuron_moments(net, X, 4)
    S = X[T, 0].sum(axis=1)
    bracket0 = c0.connected(4) * net.width / net.sigma_w**4  # 3 C4 - sum_3 C2 C2
    pred = net.sigma_w**4 / net.width * (
        bracket0 + 3 * C4 * (np.exp(net.sigma_w**2 * (2 * S * s + 4 * s * s)) - 1))
    c1 = exact_correlators(net, X + s, orders=(2, 4))
    np.testing.assert_allclose(c1.connected(4), pred, rtol=1e-12)
    assert row["max_rel"] == pytest.approx(
        np.max(np.abs(pred - c0.connected(4))) / np.max(np.abs(c0.connected(4))), rel=1e-10)
    assert row["max_rel"] > 0.1  # a real, reported violation


# ------------------------------------------------------------------ lattice
def test_els_lattice_counts():
    lat = ELS_LATTICE
    assert lat.L == pytest.approx(0.024)
    np.testing.assert_allclose(np.sort(lat.points[:, 0]), ELS_X, atol=1e-15)
    assert lat.momenta_norms()[1] == pytest.approx(2 * math.pi / 0.024)  # 261.8 > 100
    assert int(mode_count(lat, 100.0)) == 1  # only the zero mode
    assert int(mode_count(lat, 100.0, zero_mode="exclude")) == 0
    assert float(continuum_count(lat, 100.0)) == pytest.approx(2.4 / math.pi)


def test_mode_count_approaches_continuum():
    # a large, fine 2-d lattice: the count inside radius k tends to v_2 (k L)^2
    lat = Lattice(0.05, 200, 2)
    k = 10.0
    assert mode_count(lat, k) / continuum_count(lat, k) == pytest.approx(1.0, rel=0.01)
    lat_r = resolving_lattice(math.sqrt(2.0))
    assert lat_r.a0 * math.sqrt(2) <= 0.5 + 1e-12 and lat_r.L * math.sqrt(2) >= 20 - 1e-9


def test_mode_sum_flow_limits():
    ir = ir_data(nq.Network("gauss", width=1000, sigma_b=0.3), ELS_X).to_canonical()
    init = ir.couplings(6)
    cont = flow_from_ir(ir, "b", 6, rtol=1e-10, atol=1e-14, n_points=40, k_span=(1e-10, 50.0))
    # fine, large lattice (Brillouin zone edge 63 > 50, L = 40): the mode sum -> the integral
    fine = mode_sum_flow(Lattice(0.05, 400), init, (1e-10, 50.0), rtol=1e-10, atol=1e-14)
    for name in ("u2", "u4", "u6"):
        a, b = fine.final[name], cont.result.final[name]
        assert abs(a - b) <= 1e-3 * abs(b - init[name]) + 1e-4 * abs(b)
    # [ELS] inputs without the zero mode: nothing below 262 flows
    none = mode_sum_flow(ELS_LATTICE, init, zero_mode="exclude")
    assert none.final == pytest.approx(init, rel=0, abs=0)
    # with the zero mode only: d_t U = k^2 / (L (k^2 + U'')) changes u2 a lot
    zero = mode_sum_flow(ELS_LATTICE, init, zero_mode="include")
    assert zero.final["u2"] - init["u2"] > 10 * (cont.result.final["u2"] - init["u2"])


# ------------------------------------------------------------------ CLI
def test_cli_bridge_json(capsys):
    rc = main(["bridge", "--net", "gauss", "--width", "3", "--sigma-w", "1", "--sigma-b", "1",
               "--inputs", json.dumps(ELS_X), "--exact", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("d", "A", "mu2", "Z0", "u4", "u4_err", "u6", "u6_err", "u4_canonical",
                "u6_canonical", "exact"):
        assert key in out
    assert out["exact"] is True and out["u4_err"] is None and out["u6_err"] is None
    assert out["u4"] == pytest.approx(-42.765, abs=1e-3)
    assert out["u4_canonical"] == pytest.approx(out["u4"] / out["Z0"] ** 2, rel=1e-12)
    assert out["u6_canonical"] == pytest.approx(out["u6"] / out["Z0"] ** 3, rel=1e-12)


def test_cli_bridge_monte_carlo_and_errors(capsys):
    rc = main(["bridge", "--net", "cos", "--width", "5", "--inputs", "[0.1, 0.3]",
               "--networks", "500", "--seed", "2", "--order", "4", "--json", "--quiet"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["exact"] is False and out["u4_err"] > 0 and out["n_networks"] == 500
    with pytest.raises(SystemExit) as e:
        main(["bridge", "--net", "erf", "--inputs", "[0.1]", "--exact", "--json"])
    assert e.value.code == 2
    err = capsys.readouterr()
    assert err.out == "" and len(err.err.strip().splitlines()) == 1
    with pytest.raises(SystemExit) as e:
        main(["bridge", "--net", "gauss", "--inputs", "[0.1]", "--json"])
    assert e.value.code == 2


# ------------------------------------------------------------------ reproduce els
@pytest.mark.slow
def test_reproduce_els_quick(tmp_path):
    from nnqft.reproduce.els import reproduce_els

    s = reproduce_els(tmp_path / "els", quick=True, progress=False)
    for name in ("summary.json", "summary.md", "summary.html", "scan.nc", "u4_vs_sigma_w.png",
                 "flows.png"):
        assert (tmp_path / "els" / name).exists()
    md = (tmp_path / "els" / "summary.md").read_text()
    assert "Terms (all defined in docs/theory.md#glossary)" in md and "cannot both hold" in md
    on_disk = json.loads((tmp_path / "els" / "summary.json").read_text())
    assert on_disk["slopes"] == s["slopes"]
    srcs = {r["source"] for r in s["slopes"]}
    assert srcs == {"exact", "monte_carlo", "monte_carlo_els"}
    for r in s["slopes"]:
        assert set(r) == {"width", "slope", "slope_err", "source"}
    ex3 = next(r for r in s["slopes"] if r["source"] == "exact" and r["width"] == 3)
    assert ex3["slope"] == pytest.approx(-2.9988, abs=5e-5) and ex3["slope_err"] is None
    for r in s["tame_monte_carlo"]:
        assert r["slope_err"] <= 0.05 and abs(r["z"]) < 4.5
    for r in s["as_published"].values():
        assert r["max_rel_diff"] < 1e-3
    assert all(r["k_star"] is not None for r in s["k_star"] if r["status"] != "completed")


def test_bridge_modules_use_no_private_names_of_other_modules():
    """Issue 12 (architecture): helpers shared between bridge modules are public
    (run_polynomial_flow, check_bridge_network), so no module imports a private name."""
    import ast
    from pathlib import Path

    import nnqft.bridge as pkg
    from nnqft.bridge.flows import run_polynomial_flow
    from nnqft.bridge.ir import check_bridge_network

    bad = []
    for path in Path(pkg.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                bad += [f"{path.name}: {a.name}" for a in node.names
                        if a.name.startswith("_") and not a.name.startswith("__")]
    assert bad == []
    assert callable(run_polynomial_flow)
    with pytest.raises(ValueError, match="translation-invariant"):
        check_bridge_network(nq.Network("relu", width=3))
    check_bridge_network(nq.Network("gauss", width=3))
