#!/usr/bin/env bash
# Certify torch's RMSprop (foreach=False, foreach=True, capturable, fused) and optax on a CUDA GPU
# in float64 (torch), float32, float16 and bfloat16; write the compatibility-matrix rows under $OUT.
#
#   OUT=/tmp/gpu-out bash scripts/gpu_check.sh [--jobs 8] [--budget 270] [--only torch|jax]
#
# The repository need not be installed: it runs from this checkout (PYTHONPATH; `python -m oracle
# certify` adds -p oracle.conformance.pytest.plugin when the pytest11 entry point is not registered).
# Without CUDA it exits with status 2 and says so; ORACLE_GPU_DEVICE=cpu runs the same
# configurations on the CPU (a smoke test). Merge the rows afterwards, on the development machine:
#   python scripts/compat_matrix.py --merge "$OUT/gpu-matrix.json"
# See scripts/gpu_check.py for what is written and the exit status.
set -u
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
if [ -z "${OUT:-}" ]; then
  echo "gpu_check: set OUT to the folder for the results (OUT=/tmp/gpu-out bash $0)" >&2
  exit 2
fi
if [ "${ORACLE_GPU_DEVICE:-}" != "cpu" ] && ! command -v nvidia-smi >/dev/null 2>&1 && [ ! -e /dev/nvidia0 ]; then
  echo "gpu_check: no CUDA device here (no nvidia-smi, no /dev/nvidia0); it runs only on a CUDA machine" >&2
  exit 2
fi
mkdir -p "$OUT"
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-${TMPDIR:-/tmp}/rmsprop-oracle-numba-cache}"  # not under $OUT
exec "$PY" "$REPO/scripts/gpu_check.py" --out "$OUT" "$@"
