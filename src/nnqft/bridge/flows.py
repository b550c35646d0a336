"""LPA flows started in the IR from measured network data (docs/theory.md#frg-from-the-ir; [ELS]).

Set-ups (each result carries its label and normalisation):

``"a"``  the full kinetic term Z(p^2) = A exp(p^2/mu^2) with the ``litim_spectral`` regulator and
         *raw* IR data: u2 = 0 (the mass is inside Z), u4 = lambda, u6 = kappa (, u8).
``"b"``  the p^2-truncated kinetic term Z_0 (p^2 + mu^2) rescaled to a unit p^2 coefficient:
         Z = p^2, Litim, *canonical* IR data u2 = mu^2, u4 = lambda/Z_0^2, u6 = kappa/Z_0^3
         (, u8/Z_0^4).
``"els"`` the [ELS] set-up "as published": Z = p^2, Litim, u2 = mu^2 = 2 sigma_W^2/d but *raw*
         u4 (and u6 = 50 typed in by [ELS], or the measured raw kappa). The normalisation is
         inconsistent (raw couplings with a unit p^2 coefficient); kept only as a labelled
         reproduction. :func:`els_as_published` is the one place in nnqft where couplings are
         typed in by hand (:data:`ELS_PUBLISHED`).

All flows are polynomial truncations about phi = 0 in dimensionful [ELS] couplings
U = sum u_2j phi^(2j)/(2j)!, integrated upwards from k = 1e-10 to k = 100 with Radau
(:meth:`nnqft.frg.LPA.flow`). With measured couplings they diverge at a finite k*: the flow
stops there (|u4| > 1e6 or a propagator pole) and reports k*; every comparison here is made
below k*.

"Passive" reading (set-up (b)): the running mass is identified with the weight scale,
u2(k) = 2 sigma_W(k)^2 / d, and the flowed u4(k) is compared with the canonical coupling
lambda/Z_0^2 measured on networks with that sigma_W (:func:`passive_reading`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .ir import IRData, check_same_normalisation

__all__ = [
    "SETUPS",
    "K_SPAN",
    "ELS_PUBLISHED",
    "BridgeFlow",
    "lpa_for_setup",
    "flow_from_ir",
    "els_as_published",
    "els_with_measured",
    "passive_reading",
    "compare_flows",
    "run_polynomial_flow",
]

#: k range of [ELS] (k from ~0 to the UV scale).
K_SPAN = (1e-10, 100.0)

SETUPS = {
    "a": {"label": "(a) full kinetic term Z = A exp(p^2/mu^2), litim_spectral, raw IR data "
                   "(u2 = 0, u4 = lambda, u6 = kappa)",
          "normalisation": "raw", "regulator": "litim_spectral"},
    "b": {"label": "(b) p^2-truncated kinetic term rescaled to Z = p^2, Litim, canonical IR "
                   "data (u2 = mu^2, u4 = lambda/Z0^2, u6 = kappa/Z0^3)",
          "normalisation": "canonical", "regulator": "litim"},
    "els": {"label": "[ELS] as published: Z = p^2, Litim, u2 = mu^2 with RAW u4 (inconsistent "
                     "normalisation: raw couplings with a unit p^2 coefficient)",
            "normalisation": "els_as_published", "regulator": "litim"},
}

#: Numbers typed in from [ELS] (arXiv:2108.01403) and the flow results they lead to
#: (docs/theory.md#the-published-flow). The ONLY hand-set couplings in nnqft: used by els_as_published.
ELS_PUBLISHED = {
    "u2_0": 2.0,  # mu^2 = 2 sigma_W^2 / d at sigma_W = 1, d = 1
    "u6_0": 50.0,  # set by hand in [ELS]
    "u4_0": {1000: -0.0736, 3: -63.0},  # from their 5 x 1000-network Monte Carlo
    "results": {
        1000: {"sigma_w_100": 1.1096, "u4_100": -4.484, "u6_100": 19.26},
        3: {"sigma_w_100": 1.706, "u4_100": -27.95},
    },
    "exact_u4_0": {3: -42.77},
    "note": "typed in from [ELS]; u4_0 from a heavy-tailed 5 x 1000 Monte Carlo, u6_0 = 50 by "
            "hand; raw u4 used with a unit p^2 coefficient (inconsistent normalisation)",
}


@dataclass
class BridgeFlow:
    """A labelled flow from the IR.

    Attributes
    ----------
    setup : "a", "b" or "els";  label : human-readable description
    normalisation : "raw", "canonical" or "els_as_published"
    order : truncation phi^(2 order)... as the number of couplings M (3 = phi^6, 4 = phi^8)
    initial : the IR couplings used
    result : :class:`nnqft.frg.FlowResult` (``k``, ``coupling(name)``, ``status``, ``k_star``)
    typed_in : True only for the [ELS] "as published" numbers
    """

    setup: str
    label: str
    normalisation: str
    order: int
    initial: dict
    result: object
    d: int
    typed_in: bool = False
    meta: dict = field(default_factory=dict)

    @property
    def k(self) -> np.ndarray:
        return self.result.k

    @property
    def k_star(self) -> float | None:
        return self.result.k_star

    @property
    def status(self) -> str:
        return self.result.status

    def coupling(self, name: str) -> np.ndarray:
        return self.result.coupling(name)

    def sigma_w_of_k(self) -> np.ndarray:
        """Passive reading sigma_W(k) = sqrt(d u2(k) / 2) (set-ups "b" and "els" only)."""
        if self.setup == "a":
            raise ValueError("set-up (a) keeps the mass inside Z (u2 = 0): sigma_W(k) is read "
                             "from u2 only in set-up (b) (docs/theory.md#set-ups)")
        return np.sqrt(self.d * np.maximum(self.coupling("u2"), 0.0) / 2.0)

    def summary(self) -> dict:
        fin = self.result.final
        out = {"setup": self.setup, "label": self.label, "normalisation": self.normalisation,
               "order": 2 * self.order, "initial": self.initial, "status": self.status,
               "k_star": self.k_star, "k_end": float(self.k[-1]), "final": fin,
               "message": self.result.message, "typed_in": self.typed_in}
        if self.setup != "a":
            out["sigma_w_end"] = float(self.sigma_w_of_k()[-1])
        return out


def lpa_for_setup(setup: str, ir: IRData | None = None, d: int = 1):
    """The :class:`nnqft.frg.LPA` of a set-up ("a" needs the kinetic data of ``ir``)."""
    from ..frg import LPA, ExponentialKinetic

    if setup == "a":
        if ir is None:
            raise ValueError("set-up (a) needs the IR data for its kinetic term")
        return LPA(dim=ir.d, components=1, regulator="litim_spectral",
                   kinetic=ExponentialKinetic(A=ir.A, mu2=ir.mu2))
    if setup in ("b", "els"):
        return LPA(dim=ir.d if ir is not None else d, components=1, regulator="litim")
    raise ValueError(f"unknown set-up {setup!r}; choose 'a', 'b' or 'els'")


def run_polynomial_flow(lpa, initial: dict, order: int, k_span, blowup_threshold, n_points,
                        rtol, atol):
    """The bridge's LPA flow: polynomial truncation (``order`` = M couplings u2..u2M) about
    phi = 0, Radau from ``k_span[0]`` upward, stopped when |u4| passes ``blowup_threshold``
    (shared by the one-component flows here and the O(n) flows of :mod:`nnqft.bridge.on`)."""
    return lpa.flow(initial, k_span, method="polynomial", order=order, expand_about="zero",
                    blowup_threshold=blowup_threshold, rtol=rtol, atol=atol, n_points=n_points,
                    solver="Radau")


def flow_from_ir(ir: IRData, setup: str = "b", order: int = 6, *, k_span=K_SPAN,
                 blowup_threshold: float = 1e6, n_points: int = 400, rtol: float = 1e-10,
                 atol: float = 1e-12) -> BridgeFlow:
    """Upward LPA flow from measured IR data in set-up "a" or "b" (module docstring).

    ``order``: truncation phi^order about phi = 0 (4, 6 or 8; 8 needs u8 from exact G8_c).
    The flow stops at k* when |u4| passes ``blowup_threshold`` or a propagator denominator
    vanishes; ``BridgeFlow.k_star`` reports it.
    """
    if setup not in ("a", "b"):
        raise ValueError("flow_from_ir runs the consistent set-ups 'a' and 'b'; use "
                         "els_as_published / els_with_measured for the [ELS] set-up")
    target = SETUPS[setup]["normalisation"]
    data = ir.to_raw() if target == "raw" else ir.to_canonical()
    init = data.couplings(order)
    M = order // 2
    res = run_polynomial_flow(lpa_for_setup(setup, data), init, M, k_span, blowup_threshold,
                              n_points, rtol, atol)
    return BridgeFlow(setup, SETUPS[setup]["label"], target, M, init, res, ir.d,
                      meta={"width": ir.network.width, "sigma_w": ir.network.sigma_w,
                            "sigma_b": ir.network.sigma_b, "exact": ir.exact,
                            "small_input": ir.small_input, "Z0": ir.Z0})


def els_as_published(width: int = 1000, *, u4_0: float | None = None,
                     u6_0: float | None = None, k_span=K_SPAN, n_points: int = 400,
                     rtol: float = 1e-10, atol: float = 1e-12) -> BridgeFlow:
    """The [ELS] passive flow AS PUBLISHED, with their typed-in couplings (labelled).

    d = 1, Z = p^2, Litim, phi^6 about 0, u = (2, u4_0, 50) at k = 1e-10, Radau to k = 100,
    raw u4_0 from their 5 x 1000 Monte Carlo (-0.0736 at N = 1000, -63 at N = 3). This is the
    only function of nnqft that uses hand-set couplings (:data:`ELS_PUBLISHED`); the set-up
    mixes a unit p^2 coefficient with raw couplings and is inconsistent (docs/theory.md#set-ups).
    """
    if u4_0 is None:
        if width not in ELS_PUBLISHED["u4_0"]:
            raise ValueError(f"[ELS] published u4_0 only for N in {sorted(ELS_PUBLISHED['u4_0'])}")
        u4_0 = ELS_PUBLISHED["u4_0"][width]
    u6 = ELS_PUBLISHED["u6_0"] if u6_0 is None else float(u6_0)
    init = {"u2": ELS_PUBLISHED["u2_0"], "u4": float(u4_0), "u6": u6}
    res = run_polynomial_flow(lpa_for_setup("els", d=1), init, 3, k_span, 1e6, n_points, rtol,
                              atol)
    return BridgeFlow("els", SETUPS["els"]["label"] + " -- couplings TYPED IN from [ELS]",
                      "els_as_published", 3, init, res, 1, typed_in=True,
                      meta={"width": width, "source": ELS_PUBLISHED["note"]})


def els_with_measured(ir: IRData, *, order: int = 6, k_span=K_SPAN, n_points: int = 400,
                      rtol: float = 1e-10, atol: float = 1e-12) -> BridgeFlow:
    """The [ELS] set-up (Z = p^2, Litim, u2 = mu^2, RAW u4, u6) with measured couplings.

    Same inconsistent normalisation as published, but nothing typed in: u4, u6 measured.
    """
    raw = ir.to_raw()
    init = raw.couplings(order)
    init["u2"] = ir.mu2
    res = run_polynomial_flow(lpa_for_setup("els", d=ir.d), init, order // 2, k_span, 1e6,
                              n_points, rtol, atol)
    return BridgeFlow("els", SETUPS["els"]["label"] + " -- measured u4, u6", "els_as_published",
                      order // 2, init, res, ir.d,
                      meta={"width": ir.network.width, "sigma_b": ir.network.sigma_b})


def passive_reading(flow: BridgeFlow, ir: IRData, *, n_k: int = 12, k_min: float = 1e-3,
                    below_fraction: float = 0.9) -> dict:
    """Passive reading of a set-up (b) flow: u4(k) against networks with sigma_W(k).

    sigma_W(k) = sqrt(d u2(k)/2); the measured side is the exact canonical coupling
    lambda(sigma_W)/Z_0(sigma_W)^2 on the inputs and width of ``ir``. Only scales below k*
    (up to ``below_fraction * k*``) where u2(k) > 0 are used. Returns arrays k, sigma_w,
    u4_flow, u4_networks.
    """
    from ..networks import Network

    if flow.setup != "b":
        raise ValueError("the passive reading uses set-up (b) (canonical, u2 carries the mass)")
    check_same_normalisation(flow, "canonical")
    k = flow.k
    kmax = k[-1] if flow.k_star is None else below_fraction * flow.k_star
    grid = np.geomspace(k_min, kmax, n_k)
    logk = np.log(k)
    u2 = np.interp(np.log(grid), logk, flow.coupling("u2"))
    u4 = np.interp(np.log(grid), logk, flow.coupling("u4"))
    ok = u2 > 0
    grid, u2, u4 = grid[ok], u2[ok], u4[ok]
    sw = np.sqrt(ir.d * u2 / 2.0)
    meas = []
    net0 = ir.network
    X = None if ir.small_input else ir.inputs
    from .ir import ir_data

    for s in sw:
        net = Network(net0.activation, width=net0.width, d_in=net0.d_in, sigma_w=float(s),
                      sigma_b=net0.sigma_b)
        meas.append(ir_data(net, X, order=4, normalisation="canonical").u4)
    return {"k": grid, "sigma_w": sw, "u4_flow": u4, "u4_networks": np.array(meas),
            "normalisation": "canonical", "k_star": flow.k_star}


def compare_flows(f1: BridgeFlow, f2: BridgeFlow, names=("u4", "u6"), *, n_k: int = 12,
                  k_min: float = 1e-3, convert_to: str = "canonical") -> dict:
    """Compare two flows below the smaller k*, in one normalisation.

    A set-up (a) flow (raw) is converted to the canonical normalisation by u_2j / Z0^j (the
    same field rescaling as the IR data); flows already in different normalisations that
    cannot be converted (the [ELS] "as published" one) are refused.
    """
    for f in (f1, f2):
        if f.normalisation == "els_as_published":
            raise ValueError("the [ELS] as-published flow has an inconsistent normalisation and "
                             "is compared only with its published numbers")
    norms, conv = [], {}
    for f in (f1, f2):
        if f.normalisation == convert_to:
            conv[id(f)] = 1.0
        elif f.normalisation == "raw" and convert_to == "canonical":
            conv[id(f)] = f.meta["Z0"]  # canonical u_2j = raw u_2j / Z0^j
        elif f.normalisation == "canonical" and convert_to == "raw":
            conv[id(f)] = 1.0 / f.meta["Z0"]
        else:
            raise ValueError(f"cannot convert a {f.normalisation} flow to {convert_to}")
        norms.append(convert_to)
    check_same_normalisation(*norms)
    ks = [f.k_star for f in (f1, f2) if f.k_star is not None]
    kmax = min([f1.k[-1], f2.k[-1]] + [0.999 * x for x in ks])
    grid = np.geomspace(k_min, kmax, n_k)
    out = {"k": grid, "normalisation": convert_to, "k_max_compared": kmax,
           "labels": [f1.label, f2.label]}
    for name in names:
        vals = []
        for f in (f1, f2):
            j = int(name[1:]) // 2
            v = np.interp(np.log(grid), np.log(f.k), f.coupling(name)) / conv[id(f)] ** j
            vals.append(v)
        out[name] = vals
        out[f"{name}_max_rel_diff"] = float(np.max(np.abs(vals[0] - vals[1])
                                                   / np.maximum(np.abs(vals[1]), 1e-300)))
    return out

