"""1/N theory of deep networks: cost, and cost against Monte Carlo of equal accuracy.

Rows 1-4: ``nnqft.perturbative_correlators`` for 8 inputs in [-1, 1] (330 sorted 4-tuples) at
depth 10 (best of 3; wall and CPU seconds, the CPU time being the one-core cost on a shared
machine). Target: < 2 s. tanh is quadrature-bound (its four-point functions use tensor rules on
up to 4 dimensions, docs/deep.md).

Last rows: the conditional Monte Carlo estimator at N = 100, same network and inputs, with
M0 networks; its median relative standard error r0 over the 330 G4_c tuples scales like
1 / sqrt(M), so reaching a relative error eps needs M0 (r0 / eps)^2 networks and
t0 (r0 / eps)^2 seconds. eps = 1 % is of the order of the leading-order theory's own
truncation error at N = 100 (docs/deep.md section 6). Ratio = MC CPU time / theory CPU time.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np


def _time(fn, repeat=3):
    """Best wall time and best CPU time (process_time: this process only, so a shared machine
    inflates the wall time but not the CPU time) over ``repeat`` calls."""
    best, best_cpu, out = math.inf, math.inf, None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best, best_cpu, out


def run(quick: bool = False) -> dict:
    import nnqft as nq

    X = np.linspace(-1, 1, 8)[:, None]
    depth = 3 if quick else 10
    setups = (("erf", 0.5, 1.2), ("relu", 0.3, 1.4), ("relu", 0.0, math.sqrt(2)),
              ("tanh", 0.0, 1.0))
    rows = []
    t_theory = {}
    for act, sb, sw in setups:
        net = nq.Network(act, width=100, depth=depth, sigma_b=sb, sigma_w=sw)
        t, cpu, c = _time(lambda net=net: nq.perturbative_correlators(net, X),
                          repeat=1 if quick else 3)
        t_theory[(act, sb)] = cpu
        rows.append([f"1/N theory {act} sb={sb:g}", depth, len(c.tuples(4)), t, cpu, "-", "-"])
    M0 = 500 if quick else 2000
    eps = 0.01
    for act, sb, sw in setups[:2]:
        net = nq.Network(act, width=100, depth=depth, sigma_b=sb, sigma_w=sw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0, c0, m = _time(lambda net=net: nq.estimate_correlators(
                net, X, orders=(2, 4), n_networks=M0, seed=0), repeat=1)
        r0 = float(np.median(m.connected_err(4) / np.abs(m.connected(4))))
        f = (r0 / eps) ** 2
        rows.append([f"Monte Carlo {act} sb={sb:g} N=100 ({M0} nets -> eps 1%)", depth,
                     len(m.tuples(4)), t0 * f, c0 * f, r0, c0 * f / t_theory[(act, sb)]])
    return {"name": "deep", "columns": ["method", "depth", "4-tuples", "wall s", "CPU s",
                                        "MC rel. err at M0", "MC/theory (CPU)"],
            "rows": rows, "notes": __doc__.strip().splitlines()[0]}
