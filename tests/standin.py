"""Stand-ins for TensorRT runtime objects whose methods are the real bindings' methods.

GPU tests of the runner and bench run trtkit's real code against a fake engine/context that launches a real
CUDA kernel. Hand-written fakes drift: a fake ``execute_async_v3(stream)`` accepts a call the real
``execute_async_v3(stream_handle)`` rejects by keyword. Here the class is derived from the real 11.x
signatures (tests/data/tensorrt11_runtime_api.json, checked against the live bindings by the
conformance tests), so a stand-in has exactly the real class's public methods and properties:

- a member the real class lacks raises AttributeError (reading and assigning alike, as pybind11 does);
- a call no real overload accepts (argument count, keyword names) raises TypeError, as pybind11 does;
- a call that binds reaches the implementer's method of the same name, with keyword arguments turned into
  positional ones where the real parameter takes both (so the implementer's parameter names are free);
- a real member the implementation leaves out raises NotImplementedError naming it.

    class _Context:
        def execute_async_v3(self, stream: int) -> bool:
            launch_kernel(stream)
            return True

    FakeContext = make_standin("IExecutionContext", _Context)
    FakeContext().execute_async_v3(stream_handle=0)   # reaches _Context.execute_async_v3(0)
"""

from __future__ import annotations

import enum
import inspect
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
_KINDS = {
    "positional_only": inspect.Parameter.POSITIONAL_ONLY,
    "positional_or_keyword": inspect.Parameter.POSITIONAL_OR_KEYWORD,
    "var_positional": inspect.Parameter.VAR_POSITIONAL,
    "keyword_only": inspect.Parameter.KEYWORD_ONLY,
    "var_keyword": inspect.Parameter.VAR_KEYWORD,
}
# Protocol methods a stand-in always carries where the real class has them (so ``engine[0]`` without an
# implementation says NotImplementedError); other dunders (__eq__, __hash__, ...) only where implemented.
_PROTOCOL = {"__getitem__", "__setitem__", "__len__", "__iter__", "__contains__", "__enter__", "__exit__"}


@cache
def load_api(flavour: str = "tensorrt11") -> dict[str, Any]:
    """The committed runtime API of ``flavour`` ("tensorrt11" or "tensorrt10")."""
    return json.loads((DATA / f"{flavour}_runtime_api.json").read_text())


def _signature(params: list[dict[str, Any]]) -> inspect.Signature:
    """The real overload as a Python signature; defaults are only marked present (their values are C++'s)."""
    return inspect.Signature(
        [
            inspect.Parameter(
                p["name"],
                _KINDS[p["kind"]],
                default=object() if "default" in p else inspect.Parameter.empty,
            )
            for p in params
        ]
    )


def _bind(where: str, overloads: list[dict[str, Any]], args: tuple, kwargs: dict) -> inspect.BoundArguments:
    """Bind like pybind11: the first overload that accepts the call, else TypeError listing them all."""
    for overload in overloads:
        try:
            return _signature(overload["params"]).bind(*args, **kwargs)
        except TypeError:
            continue
    supported = "\n".join(f"    {i}. {o['signature']}" for i, o in enumerate(overloads, 1))
    invoked = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
    raise TypeError(
        f"{where}(): incompatible function arguments. The following argument types are supported:\n"
        f"{supported}\n\nInvoked with: {invoked}"
    )


def _method(cls: str, name: str, member: dict[str, Any]) -> Callable[..., Any]:
    overloads = member["overloads"]

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = _bind(name, overloads, args, kwargs)
        implementation = getattr(self._impl, name, None)
        if implementation is None:
            raise NotImplementedError(f"{cls}.{name} is not implemented by this stand-in")
        return implementation(*bound.args, **bound.kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = "\n".join(o["signature"] for o in overloads)
    return call


def _property(cls: str, name: str, member: dict[str, Any]) -> property:
    def get(self: Any) -> Any:
        try:
            inspect.getattr_static(self._impl, name)  # so that an AttributeError inside the impl stays one
        except AttributeError:
            raise NotImplementedError(f"{cls}.{name} is not implemented by this stand-in") from None
        return getattr(self._impl, name)

    def put(self: Any, value: Any) -> None:
        setattr(self._impl, name, value)

    return property(get, put if member["writable"] else None, doc=f"{name}: {member['type']}")


def _check_implementation(cls: str, real: dict[str, Any], impl: type, label: str) -> None:
    """Every public name (and dunder) the implementation defines must be a real member, of the same kind,
    and an implemented method must accept the parameters of one real overload."""
    for klass in impl.__mro__[:-1]:
        for name, value in vars(klass).items():
            if name == "__init__" or (name.startswith("_") and name not in real):
                continue  # the implementation's own helpers and Python's class machinery
            member = real.get(name)
            if member is None:
                raise TypeError(f"{impl.__name__}.{name}: trt.{cls} has no member {name} in {label}")
            is_function = inspect.isfunction(value)
            if is_function != (member["kind"] in ("method", "staticmethod")):
                raise TypeError(f"{impl.__name__}.{name}: trt.{cls}.{name} is a {member['kind']} in {label}")
            if is_function:
                own = inspect.signature(value)
                own = own.replace(parameters=list(own.parameters.values())[1:])  # less self
                if not any(_accepts(own, o["params"]) for o in member["overloads"]):
                    raise TypeError(
                        f"{impl.__name__}.{name}{own} cannot take the arguments of "
                        + " or ".join(o["signature"] for o in member["overloads"])
                    )


def _accepts(own: inspect.Signature, params: list[dict[str, Any]]) -> bool:
    """Whether an implementation with signature ``own`` takes every parameter of a real overload."""
    args = [None for p in params if p["kind"] in ("positional_only", "positional_or_keyword")]
    kwargs = {p["name"]: None for p in params if p["kind"] == "keyword_only"}
    try:
        own.bind(*args, **kwargs)
    except TypeError:
        return False
    return True


def make_standin(class_name: str, impl: type, flavour: str = "tensorrt11") -> type:
    """A class with exactly the real ``trt.<class_name>``'s methods and properties, run by ``impl``.

    ``impl`` is a plain class; an instance of it is made with the stand-in's constructor arguments (checked
    against the real constructor where the real class has one, e.g. ``Runtime(logger)``; classes TensorRT
    never lets Python construct, like ICudaEngine, take whatever ``impl`` takes).
    """
    api = load_api(flavour)
    label = f"tensorrt {api['version']}"
    real: dict[str, Any] = api["classes"][class_name]["members"]
    _check_implementation(class_name, real, impl, label)
    namespace: dict[str, Any] = {"__slots__": ("_impl",), "__doc__": f"Stand-in for trt.{class_name} ({label})."}
    implemented = {name for klass in impl.__mro__[:-1] for name in vars(klass)}
    for name, member in real.items():
        routed = not name.startswith("_") or name in _PROTOCOL or name in implemented
        if member["kind"] in ("method", "staticmethod") and routed and name != "__init__":
            namespace[name] = _method(class_name, name, member)
        elif member["kind"] == "property":
            namespace[name] = _property(class_name, name, member)
    constructor = real.get("__init__")

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if constructor is not None:
            _bind(f"{class_name}.__init__", constructor["overloads"], args, kwargs)
        object.__setattr__(self, "_impl", impl(*args, **kwargs))

    namespace["__init__"] = __init__
    return type(class_name, (), namespace)


def make_enum(class_name: str, flavour: str = "tensorrt11") -> type[enum.Enum]:
    """The real enum's members and values (``int(member)`` works, as on pybind11 enums)."""
    api = load_api(flavour)
    members = api["classes"][class_name]["enum_members"]

    class _IntConvertible(enum.Enum):
        def __int__(self) -> int:
            return self.value

        __index__ = __int__

    return _IntConvertible(class_name, sorted(members.items(), key=lambda kv: kv[1]))  # type: ignore[return-value]
