"""Exact action benchmark: S and Gamma at 200 points of one input (target < 1 s).

Baseline, measured in the same run: 200 evaluations of the Gaussian log-density of the same
variance (the GP action, numpy), so the ratio says how much the exact non-perturbative action
costs over the free theory. Accuracy at that cost: max |S - S_refined| over the points, with
S_refined from a rule refined twice in every direction (docs/action.md section 2); Gamma is
checked against the second Legendre method (golden section) in tests/action/test_one_input.py.

Two inputs (``two_inputs`` in the result): S on a 100 x 100 grid over |f_i| <= 4 sigma_i
(target < 30 s), wall and CPU seconds, ratio to the GP log-density on the same grid measured in
the same run, the largest error estimate of the grid, and max |S - S_refined| at three grid
points (centre, an edge midpoint, a corner) with the refined rule (refine = 2: full neuron
rules, half the lattice spacing; docs/action.md section 4).
"""

from __future__ import annotations

import math
import time

import numpy as np


def _best(f, repeat):
    ts, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        ts.append(time.perf_counter() - t0)
    return min(ts), out


def run(quick: bool = False) -> dict:
    import nnqft as nq
    from nnqft.action.theory import OneInputTheory

    rows = []
    # the last case has sigma_b = 0: the rotated contour (docs/action.md section 2)
    cases = [("erf", 3, 0.5), ("tanh", 10, 1.0), ("relu", 2, 0.5), ("cos", 1, 0.5),
             ("erf", 2, 0.0)]
    for act, N, sb in cases:
        net = nq.Network(act, width=N, sigma_w=1.5, sigma_b=sb)
        th = OneInputTheory(net, [0.7])
        s = math.sqrt(th.G2)
        phi = np.linspace(-5 * s, 5 * s, 200)
        g2 = th.G2
        base, _ = _best(lambda p=phi, g=g2: -p**2 / (2 * g) - 0.5 * np.log(2 * np.pi * g), 5)

        def work(th=th, phi=phi):
            fresh = OneInputTheory(th.net, th.x)  # no caches carried between repeats
            return fresh.action(phi)[0], fresh.gamma(phi)

        t, (S, G) = _best(work, 1 if quick else 3)
        S_ref = OneInputTheory(net, [0.7], refine=2).action(phi)[0]
        rows.append([act, N, sb, t, t / max(base, 1e-9), float(np.max(np.abs(S - S_ref)))])
    two = _two_inputs(quick)
    return {"name": "action",
            "two_inputs": two,
            "columns": ["net", "N", "sigma_b", "S+Gamma 200 pts (s)", "ratio to GP", "max |dS|"],
            "rows": rows,
            "notes": "one input x = 0.7, sigma_w = 1.5, |phi| <= 5 sigma; target < 1 s. Two "
                     "inputs, S on a 100 x 100 grid (target < 30 s): " + "; ".join(
                         f"{r[0]} N={r[1]}: {r[3]:.1f} s wall, {r[4]:.1f} s CPU, "
                         f"max |dS| {r[8]:.1g}" for r in two["rows"])}


def _two_inputs(quick: bool) -> dict:
    import nnqft as nq
    from nnqft.action.two import TwoInputTheory

    X = [[0.7], [-0.3]]
    rows = []
    cases = [("erf", 10, 0.5), ("tanh", 10, 0.5), ("cos", 10, 0.5)]
    if quick:
        cases = cases[:1]
    for act, N, sb in cases:
        net = nq.Network(act, width=N, sigma_w=1.5, sigma_b=sb)
        th = TwoInputTheory(net, X)
        s = np.sqrt(np.diag(th.K))
        f1 = np.linspace(-4 * s[0], 4 * s[0], 100)
        f2 = np.linspace(-4 * s[1], 4 * s[1], 100)
        Ki = np.linalg.inv(th.K)

        def gp(f1=f1, f2=f2, Ki=Ki, K=th.K):
            A, B = np.meshgrid(f1, f2, indexing="ij")
            return (Ki[0, 0] * A * A + 2 * Ki[0, 1] * A * B + Ki[1, 1] * B * B) / 2 + 0.5 * \
                np.log((2 * np.pi) ** 2 * np.linalg.det(K))

        base, _ = _best(gp, 5)
        c0, t0 = time.process_time(), time.perf_counter()
        fresh = TwoInputTheory(net, X)
        S, err = fresh.grid_action(f1, f2)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        idx = [(50, 50), (0, 50), (0, 0)]
        pts = np.array([[f1[i], f2[j]] for i, j in idx])
        S_ref = TwoInputTheory(net, X, refine=2).action(pts)[0]
        dS = float(np.max(np.abs(S_ref - np.array([S[i, j] for i, j in idx]))))
        rows.append([act, N, sb, wall, cpu, wall / max(base, 1e-9), float(S.max()),
                     float(err.max()), dS])
    return {"columns": ["net", "N", "sigma_b", "S 100x100 wall (s)", "CPU (s)", "ratio to GP",
                        "max S", "max est. error", "max |dS| (3 pts, refined)"],
            "rows": rows,
            "notes": "inputs 0.7 and -0.3, sigma_w = 1.5, |f_i| <= 4 sigma_i; target < 30 s"}
