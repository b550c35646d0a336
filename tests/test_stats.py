"""nnqft.stats: the value-with-error formatter and Estimate (property tests), and the tuple
statistics moved from nnqft.eft.stats (still importable there)."""

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnqft.stats import Estimate, format_value_error, tuple_mean


def _parse(s):
    """(value, error, decimals of value string, decimals of error string, error mantissa)."""
    m = re.fullmatch(r"\((\S+) \+- (\S+)\)e([+-]\d+)", s)
    if m:
        a, b, scale = m.group(1), m.group(2), 10.0 ** int(m.group(3))
    else:
        a, b = s.split(" +- ")
        scale = 1.0

    def dec(t):
        return len(t.split(".")[1]) if "." in t else 0

    return float(a) * scale, float(b) * scale, dec(a), dec(b), b, scale


values = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)
errors = st.floats(min_value=1e-12, max_value=1e12, allow_nan=False)


@settings(max_examples=400, deadline=None)
@given(values, errors, st.integers(min_value=1, max_value=4))
def test_digits_match_the_error(value, error, sig):
    """The value is printed to the decimal place of the error's last digit, and rounded
    correctly there; the error keeps `sig` significant digits (within rounding: 5% at sig=1
    worst case 1.5 -> 2 is 33%, so the bound is 0.5 * 10^(1 - sig) relative)."""
    s = format_value_error(value, error, sig=sig)
    if _SEPARATE.fullmatch(s):  # value exact to more than max_digits: tested below
        return
    v, e, dv, de, e_str, scale = _parse(s)
    assert dv == de  # same number of decimals: digits match
    # value of the error's last significant digit (for integers such as "12000 +- 1000" the
    # trailing zeros are not significant)
    unit = (10.0 ** (-de) * scale if "." in e_str
            else 10.0 ** (math.floor(math.log10(e) + 1e-9) - sig + 1) * (scale > 0))
    assert abs(v - value) <= 0.5 * unit * (1 + 1e-9) + 1e-12 * abs(value)
    assert abs(e - error) <= 0.5 * 10.0 ** (1 - sig) * error * (1 + 1e-9)
    if "." in e_str:  # significant digits of the error
        assert len(e_str.replace(".", "").lstrip("0")) == sig
    assert "nan" not in s and "-0 " not in s + " "


#: "-1.5000000e-09 +- 5.9e-26": a value known to more digits than any table needs
_SEPARATE = re.compile(r"(-?\d\.?\d*)e([+-]\d+) \+- (\d\.?\d*)e([+-]\d+)")


@settings(max_examples=400, deadline=None)
@given(values, errors, st.integers(min_value=1, max_value=4),
       st.integers(min_value=4, max_value=12))
def test_value_digits_are_capped(value, error, sig, max_digits):
    """However small the error relative to the value, at most ``max_digits`` significant
    digits of the value are printed (the hms locality table once printed
    ``(-1.500000000000000000 +- 0.000000000000000059)e-09``): the string stays short; when
    the cap applies, value and error print apart in scientific notation, the value rounded
    to ``max_digits`` digits and the error to ``sig``, and only for error / |value| below
    10^(sig - max_digits)."""
    s = format_value_error(value, error, sig=sig, max_digits=max_digits)
    assert len(s) <= max_digits + sig + 20, s
    m = _SEPARATE.fullmatch(s)
    if m is None:
        return
    mv, ev = m.group(1), m.group(3)
    assert len(mv.lstrip("-").replace(".", "")) == max_digits
    assert len(ev.replace(".", "")) == sig
    v, e = float(m.group(1) + "e" + m.group(2)), float(m.group(3) + "e" + m.group(4))
    assert abs(v - value) <= 0.5 * 10.0 ** (1 - max_digits) * abs(value) * (1 + 1e-9)
    assert abs(e - error) <= 0.5 * 10.0 ** (1 - sig) * error * (1 + 1e-9)
    assert e < 10.0 ** (sig - max_digits) * abs(value) * (1 + 1e-9)


@settings(max_examples=200, deadline=None)
@given(values, st.sampled_from([float("nan"), float("inf"), -1.0]))
def test_unusable_errors_never_print_nan(value, bad):
    s = format_value_error(value, bad)
    assert s.endswith("+- n/a") and "nan" not in s
    assert math.isclose(float(s.split(" +- ")[0]), value, rel_tol=1e-5, abs_tol=1e-300)


def test_examples():
    assert format_value_error(0.0268911, 0.0118) == "0.027 +- 0.012"
    assert format_value_error(0.0268911, 0.0118, sig=3) == "0.0269 +- 0.0118"
    assert format_value_error(0.5, 0.0996) == "0.50 +- 0.10"  # the error's rounding carries
    assert format_value_error(-1.23456e-7, 2.3e-9) == "(-1.235 +- 0.023)e-07"
    assert format_value_error(-0.0004, 0.01) == "0.000 +- 0.010"  # no "-0.000"
    assert format_value_error(2.5, None) == "2.5"  # exact: no error
    assert format_value_error(float("nan"), 0.1) == "nan +- n/a"
    # an exact fit's residual error (reproduce hms locality table, relu): no 20-digit strings
    assert format_value_error(-1.5e-9, 5.9e-26) == "-1.5000000e-09 +- 5.9e-26"
    assert format_value_error(-0.12830784, 5.7e-7) == "-0.12830784 +- 0.00000057"  # 8 digits
    assert format_value_error(-0.128307841, 5.7e-8) == "-1.2830784e-01 +- 5.7e-08"  # 9: apart
    with pytest.raises(ValueError, match="max_digits"):
        format_value_error(1.0, 0.1, sig=3, max_digits=2)
    e = Estimate(0.0268911, 0.0118, n_samples=1000, method="jackknife over 64 batches")
    assert str(e) == f"{e}" == "0.027 +- 0.012" and f"{e:3}" == "0.0269 +- 0.0118"
    assert e.z(0.0) == pytest.approx(0.0268911 / 0.0118) and math.isnan(Estimate(1.0).z(0.0))
    assert Estimate(1.0).exact and not e.exact
    with pytest.raises(ValueError, match="sig"):
        format_value_error(1.0, 0.1, sig=0)


def test_eft_stats_is_a_re_export():
    from nnqft.eft import stats as old

    assert old.tuple_mean is tuple_mean
    reps = np.array([[1.0, 2.0], [1.5, 2.5], [0.5, 1.5]])
    m, err = tuple_mean(np.array([1.0, 2.0]), reps)
    assert m == 1.5 and err == pytest.approx(math.sqrt(2 / 3 * 0.5))
