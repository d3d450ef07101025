"""The examples shipped inside the package (the checkout's ``models/`` and ``samples/`` link here): the
project's MNIST model and ten sample digits, so that ``trtkit bench`` and ``trtkit infer`` have something to
run after a plain ``pip install``."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
BUNDLED_MODEL = EXAMPLES / "models" / "mnist.onnx"
SAMPLES = EXAMPLES / "samples"


def sample_images() -> tuple[Path, ...]:
    """The ten bundled sample digits, ``0.pgm`` ... ``9.pgm``."""
    return tuple(sorted(SAMPLES.glob("*.pgm")))
