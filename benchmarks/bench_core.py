"""Core engine benchmarks (issue 2).

(a) networks per second of the block sampler against a straightforward per-network numpy loop
    doing the same work (draw the parameters, evaluate the outputs at the inputs), as a ratio;
(b) standard error of G4_c from ``raw`` against ``conditional`` at equal wall time, N = 1000,
    for Erf-net at the [HMS] inputs and for Gauss-net at sigma_b = 1 (with the heavy-tail
    diagnostic's verdict);
(c) 10^6 networks at N = 1000, orders 2, 4, 6, conditional: wall time (2 worker threads);
(d) peak traced memory (tracemalloc) for 10^5 against 10^6 networks (should be flat).
"""

from __future__ import annotations

import time
import tracemalloc
import warnings

import numpy as np
from scipy import special

import nnqft as nq
from nnqft.executors import LocalExecutor

HMS_ERF = [0.002, 0.004, 0.006, 0.008, 0.010, 0.012]
HMS_GAUSS = [-0.01, -0.006, -0.002, 0.002, 0.006, 0.01]


def _loop_outputs(net, X, M, seed):
    rng = np.random.default_rng(seed)
    N, d = net.width, net.d_in
    out = np.empty((M, X.shape[0]))
    for i in range(M):
        W0 = rng.standard_normal((N, d)) * (net.sigma_w / np.sqrt(d))
        b0 = rng.standard_normal(N) * net.sigma_b
        h = special.erf(W0 @ X.T + b0[:, None])
        W1 = rng.standard_normal(N) * (net.sigma_w / np.sqrt(N))
        out[i] = W1 @ h + rng.standard_normal() * net.sigma_b
    return out


def _timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    res = fn(*args, **kwargs)
    return res, time.perf_counter() - t0


def run(quick: bool = False) -> dict:
    rows = []
    warnings.simplefilter("ignore", nq.HeavyTailWarning)
    # (a) sampler throughput at three widths
    X = nq.as_inputs(HMS_ERF)
    for N, M_loop, M_vec in [(10, 20000, 400000), (100, 10000, 100000), (1000, 2000, 10000)]:
        if quick:
            M_loop, M_vec = M_loop // 4, M_vec // 4
        net = nq.Network("erf", width=N)
        _, t_loop = _timed(_loop_outputs, net, X, M_loop, 0)
        _, t_vec = _timed(nq.sample_outputs, net, X, M_vec, seed=0)
        r_loop, r_vec = M_loop / t_loop, M_vec / t_vec
        rows.append([f"(a) sampler vs per-network loop, erf N={N}, 6 inputs",
                     f"{r_vec:.3g} nets/s", f"{r_loop:.3g} nets/s", r_vec / r_loop])
    # (b) raw vs conditional at equal wall time
    for label, bnet, BX in [("erf", nq.Network("erf", width=1000), HMS_ERF),
                            ("gauss sb=1", nq.Network("gauss", width=1000, sigma_b=1.0), HMS_GAUSS)]:
        M = 5000 if quick else 20000
        raw, t_raw = _timed(nq.estimate_correlators, bnet, BX, (4,), M, seed=1, estimator="raw")
        cond, t_c = _timed(nq.estimate_correlators, bnet, BX, (4,), M, seed=2,
                           estimator="conditional")
        se_raw = np.median(raw.connected_err(4)) * np.sqrt(t_raw)
        se_c = np.median(cond.connected_err(4)) * np.sqrt(t_c)
        verdict = "heavy tails: error bars untrustworthy" if cond.meta["heavy_tail"]["fired"] else "ok"
        rows.append([f"(b) SE(G4_c) raw/conditional at equal time, {label}, N=1000",
                     f"{se_raw:.3g}", f"{se_c:.3g}", se_raw / se_c])
        rows.append([f"    heavy-tail diagnostic ({label}, conditional, {M} nets)", verdict,
                     f"ess={cond.meta['heavy_tail']['ess_fraction']:.3g}",
                     cond.meta["heavy_tail"]["max_batch_z"]])
    # (c) + (d) big run and memory
    big = 10**5 if quick else 10**6
    small = 3 * 10**4 if quick else 10**5
    net = nq.Network("erf", width=1000)
    peaks = {}
    for M in (small, big):
        tracemalloc.start()
        c, t = _timed(nq.estimate_correlators, net, HMS_ERF, (2, 4, 6), M, seed=3,
                      executor=LocalExecutor(workers=2), progress=True)
        peaks[M] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append([f"(c) {M:.0e} networks, N=1000, orders 2,4,6, conditional", f"{t:.1f} s",
                     f"{M / t:.3g} nets/s", float(np.median(c.connected_err(6) / np.abs(c.connected(6))))])
    rows.append([f"(d) peak traced memory, {big:.0e} vs {small:.0e} networks", f"{peaks[big] / 2**20:.1f} MiB",
                 f"{peaks[small] / 2**20:.1f} MiB", peaks[big] / peaks[small]])
    return {
        "name": "core",
        "columns": ["benchmark", "value", "baseline / detail", "ratio"],
        "rows": rows,
        "notes": "(a) ratio = vectorised / loop throughput; (b) ratio = SE_raw sqrt(t_raw) / "
                 "(SE_cond sqrt(t_cond)), i.e. the error ratio at equal wall time; (c) last "
                 "column: median relative error of G6_c; (d) ratio of peak memory (flat ~ 1).",
    }
