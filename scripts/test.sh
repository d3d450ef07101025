#!/usr/bin/env bash
# Set up a virtualenv (.venv) with trtkit, TensorRT-RTX and the test tools, then run the whole test suite.
# GPU tests (-m gpu) skip on machines without CUDA and pycuda; everything else runs for real.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test,rtx-build]"
set +e
.venv/bin/python -m ruff check trtkit tests scripts
lint=$?
.venv/bin/python -m pytest -q "$@"
rc=$?
set -e
[ "$rc" -eq 5 ] && rc=0   # pytest's "no tests collected" is not a failure of the suite
[ "$lint" -ne 0 ] && [ "$rc" -eq 0 ] && rc=$lint
exit "$rc"
