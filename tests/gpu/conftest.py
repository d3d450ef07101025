"""GPU tests: the pycuda data path, the TensorRT runner and the bench loop on a real CUDA GPU.

Every test marked ``gpu`` here is skipped, with the reason, where pycuda, cuda-python or a GPU is missing
(run them on the device machine: ``pytest tests/gpu -m gpu``). TensorRT itself is not needed: the runner
is driven through stand-in engines (standin_engine.py) that launch real kernels.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
for path in (HERE.parent, HERE):  # tests/standin.py and tests/gpu/standin_engine.py
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


@cache
def gpu_unavailable() -> str | None:
    """Why the GPU tests cannot run here, or None."""
    try:
        import pycuda.driver as cuda
    except ImportError as e:
        return f"pycuda is not usable here ({e}); the GPU tests run on a machine with a CUDA GPU"
    try:
        from cuda.bindings import driver  # noqa: F401
    except ImportError:
        return "cuda-python is not installed (pip install cuda-bindings)"
    try:
        cuda.init()
        if cuda.Device.count() == 0:
            return "no CUDA GPU visible"
    except cuda.Error as e:
        return f"no CUDA GPU visible ({e})"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = gpu_unavailable()
    if reason is None:
        return
    for item in items:
        if item.get_closest_marker("gpu") is not None and HERE in Path(item.fspath).resolve().parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def device() -> Iterator[Any]:
    """The GPU's primary context, current for the whole session."""
    from trtkit.platform.cuda import Device

    with Device() as gpu:
        yield gpu


@pytest.fixture(scope="session")
def kernels(device: Any) -> Iterator[Any]:
    from standin_engine import Kernels

    compiled = Kernels()
    yield compiled
    compiled.close()


@pytest.fixture
def engine_factory(kernels: Any) -> Iterator[Callable[[Any], Any]]:
    """Builds stand-in engines; frees their device memory after the test."""
    from standin_engine import free_engine, make_engine

    made: list[Any] = []

    def make(spec: Any) -> Any:
        made.append(make_engine(spec, kernels))
        return made[-1]

    yield make
    for engine in made:
        free_engine(engine)


@pytest.fixture
def runner_factory(engine_factory: Callable[[Any], Any]) -> Iterator[Callable[..., tuple[Any, Any]]]:
    """(engine, TensorRTBackend) pairs around stand-in engines; the backends are closed after the test."""
    from standin_engine import flavour

    from trtkit.backends.tensorrt import TensorRTBackend

    opened: list[Any] = []

    def make(spec: Any, **options: Any) -> tuple[Any, Any]:
        engine = engine_factory(spec)
        opened.append(TensorRTBackend.from_engine(engine, flavour(), **options))
        return engine, opened[-1]

    yield make
    for backend in reversed(opened):
        backend.close()


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """Fresh random data per test (never zeros), reproducible from the test's name."""
    return np.random.default_rng(zlib.crc32(request.node.name.encode()))
