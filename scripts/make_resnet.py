#!/usr/bin/env python3
"""Write a ResNet (v1.5, bottleneck blocks) with random weights as ONNX: a ResNet-sized test and benchmark model
made here, not downloaded. ``--width 1`` is ResNet-50 itself (25.6 M parameters, ~100 MB, so it is generated
when needed, never committed); the tests use ``--width 0.25`` (1/16 of the channels' products, ~1.5 MB), which
keeps ResNet-50's depth, strides, BatchNorm and residual adds.

Weights are He-initialised with each residual branch's last BatchNorm scaled down (0.2), as ResNet training
starts, so activations stay in range through 16 blocks and the logits are neither all zero nor huge.
Input ``input`` [N, 3, H, W] with a dynamic batch, output ``logits`` [N, classes]. Built with onnx.helper only.

    python scripts/make_resnet.py resnet50.onnx [--width 1.0] [--size 224] [--classes 1000] [--seed 0]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BLOCKS = (3, 4, 6, 3)  # ResNet-50
BASE_WIDTHS = (64, 128, 256, 512)
EXPANSION = 4
OPSET = 17


class _Graph:
    """Accumulates nodes and initializers with unique names."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.weights: list[onnx.TensorProto] = []
        self.count = 0

    def name(self, kind: str) -> str:
        self.count += 1
        return f"{kind}_{self.count}"

    def const(self, kind: str, array: np.ndarray) -> str:
        name = self.name(kind)
        self.weights.append(numpy_helper.from_array(array.astype(np.float32), name))
        return name

    def node(self, op: str, inputs: list[str], **attrs: object) -> str:
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv_bn(self, x: str, cin: int, cout: int, k: int, stride: int, relu: bool, gamma: float = 1.0) -> str:
        w = self.rng.standard_normal((cout, cin, k, k)) * np.sqrt(2.0 / (cin * k * k))
        y = self.node("Conv", [x, self.const("w", w)], kernel_shape=[k, k], strides=[stride, stride],
                      pads=[k // 2] * 4)
        scale = gamma * (1.0 + 0.1 * self.rng.standard_normal(cout))
        bias = 0.05 * self.rng.standard_normal(cout)
        mean = 0.05 * self.rng.standard_normal(cout)
        var = 1.0 + 0.1 * self.rng.random(cout)
        y = self.node("BatchNormalization", [y, *(self.const(n, a) for n, a in
                      (("gamma", scale), ("beta", bias), ("mean", mean), ("var", var)))], epsilon=1e-5)
        return self.node("Relu", [y]) if relu else y

    def bottleneck(self, x: str, cin: int, mid: int, stride: int) -> str:
        cout = mid * EXPANSION
        y = self.conv_bn(x, cin, mid, 1, 1, True)
        y = self.conv_bn(y, mid, mid, 3, stride, True)  # v1.5: the stride sits on the 3x3
        y = self.conv_bn(y, mid, cout, 1, 1, False, gamma=0.2)
        shortcut = x if stride == 1 and cin == cout else self.conv_bn(x, cin, cout, 1, stride, False)
        return self.node("Relu", [self.node("Add", [y, shortcut])])


def make_resnet(width: float = 1.0, size: int = 224, classes: int = 1000, seed: int = 0) -> onnx.ModelProto:
    """ResNet-50's layout at ``width`` times its channels, random weights from ``seed``."""
    g = _Graph(seed)
    stem = max(8, round(64 * width))
    x = g.conv_bn("input", 3, stem, 7, 2, True)
    x = g.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = stem
    for stage, (blocks, base) in enumerate(zip(BLOCKS, BASE_WIDTHS, strict=True)):
        mid = max(4, round(base * width))
        for block in range(blocks):
            x = g.bottleneck(x, cin, mid, 2 if block == 0 and stage > 0 else 1)
            cin = mid * EXPANSION
    x = g.node("Flatten", [g.node("GlobalAveragePool", [x])], axis=1)
    fc = g.rng.standard_normal((classes, cin)) / np.sqrt(cin)
    logits = helper.make_node("Gemm", [x, g.const("fc_w", fc), g.const("fc_b", np.zeros(classes))], ["logits"],
                              name="fc", transB=1)
    graph = helper.make_graph(
        [*g.nodes, logits], f"resnet50_w{width:g}",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, size, size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", classes])],
        g.weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="trtkit")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--width", type=float, default=1.0, help="channel multiplier (1.0: ResNet-50)")
    parser.add_argument("--size", type=int, default=224, help="input height and width")
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    model = make_resnet(args.width, args.size, args.classes, args.seed)
    onnx.save(model, str(args.output))
    params = sum(int(np.prod(w.dims)) for w in model.graph.initializer)
    print(f"{args.output}: ResNet-50 layout, width {args.width:g}, {params / 1e6:.2f} M parameters")


if __name__ == "__main__":
    main()
