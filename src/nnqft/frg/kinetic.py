"""Kinetic functions Z(p^2) of the LPA ansatz Gamma_k = int [ (1/2) phi Z(-del^2) phi + U_k ].

A kinetic term is a small object with ``Z(p2)``, ``dZ(p2)`` and the two ratio forms the flow
needs, ``dlogZ(p2) = Z'/Z`` and ``inv(p2) = 1/Z``; writing the ``litim_spectral`` flow with these
(docs/theory.md#lpa-flow) keeps it finite where Z itself overflows (Gauss-net:
Z = A exp(p^2/mu^2) at k = 100, mu^2 = 2).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Kinetic", "P2Kinetic", "ExponentialKinetic", "CallableKinetic", "as_kinetic"]


class Kinetic(ABC):
    """Base class. Subclasses define ``Z``, ``dZ``; ``dlogZ`` and ``inv`` default to ratios."""

    #: True when Z carries a scale of its own (then there is no dimensionless fixed point).
    has_scale: bool = True

    @abstractmethod
    def Z(self, p2):
        """Z(p2)."""

    @abstractmethod
    def dZ(self, p2):
        """dZ/dp2."""

    def dlogZ(self, p2):
        """Z'(p2) / Z(p2)."""
        return self.dZ(p2) / self.Z(p2)

    def inv(self, p2):
        """1 / Z(p2)."""
        return 1.0 / self.Z(p2)


@dataclass(frozen=True)
class P2Kinetic(Kinetic):
    """Z(p^2) = Z0 (p^2 + m2): the canonical kinetic term (Z0 = 1, m2 = 0 is plain p^2).

    With ``m2 != 0`` the kinetic term has a scale (a mass inside Z, as in set-up (b) of
    docs/theory.md#set-ups before rescaling), and no dimensionless fixed point exists.
    """

    Z0: float = 1.0
    m2: float = 0.0

    def __post_init__(self):
        if not (math.isfinite(self.Z0) and self.Z0 > 0):
            raise ValueError(f"P2Kinetic: Z0 must be a positive number, got {self.Z0}")
        if not math.isfinite(self.m2):
            raise ValueError(f"P2Kinetic: m2 must be finite, got {self.m2}")

    @property
    def has_scale(self) -> bool:  # type: ignore[override]
        return self.m2 != 0.0

    def Z(self, p2):
        return self.Z0 * (p2 + self.m2)

    def dZ(self, p2):
        return self.Z0 * np.ones_like(np.asarray(p2, dtype=float))[()]


@dataclass(frozen=True)
class ExponentialKinetic(Kinetic):
    """Z(p^2) = A exp(p^2 / mu2): the inverse Gauss-net kernel (docs/theory.md#momentum-space, #set-ups).

    ``dlogZ = 1/mu2`` and ``inv = exp(-p2/mu2)/A`` are evaluated directly, never through Z,
    so nothing overflows at large p2 (``inv`` underflows harmlessly to 0).
    """

    A: float
    mu2: float
    has_scale = True

    def __post_init__(self):
        for name in ("A", "mu2"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"ExponentialKinetic: {name} must be a positive number, got {v}")

    def Z(self, p2):
        return self.A * np.exp(np.asarray(p2) / self.mu2)

    def dZ(self, p2):
        return self.Z(p2) / self.mu2

    def dlogZ(self, p2):
        return 1.0 / self.mu2 + 0.0 * np.asarray(p2)

    def inv(self, p2):
        return np.exp(-np.asarray(p2) / self.mu2) / self.A


@dataclass(frozen=True)
class CallableKinetic(Kinetic):
    """A user kinetic function from callables ``Z(p2)`` and ``dZ(p2)`` (assumed monotone)."""

    Zf: Callable
    dZf: Callable
    has_scale = True

    def Z(self, p2):
        return self.Zf(p2)

    def dZ(self, p2):
        return self.dZf(p2)


def as_kinetic(kinetic) -> Kinetic:
    """None -> P2Kinetic(); a Kinetic -> itself; a pair (Z, dZ) of callables -> CallableKinetic."""
    if kinetic is None:
        return P2Kinetic()
    if isinstance(kinetic, Kinetic):
        return kinetic
    if isinstance(kinetic, tuple) and len(kinetic) == 2 and all(callable(f) for f in kinetic):
        return CallableKinetic(kinetic[0], kinetic[1])
    if all(hasattr(kinetic, a) for a in ("Z", "dZ")):
        return CallableKinetic(kinetic.Z, kinetic.dZ)
    if callable(kinetic):
        raise ValueError("kinetic: a bare callable is ambiguous; give (Z, dZ) or a Kinetic object")
    raise ValueError(f"kinetic: expected None, a Kinetic object or (Z, dZ), got {kinetic!r}")
