"""Array backends for the Monte Carlo sampler: ``numpy`` (default) and ``jax`` (optional).

The numpy backend is the reference implementation in :mod:`nnqft.sampling` and
:mod:`nnqft.estimate`. The jax backend (:mod:`nnqft.backends.jax_backend`) computes the same
block accumulators (:class:`nnqft.accumulate.MomentSums`) with jit-compiled XLA code on the CPU
or on a GPU when one is present; it needs the optional extra ``pip install "nnqft[jax]"``
(``"nnqft[jax-cuda13]"`` or ``"nnqft[jax-cuda12]"`` for an NVIDIA GPU). See docs/backends.md.

Results are bit-identical for any chunking, executor, worker count and resume history *within*
a backend, precision and device kind; numpy and jax results agree statistically (they use
different random generators), not bitwise.
"""

from __future__ import annotations

import importlib.util

__all__ = ["BACKENDS", "DTYPES", "STREAM_VERSIONS", "check_backend", "check_dtype",
           "jax_available", "device_description"]

#: Sampling backends.
BACKENDS = ("numpy", "jax")
#: Precisions of the sampled parameters and the forward pass (accumulation is always float64).
DTYPES = ("float64", "float32")

#: Version of a backend's random stream, where it changed after the backend was released; it
#: enters the plan fingerprint, so a checkpoint written with older draws is never resumed with
#: newer ones. jax 3: the draws of 2, summed over networks in an order fixed by the shapes
#: alone (not by the thread count; the last bits of the block sums differ from 2's); jax 2:
#: normals by Box-Muller from threefry bits, each neuron's weights and bias adjacent
#: (docs/backends.md); jax 1 (no entry in the fingerprint) drew jax.random.normal.
STREAM_VERSIONS = {"jax": 3}

JAX_INSTALL_HINT = 'pip install "nnqft[jax]"'


def jax_available() -> bool:
    """True when JAX can be imported (without importing it)."""
    return importlib.util.find_spec("jax") is not None


def check_backend(backend) -> str:
    """Validate a backend name; raise ``ValueError`` (one line) naming the problem."""
    if backend is None:
        return "numpy"
    if not isinstance(backend, str) or backend.lower() not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    backend = backend.lower()
    if backend == "jax" and not jax_available():
        raise ValueError(f"the jax backend needs JAX, which is not installed: {JAX_INSTALL_HINT}")
    return backend


def check_dtype(dtype) -> str:
    """Validate a precision name ("float64" or "float32")."""
    if dtype is None:
        return "float64"
    name = getattr(dtype, "__name__", dtype)
    name = str(name).lower()
    if name not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
    return name


def device_description(backend: str) -> str:
    """The device the backend computes on in this process: "cpu" for numpy; for jax the
    platform and device kind of JAX's default device (e.g. "gpu:NVIDIA H200")."""
    if backend != "jax":
        return "cpu"
    from .jax_backend import default_device_description

    return default_device_description()
