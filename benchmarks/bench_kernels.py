"""Deep tanh kernels: the erf-mixture layer map against the per-pair polar quadrature it replaced.

The tanh layer map E[tanh(u) tanh(v)] is evaluated (a) by ``kernels.tanh_pair_expectation``
(tanh as a 25-term scale mixture of erf, so a 25 x 25 sum of arc-sine kernels per pair) and
(b) by the former path, ``kernels.polar_pair_expectation(np.tanh, ...)`` (4 x 48 angles times
64 radii per pair), both vectorised over all pairs. Cases, each timed in the same run (best of
``repeat``; CPU seconds are process time, wall seconds include the sharing of this machine):

- ``pairs``: the layer-map calls of the depth-3 tanh-net vertex integrals I_4 (3 inputs
  {0.3, 0.7, -0.5}, cutoff 10, sigma_w = sigma_b = 1), i.e. (input, node) pairs and node
  diagonals at every cubature node, layer by layer;
- ``I_4``: all 15 sorted 4-tuples of those inputs (``nnqft.eft.vertex_integrals``);
- ``bridge`` (full run only): ``nnqft bridge --net tanh --depth 3 --width 100 --inputs
  '[0.3, 0.7, -0.5]' --cutoff 10 --method one-over-n`` in-process (``deep_ir_data``: couplings,
  running over 5 cutoffs, sigma_W reading over 5 values).

The old path is restored for the baseline by substituting the polar rule for
``kernels.tanh_pair_expectation`` (in blocks of 128 pairs, as memory needs).
``max_abs_diff`` is the largest difference of the layer-map values (pairs) or the largest
relative difference of I_4 and of the bridge couplings (lambda per tuple at the 5 running
cutoffs, tuple means of the sigma_W reading; the old path itself errs by up to ~4e-6
at the first-layer kernel values ~1e4 of the cutoff-100 point of the running;
tests/test_kernels.py).
"""

from __future__ import annotations

import contextlib
import math
import time

import numpy as np


def _time(fn, repeat: int):
    best_w = best_c = math.inf
    out = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        best_w = min(best_w, time.perf_counter() - w0)
        best_c = min(best_c, time.process_time() - c0)
    return best_w, best_c, out


def _polar_blocks(k11, k12, k22):
    from nnqft.kernels import polar_pair_expectation

    k = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (k11, k12, k22)))
    flat = [a.ravel() for a in k]
    out = [polar_pair_expectation(np.tanh, *(a[s : s + 128] for a in flat))
           for s in range(0, flat[0].size, 128)]
    return np.concatenate(out).reshape(k[0].shape) if out else np.zeros(k[0].shape)


@contextlib.contextmanager
def _old_path():
    from nnqft import kernels

    fast = kernels.tanh_pair_expectation
    kernels.tanh_pair_expectation = _polar_blocks
    try:
        yield
    finally:
        kernels.tanh_pair_expectation = fast


def run(quick: bool = False) -> dict:
    from nnqft import Network
    from nnqft.bridge.deep import deep_ir_data
    from nnqft.combinatorics import sorted_tuples
    from nnqft.eft.integrals import cubature_rule, vertex_integrals
    from nnqft.kernels import tanh_pair_expectation

    net = Network("tanh", width=100, depth=3)
    X = np.array([[0.3], [0.7], [-0.5]])
    T = sorted_tuples(3, 4)
    rule = cubature_rule(net, X, 10.0)
    # the (k11, k12, k22) triples of gp_kernel(net, X, nodes), layer by layer
    sw2, sb2 = net.sigma_w**2, net.sigma_b**2
    Y = rule.nodes
    kxy = net.pre_activation_cov(X, Y)
    kxx = sb2 + sw2 * np.sum(X * X, axis=1)
    kyy = sb2 + sw2 * np.sum(Y * Y, axis=1)
    triples = []
    for _ in range(net.depth):
        k11 = np.concatenate([np.repeat(kxx, len(Y)), kyy])
        k12 = np.concatenate([kxy.ravel(), kyy])
        k22 = np.concatenate([np.tile(kyy, len(X)), kyy])
        triples.append((k11, k12, k22))
        kxy = sb2 + sw2 * tanh_pair_expectation(kxx[:, None], kxy, kyy[None, :])
        kxx = sb2 + sw2 * tanh_pair_expectation(kxx, kxx, kxx)
        kyy = sb2 + sw2 * tanh_pair_expectation(kyy, kyy, kyy)
    k11, k12, k22 = (np.concatenate(c) for c in zip(*triples, strict=True))
    rep = 1 if quick else 3
    rows = []

    def add(case, n, new, old, diff):
        rows.append([case, n, old[0], old[1], new[0], new[1], old[1] / new[1], diff])

    new = _time(lambda: tanh_pair_expectation(k11, k12, k22), rep)
    old = _time(lambda: _polar_blocks(k11, k12, k22), 1)
    add("pairs (layer map, depth 3, cutoff 10)", len(k11), new, old,
        float(np.max(np.abs(new[2] - old[2]))))
    new = _time(lambda: vertex_integrals(net, X, T, 10.0), rep)
    with _old_path():
        old = _time(lambda: vertex_integrals(net, X, T, 10.0), 1)
    add("I_4 (15 tuples, depth 3, cutoff 10)", len(T), new, old,
        float(np.max(np.abs(new[2] / old[2] - 1))))
    if not quick:
        def bridge():  # lambda per tuple at the 5 running cutoffs and the sigma_W means
            ir = deep_ir_data(net, X, cutoff=10.0)
            return np.concatenate([ir.run.lam.ravel(), ir.sigma_w_reading["lambda_mean"]])

        new = _time(bridge, 1)
        with _old_path():
            old = _time(bridge, 1)
        add("bridge one-over-n (depth 3, default grids)", len(T), new, old,
            float(np.max(np.abs(new[2] / old[2] - 1))))
    return {
        "name": "kernels",
        "columns": ["case", "n", "polar_wall_s", "polar_cpu_s", "mixture_wall_s",
                    "mixture_cpu_s", "cpu_speedup", "max_abs_diff"],
        "rows": rows,
        "notes": __doc__.strip().splitlines()[0]
        + (" (quick: best of 1, no bridge row)" if quick else " (best of 3 for the mixture)"),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True), indent=1, default=str))
