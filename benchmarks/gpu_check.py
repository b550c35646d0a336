"""GPU benchmark of the jax backend (run by benchmarks/gpu.sh; docs/backends.md).

Measures on JAX's default device (a GPU when one is present):

1. erf N = 1000, 6 inputs, raw estimator, 4-point function: networks/s (float64 and float32);
2. erf depth 4, N = 1000, 6 inputs, conditional, orders 2-6: networks/s (float64 and float32),
   and erf N = 1000 with two outputs (docs/vector.md), 3 inputs, raw 4-point;
3. device memory: peak bytes in use for M and 4 M networks (flat in the number of networks,
   bounded by the block size);
4. bits: the same plan computed twice, serially and with another chunking, must give identical
   accumulators;
5. fraction of the device's peak: the arithmetic of the forward pass per network is counted
   (matrix products 2 flops per multiply-add; an erf, a normal draw counted as one operation
   each, listed separately) and divided by the wall time; the FP32 / FP64 vector peaks of the
   device kind come from its vendor datasheet (table below; unknown kinds give null).

Usage: ``python benchmarks/gpu_check.py [--smoke] [--out FILE]``; ``--smoke`` uses tiny sizes
(for testing this script on a CPU: ``JAX_PLATFORMS=cpu``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import nnqft as nq  # noqa: E402
from nnqft.estimate import compute_block, finalize, make_plan, run_plan  # noqa: E402
from nnqft.executors import LocalExecutor  # noqa: E402

HMS_ERF = [0.002, 0.004, 0.006, 0.008, 0.010, 0.012]
#: Vector (non-tensor-core) peaks in FLOP/s, from NVIDIA's datasheets (SXM parts).
PEAKS = {
    "NVIDIA H200": {"float64": 34e12, "float32": 67e12},
    "NVIDIA H100 80GB HBM3": {"float64": 34e12, "float32": 67e12},
    "NVIDIA A100-SXM4-80GB": {"float64": 9.7e12, "float32": 19.5e12},
    "NVIDIA A100-SXM4-40GB": {"float64": 9.7e12, "float32": 19.5e12},
}


def _ops_per_network(net, n_x: int, estimator: str) -> dict:
    """Arithmetic per network of the jax forward pass (docs/backends.md)."""
    w, d, n_out = net.widths, net.d_in, net.d_out
    flops = 2 * w[0] * d * n_x + w[0] * n_x  # first layer product and bias
    normals = w[0] * (d + 1)
    erfs = w[0] * n_x
    for l in range(1, len(w)):
        if w[l - 1] > n_x:  # Gram path: Gram matrix, Cholesky, L g
            flops += 2 * w[l - 1] * n_x * n_x + n_x**3 // 3 + 2 * w[l] * n_x * n_x + w[l] * n_x
            normals += w[l] * (n_x + 1)
        else:
            flops += 2 * w[l] * w[l - 1] * n_x + w[l] * n_x
            normals += w[l] * (w[l - 1] + 1)
        erfs += w[l] * n_x
    if estimator == "raw" and net.weight_law == "normal" and w[-1] > n_x:  # f from Kh in law
        flops += 2 * w[-1] * n_x * n_x + n_x**3 // 3 + 2 * n_x * n_x * n_out
        normals += n_x * n_out
    elif estimator == "raw":
        flops += 2 * w[-1] * n_x * n_out
        normals += (w[-1] + 1) * n_out
    else:
        flops += 2 * w[-1] * n_x * n_x
    return {"flops": flops, "normals": normals, "erfs": erfs}


def _inputs(net):
    return HMS_ERF[::2] if net.d_out > 1 else HMS_ERF


def _rate(net, M, orders, estimator, dtype, block_size=None):
    plan = make_plan(net, _inputs(net), orders, M, 0, estimator, block_size, "jax", dtype)
    compute_block(plan, 0)  # compile
    t0 = time.perf_counter()
    # chunks of 32 blocks: all launched before any result is fetched (docs/backends.md)
    blocks = run_plan(plan, executor=LocalExecutor(chunk_blocks=32))
    wall = time.perf_counter() - t0
    finalize(plan, blocks, warn=False)
    return M / wall, plan


def _block_sweep(args, wide, deep) -> list:
    """Networks/s against the block size: what a block's fixed cost (one device call per
    block, its sums fetched to the host) takes from the rate at the default cap of 4096."""
    rows = []
    sizes = (256, 1024, 4096) if args.smoke else (4096, 16384, 65536, 262144)
    for label, net, orders, est, M in [
        ("erf N=1000, 6 inputs, raw, 4-point", wide, (4,), "raw", 2**12 if args.smoke else 2**22),
        ("erf depth 4 N=1000, 6 inputs, conditional, orders 2-6", deep, (2, 4, 6),
         "conditional", 2**11 if args.smoke else 2**21),
    ]:
        for dtype in ("float64", "float32"):
            for b in sizes:
                rate, plan = _rate(net, M, orders, est, dtype, block_size=b)
                row = {"benchmark": label, "dtype": dtype, "networks": M, "block_size": b,
                       "blocks": plan.n_blocks, "networks_per_s": rate,
                       "peak_device_bytes": _peak_bytes()}
                rows.append(row)
                print(json.dumps(row), flush=True)
    return rows


def _peak_bytes():
    import jax

    stats = jax.devices()[0].memory_stats() or {}
    return stats.get("peak_bytes_in_use")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (test this script on a CPU)")
    ap.add_argument("--bits-only", action="store_true", help="only the bit-identity check")
    ap.add_argument("--block-sweep", action="store_true",
                    help="only networks/s against the block size (default cap 4096 and larger)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "gpu.json"))
    args = ap.parse_args()
    warnings.simplefilter("ignore", nq.HeavyTailWarning)
    import jax

    from nnqft.backends import device_description

    dev = jax.devices()[0]
    res = {"device": device_description("jax"), "device_kind": dev.device_kind,
           "platform": dev.platform, "jax": jax.__version__, "numpy": np.__version__,
           "python": sys.version.split()[0], "host": platform.platform(), "smoke": args.smoke,
           "rows": []}
    peaks = PEAKS.get(dev.device_kind)
    wide = nq.Network("erf", width=1000)
    deep = nq.Network("erf", width=1000, depth=4)
    res["xla_flags"] = os.environ.get("XLA_FLAGS", "")
    if args.block_sweep:
        res["block_sweep"] = _block_sweep(args, wide, deep)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(res, indent=2, default=str) + "\n")
        return 0
    if not args.bits_only:
        _throughput(args, res, peaks, wide, deep)
    # bits: identical whatever the chunking on this device
    plan = make_plan(deep, HMS_ERF, (2, 4, 6), 2**9 if args.smoke else 2**14, 3, "conditional",
                     None, "jax")
    a = finalize(plan, run_plan(plan), warn=False)
    b = finalize(plan, run_plan(plan, executor=LocalExecutor(chunk_blocks=3, shuffle_seed=1)),
                 warn=False)
    res["bit_identical_rechunked"] = bool(all(np.array_equal(a.connected(n), b.connected(n))
                                              for n in (2, 4, 6)))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=2, default=str) + "\n")
    print(json.dumps({k: v for k, v in res.items() if k != "rows"}, default=str))
    return 0


def _throughput(args, res, peaks, wide, deep) -> None:
    # memory first (the peak is a process-wide maximum): flat in the number of networks
    mem = {}
    for M in ((2**12, 2**14) if args.smoke else (2**18, 2**20)):
        _rate(wide, M, (4,), "raw", "float32")
        mem[M] = _peak_bytes()
    res["peak_device_bytes_by_networks"] = mem
    print(json.dumps({"peak_device_bytes_by_networks": mem}), flush=True)
    for label, net, orders, est, M0 in [
        ("erf N=1000, 6 inputs, raw, 4-point", wide, (4,), "raw", 2**14),
        ("erf depth 4 N=1000, 6 inputs, conditional, orders 2-6", deep, (2, 4, 6),
         "conditional", 2**10 if args.smoke else 2**13),
        ("erf N=1000, 2 outputs, 3 inputs, raw, 4-point", wide.replace(outputs=2), (4,), "raw",
         2**12 if args.smoke else 2**14),
    ]:
        ops = _ops_per_network(net, len(_inputs(net)), est)
        for dtype in ("float64", "float32"):
            rate, _ = _rate(net, M0, orders, est, dtype)
            M = M0
            if not args.smoke:  # about 5 s of sampling, a power of two, at most 2^24 networks
                M = int(2 ** np.clip(np.round(np.log2(5 * rate)), np.log2(M0), 24))
                rate, _ = _rate(net, M, orders, est, dtype)
            row = {"benchmark": label, "dtype": dtype, "networks": M, "networks_per_s": rate,
                   "ops_per_network": ops,
                   "flop_rate": rate * ops["flops"], "normals_per_s": rate * ops["normals"],
                   "erfs_per_s": rate * ops["erfs"]}
            if peaks:
                # erf and a normal draw counted as ~20 flops each (polynomial evaluations)
                row["fraction_of_peak_matmul_only"] = rate * ops["flops"] / peaks[dtype]
                row["fraction_of_peak_with_transcendentals"] = (
                    rate * (ops["flops"] + 20 * (ops["erfs"] + ops["normals"])) / peaks[dtype])
            res["rows"].append(row)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    sys.exit(main())
