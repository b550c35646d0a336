"""jax backend against numpy on this machine's CPU (issue 10), and the float32 bias.

(a) networks per second, erf N = 1000, 6 inputs ([HMS] erf inputs), conditional, orders 2-6:
    numpy, jax float64, jax float32, as ratios to numpy measured in the same run;
(b) the same for a depth-4 erf net of width 256;
(c) the same for the raw estimator, 4-point function, erf N = 1000, 6 inputs (the GPU target's
    workload);
(e) the raw 4-point function of a two-output network (docs/vector.md), erf N = 1000, 3 inputs;
(d) float32 bias on G4_c and G6_c at N = 1000, and for depth 4 at N = 256 (conditional): the float32 run evaluates the
    float64 run's networks rounded to float32, so the difference of the two estimates on the
    same networks is the rounding bias without Monte Carlo noise between them; reported as the
    largest |bias| over tuples divided by the statistical error the float64 estimate would have
    at 10^7 networks (its error here scaled by sqrt(M / 10^7)), its largest relative size, the
    largest |bias| / (jackknife error of the paired difference), and an upper bound on the
    systematic part, max over tuples of (|bias| + 2 error of the difference) / sigma(10^7): the
    measured difference contains float32 rounding noise that shrinks like 1 / sqrt(M), so only
    the bound says how small the bias is at 10^7 networks.

JIT compilation is excluded: each timed configuration first computes one block of the same plan
(which compiles the block function), then the whole plan is timed. The machine is shared and
noisy; the ratios are what to read, and the CPU-time columns (process CPU seconds, all
threads) measure the work done independently of how the machine's cores were shared.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

import nnqft as nq
from nnqft.correlators import jackknife_error
from nnqft.estimate import compute_block, finalize, make_plan, run_plan

HMS_ERF = [0.002, 0.004, 0.006, 0.008, 0.010, 0.012]
SPREAD = list(np.linspace(-1.0, 1.0, 6))


def _rate(net, X, orders, M, estimator, backend, dtype):
    """(networks per second of wall time, networks per second of process CPU time)."""
    plan = make_plan(net, X, orders, M, 0, estimator, None, backend, dtype)
    compute_block(plan, 0)  # compile (jax) / warm caches (numpy)
    t0, c0 = time.perf_counter(), time.process_time()
    finalize(plan, run_plan(plan), warn=False)
    return M / (time.perf_counter() - t0), M / (time.process_time() - c0)


def _bias(net, X, M):
    from nnqft.backends.jax_backend import paired_precision_block

    plan = make_plan(net, X, (2, 4, 6), M, 11, "conditional", None, "jax")
    pairs = [paired_precision_block(plan, b) for b in range(plan.n_blocks)]
    c64 = finalize(plan, [p[0] for p in pairs], warn=False)
    c32 = finalize(plan, [p[1] for p in pairs], warn=False)
    out = {}
    for n in (4, 6):
        d = c32.connected(n) - c64.connected(n)
        d_err = jackknife_error(c32.connected_replicates[n] - c64.connected_replicates[n])
        sigma_1e7 = c64.connected_err(n) * np.sqrt(M / 1e7)
        out[n] = (float(np.max(np.abs(d) / sigma_1e7)),
                  float(np.max(np.abs(d)) / np.max(np.abs(c64.connected(n)))),
                  float(np.max(np.abs(d) / d_err)),
                  float(np.max((np.abs(d) + 2 * d_err) / sigma_1e7)))
    return out


def run(quick: bool = False) -> dict:
    warnings.simplefilter("ignore", nq.HeavyTailWarning)
    try:
        import jax
    except ImportError:
        return {"name": "jax", "columns": ["benchmark"], "rows": [["skipped: JAX not installed"]],
                "notes": 'pip install "nnqft[jax]"'}
    from nnqft.backends import device_description

    rows = []
    wide = nq.Network("erf", width=1000)
    deep = nq.Network("erf", width=256, depth=4)
    cases = [
        ("(a) erf N=1000, 6 inputs, conditional, orders 2-6", wide, (2, 4, 6), "conditional",
         4096 if quick else 16384),
        ("(b) erf depth 4 N=256, 6 inputs, conditional, orders 2-6", deep, (2, 4, 6),
         "conditional", 512 if quick else 2048),
        ("(c) erf N=1000, 6 inputs, raw, 4-point", wide, (4,), "raw",
         4096 if quick else 16384),
        ("(e) erf N=1000, 2 outputs, 3 inputs, raw, 4-point", wide.replace(outputs=2), (4,),
         "raw", 4096 if quick else 16384),
    ]
    for label, net, orders, est, M in cases:
        X = HMS_ERF[::2] if net.d_out > 1 else HMS_ERF
        base, base_cpu = _rate(net, X, orders, M, est, "numpy", "float64")
        rows.append([label, "numpy float64", M, base, 1.0, base_cpu, 1.0])
        for dtype in ("float64", "float32"):
            r, r_cpu = _rate(net, X, orders, M, est, "jax", dtype)
            rows.append([label, f"jax {dtype}", M, r, r / base, r_cpu, r_cpu / base_cpu])
    M = 2048 if quick else 16384
    for name, net, X, m in (("erf N=1000, [HMS] erf inputs", wide, HMS_ERF, M),
                            ("erf N=1000, 6 inputs in [-1, 1]", wide, SPREAD, M),
                            ("erf depth 4 N=256, [HMS] erf inputs", deep, HMS_ERF, 2 * M),
                            ("erf depth 4 N=256, 6 inputs in [-1, 1]", deep, SPREAD, M // 2)):
        b = _bias(net, X, m)
        for n in (4, 6):
            rows.append([f"(d) float32 bias G{n}_c, {name}",
                         "max|bias|/sigma(1e7 nets)", m, b[n][0], b[n][1], "", ""])
            rows.append(["    (same) max |bias| / error of the paired difference", "z", m,
                         b[n][2], "", "", ""])
            rows.append(["    (same) bound max (|bias| + 2 error) / sigma(1e7 nets)", "bound", m,
                         b[n][3], "", "", ""])
    notes = (f"jax {jax.__version__} on {device_description('jax')}; columns: networks/s of "
             "wall time (or the bias ratio), the ratio to numpy (or the largest relative bias), "
             "networks per second of process CPU time (all threads; numpy runs one BLAS "
             "thread, XLA up to one thread per core) and its ratio to numpy. Compilation "
             "excluded. (e): inputs 0.002, 0.006, 0.010.")
    return {"name": "jax",
            "columns": ["benchmark", "backend", "networks", "networks/s | bias/sigma",
                        "ratio | relative bias", "networks/CPU-s", "CPU ratio"],
            "rows": rows, "notes": notes}
