"""The GPU stand-in rejects what the real TensorRT 11.x bindings reject and routes what they accept."""

from __future__ import annotations

import pytest
from standin import load_api, make_enum, make_standin


class _Context:
    """Implements two real IExecutionContext members; parameter names need not match the real ones."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.debug_sync = False

    def execute_async_v3(self, stream: int) -> bool:
        self.calls.append(("execute_async_v3", stream))
        return True

    def set_tensor_address(self, name: str, memory: int) -> bool:
        self.calls.append(("set_tensor_address", name, memory))
        return True


Context = make_standin("IExecutionContext", _Context)


def test_correct_calls_reach_the_implementation() -> None:
    context = Context()
    assert context.execute_async_v3(7) is True
    assert context.execute_async_v3(stream_handle=8) is True  # the real keyword, turned positional
    assert context.set_tensor_address("x", memory=64) is True
    assert context._impl.calls == [
        ("execute_async_v3", 7),
        ("execute_async_v3", 8),
        ("set_tensor_address", "x", 64),
    ]


def test_a_method_the_real_class_lacks_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        Context().execute_async_v4(0)
    with pytest.raises(AttributeError):
        Context().enqueue_v3(0)


def test_wrong_arity_or_keyword_is_a_type_error() -> None:
    context = Context()
    with pytest.raises(TypeError, match="incompatible function arguments"):
        context.execute_async_v3()
    with pytest.raises(TypeError, match=r"execute_async_v3\(self: trt.IExecutionContext, stream_handle"):
        context.execute_async_v3(0, 1)
    with pytest.raises(TypeError, match="Invoked with: stream=0"):
        context.execute_async_v3(stream=0)
    assert context._impl.calls == []


def test_unimplemented_members_name_themselves() -> None:
    context = Context()
    with pytest.raises(NotImplementedError, match=r"IExecutionContext\.set_input_shape"):
        context.set_input_shape("x", (1, 2))
    with pytest.raises(NotImplementedError, match=r"IExecutionContext\.engine"):
        _ = context.engine
    with pytest.raises(TypeError):  # arguments are checked before the missing implementation is
        context.set_input_shape("x")


def test_properties_follow_the_real_ones() -> None:
    context = Context()
    context.debug_sync = True  # writable in the bindings
    assert context.debug_sync is True and context._impl.debug_sync is True
    with pytest.raises(AttributeError):
        context.engine = None  # read-only in the bindings
    with pytest.raises(AttributeError):
        context.not_a_member = 1


def test_implementation_must_only_implement_real_members() -> None:
    class Typo:
        def execute_async_v4(self, stream: int) -> bool:
            return True

    with pytest.raises(TypeError, match=r"has no member execute_async_v4 in tensorrt 11\.4\.0\.106"):
        make_standin("IExecutionContext", Typo)

    class TooFewParameters:
        def set_tensor_address(self, name: str) -> bool:
            return True

    with pytest.raises(TypeError, match="cannot take the arguments of set_tensor_address"):
        make_standin("IExecutionContext", TooFewParameters)

    class PropertyAsMethod:
        def num_io_tensors(self) -> int:
            return 2

    with pytest.raises(TypeError, match="is a property"):
        make_standin("ICudaEngine", PropertyAsMethod)


def test_constructor_and_protocols() -> None:
    class _Runtime:
        def __init__(self, logger: object) -> None:
            self.logger = logger

    Runtime = make_standin("Runtime", _Runtime)
    assert Runtime("logger")._impl.logger == "logger"
    with pytest.raises(TypeError, match=r"Runtime.__init__\(\): incompatible"):
        Runtime()

    class _Engine:
        num_io_tensors = 2

        def __getitem__(self, index: int) -> str:
            return ["x", "y"][index]

    Engine = make_standin("ICudaEngine", _Engine)
    engine = Engine()  # no constructor in the bindings: the test builds it however it likes
    assert engine.num_io_tensors == 2 and engine[1] == "y"
    with pytest.raises(NotImplementedError, match=r"ICudaEngine\.__getitem__"):
        make_standin("ICudaEngine", object)()[0]


def test_enums_carry_the_real_values() -> None:
    modes = make_enum("TensorIOMode")
    assert [m.name for m in modes] == ["NONE", "INPUT", "OUTPUT"]
    assert int(modes.OUTPUT) == load_api()["classes"]["TensorIOMode"]["enum_members"]["OUTPUT"]
    assert int(make_enum("DataType").HALF) == 1


def test_tensorrt10_api_is_available_too() -> None:
    context10 = make_standin("IExecutionContext", _Context, flavour="tensorrt10")
    assert context10().execute_async_v3(0) is True
    assert load_api("tensorrt10")["version"].startswith("10.")
