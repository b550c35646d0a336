"""The bridge between network ensembles and the functional RG (docs/theory.md#frg-from-the-ir; [ELS]).

Only this package knows both networks and flows (design.md section 1): it turns exact or Monte
Carlo correlators of Gauss- and cos-nets into IR data (kinetic term, u2, u4, u6, u8) in a
labelled normalisation, and runs LPA flows from the IR in the consistent set-ups of
docs/theory.md#frg-from-the-ir. Networks without a translation-invariant kernel (erf, relu, tanh at
any depth) get input-space IR data instead (:func:`deep_ir_data`, docs/deep.md section 9).
"""

from .deep import DEEP_IR_METHODS, DeepIRData, deep_ir_data
from .flows import (
    SETUPS,
    BridgeFlow,
    compare_flows,
    els_as_published,
    els_with_measured,
    flow_from_ir,
    passive_reading,
)
from .ir import (
    NORMALISATIONS,
    IRData,
    check_same_normalisation,
    gauss_tree_integral,
    ir_data,
    ir_from_correlators,
    octic_couplings,
    small_input_kappa,
    small_input_lambda,
)

__all__ = [
    "DEEP_IR_METHODS",
    "DeepIRData",
    "deep_ir_data",
    "SETUPS",
    "BridgeFlow",
    "compare_flows",
    "els_as_published",
    "els_with_measured",
    "flow_from_ir",
    "passive_reading",
    "NORMALISATIONS",
    "IRData",
    "check_same_normalisation",
    "gauss_tree_integral",
    "ir_data",
    "ir_from_correlators",
    "octic_couplings",
    "small_input_kappa",
    "small_input_lambda",
]
