"""Vertex integrals: vectorised nnqft.eft against a per-tuple scipy.integrate.quad loop.

All 126 I_4 at the [HMS] ReLU inputs {0.2, ..., 1.2} (d = 1, N irrelevant) for 21 cutoffs from
7 to 1e5. The baseline integrates each tuple and cutoff with ``quad`` (break points at 0 and the
inputs, epsabs = 0, epsrel = 1e-10). Accuracy: the largest relative difference to the baseline
(the exact value is (1/2)^4 prod x Lambda^5 / 5 here, also reported). Two nnqft methods: the
default ("homogeneous": ReLU with sigma_b = 0) and the general pyramid cubature. A second row
uses sigma_b = 0.5 (no homogeneity, cubature only), and a third the Gauss-net closed forms
(I_4, I_6, J at Lambda = inf) used by the network/FRG bridge scans.
"""

from __future__ import annotations

import math
import time

import numpy as np


def _time(fn, repeat=3):
    best = math.inf
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run(quick: bool = False) -> dict:
    from scipy.integrate import quad

    from nnqft import Network
    from nnqft.combinatorics import sorted_tuples
    from nnqft.eft import delta_kernel, exchange_sums, vertex_integrals

    X = (0.2 * np.arange(1, 7))[:, None]
    T = np.asarray(sorted_tuples(6, 4))
    cutoffs = np.geomspace(7, 1e5, 21)
    n_base = 3 if quick else len(cutoffs)
    rows = []
    for sb in (0.0, 0.5):
        net = Network("relu", width=20, sigma_b=sb)

        def baseline(net=net):
            out = np.zeros((n_base, len(T)))
            for i, L in enumerate(cutoffs[:n_base]):
                for j, t in enumerate(T):
                    xs = X[t]

                    def f(y, xs=xs):
                        return float(np.prod(delta_kernel(net, xs, np.array([[y]]))[:, 0]))

                    out[i, j] = quad(f, -L, L, points=[0.0, *X[:, 0]], epsabs=0, epsrel=1e-10,
                                     limit=200)[0]
            return out

        t_base, ref = _time(baseline, repeat=1)
        t_base *= len(cutoffs) / n_base  # per-call cost is flat in the cutoff
        methods = ("auto", "cubature") if sb == 0 else ("cubature",)
        for m in methods:
            t_ours, got = _time(lambda m=m, net=net: np.array(
                [vertex_integrals(net, X, T, L, method=m) for L in cutoffs]))
            err_ref = float(np.max(np.abs(got[:n_base] / ref - 1)))
            row = [f"relu sb={sb} {m}", len(T) * len(cutoffs), t_base, t_ours, t_base / t_ours,
                   err_ref]
            if sb == 0:
                exact = (0.5**4 * np.prod(X[T, 0], axis=1))[None] * cutoffs[:, None] ** 5 / 5
                row.append(float(np.max(np.abs(got / exact - 1))))
            else:
                row.append(float("nan"))
            rows.append(row)
    # Gauss closed forms for the bridge: one (N, sigma_w) point = I_4 (126), I_6 (462), J
    Xg = np.array([-0.01, -0.006, -0.002, 0.002, 0.006, 0.01])[:, None]

    def gauss():
        for sw in np.arange(1.0, 20.5, 0.5):
            net = Network("gauss", width=10, sigma_w=sw)
            vertex_integrals(net, Xg, sorted_tuples(6, 4), math.inf)
            vertex_integrals(net, Xg, sorted_tuples(6, 6), math.inf)
            exchange_sums(net, Xg, math.inf)

    t_g, _ = _time(gauss)
    rows.append(["gauss I4+I6+J, 39 sigma_w, inf", 39 * (126 + 462 + 462), float("nan"), t_g,
                 float("nan"), float("nan"), float("nan")])
    return {
        "name": "eft",
        "columns": ["case", "integrals", "quad_loop_s", "nnqft_s", "speedup",
                    "max_rel_diff_vs_quad", "max_rel_err_vs_exact"],
        "rows": rows,
        "notes": __doc__.strip().splitlines()[0]
        + (" (quick: baseline timed on 3 cutoffs and scaled to 21)" if quick else ""),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True), indent=1, default=str))
