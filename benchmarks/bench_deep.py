"""1/N theory of deep networks: cost, and cost against Monte Carlo of equal accuracy.

Rows 1-4: ``nnqft.perturbative_correlators`` for 8 inputs in [-1, 1] (330 sorted 4-tuples) at
depth 10 (best of 3; wall and CPU seconds, the CPU time being the one-core cost on a shared
machine). Target: < 2 s. tanh is quadrature-bound (its four-point functions use tensor rules on
up to 4 dimensions, docs/deep.md).

tanh rows also time the earlier tanh rules (``nnqft.deep.gauss.TANH_METHOD = "uniform"``: one
node-refinement factor for all axes of the four-point rule, one polar rule for all pairs) in the
same run; "speed-up" = earlier CPU s / current CPU s. The extra tanh row is a network far from
criticality (sigma_w = 2.5, sigma_b = 0.3, inputs 0.3, 0.7, -0.5, 1.0, depth 10: rank-4 blocks
with several covariance eigenvalues > 1), timed once per rule.

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


def _earlier(fn, repeat):
    """_time with the earlier tanh rules (TANH_METHOD = "uniform")."""
    from nnqft.deep import gauss

    gauss.TANH_METHOD = "uniform"
    try:
        return _time(fn, repeat)
    finally:
        gauss.TANH_METHOD = "adaptive"


def _check_same(c, c_old):
    """Both rules aim at 1e-10 relative; a benchmark of a wrong result is worthless."""
    a, b = c.connected(4), c_old.connected(4)
    scale = float(np.max(np.abs(b)))
    if float(np.max(np.abs(a - b))) > 1e-8 * scale:
        raise AssertionError("tanh rules disagree beyond 1e-8 of the largest G4_c")


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
        speedup = "-"
        if act == "tanh":
            _, cpu_old, c_old = _earlier(lambda net=net: nq.perturbative_correlators(net, X),
                                         repeat=1 if quick else 3)
            speedup = cpu_old / cpu
            _check_same(c, c_old)
        rows.append([f"1/N theory {act} sb={sb:g}", depth, len(c.tuples(4)), t, cpu, "-", "-",
                     speedup])
    # tanh far from criticality: four inputs, rank-4 blocks with large eigenvalues
    X4 = np.array([[0.3], [0.7], [-0.5], [1.0]])
    net = nq.Network("tanh", width=100, depth=depth, sigma_b=0.3, sigma_w=2.5)
    t, cpu, c = _time(lambda: nq.perturbative_correlators(net, X4), repeat=1)
    _, cpu_old, c_old = _earlier(lambda: nq.perturbative_correlators(net, X4), repeat=1)
    _check_same(c, c_old)
    rows.append(["1/N theory tanh sb=0.3 sw=2.5 (4 inputs)", depth, len(c.tuples(4)), t, cpu,
                 "-", "-", cpu_old / cpu])
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
                     len(m.tuples(4)), t0 * f, c0 * f, r0, c0 * f / t_theory[(act, sb)], "-"])
    return {"name": "deep", "columns": ["method", "depth", "4-tuples", "wall s", "CPU s",
                                        "MC rel. err at M0", "MC/theory (CPU)",
                                        "speed-up vs earlier tanh rule (CPU)"],
            "rows": rows, "notes": __doc__.strip().splitlines()[0]}
