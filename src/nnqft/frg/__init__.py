"""Functional RG in the local potential approximation (docs/theory.md#functional-rg; issue 4).

Public API: ``LPA`` (fixed points, exponents, flows), kinetic terms ``P2Kinetic``,
``ExponentialKinetic``, the [ELS] flow system ``phi_power_flow_system``, result types
``FixedPoint`` and ``FlowResult``, and the zero-dimensional benchmark ``zerodim``.
Modules: ``fixedpoint`` (Newton, ``classify_spectrum``), ``finite_differences``, ``initial``
(parsing of flow initial conditions), ``polynomial``, ``shooting``, ``grid``. Numerical failures
raise ``nnqft.errors.NumericalError`` (re-exported here), bad input ``ValueError``.
"""

from ..errors import NumericalError
from . import finite_differences, fixedpoint, initial, polynomial, zerodim
from .fixedpoint import FixedPoint, classify_spectrum
from .flow import FlowResult
from .kinetic import CallableKinetic, ExponentialKinetic, Kinetic, P2Kinetic
from .lpa import LPA, PhiFlowSystem, phi_power_flow_system
from .regulators import REGULATORS, threshold_function, v_d

__all__ = ["LPA", "FixedPoint", "FlowResult", "Kinetic", "P2Kinetic", "ExponentialKinetic",
           "CallableKinetic", "PhiFlowSystem", "phi_power_flow_system", "REGULATORS",
           "threshold_function", "v_d", "zerodim", "polynomial", "fixedpoint",
           "finite_differences", "initial", "classify_spectrum", "NumericalError"]
