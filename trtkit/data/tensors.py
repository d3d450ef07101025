"""What a model input or output is (name, shape, dtype), and trtexec's spelling of a shape: the vocabulary
every layer shares, so it sits at the bottom of the data layer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TensorInfo:
    """One model input or output as the backend sees it. ``-1`` in ``shape`` marks a dynamic dimension."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    opt_shape: tuple[int, ...] | None = None  # the shape the engine was tuned for: generated data takes it
    opt_values: tuple[int, ...] | None = None  # a shape tensor's tuned values: fed when no data is given

    @property
    def is_dynamic(self) -> bool:
        return any(d < 0 for d in self.shape)


def format_shape(shape: Sequence[int]) -> str:
    """trtexec's spelling of a shape, ``1x1x28x28``; ``?`` marks a dynamic dimension."""
    return "x".join("?" if d < 0 else str(d) for d in shape) or "scalar"
