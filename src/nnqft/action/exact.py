"""``exact_action``: the exact action S and effective action Gamma at given field values.

The public entry point of :mod:`nnqft.action` (docs/action.md): for a one-hidden-layer network
with a normal last layer, at one input (field values phi are numbers) or at two inputs (phi are
pairs), it returns an :class:`ActionResult` with S(phi) - S(0), Gamma(phi) - Gamma(0) (or None
with a note where Gamma does not exist), G2, G4c and a stated accuracy.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

from ..exact import exact_correlators
from ..networks import Network, as_inputs
from .theory import GammaUndefinedError, OneInputTheory, SingularDensityError, check_network

__all__ = ["ActionResult", "exact_action"]

#: Points whose estimated error on S exceeds this are refused as unresolvable.
RESOLVABLE = 1e-3


@dataclass
class ActionResult:
    """S and Gamma of the exact theory at field values ``phi`` (shape (P, k)).

    Attributes
    ----------
    network, inputs : the ensemble and its k inputs
    phi : (P, k) field values (k = number of inputs)
    S : (P,) S(phi) - S(0), S = -log p
    S_err : (P,) estimated absolute error of S (from the quadrature and a refined rule)
    Gamma : (P,) Gamma(phi) - Gamma(0), or None where Gamma does not exist
    gamma_note : why Gamma is None ("" otherwise)
    G2 : (k, k) kernel; G4c : connected 4-point function over sorted 4-tuples
    accuracy : max of S_err (and of the Gamma error estimate)
    meta : method, contour mode, relu radius J_R, atom mass, notes
    """

    network: Network
    inputs: np.ndarray
    phi: np.ndarray
    S: np.ndarray
    S_err: np.ndarray
    Gamma: np.ndarray | None
    gamma_note: str
    G2: np.ndarray
    G4c: np.ndarray
    accuracy: float
    meta: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        k = self.phi.shape[1]
        phi = self.phi[:, 0].tolist() if k == 1 else self.phi.tolist()
        return {
            "phi": phi,
            "S": self.S.tolist(),
            "S_err": self.S_err.tolist(),
            "Gamma": None if self.Gamma is None else self.Gamma.tolist(),
            "gamma_note": self.gamma_note or None,
            "G2": self.G2.tolist() if k > 1 else float(self.G2[0, 0]),
            "G4c": self.G4c.tolist() if k > 1 else float(self.G4c[0]),
            "accuracy": self.accuracy,
            "inputs": self.inputs.tolist(),
            "network": self.network.canonical(),
            **{k_: v for k_, v in self.meta.items()},
        }

    def to_dataset(self):
        import xarray as xr

        dv = {
            "phi": (("point", "input"), self.phi),
            "S": (("point",), self.S),
            "S_err": (("point",), self.S_err),
            "inputs": (("input", "dim"), self.inputs),
            "G2": (("input", "input_b"), self.G2),
            "G4c": (("tuple4",), self.G4c),
        }
        if self.Gamma is not None:
            dv["Gamma"] = (("point",), self.Gamma)
        attrs = {"network": json.dumps(self.network.canonical(), sort_keys=True),
                 "gamma_note": self.gamma_note, "accuracy": self.accuracy,
                 "meta": json.dumps(self.meta, sort_keys=True, default=str),
                 "convention": "S = -log p, reported as S(phi) - S(0); Gamma = sup_J "
                               "[J.phi - W(J)], reported as Gamma(phi) - Gamma(0)"}
        return xr.Dataset(dv, attrs=attrs)

    @classmethod
    def from_dataset(cls, ds) -> ActionResult:
        params = json.loads(ds.attrs["network"])
        if isinstance(params.get("width"), list):
            params["width"] = tuple(params["width"])
        get = lambda n: np.asarray(ds[n].values, dtype=float)  # noqa: E731
        return cls(network=Network(**params), inputs=get("inputs"), phi=get("phi"),
                   S=get("S"), S_err=get("S_err"),
                   Gamma=get("Gamma") if "Gamma" in ds else None,
                   gamma_note=str(ds.attrs["gamma_note"]), G2=get("G2"), G4c=get("G4c"),
                   accuracy=float(ds.attrs["accuracy"]), meta=json.loads(ds.attrs["meta"]))


def _checked_action(theory_cls, net, X, pts, check_accuracy):
    """(theory, S, err) at ``pts``; err widened by a refined rule; refuses unresolvable points."""
    th = theory_cls(net, X)
    S, err = th.action(pts)
    if check_accuracy:  # a second, refined rule everywhere
        S2, _ = theory_cls(net, X, refine=2).action(pts)
        err = np.maximum(err, np.abs(S2 - S))
    bad = ~np.isfinite(S) | (err > RESOLVABLE)
    if bad.any():
        i = int(np.argmax(bad))
        at = f"{pts[i]:g}" if pts.ndim == 1 else str(pts[i].tolist())
        raise ValueError(f"phi = {at} is outside the range where the density is resolvable "
                         f"(estimated error of S: {err[i]:.2g}; p(phi) ~ exp(-{S[i]:.3g}) "
                         "relative to p(0))")
    return th, S, err


def _one_input(net, X, phi, check_accuracy):
    p = phi[:, 0]
    th, S, err = _checked_action(OneInputTheory, net, X, p, check_accuracy)
    if th.mode == "rotated":
        method = "Fourier inversion on a rotated contour"
    elif net.activation == "gauss":
        method = "Fourier inversion on the real axis (no tilt: W(J) is infinite for J != 0)"
    else:
        method = "saddle-shifted Fourier inversion"
    meta = {"mode": th.mode, "method": method}
    note, G = "", None
    try:
        G = th.gamma(p)
        Gd = th.gamma_direct(p)
        gerr = float(np.max(np.abs(G - Gd)))
    except GammaUndefinedError as exc:
        note, gerr = str(exc), 0.0
    meta["J_radius"] = th.j_radius if math.isfinite(th.j_radius) else None
    if th.atom:
        meta["atom"] = th.atom
        meta["atom_note"] = (f"p has an atom of mass {th.atom:.6g} at f = 0 (all relu neurons "
                             "dead, sigma_b = 0); S is that of the continuous part")
    meta["gamma_err"] = gerr
    return S, err, G, note, max(float(np.max(err)), gerr), meta


def _two_inputs(net, X, phi, check_accuracy):
    from .multi import GAUSS_NO_GAMMA, effective_action
    from .two import TwoInputTheory

    _, S, err = _checked_action(TwoInputTheory, net, X, phi, check_accuracy)
    if net.activation == "gauss":  # no tilt: J = 0 for every point, Gamma does not exist
        meta = {"mode": "untilted-2d", "method": "2-d Fourier inversion at J = 0 (no tilt: "
                "W(J) is infinite for J != 0)"}
        return S, err, None, GAUSS_NO_GAMMA, float(np.max(err)), meta
    G = effective_action(net, X, phi)
    meta = {"mode": "tilted-2d", "method": "saddle-shifted 2-d Fourier inversion"}
    return S, err, G, "", float(np.max(err)), meta


def exact_action(net: Network, inputs, phi, *, check_accuracy: bool = True) -> ActionResult:
    """S(phi) - S(0) and Gamma(phi) - Gamma(0) of a one-hidden-layer ensemble, exactly.

    Parameters
    ----------
    net : Network
        depth 1, normal last layer, d_out = 1; erf, tanh, relu, gauss or cos.
    inputs : array_like
        k = 1 or 2 inputs (shape (k, d_in)).
    phi : array_like
        Field values: numbers (k = 1) or pairs (k = 2).
    check_accuracy : bool
        Recompute S with a refined rule and report the difference in ``S_err`` (about 3x the
        cost); otherwise ``S_err`` holds the quadrature's own estimate only.

    Returns
    -------
    ActionResult

    Raises
    ------
    ValueError
        Unsupported network, singular density (sigma_b = 0 with N = 1 or relu), or a phi where
        the density is not resolvable.
    """
    check_network(net)
    X = as_inputs(inputs, net.d_in)
    k = X.shape[0]
    P = np.asarray(phi, dtype=float)
    if k == 1:
        P = P.reshape(-1, 1)
    elif P.ndim == 1 and P.size == k:
        P = P.reshape(1, k)
    if P.ndim != 2 or P.shape[1] != k or P.shape[0] == 0 or not np.all(np.isfinite(P)):
        raise ValueError(f"phi must be a non-empty list of finite {'numbers' if k == 1 else f'{k}-tuples'}"
                         f" for {k} input(s)")
    corr = exact_correlators(net, X, orders=(2, 4))
    G2 = np.asarray(corr.kernel) if k > 1 else np.array([[corr.connected(2)[0]]])
    if k > 1:
        from ..correlators import symmetric_tensor

        G2 = symmetric_tensor(corr.connected(2), k, 2)
    if k == 1:
        S, err, G, note, acc, meta = _one_input(net, X, P, check_accuracy)
    elif k == 2:
        S, err, G, note, acc, meta = _two_inputs(net, X, P, check_accuracy)
    else:
        raise ValueError(f"the exact action takes 1 or 2 inputs (got {k}); for Gamma on more "
                         "inputs use nnqft.action.multi.effective_action")
    return ActionResult(network=net, inputs=X, phi=P, S=S, S_err=err, Gamma=G, gamma_note=note,
                        G2=G2, G4c=np.asarray(corr.connected(4)), accuracy=acc, meta=meta)


__all__ += ["SingularDensityError", "GammaUndefinedError"]
