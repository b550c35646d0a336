"""Deep networks at finite width (docs/deep.md).

- :func:`perturbative_correlators`, :func:`deep_theory`: the leading-order 1/N theory of deep
  erf / relu / tanh MLPs (kernel, NLO kernel K1, four-point vertex V) [PDLT ch. 4].
- :func:`one_input_series`, :func:`truncation_estimate`: the next order (1/N^2) at one input
  and the leading-order theory's truncation error per tuple (docs/deep.md section 6).
- :func:`relu_moments`: exact even moments of deep ReLU networks with sigma_b = 0 at one input
  (Hanin-Nica).
- :func:`critical_point`, :func:`susceptibilities`: criticality chi_par = chi_perp = 1 [PDLT ch. 5].
- :func:`deep_couplings`, :func:`deep_running`, :func:`sigma_w_scan`: EFT couplings of deep nets
  with the 1/N theory as source.

Pure physics: nothing here writes files.
"""

from .criticality import critical_point, normalized_vertex, susceptibilities
from .eft import deep_couplings, deep_running, sigma_w_scan
from .gauss import DEEP_ACTIVATIONS, four_point, orthant_probability, pair_map
from .nlo import one_input_series, relu_one_input_exact, truncation_estimate
from .relu_exact import exact_relu_correlators, relu_kurtosis, relu_moments
from .theory import DeepTheory, check_network, deep_theory, perturbative_correlators

__all__ = [
    "DEEP_ACTIVATIONS",
    "DeepTheory",
    "check_network",
    "critical_point",
    "deep_couplings",
    "deep_running",
    "deep_theory",
    "exact_relu_correlators",
    "four_point",
    "normalized_vertex",
    "one_input_series",
    "orthant_probability",
    "pair_map",
    "perturbative_correlators",
    "relu_kurtosis",
    "relu_moments",
    "relu_one_input_exact",
    "sigma_w_scan",
    "susceptibilities",
    "truncation_estimate",
]
