"""--inputIOFormats / --outputIOFormats: the type and memory layouts of the network's I/O tensors.

Both trtexec spellings are taken on every flavour: trtexec 10's ``type:fmt[+fmt]`` (``fp16:chw``,
``int8:chw32``) and trtexec 11's ``fmt[+fmt]`` (``chw``, ``hwc8``; types come from the strongly typed
graph). One value applies to every tensor; a comma list gives one per tensor in I/O order (trtexec's
broadcastIOFormats). Formats go to ``ITensor.allowed_formats`` on every flavour; a type is set where the
flavour lets the network change it (TensorRT 10, weakly typed) and otherwise must match the graph's type
(trtkit.platform.flavours.Flavour.set_io_type).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trtkit.platform.errors import UsageError

if TYPE_CHECKING:
    import tensorrt as trt

    from trtkit.platform.flavours import Flavour

# trtexec's names (sampleOptions.cpp stringToValue<TensorFormats> / <DataType>) -> TensorRT enum members
FORMATS = {
    "chw": "LINEAR", "chw2": "CHW2", "chw4": "CHW4", "hwc8": "HWC8", "chw16": "CHW16", "chw32": "CHW32",
    "dhwc8": "DHWC8", "cdhw32": "CDHW32", "hwc": "HWC", "dhwc": "DHWC", "dla_linear": "DLA_LINEAR",
    "hwc16": "HWC16", "dla_hwc4": "DLA_HWC4",
}
TYPES = {
    "fp32": "FLOAT", "fp16": "HALF", "bf16": "BF16", "int8": "INT8", "fp8": "FP8", "int32": "INT32",
    "int64": "INT64", "bool": "BOOL", "uint8": "UINT8", "int4": "INT4",
}


@dataclass(frozen=True)
class IOFormat:
    """One tensor's requested type (None: the graph's) and allowed formats (trtexec names)."""

    dtype: str | None
    formats: tuple[str, ...]


def parse_io_formats(text: str, flag: str) -> list[IOFormat]:
    """``"fp16:chw,int8:chw32"`` or ``"chw,hwc8"`` -> one IOFormat per comma-separated item."""
    parsed = []
    for item in (part.strip() for part in text.split(",")):
        dtype, _, layouts = item.rpartition(":")
        if dtype and dtype not in TYPES:
            raise UsageError(f"{flag}={text}: unknown type {dtype!r}; expected one of {', '.join(TYPES)}")
        formats = tuple(layouts.split("+"))
        unknown = [f for f in formats if f not in FORMATS]
        if unknown:
            raise UsageError(f"{flag}={text}: unknown format {unknown[0]!r}; expected one of {', '.join(FORMATS)}, "
                             "joined with + (e.g. fp16:chw+hwc8, or chw on TensorRT 11/RTX)")
        parsed.append(IOFormat(dtype or None, formats))
    return parsed


def apply_io_formats(flavour: Flavour, tensors: Sequence[trt.ITensor], formats: Sequence[IOFormat], flag: str,
                     strongly_typed: bool) -> None:
    """Set each tensor's type (where given) and allowed formats; one value is broadcast to every tensor."""
    if not formats:
        return
    if len(formats) not in (1, len(tensors)):
        kind = "inputs" if flag == "--inputIOFormats" else "outputs"
        raise UsageError(f"{flag}: {len(formats)} formats for {len(tensors)} network {kind}; give one per tensor "
                         "or one for all (trtexec's rule)")
    trt = flavour.module
    for index, tensor in enumerate(tensors):
        wanted = formats[0] if len(formats) == 1 else formats[index]
        if wanted.dtype is not None:
            flavour.set_io_type(tensor, getattr(trt.DataType, TYPES[wanted.dtype]), strongly_typed, flag)
        mask = 0
        for name in wanted.formats:
            mask |= 1 << int(getattr(trt.TensorFormat, FORMATS[name]))
        tensor.allowed_formats = mask
