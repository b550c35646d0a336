"""Property tests of the 1/N theory: invariances that hold at every depth."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import nnqft as nq

floats = st.floats(min_value=-1.5, max_value=1.5, allow_nan=False)


@settings(max_examples=15, deadline=None)
@given(xs=st.lists(floats, min_size=3, max_size=3, unique=True),
       perm=st.permutations([0, 1, 2]), act=st.sampled_from(["erf", "relu"]),
       depth=st.integers(1, 3))
def test_input_permutation_permutes_the_tensor(xs, perm, act, depth):
    net = nq.Network(act, width=20, depth=depth, sigma_b=0.4, sigma_w=1.3)
    X = np.array(xs)[:, None]
    a = nq.perturbative_correlators(net, X).tensor("connected", 4)
    b = nq.perturbative_correlators(net, X[list(perm)]).tensor("connected", 4)
    p = list(perm)
    np.testing.assert_allclose(b, a[np.ix_(p, p, p, p)], rtol=1e-9, atol=1e-14)


@settings(max_examples=15, deadline=None)
@given(xs=st.lists(st.floats(0.1, 2.0), min_size=2, max_size=2),
       c=st.floats(0.2, 5.0), depth=st.integers(1, 4))
def test_relu_homogeneity(xs, c, depth):
    """relu with sigma_b = 0 is positively homogeneous: G4_c(c x) = c^4 G4_c(x), G2(c x) = c^2 G2(x)."""
    net = nq.Network("relu", width=30, depth=depth, sigma_b=0.0, sigma_w=1.2)
    X = np.array([[xs[0]], [-xs[1]]])
    a = nq.perturbative_correlators(net, X)
    b = nq.perturbative_correlators(net, c * X)
    # entries that vanish exactly (relu(x z) relu(-x' z) = 0 at depth 1) come out at rounding level
    s4, s2 = np.max(np.abs(a.connected(4))), np.max(np.abs(a.full(2)))
    np.testing.assert_allclose(b.connected(4), c**4 * a.connected(4), rtol=1e-9,
                               atol=1e-13 * c**4 * s4)
    np.testing.assert_allclose(b.full(2), c**2 * a.full(2), rtol=1e-9, atol=1e-13 * c**2 * s2)
