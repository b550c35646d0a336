"""Functional RG in the local potential approximation (docs/theory.md#functional-rg; issue 4).

Public API: ``LPA`` (fixed points, exponents, flows), kinetic terms ``P2Kinetic``,
``ExponentialKinetic``, the [ELS] flow system ``phi_power_flow_system``, result types
``FixedPoint`` and ``FlowResult``, and the zero-dimensional benchmark ``zerodim``.
"""

from . import polynomial, zerodim
from .fixedpoint import FixedPoint
from .flow import FlowResult
from .kinetic import CallableKinetic, ExponentialKinetic, Kinetic, P2Kinetic
from .lpa import LPA, PhiFlowSystem, phi_power_flow_system
from .regulators import REGULATORS, threshold_function, v_d

__all__ = ["LPA", "FixedPoint", "FlowResult", "Kinetic", "P2Kinetic", "ExponentialKinetic",
           "CallableKinetic", "PhiFlowSystem", "phi_power_flow_system", "REGULATORS",
           "threshold_function", "v_d", "zerodim", "polynomial"]
