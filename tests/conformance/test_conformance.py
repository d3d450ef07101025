"""trtkit's TensorRT calls against the real bindings of every supported version, and proof that the
harness fails where it should (synthetic snippets checked against the same real surfaces)."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from conformance import bindings
from conformance.bindings import TARGETS, Target, Unavailable
from conformance.check import report
from conformance.collect import collect, collect_sources
from conformance.runtime_api import RUNTIME_API_FILES, runtime_api
from conformance.surface import Surface

REPO = Path(__file__).resolve().parents[2]
TRTKIT = REPO / "trtkit"
REQUIRED_ENV = "TRTKIT_CONFORMANCE_REQUIRED"

pytestmark = pytest.mark.conformance


def surface_of(target: Target) -> Surface:
    """The target's surface; a skip where this machine cannot make it, a failure where CI says it must."""
    try:
        data = bindings.surface_json(target)
    except Unavailable as e:
        if os.environ.get(REQUIRED_ENV):
            pytest.fail(f"{target.label}: {e} (and ${REQUIRED_ENV} is set)")
        pytest.skip(f"{target.label}: {e}")
    return Surface(data, target.flavour, target.label)


def by_version(version: str) -> Target:
    return next(t for t in TARGETS if t.version == version)


@pytest.fixture(params=TARGETS, ids=lambda t: t.id)
def surface(request: pytest.FixtureRequest) -> Surface:
    return surface_of(request.param)


@pytest.fixture
def trt10() -> Surface:
    return surface_of(by_version("10.13.3.9"))


@pytest.fixture
def trt11() -> Surface:
    return surface_of(by_version("11.4.0.106"))


def problems(snippet: str, surface: Surface) -> list[str]:
    source = "from __future__ import annotations\n" + textwrap.dedent(snippet)
    return report(collect_sources([("snippet.py", source)], surface), surface)


# ---------------------------------------------------------------- trtkit itself


def test_trtkit_conforms(surface: Surface) -> None:
    """Every TensorRT attribute, call and override in trtkit/ exists and binds in this version."""
    usages = collect(TRTKIT, surface)
    found = report(usages, surface)
    assert not found, f"{len(found)} of {len(usages)} TensorRT usages do not conform:\n" + "\n".join(found)


def test_collector_finds_trtkit_usage(trt11: Surface) -> None:
    if "trt." not in "".join(p.read_text() for p in TRTKIT.rglob("*.py")):
        pytest.skip("trtkit/ holds no TensorRT usage yet")
    usages = collect(TRTKIT, trt11)
    kinds = {u.kind for u in usages}
    assert len(usages) >= 50, [u.text for u in usages]
    assert {"get", "call", "construct"} <= kinds


# ---------------------------------------------------------------- the harness can fail


def test_wrong_method_name(trt11: Surface) -> None:
    found = problems(
        """
        def f(config: trt.IBuilderConfig) -> None:
            config.set_flagz(trt.BuilderFlag.DEBUG)
        """,
        trt11,
    )
    assert found == [
        "snippet.py:4 trt.IBuilderConfig.set_flagz(trt.BuilderFlag.DEBUG): no such method in tensorrt 11.4.0.106"
    ]


def test_wrong_arity_and_missing_argument(trt11: Surface) -> None:
    found = problems(
        """
        def f(config: trt.IBuilderConfig) -> None:
            config.set_flag(trt.BuilderFlag.DEBUG, True)
            config.set_flag()
        """,
        trt11,
    )
    assert len(found) == 2
    assert "takes 1 positional argument(s), 2 given" in found[0]
    assert "missing argument(s) flag" in found[1]


def test_wrong_keyword(trt11: Surface) -> None:
    found = problems(
        """
        def f(config: trt.IBuilderConfig) -> None:
            config.set_memory_pool_limit(pool=trt.MemoryPoolType.WORKSPACE, size=1 << 30)
            config.set_memory_pool_limit(pool=trt.MemoryPoolType.WORKSPACE, pool_size=1 << 30)
        """,
        trt11,
    )
    assert len(found) == 1 and "no keyword argument 'size'" in found[0], found


def test_int_or_wrong_enum_instead_of_enum(trt11: Surface) -> None:
    found = problems(
        """
        def f(config: trt.IBuilderConfig) -> None:
            config.set_flag(3)
            config.set_flag(trt.MemoryPoolType.WORKSPACE)
            config.profiling_verbosity = 2
            flags = {"debug": trt.BuilderFlag.DEBUG}
            config.set_flag(flags["debug"])
        """,
        trt11,
    )
    assert [f.split(": ", 1)[1] for f in found] == [
        "argument 'flag' takes trt.BuilderFlag, not the int 3 [set_flag(self: trt.IBuilderConfig, flag: "
        "trt.BuilderFlag) -> None] in tensorrt 11.4.0.106",
        "argument 'flag' takes trt.BuilderFlag, not trt.MemoryPoolType [set_flag(self: trt.IBuilderConfig, "
        "flag: trt.BuilderFlag) -> None] in tensorrt 11.4.0.106",
        "takes trt.ProfilingVerbosity, not the int 2 in tensorrt 11.4.0.106",
    ]


def test_shifted_flags_to_int_parameter_pass(trt11: Surface) -> None:
    assert not problems(
        """
        def f(builder: trt.Builder) -> int:
            network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
            return network.num_layers
        """,
        trt11,
    )


def test_properties(trt11: Surface) -> None:
    found = problems(
        """
        def f(engine: trt.ICudaEngine, config: trt.IBuilderConfig) -> None:
            engine.num_io_tensors = 3
            config.builder_optimization_level = 3
            config.builder_optimisation_level = 3
            engine.num_io_tensors()
            engine.get_tensor_name = None
        """,
        trt11,
    )
    assert [f.split(": ", 1)[1].removesuffix(" in tensorrt 11.4.0.106") for f in found] == [
        "is a read-only property",
        "no such property",
        "is a property, not a method",
        "is a method, not a property",
    ]


def test_return_types_are_followed(trt11: Surface) -> None:
    found = problems(
        """
        def f(logger: trt.ILogger) -> None:
            builder = trt.Builder(logger)
            network = builder.create_network(0)
            print(network.num_layerz)
            for tensor in [network.get_input(i) for i in range(network.num_inputs)]:
                print(tensor.shapez)
            with trt.Runtime(logger) as runtime:
                engine = runtime.deserialize_cuda_engine(b"")
                engine.get_tensor_shape("x").nbDimz
        """,
        trt11,
    )
    assert [f.split(": ")[0] for f in found] == [
        "snippet.py:6 trt.INetworkDefinition.num_layerz",
        "snippet.py:8 trt.ITensor.shapez",
        "snippet.py:11 trt.Dims.nbDimz",
    ]


def test_unannotated_tensorrt_value_is_reported(trt11: Surface) -> None:
    found = problems(
        """
        def f(registry: trt.IPluginRegistry) -> None:
            creator = registry.get_creator("Foo", "1")
            print(creator.field_names)
            typed: trt.IPluginCreator = registry.get_creator("Foo", "1")
            print(typed.field_names)
        """,
        trt11,
    )
    assert len(found) == 1, found
    assert found[0].startswith("snippet.py:5 .field_names: used on a value whose type cannot be known")
    assert "trt.IPluginRegistry.get_creator() returns object" in found[0]


def test_values_followed_through_iteration(trt11: Surface) -> None:
    found = problems(
        """
        def f(network: trt.INetworkDefinition, engines: dict[str, trt.ICudaEngine]) -> None:
            inputs = [network.get_input(i) for i in range(network.num_inputs)]
            for i, tensor in enumerate(inputs):
                tensor.shap
            for a, b in zip(inputs, reversed(inputs)):
                b.nam
            by_name = {t.name: t for t in inputs}
            for name, tensor in sorted(by_name.items()):
                tensor.dtyp
            [layer.nam for layer in map(network.get_layer, range(3))]
        """,
        trt11,
    )
    assert [f.split(": ")[0] for f in found] == [
        "snippet.py:6 trt.ITensor.shap",
        "snippet.py:8 trt.ITensor.nam",
        "snippet.py:11 trt.ITensor.dtyp",
    ]


def test_annotations_and_self_attributes(trt11: Surface) -> None:
    found = problems(
        """
        from typing import Optional

        class Runner:
            _profile: trt.IOptimizationProfile

            def __init__(self, engine: trt.ICudaEngine) -> None:
                self._engine: trt.ICudaEngine | None = engine
                self._context = engine.create_execution_context()

            def run(self, stream: int, other: Optional[trt.ICudaEngine]) -> None:
                self._engine.num_io_tensorz
                self._context.execute_async_v4(stream)
                self._profile.get_shapez("x")
                other.serialise()
        """,
        trt11,
    )
    assert [f.split(": ")[0] for f in found] == [
        "snippet.py:13 trt.ICudaEngine.num_io_tensorz",
        "snippet.py:14 trt.IExecutionContext.execute_async_v4(stream)",
        "snippet.py:15 trt.IOptimizationProfile.get_shapez('x')",
        "snippet.py:16 trt.ICudaEngine.serialise()",
    ]


def test_partial_binds_what_it_is_given(trt11: Surface) -> None:
    found = problems(
        """
        from functools import partial

        def f(context: trt.IExecutionContext, stream: int) -> None:
            partial(context.execute_async_v3, stream)
            partial(context.execute_async_v3, stream, 0)
            partial(context.set_tensor_address, tensor_name="x")
        """,
        trt11,
    )
    assert len(found) == 2, found
    assert "takes 1 positional argument(s), 2 given" in found[0] and "no keyword argument 'tensor_name'" in found[1]


def test_getattr_with_names_from_tables(trt11: Surface) -> None:
    """``getattr(trt.Enum, TABLE[key])`` checks every name the table holds; a dynamic name still types."""
    found = problems(
        """
        POOLS = {"workspace": "WORKSPACE", "dla": "DLA_MANAGED_SRAM", "typo": "WORKSPAC"}
        LEVELS = {"none": "NONE", "ampere+": "AMPERE_PLUSS"}

        def f(config: trt.IBuilderConfig, key: str, level: str, dynamic: str) -> None:
            config.set_memory_pool_limit(getattr(trt.MemoryPoolType, POOLS[key]), 1)
            chosen = LEVELS[level]
            config.hardware_compatibility_level = getattr(trt.HardwareCompatibilityLevel, chosen)
            config.set_flag(getattr(trt.MemoryPoolType, dynamic))
        """,
        trt11,
    )
    assert [f.split(" in tensorrt")[0] for f in found] == [
        "snippet.py:7 trt.MemoryPoolType.WORKSPAC: no such attribute",
        "snippet.py:9 trt.HardwareCompatibilityLevel.AMPERE_PLUSS: no such attribute",
        "snippet.py:10 trt.IBuilderConfig.set_flag(getattr(trt.MemoryPoolType, dynamic)): argument 'flag' takes "
        "trt.BuilderFlag, not trt.MemoryPoolType [set_flag(self: trt.IBuilderConfig, flag: trt.BuilderFlag) -> None]",
    ]


def test_trtkit_classes_and_functions_across_modules(trt11: Surface) -> None:
    """Same-named classes in two modules are told apart; trtkit's own return annotations are followed."""
    runner = """
    from __future__ import annotations

    class Runner:
        def __init__(self, engine: trt.ICudaEngine) -> None:
            self.{attr}: trt.ICudaEngine = engine

        def io(self) -> int:
            return self.{attr}.num_io_tensorz
    """
    helpers = """
    from __future__ import annotations

    def load(runtime: trt.Runtime, plan: bytes) -> trt.ICudaEngine:
        return runtime.deserialize_cuda_engine(plan)

    def names(runtime: trt.Runtime, plan: bytes) -> list[str]:
        engine = load(runtime, plan)
        return [engine.get_tensor_nam(i) for i in range(engine.num_io_tensors)]
    """
    sources = [
        ("a.py", textwrap.dedent(runner.format(attr="engine"))),
        ("b.py", textwrap.dedent(runner.format(attr="_engine"))),
        ("c.py", textwrap.dedent(helpers)),
    ]
    found = report(collect_sources(sources, trt11), trt11)
    assert [f.split(": ")[0] for f in found] == [
        "a.py:9 trt.ICudaEngine.num_io_tensorz",
        "b.py:9 trt.ICudaEngine.num_io_tensorz",
        "c.py:9 trt.ICudaEngine.get_tensor_nam(i)",
    ]


def test_constructors(trt11: Surface) -> None:
    found = problems(
        """
        def f() -> None:
            trt.ICudaEngine()
            trt.Builder()
            trt.Logger(trt.Logger.WARNING)
            trt.Logger(min_severity=trt.ILogger.Severity.ERROR)
            trt.Logger(trt.DataType.FLOAT)
        """,
        trt11,
    )
    assert [f.split(": ", 1)[1][:40] for f in found] == [
        "has no constructor (instances come from ",
        "missing argument(s) logger [__init__(sel",
        "argument 'min_severity' takes trt.ILogge",
    ]


def test_overrides_of_tensorrt_classes(trt11: Surface) -> None:
    found = problems(
        """
        class Logger(trt.ILogger):
            def __init__(self) -> None:
                trt.ILogger.__init__(self)

            def log(self, msg: str) -> None:
                print(msg)

            def flush(self) -> None:
                pass

            def _helper(self) -> None:
                pass
        """,
        trt11,
    )
    assert [f.split(" in tensorrt")[0] for f in found] == [
        "snippet.py:7 Logger.log: takes 1 argument(s) but TensorRT passes 2 "
        "[log(self: trt.ILogger, severity: trt.ILogger.Severity, msg: str) -> None]",
        "snippet.py:10 Logger.flush: overrides nothing in trt.ILogger",
    ]


def test_overrides_of_virtuals_only_the_docstring_names(trt11: Surface) -> None:
    """IOutputAllocator exposes none of its virtuals to Python; its docstring's example subclass names them."""
    found = problems(
        """
        class Allocator(trt.IOutputAllocator):
            def reallocate_output(self, tensor_name: str, memory: int, size: int, alignment: int) -> int:
                return 0

            def notify_shape(self, tensor_name: str) -> None:
                pass

            def notify_shapes(self, tensor_name: str, shape: trt.Dims) -> None:
                pass
        """,
        trt11,
    )
    assert [f.split(" in tensorrt")[0].split(" [")[0] for f in found] == [
        "snippet.py:7 Allocator.notify_shape: takes 1 argument(s) but TensorRT passes 2",
        "snippet.py:10 Allocator.notify_shapes: overrides nothing in trt.IOutputAllocator",
    ]


FLAVOURED = """
class Flavour:
    def common(self, config: trt.IBuilderConfig) -> None:
        config.set_flag(trt.BuilderFlag.FP16)

class TensorRT10(Flavour):
    key = "tensorrt10"

    def precision(self, config: trt.IBuilderConfig) -> None:
        config.set_flag(trt.BuilderFlag.FP16)
        config.int8_calibrator = None

class TensorRT11(Flavour):
    key = "tensorrt11"

    def precision(self, config: trt.IBuilderConfig) -> None:
        config.set_flag(trt.BuilderFlag.FP16)
        config.int8_calibrator = None
"""


def test_flavour_module_is_followed_under_any_name(trt11: Surface) -> None:
    source = (
        FLAVOURED
        + """
def build(flavour: Flavour, logger: trt.ILogger) -> None:
    flavour.module.Builder(logger).create_networkz(0)
    tensorrt = flavour.module
    tensorrt.Runtime(logger).deserialise(b"")
"""
    )
    found = problems(source, trt11)
    assert [f.split(": ")[0] for f in found[-2:]] == [
        "snippet.py:22 trt.Builder.create_networkz(0)",
        "snippet.py:24 trt.Runtime.deserialise(b'')",
    ]


def test_flavour_scopes(trt10: Surface, trt11: Surface) -> None:
    """TRT-10-only API is fine in TensorRT10, an error in TensorRT11 and in the shared base class."""
    assert [f.split(" in tensorrt")[0] for f in problems(FLAVOURED, trt11)] == [
        "snippet.py:5 trt.BuilderFlag.FP16: no such attribute",
        "snippet.py:18 trt.BuilderFlag.FP16: no such attribute",
        "snippet.py:19 trt.IBuilderConfig.int8_calibrator: no such property",
    ]
    assert problems(FLAVOURED, trt10) == []
    usages = collect_sources([("snippet.py", FLAVOURED)], trt10)
    assert {u.scope for u in usages} == {("tensorrt10", "tensorrt11", "rtx1"), ("tensorrt10",)}


def test_module_scope_and_calibrator_overrides(trt10: Surface, trt11: Surface) -> None:
    calibrator = """
    TRT_FLAVOURS = ("tensorrt10",)

    class EntropyCalibrator(trt.IInt8EntropyCalibrator2):
        def get_batch_size(self) -> int:
            return 1

        def get_batch(self, names: list[str]) -> list[int] | None:
            return None

        def read_calibration_cachez(self) -> bytes | None:
            return None
    """
    assert problems(calibrator, trt11) == []
    assert [f.split(" in ")[0] for f in problems(calibrator, trt10)] == [
        "snippet.py:12 EntropyCalibrator.read_calibration_cachez: overrides nothing"
    ]
    bad_scope = problems('TRT_FLAVOURS = ("tensorrt9",)\n', trt10)
    assert len(bad_scope) == 1 and "TRT_FLAVOURS must be a literal tuple" in bad_scope[0]


def test_conforming_code_gives_no_report(surface: Surface) -> None:
    """A realistic build-and-run path that is right in every version reports nothing (no false alarm)."""
    assert not problems(
        """
        import numpy as np

        def build(logger: trt.ILogger, onnx: bytes, workspace: int) -> trt.IHostMemory | None:
            builder = trt.Builder(logger)
            network = builder.create_network(0)
            parser = trt.OnnxParser(network, logger)
            if not parser.parse(onnx):
                errors = [parser.get_error(i).desc() for i in range(parser.num_errors)]
                raise RuntimeError(errors)
            config = builder.create_builder_config()
            config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, workspace)
            config.builder_optimization_level = 3
            config.profiling_verbosity = trt.ProfilingVerbosity.DETAILED
            profile = builder.create_optimization_profile()
            for i in range(network.num_inputs):
                tensor = network.get_input(i)
                profile.set_shape(tensor.name, (1, 1), (4, 1), (8, 1))
            config.add_optimization_profile(profile)
            return builder.build_serialized_network(network, config)

        def run(logger: trt.ILogger, plan: bytes, stream: int) -> None:
            runtime = trt.Runtime(logger)
            engine = runtime.deserialize_cuda_engine(plan)
            context = engine.create_execution_context()
            for i in range(engine.num_io_tensors):
                name = engine.get_tensor_name(i)
                if engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT:
                    context.set_input_shape(name, engine.get_tensor_shape(name))
                dtype = np.dtype(trt.nptype(engine.get_tensor_dtype(name)))
                context.set_tensor_address(name, dtype.itemsize)
            context.execute_async_v3(stream)
            inspector = engine.create_engine_inspector()
            print(inspector.get_engine_information(trt.LayerInformationFormat.JSON))
        """,
        surface,
    )


# ---------------------------------------------------------------- the surfaces themselves


def test_elf_reader_agrees_with_binutils(trt11: Surface) -> None:
    """The ELF fallback (used where nm/readelf are missing) reads what nm -D and readelf -d read."""
    so = bindings.extension_of(by_version("11.4.0.106"))
    needed, undefined = bindings.elf_dynamic(so)
    assert needed == bindings.needed_libraries(so)
    assert undefined == bindings.undefined_symbols(so)
    assert "createInferBuilder_INTERNAL" in undefined and "libnvinfer.so.11" in needed


def test_surfaces_differ_where_tensorrt_did(trt10: Surface, trt11: Surface) -> None:
    """A sanity check that each version was introspected from its own wheel."""
    assert trt10.data["version"] == "10.13.3.9" and trt11.data["version"] == "11.4.0.106"
    assert "IInt8EntropyCalibrator2" in trt10.classes and "IInt8EntropyCalibrator2" not in trt11.classes
    assert "FP16" in trt10.classes["BuilderFlag"]["enum_members"]
    assert "FP16" not in trt11.classes["BuilderFlag"]["enum_members"]


@pytest.mark.parametrize("flavour", sorted(RUNTIME_API_FILES))
def test_committed_runtime_api_is_current(flavour: str) -> None:
    """tests/data/<flavour>_runtime_api.json (the GPU stand-in's source) is what the live bindings give."""
    target = next(t for t in reversed(TARGETS) if t.flavour == flavour)
    live = runtime_api(surface_of(target).data)
    committed = json.loads((REPO / RUNTIME_API_FILES[flavour]).read_text())
    assert committed == live, f"regenerate with: python scripts/dump_trt_api.py ({target.label} changed)"
