"""Values with errors and tuple statistics with jackknife errors (shared by every package).

- :class:`Estimate` is a number with its standard error, the number of samples behind it and
  the method that produced the error (NetKet's ``Stats`` is the model); ``str(est)`` prints
  the value rounded to the digits its error supports: ``0.027 +- 0.012``.
- :func:`format_value_error` is that formatter for plain numbers: the error is rounded to
  ``sig`` (default 2) significant digits and the value to the same decimal place; very large
  or small numbers share one power of ten, ``(2.69 +- 0.12)e-07``; a value known to more than
  ``max_digits`` (8) digits prints them and its error apart, ``-1.5000000e-09 +- 5.9e-26``
  (never a string of 20 digits). A missing error (None:
  exact numbers) prints the value alone; a nan or negative error prints ``+- n/a``, never
  ``nan``.
- :func:`tuple_mean`, :func:`tuple_spread`, :func:`deviation`, :func:`mean_deviation`: every
  summary in :mod:`nnqft.eft`, :mod:`nnqft.experiments` and :mod:`nnqft.reproduce` is an
  unweighted mean (or standard deviation, ddof = 0) over the sorted tuples; its Monte Carlo
  error is the jackknife error of the same statistic over the leave-one-batch-out replicates
  of the correlators (:meth:`nnqft.correlators.Correlators.replicates`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .correlators import Correlators, jackknife_error

__all__ = ["Estimate", "format_value_error", "tuple_mean", "tuple_spread", "deviation",
           "mean_deviation"]

#: Powers of ten at or beyond which a value and its error share a scientific exponent.
_SCI_HIGH, _SCI_LOW = 5, -4


def _finite(x) -> bool:
    return x is not None and isinstance(x, (int, float, np.floating, np.integer)) \
        and math.isfinite(float(x))


def _fixed(x: float, decimals: int) -> str:
    """x rounded to ``decimals`` places (negative: to tens, hundreds, ...), no '-0'."""
    if decimals >= 0:
        s = f"{x:.{decimals}f}"
    else:
        s = f"{round(x, decimals):.0f}"
    if s.lstrip("-").strip("0.") == "":  # a rounded zero prints unsigned
        s = s.lstrip("-")
    return s


def format_value_error(value, error=None, sig: int = 2, plain_digits: int = 6,
                       max_digits: int = 8) -> str:
    """``value +- error`` with the value rounded to the decimal place of the error's last digit.

    Parameters
    ----------
    value : float
    error : float or None
        Standard error. None: an exact number (printed with ``plain_digits`` significant
        digits, no error); nan, inf or negative: ``+- n/a``; 0: ``+- 0``.
    sig : int
        Significant digits of the error (>= 1).
    plain_digits : int
        Significant digits of a value printed without a usable error.
    max_digits : int
        Most significant digits printed for the value (>= ``sig``). An error so small that
        matching its last digit would need more (error / |value| below about
        ``10^(sig - max_digits)``: a value exact to rounding, such as an exact fit) is printed
        in scientific notation on its own, ``-1.5000000e-09 +- 5.9e-26``: the value with
        ``max_digits`` significant digits, the error with ``sig``.

    Examples
    --------
    >>> format_value_error(0.0268911, 0.0118)
    '0.027 +- 0.012'
    >>> format_value_error(-1.23456e-7, 2.3e-9)
    '(-1.235 +- 0.023)e-07'
    >>> format_value_error(-1.5e-9, 5.9e-26)
    '-1.5000000e-09 +- 5.9e-26'
    """
    if sig < 1:
        raise ValueError(f"sig must be >= 1, got {sig}")
    if max_digits < sig:
        raise ValueError(f"max_digits must be >= sig = {sig}, got {max_digits}")
    if not _finite(value):
        v = "nan" if value is None or (isinstance(value, float) and math.isnan(value)) \
            else str(float(value))
        return v if error is None else f"{v} +- n/a"
    value = float(value)
    if error is None:
        return f"{value:.{plain_digits}g}"
    if not _finite(error) or float(error) < 0:
        return f"{value:.{plain_digits}g} +- n/a"
    error = float(error)
    if error == 0.0:
        return f"{value:.{plain_digits}g} +- 0"
    # round the error to `sig` significant digits (this may carry into the next decade)
    e_exp = math.floor(math.log10(error))
    error_r = round(error, sig - 1 - e_exp)
    e_exp = math.floor(math.log10(error_r))
    decimals = sig - 1 - e_exp
    top = max(abs(value), error_r)
    t_exp = math.floor(math.log10(top)) if top > 0 else e_exp
    if t_exp - e_exp + sig > max_digits:  # more digits than any use needs: value and error apart
        return f"{value:.{max_digits - 1}e} +- {error_r:.{sig - 1}e}"
    if t_exp >= _SCI_HIGH or t_exp <= _SCI_LOW:
        scale = 10.0**t_exp
        d = decimals + t_exp
        m_v, m_e = value / scale, error_r / scale
        if d < 0:  # the error is larger than the value's leading digit: scale by the error
            scale, d = 10.0**e_exp, sig - 1
            m_v, m_e, t_exp = value / scale, error_r / scale, e_exp
        return f"({_fixed(m_v, d)} +- {_fixed(m_e, d)})e{t_exp:+03d}"
    return f"{_fixed(value, decimals)} +- {_fixed(error_r, decimals)}"


@dataclass(frozen=True)
class Estimate:
    """A value with its standard error (None when exact), sample count and method.

    Attributes
    ----------
    mean : float
    error : float or None
        Standard error (None: exact; nan: not available).
    n_samples : int or None
        Samples behind the error (networks, batches); None when exact.
    method : str
        How the error was obtained, e.g. ``"jackknife over 64 batches"``.
    """

    mean: float
    error: float | None = None
    n_samples: int | None = None
    method: str = ""

    def __str__(self) -> str:
        return format_value_error(self.mean, self.error)

    def __format__(self, spec: str) -> str:
        """``f"{est}"`` as :func:`format_value_error`; ``f"{est:3}"`` with 3 error digits."""
        return format_value_error(self.mean, self.error, sig=int(spec)) if spec else str(self)

    def __float__(self) -> float:
        return float(self.mean)

    @property
    def exact(self) -> bool:
        return self.error is None

    def z(self, reference: float) -> float:
        """(mean - reference) / error (nan without a positive finite error)."""
        if not _finite(self.error) or not self.error:
            return float("nan")
        return (self.mean - float(reference)) / self.error

    def to_dict(self) -> dict:
        return {"mean": self.mean, "error": self.error, "n_samples": self.n_samples,
                "method": self.method}


def tuple_mean(values, replicates=None) -> tuple[float, float | None]:
    """Unweighted mean over tuples and its jackknife error.

    ``values`` (T,); ``replicates`` (B, T) leave-one-batch-out replicates of the values, or
    None (exact data: the error is None).
    """
    mean = float(np.mean(values))
    if replicates is None:
        return mean, None
    return mean, float(jackknife_error(np.mean(replicates, axis=1)))


def tuple_spread(values, replicates=None) -> tuple[float, float | None]:
    """Standard deviation over tuples (ddof = 0) and its jackknife error (None without
    replicates)."""
    spread = float(np.std(values))
    if replicates is None:
        return spread, None
    return spread, float(jackknife_error(np.std(replicates, axis=1)))


def deviation(c: Correlators, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    """m_n = |G_n - G_n,GP| / |G_n,GP| per tuple ([HMS]) and its replicates (B, T) or None."""
    gp = c.gp(n)
    agp = np.abs(gp)
    reps = c.replicates("full", n)
    return (np.abs(c.full(n) - gp) / agp,
            None if reps is None else np.abs(reps - gp) / agp)


def mean_deviation(c: Correlators, n: int) -> tuple[float, float | None]:
    """Tuple mean of m_n and its jackknife error (None for exact correlators)."""
    return tuple_mean(*deviation(c, n))
