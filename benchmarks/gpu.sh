#!/usr/bin/env bash
# GPU checks and benchmark of the jax backend in one go (docs/backends.md, "Running on a GPU").
#
#   bash benchmarks/gpu.sh [--smoke] [OUTDIR]
#
# 1. Finds a Python whose JAX sees a GPU; if none, installs the CUDA extra of JAX
#    (pip install "jax[cuda13]", falling back to "jax[cuda12]"); nnqft itself runs from src/
#    (PYTHONPATH), so no build or network access is needed when JAX is already there.
# 2. Runs the jax backend's z-score tests against the exact engine on that device.
# 3. Runs benchmarks/gpu_check.py (networks/s, device memory, bit identity, fraction of peak)
#    and writes OUTDIR/gpu.json (default benchmarks/results) with the device name; then the
#    block-size sweep (OUTDIR/gpu_blocks.json).
#
# --smoke: tiny sizes on whatever device JAX has, no install (test this script on a CPU with
# JAX_PLATFORMS=cpu). Environment: PYTHON (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
SMOKE=""
if [[ "${1:-}" == "--smoke" ]]; then SMOKE="--smoke"; shift; fi
OUTDIR="${1:-benchmarks/results}"
PY="${PYTHON:-python3}"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
# Allocate device memory as needed, so that the peak measured is what the sampler uses.
export XLA_PYTHON_CLIENT_PREALLOCATE=false

has_gpu() { "$PY" -c 'import jax, sys; sys.exit(0 if jax.default_backend() == "gpu" else 1)' 2>/dev/null; }

if [[ -z "$SMOKE" ]] && ! has_gpu; then
  echo "gpu.sh: JAX does not see a GPU; installing the CUDA extra" >&2
  "$PY" -m pip install -q --retries 1 --timeout 20 "jax[cuda13]>=0.7.1" \
    || "$PY" -m pip install -q --retries 1 --timeout 20 "jax[cuda12]>=0.4.30" || true
  if ! has_gpu; then
    echo "gpu.sh: no GPU visible to JAX (nvidia-smi, then pip install \"nnqft[jax-cuda13]\")" >&2
    exit 1
  fi
fi
"$PY" - <<'EOF'
import jax, numpy, scipy
print("jax", jax.__version__, "devices", jax.devices(), "numpy", numpy.__version__,
      "scipy", scipy.__version__, flush=True)
EOF
mkdir -p "$OUTDIR"
# z-scores against the exact engine, raw and conditional, float64 and float32, on this device
tests=0
"$PY" -m pytest tests/test_jax_backend.py -q -p no:cacheprovider \
  -k "matches_exact or match_exact or sums_equal or bit_identical or erf64 or normal64" 2>&1 | tee "$OUTDIR/gpu_tests.log" || tests=$?
"$PY" benchmarks/gpu_check.py $SMOKE --out "$OUTDIR/gpu.json"
if ! "$PY" -c "import json, sys; sys.exit(0 if json.load(open('$OUTDIR/gpu.json'))['bit_identical_rechunked'] else 1)"; then
  echo "gpu.sh: bits differ under re-chunking; checking again with deterministic XLA GPU ops" >&2
  XLA_FLAGS="--xla_gpu_deterministic_ops=true ${XLA_FLAGS:-}" \
    "$PY" benchmarks/gpu_check.py $SMOKE --bits-only --out "$OUTDIR/gpu_bits_deterministic.json"
fi
# networks/s against the block size (docs/backends.md, "Block size on the GPU")
"$PY" benchmarks/gpu_check.py $SMOKE --block-sweep --out "$OUTDIR/gpu_blocks.json"
echo "gpu.sh: wrote $OUTDIR/gpu.json, $OUTDIR/gpu_blocks.json and $OUTDIR/gpu_tests.log (tests exit status $tests)"
exit "$tests"
