"""FRG benchmark: time to nu (polynomial orders 16 and 36, grid) and a phi^6 flow against a baseline.

Baseline: scipy's solve_ivp (Radau, same tolerances) on the hand-written [ELS] phi^6 system of
docs/theory.md#critical-exponents, measured in the same run; every timing is reported as a ratio to it.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.integrate import solve_ivp


def _best(f, repeat):
    ts = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        ts.append(time.perf_counter() - t0)
    return min(ts), out


def _baseline():
    vd = 1 / np.pi

    def rhs(t, u):
        k = np.exp(t)
        u2, u4, u6 = u
        D = k * k + u2
        c = vd * k**3
        return [-c * u4 / D**2, c * (-u6 / D**2 + 6 * u4**2 / D**3),
                c * (30 * u4 * u6 / D**3 - 90 * u4**3 / D**4)]

    sol = solve_ivp(rhs, (np.log(1e-10), np.log(100)), [2.0, -0.0736, 50.0], method="Radau",
                    rtol=1e-10, atol=1e-12)
    return sol.y[:, -1]


def run(quick: bool = False) -> dict:
    import nnqft.frg as F

    repeat = 1 if quick else 3
    t_base, yb = _baseline_timed(repeat)
    t_flow, res = _best(lambda: F.LPA(1).flow([2.0, -0.0736, 50.0], (1e-10, 100.0)), repeat)
    order = 8 if quick else 16
    t_poly, fp = _best(lambda: F.LPA(3, 1).fixed_point(order=order), repeat)
    order_hi = 24 if quick else 36
    t_hi, fp_hi = _best(lambda: F.LPA(3, 1).fixed_point(order=order_hi), repeat)
    n_grid = 81 if quick else 201
    t_grid, fg = _best(lambda: F.LPA(3, 1).fixed_point(method="grid", n_points=n_grid), repeat)
    ref = 0.649561773880
    rows = [
        ["phi^6 flow, solve_ivp hand-written (baseline)", t_base, 1.0, float(yb[1]), ""],
        ["phi^6 flow, LPA.flow (mechanical + events)", t_flow, t_flow / t_base,
         res.final["u4"], ""],
        [f"nu, polynomial order {order}", t_poly, t_poly / t_base, fp.nu, abs(fp.nu - ref)],
        [f"nu, polynomial order {order_hi} (scaled Newton)", t_hi, t_hi / t_base, fp_hi.nu,
         abs(fp_hi.nu - ref)],
        [f"nu, grid N = {n_grid} (independent seed)", t_grid, t_grid / t_base, fg.nu,
         abs(fg.nu - ref)],
    ]
    return {"name": "frg",
            "columns": ["task", "seconds", "ratio_to_baseline", "value", "abs_err_nu"],
            "rows": rows,
            "notes": "d = 1 Litim phi^6 [ELS] flow k = 1e-10 -> 100 (value: final u4); nu for "
                     "d = 3, n = 1, Litim (reference 0.649561773880). Best of "
                     f"{repeat} runs; ratios are against the baseline of the same run."}


def _baseline_timed(repeat):
    return _best(_baseline, repeat)
