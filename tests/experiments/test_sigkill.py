"""Crash safety: SIGKILL at random moments, resume, and get bit-identical results.

The moments are random (fixed seed) but tied to the run's progress, so that they fall inside
sampling (after a random number of checkpointed chunks plus a random delay of up to 50 ms, so
some land in the middle of a checkpoint write) and inside the final output phase, whatever the
machine's speed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import numpy as np

from .helpers import (
    REPO,
    assert_identical,
    cli_cmd,
    load_arrays,
    run_cli,
    small_config,
    write_config,
)

M = 12032  # = 64 x 188: exactly 64 blocks of the default size floor(M / 64)
N_TASKS, CHUNKS_PER_TASK = 4, 32  # 2 activations x 2 widths; 64 blocks / chunk_blocks 2


def _chunks(out) -> int:
    return len(list(out.rglob("chunk-*.npz"))) if out.exists() else 0


def _start(args):
    env = {**os.environ}
    env.pop("NNQFT_DEBUG", None)
    return subprocess.Popen(cli_cmd(*args), cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _kill_when(args, out, target_chunks: int, delay: float, timeout=120.0) -> bool:
    """Run the CLI; SIGKILL it ``delay`` s after ``target_chunks`` checkpoints exist."""
    p = _start(args)
    t0 = time.monotonic()
    while p.poll() is None and _chunks(out) < target_chunks:
        if time.monotonic() - t0 > timeout:
            break
        time.sleep(0.005)
    time.sleep(delay)
    if p.poll() is not None:
        return False
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    return True


def test_sigkill_at_random_moments_then_resume_is_identical(tmp_path):
    cfg = write_config(tmp_path / "kill.toml", small_config(
        name="kill", networks={"activation": ["erf", "relu"], "width": [20, 300]},
        sampling={"n_networks": M}))
    ref = tmp_path / "ref"
    r = run_cli("run", cfg, "--out", ref, "--quiet")
    assert r.returncode == 0, r.stderr
    total = N_TASKS * CHUNKS_PER_TASK
    assert _chunks(ref) == total

    out = tmp_path / "killed"
    rng = np.random.default_rng(20240611)
    targets = sorted(rng.choice(np.arange(1, total), size=4, replace=False).tolist())
    plan = [(t, rng.uniform(0.0, 0.05)) for t in targets] + [(total, rng.uniform(0.0, 0.6))]
    killed = 0
    for target, delay in plan:
        resume = ["--resume"] if out.exists() else []
        killed += _kill_when(["run", cfg, "--out", out, "--quiet", *resume], out, target, delay)
        # whatever the moment, no half-written checkpoint is ever visible under its final name
        for p in out.rglob("chunk-*.npz"):
            assert p.stat().st_size > 0
    assert killed >= 3, f"only {killed} of {len(plan)} runs were interrupted"
    resume = ["--resume"] if out.exists() else []
    r = run_cli("run", cfg, "--out", out, "--quiet", *resume)
    assert r.returncode == 0, r.stderr
    assert_identical(load_arrays(ref), load_arrays(out))
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["status"] == "complete" and len(prov["sessions"]) >= 2
    assert not list(out.rglob("*.tmp"))
    # a final --resume does nothing and exits 0
    r = run_cli("run", cfg, "--out", out, "--quiet", "--resume")
    assert r.returncode == 0, r.stderr
