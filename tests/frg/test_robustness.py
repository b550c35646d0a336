"""High-order polynomial fixed points, the choice of nu, the independent grid seed and the
numerical-failure contract (issue 12, items 4 and 5; docs/frg.md#robustness)."""

import json

import numpy as np
import pytest

import nnqft.frg as F
from nnqft.cli import main
from nnqft.errors import NumericalError
from nnqft.frg.fixedpoint import classify_spectrum

NU_LITIM_N1 = 0.649561773880   # Bervillier, Juttner, Litim hep-th/0701172 (docs/frg.md)
OMEGA_LITIM_N1 = 0.6557459391
NU_LITIM_N2 = 0.708211         # Litim hep-th/0203006 [L02], 6 digits
OMEGA_LITIM_N2 = 0.671221


@pytest.fixture(scope="module")
def litim_n1_order36():
    return F.LPA(3, 1).fixed_point(order=36)


def test_polynomial_converges_beyond_order_30(litim_n1_order36):
    # the scaled Newton criterion carries the continuation past order 16 (where an absolute
    # 1e-13 on the factorial-carrying equations stopped it) to order 36. On the plateau,
    # orders 30..36, nu and omega agree with the published 12- and 10-digit values to the
    # oscillation amplitude measured there (nu <= 1.3e-11, omega <= 1.2e-9): tolerances 3e-11
    # and 3e-9. Order 16 is 3.1e-8 off in nu, 1000 times more: convergence, not luck.
    seq = {c["order"]: c for c in litim_n1_order36.convergence}
    assert sorted(seq) == list(range(2, 37))
    for M in range(30, 37):
        assert abs(seq[M]["nu"] - NU_LITIM_N1) < 3e-11
        assert abs(seq[M]["omega"] - OMEGA_LITIM_N1) < 3e-9
    assert abs(seq[16]["nu"] - NU_LITIM_N1) > 1e-8
    # one relevant direction at every order >= 2 (the Wilson-Fisher point)
    assert all(len(seq[M]["relevant"]) == 1 for M in seq)
    d = litim_n1_order36.diagnostics
    assert d["scaled_residual"] < d["floor_tolerance"] and d["window_radius"] > 0


def test_polynomial_n2_plateau_matches_published():
    # n = 2: the plateau (orders 30..34) is self-consistent to 1e-10 and matches the 6-digit
    # values of [L02] to their last digit (relative 1e-6)
    fp = F.LPA(3, 2).fixed_point(order=34)
    seq = {c["order"]: c for c in fp.convergence}
    nus = [seq[M]["nu"] for M in range(30, 35)]
    oms = [seq[M]["omega"] for M in range(30, 35)]
    assert max(nus) - min(nus) < 1e-10 and max(oms) - min(oms) < 1e-9
    assert nus[-1] == pytest.approx(NU_LITIM_N2, rel=1e-6)
    assert oms[-1] == pytest.approx(OMEGA_LITIM_N2, rel=1e-6)


def test_high_order_warns():
    with pytest.warns(UserWarning, match="rounding"):
        fp = F.LPA(3, 1).fixed_point(order=F.fixedpoint.MAX_RELIABLE_ORDER + 1)
    assert fp.diagnostics["beyond_reliable_order"]


def test_nu_from_most_relevant_direction():
    # a stability matrix with two relevant directions (theta = 2 and 0.5) and two irrelevant
    # ones, in a generic basis: nu = 1/2 (the leading, thermal direction), both are reported,
    # omega is the smallest positive eigenvalue. Negative control: the old rule (least negative
    # eigenvalue) gives nu = 2, the subleading field.
    rng = np.random.default_rng(1)
    evals = np.array([-2.0, -0.5, 0.7, 3.0])
    B = rng.normal(size=(4, 4))
    J = B @ np.diag(evals) @ np.linalg.inv(B)
    ev, nu, omega, info = classify_spectrum(J)
    np.testing.assert_allclose(ev, evals, atol=1e-12)
    assert nu == pytest.approx(0.5, rel=1e-12)
    assert omega == pytest.approx(0.7, rel=1e-12)
    np.testing.assert_allclose(info["relevant"], [2.0, 0.5], rtol=1e-12)
    assert -1.0 / max(e for e in ev if e < 0) == pytest.approx(2.0)  # the old rule


def test_direction_off_the_mass_is_not_nu():
    # an eigenvector that lives on higher couplings and leaves the mass direction (parameters
    # 0 and 1: the minimum and u'' there) alone is not the thermal direction: listed among the
    # relevant ones, but nu comes from the direction that moves the mass. Negative control:
    # without the mass criterion the spurious theta = 4 would give nu = 1/4.
    n = 8
    V = np.eye(n)
    V[:, 0] = np.r_[np.ones(2), np.zeros(n - 2)] / np.sqrt(2)   # thermal: the mass direction
    V[:, 1] = np.r_[np.zeros(4), np.ones(2), np.zeros(2)] / np.sqrt(2)   # spurious
    V[:, 5] = np.eye(n)[1]                                       # keeps V invertible
    evals = np.array([-1.5, -4.0, 0.6, 1.0, 2.0, 3.0, 4.0, 5.0])
    J = V @ np.diag(evals) @ np.linalg.inv(V)
    ev, nu, omega, info = classify_spectrum(J, mass_components=(0, 1))
    assert nu == pytest.approx(1 / 1.5, rel=1e-12)
    assert info["relevant"] == pytest.approx([4.0, 1.5]) and info["n_relevant_physical"] == 1
    assert info["relevant_mass_share"][0] < 1e-12 < 0.5 < info["relevant_mass_share"][1]
    assert classify_spectrum(J)[1] == pytest.approx(0.25)


@pytest.mark.slow
def test_spurious_relevant_modes_beyond_double_precision():
    # order 73 (far beyond MAX_RELIABLE_ORDER) grows spurious relevant eigenvalues (theta = 5.1,
    # measured) with no weight on the mass direction; nu still comes from the thermal direction
    # (0.654, rounding-corrupted by 5e-3) and not from 1/5.1
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fp = F.LPA(3, 1).fixed_point(order=73)
    assert len(fp.relevant) > 1 and max(fp.relevant) > 3
    assert fp.nu == pytest.approx(NU_LITIM_N1, abs=2e-2)


def test_grid_seed_is_independent_of_the_polynomial_method():
    # the default grid seed is the order-2 closed form (nu = 1/2, u'(0) 20% off), and Newton on
    # the grid takes it to the same discrete solution as a seed from the order-12 polynomial
    # fixed point: agreement to Newton's accuracy (1e-9), so the grid is an independent check
    lpa = F.LPA(3, 1)
    q = lpa.fixed_point(method="grid", n_points=81)
    p = lpa.fixed_point(method="grid", n_points=81, seed="polynomial", r_max=q.diagnostics["r_max"])
    assert q.diagnostics["seed"] == "quadratic" and "closed form" in q.diagnostics["seed_description"]
    r0, lam2 = F.fixedpoint.lowest_order_seed(3, 1, lpa.dimensionless_poles())
    assert abs(-lam2 * r0 - q.du[0]) > 0.1 * abs(q.du[0])
    assert q.nu == pytest.approx(p.nu, abs=1e-9) and q.omega == pytest.approx(p.omega, abs=1e-9)
    # and both within the grid's O(h^2) error (~2e-5 at 81 points) of the published nu
    assert q.nu == pytest.approx(NU_LITIM_N1, abs=1e-4)
    d = q.diagnostics
    assert d["modes_dropped"] > 0 and d["modes_kept"] >= 2 and "second difference" in d[
        "eigenvector_filter"]


def test_numerical_error_is_not_bad_input():
    assert issubclass(NumericalError, RuntimeError) and not issubclass(NumericalError, ValueError)
    # d = 2.02: the order-2 reduction that seeds the polynomial method has no root (a failure of
    # the method, not of the input: shooting finds the fixed point)
    with pytest.raises(NumericalError, match="no Wilson-Fisher seed.*--method shooting"):
        F.LPA(2.02, 1).fixed_point(order=6)


def test_cli_exit_codes(capsys):
    # numerical failure: exit 1, one line naming what failed and what to try
    with pytest.raises(SystemExit) as e:
        main(["frg", "exponents", "--dim", "2.02", "--order", "6"])
    assert e.value.code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "numerical failure" in err and "Wilson-Fisher seed" in err and "--method" in err
    # bad input: exit 2
    for args in (["--dim", "4.5"], ["--order", "1"], ["--method", "grid", "--grid-points", "5"]):
        with pytest.raises(SystemExit) as e:
            main(["frg", "exponents", *args])
        assert e.value.code == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_cli_json_reports_relevant_and_diagnostics(capsys):
    assert main(["frg", "exponents", "--order", "10", "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["relevant"] == pytest.approx([1 / obj["nu"]])
    fpk = obj["fixed_point"]
    assert fpk["kappa"] == fpk["minimum"] and fpk["lambda"] == fpk["curvature"]
    assert obj["diagnostics"]["seed"].startswith("order-2")
