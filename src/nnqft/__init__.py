"""nnqft: the neural network / quantum field theory correspondence.

Public API (design.md section 3); this module only re-exports. The subpackages ``nnqft.eft``
(perturbative EFT, Wilsonian running), ``nnqft.frg`` (functional RG), ``nnqft.bridge``
(networks -> FRG) and ``nnqft.experiments`` (configs, runs, reports) load on first access.
"""

import importlib
from importlib.metadata import PackageNotFoundError, version

from .correlators import Correlators
from .deep.theory import perturbative_correlators
from .estimate import HeavyTailWarning, estimate_correlators
from .exact import exact_correlators
from .executors import DaskExecutor, LocalExecutor
from .kernels import gp_kernel, kinetic_parameters, momentum_kernel
from .networks import Network, as_inputs
from .sampling import sample_outputs
from .vector import VectorCorrelators

try:
    __version__ = version("nnqft")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

_SUBPACKAGES = ("eft", "frg", "bridge", "experiments", "deep")

__all__ = [
    "Network",
    "as_inputs",
    "gp_kernel",
    "momentum_kernel",
    "kinetic_parameters",
    "sample_outputs",
    "exact_correlators",
    "perturbative_correlators",
    "VectorCorrelators",
    "estimate_correlators",
    "Correlators",
    "HeavyTailWarning",
    "LocalExecutor",
    "DaskExecutor",
    "__version__",
    *_SUBPACKAGES,
]


def __getattr__(name):
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'nnqft' has no attribute {name!r}")
