"""``trtkit inspect PLAN``: who wrote a plan, read from its header without a GPU (trtexec
--getPlanVersionOnly), and, where this machine's TensorRT can deserialize it, what the engine holds: I/O
tensors, optimization profiles (--dumpOptimizationProfile), layers (--dumpLayerInfo), device memory, aux
streams and hardware compatibility.

The header is what trtexec's ``printPlanVersion`` (sampleEngines.cpp) reads: a 4-byte tag, a uint32
serialization version that must be 0, and the writer's version as four bytes at offset 24 (major, minor,
patch, build). TensorRT writes the tag "ftrt"; TensorRT-RTX writes "vtrt" (read from a plan its builder
made, tests/test_inspect.py) and the total plan size as a uint64 at offset 16.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trtkit.backends.tensorrt import plan_error
from trtkit.platform.errors import TrtkitError
from trtkit.platform.files import read_bytes
from trtkit.platform.flavours import Flavour
from trtkit.platform.trt import load, plan_writer

if TYPE_CHECKING:
    import tensorrt as trt

HEADER_BYTES = 28  # trtexec kPLAN_SIZE
SIZE_OFFSET = 16  # TensorRT-RTX: uint64 total plan size
RTX_TAG = b"vtrt"


@dataclass(frozen=True)
class PlanHeader:
    """What a plan's first 28 bytes say."""

    tag: str
    version: str  # major.minor.patch.build of the TensorRT that wrote it
    flavour: str  # the writer's label (TensorRT / TensorRT-RTX)
    flavour_key: str  # trtkit.platform.trt key (tensorrt10, tensorrt11, rtx1)
    declared_size: int | None  # TensorRT-RTX's size field, None where the header has none known


def read_header(data: bytes, path: Path) -> PlanHeader:
    """Parse the header as trtexec's printPlanVersion does; one TrtkitError line when it is no plan of a
    flavour trtkit knows."""
    if not data:
        raise TrtkitError(f"{path}: the plan file is empty")
    if len(data) < HEADER_BYTES:
        raise TrtkitError(f"{path}: not a TensorRT plan ({len(data)} bytes; a plan header alone is {HEADER_BYTES})")
    tag = data[:4]
    (serialization,) = struct.unpack_from("<I", data, 4)
    major, minor, patch, build = data[24:28]
    flavour = plan_writer(tag, major)
    if flavour is None or serialization != 0:
        shown = tag.decode("latin-1") if tag.isascii() and tag.decode("latin-1").isprintable() else tag.hex()
        raise TrtkitError(f"{path}: not a plan of a TensorRT flavour trtkit knows (tag {shown!r}, serialization "
                          f"{serialization}, version bytes {major}.{minor}.{patch}.{build})")
    declared = struct.unpack_from("<Q", data, SIZE_OFFSET)[0] if tag == RTX_TAG else None
    return PlanHeader(tag.decode(), f"{major}.{minor}.{patch}.{build}", flavour.label, flavour.key, declared)


def inspect_plan(path: Path, flavor: str | None = None, verbosity: int = -2) -> dict[str, Any]:
    """The header, the file size and, where the installed TensorRT deserializes the plan, the engine's
    contents; otherwise ``engine`` is None and ``engine_skipped`` says why."""
    data = read_bytes(path, "TensorRT plan")
    header = read_header(data, path)
    report: dict[str, Any] = {
        "file": str(path),
        "kind": "plan",
        "size": len(data),
        "tag": header.tag,
        "flavour": header.flavour,
        "flavour_key": header.flavour_key,
        "version": header.version,
        "engine": None,
        "engine_skipped": None,
    }
    if header.declared_size is not None and header.declared_size != len(data):
        report["engine_skipped"] = (f"the header declares {header.declared_size} bytes but the file has "
                                    f"{len(data)}: truncated or padded")
        return report
    try:
        flavour = load(flavor)
    except TrtkitError as e:
        report["engine_skipped"] = f"no runtime to deserialize it: {e}"
        return report
    if flavour.key != header.flavour_key:
        report["engine_skipped"] = f"{header.flavour} {header.version} wrote it; the loaded runtime is {flavour}"
        return report
    report["engine"], report["engine_skipped"] = _engine_report(path, data, flavour, verbosity)
    return report


def _engine_report(path: Path, data: bytes, flavour: Flavour, verbosity: int) -> tuple[dict | None, str | None]:
    trt = flavour.module
    errors: list[str] = []
    runtime: trt.Runtime = trt.Runtime(flavour.make_logger(verbosity, errors))
    engine: trt.ICudaEngine | None = runtime.deserialize_cuda_engine(data)
    if engine is None:
        return None, str(plan_error(path, flavour, errors)).removeprefix(f"{path}: ")
    return describe_engine(engine, flavour), None


def describe_engine(engine: trt.ICudaEngine, flavour: Flavour) -> dict[str, Any]:
    """An engine's I/O, profiles, layers and resources as plain JSON types."""
    trt = flavour.module
    tensors, profiles = [], []
    names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
    for name in names:
        tensors.append({
            "name": name,
            "mode": engine.get_tensor_mode(name).name,
            "dtype": engine.get_tensor_dtype(name).name,
            "shape": [int(d) for d in engine.get_tensor_shape(name)],
            "format": engine.get_tensor_format_desc(name),
            "location": engine.get_tensor_location(name).name,
            "shape_tensor": bool(engine.is_shape_inference_io(name)),
        })
    inputs = [t["name"] for t in tensors if t["mode"] == "INPUT"]
    for p in range(engine.num_optimization_profiles):
        shapes = {}
        for name in inputs:
            low, opt, high = engine.get_tensor_profile_shape(name, p)
            shapes[name] = {"min": [int(d) for d in low], "opt": [int(d) for d in opt], "max": [int(d) for d in high]}
        profiles.append(shapes)
    inspector: trt.EngineInspector = engine.create_engine_inspector()
    layers = json.loads(inspector.get_engine_information(trt.LayerInformationFormat.JSON))
    return {
        "io_tensors": tensors,
        "profiles": profiles,
        "num_layers": engine.num_layers,
        "layers": layers.get("Layers", []),
        "device_memory_bytes": int(engine.device_memory_size_v2),
        "aux_streams": engine.num_aux_streams,
        "hardware_compatibility_level": engine.hardware_compatibility_level.name,
    }


def plan_text(report: dict[str, Any]) -> list[str]:
    """The report as trtexec-like lines."""
    lines = [
        f"Plan: {report['file']} ({report['size']} bytes)",
        f"Plan was created with {report['flavour']} version {report['version']} (tag {report['tag']!r})",
    ]
    engine = report["engine"]
    if engine is None:
        return [*lines, f"Engine: not deserialized ({report['engine_skipped']})"]
    for t in engine["io_tensors"]:
        kind = "shape tensor " if t["shape_tensor"] else ""
        shape = "x".join(str(d) for d in t["shape"])
        lines.append(f"{t['mode'].title()} {kind}{t['name']}: {t['dtype']} {shape} ({t['format']}, {t['location']})")
    for index, shapes in enumerate(engine["profiles"]):
        for name, s in shapes.items():
            dims = ("x".join(str(d) for d in s[k]) for k in ("min", "opt", "max"))
            lines.append("Optimization profile {}: {} min {} opt {} max {}".format(index, name, *dims))
    lines += [
        f"Layers: {engine['num_layers']}",
        f"Device memory: {engine['device_memory_bytes']} bytes",
        f"Aux streams: {engine['aux_streams']}",
        f"Hardware compatibility level: {engine['hardware_compatibility_level']}",
    ]
    return lines
