"""The TensorRT runner's pycuda data path for real: pinned buffers, async copies and execution on its stream,
several inputs and outputs of different dtypes, dynamic shapes across optimization profiles, and no device
memory growth, all through stand-in engines whose contexts launch real kernels on the runner's stream."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from standin_engine import (
    impl_of,
    launches,
    live_contexts,
    mixed_expected,
    mixed_inputs,
    mixed_spec,
    mnist_expected,
    mnist_input,
    mnist_spec,
)

from trtkit.platform.errors import TrtkitError

pytestmark = pytest.mark.gpu
Runners = Callable[..., tuple[Any, Any]]


def _context(backend: Any) -> Any:
    """The stand-in behind the backend's own execution context."""
    return impl_of(backend._main.context)


def test_static_engine_runs_random_batches_exactly(runner_factory: Runners, rng: np.random.Generator) -> None:
    engine, backend = runner_factory(mnist_spec())
    assert [(i.name, i.shape, i.dtype) for i in backend.inputs] == [("Input3", (1, 1, 28, 28), np.float32)]
    assert [(o.name, o.shape, o.dtype) for o in backend.outputs] == [("Plus214_Output_0", (1, 10), np.float32)]
    for _ in range(5):  # fresh data each time: a stale or unwritten output cannot match
        x = mnist_input(rng)
        out = backend.run({"Input3": x})
        np.testing.assert_array_equal(out["Plus214_Output_0"], mnist_expected(engine, x))
    assert launches(engine) == _context(backend).executions == 5


def test_outputs_are_copies_the_caller_keeps(runner_factory: Runners, rng: np.random.Generator) -> None:
    engine, backend = runner_factory(mnist_spec())
    first_x, second_x = mnist_input(rng), mnist_input(rng)
    first = backend.run({"Input3": first_x})["Plus214_Output_0"]
    backend.run({"Input3": second_x})
    np.testing.assert_array_equal(first, mnist_expected(engine, first_x))


def test_several_inputs_and_outputs_of_different_dtypes(runner_factory: Runners, rng: np.random.Generator) -> None:
    import ml_dtypes

    _, backend = runner_factory(mixed_spec())
    assert [i.dtype for i in backend.inputs] == [np.float16, np.int32]
    assert [o.dtype for o in backend.outputs] == [np.float32, np.int32, np.dtype(ml_dtypes.bfloat16)]
    for _ in range(3):
        feeds = mixed_inputs(rng)
        out = backend.run(feeds)
        for name, expected in mixed_expected(feeds).items():
            assert out[name].dtype == expected.dtype
            np.testing.assert_array_equal(out[name].view(np.uint8), expected.view(np.uint8), err_msg=name)


def test_feeds_are_cast_safely_and_checked(runner_factory: Runners, rng: np.random.Generator) -> None:
    engine, backend = runner_factory(mnist_spec())
    x = mnist_input(rng)
    out = backend.run({"Input3": x.astype(np.float64)})  # same kind: cast into the pinned buffer
    np.testing.assert_array_equal(out["Plus214_Output_0"], mnist_expected(engine, x))
    with pytest.raises(TrtkitError, match="missing Input3"):
        backend.run({})
    with pytest.raises(TrtkitError, match=r"shape 2x1x28x28 does not fit the engine's 1x1x28x28"):
        backend.run({"Input3": mnist_input(rng, 2)})
    with pytest.raises(TrtkitError, match="complex128 data cannot be cast"):
        backend.run({"Input3": x.astype(np.complex128)})


def test_dynamic_batches_select_profiles_and_reuse_buffers(runner_factory: Runners, rng: np.random.Generator) -> None:
    engine, backend = runner_factory(mnist_spec(dynamic=True))
    assert backend.inputs[0].shape == (-1, 1, 28, 28) and backend.dynamic
    context = _context(backend)
    for batch, profile in ((3, 0), (40, 1), (2, 1), (16, 1)):  # the current profile is kept while it fits
        x = mnist_input(rng, batch)
        out = backend.run({"input": x})["scores"]
        assert out.shape == (batch, 10)
        np.testing.assert_array_equal(out, mnist_expected(engine, x))
        assert context.active_optimization_profile == profile
    address = context.addresses["input"]
    backend.run({"input": mnist_input(rng, 5)})
    assert context.addresses["input"] == address, "a smaller batch must reuse the buffers"
    backend.run({"input": mnist_input(rng, 64)})
    assert context.addresses["input"] != address, "a larger batch needs larger buffers"


def test_a_shape_outside_every_profile_names_input_shape_and_ranges(runner_factory: Runners,
                                                                     rng: np.random.Generator) -> None:
    _, backend = runner_factory(mnist_spec(dynamic=True))
    with pytest.raises(TrtkitError) as raised:
        backend.run({"input": mnist_input(rng, 100)})
    message = str(raised.value)
    assert "input 100x1x28x28" in message
    assert "profile 0: input 1x1x28x28..16x1x28x28" in message
    assert "profile 1: input 1x1x28x28..64x1x28x28" in message


def test_a_fixed_profile_is_honoured(runner_factory: Runners, rng: np.random.Generator) -> None:
    engine, backend = runner_factory(mnist_spec(dynamic=True), profile=1)
    x = mnist_input(rng, 4)
    np.testing.assert_array_equal(backend.run({"input": x})["scores"], mnist_expected(engine, x))
    assert _context(backend).active_optimization_profile == 1
    with pytest.raises(TrtkitError, match="--useProfile=2"):
        runner_factory(mnist_spec(dynamic=True), profile=2)


def test_bind_prepares_once_and_refuses_stale_buffers(runner_factory: Runners, rng: np.random.Generator) -> None:
    engine, backend = runner_factory(mnist_spec(dynamic=True))
    x = mnist_input(rng, 8)
    call = backend.bind({"input": x})
    for _ in range(3):
        np.testing.assert_array_equal(call()["scores"], mnist_expected(engine, x))
    backend.run({"input": mnist_input(rng, 32)})  # grows the buffers: the bound addresses are gone
    with pytest.raises(TrtkitError, match="bind"):
        call()


def test_no_device_memory_growth_over_10000_runs(runner_factory: Runners, device: Any,
                                                 rng: np.random.Generator) -> None:
    engine, backend = runner_factory(mnist_spec(dynamic=True))
    small, large = mnist_input(rng, 2), mnist_input(rng, 4)
    backend.run({"input": large})
    free_before = device.mem_get_info()[0]
    for i in range(10_000):
        backend.run({"input": small if i % 2 else large})
    assert device.mem_get_info()[0] == free_before
    assert launches(engine) == 10_001
    np.testing.assert_array_equal(backend.run({"input": small})["scores"], mnist_expected(engine, small))


def test_close_frees_everything_and_is_final(runner_factory: Runners, device: Any, rng: np.random.Generator) -> None:
    free_before = device.mem_get_info()[0]
    engine, backend = runner_factory(mnist_spec(dynamic=True))
    backend.run({"input": mnist_input(rng, 64)})
    assert len(live_contexts(engine)) == 1
    backend.close()
    backend.close()  # idempotent
    assert live_contexts(engine) == []
    assert abs(device.mem_get_info()[0] - free_before) < 4 << 20
    with pytest.raises(TrtkitError, match="closed"):
        backend.run({"input": mnist_input(rng, 1)})


def test_backends_close_in_any_order(runner_factory: Runners, rng: np.random.Generator) -> None:
    _, first = runner_factory(mnist_spec())
    second_engine, second = runner_factory(mnist_spec())
    first.close()  # the older one first: its GPU context must stay for the other
    x = mnist_input(rng)
    np.testing.assert_array_equal(second.run({"Input3": x})["Plus214_Output_0"], mnist_expected(second_engine, x))
    second.close()


def test_the_standin_rejects_what_tensorrt_11_rejects(runner_factory: Runners) -> None:
    """The stand-in is only worth its name if calls the real bindings refuse fail here too."""
    _, backend = runner_factory(mnist_spec())
    context = backend._main.context
    with pytest.raises(TypeError):
        context.execute_async_v3(stream=backend._main.handle)  # the real keyword is stream_handle
    with pytest.raises(AttributeError):
        context.enqueue_v3(backend._main.handle)  # removed API
