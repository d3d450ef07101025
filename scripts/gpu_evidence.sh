#!/usr/bin/env bash
# One-shot GPU evidence on the device machine (no TensorRT there; pycuda comes as carried wheels):
# install the wheels, record the environment, run the GPU tests, then scripts/bench_gpu.py once discarded (a
# warm-up) and twice reported (the second run tells how far the same code's numbers move between runs).
# Usage (repository root, wheels copied to .device-wheels/): OUT=/some/dir scripts/gpu_evidence.sh
set -uo pipefail
OUT=${OUT:-gpu-evidence}
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --target .site .device-wheels/*.whl || exit 1
export PYTHONPATH=$PWD/.site:$PWD PYTHONUNBUFFERED=1
{
  date -u +%Y-%m-%dT%H:%M:%SZ
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
  nvcc --version | tail -1
  python3 --version
  python3 -c "import importlib.metadata as m; print(*(f'{p} {m.version(p)}' for p in ('pycuda', 'cuda-bindings', 'numpy', 'ml_dtypes', 'pytest')))"
} 2>&1 | tee "$OUT/env.log"
timeout 300 python3 -m pytest tests/gpu -m gpu -q -rA -p no:cacheprovider 2>&1 | tee "$OUT/gpu.log"
tests=${PIPESTATUS[0]}
# A freshly started machine measures event-heavy loops several times slower in its first run: discard one.
timeout 150 python3 scripts/bench_gpu.py --reps 3 --json "$OUT/bench_gpu_warm.json" > "$OUT/bench_warm.log" 2>&1
timeout 400 python3 scripts/bench_gpu.py --reps 33 --json "$OUT/bench_gpu.json" 2>&1 | tee "$OUT/bench.log"
bench=${PIPESTATUS[0]}
timeout 200 python3 scripts/bench_gpu.py --reps 11 --json "$OUT/bench_gpu_repeat.json" > "$OUT/bench_repeat.log" 2>&1
repeat=$?
tail -8 "$OUT/bench_repeat.log"
echo "gpu tests exit $tests; bench_gpu exit $bench, repeat $repeat (1 = a target missed)"
