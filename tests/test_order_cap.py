"""Orders and partitions (issue: `--order 40` exhausted memory, `--order 1000` overflowed).

Even set partitions are enumerated directly; orders above MAX_ORDER = 12 are refused before any
enumeration, with one line and exit status 2 on the command line.
"""

import math

import numpy as np
import pytest

import nnqft as nq
from cli_helpers import run_cli
from nnqft.combinatorics import MAX_ORDER, _set_partitions, even_partitions
from nnqft.correlators import connected_from_full, full_from_connected, partition_sum

# Number of set partitions of n points into blocks of even size (OEIS A005046).
A005046 = {0: 1, 2: 1, 4: 4, 6: 31, 8: 379, 10: 6556, 12: 150349}


@pytest.mark.parametrize("n", [0, 2, 4, 6, 8, 10])
def test_even_partitions_equal_filtered_set_partitions(n):
    """Direct enumeration = all Bell(n) set partitions filtered to even blocks (as sets)."""
    direct = even_partitions(n)
    filtered = {p for p in _set_partitions(n) if all(len(b) % 2 == 0 for b in p)}
    assert len(direct) == len(set(direct)) == A005046[n]
    assert set(direct) == filtered


def test_even_partitions_count_at_the_cap():
    assert MAX_ORDER == 12
    assert len(even_partitions(12)) == A005046[12]
    assert even_partitions(5) == ()


@pytest.mark.parametrize("n", [14, 40, 1000])
def test_orders_above_the_cap_are_refused(n):
    with pytest.raises(ValueError, match="largest supported order 12"):
        even_partitions(n)
    with pytest.raises(ValueError, match="largest supported order 12"):
        nq.exact_correlators(nq.Network("erf", width=10), [0.1, 0.2], orders=(n,))
    with pytest.raises(ValueError, match="largest supported order 12"):
        nq.estimate_correlators(nq.Network("erf", width=10), [0.1, 0.2], orders=(n,),
                                n_networks=100)


def _old_terms(order):
    """The previous enumeration: every set partition, filtered (reference for the sums)."""
    parts = [p for p in _set_partitions(order) if all(len(b) % 2 == 0 for b in p)]
    return [((-1) ** (len(p) - 1) * math.factorial(len(p) - 1), p) for p in parts]


@pytest.mark.parametrize("order", [4, 6, 8])
def test_results_at_existing_orders_unchanged(order):
    """Moment-cumulant maps and exact correlators agree with the old enumeration to rounding
    (1e-13 relative: only the order of the floating-point sum differs)."""
    rng = np.random.default_rng(order)
    n_x = 3
    full = {k: rng.normal(size=math.comb(n_x + k - 1, k)) for k in range(2, order + 1, 2)}
    new = connected_from_full(full, n_x, order)
    old = partition_sum(full, n_x, order, _old_terms(order))
    np.testing.assert_allclose(new, old, rtol=1e-13, atol=1e-13 * np.max(np.abs(old)))
    back = full_from_connected({k: connected_from_full(full, n_x, k) for k in full}, n_x, order)
    # the round trip cancels terms ~100x larger than the result among 379 partitions (n = 8)
    np.testing.assert_allclose(back, full[order], rtol=1e-9, atol=1e-9)
    # exact engine, normal law: B_n = sum over even partitions of (-1)^(|p|-1)(|p|-1)! prod e C
    net = nq.Network("gauss", width=7, sigma_b=0.4)
    X = [0.1, -0.3, 0.5]
    br = nq.exact.connected_brackets(net, X, orders=(order,))
    C = nq.moments.single_neuron_moment_table(net, X, range(2, order + 1, 2))
    e = nq.exact.weight_law_moments("normal", order)
    terms = [(c * math.prod(e[len(b)] for b in p), p) for c, p in _old_terms(order)]
    ref = partition_sum(C, n_x, order, terms)
    np.testing.assert_allclose(br[order], ref, rtol=1e-13)


@pytest.mark.parametrize("order,mode", [("40", ["--exact"]), ("1000", ["--exact"]),
                                        ("14", ["--networks", "100"]),
                                        ("1000", ["--networks", "100"])])
def test_cli_order_cap(capsys, order, mode):
    status, out, err = run_cli(capsys, "correlators", "--net", "erf", "--inputs", "[0.1, 0.2]",
                               "--order", order, *mode, "--json", "--quiet")
    assert status == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "from 2 to 12" in err and "Traceback" not in err


def test_cli_order_at_the_cap_runs(capsys):
    status, out, err = run_cli(capsys, "correlators", "--net", "gauss", "--width", "5",
                               "--sigma-b", "0.3", "--inputs", "[0.1]", "--order", "12",
                               "--exact", "--json")
    assert status == 0, err
