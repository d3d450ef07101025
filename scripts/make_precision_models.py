"""Make the test models of the precision tests (tests/data/models/), deterministically:

* ``fp16_overflow.onnx`` (onnx.helper, any Python): x -> MatMul -> Add -> Mul(1e-3) -> Relu -> MatMul -> Add
  -> Tanh. The first MatMul's output reaches ~2e5 (> 65504, FP16's largest finite value); the Mul brings it
  back to ~150, so FP32 is fine everywhere and FP16 turns the whole tail into inf/NaN.
* ``transformer_block.onnx`` (torch CPU, ``/work/torchvenv/bin/python``): a pre-LayerNorm transformer block
  (single-head attention: MatMul, Softmax; MLP with GELU) exported by torch.onnx. Its query/key projections
  carry the large weights of "attention logit growth" (Dehghani et al., 2023: the reason ViT-22B added
  QK-normalisation), so q.k^T exceeds 65504 before the 1/sqrt(d) scale: the classic FP16 attention overflow.

Usage: python scripts/make_precision_models.py [--out tests/data/models]  (the transformer needs torch)
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

SEED = 11
OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "models"


def overflow_graph(path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(SEED)
    # x in [0, 1): x W1 reaches ~1.5e5. Weights stay below 1e4, which onnxconverter-common would clamp.
    w1 = rng.uniform(1000, 8000, (64, 32)).astype(np.float32)
    w2 = rng.normal(0, 0.1, (32, 8)).astype(np.float32)
    inits = [numpy_helper.from_array(a, n) for a, n in (
        (w1, "w1"), (rng.normal(0, 1, 32).astype(np.float32), "b1"), (np.array(1e-3, np.float32), "scale"),
        (w2, "w2"), (rng.normal(0, 0.1, 8).astype(np.float32), "b2"))]
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["big"], name="fc1"),
        helper.make_node("Add", ["big", "b1"], ["big_b"], name="fc1_bias"),
        helper.make_node("Mul", ["big_b", "scale"], ["scaled"], name="rescale"),
        helper.make_node("Relu", ["scaled"], ["act"], name="relu"),
        helper.make_node("MatMul", ["act", "w2"], ["small"], name="fc2"),
        helper.make_node("Add", ["small", "b2"], ["small_b"], name="fc2_bias"),
        helper.make_node("Tanh", ["small_b"], ["y"], name="tanh"),
    ]
    graph = helper.make_graph(nodes, "fp16_overflow", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 64])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 8])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="trtkit-scripts")
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))


def transformer_block(path: Path) -> None:
    import torch
    from torch import nn

    torch.manual_seed(SEED)
    dim, hidden = 64, 256

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
            self.q, self.k, self.v, self.o = (nn.Linear(dim, dim) for _ in range(4))
            self.fc1, self.fc2, self.gelu = nn.Linear(dim, hidden), nn.Linear(hidden, dim), nn.GELU()
            with torch.no_grad():  # attention logit growth: large query/key weights
                self.q.weight.mul_(120.0)
                self.k.weight.mul_(120.0)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.ln1(x)
            scores = torch.matmul(self.q(h), self.k(h).transpose(-1, -2)) / math.sqrt(dim)
            x = x + self.o(torch.matmul(torch.softmax(scores, dim=-1), self.v(h)))
            return x + self.fc2(self.gelu(self.fc1(self.ln2(x))))

    block = Block().eval()
    example = torch.randn(1, 16, dim)
    torch.onnx.export(block, (example,), str(path), input_names=["x"], output_names=["y"], opset_version=17,
                      dynamo=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    overflow_graph(args.out / "fp16_overflow.onnx")
    transformer_block(args.out / "transformer_block.onnx")
    for name in ("fp16_overflow.onnx", "transformer_block.onnx"):
        print(args.out / name, (args.out / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
