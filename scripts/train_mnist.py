"""Train the project's MNIST CNN and export it to ONNX (models/mnist.onnx, models/mnist_static.onnx).

The model has the same I/O contract as the ONNX model zoo's mnist-8, under
clearer names: input ``input`` float32 ``N x 1 x 28 x 28`` in [0, 1] (white
digit on black, as in the MNIST files), output ``scores`` float32 ``N x 10`` raw
class scores (the caller applies softmax). ``mnist.onnx`` has a dynamic batch
dimension named ``batch``; ``mnist_static.onnx`` has batch 1.

The network is LeNet-like (two 5x5 conv + max-pool stages, two fully connected
layers). BatchNorm speeds up training and is folded into the convolutions
before export, so the graph holds only Conv, Relu, MaxPool, Flatten and Gemm:
ops every TensorRT version handles. Light random affine augmentation (small
rotation, scale, shear, shift) helps the model generalise beyond MNIST, to
the font-rendered samples in samples/.

The reported accuracy is measured on the exported ONNX files through
onnxruntime, i.e. on what ships. Training is reproducible: fixed seed,
deterministic algorithms and a fixed thread count (results can still differ
across CPUs or torch versions). torch is needed for training only.

Usage (from the repository root):
    python scripts/train_mnist.py --data ../shared/data/mnist --out models/
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a plain script: make trtkit importable without installing

from trtkit.data.datasets import load_mnist  # noqa: E402

INPUT_NAME = "input"
OUTPUT_NAME = "scores"
OPSET = 13
ALLOWED_OPS = {"Conv", "Relu", "MaxPool", "Flatten", "Gemm"}


def build_model() -> nn.Sequential:
    """LeNet-like CNN; ~0.1 M parameters, so the ONNX file stays well under 1 MB."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2, bias=False),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 16 x 14 x 14
        nn.Conv2d(16, 32, 5, padding=2, bias=False),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 32 x 7 x 7
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )


def fold_batchnorm(model: nn.Sequential) -> nn.Sequential:
    """Return an eval-mode copy with every Conv2d+BatchNorm2d pair folded into one Conv2d."""
    layers: list[nn.Module] = []
    modules = list(model.eval())
    i = 0
    while i < len(modules):
        module = modules[i]
        following = modules[i + 1] if i + 1 < len(modules) else None
        if isinstance(module, nn.Conv2d) and isinstance(following, nn.BatchNorm2d):
            layers.append(fuse_conv_bn_eval(module, following))
            i += 2
        else:
            layers.append(module)
            i += 1
    return nn.Sequential(*layers).eval()


def augment(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random small affine warp per image: +-10 deg rotation, 0.9-1.1 scale, +-0.15 shear, +-2 px shift."""
    n = images.shape[0]

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.empty(n).uniform_(low, high, generator=generator)

    angle = uniform(-math.pi / 18, math.pi / 18)
    scale = uniform(0.9, 1.1)
    shear = uniform(-0.15, 0.15)
    shift = torch.empty(n, 2).uniform_(-2 / 14, 2 / 14, generator=generator)  # 1 px = 2/28
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [
            torch.stack([cos, -sin + shear * cos, shift[:, 0]], dim=1),
            torch.stack([sin, cos + shear * sin, shift[:, 1]], dim=1),
        ],
        dim=1,
    )
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 N x 28 x 28 -> float32 N x 1 x 28 x 28 in [0, 1], the model's input contract."""
    return torch.from_numpy(images).float().div_(255.0).unsqueeze(1)


def train(args: argparse.Namespace, images: torch.Tensor, labels: torch.Tensor) -> nn.Sequential:
    """Adam with a one-cycle learning-rate schedule; prints loss and train accuracy per epoch."""
    generator = torch.Generator().manual_seed(args.seed)
    model = build_model()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = math.ceil(len(images) / args.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=steps_per_epoch
    )
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(images), generator=generator)
        loss_sum, correct, start = 0.0, 0, time.perf_counter()
        for first in range(0, len(images), args.batch_size):
            batch = order[first : first + args.batch_size]
            with torch.no_grad():
                x = augment(images[batch], generator)
            y = labels[batch]
            scores = model(x)
            loss = F.cross_entropy(scores, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.item() * len(batch)
            correct += int((scores.argmax(1) == y).sum())
        print(
            f"epoch {epoch}/{args.epochs}: loss {loss_sum / len(images):.4f}, "
            f"train accuracy (augmented) {correct / len(images):.4f}, "
            f"{time.perf_counter() - start:.1f} s",
            flush=True,
        )
    return model


def export(model: nn.Module, path: Path, dynamic: bool) -> None:
    """Export to ONNX and check that the graph uses only TensorRT-friendly ops."""
    path.parent.mkdir(parents=True, exist_ok=True)
    dynamic_axes = {INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}} if dynamic else None
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of the dynamo one, which needs
        # onnxscript; for this plain Sequential both give the same graph.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            (torch.zeros(1, 1, 28, 28),),
            str(path),
            dynamo=False,
            opset_version=OPSET,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes=dynamic_axes,
            do_constant_folding=True,
        )
    proto = onnx.load(str(path))
    proto.doc_string = (
        "trtkit MNIST CNN (scripts/train_mnist.py). input: float32 Nx1x28x28 in [0,1], "
        "white digit on black; scores: float32 Nx10 raw class scores (apply softmax)."
    )
    onnx.checker.check_model(proto, full_check=True)
    ops = {node.op_type for node in proto.graph.node}
    if not ops <= ALLOWED_OPS:
        raise RuntimeError(f"{path}: unexpected ops {sorted(ops - ALLOWED_OPS)} in the exported graph")
    onnx.save(proto, str(path))


def onnx_scores(path: Path, images: np.ndarray, batch_size: int) -> np.ndarray:
    """Run a model over MNIST uint8 images through onnxruntime; return N x 10 scores."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    x = to_tensor(images).numpy()
    return np.concatenate(
        [session.run([OUTPUT_NAME], {INPUT_NAME: x[i : i + batch_size]})[0] for i in range(0, len(x), batch_size)]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=REPO.parent / "shared" / "data" / "mnist",
        help="directory with the MNIST IDX files (default: ../shared/data/mnist)",
    )
    parser.add_argument("--out", type=Path, default=REPO / "models", help="output directory")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=5e-3, help="peak learning rate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="torch/onnxruntime CPU threads")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(args.threads)

    train_images, train_labels = load_mnist(args.data, "train")
    test_images, test_labels = load_mnist(args.data, "test")
    print(f"data: {args.data} ({len(train_images)} train, {len(test_images)} test images)")

    start = time.perf_counter()
    model = train(args, to_tensor(train_images), torch.from_numpy(train_labels).long())
    train_seconds = time.perf_counter() - start
    folded = fold_batchnorm(model)

    with torch.no_grad():
        torch_pred = folded(to_tensor(test_images)).argmax(1).numpy()
    print(f"training: {train_seconds:.1f} s; torch test accuracy (BN folded) {(torch_pred == test_labels).mean():.4f}")

    dynamic_path, static_path = args.out / "mnist.onnx", args.out / "mnist_static.onnx"
    export(folded, dynamic_path, dynamic=True)
    export(folded, static_path, dynamic=False)

    dynamic_scores = onnx_scores(dynamic_path, test_images, batch_size=1000)
    static_scores = onnx_scores(static_path, test_images, batch_size=1)
    for path, scores in ((dynamic_path, dynamic_scores), (static_path, static_scores)):
        accuracy = (scores.argmax(1) == test_labels).mean()
        print(
            f"wrote {path} ({path.stat().st_size} bytes): onnxruntime test accuracy "
            f"{accuracy:.4f} on {len(test_labels)} images"
        )
    print(f"max |dynamic - static| score difference: {np.abs(dynamic_scores - static_scores).max():.2e}")


if __name__ == "__main__":
    main()
