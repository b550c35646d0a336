"""nnqft: the neural network / quantum field theory correspondence.

Public API (design.md section 3); this module only re-exports.
"""

from importlib.metadata import PackageNotFoundError, version

from .correlators import Correlators
from .kernels import gp_kernel, kinetic_parameters, momentum_kernel
from .networks import Network, as_inputs

try:
    __version__ = version("nnqft")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "Network",
    "as_inputs",
    "gp_kernel",
    "momentum_kernel",
    "kinetic_parameters",
    "Correlators",
    "__version__",
]
