"""Set-up (c): the grid LPA from the IR as an inverse problem (docs/theory.md#set-ups, #flow-direction).

A grid (functional) LPA flow can only be integrated downwards (towards the IR it is diffusive;
upwards it is a backward heat equation). To use it with measured IR data we ask: which potential
at a stated UV scale k_UV flows down to the measured IR u2, u4, u6? Set-up (b) conventions:
Z = p^2, Litim, canonical couplings, U'(rho) on a grid in rho = phi^2/2 (u_2j = (2j-1)!! U^(j)(0)).

Method: the UV potential is the phi^6 polynomial U'(rho) = v2 + (v4/3) rho + (v6/15) rho^2/2
(three parameters, as many as the data); the grid flow (``LPA.flow(method="grid")``) carries it
from k_UV to k_IR; the IR couplings are read off by a least-squares polynomial fit of U'(rho)
near rho = 0; ``scipy.optimize.least_squares`` adjusts (v2, v4, v6) starting from the upward
polynomial flow's UV values (or from the IR data when that flow diverges), then, if that fails,
from the IR data with u6 = 0 and with u4 = u6 = 0 (a small multistart, not a proof of
non-existence: "none" means none was found by this search). The answer is
"found" when every IR coupling is reproduced to ``rtol``; otherwise the report says plainly
that no such UV potential was found, with the best residual and why (the grid flow stopping at
the convexity limit, or the fit not converging).

The grid covers rho in [0, rho_max], with rho_max below the first zero of the IR
U' + 2 rho U'' (beyond it the measured potential is not convex and the flow must stop).
"""

from __future__ import annotations

import numpy as np

from .ir import IRData

__all__ = ["inverse_grid", "inverse_grid_couplings"]


def _ir_couplings(res, n_fit: int) -> np.ndarray:
    rho = res.rho
    w = res.values[-1]
    c = np.polynomial.polynomial.polyfit(rho[:n_fit], w[:n_fit], 4)
    lam1, lam2, lam3 = c[0], c[1], 2 * c[2]
    return np.array([lam1, 3 * lam2, 15 * lam3])


def inverse_grid(ir: IRData, **kw) -> dict:
    """Find the UV potential at ``k_uv`` whose downward grid flow reproduces the measured IR
    u2, u4, u6 of ``ir`` (set-up (b), canonical); see :func:`inverse_grid_couplings`."""
    from .flows import flow_from_ir

    can = ir.to_canonical()
    target = [can.u2, can.u4, can.u6]
    k_uv, k_ir = kw.get("k_uv", 100.0), kw.get("k_ir", 1e-3)
    poly = flow_from_ir(ir, "b", 6, k_span=(k_ir, k_uv), rtol=1e-8, atol=1e-12, n_points=20)
    guess = None
    if poly.status == "completed":
        guess = [poly.result.final[n] for n in ("u2", "u4", "u6")]
    out = inverse_grid_couplings(target, ir.d, guess=guess, **kw)
    out.update({"polynomial_upward_status": poly.status, "polynomial_k_star": poly.k_star})
    return out


def inverse_grid_couplings(target, d: int = 1, *, guess=None, k_uv: float = 100.0,
                           k_ir: float = 1e-3, n_points: int = 201, n_fit: int = 27,
                           rho_max: float | None = None, rtol: float = 1e-3,
                           max_nfev: int = 40) -> dict:
    """Inverse problem for canonical IR couplings ``target`` = (u2, u4, u6) (module docstring).

    ``n_points``: grid points in rho; ``n_fit``: the first ``n_fit`` of them carry the
    polynomial fit of the IR couplings. (Before LPA.flow passed ``n_points`` to the grid, the
    grid always had 201 points and n_fit was n_points // 3 = 27 of the old default 81: the
    defaults keep those numbers.)

    Returns a dict: ``status`` ("found" or "none"), ``message``, ``uv`` (u2, u4, u6 at k_uv),
    ``ir_target``, ``ir_reached``, ``max_rel_residual``, ``rho_max``, ``k_uv``, ``k_ir``,
    ``n_flows``, ``normalisation`` ("canonical").
    """
    from scipy.optimize import least_squares

    from ..frg import LPA

    target = np.asarray(target, dtype=float)
    lam = np.array([target[0], target[1] / 3, target[2] / 15])
    if rho_max is None:
        # below the first zero of U' + 2 rho U'' = lam1 + 3 lam2 rho + (5/2) lam3 rho^2 (IR
        # data); without one, where the sextic term is comparable with the mass term
        c = [2.5 * lam[2], 3 * lam[1], lam[0]]
        roots = np.roots(c) if any(c[:2]) else np.array([])
        pos = [r.real for r in np.atleast_1d(roots) if abs(r.imag) < 1e-12 and r.real > 0]
        if pos:
            rho_max = 0.5 * min(pos)
        elif lam[2] != 0:
            rho_max = float(min(np.sqrt(abs(lam[0] / lam[2])), 1e3))
        else:
            rho_max = 1.0
    lpa = LPA(dim=d, components=1, regulator="litim")
    guess = target.copy() if guess is None else np.asarray(guess, dtype=float)
    scale = np.abs(target) + 1e-12
    stops = []
    count = [0]

    def resid(p):
        count[0] += 1
        res = lpa.flow({"u2": p[0], "u4": p[1], "u6": p[2]}, (k_uv, k_ir), method="grid",
                       rho_max=rho_max, n_points=n_points, rtol=1e-12)
        if res.status != "completed":
            stops.append((res.status, res.k_star))
            return np.full(3, 1e3)
        return (_ir_couplings(res, n_fit) - target) / scale

    # multistart: the given guess, then the IR data with the higher couplings switched off
    starts = [guess, np.array([target[0], target[1], 0.0]), np.array([target[0], 0.0, 0.0])]
    best = None
    for g in starts:
        sol = least_squares(resid, g, x_scale=np.abs(g) + 1e-3 * np.abs(target) + 1e-12,
                            max_nfev=max_nfev, xtol=1e-12, ftol=1e-12)
        r = resid(sol.x)
        worst = float(np.max(np.abs(r)))
        if best is None or worst < best[2]:
            best = (sol, r, worst)
        if worst <= rtol:
            break
    sol, r, worst = best
    found = worst <= rtol
    if found:
        msg = (f"found: the phi^6 potential at k_UV = {k_uv:g} with u2, u4, u6 = "
               f"{sol.x[0]:.6g}, {sol.x[1]:.6g}, {sol.x[2]:.6g} flows down to the measured IR "
               f"data within {worst:.1e} (relative)")
    else:
        why = (f"the grid flow stopped {len(stops)} times ({stops[-1][0]} at k = "
               f"{stops[-1][1]:.3g})" if stops else "the least-squares fit did not reach it")
        msg = (f"NO UV potential found: no phi^6 potential at k_UV = {k_uv:g} flows down to the "
               f"measured IR data (best relative residual {worst:.2g}; {why})")
    return {"status": "found" if found else "none", "message": msg, "uv": sol.x.tolist(),
            "ir_target": target.tolist(),
            "ir_reached": (target + r * scale).tolist() if worst < 1e3 else None,
            "max_rel_residual": worst, "rho_max": float(rho_max), "k_uv": k_uv, "k_ir": k_ir,
            "n_flows": count[0], "normalisation": "canonical"}
