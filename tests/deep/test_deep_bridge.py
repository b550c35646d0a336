"""Input-space IR data of deep networks: nnqft.bridge.deep_ir_data and `nnqft bridge` (erf, relu,
tanh; docs/deep.md section 9)."""

import json
import math
import warnings

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import nnqft as nq
from cli_helpers import run_cli
from nnqft.bridge import DeepIRData, deep_ir_data
from nnqft.deep import deep_theory, exact_relu_correlators, sigma_w_scan


@pytest.mark.parametrize("act, sb", [("erf", 0.5), ("relu", 0.3)])
def test_depth_one_equals_exact_source(act, sb):
    # at one hidden layer the 1/N theory is exact (G2 = K, G4_c exactly 1/N), so every number of
    # the deep bridge equals the exact-source couplings; 1e-10 covers the quadrature of both
    # engines (each <= 1e-12 relative here, docs/deep.md section 3)
    net = nq.Network(act, width=7, sigma_b=sb, sigma_w=1.3)
    X = [[0.2], [0.6], [-0.4]]
    cut, cuts, sws = 5.0, [2.0, 5.0, 20.0], [1.0, 1.3, 2.0]
    ir = deep_ir_data(net, X, cutoff=cut, cutoffs=cuts, sigma_ws=sws)
    ex = nq.exact_correlators(net, X, orders=(2, 4))
    ref = nq.eft.couplings(ex, net, cut)
    assert ir.method == "one_over_n"
    np.testing.assert_allclose(ir.fit.lam, ref.lam, rtol=1e-10)
    np.testing.assert_allclose(ir.propagator, ex.tensor("full", 2), rtol=1e-12)
    run = nq.eft.running(ex, net, cuts)
    np.testing.assert_allclose(ir.run.mean, run.mean, rtol=1e-10)
    assert ir.run.slope == pytest.approx(run.slope, rel=1e-9)
    lam_sw = [nq.eft.couplings(nq.exact_correlators(net.replace(sigma_w=s), X, orders=(2, 4)),
                               net.replace(sigma_w=s), cut).mean for s in sws]
    np.testing.assert_allclose(ir.sigma_w_reading["lambda_mean"], lam_sw, rtol=1e-10)
    # the exact source through the same bridge gives the same numbers
    ie = deep_ir_data(net, X, cutoff=cut, method="exact", cutoffs=cuts, sigma_ws=sws)
    np.testing.assert_allclose(ie.fit.lam, ir.fit.lam, rtol=1e-10)
    assert ie.sigma_w_reading["slope"] == pytest.approx(ir.sigma_w_reading["slope"], rel=1e-9)


def test_deep_relu_slopes_and_rank_one_propagator():
    # relu, sigma_b = 0, positive inputs in d = 1: Delta(x, y) = K(x, y) is homogeneous of degree
    # 1 in y, so I_4 ~ Lambda^(d + 4) and lambda ~ Lambda^-5; every layer multiplies K by
    # sigma_w^2 and the vertex by sigma_w^4, so G4_c ~ sigma_w^(4(L+1)), I_4 ~ sigma_w^(8(L+1))
    # and lambda ~ sigma_w^(-4(L+1)) = sigma_w^-16 at L = 3 (docs/deep.md section 9); G2 is
    # proportional to x_a x_b (rank one), so Gamma^(2) does not exist on these inputs
    net = nq.Network("relu", width=20, depth=3, sigma_b=0.0, sigma_w=1.2)
    ir = deep_ir_data(net, [[0.2], [0.6], [1.0]], cutoff=10.0)
    assert ir.run.slope == pytest.approx(-5.0, abs=1e-9)
    assert ir.sigma_w_reading["slope"] == pytest.approx(-16.0, abs=1e-9)
    assert ir.fit.spread < 1e-10 * abs(ir.fit.mean)
    assert ir.inverse_propagator is None and ir.condition > 1e10
    # the 1/N sigma_W reading is the one of nnqft.deep.sigma_w_scan
    ref = sigma_w_scan(net, [[0.2], [0.6], [1.0]], 10.0, ir.sigma_w_reading["sigma_w"])
    np.testing.assert_allclose(ir.sigma_w_reading["lambda_mean"], ref["lambda_mean"], rtol=1e-12)
    # control: with sigma_b > 0 the kernel is not homogeneous and the slope moves off -5
    ir_b = deep_ir_data(net.replace(sigma_b=0.3), [[0.2], [0.6], [1.0]], cutoff=10.0,
                        sigma_ws=[])
    assert abs(ir_b.run.slope + 5.0) > 1e-3 and ir_b.sigma_w_reading is None


def test_exact_and_one_over_n_deep_relu_one_input():
    # relu, sigma_b = 0, one input: the exact kurtosis gives G4_c = 3 K^2 ((1 + 5/N)^L - 1), the
    # 1/N theory its first order 3 K^2 (5 L / N); I_4 is the same, so the couplings differ by
    # the factor ((1 + 5/N)^L - 1) / (5 L / N) (docs/deep.md sections 5 and 9)
    N, L = 5, 3
    net = nq.Network("relu", width=N, depth=L, sigma_b=0.0)
    kw = {"cutoff": 3.0, "cutoffs": [1.0, 3.0], "sigma_ws": []}
    ex = deep_ir_data(net, [[0.7]], method="exact", **kw)
    th = deep_ir_data(net, [[0.7]], method="one-over-n", **kw)
    ratio = ((1 + 5 / N) ** L - 1) / (5 * L / N)
    assert ex.fit.mean / th.fit.mean == pytest.approx(ratio, rel=1e-10)
    assert ex.propagator[0, 0] == pytest.approx(th.propagator[0, 0], rel=1e-12)  # K1 = 0 here
    c = exact_relu_correlators(net, [[0.7]], orders=(2, 4))
    assert ex.fit.mean == pytest.approx(nq.eft.couplings(c, net, 3.0).mean, rel=1e-12)


def test_monte_carlo_source_against_exact_deep_relu():
    # Monte Carlo through the bridge against the exact deep relu coupling (independent truth):
    # |z| < 4; negative control: the leading-order 1/N value (1.5 times smaller at N = 5, L = 2)
    # must be rejected by the same data. The sigma_W slope is exactly -4(L + 1) = -12.
    net = nq.Network("relu", width=5, depth=2, sigma_b=0.0)
    kw = {"cutoff": 10.0, "cutoffs": [1.0, 10.0]}
    ex = deep_ir_data(net, [[0.5]], method="exact", sigma_ws=[], **kw)
    th = deep_ir_data(net, [[0.5]], method="one_over_n", sigma_ws=[], **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # heavy-tail diagnostic of relu at N = 5
        mc = deep_ir_data(net, [[0.5]], method="monte_carlo", n_networks=40_000, seed=0,
                          sigma_ws=[0.7, 1.4], **kw)
    assert mc.method == "monte_carlo" and mc.n_networks == 40_000 and mc.fit.mean_err > 0
    z = (mc.fit.mean - ex.fit.mean) / mc.fit.mean_err
    z_control = (mc.fit.mean - th.fit.mean) / mc.fit.mean_err
    assert abs(z) < 4 and abs(z_control) > 5
    sw = mc.sigma_w_reading
    assert abs(sw["slope"] + 12.0) / sw["slope_err"] < 5
    assert mc.propagator_err is not None and mc.propagator_err[0, 0] > 0


def test_propagator_inverse_and_dataset(tmp_path):
    net = nq.Network("erf", width=30, depth=2, sigma_b=0.4, sigma_w=1.5)
    X = [[0.2], [0.6], [-0.5]]
    ir = deep_ir_data(net, X, cutoff=4.0, cutoffs=[2.0, 4.0], sigma_ws=[1.0, 2.0])
    assert isinstance(ir, DeepIRData) and not ir.translation_invariant
    th = deep_theory(net, np.asarray(X))
    np.testing.assert_allclose(ir.propagator, th.two_point(), rtol=1e-13)
    np.testing.assert_allclose(ir.kernel, th.kernels[-1], rtol=1e-13)
    np.testing.assert_allclose(ir.inverse_propagator @ ir.propagator, np.eye(3), atol=1e-10)
    ds = ir.to_dataset()
    np.testing.assert_array_equal(ds["lambda"].values, ir.fit.lam)
    assert ds.attrs["method"] == "one_over_n" and ds.attrs["running_slope"] == ir.run.slope
    np.testing.assert_array_equal(ds["sigma_w"].values, [1.0, 2.0])
    ds.to_netcdf(tmp_path / "ir.nc")
    back = xr.load_dataset(tmp_path / "ir.nc")
    np.testing.assert_array_equal(back["propagator"].values, ir.propagator)
    assert back.attrs["sigma_w_slope"] == ir.sigma_w_reading["slope"]


@settings(max_examples=8, deadline=None)
@given(perm=st.permutations(range(3)), depth=st.integers(1, 3))
def test_input_permutation_invariance(perm, depth):
    # relabelling the inputs permutes the propagator and leaves the tuple statistics unchanged
    net = nq.Network("erf", width=10, depth=depth, sigma_b=0.3)
    X = np.array([[0.3], [-0.7], [1.1]])
    kw = {"cutoff": 3.0, "cutoffs": [1.0, 3.0], "sigma_ws": []}
    a = deep_ir_data(net, X, **kw)
    b = deep_ir_data(net, X[list(perm)], **kw)
    np.testing.assert_allclose(b.propagator, a.propagator[np.ix_(perm, perm)], rtol=1e-12)
    assert b.fit.mean == pytest.approx(a.fit.mean, rel=1e-9)
    assert b.fit.spread == pytest.approx(a.fit.spread, rel=1e-9)
    assert b.run.slope == pytest.approx(a.run.slope, rel=1e-9)


def test_api_refusals():
    X = [[0.2]]
    with pytest.raises(ValueError, match="translation-invariant"):
        deep_ir_data(nq.Network("gauss", width=3), X, cutoff=1.0)
    with pytest.raises(ValueError, match="method"):
        deep_ir_data(nq.Network("erf", width=3), X, cutoff=1.0, method="one_loop")
    with pytest.raises(ValueError, match="n_networks"):
        deep_ir_data(nq.Network("erf", width=3), X, cutoff=1.0, method="monte_carlo")
    with pytest.raises(ValueError, match="cutoff"):
        deep_ir_data(nq.Network("erf", width=3, depth=2), X, cutoff=math.inf)
    with pytest.raises(ValueError, match="normal weights"):  # the 1/N theory's own refusal
        deep_ir_data(nq.Network("relu", width=3, depth=2, weight_law="uniform"), X, cutoff=1.0)


# ------------------------------------------------------------------ CLI
DEEP = ("bridge", "--net", "relu", "--depth", "3", "--width", "20", "--sigma-b", "0",
        "--inputs", "[0.2, 0.6, 1.0]", "--cutoff", "10")


def test_cli_json_contract(capsys):
    status, out, err = run_cli(capsys, *DEEP, "--method", "one-over-n", "--json", "--quiet")
    assert status == 0, err
    obj = json.loads(out)
    for key in ("network", "method", "accuracy", "translation_invariant", "flows", "inputs",
                "propagator", "kernel", "inverse_propagator", "condition", "couplings", "u4",
                "u4_spread", "running", "sigma_w_reading", "convention"):
        assert key in obj
    assert obj["method"] == "one_over_n" and obj["translation_invariant"] is False
    assert "O(1/N^2)" in obj["accuracy"]
    assert obj["running"]["slope"] == pytest.approx(-5.0, abs=1e-9)
    assert obj["sigma_w_reading"]["slope"] == pytest.approx(-16.0, abs=1e-9)
    for key in ("tuples", "lambda", "I4", "lambda_mean", "lambda_spread", "cutoff"):
        assert key in obj["couplings"]
    assert obj["u4"] == obj["couplings"]["lambda_mean"]
    net = nq.Network("relu", width=20, depth=3, sigma_b=0.0)
    ref = nq.deep.deep_couplings(net, [[0.2], [0.6], [1.0]], 10.0)
    np.testing.assert_allclose(obj["couplings"]["lambda"], ref.lam, rtol=1e-14)
    # text output: the slopes and the reason why there is no kinetic term
    status, out, err = run_cli(capsys, *DEEP, "--method", "one-over-n", "--quiet")
    assert status == 0 and "not translation invariant" in out and "d ln Lambda = -5" in out


@pytest.mark.parametrize("extra, match", [
    (("--method", "one-over-n", "--flow", "b"), "translation-invariant"),
    (("--method", "one-over-n", "--order", "6"), "quartic"),
    (("--method", "one-over-n", "--sigma-ws", "[1, -2]"), "--sigma-ws"),
    (("--method", "one-over-n", "--cutoffs", "[10]"), "two finite cutoffs"),
    (("--networks", "10"), "at least 64"),
    (("--exact", "--method", "one-over-n"), "--exact"),
    ((), "exactly one of"),
])
def test_cli_refusals(capsys, extra, match):
    status, out, err = run_cli(capsys, *DEEP, *extra, "--json")
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert match in err


@pytest.mark.parametrize("args, match", [
    (("--net", "erf", "--depth", "2", "--method", "one-over-n", "--cutoff", "5"), "--inputs"),
    (("--net", "erf", "--inputs", "[0.1]", "--method", "one-over-n"), "--cutoff"),
    (("--net", "erf", "--inputs", "[0.1]", "--method", "one-over-n", "--cutoff", "inf"),
     "--cutoff"),
    (("--net", "gauss", "--inputs", "[0.1]", "--method", "one-over-n"), "erf, relu and tanh"),
    (("--net", "erf", "--depth", "2", "--inputs", "[0.1]", "--method", "exact", "--cutoff", "3"),
     "one hidden layer"),
    (("--net", "relu", "--depth", "2", "--sigma-b", "0", "--inputs", "[0.1, -0.2]", "--method",
      "exact", "--cutoff", "3"), "one ray"),
    (("--net", "gauss", "--inputs", "[0.1]", "--exact", "--cutoff", "3"), "--cutoff"),
    (("--net", "tanh", "--depth", "2", "--inputs", "[0.1]", "--method", "one-over-n",
      "--cutoff", "3", "--outputs", "2"), "one output"),
])
def test_cli_bad_input(capsys, args, match):
    status, out, err = run_cli(capsys, "bridge", *args, "--json")
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert match in err
