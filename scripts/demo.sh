#!/usr/bin/env bash
# The main job on the best backend present: build the bundled MNIST model into a TensorRT plan (FP16),
# then classify the ten sample digits - with TensorRT where a GPU can run the plan, else with ONNX Runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
extras="all,rtx-build"
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then extras="$extras,rtx"; fi
.venv/bin/python -m pip install -q -e ".[$extras]"
trtkit=.venv/bin/trtkit
mkdir -p build
$trtkit build --onnx models/mnist.onnx --fp16 --saveEngine build/mnist.plan --skipInference \
  --minShapes=input:1x1x28x28 --optShapes=input:10x1x28x28 --maxShapes=input:64x1x28x28
if $trtkit infer build/mnist.plan samples/0.pgm --quiet >/dev/null 2>&1; then
  echo "[I] Running the plan on TensorRT"
  $trtkit infer build/mnist.plan samples/*.pgm
else
  echo "[I] This machine cannot run TensorRT plans (no CUDA GPU/pycuda, or an RTX-only build);" \
       "classifying with ONNX Runtime instead"
  $trtkit infer models/mnist.onnx samples/*.pgm
fi
