"""Criticality: critical points and the depth dependence of the normalised vertex."""

import math

import numpy as np
import pytest

import nnqft as nq
from nnqft.deep import critical_point, normalized_vertex, susceptibilities


@pytest.mark.parametrize("act,sw", [("tanh", 1.0), ("erf", math.sqrt(math.pi) / 2),
                                    ("relu", math.sqrt(2.0)), (np.tanh, 1.0)])
def test_critical_points(act, sw):
    cp = critical_point(act)
    assert cp["sigma_b"] == pytest.approx(0.0, abs=1e-6)
    assert cp["sigma_w"] == pytest.approx(sw, rel=1e-6)
    chi_par, chi_perp = susceptibilities(act, cp["sigma_w"], max(cp["K_star"], 1e-8))
    assert chi_par == pytest.approx(1.0, abs=1e-6)
    assert chi_perp == pytest.approx(1.0, abs=1e-6)


def test_off_critical_susceptibilities():
    chi_par, chi_perp = susceptibilities("tanh", 1.5, 0.5)
    assert chi_par < chi_perp  # <phi phi''> < 0 for tanh
    chi_par, chi_perp = susceptibilities("relu", 1.2, 0.7)
    assert chi_par == pytest.approx(0.72) and chi_perp == pytest.approx(0.72)


def test_vertex_linear_at_criticality():
    N = 100
    v = normalized_vertex(nq.Network("relu", width=N, depth=20, sigma_w=math.sqrt(2),
                                     sigma_b=0.0), [1.0])
    np.testing.assert_allclose(np.diff(v[1:]), 5 / N, rtol=1e-12)  # exactly 5 L / N
    v = normalized_vertex(nq.Network("tanh", width=N, depth=60, sigma_w=1.0, sigma_b=0.0), [1.0])
    inc = np.diff(v[1:]) * N
    # [PDLT] ch. 5: the increments tend to 2/3 (with O(1/l) corrections)
    assert inc[-1] == pytest.approx(2 / 3, abs=0.02)
    assert abs(inc[-1] - inc[-10]) < 0.01


def test_vertex_exponential_off_criticality():
    # tanh, sigma_w = 1.5 (chi_perp > 1 phase): the increments decay geometrically
    v = normalized_vertex(nq.Network("tanh", width=100, depth=14, sigma_w=1.5, sigma_b=0.0),
                          [1.0])
    inc = np.abs(np.diff(v[1:]))
    ratios = inc[4:12] / inc[3:11]
    assert np.all(ratios < 0.6)
    assert np.ptp(ratios) < 0.1 * np.mean(ratios) + 0.05
