"""The backend interface: run a batch of named arrays, report inputs and outputs. Backends know nothing of
bench; bench picks the timing loop for a backend."""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from types import MappingProxyType

import numpy as np

from trtkit.data.tensors import TensorInfo


class Backend(abc.ABC):
    """Runs named arrays through a model. Backends own their memory and streams; ``close`` frees them."""

    name: str
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    # What the runtime was told and chose (threads, precision, streams...), printed in the bench report so that
    # two runs compare knowing their settings.
    settings: Mapping[str, str] = MappingProxyType({})

    @abc.abstractmethod
    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run once; ``feeds`` holds every input by name. Returns every output by name (host arrays the
        caller may keep)."""

    def bind(self, feeds: Mapping[str, np.ndarray]) -> Callable[[], object]:
        """A zero-argument callable that runs once on ``feeds`` with all per-call setup done up front:
        what host timing loops call, so that they measure the model and not trtkit."""
        return lambda: self.run(feeds)

    def close(self) -> None:  # noqa: B027 - backends without resources need not override
        """Free device memory, streams and sessions deterministically."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
