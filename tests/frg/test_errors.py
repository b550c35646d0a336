"""Bad input gives a one-line ValueError naming the problem."""

import pytest

import nnqft.frg as F


@pytest.mark.parametrize("kwargs, match", [
    ({"dim": -1}, "dim"),
    ({"dim": float("nan")}, "dim"),
    ({"components": 0}, "components"),
    ({"regulator": "sharp"}, "unknown regulator"),
    ({"regulator": "litim", "kinetic": F.ExponentialKinetic(1.0, 2.0)}, "litim_spectral"),
    ({"regulator": "gaussian", "kinetic": F.ExponentialKinetic(1.0, 2.0)}, "defined for"),
])
def test_constructor_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        F.LPA(**kwargs)


def test_order_errors():
    with pytest.raises(ValueError, match="order"):
        F.LPA(3).fixed_point(order=1)
    with pytest.raises(ValueError, match="order"):
        F.LPA(3).flow([1.0, 1.0], (1, 2), order=1)


def test_dimensionless_fixed_point_with_scaled_kinetic_is_refused():
    lpa = F.LPA(3, regulator="litim_spectral", kinetic=F.ExponentialKinetic(1.0, 2.0))
    with pytest.raises(ValueError, match="scale"):
        lpa.fixed_point()
    with pytest.raises(ValueError, match="scale"):
        F.LPA(3, kinetic=F.P2Kinetic(1.0, 0.5)).fixed_point()


def test_other_errors():
    with pytest.raises(ValueError, match="UV down only"):
        F.LPA(3).flow([0.1, 1.0], (0.1, 1.0), method="grid")
    with pytest.raises(ValueError, match="expand_about"):
        F.LPA(3).fixed_point(expand_about="middle")
    with pytest.raises(ValueError, match="2 < d < 4"):
        F.LPA(4.5).fixed_point(order=4)
    with pytest.raises(ValueError, match="k_span"):
        F.LPA(3).flow([0.1, 1.0], (0.0, 1.0))
    with pytest.raises(ValueError, match="positive"):
        F.ExponentialKinetic(-1.0, 2.0)
