"""Network specifications: architecture, activations, weight laws.

A :class:`Network` is a frozen, validated description of an ensemble of random networks in the
conventions of [HMS] and [ELS] (docs/theory.md#networks)::

    f(x) = b1 + sum_j W1_j h_j(x),    h_j(x) = phi(z_j(x)),    z_j(x) = W0_j . x + b0_j
    W0 ~ N(0, sigma_w^2 / d_in),  b0 ~ N(0, sigma_b^2),  W1 ~ N(0, sigma_w^2 / N),  b1 ~ N(0, sigma_b^2)

Deep networks (depth L) apply ``z^(l+1) = W^(l+1) phi(z^(l)) + b^(l+1)`` with
``W^(l+1) ~ N(0, sigma_w^2 / N_l)``. Gauss- and cos-nets have one hidden layer only.

References
----------
[HMS] Halverson, Maiti, Stoner, arXiv:2008.08601.  [ELS] Erbin, Lahoche, Ousmane Samary,
arXiv:2108.01403.  [H21] Halverson, arXiv:2112.04527 (cos-net).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import special

__all__ = [
    "ACTIVATIONS",
    "ONE_LAYER_ACTIVATIONS",
    "WEIGHT_LAWS",
    "Network",
    "as_inputs",
    "activation_fn",
    "weight_law_cumulants",
]

#: Activations known to nnqft.
ACTIVATIONS = ("erf", "relu", "tanh", "gauss", "cos")
#: Activations defined with one hidden layer only (docs/theory.md#networks).
ONE_LAYER_ACTIVATIONS = frozenset({"gauss", "cos"})
#: Laws of the last-layer weights W1 (all with variance sigma_w^2 / N).
WEIGHT_LAWS = ("normal", "uniform")


def weight_law_cumulants(law: str) -> tuple[float, float]:
    """Standardised 4th and 6th cumulants (c4, c6) of a last-layer weight law.

    For W1 with variance s^2 the cumulants are kappa_4 = c4 s^4 and kappa_6 = c6 s^6.
    Normal: (0, 0). Uniform on [-a, a]: (-6/5, 48/7) (docs/theory.md#non-normal-last-layer).
    """
    if law == "normal":
        return 0.0, 0.0
    if law == "uniform":
        return -6.0 / 5.0, 48.0 / 7.0
    raise ValueError(f"unknown weight law {law!r}; choose one of {', '.join(WEIGHT_LAWS)}")


#: command-line spelling of the parameters that the CLI exposes (messages name both)
_CLI_NAMES = {"sigma_w": "--sigma-w", "sigma_b": "--sigma-b", "width": "--width",
              "depth": "--depth"}


def _label(name: str) -> str:
    return f"{name} ({_CLI_NAMES[name]})" if name in _CLI_NAMES else name


def _check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{_label(name)} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{_label(name)} must be a positive integer, got {value}")
    return int(value)


def _check_scale(name: str, value, *, positive: bool) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{_label(name)} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{_label(name)} must be finite, got {value!r}")
    if positive and v <= 0:
        raise ValueError(f"{_label(name)} must be positive, got {v}")
    if not positive and v < 0:
        raise ValueError(f"{_label(name)} must be non-negative, got {v}")
    return v


@dataclass(frozen=True)
class Network:
    """A random-network ensemble (frozen and validated on construction).

    Parameters
    ----------
    activation : {"erf", "relu", "tanh", "gauss", "cos"}
        Hidden-layer nonlinearity. "gauss" is exp(z) with the input-dependent normaliser
        exp(m(x, x)) of docs/theory.md#networks; "cos" is sqrt(2) cos(w.x + b) with
        b ~ Uniform[-pi, pi] (for the cos-net sigma_b is the output bias only).
    width : int or sequence of int
        Hidden width N, or the widths N_1..N_L of the L hidden layers.
    depth : int
        Number of hidden layers L (1 for gauss and cos). Taken from ``width`` when it is a
        sequence.
    d_in, d_out : int
        Input dimension d and number of outputs n (the output rows W1_a are i.i.d.: an
        n-component field with an exact O(n) symmetry, docs/vector.md).
    sigma_w, sigma_b : float
        Weight and bias scales, the same in every layer. ``sigma_b`` defaults to 1, or 0 for
        relu ([HMS] defaults).
    weight_law : {"normal", "uniform"}
        Law of the last-layer weights W1 (same variance sigma_w^2 / N); the first layers and all
        biases stay normal.
    outputs : int, optional
        The public name of ``d_out`` (``Network(..., outputs=3)``); after construction
        ``net.outputs == net.d_out``. Giving both with different values is an error. Only
        ``d_out`` enters :meth:`canonical` and :meth:`content_hash`, so one-output seeds are
        unchanged.
    """

    activation: str
    width: int | tuple[int, ...] = 100
    depth: int | None = None
    d_in: int = 1
    d_out: int = 1
    sigma_w: float = 1.0
    sigma_b: float | None = None
    weight_law: str = "normal"
    outputs: int | None = field(default=None, repr=False, compare=False)
    widths: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        act = self.activation
        if not isinstance(act, str) or act.lower() not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {act!r}; choose one of {', '.join(ACTIVATIONS)}"
            )
        act = act.lower()
        set_(self, "activation", act)
        if isinstance(self.width, Sequence) and not isinstance(self.width, str):
            widths = tuple(_check_positive_int("width", w) for w in self.width)
            if not widths:
                raise ValueError("width must name at least one hidden layer")
            depth = len(widths) if self.depth is None else _check_positive_int("depth", self.depth)
            if depth != len(widths):
                raise ValueError(f"depth {depth} does not match {len(widths)} widths")
        else:
            w = _check_positive_int("width", self.width)
            depth = 1 if self.depth is None else _check_positive_int("depth", self.depth)
            widths = (w,) * depth
        if act in ONE_LAYER_ACTIVATIONS and depth != 1:
            raise ValueError(f"{act}-net is defined with one hidden layer only, got depth {depth}")
        set_(self, "width", widths[0] if len(set(widths)) == 1 else widths)
        set_(self, "depth", depth)
        set_(self, "widths", widths)
        set_(self, "d_in", _check_positive_int("d_in", self.d_in))
        if self.outputs is not None:
            n_out = _check_positive_int("outputs", self.outputs)
            if self.d_out not in (1, n_out):
                raise ValueError(f"outputs = {n_out} contradicts d_out = {self.d_out}")
            set_(self, "d_out", n_out)
        set_(self, "d_out", _check_positive_int("d_out", self.d_out))
        set_(self, "outputs", self.d_out)
        set_(self, "sigma_w", _check_scale("sigma_w", self.sigma_w, positive=True))
        sb = (0.0 if act == "relu" else 1.0) if self.sigma_b is None else self.sigma_b
        set_(self, "sigma_b", _check_scale("sigma_b", sb, positive=False))
        if self.weight_law not in WEIGHT_LAWS:
            raise ValueError(
                f"unknown weight law {self.weight_law!r}; choose one of {', '.join(WEIGHT_LAWS)}"
            )

    # ------------------------------------------------------------------ helpers
    @property
    def last_width(self) -> int:
        """Width N_L of the last hidden layer (the N of the 1/N expansion)."""
        return self.widths[-1]

    def replace(self, **changes) -> Network:
        """A copy with some parameters changed (validated again)."""
        params = self.canonical()
        params.pop("widths", None)
        if "width" in changes and "depth" not in changes:
            w = changes["width"]
            if not (isinstance(w, Sequence) and not isinstance(w, str)):
                params["width"] = w
                params["depth"] = self.depth
        if "outputs" in changes:
            changes.setdefault("d_out", changes["outputs"])
        params.update(changes)
        if isinstance(params.get("width"), list):
            params["width"] = tuple(params["width"])
        return Network(**params)

    def canonical(self) -> dict:
        """Canonical parameters as plain JSON types (used for hashing and provenance)."""
        width = self.width if isinstance(self.width, int) else list(self.width)
        return {
            "activation": self.activation,
            "width": width,
            "depth": self.depth,
            "d_in": self.d_in,
            "d_out": self.d_out,
            "sigma_w": self.sigma_w,
            "sigma_b": self.sigma_b,
            "weight_law": self.weight_law,
        }

    def content_hash(self) -> int:
        """Content hash (first 8 bytes of SHA-256 of the sorted canonical JSON) as an int.

        Used as the configuration word of the counter-based seed (design.md section 5);
        Python's salted ``hash()`` is never used.
        """
        blob = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":")).encode()
        return int.from_bytes(hashlib.sha256(blob).digest()[:8], "little")

    def pre_activation_cov(self, X: np.ndarray, Y: np.ndarray | None = None) -> np.ndarray:
        """m(x, y) = sigma_b^2 + sigma_w^2 x.y / d (first-layer pre-activation covariance)."""
        X = as_inputs(X, self.d_in)
        Y = X if Y is None else as_inputs(Y, self.d_in)
        return self.sigma_b**2 + self.sigma_w**2 * (X @ Y.T) / self.d_in


def as_inputs(X, d_in: int | None = None) -> np.ndarray:
    """Convert inputs to a float64 array of shape (n_inputs, d_in).

    A flat list of numbers means d_in = 1 (one input per number). Raises ``ValueError`` for
    empty, non-finite or wrongly shaped inputs.
    """
    try:
        A = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("inputs must be numbers: a list (d_in = 1) or a list of lists") from None
    if A.ndim == 0:
        A = A.reshape(1, 1)
    elif A.ndim == 1:
        A = A[:, None] if (d_in is None or d_in == 1) else A[None, :]
    if A.ndim != 2:
        raise ValueError(f"inputs must be a list or a 2-d array (n_inputs, d_in), got {A.ndim} dims")
    if A.shape[0] == 0 or A.shape[1] == 0:
        raise ValueError("inputs must not be empty")
    if not np.all(np.isfinite(A)):
        raise ValueError("inputs must be finite (found NaN or infinity)")
    if d_in is not None and A.shape[1] != d_in:
        raise ValueError(f"inputs have dimension {A.shape[1]} but the network has d_in = {d_in}")
    return A


def activation_fn(name: str):
    """Pointwise nonlinearity phi(z) for erf, relu and tanh (the deep-capable activations).

    Gauss- and cos-nets need the input or phase, see :mod:`nnqft.sampling`.
    """
    if name == "erf":
        return special.erf
    if name == "relu":
        return lambda z: np.maximum(z, 0.0)
    if name == "tanh":
        return np.tanh
    raise ValueError(f"activation {name!r} has no input-independent pointwise form")
