"""Effective field theory of network ensembles: vertex integrals, couplings, running, predictions.

Convention (docs/theory.md#effective-action): S[phi] = (1/2) phi K_w^(-1) phi
+ int_{[-Lambda, Lambda]^d} [lambda/4! phi^4 + kappa/6! phi^6], legs Delta = K - sigma_b^2, so
G4_c = -lambda I_4 and G6_c = -kappa I_6 + lambda^2 sum_10 J at tree level. Conversions to
[HMS] and [ELS] conventions: :func:`to_hms`, :func:`to_els`.

This module only re-exports.
"""

from .couplings import (
    CONVENTION,
    CouplingFit,
    SexticFit,
    couplings,
    couplings_from_connected,
    sextic_couplings,
    to_els,
    to_hms,
)
from .integrals import (
    cubature_rule,
    delta_kernel,
    exchange_integral,
    exchange_matrix,
    exchange_sums,
    vertex_integral,
    vertex_integrals,
    vertex_log_derivatives,
)
from .locality import LocalityFit, fit_local_nonlocal, linear_fit, locality_basis, locality_table
from .on import (
    ON_CONVENTION,
    ONQuarticFit,
    ONSexticFit,
    PairingAmplitudes,
    exact_pairing_amplitudes,
    on_couplings,
    on_running,
    on_sextic_couplings,
    pairing_amplitudes,
)
from .predict import SixPointPrediction, hms_six_point_prediction, six_point_vs_cutoff
from .running import RunningFit, beta_function, loglog_slope, running

__all__ = [
    "CONVENTION",
    "CouplingFit",
    "SexticFit",
    "couplings",
    "couplings_from_connected",
    "sextic_couplings",
    "to_els",
    "to_hms",
    "cubature_rule",
    "delta_kernel",
    "exchange_integral",
    "exchange_matrix",
    "exchange_sums",
    "vertex_integral",
    "vertex_integrals",
    "vertex_log_derivatives",
    "LocalityFit",
    "fit_local_nonlocal",
    "linear_fit",
    "locality_basis",
    "locality_table",
    "SixPointPrediction",
    "hms_six_point_prediction",
    "six_point_vs_cutoff",
    "ON_CONVENTION",
    "ONQuarticFit",
    "ONSexticFit",
    "PairingAmplitudes",
    "exact_pairing_amplitudes",
    "on_couplings",
    "on_running",
    "on_sextic_couplings",
    "pairing_amplitudes",
    "RunningFit",
    "beta_function",
    "loglog_slope",
    "running",
]
