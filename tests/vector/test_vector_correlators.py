"""Multi-output networks (O(n) fields): exact and Monte Carlo correlators with output indices.

Independent truths used here (docs/vector.md):

- the one-output engine (:mod:`nnqft.exact`), which the general formula must equal at n = 1;
- the delta structure built by hand from single-neuron moments:
  G4_c = (sigma_w^4 / N) [sum_3 delta delta (C4 - C2 C2) + c4 delta_abcd C4] and
  G6_c = (sigma_w^6 / N^2) sum_15 delta delta delta [C6 - sum_(pairs R of the matching)
  C4 C2(R) + 2 C2 C2 C2] for a normal law;
- Monte Carlo with fixed seeds, judged by z-scores |z| < 4.5 per sorted tuple with a power
  requirement (median error <= 10% of the largest exact value) and negative controls (the
  tensor without output deltas, and the diagonal-only tensor) that must fail the same test.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnqft as nq
from nnqft.correlators import Correlators
from nnqft.estimate import estimate_correlators
from nnqft.exact import exact_correlators
from nnqft.moments import single_neuron_moment_table
from nnqft.networks import weight_law_cumulants
from nnqft.sampling import sample_outputs
from nnqft.vector import (
    VectorCorrelators,
    exact_vector_correlators,
    point_kernel,
    rotate_outputs,
)

X3 = [-1.0, 0.4, 1.2]
Z_MAX = 4.5


def _scalar_tensor(c: Correlators, n: int) -> np.ndarray:
    return c.tensor("connected", n)


def _by_hand(net, X, n):
    """G_n,c over (input, output) indices (split shape) from single-neuron moments."""
    nx, m = len(X), net.d_out
    C = single_neuron_moment_table(net, nq.as_inputs(X), (2, 4, 6))
    from nnqft.correlators import symmetric_tensor

    C2 = symmetric_tensor(C[2], nx, 2)
    C4 = symmetric_tensor(C[4], nx, 4)
    I = np.eye(m)
    N, sw = net.last_width, net.sigma_w
    if n == 2:
        K = net.sigma_b**2 + sw**2 * C2
        return np.einsum("ij,ab->iajb", K, I)
    if n == 4:
        out = np.zeros((nx, m) * 4)
        for (p, q), (r, s) in (((0, 1), (2, 3)), ((0, 2), (1, 3)), ((0, 3), (1, 2))):
            amp = C4 - np.einsum(f"{'ijkl'[p]}{'ijkl'[q]},{'ijkl'[r]}{'ijkl'[s]}->ijkl", C2, C2)
            dd = np.einsum(f"{'abcd'[p]}{'abcd'[q]},{'abcd'[r]}{'abcd'[s]}->abcd", I, I)
            out += np.einsum("ijkl,abcd->iajbkcld", amp, dd)
        c4, _ = weight_law_cumulants(net.weight_law)
        diag = np.zeros((m,) * 4)
        for a in range(m):
            diag[a, a, a, a] = 1.0
        out += c4 * np.einsum("ijkl,abcd->iajbkcld", C4, diag)
        return sw**4 / N * out
    assert n == 6 and net.weight_law == "normal"
    C6 = symmetric_tensor(C[6], nx, 6)
    from nnqft.combinatorics import perfect_matchings

    xs, os_ = "ijklmn", "abcdef"
    out = np.zeros((nx, m) * 6)
    for M in perfect_matchings(6):
        amp = C6.copy()
        for R in M:
            rest = [v for v in range(6) if v not in R]
            amp -= np.einsum(f"{''.join(xs[v] for v in rest)},{xs[R[0]]}{xs[R[1]]}->{xs}",
                             C4, C2)
        amp += 2 * np.einsum(",".join(f"{xs[a]}{xs[b]}" for a, b in M) + f"->{xs}", C2, C2, C2)
        ddd = np.einsum(",".join(f"{os_[a]}{os_[b]}" for a, b in M) + f"->{os_}", I, I, I)
        out += np.einsum(f"{xs},{os_}->iajbkcldmenf", amp, ddd)
    return sw**6 / N**2 * out


# ---------------------------------------------------------------------------- network API
def test_outputs_alias_hash_and_samples():
    a = nq.Network("erf", width=7, outputs=3)
    assert a.d_out == a.outputs == 3 and a == nq.Network("erf", width=7, d_out=3)
    one = nq.Network("erf", width=7)
    assert one.outputs == 1 and "outputs" not in one.canonical()
    # canonical (hence content hash and every seed) of one output is unchanged
    assert one.canonical() == nq.Network("erf", width=7, outputs=1).canonical()
    assert one.content_hash() == nq.Network("erf", width=7, d_out=1).content_hash()
    assert a.replace(outputs=2).d_out == 2 and a.replace(width=3).outputs == 3
    for kw in (dict(outputs=0), dict(outputs=-1), dict(outputs=2, d_out=3), dict(outputs=1.5)):
        with pytest.raises(ValueError, match="outputs"):
            nq.Network("erf", **kw)
    f = sample_outputs(a, X3, 40, seed=1)
    assert f.shape == (40, 3, 3)
    assert sample_outputs(one, X3, 40, seed=1).shape == (40, 3)


# ---------------------------------------------------------------------------- exact
@pytest.mark.parametrize("act", ["erf", "relu", "gauss", "cos"])
def test_general_formula_at_one_output_equals_scalar_engine(act):
    net = nq.Network(act, width=5, sigma_b=0.4)
    X = [-0.3, 0.2, 0.7]
    a = exact_correlators(net, X, orders=(2, 4, 6, 8))
    b = exact_vector_correlators(net, X, orders=(2, 4, 6, 8))
    assert type(a) is Correlators
    for n in a.orders:
        scale = np.abs(a.connected(n)).max()
        assert np.allclose(b.connected(n), a.connected(n), rtol=0, atol=1e-13 * scale)
        assert np.allclose(b.full(n), a.full(n), rtol=0, atol=1e-13 * np.abs(a.full(n)).max())
        assert np.array_equal(b.tuples(n)[..., 0], a.tuples(n))
        assert np.all(b.tuples(n)[..., 1] == 0)


@pytest.mark.parametrize("law", ["normal", "uniform"])
@pytest.mark.parametrize("m", [2, 3])
def test_exact_delta_structure_against_hand_built_tensor(law, m):
    net = nq.Network("erf", width=7, sigma_w=1.3, sigma_b=0.4, outputs=m, weight_law=law)
    c = exact_correlators(net, X3, orders=(2, 4, 6))
    assert isinstance(c, VectorCorrelators) and c.outputs == m
    for n in (2, 4) + ((6,) if law == "normal" else ()):
        ref = _by_hand(net, X3, n)
        got = c.tensor("connected", n, split=True)
        assert got.shape == (3, m) * n
        assert np.allclose(got, ref, rtol=0, atol=1e-13 * np.abs(ref).max()), n
    # free part: delta_ab K
    K = nq.gp_kernel(net, X3)
    assert np.allclose(c.tensor("connected", 2), point_kernel(K, m))
    # full tensor is symmetric under exchange of two (input, output) slots
    t = c.tensor("full", 4)
    assert np.allclose(t, np.transpose(t, (2, 1, 0, 3)))


def test_uniform_law_diagonal_term_only_on_equal_outputs():
    """kappa_4(W1) enters only when all four output indices are equal (docs/vector.md)."""
    X = [0.3, 0.9]
    n_, u_ = (exact_correlators(nq.Network("erf", width=4, outputs=2, weight_law=w), X,
                                orders=(4,)).tensor("connected", 4, split=True)
              for w in ("normal", "uniform"))
    diff = u_ - n_
    C4 = single_neuron_moment_table(nq.Network("erf", width=4), nq.as_inputs(X), (4,))[4]
    from nnqft.correlators import symmetric_tensor

    C4 = symmetric_tensor(C4, 2, 4)
    for a, b, cc, d in itertools.product(range(2), repeat=4):
        block = diff[:, a, :, b, :, cc, :, d]
        if a == b == cc == d:
            assert np.allclose(block, -6 / 5 / 4 * C4, rtol=1e-12, atol=0)
        else:
            assert np.all(block == 0)


def test_exact_order_6_three_outputs_four_inputs_shapes():
    net = nq.Network("erf", width=7, outputs=3, sigma_b=0.4)
    c = exact_correlators(net, [0.3, 0.8, -0.5, 1.1], orders=(6,))
    assert c.tuples(6).shape == (12376, 6, 2)  # C(12 + 5, 6) sorted tuples of 12 points
    assert c.tensor("connected", 6).shape == (12,) * 6
    # odd output multiplicities vanish exactly
    T = c.tuples(6)
    odd = np.array([any(np.sum(t[:, 1] == a) % 2 for a in range(3)) for t in T])
    assert np.all(c.connected(6)[odd] == 0) and np.all(c.full(6)[odd] == 0)
    assert np.all(np.isnan(c.deviation(6)[odd]))
    assert c.value("connected", [[0, 2], [0, 2], [1, 1], [1, 1], [3, 0], [3, 0]]) != 0
    with pytest.raises(ValueError, match="output index"):
        c.value("connected", [[0, 3], [0, 3]])


# ---------------------------------------------------------------------------- O(n)
def _rotation(m, seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((m, m)))
    return q * np.sign(np.diag(r))


@settings(max_examples=15, deadline=None)
@given(m=st.integers(2, 3), seed=st.integers(0, 2**31 - 1), order=st.sampled_from([2, 4, 6]),
       act=st.sampled_from(["erf", "relu", "cos"]))
def test_exact_tensor_is_O_n_invariant(m, seed, order, act):
    net = nq.Network(act, width=3, outputs=m, sigma_b=0.3)
    c = exact_correlators(net, [0.2, -0.6], orders=(order,))
    R = _rotation(m, seed)
    for kind in ("connected", "full"):
        t = c.tensor(kind, order, split=True)
        assert np.allclose(rotate_outputs(t, R), t, rtol=0, atol=1e-12 * np.abs(t).max())


def test_uniform_law_is_not_rotation_invariant_but_permutation_invariant():
    net = nq.Network("erf", width=3, outputs=2, weight_law="uniform")
    t = exact_correlators(net, [0.2, -0.6], orders=(4,)).tensor("connected", 4, split=True)
    c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)
    rot = rotate_outputs(t, np.array([[c, -s], [s, c]]))
    assert np.abs(rot - t).max() > 0.01 * np.abs(t).max()
    perm = rotate_outputs(t, np.array([[0.0, -1.0], [1.0, 0.0]]))
    assert np.allclose(perm, t, rtol=0, atol=1e-14 * np.abs(t).max())


# ---------------------------------------------------------------------------- Monte Carlo
def _zmax(c, exact_vals, n):
    err = c.connected_err(n)
    zero = exact_vals == 0
    nz = ~zero & (err > 0)
    assert np.median(err[nz]) <= 0.1 * np.abs(exact_vals).max(), "test lacks power"
    z = (c.connected(n)[nz] - exact_vals[nz]) / err[nz]
    zz = 0.0
    if np.any(zero & (err > 0)):
        zz = np.max(np.abs(c.connected(n)[zero & (err > 0)]) / err[zero & (err > 0)])
    return max(np.abs(z).max(), zz)


def _controls(net, X, n):
    """Negative controls over sorted point tuples: no output deltas (every output the same
    field) and the diagonal-only tensor (sum of the pairings on equal outputs only)."""
    scalar = exact_correlators(net.replace(outputs=1), X, orders=(n,))
    c = exact_correlators(net, X, orders=(n,))
    T = c.tuples(n)
    from nnqft.combinatorics import tuple_index

    idx = tuple_index(T[..., 0], len(X))
    no_delta = scalar.connected(n)[idx]
    same = np.all(T[..., 1] == T[:, :1, 1], axis=1)
    diag_only = np.where(same, no_delta, 0.0)
    return {"no deltas": no_delta, "diagonal only": diag_only}


@pytest.mark.parametrize("m", [2, 3])
def test_conditional_vs_exact_depth1(m):
    net = nq.Network("erf", width=3, outputs=m, sigma_b=0.5)
    ex = exact_correlators(net, X3, orders=(2, 4, 6))
    mc = estimate_correlators(net, X3, orders=(2, 4, 6), n_networks=40000, seed=11)
    assert isinstance(mc, VectorCorrelators) and mc.estimator == "conditional"
    for n in (2, 4, 6):
        assert _zmax(mc, ex.connected(n), n) < Z_MAX, n
        # the conditional estimator carries the output deltas exactly
        assert np.all(mc.connected(n)[ex.connected(n) == 0] == 0)
    for name, wrong in _controls(net, X3, 4).items():
        err = mc.connected_err(4)
        ok = err > 0
        z = np.abs(mc.connected(4)[ok] - wrong[ok]) / err[ok]
        z_zero = np.abs(wrong[~ok]).max() if np.any(~ok) else 0.0
        assert max(z.max(), np.inf if z_zero > 0 else 0.0) > 10, name


@pytest.mark.parametrize("m", [2, 3])
def test_raw_vs_exact_depth1(m):
    net = nq.Network("erf", width=3, outputs=m, sigma_b=0.5)
    ex = exact_correlators(net, X3, orders=(2, 4))
    mc = estimate_correlators(net, X3, orders=(2, 4), n_networks=60000, seed=12,
                              estimator="raw")
    assert _zmax(mc, ex.connected(4), 4) < Z_MAX
    assert _zmax(mc, ex.connected(2), 2) < Z_MAX
    for name, wrong in _controls(net, X3, 4).items():
        z = np.abs(mc.connected(4) - wrong) / mc.connected_err(4)
        assert z.max() > 10, name


def test_raw_uniform_law_vs_exact():
    net = nq.Network("erf", width=3, outputs=2, sigma_b=0.5, weight_law="uniform")
    ex = exact_correlators(net, X3[:2], orders=(2, 4))
    mc = estimate_correlators(net, X3[:2], orders=(2, 4), n_networks=60000, seed=13)
    assert mc.estimator == "raw"
    assert _zmax(mc, ex.connected(4), 4) < Z_MAX
    normal = exact_correlators(net.replace(weight_law="normal"), X3[:2], orders=(4,))
    z = np.abs(mc.connected(4) - normal.connected(4)) / mc.connected_err(4)
    assert z.max() > 5  # the diagonal kappa_4 term is resolved


def test_raw_vs_conditional_depth2():
    """Depth 2 has no closed form: the two estimators (independent seeds) must agree, and the
    conditional tensor with its output deltas dropped must not."""
    net = nq.Network("erf", width=3, depth=2, outputs=2, sigma_b=0.5)
    X = X3[:2]
    cond = estimate_correlators(net, X, orders=(2, 4), n_networks=40000, seed=21)
    raw = estimate_correlators(net, X, orders=(2, 4), n_networks=60000, seed=22,
                               estimator="raw")
    e = np.hypot(cond.connected_err(4), raw.connected_err(4))
    assert np.median(e) <= 0.1 * np.abs(cond.connected(4)).max(), "test lacks power"
    z = (raw.connected(4) - cond.connected(4)) / e
    assert np.abs(z).max() < Z_MAX
    # negative control: the same Kh cumulants without output deltas
    T = cond.tuples(4)
    from nnqft.combinatorics import tuple_index

    scalar = estimate_correlators(net.replace(outputs=1), X, orders=(2, 4), n_networks=40000,
                                  seed=21)
    wrong = scalar.connected(4)[tuple_index(T[..., 0], 2)]
    zw = (raw.connected(4) - wrong) / np.hypot(raw.connected_err(4), scalar.connected_err(4)[
        tuple_index(T[..., 0], 2)])
    assert np.abs(zw).max() > 10


def test_rotated_samples_have_the_same_law():
    """O(n) invariance of the Monte Carlo law: raw moments of R f (normal law) match the exact
    tensor, which is what the unrotated ensemble estimates."""
    from nnqft.accumulate import MomentSums
    from nnqft.correlators import connected_from_full

    net = nq.Network("erf", width=3, outputs=2, sigma_b=0.5)
    X = X3[:2]
    R = _rotation(2, 5)
    f = sample_outputs(net, X, 64000, seed=31)  # (M, n_x, 2)
    g = np.einsum("ab,mxb->mxa", R, f).reshape(len(f), -1)
    ex = exact_correlators(net, X, orders=(2, 4))
    # 64 batch means for a jackknife error
    parts = [MomentSums.from_samples(b, (2, 4)) for b in np.split(g, 64)]
    tot = parts[0]
    for p in parts[1:]:
        tot = tot.merge(p)
    full = {k: tot.sums[k] / tot.count for k in (2, 4)}
    est = connected_from_full(full, 4, 4)
    reps = []
    for p in parts:
        c = tot.count - p.count
        fr = {k: (tot.sums[k] - p.sums[k]) / c for k in (2, 4)}
        reps.append(connected_from_full(fr, 4, 4))
    reps = np.array(reps)
    err = np.sqrt(63 / 64 * np.sum((reps - reps.mean(0)) ** 2, axis=0))
    z = (est - ex.connected(4)) / err
    assert np.abs(z).max() < Z_MAX
    assert np.median(err) <= 0.1 * np.abs(ex.connected(4)).max()


def test_one_output_monte_carlo_stays_scalar():
    net = nq.Network("erf", width=4, sigma_b=0.5)
    c = estimate_correlators(net, X3, orders=(2, 4), n_networks=2000, seed=1)
    assert type(c) is Correlators and c.tuples(4).shape == (15, 4)


def test_vector_dataset_round_trip():
    net = nq.Network("erf", width=3, outputs=2, sigma_b=0.5)
    c = estimate_correlators(net, X3[:2], orders=(2, 4), n_networks=1000, seed=2)
    ds = c.to_dataset()
    back = VectorCorrelators.from_dataset(ds)
    assert back.outputs == 2
    for n in (2, 4):
        assert np.array_equal(back.connected(n), c.connected(n))
        assert np.array_equal(back.connected_err(n), c.connected_err(n))
        assert np.array_equal(np.asarray(ds[f"tuples_{n}"]), c.tuples(n))
