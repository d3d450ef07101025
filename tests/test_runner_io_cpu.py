"""The runner's I/O handling that needs no GPU: vectorized layouts against TensorRT's format definitions,
what the runner reads from an engine (through the GPU stand-in's engines, built without device memory), the
stand-in's shape-tensor semantics, the output-allocator subclass, profile choice with shape-tensor values,
generated feeds (opt shapes and values), and plan-loading flags. The GPU half is tests/gpu/test_runner_io.py."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "gpu"))
from standin_engine import (
    dtypes_spec,
    flavour,
    impl_of,
    make_engine,
    nonzero_spec,
    reshape_spec,
    vectorized_spec,
)

from trtkit.backends.io_types import Layout, describe, profile_values
from trtkit.backends.loader import open_backend
from trtkit.backends.plans import PlanLoading
from trtkit.backends.tensorrt import TensorRTBackend
from trtkit.data.feeds import InputOptions, make_runs
from trtkit.data.tensors import TensorInfo
from trtkit.platform.errors import TrtkitError, UsageError

# ---- layouts ---------------------------------------------------------------------------------------------


def test_chw4_packs_channels_into_vectors_of_four_innermost() -> None:
    x = np.arange(1 * 6 * 2 * 3, dtype=np.float32).reshape(1, 6, 2, 3)
    layout = Layout("CHW4", axis=1, components=4, channels_last=False)
    packed = layout.pack(x)
    assert packed.shape == layout.memory_shape(x.shape) == (1, 2, 2, 3, 4)
    for c in range(8):  # element (n, c, h, w) lives at [n][c // 4][h][w][c % 4]; channels 6, 7 are padding
        expected = x[0, c] if c < 6 else np.zeros((2, 3), np.float32)
        np.testing.assert_array_equal(packed[0, c // 4, :, :, c % 4], expected)
    np.testing.assert_array_equal(layout.unpack(packed.reshape(-1), x.shape), x)


def test_hwc8_puts_padded_channels_last() -> None:
    x = np.arange(2 * 3 * 2 * 2, dtype=np.int8).reshape(2, 3, 2, 2)
    layout = Layout("HWC8", axis=1, components=8, channels_last=True)
    packed = layout.pack(x)
    assert packed.shape == (2, 2, 2, 8)  # [N][H][W][ceil(C/8)*8]
    np.testing.assert_array_equal(packed[..., :3], np.moveaxis(x, 1, -1))
    assert not packed[..., 3:].any()
    np.testing.assert_array_equal(layout.unpack(packed, x.shape), x)


@pytest.mark.parametrize(("fmt", "k", "last", "shape"), [
    ("CHW2", 2, False, (3, 5, 4, 4)), ("CHW16", 16, False, (1, 17, 2, 2)), ("CHW32", 32, False, (2, 3, 1, 5)),
    ("CDHW32", 32, False, (1, 40, 2, 2, 3)), ("HWC16", 16, True, (1, 20, 3, 3)), ("DHWC8", 8, True, (1, 3, 2, 2, 2)),
    ("HWC", 1, True, (2, 3, 4, 5)),
])
def test_every_layout_round_trips(fmt: str, k: int, last: bool, shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float16)
    layout = Layout(fmt, axis=1, components=k, channels_last=last)
    packed = layout.pack(x)
    channels = -(-shape[1] // k) * k
    assert packed.size == x.size // shape[1] * channels, "channels padded to whole vectors"
    np.testing.assert_array_equal(layout.unpack(packed.reshape(-1), shape), x)


# ---- what the runner reads from an engine (stand-in engines without device memory) -------------------------


def _engine(spec: object) -> object:
    return make_engine(spec, None)


def test_describe_reads_location_shape_inference_and_formats() -> None:
    trt11 = flavour()
    engine = _engine(reshape_spec())
    data, shape, y = (describe(engine, trt11, n) for n in ("data", "shape", "y"))
    assert (data.host, data.shape_tensor, data.shape) == (False, False, (-1,))
    assert (shape.host, shape.shape_tensor, shape.dtype) == (True, True, np.dtype(np.int64))
    assert y.shape == (-1, -1) and not y.is_input
    assert profile_values(engine, "shape", 0) == ((1, 1), (3, 4), (8, 8))
    assert describe(_engine(nonzero_spec()), trt11, "idx").shape == (1, -1)
    engine = _engine(vectorized_spec())
    a, b = describe(engine, trt11, "a"), describe(engine, trt11, "b")
    assert a.layout == Layout("CHW4", 1, 4, False) and a.nbytes((1, 3, 2, 2)) == 32
    assert b.layout == Layout("HWC8", 1, 8, True) and b.nbytes((1, 5, 2, 3)) == 192


def test_every_io_dtype_has_a_numpy_type() -> None:
    import ml_dtypes

    engine, trt11 = _engine(dtypes_spec()), flavour()
    dtypes = {describe(engine, trt11, f"in_{d}").dtype for d in ("bf16", "fp8", "bool", "uint8", "int64")}
    assert dtypes == {np.dtype(ml_dtypes.bfloat16), np.dtype(ml_dtypes.float8_e4m3fn), np.dtype(bool),
                      np.dtype(np.uint8), np.dtype(np.int64)}


def test_the_standin_reads_shape_tensor_values_from_host_memory() -> None:
    """The stand-in's reshape context, as TensorRT: the output shape comes from the values at the bound host
    address when asked, and values outside the profile are refused with TensorRT's error."""
    engine = _engine(reshape_spec())
    context = engine.create_execution_context()
    assert context.set_input_shape("data", (12,))
    values = np.array([3, 4], np.int64)
    assert context.set_tensor_address("shape", values.ctypes.data)
    assert tuple(context.get_tensor_shape("y")) == (3, 4)
    values[:] = [2, 6]  # written in place: read again
    assert tuple(context.get_tensor_shape("y")) == (2, 6)
    values[:] = [12, 1]
    assert tuple(context.get_tensor_shape("y")) == (-1, -1)
    assert "shape tensor values (12, 1) out of range of profile 0" in impl_of(engine).errors[-1]
    assert not context.set_input_shape("data", (100,)), "outside the data profile"


def test_the_output_allocator_subclass_forwards_tensorrts_calls() -> None:
    """trtkit's IOutputAllocator (the flavour's factory) as the stand-in module's subclass: the calls TensorRT
    makes reach the handler (the real class's virtuals are checked by pytest -m conformance)."""
    calls: list[tuple] = []

    class Handler:
        def reallocate(self, name: str, memory: int, size: int, alignment: int, stream: int | None) -> int:
            calls.append(("reallocate", name, memory, size, alignment, stream))
            return 4096

        def notify_shape(self, name: str, shape: tuple[int, ...]) -> None:
            calls.append(("notify_shape", name, shape))

    trt11 = flavour()
    allocator = trt11.make_output_allocator(Handler())
    assert isinstance(allocator, trt11.module.IOutputAllocator)
    assert allocator.reallocate_output_async("idx", 0, 40, 256, 7) == 4096
    assert allocator.reallocate_output("idx", 4096, 8, 256) == 4096
    allocator.notify_shape("idx", trt11.module.Dims((1, 5)))
    assert calls == [("reallocate", "idx", 0, 40, 256, 7), ("reallocate", "idx", 4096, 8, 256, None),
                     ("notify_shape", "idx", (1, 5))]


def _backend_ranges(ranges: list[dict], value_ranges: list[dict], profile: int | None = None) -> TensorRTBackend:
    """The profile choice of a runner, without opening a GPU (its ranges as _open reads them)."""
    backend = TensorRTBackend.__new__(TensorRTBackend)
    backend.ranges, backend.value_ranges, backend.profile = ranges, value_ranges, profile
    return backend


def test_profiles_are_chosen_by_shapes_and_shape_tensor_values() -> None:
    backend = _backend_ranges([{"data": ((1,), (64,))}, {"data": ((1,), (64,))}],
                              [{"shape": ((1, 1), (8, 8))}, {"shape": ((1, 1), (16, 16))}])
    assert backend.choose_profile({"data": (12,)}, {"shape": (3, 4)}, frozenset(), None) == 0
    assert backend.choose_profile({"data": (12,)}, {"shape": (12, 1)}, frozenset(), None) == 1
    assert backend.choose_profile({"data": (12,)}, {"shape": (3, 4)}, frozenset({0}), None) == 1
    with pytest.raises(TrtkitError) as raised:
        backend.choose_profile({"data": (12,)}, {"shape": (20, 1)}, frozenset(), None)
    assert str(raised.value) == (
        "inputs data 12, shape values [20, 1] are outside every optimization profile of the engine (profile 0: "
        "data 1..64, shape values [1, 1]..[8, 8]; profile 1: data 1..64, shape values [1, 1]..[16, 16]); give "
        "shape-tensor values inside one (--loadInputs) or rebuild with --minShapes/--maxShapes that cover them")


# ---- generated feeds -----------------------------------------------------------------------------------------


def test_generated_data_takes_the_opt_shape_and_shape_tensors_their_opt_values() -> None:
    inputs = [TensorInfo("data", (-1,), np.dtype(np.float32), opt_shape=(12,)),
              TensorInfo("shape", (2,), np.dtype(np.int64), opt_values=(3, 4))]
    (run,) = make_runs(inputs, InputOptions(), random=True).runs
    assert run.feeds["data"].shape == (12,) and run.feeds["shape"].tolist() == [3, 4]
    (run,) = make_runs(inputs, InputOptions(shapes={"data": (16,), "shape": (4, 4)}), random=True).runs
    assert run.feeds["data"].shape == (16,) and run.feeds["shape"].tolist() == [4, 4], "--shapes: trtexec's values"
    with pytest.raises(UsageError, match="shape tensor 'shape' \\(2\\) takes 2 values"):
        make_runs(inputs, InputOptions(shapes={"shape": (4, 4, 1)}), random=True)
    (run,) = make_runs([TensorInfo("x", (-1, 3), np.dtype(np.float32))], InputOptions(), random=True).runs
    assert run.feeds["x"].shape == (1, 3), "no opt shape known (ONNX Runtime): 1, as before"


def test_a_raw_file_fills_a_dynamic_input_at_its_opt_shape(tmp_path: Path) -> None:
    raw = tmp_path / "data.bin"
    raw.write_bytes(np.arange(12, dtype=np.float32).tobytes())
    inputs = [TensorInfo("data", (-1,), np.dtype(np.float32), opt_shape=(12,))]
    (run,) = make_runs(inputs, InputOptions(load_inputs={"data": raw})).runs
    np.testing.assert_array_equal(run.feeds["data"], np.arange(12, dtype=np.float32))


# ---- plan loading ----------------------------------------------------------------------------------------------


def test_plan_loading_flags_apply_to_plans_only(zoo_mnist8: Path) -> None:
    assert PlanLoading().kwargs() == {}
    assert PlanLoading(True, Path("lean.so")).kwargs() == {"version_compatible": True, "lean_dll_path": Path("lean.so")}
    with pytest.raises(UsageError, match="--versionCompatible applies to TensorRT plans"):
        open_backend(zoo_mnist8, "auto", version_compatible=True)


def test_a_refused_lean_runtime_says_why_and_what_to_add() -> None:
    from trtkit.backends.plans import plan_error

    said = ("IRuntime::deserializeCudaEngine: Cannot deserialize engine with lean runtime since "
            "IRuntime::getEngineHostCodeAllowed() is false.")  # TensorRT-RTX's own words (its library's strings)
    message = str(plan_error(Path("model.plan"), flavour(), [said]))
    assert message.startswith("model.plan: this plan embeds a lean TensorRT runtime (a --versionCompatible build)")
    assert "if you trust the file, load it with --versionCompatible" in message and "\n" not in message


def test_host_code_is_allowed_only_when_asked(tmp_path: Path) -> None:
    trt = pytest.importorskip("tensorrt_rtx", reason="tensorrt-rtx is not installed")
    from trtkit.backends.plans import make_runtime
    from trtkit.platform.trt import load

    rtx = load("rtx")
    errors: list[str] = []
    logger = rtx.make_logger(-2, errors)
    runtime, parent = make_runtime(rtx, logger, errors)
    assert runtime.engine_host_code_allowed is False and parent is None
    runtime, _ = make_runtime(rtx, logger, errors, version_compatible=True)
    assert runtime.engine_host_code_allowed is True
    with pytest.raises(TrtkitError, match=r"--leanDLLPath=.*missing.so: no such file"):
        make_runtime(rtx, logger, errors, lean_dll_path=tmp_path / "missing.so")
    assert isinstance(runtime, trt.Runtime)
