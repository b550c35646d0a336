"""The O(n) bridge: IR data of n-output networks into O(n) LPA flows (docs/vector.md).

An n-output Gauss- or cos-net is an n-component field with propagator delta_ab K and the O(n)
couplings of :mod:`nnqft.eft.on`, S = ... + lambda/4! (f.f)^2 + kappa/6! (f.f)^3. The LPA of
:class:`nnqft.frg.LPA` with ``components=n`` writes U = sum u_2j (f.f)^j (2^j / (2j)!) (i.e.
u_2j phi^(2j)/(2j)! with phi^2 = 2 rho = f.f), so the IR data are u4 = lambda, u6 = kappa (tuple
means of the O(n) couplings), with the same kinetic term and the same two normalisations
("raw", set-up (a); "canonical", set-up (b)) as the one-output bridge (:mod:`nnqft.bridge.ir`).
With one output everything here is the one-output bridge.

Modes. About a field value rho = f.f/2 the n components split into n - 1 Goldstone modes with
mass U'(rho) and one radial mode with mass U'(rho) + 2 rho U''(rho); the LPA flow is
d_t U = v_d k^d [(n - 1) T(U') + T(U' + 2 rho U'')]. Expanded about rho = 0 the Goldstone
modes carry a share (n - 1)/(n + 2) of the flow of the mass and (n - 1)/(n + 8) of the lambda^2
term of the flow of the quartic coupling (:func:`mode_weights`).

Large n. With rho = n rho~ and U = n U~(rho~), the flow becomes
d_t U~ = v_d k^d [(1 - 1/n) T(U~') + (1/n) T(U~' + 2 rho~ U~'')]: at n = infinity only the
Goldstone term survives and the LPA is exact (no anomalous dimension, derivative corrections
suppressed by 1/n). The scaled couplings are u~4 = n u4, u~6 = n^2 u6. For one-hidden-layer
networks with a normal last layer the amplitudes do not depend on n and lambda ~ 1/N,
kappa ~ 1/N^2, so networks of width N = N0 n have n-independent scaled IR data: their flows
approach the n = infinity flow with 1/n corrections (:func:`large_n_flows`).

References
----------
[ELS] Erbin, Lahoche, Ousmane Samary, arXiv:2108.01403 (the FRG set-up from the IR).
[DMT] D'Attanasio, Morris, Nucl. Phys. B 1997; [TW] Tetradis, Wetterich, Nucl. Phys. B 422
(1994): the O(N) LPA and its exactness at N = infinity.
"""

from __future__ import annotations

import math

import numpy as np

from ..kernels import kinetic_parameters
from ..networks import Network, as_inputs
from .flows import K_SPAN, SETUPS, BridgeFlow, run_polynomial_flow
from .ir import IRData, check_bridge_network, ir_data, small_input_inputs

__all__ = [
    "LARGE_N",
    "on_ir_data",
    "on_ir_dict",
    "on_flow_from_ir",
    "mode_weights",
    "mode_masses",
    "on_passive_reading",
    "large_n_flows",
]

#: The number of components that stands for n = infinity in :func:`large_n_flows` (the
#: neglected radial term is 1/LARGE_N of the Goldstone one).
LARGE_N = 10**8

ON_IR_CONVENTION = ("S = (1/2) f_a K_w^-1 f_a + u4/4! (f.f)^2 + u6/6! (f.f)^3, Lambda = inf; "
                    "u4, u6 = tuple means of the O(n) couplings (docs/vector.md); canonical = "
                    "/Z0^2, /Z0^3")


def on_ir_data(net: Network, X=None, *, order: int = 6, exact: bool | None = None,
               n_networks: int | None = None, seed: int = 0, estimator: str | None = None,
               executor=None, progress: bool = False, normalisation: str = "raw") -> IRData:
    """IR data of an n-output Gauss- or cos-net for the O(n) LPA (module docstring).

    ``net.d_out == 1`` gives :func:`nnqft.bridge.ir_data` unchanged. Exact data use the
    pairing amplitudes from single-neuron moments (any n); Monte Carlo data read them from the
    multi-output correlators (n >= 2 for u4, n >= 3 for u6). Order 8 is one-output only.
    """
    from ..eft.on import (
        exact_pairing_amplitudes,
        on_couplings,
        on_sextic_couplings,
    )

    if net.d_out == 1:
        return ir_data(net, X, order=order, exact=exact, n_networks=n_networks, seed=seed,
                       estimator=estimator, executor=executor, progress=progress,
                       normalisation=normalisation)
    check_bridge_network(net)
    if order not in (4, 6):
        raise ValueError(f"order must be 4 or 6 for several outputs, got {order!r}")
    small = X is None
    X = small_input_inputs(net.d_in) if small else as_inputs(X, net.d_in)
    if exact is None:
        exact = n_networks is None
    if exact and n_networks is not None:
        raise ValueError("give either exact=True or n_networks, not both")
    c = None
    if exact:
        a4 = exact_pairing_amplitudes(net, X, 4)
        q = on_couplings(a4, cutoff=math.inf)
        s = None
        if order == 6:
            s = on_sextic_couplings(exact_pairing_amplitudes(net, X, 6), cutoff=math.inf,
                                    quartic=q)
    else:
        if n_networks is None:
            raise ValueError("Monte Carlo IR data need n_networks")
        from ..estimate import estimate_correlators

        c = estimate_correlators(net, X, orders=tuple(range(2, order + 1, 2)),
                                 n_networks=int(n_networks), seed=seed, estimator=estimator,
                                 executor=executor, progress=progress)
        q = on_couplings(c, cutoff=math.inf)
        s = on_sextic_couplings(c, cutoff=math.inf, quartic=q) if order == 6 else None
    kp = kinetic_parameters(net)
    ir = IRData(
        network=net, inputs=X, small_input=small, normalisation="raw", A=kp["A"],
        mu2=kp["mu2"], Z0=kp["Z0"], u2=0.0, u4=q.mean, u6=None if s is None else s.mean,
        u4_err=q.mean_err, u6_err=None if s is None else s.mean_err, u4_spread=q.spread,
        u6_spread=None if s is None else s.spread, exact=bool(exact),
        n_networks=None if exact else int(n_networks),
        estimator="exact" if exact else str(c.estimator),
        heavy_tail=None if c is None else c.meta.get("heavy_tail"),
        u4_replicates=None if q.replicates is None else q.replicates.mean(axis=1),
        u6_replicates=None if s is None or s.replicates is None else s.replicates.mean(axis=1),
    )
    return ir if normalisation == "raw" else ir._scaled(normalisation)


def on_ir_dict(ir: IRData) -> dict:
    """``IRData.to_dict()`` plus ``outputs`` and the O(n) convention (several outputs)."""
    out = ir.to_dict()
    n = ir.network.d_out
    if n > 1:
        out["outputs"] = n
        out["convention"] = ON_IR_CONVENTION
        out["modes"] = mode_weights(n)
    return out


def mode_weights(n: int) -> dict:
    """Goldstone and radial modes of the O(n) LPA about rho = 0 (module docstring)."""
    return {"goldstone": n - 1, "radial": 1,
            "goldstone_share_mass_flow": (n - 1) / (n + 2),
            "goldstone_share_quartic_flow": (n - 1) / (n + 8)}


def mode_masses(couplings: dict, rho) -> dict:
    """Goldstone U'(rho) and radial U'(rho) + 2 rho U''(rho) masses of
    U = u2 rho + u4 (2 rho)^2/4! + u6 (2 rho)^3/6! (arrays of couplings broadcast)."""
    rho = np.asarray(rho, dtype=np.float64)
    u2 = np.asarray(couplings["u2"])
    u4 = np.asarray(couplings.get("u4", 0.0))
    u6 = np.asarray(couplings.get("u6", 0.0))
    return {"goldstone": u2 + u4 * rho / 3 + u6 * rho**2 / 30,
            "radial": u2 + u4 * rho + u6 * rho**2 / 6}


def _lpa(setup: str, ir: IRData, n: int):
    from ..frg import LPA, ExponentialKinetic

    if setup == "a":
        return LPA(dim=ir.d, components=n, regulator="litim_spectral",
                   kinetic=ExponentialKinetic(A=ir.A, mu2=ir.mu2))
    if setup == "b":
        return LPA(dim=ir.d, components=n, regulator="litim")
    raise ValueError(f"unknown set-up {setup!r}; choose 'a' or 'b'")


def on_flow_from_ir(ir: IRData, setup: str = "b", order: int = 6, *,
                    components: int | None = None, k_span=K_SPAN,
                    blowup_threshold: float = 1e6, n_points: int = 400, rtol: float = 1e-10,
                    atol: float = 1e-12, scale: float = 1.0) -> BridgeFlow:
    """Upward O(n) LPA flow from IR data in set-up "a" or "b" (n = ``components``, default
    the number of outputs of the network).

    ``scale`` multiplies u_2j by scale^(1-j) (the large-n rescaling u4 -> u4 / n with
    scale = n). ``BridgeFlow.k_star`` is where |u4| passes ``blowup_threshold`` or a
    propagator pole appears.
    """
    n = ir.network.d_out if components is None else int(components)
    target = SETUPS[setup]["normalisation"] if setup in ("a", "b") else None
    if target is None:
        raise ValueError("O(n) flows run the consistent set-ups 'a' and 'b'")
    data = ir.to_raw() if target == "raw" else ir.to_canonical()
    init = data.couplings(order)
    init = {k: v * scale ** (1 - int(k[1:]) // 2) for k, v in init.items()}
    res = run_polynomial_flow(_lpa(setup, data, n), init, order // 2, k_span,
                              blowup_threshold * scale ** -1, n_points, rtol, atol)
    label = SETUPS[setup]["label"] + f", O({n}) LPA"
    return BridgeFlow(setup, label, target, order // 2, init, res, ir.d,
                      meta={"width": ir.network.width, "sigma_w": ir.network.sigma_w,
                            "sigma_b": ir.network.sigma_b, "exact": ir.exact,
                            "small_input": ir.small_input, "Z0": ir.Z0, "components": n,
                            "outputs": ir.network.d_out, "modes": mode_weights(n)})


def on_passive_reading(flow: BridgeFlow, ir: IRData, *, n_k: int = 12, k_min: float = 1e-3,
                       below_fraction: float = 0.9) -> dict:
    """Passive reading of an O(n) set-up (b) flow: sigma_W(k) = sqrt(d u2(k) / 2) and the flowed
    u4(k) against the canonical O(n) coupling of n-output networks with that sigma_W (same
    inputs and width), below k*."""
    if flow.setup != "b":
        raise ValueError("the passive reading uses set-up (b) (canonical, u2 carries the mass)")
    k = flow.k
    kmax = k[-1] if flow.k_star is None else below_fraction * flow.k_star
    grid = np.geomspace(k_min, kmax, n_k)
    u2 = np.interp(np.log(grid), np.log(k), flow.coupling("u2"))
    u4 = np.interp(np.log(grid), np.log(k), flow.coupling("u4"))
    ok = u2 > 0
    grid, u2, u4 = grid[ok], u2[ok], u4[ok]
    sw = np.sqrt(ir.d * u2 / 2.0)
    X = None if ir.small_input else ir.inputs
    meas = [on_ir_data(ir.network.replace(sigma_w=float(s)), X, order=4,
                       normalisation="canonical").u4 for s in sw]
    return {"k": grid, "sigma_w": sw, "u4_flow": u4, "u4_networks": np.array(meas),
            "normalisation": "canonical", "k_star": flow.k_star,
            "components": flow.meta.get("components")}


def large_n_flows(net: Network, X=None, ns=(1, 2, 4, 10, 30, 100), *, base_width: int = 10,
                  setup: str = "b", order: int = 6, k_span=K_SPAN, n_k: int = 40,
                  n_points: int = 400) -> dict:
    """Network flows at growing n against the n = infinity O(n) LPA (module docstring).

    For each n: exact IR data of the n-output network of width N = base_width * n, its O(n)
    flow, and the scaled couplings u~4 = n u4, u~6 = n^2 u6 on a common k grid below every k*.
    The reference is the same flow with :data:`LARGE_N` components and the scaled IR data of
    the first n. Returns the grid, the scaled couplings per n, the reference, the largest
    relative difference of u~4 to the reference per n, and k* per n.
    """
    ns = [int(n) for n in ns]
    flows, irs = [], []
    for n in ns:
        ir = on_ir_data(net.replace(width=base_width * n, outputs=n), X, order=order)
        irs.append(ir)
        flows.append(on_flow_from_ir(ir, setup, order, k_span=k_span, n_points=n_points))
    ref_ir = irs[0]
    n0 = ns[0]
    # scaled IR data of the first n, carried to LARGE_N components (u_2j -> u_2j n0^(j-1) /
    # LARGE_N^(j-1))
    ref = on_flow_from_ir(ref_ir, setup, order, components=LARGE_N, k_span=k_span,
                          n_points=n_points, scale=LARGE_N / n0)
    kstars = [f.k_star for f in flows] + ([ref.k_star] if ref.k_star else [])
    kmax = min([k_span[1]] + [0.95 * k for k in kstars if k is not None])
    grid = np.geomspace(max(k_span[0], 1e-3), kmax, n_k)

    def scaled(f, n, name):
        j = int(name[1:]) // 2
        return n ** (j - 1) * np.interp(np.log(grid), np.log(f.k), f.coupling(name))

    names = ["u2", "u4"] + (["u6"] if order >= 6 else [])
    out = {"k": grid, "ns": ns, "widths": [base_width * n for n in ns],
           "k_star": [f.k_star for f in flows], "k_star_infinity": ref.k_star,
           "reference": {nm: scaled(ref, LARGE_N, nm) for nm in names}, "setup": setup,
           "normalisation": flows[0].normalisation}
    for nm in names:
        out[nm] = [scaled(f, n, nm) for f, n in zip(flows, ns, strict=True)]
    r4 = out["reference"]["u4"]
    out["u4_max_rel_diff"] = [float(np.max(np.abs(v - r4) / np.abs(r4))) for v in out["u4"]]
    out["scaled_ir"] = [{"u4": n * ir.to_canonical().u4 if setup == "b" else n * ir.u4}
                        for ir, n in zip(irs, ns, strict=True)]
    return out
