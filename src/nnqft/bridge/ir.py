"""IR data of a network for the functional RG: kinetic term and measured couplings.

docs/theory.md#kernels, #effective-action, #frg-from-the-ir. For a translation-invariant kernel (Gauss- and cos-net) the
effective (k -> 0) action of a one-hidden-layer network has

- the kinetic term Gamma_0^(2)(p) = K_w(p)^(-1) = A exp(p^2 / mu^2), A = sigma_w^(d-2) (2 pi d)^(-d/2),
  mu^2 = 2 sigma_w^2 / d (exact at every N since G2 = K), and its p^2 truncation
  Z_0 (p^2 + mu^2), Z_0 = A / mu^2;
- the couplings measured from the connected functions (never set by hand), per sorted tuple,
  in this project's convention S = ... + lambda/4! phi^4 + kappa/6! phi^6 (+ u_8/8! phi^8)
  at Lambda = inf:

      lambda(t) = -G4_c(t) / I_4(t)
      kappa(t)  = -(G6_c(t) - lambda_bar^2 sum_10 J(t)) / I_6(t)
      u_8(t)    = -(G8_c(t) - kappa_bar lambda_bar sum_56 J(5|3) + lambda_bar^3 sum_280 J(3|2|3)) / I_8(t)

  (tree level; the last line follows from the same connected-to-1PI relation: the 56 ways to
  put 3 of the 8 legs on a quartic vertex joined to a sextic one, the 280 chains of three
  quartic vertices with 3, 2, 3 external legs; each vertex contributes -coupling).

Two normalisations (docs/theory.md#set-ups), always carried as a label:

- ``"raw"``: couplings of the kinetic term K_w^(-1) = A exp(p^2/mu^2); IR u_2 = 0 (the mass is
  inside Z, Z(0) = A); u_4 = lambda, u_6 = kappa, u_8 as measured.
- ``"canonical"``: the p^2 truncation rescaled to a unit p^2 coefficient, phi -> phi / sqrt(Z_0):
  u_2 = mu^2, u_4 = lambda / Z_0^2, u_6 = kappa / Z_0^3, u_8 = u_8 / Z_0^4.

The tuple mean and spread are unweighted over the sorted tuples (docs/theory.md#correlators).
Monte Carlo errors are jackknife errors over the batches of the correlators (G4_c and G6_c come
from the same samples; lambda_bar inside kappa is recomputed on every replicate).

References
----------
[HMS] Halverson, Maiti, Stoner, arXiv:2008.08601. [ELS] Erbin, Lahoche, Ousmane Samary,
arXiv:2108.01403 (section 4: the FRG set-up from the IR).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from itertools import combinations

import numpy as np

from ..combinatorics import equal_splits, sorted_tuples, subset_splits
from ..correlators import Correlators
from ..eft.integrals import gauss_tree_integral
from ..kernels import kinetic_parameters
from ..networks import Network, as_inputs

__all__ = [
    "NORMALISATIONS",
    "IRData",
    "ir_data",
    "ir_from_correlators",
    "small_input_inputs",
    "small_input_lambda",
    "small_input_kappa",
    "gauss_tree_integral",
    "octic_couplings",
    "check_same_normalisation",
    "check_bridge_network",
]

NORMALISATIONS = ("raw", "canonical")


def check_same_normalisation(*items) -> str:
    """Refuse to compare quantities of different normalisations; return the common label.

    Every argument is a label string or an object with a ``normalisation`` attribute.
    """
    labels = {getattr(x, "normalisation", x) for x in items}
    bad = labels - set(NORMALISATIONS)
    if bad:
        raise ValueError(f"unknown normalisation label(s) {sorted(bad)}")
    if len(labels) != 1:
        raise ValueError(
            "refusing to compare raw and canonical couplings in one comparison "
            "(docs/theory.md#set-ups); convert one side with IRData.to_raw()/to_canonical()"
        )
    return labels.pop()


@dataclass(frozen=True)
class IRData:
    """IR (k -> 0) data of a network ensemble for an FRG flow started in the IR.

    Attributes
    ----------
    network : Network
        The ensemble (gauss or cos, one hidden layer).
    inputs : ndarray (n_inputs, d) or None
        Where the couplings were measured; ``small_input`` is True when these are the origin
        (the small-input limit, docs/theory.md#active-reading).
    normalisation : {"raw", "canonical"}
        See the module docstring. ``u2`` is 0 (raw) or mu^2 (canonical).
    A, mu2, Z0 : float
        Kinetic data: K_w^(-1)(p) = A exp(p^2 / mu^2) ~ Z0 (p^2 + mu^2).
    u2, u4, u6 : float
        IR couplings in [ELS] notation U = u2 phi^2/2 + u4 phi^4/4! + u6 phi^6/6! (u4, u6:
        tuple means of lambda, kappa, scaled by Z0^-2, Z0^-3 when canonical).
    u4_err, u6_err : float or None
        Jackknife standard errors (None when exact).
    u4_spread, u6_spread : float
        Standard deviation over tuples (ddof = 0): a measure of non-locality.
    u8, u8_err : float or None
        Octic coupling from G8_c (exact correlators of order 8 only).
    exact : bool
    n_networks : int or None
    estimator : str
        "exact", "conditional" or "raw".
    heavy_tail : dict or None
        The Monte Carlo heavy-tail diagnostic of the correlators (``meta["heavy_tail"]``).
    u4_replicates, u6_replicates : ndarray (B,) or None
        Jackknife (leave-one-batch-out) replicates of u4, u6, for derived quantities.
    """

    network: Network
    inputs: np.ndarray | None
    small_input: bool
    normalisation: str
    A: float
    mu2: float
    Z0: float
    u2: float
    u4: float
    u6: float | None
    u4_err: float | None
    u6_err: float | None
    u4_spread: float
    u6_spread: float | None
    exact: bool
    n_networks: int | None
    estimator: str
    u8: float | None = None
    u8_err: float | None = None
    heavy_tail: dict | None = None
    u4_replicates: np.ndarray | None = field(default=None, repr=False, compare=False)
    u6_replicates: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def d(self) -> int:
        return self.network.d_in

    # -------------------------------------------------------------- conversions
    def _scaled(self, target: str) -> IRData:
        if target not in NORMALISATIONS:
            raise ValueError(f"normalisation must be 'raw' or 'canonical', got {target!r}")
        if target == self.normalisation:
            return self
        # canonical = raw / Z0^(n/2) for the phi^n coupling (Z0 > 0)
        s = 1.0 / self.Z0 if target == "canonical" else self.Z0

        def sc(v, p):
            return None if v is None else v * s**p

        def scr(v, p):
            return None if v is None else np.asarray(v) * s**p

        return replace(
            self,
            normalisation=target,
            u2=self.mu2 if target == "canonical" else 0.0,
            u4=sc(self.u4, 2), u6=sc(self.u6, 3), u8=sc(self.u8, 4),
            u4_err=sc(self.u4_err, 2), u6_err=sc(self.u6_err, 3), u8_err=sc(self.u8_err, 4),
            u4_spread=sc(self.u4_spread, 2), u6_spread=sc(self.u6_spread, 3),
            u4_replicates=scr(self.u4_replicates, 2), u6_replicates=scr(self.u6_replicates, 3),
        )

    def to_canonical(self) -> IRData:
        """Set-up (b) normalisation: u2 = mu^2, u4 = lambda/Z0^2, u6 = kappa/Z0^3, u8/Z0^4."""
        return self._scaled("canonical")

    def to_raw(self) -> IRData:
        """Set-up (a) normalisation: u2 = 0, u4 = lambda, u6 = kappa (kinetic term A exp(p^2/mu^2))."""
        return self._scaled("raw")

    def couplings(self, order: int = 6) -> dict:
        """IR couplings {"u2", "u4", "u6"[, "u8"]} for a phi^order truncation about phi = 0."""
        if order not in (4, 6, 8):
            raise ValueError(f"truncation order must be 4, 6 or 8, got {order!r}")
        out = {"u2": self.u2, "u4": self.u4}
        if order >= 6:
            if self.u6 is None:
                raise ValueError("a phi^6 truncation needs u6: measure G6_c (order >= 6)")
            out["u6"] = self.u6
        if order >= 8:
            if self.u8 is None:
                raise ValueError("a phi^8 truncation needs u8 from the exact G8_c "
                                 "(ir_data(..., order=8) with exact correlators)")
            out["u8"] = self.u8
        return out

    def to_dict(self) -> dict:
        """JSON-ready summary (the ``nnqft bridge --json`` fields and more)."""
        raw, can = self.to_raw(), self.to_canonical()
        return {
            "d": self.d,
            "A": self.A,
            "mu2": self.mu2,
            "Z0": self.Z0,
            "u4": raw.u4,
            "u4_err": raw.u4_err,
            "u6": raw.u6,
            "u6_err": raw.u6_err,
            "u4_canonical": can.u4,
            "u6_canonical": can.u6,
            "u4_canonical_err": can.u4_err,
            "u6_canonical_err": can.u6_err,
            "u4_spread": raw.u4_spread,
            "u6_spread": raw.u6_spread,
            "u8": raw.u8,
            "u8_canonical": can.u8,
            "exact": self.exact,
            "n_networks": self.n_networks,
            "estimator": self.estimator,
            "small_input_limit": self.small_input,
            "heavy_tail": self.heavy_tail,
            "convention": "S = (1/2) phi K_w^-1 phi + u4/4! phi^4 + u6/6! phi^6, Lambda = inf; "
            "u4 = tuple mean of lambda = -G4_c/I_4, u6 = tuple mean of kappa (docs/theory.md#couplings, #sextic-coupling); "
            "canonical = /Z0^2, /Z0^3 (docs/theory.md#set-ups)",
        }


# ------------------------------------------------------------------ small-input limit
def small_input_inputs(d: int) -> np.ndarray:
    """The single input x = 0 in R^d: the couplings there are their small-input limits."""
    return np.zeros((1, int(d)))


def _check_gauss(net: Network) -> None:
    if net.activation != "gauss":
        raise ValueError(f"this closed form is for the Gauss-net, not {net.activation}")
    if net.weight_law != "normal":
        raise ValueError("the closed forms assume a normal last layer")


def small_input_lambda(net: Network) -> float:
    """Exact small-input limit of the Gauss-net lambda (docs/theory.md#active-reading).

    lambda -> -3 (e^(4 sigma_b^2) - 1) (2 / (pi d))^(d/2) sigma_w^(d-4) / N
    (= -128.295 / N at sigma_b = sigma_w = d = 1).
    """
    _check_gauss(net)
    d, sw, sb = net.d_in, net.sigma_w, net.sigma_b
    return (-3.0 * math.expm1(4 * sb**2) * (2.0 / (math.pi * d)) ** (d / 2)
            * sw ** (d - 4) / net.width)


def small_input_kappa(net: Network) -> float:
    """Exact small-input limit of the Gauss-net kappa (docs/theory.md#sextic-coupling).

    kappa -> -(3/(pi d))^(d/2) [15 (e^(12 sb^2) - 3 e^(4 sb^2) + 2)
             - 90 (16/15)^(d/2) (e^(4 sb^2) - 1)^2] sigma_w^(d-6) / N^2
    (= -2.1224e6 sigma_w^-5 / N^2 at sigma_b = 1, d = 1).
    """
    _check_gauss(net)
    d, sw, sb = net.d_in, net.sigma_w, net.sigma_b
    e4, e12 = math.exp(4 * sb**2), math.exp(12 * sb**2)
    br = 15 * (e12 - 3 * e4 + 2) - 90 * (16 / 15) ** (d / 2) * (e4 - 1) ** 2
    return -((3 / (math.pi * d)) ** (d / 2)) * br * sw ** (d - 6) / net.width**2


# ------------------------------------------------------------------ octic subtractions (gauss/cos)
def _octic_subtractions(net: Network, X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(I_8, sum_56 J(5|3), sum_280 J(3|2|3)) over sorted 8-tuples (gauss/cos, Lambda = inf)."""
    X = as_inputs(X, net.d_in)
    T8 = sorted_tuples(X.shape[0], 8)
    I8 = gauss_tree_integral(net, X, [T8], [])
    J53 = np.zeros(len(T8))
    for three, five in subset_splits(8, 3):
        J53 += gauss_tree_integral(net, X, [T8[:, list(five)], T8[:, list(three)]], [(0, 1)])
    J323 = np.zeros(len(T8))
    splits6 = equal_splits(6)
    for mid in combinations(range(8), 2):
        rest = [i for i in range(8) if i not in mid]
        for A, B in splits6:
            a = [rest[i] for i in A]
            bb = [rest[i] for i in B]
            J323 += gauss_tree_integral(
                net, X, [T8[:, a], T8[:, list(mid)], T8[:, bb]], [(0, 1), (1, 2)])
    return I8, J53, J323


def octic_couplings(c: Correlators, lambda_bar: float, kappa_bar: float) -> np.ndarray:
    """u_8 per sorted 8-tuple from exact G8_c at tree level (module docstring), Lambda = inf."""
    if 8 not in c.orders:
        raise ValueError("u8 needs correlators of order 8")
    I8, J53, J323 = _octic_subtractions(c.network, c.inputs)
    G8 = c.connected(8)
    return -(G8 - kappa_bar * lambda_bar * J53 + lambda_bar**3 * J323) / I8


# ------------------------------------------------------------------ IR data
def check_bridge_network(net: Network) -> None:
    """Raise ValueError unless ``net`` is a Network with a translation-invariant kernel (gauss
    or cos), the only ones whose kernel inverse is a kinetic term (used by the one-component
    and the O(n) bridge)."""
    if not isinstance(net, Network):
        raise ValueError("net must be an nnqft.Network")
    if net.activation not in ("gauss", "cos"):
        raise ValueError(
            f"the FRG bridge needs a translation-invariant kernel (gauss or cos), not "
            f"{net.activation!r}: only then is K_w^(-1)(p) = A exp(p^2/mu^2) a kinetic term"
        )


def ir_from_correlators(c: Correlators, *, small_input: bool = False) -> IRData:
    """IR data (raw normalisation) from exact or Monte Carlo correlators of order >= 4.

    lambda and kappa come from :func:`nnqft.eft.couplings` / :func:`nnqft.eft.sextic_couplings`
    at Lambda = inf; u8 (order 8, exact only) from :func:`octic_couplings`.
    """
    from ..eft.couplings import couplings, sextic_couplings

    net = c.network
    check_bridge_network(net)
    kp = kinetic_parameters(net)
    q = couplings(c, net, math.inf)
    u6 = u6_err = u6_spread = u6_reps = None
    u8 = None
    if 6 in c.orders:
        s = sextic_couplings(c, net, math.inf, quartic=q)
        u6, u6_err, u6_spread = s.mean, s.mean_err, s.spread
        if s.replicates is not None:
            u6_reps = s.replicates.mean(axis=1)
        if 8 in c.orders:
            if not c.exact:
                raise ValueError("u8 is measured from exact correlators only")
            u8 = float(np.mean(octic_couplings(c, q.mean, s.mean)))
    u4_reps = None if q.replicates is None else q.replicates.mean(axis=1)
    return IRData(
        network=net, inputs=np.asarray(c.inputs), small_input=bool(small_input),
        normalisation="raw", A=kp["A"], mu2=kp["mu2"], Z0=kp["Z0"], u2=0.0,
        u4=q.mean, u6=u6, u4_err=q.mean_err, u6_err=u6_err, u4_spread=q.spread,
        u6_spread=u6_spread, exact=bool(c.exact), n_networks=c.n_networks,
        estimator="exact" if c.exact else str(c.estimator), u8=u8,
        heavy_tail=None if c.exact else c.meta.get("heavy_tail"),
        u4_replicates=u4_reps, u6_replicates=u6_reps,
    )


def ir_data(net: Network, X=None, *, order: int = 6, exact: bool | None = None,
            n_networks: int | None = None, seed: int = 0, estimator: str | None = None,
            executor=None, progress: bool = False, normalisation: str = "raw") -> IRData:
    """IR data of a Gauss- or cos-net: kinetic term and measured couplings.

    Parameters
    ----------
    net : Network
        gauss or cos, one hidden layer.
    X : array_like (n_inputs, d) or None
        Inputs where the couplings are measured; None means the small-input limit (the
        couplings at the single input x = 0, which is their limit as sigma_w |x| / sqrt(d) -> 0).
    order : {4, 6, 8}
        Highest correlator order: 4 gives u4, 6 adds u6 (kappa), 8 adds u8 (exact only).
    exact : bool or None
        Exact correlators (default when ``n_networks`` is None) or Monte Carlo.
    n_networks, seed, estimator, executor, progress
        Monte Carlo options of :func:`nnqft.estimate.estimate_correlators`.
    normalisation : {"raw", "canonical"}

    Returns
    -------
    IRData
    """
    check_bridge_network(net)
    if order not in (4, 6, 8):
        raise ValueError(f"order must be 4, 6 or 8, got {order!r}")
    small = X is None
    X = small_input_inputs(net.d_in) if small else as_inputs(X, net.d_in)
    if exact is None:
        exact = n_networks is None
    if exact and n_networks is not None:
        raise ValueError("give either exact=True (--exact) or n_networks (--networks M), "
                         "not both")
    orders = tuple(range(2, order + 1, 2))
    if exact:
        from ..exact import exact_correlators

        c = exact_correlators(net, X, orders=orders)
    else:
        if n_networks is None:
            raise ValueError("Monte Carlo IR data need n_networks (--networks M)")
        if order == 8:
            raise ValueError("u8 is measured from exact correlators only")
        from ..estimate import estimate_correlators

        c = estimate_correlators(net, X, orders=orders, n_networks=int(n_networks), seed=seed,
                                 estimator=estimator, executor=executor, progress=progress)
    ir = ir_from_correlators(c, small_input=small)
    return ir.to_canonical() if normalisation == "canonical" else ir._scaled(normalisation)
