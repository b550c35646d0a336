"""The jax backend (docs/backends.md): exact z-scores, agreement with numpy, determinism, float32.

Every Monte Carlo comparison uses fixed seeds and a z-score per sorted tuple with |z| < 4.5
(about 1 in 10^5 per tuple for a Gaussian estimate), a power requirement (median standard error
<= 10% of the largest |value| tested), and, against the exact engine, a negative control (the
connected formula without its disconnected terms) that must fail the same test. Sample sizes
follow tests/test_mc_vs_exact.py. JAX compiles one function per (architecture, inputs,
estimator, orders, precision, block size), a few seconds each on this CPU, so the cases are few.
"""

import hashlib
import json
import math

import numpy as np
import pytest

import nnqft as nq
from nnqft.backends import check_backend, check_dtype, device_description
from nnqft.estimate import compute_block, estimate_correlators, finalize, make_plan, run_plan
from nnqft.exact import exact_correlators
from nnqft.executors import LocalExecutor


def test_without_jax_the_backend_names_the_extra(monkeypatch):
    """Runs with or without JAX: a missing JAX is a one-line ValueError naming the extra."""
    import nnqft.backends as be

    monkeypatch.setattr(be, "jax_available", lambda: False)
    with pytest.raises(ValueError, match=r'pip install "nnqft\[jax\]"'):
        be.check_backend("jax")
    assert be.check_backend("numpy") == "numpy"


@pytest.mark.parametrize("kw,match", [
    (dict(backend="torch"), "unknown backend"),
    (dict(backend=3), "unknown backend"),
    (dict(dtype="float16"), "unknown dtype"),
    (dict(backend="numpy", dtype="float32"), "float64 only"),
])
def test_bad_backend_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        make_plan(nq.Network("erf", width=3), [0.1], n_networks=10, **kw)


def test_numpy_fingerprint_unchanged():
    """The default numpy/float64 plan keeps the fingerprint format of earlier versions."""
    net = nq.Network("erf", width=3)
    plan = make_plan(net, [0.1, 0.2], (2, 4), 100, 3, "raw", None)
    blob = json.dumps({"network": net.canonical(), "inputs": [[0.1], [0.2]], "orders": [2, 4],
                       "estimator": "raw", "n_networks": 100, "seed": 3, "block_size": 1,
                       "format": 1}, sort_keys=True).encode()
    assert plan.block_size == 1  # default floor(100 / 64); the format is what is tested
    assert plan.fingerprint() == hashlib.sha256(blob).hexdigest()
    assert check_dtype(np.float32) == "float32" and check_backend(None) == "numpy"


def test_jax_fingerprint_carries_stream_version(monkeypatch):
    """A jax plan's fingerprint holds the version of the backend's random stream
    (``STREAM_VERSIONS``), so a checkpoint of older draws is not resumed with newer ones; a
    change of the version changes the fingerprint."""
    from nnqft.backends import STREAM_VERSIONS

    net = nq.Network("erf", width=3)
    plan = make_plan(net, [0.1, 0.2], (2, 4), 100, 3, "raw", None, "jax")
    blob = json.dumps({"network": net.canonical(), "inputs": [[0.1], [0.2]], "orders": [2, 4],
                       "estimator": "raw", "n_networks": 100, "seed": 3, "block_size": 1,
                       "format": 1, "backend": "jax", "dtype": "float64",
                       "stream": STREAM_VERSIONS["jax"]}, sort_keys=True).encode()
    assert plan.fingerprint() == hashlib.sha256(blob).hexdigest()
    monkeypatch.setitem(STREAM_VERSIONS, "jax", STREAM_VERSIONS["jax"] - 1)
    assert plan.fingerprint() != hashlib.sha256(blob).hexdigest()


def _cli(capsys, *args):
    from nnqft.cli import main

    try:
        status = main(list(args))
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


MC = ("correlators", "--net", "erf", "--width", "10", "--inputs", "[0.1, 0.5]", "--networks",
      "640", "--quiet", "--json")


@pytest.mark.parametrize("extra,needle", [
    (("--backend", "torch"), "--backend"),
    (("--dtype", "float16"), "--dtype"),
    (("--dtype", "float32"), "float64 only"),
])
def test_cli_bad_backend_one_line_exit_2(capsys, extra, needle):
    status, out, err = _cli(capsys, *MC, *extra)
    assert status == 2 and out == "" and needle in err and len(err.strip().splitlines()) == 1


def test_cli_jax_missing_names_the_extra(capsys, monkeypatch):
    import nnqft.backends as be

    monkeypatch.setattr(be, "jax_available", lambda: False)
    status, out, err = _cli(capsys, *MC, "--backend", "jax")
    assert status == 2 and out == "" and 'pip install "nnqft[jax]"' in err
    assert len(err.strip().splitlines()) == 1


def test_config_sampling_backend_and_dtype():
    from nnqft.experiments.config import ConfigError, parse_config
    from nnqft.experiments.plan import build_tasks

    base = {"name": "t", "seed": 1, "inputs": [0.2, 0.5], "networks": {"activation": "erf", "width": 5},
            "sampling": {"orders": [2, 4], "n_networks": 1000, "exact": False},
            "analyses": {}}
    cfg = parse_config(base)
    assert cfg.sampling.backend == "numpy" and cfg.sampling.dtype == "float64"
    assert build_tasks(cfg)[0].plan.backend == "numpy"
    bad = {**base, "sampling": {**base["sampling"], "dtype": "float32"}}
    with pytest.raises(ConfigError, match="float64 only"):
        build_tasks(parse_config(bad))
    with pytest.raises(ConfigError, match="backend"):
        parse_config({**base, "sampling": {**base["sampling"], "backend": "cupy"}})
    if be_jax_available():
        ok = {**base, "sampling": {**base["sampling"], "backend": "jax", "dtype": "float32"}}
        plan = build_tasks(parse_config(ok))[0].plan
        assert (plan.backend, plan.dtype) == ("jax", "float32")


def be_jax_available():
    from nnqft.backends import jax_available

    return jax_available()


jax = pytest.importorskip("jax", reason='the jax backend needs JAX (pip install "nnqft[jax]")')

# Same cases as tests/test_mc_vs_exact.py.
CASES = {
    "gauss": (dict(activation="gauss", sigma_b=0.3), [-0.1, 0.0, 0.05, 0.1]),
    "erf": (dict(activation="erf", sigma_b=0.5), [-1.0, -0.3, 0.4, 1.2]),
    "relu": (dict(activation="relu", sigma_b=0.3), [-0.5, 0.2, 0.7, 1.2]),
    "cos": (dict(activation="cos", sigma_b=0.5), [-1.0, 0.0, 0.5, 1.5]),
}


def _zmax(value, err, truth):
    return float(np.max(np.abs((value - truth) / err)))


def _powerful(c, n, truth):
    assert np.median(c.connected_err(n)) <= 0.1 * np.max(np.abs(truth)), "test lacks power"


def _zmax_between(a, b, n):
    """Largest |z| of the difference of two independent estimates of G_n,c: error
    hypot(err_a, err_b)."""
    return _zmax(a.connected(n), np.hypot(a.connected_err(n), b.connected_err(n)), b.connected(n))


def _wrong(net, X, n):
    """Negative control: the exact brackets with the disconnected products dropped."""
    from nnqft.moments import single_neuron_moment_table

    C = single_neuron_moment_table(net, X, (2, 4, 6))
    N, sw = net.last_width, net.sigma_w
    return sw**4 / N * 3 * C[4] if n == 4 else sw**6 / N**2 * 15 * C[6]


@pytest.mark.parametrize("name,dtype", [("erf", "float64"), ("gauss", "float32")])
def test_conditional_matches_exact(name, dtype):
    kw, X = CASES[name]
    net = nq.Network(width=20, **kw)
    ex = exact_correlators(net, X, orders=(6,))
    c = estimate_correlators(net, X, orders=(6,), n_networks=40000, seed=2, estimator="conditional",
                             backend="jax", dtype=dtype)
    assert c.meta["backend"] == "jax" and c.meta["dtype"] == dtype
    assert c.meta["device"] == device_description("jax")
    assert not c.meta["heavy_tail"]["fired"]
    assert _zmax(c.full(2), c.full_err(2), ex.full(2)) < 4.5
    for n in (4, 6):
        _powerful(c, n, ex.connected(n))
        assert _zmax(c.connected(n), c.connected_err(n), ex.connected(n)) < 4.5, (name, n)
        assert _zmax(c.connected(n), c.connected_err(n), _wrong(net, X, n)) > 4.5


@pytest.mark.parametrize("name,dtype,width,n_x", [("relu", "float64", 3, 4),
                                                  ("cos", "float32", 3, 4),
                                                  ("erf", "float32", 6, 2)])
def test_raw_order4_matches_exact(name, dtype, width, n_x):
    """N <= n_x: last layer drawn weight by weight; N = 6 > n_x = 2: outputs drawn in law from
    the kernel Kh of the last hidden layer (docs/backends.md)."""
    kw, X = CASES[name]
    X = X[:: len(X) // n_x][:n_x]
    net = nq.Network(width=width, **kw)
    ex = exact_correlators(net, X, orders=(4,))
    c = estimate_correlators(net, X, orders=(4,), n_networks=100000, seed=7, estimator="raw",
                             backend="jax", dtype=dtype)
    _powerful(c, 4, ex.connected(4))
    assert _zmax(c.connected(4), c.connected_err(4), ex.connected(4)) < 4.5
    assert _zmax(c.connected(4), c.connected_err(4), _wrong(net, X, 4)) > 4.5


def test_uniform_last_layer_raw_matches_exact():
    """Uniform W1: the jax draw of the last layer has the right law (normal-law values fail)."""
    kw, X = CASES["relu"]
    net = nq.Network(width=3, weight_law="uniform", **kw)
    ex = exact_correlators(net, X, orders=(4,))
    c = estimate_correlators(net, X, orders=(4,), n_networks=100000, seed=9, backend="jax")
    assert c.estimator == "raw"
    _powerful(c, 4, ex.connected(4))
    assert _zmax(c.connected(4), c.connected_err(4), ex.connected(4)) < 4.5
    normal = exact_correlators(net.replace(weight_law="normal"), X, orders=(4,))
    assert _zmax(c.connected(4), c.connected_err(4), normal.connected(4)) > 4.5


@pytest.mark.parametrize("act,widths,sb", [("tanh", (6, 5), 0.3), ("relu", (2, 3, 2), 0.2)])
def test_deep_jax_agrees_with_numpy(act, widths, sb):
    """Deep nets: jax and numpy G4_c and G6_c agree statistically (independent draws).

    (6, 5) with 3 inputs samples the second layer through its Gram matrix (N_prev > n_x), (2, 3, 2)
    weight by weight; the difference of two independent estimates has variance
    err_jax^2 + err_numpy^2. A wrong law must fail: the numpy estimate at the next width
    differs by ~1/N from the jax one (checked against G4_c).
    """
    net = nq.Network(act, width=widths, sigma_w=1.3, sigma_b=sb)
    X = [0.5, 1.0, -0.8]
    kw = dict(orders=(6,), n_networks=40000, estimator="conditional")
    a = estimate_correlators(net, X, backend="jax", seed=1, **kw)
    b = estimate_correlators(net, X, backend="numpy", seed=2, **kw)
    for n in (4, 6):
        _powerful(b, n, b.connected(n))
        assert _zmax_between(a, b, n) < 4.5, n
    other = estimate_correlators(net.replace(width=tuple(w + 2 for w in widths)), X,
                                 backend="numpy", seed=3, **kw)
    assert _zmax_between(a, other, 4) > 4.5


def test_deep_wide_two_point_matches_kernel_recursion():
    """Depth 4 relu at N = 256 (Gram-sampled layers): G2 = K + O(1/N), |G2 - K| < 4.5 sigma + 5 K/N
    as in tests/test_estimate.py; K from the exact infinite-width recursion."""
    net = nq.Network("relu", width=256, depth=4, sigma_w=1.3, sigma_b=0.1)
    X = [0.4, 1.0, 1.5]
    c = estimate_correlators(net, X, orders=(2,), n_networks=2000, seed=4, backend="jax",
                             dtype="float32")
    K = nq.gp_kernel(net, X)
    T = c.tuples(2)
    k = K[T[:, 0], T[:, 1]]
    assert np.all(np.abs(c.full(2) - k) < 4.5 * c.full_err(2) + 5 * k / 256)
    # negative control: the kernel of a different sigma_w is rejected
    k2 = nq.gp_kernel(net.replace(sigma_w=1.4), X)[T[:, 0], T[:, 1]]
    assert np.any(np.abs(c.full(2) - k2) > 4.5 * c.full_err(2) + 5 * k2 / 256)


def _identical(a, b):
    for n in a.orders:
        for f in ("full", "connected", "full_err", "connected_err"):
            assert np.array_equal(getattr(a, f)(n), getattr(b, f)(n)), (f, n)


@pytest.mark.parametrize("estimator", ["raw", "conditional"])
def test_bit_identical_across_chunking_workers_and_resume(estimator):
    net = nq.Network("erf", width=7, depth=2, sigma_b=0.5)
    X = [0.3, -0.7, 1.1]
    kw = dict(orders=(2, 4, 6), n_networks=3000, seed=5, estimator=estimator, backend="jax")
    ref = estimate_correlators(net, X, **kw)
    for ex in (LocalExecutor(chunk_blocks=1), LocalExecutor(chunk_blocks=7, shuffle_seed=3),
               LocalExecutor(workers=2, chunk_blocks=5, shuffle_seed=11)):
        _identical(ref, estimate_correlators(net, X, executor=ex, **kw))
    plan = make_plan(net, X, (2, 4, 6), 3000, 5, estimator, None, "jax")
    partial = {b: compute_block(plan, b) for b in range(0, plan.n_blocks, 3)}
    _identical(ref, finalize(plan, run_plan(plan, completed=partial)))
    # a different backend or precision is a different plan, with other draws
    numpy_plan = make_plan(net, X, (2, 4, 6), 3000, 5, estimator, None, "numpy")
    f32_plan = make_plan(net, X, (2, 4, 6), 3000, 5, estimator, None, "jax", "float32")
    assert len({plan.fingerprint(), numpy_plan.fingerprint(), f32_plan.fingerprint()}) == 3
    assert not np.array_equal(compute_block(plan, 0).sums[2], compute_block(numpy_plan, 0).sums[2])


def _erf_decimal(x: float):
    """erf(x) to ~60 digits: its Taylor series summed in 70-digit decimal arithmetic (the
    terms reach e^(x^2) ~ 1e16 at x = 6, far inside the working precision)."""
    import decimal

    ctx = decimal.Context(prec=70)
    D = ctx.create_decimal
    pi = D("3.14159265358979323846264338327950288419716939937510582097494459230781640629")
    x = D(float(x))
    z, term, total, k = ctx.multiply(x, x), x, x, 0
    while True:
        k += 1
        term = ctx.divide(ctx.multiply(ctx.minus(term), z), k)  # '-term' would round to 28 digits
        t = ctx.divide(term, 2 * k + 1)
        total = ctx.add(total, t)
        if k > 5 and ctx.compare(ctx.abs(t), ctx.multiply(D("1e-62"), ctx.abs(total))) < 0:
            return ctx.divide(ctx.multiply(2, total), ctx.sqrt(pi))


def _max_ulp(fn, xs, truth):
    import decimal

    got = np.asarray(jax.jit(lambda x: fn(x))(jnp_array(xs)))  # a fresh trace every call
    ctx = decimal.Context(prec=70)
    ulp = [ctx.divide(ctx.abs(ctx.subtract(decimal.Decimal(float(g)), t)),
                      decimal.Decimal(float(np.spacing(abs(float(t))))))
           for g, t in zip(got, truth, strict=True)]
    return float(max(ulp))


def jnp_array(x):
    import jax.numpy as jnp

    with jax.enable_x64(True):
        return jnp.asarray(np.asarray(x, dtype=np.float64))


def test_erf64_accuracy(monkeypatch):
    """The backend's float64 erf (docs/backends.md, "erf in float64") against erf summed to 60
    digits: at most 2 ulp (measured 1.7 on [0, 1), 0.9 on [1, 6]; the C library's erf, which
    XLA calls, is within 0.8) at 400 points on each side of the branch point 1 and at both
    signs; exact at 0, +-8, +-inf and in the +-1 plateau; nan propagates. Control: the series
    cut after 12 terms (first neglected term ~1e-10 at x ~ 1) fails the same bound."""
    from nnqft.backends import jax_backend as jb

    rng = np.random.default_rng(8)
    xs = np.concatenate([rng.uniform(0, 1, 400), rng.uniform(1, 6, 400), [1e-300, 0.5, 1.0]])
    xs = np.concatenate([xs, -xs[::97]])
    truth = [_erf_decimal(x) for x in xs]
    with jax.enable_x64(True):
        assert _max_ulp(jb.erf64, xs, truth) <= 2.0
        special = jnp_array([0.0, -0.0, 8.0, -8.0, 7.0, 40.0, np.inf, -np.inf, np.nan])
        erf = jax.jit(jb.erf64)
        got = np.asarray(erf(special))
        assert np.array_equal(got[:-1], [0, 0, 1, -1, 1, 1, 1, -1]) and np.isnan(got[-1])
        # the independent C-library erf on many points
        many = rng.standard_normal(20000) * 2.5
        ref = np.array([math.erf(v) for v in many])
        diff = np.abs(np.asarray(erf(jnp_array(many))) - ref)
        assert np.all(diff <= 2.5 * np.spacing(np.abs(ref)))
        monkeypatch.setattr(jb, "_ERF_TAYLOR", jb._ERF_TAYLOR[:11])
        assert _max_ulp(jb.erf64, xs, truth) > 2.0


def _normal_checks(z):
    """Largest |z-score| of a sample's moments 1..6 and of its frequencies beyond 3 and 4
    standard deviations against N(0, 1), and the Kolmogorov-Smirnov p-value."""
    from scipy import stats

    M = len(z)
    zs = []
    for k, exact in zip(range(1, 7), (0, 1, 0, 3, 0, 15), strict=True):
        zk = z**k
        zs.append((zk.mean() - exact) / (zk.std() / np.sqrt(M)))
    for c in (3.0, 4.0):
        p = 2 * stats.norm.sf(c)
        zs.append((np.mean(np.abs(z) > c) - p) / np.sqrt(p * (1 - p) / M))
    return float(np.max(np.abs(zs))), float(stats.kstest(z, "norm").pvalue)


def test_normal64_is_standard_normal():
    """The backend's float64 normals (Box-Muller from multiply-adds, docs/backends.md) on
    4 10^5 + 1 draws: moments 1-6 and tail frequencies |z| < 4.5, KS p > 1e-3; the cos and sin
    halves are uncorrelated; ln within 4 ulp of numpy's. Control: a 2% error in the variance
    (9 standard errors) fails the same checks."""
    from nnqft.backends import jax_backend as jb

    n = 4 * 10**5 + 1
    with jax.enable_x64(True):
        z = np.asarray(jax.jit(lambda k: jb.normal64(k, n))(jb.block_key(1, 2, 3)))
        u = np.concatenate([np.random.default_rng(4).uniform(0, 1, 10**5), [2.0**-53, 1.0]])
        ln = np.asarray(jax.jit(jb._log64)(jnp_array(u)))
    assert z.shape == (n,) and np.all(np.isfinite(z)) and np.max(np.abs(z)) < 8.6
    zmax, p = _normal_checks(z)
    assert zmax < 4.5 and p > 1e-3, (zmax, p)
    m = n // 2
    assert abs(np.corrcoef(z[:m], z[m + 1:2 * m + 1])[0, 1]) * np.sqrt(m) < 4.5
    assert np.all(np.abs(ln - np.log(u)) <= 4 * np.spacing(np.abs(np.log(u)).clip(1e-300)))
    assert _normal_checks(z * np.sqrt(0.98))[0] > 4.5


@pytest.mark.parametrize("estimator,dtype", [("raw", "float64"), ("conditional", "float32")])
def test_jax_sums_equal_numpy_sums_of_the_same_networks(estimator, dtype):
    """The jit-compiled monomial sums and tail weights equal nnqft.accumulate's float64 sums of
    the block's own vectors (rtol 1e-11: summation order differs), also for a short last block
    whose extra sub-batch networks are masked out, and at order 8. A float32 plan evaluates the
    float64 plan's networks (same float64 draws, rounded): its vectors agree with them to
    float32 rounding (relative 1e-4 of the largest entry, about 10^3 float32 epsilons)."""
    from nnqft.accumulate import MomentSums
    from nnqft.backends.jax_backend import block_vectors

    net = nq.Network("erf", width=5, depth=2)
    plan = make_plan(net, [0.2, 0.9, -0.4], (8,), 130, 0, estimator, 20, "jax", dtype)
    for b in (0, plan.n_blocks - 1):
        got = compute_block(plan, b)
        V = block_vectors(plan, b)
        want = MomentSums.from_samples(V, plan.accumulated_orders)
        assert got.count == want.count == V.shape[0] == (20 if b == 0 else 10)
        for k in plan.accumulated_orders:
            np.testing.assert_allclose(got.sums[k], want.sums[k], rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose([got.w_sum, got.w2_sum, got.w_max],
                                   [want.w_sum, want.w2_sum, want.w_max], rtol=1e-11)
    if dtype == "float32":
        V32, V64 = block_vectors(plan, 0), block_vectors(plan, 0, "float64")
        assert 0 < np.max(np.abs(V32 - V64)) < 1e-4 * np.max(np.abs(V64))


X3 = [-1.0, 0.4, 1.2]


def _vector_controls(net, X, n):
    """Wrong tensors over the sorted (input, output) tuples (docs/vector.md): every output the
    same field (no output deltas), and the pairings on equal outputs only (diagonal only)."""
    from nnqft.combinatorics import tuple_index

    scalar = exact_correlators(net.replace(outputs=1), X, orders=(n,))
    T = exact_correlators(net, X, orders=(n,)).tuples(n)
    no_delta = scalar.connected(n)[tuple_index(T[..., 0], len(X))]
    same = np.all(T[..., 1] == T[:, :1, 1], axis=1)
    return {"no deltas": no_delta, "diagonal only": np.where(same, no_delta, 0.0)}


def _vector_zmax(c, n, truth):
    """Largest |z| over the tuples with a nonzero error; a tuple whose error is zero must equal
    the truth exactly (the conditional estimator's structural zeros)."""
    err = c.connected_err(n)
    ok = err > 0
    assert np.median(err[ok]) <= 0.1 * np.max(np.abs(truth)), "test lacks power"
    exact_zero_ok = np.array_equal(c.connected(n)[~ok], truth[~ok])
    return max(float(np.max(np.abs(c.connected(n)[ok] - truth[ok]) / err[ok])),
               0.0 if exact_zero_ok else np.inf)


@pytest.mark.parametrize("estimator,width,law,orders,M", [
    ("conditional", 3, "normal", (2, 4, 6), 40000),
    ("raw", 8, "normal", (2, 4), 60000),   # N = 8 > n_x = 3: outputs drawn in law from Kh
    ("raw", 3, "uniform", (2, 4), 60000),  # weight by weight, uniform last layer
])
def test_two_outputs_match_exact_vector_correlators(estimator, width, law, orders, M):
    """n = 2 outputs (docs/vector.md) on the jax backend against the exact engine: |z| < 4.5 on
    every sorted (input, output) tuple, and both wrong delta structures fail the same test."""
    from nnqft.vector import VectorCorrelators

    net = nq.Network("erf", width=width, outputs=2, sigma_b=0.5, weight_law=law)
    ex = exact_correlators(net, X3, orders=orders)
    c = estimate_correlators(net, X3, orders=orders, n_networks=M, seed=11, estimator=estimator,
                             backend="jax")
    assert isinstance(c, VectorCorrelators) and c.meta["backend"] == "jax"
    for n in orders:
        assert _vector_zmax(c, n, ex.connected(n)) < 4.5, n
    if estimator == "conditional":  # output deltas applied exactly, as on numpy
        assert all(np.all(c.connected(n)[ex.connected(n) == 0] == 0) for n in orders)
    for name, wrong in _vector_controls(net, X3, 4).items():
        assert _vector_zmax(c, 4, wrong) > 4.5, name


def test_two_outputs_deep_jax_agrees_with_numpy():
    """Depth 2 (no closed form), n = 2, raw estimator: jax and numpy G2 and G4_c agree by
    z-scores on every tuple (independent draws: error hypot(err_jax, err_numpy)); the numpy
    estimate of the one-output network put on every output pair (no output deltas) must fail."""
    net = nq.Network("tanh", width=(6, 5), outputs=2, sigma_w=1.3, sigma_b=0.3)
    X = [0.5, -0.8]
    kw = dict(orders=(2, 4), n_networks=60000, estimator="raw")
    a = estimate_correlators(net, X, backend="jax", seed=1, **kw)
    b = estimate_correlators(net, X, backend="numpy", seed=2, **kw)
    for n in (2, 4):
        _powerful(b, n, b.connected(n))
        assert _zmax_between(a, b, n) < 4.5, n
    from nnqft.combinatorics import tuple_index

    one = estimate_correlators(net.replace(outputs=1), X, backend="numpy", seed=3, **kw)
    idx = tuple_index(a.tuples(4)[..., 0], len(X))  # each (input, output) tuple's inputs
    assert _zmax(a.connected(4), np.hypot(a.connected_err(4), one.connected_err(4)[idx]),
                 one.connected(4)[idx]) > 4.5


@pytest.mark.parametrize("estimator", ["raw", pytest.param("conditional", marks=pytest.mark.slow)])
def test_two_outputs_bit_identical_across_chunking_and_resume(estimator):
    """Multi-output plans keep the backend's guarantee: the same bits for any chunking, worker
    count and resume history (the conditional draws are those of one output, whose bits
    test_bit_identical_across_chunking_workers_and_resume checks; slow selection here)."""
    net = nq.Network("erf", width=7, depth=2, outputs=2, sigma_b=0.5)
    X = [0.3, -0.7]
    kw = dict(orders=(2, 4), n_networks=2000, seed=5, estimator=estimator, backend="jax")
    ref = estimate_correlators(net, X, **kw)
    for ex in (LocalExecutor(chunk_blocks=7, shuffle_seed=3),
               LocalExecutor(workers=2, chunk_blocks=5, shuffle_seed=11)):
        _identical(ref, estimate_correlators(net, X, executor=ex, **kw))
    plan = make_plan(net, X, (2, 4), 2000, 5, estimator, None, "jax")
    partial = {b: compute_block(plan, b) for b in range(0, plan.n_blocks, 3)}
    _identical(ref, finalize(plan, run_plan(plan, completed=partial)))
    if estimator == "raw":
        assert compute_block(plan, 0).sums[2].shape == (10,)  # 4 points: C(5, 2) pairs
    else:
        assert compute_block(plan, 0).sums[1].shape == (3,)  # Kh on the input pairs only


@pytest.mark.dask
def test_dask_executor_with_jax():
    distributed = pytest.importorskip("distributed")
    net = nq.Network("tanh", width=5, sigma_b=0.4)
    X = [0.1, 0.9]
    kw = dict(orders=(2, 4), n_networks=1000, seed=9, backend="jax")
    ref = estimate_correlators(net, X, **kw)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            got = estimate_correlators(net, X, executor=client, **kw)
    _identical(ref, got)


# Run in a child process pinned to one CPU and in one that may use all of them: block sums of a
# plan whose sub-batch is 20000 networks (tanh, width 5, two inputs, orders 1-4 of Kh: a
# contraction of 20000 rows to a 6 x 6 output and sums of 20000 rows), hashed bit for bit, and
# two controls computed on the same vectors: the single-dot / single-reduce formulation the
# backend used before (whose bits XLA's CPU runtime makes depend on the thread count), and the
# same fixed-order sum over the rows in another (fixed, random) order: other bits.
_THREADS_CHILD = """
import hashlib, json, os, sys
if len(sys.argv) > 1:  # pinned before JAX starts: XLA sizes its thread pool by the affinity
    os.sched_setaffinity(0, {int(sys.argv[1])})
import numpy as np, jax, jax.numpy as jnp
import nnqft as nq
from nnqft.estimate import make_plan, compute_block
from nnqft.backends import jax_backend as jb
plan = make_plan(nq.Network("tanh", width=5, sigma_b=0.4), [0.1, 0.9], (2, 4, 6, 8), 40000, 5,
                 "conditional", 20000, "jax")
h = lambda *xs: hashlib.sha256(b"".join(np.asarray(x).tobytes() for x in xs)).hexdigest()
sums = [compute_block(plan, b) for b in range(plan.n_blocks)]
out = {"block_sums": h(*[s.sums[k] for s in sums for k in sorted(s.sums)],
                       *[[s.w_sum, s.w2_sum, s.w_max] for s in sums])}
V = jb.block_vectors(plan, 0)
with jb._enable_x64(True):
    Vj = jnp.asarray(V)
    P = Vj[:, [0, 0, 0, 1, 1, 2]] * Vj[:, [0, 1, 2, 1, 2, 2]]
    hi = jax.lax.Precision.HIGHEST
    out["single_dot"] = h(jax.jit(lambda P: jnp.matmul(P.T, P, precision=hi))(P),
                          jax.jit(lambda V: jnp.sum(V, axis=0))(Vj))
    out["fixed"] = h(jax.jit(jb._tree_sum)(Vj))
    perm = np.random.default_rng(0).permutation(len(V))
    out["permuted"] = h(jax.jit(jb._tree_sum)(Vj[perm]))
print(json.dumps(out))
"""


def _threads_child(*cpu):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", _THREADS_CHILD, *map(str, cpu)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_block_sums_do_not_depend_on_threads():
    """XLA's CPU runtime sizes its thread pool by the CPUs a process may use, and splits long
    reductions and contractions accordingly (docs/backends.md, "What is guaranteed"): the block
    sums must be the same bits pinned to one CPU as on all of them. Controls: the formulation
    used before this was fixed gives other bits with one thread than with several (so the
    setting exercises the thread-dependent code), and a different summation order other bits."""
    import os

    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        pytest.skip("needs at least two CPUs to compare thread counts")
    one, many = _threads_child(cpus[0]), _threads_child()
    assert one["block_sums"] == many["block_sums"]
    assert one["fixed"] == many["fixed"] and one["fixed"] != one["permuted"]
    if one["single_dot"] == many["single_dot"]:
        pytest.skip("this XLA gave one summation order for any thread count even to a single "
                    "long dot; the check above had nothing to catch on this machine")


def test_cli_jax_json_records_backend_dtype_device(capsys):
    status, out, err = _cli(capsys, *MC, "--backend", "jax", "--dtype", "float32")
    assert status == 0, err
    obj = json.loads(out)
    assert (obj["backend"], obj["dtype"]) == ("jax", "float32")
    assert obj["device"] == device_description("jax")
    K = nq.gp_kernel(nq.Network("erf", width=10), [0.1, 0.5])
    assert np.all(np.isfinite(obj["connected"])) and abs(obj["gp"][0] - 3 * K[0, 0] ** 2) < 1e-9


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("width", [3, 20])
@pytest.mark.parametrize("name", sorted(CASES))
def test_conditional_matches_exact_all_activations(name, width, dtype):
    """Every activation, both precisions, orders 4 and 6 against the exact engine, with the
    negative control (the sizes of tests/test_mc_vs_exact.py)."""
    kw, X = CASES[name]
    net = nq.Network(width=width, **kw)
    ex = exact_correlators(net, X, orders=(6,))
    c = estimate_correlators(net, X, orders=(6,), n_networks=40000, seed=width,
                             estimator="conditional", backend="jax", dtype=dtype)
    assert not c.meta["heavy_tail"]["fired"]
    for n in (4, 6):
        _powerful(c, n, ex.connected(n))
        assert _zmax(c.connected(n), c.connected_err(n), ex.connected(n)) < 4.5, (name, n)
        assert _zmax(c.connected(n), c.connected_err(n), _wrong(net, X, n)) > 4.5
