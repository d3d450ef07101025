"""TensorRT's INT8 calibration cache (calibration table), read and written byte for byte as TensorRT does.

Layout, as TensorRT 5.x to 10.x write it (11.x removed the calibrators; TensorRT-RTX has none)::

    TRT-8401-EntropyCalibration2
    input: 3caa54fc
    (Unnamed Layer* 64) [Shuffle]_output: 0
    input_1:0: 3c010a14

The header's number is NV_TENSORRT_VERSION (major*1000+minor*100+patch up to 9.x, major*10000+minor*100+patch
from 10.0), its name the calibrator. Each line is a tensor name, ``: `` and the float32 bits of its scale
(amax / 127) as lowercase hex without padding. trtexec's own reader splits at the last colon; so does this one.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trtkit.platform.errors import TrtkitError, UsageError
from trtkit.platform.files import read_bytes

# --calibAlgo -> the algorithm named in the table's header (TensorRT's names where TensorRT has one). TensorRT's
# EntropyCalibration and LegacyCalibration caches are read too; their ranges are used as they are.
ALGORITHMS = {"entropy": "EntropyCalibration2", "minmax": "MinMaxCalibration", "percentile": "PercentileCalibration"}
INT8_MAX = 127.0
_HEADER = re.compile(r"TRT-(\d+)-(\w+)")


@dataclass
class CalibrationTable:
    """Per-tensor activation ranges in TensorRT's calibration cache format, read from and written as every
    TensorRT (5.x to 10.x) and trtexec read it: a header ``TRT-<version>-<calibrator>`` (EntropyCalibration,
    EntropyCalibration2, MinMaxCalibration, LegacyCalibration; trtkit adds PercentileCalibration), then one
    ``<tensor>: <scale>`` line per tensor, scale = amax / 127 as the unpadded lowercase hex of its float32
    bits (``3c010a14``; a zero scale is ``0``). Tensor names hold spaces, brackets and colons
    (``(Unnamed Layer* 64) [Shuffle]_output``, ``input_1:0``), so a line splits at its last colon, as
    trtexec's reader does. ``amax`` bounds the symmetric range ``|x| <= amax``."""

    algorithm: str
    amax: dict[str, float]
    version: int = 0

    @property
    def algo(self) -> str | None:
        """The --calibAlgo spelling of the header's algorithm (None for TensorRT's legacy ones)."""
        return next((k for k, v in ALGORITHMS.items() if v == self.algorithm), None)

    @property
    def writer(self) -> str:
        """Which TensorRT wrote it, from the header's number: ``TensorRT 8.4.1``, ``TensorRT-RTX 1.7.1``."""
        return writer_name(self.version)

    def to_bytes(self) -> bytes:
        lines = [f"TRT-{self.version}-{self.algorithm}"]
        for name, amax in self.amax.items():
            lines.append(f"{name}: {scale_bits(amax / INT8_MAX):x}")
        return ("\n".join(lines) + "\n").encode()

    @classmethod
    def parse(cls, data: bytes, where: Path | str) -> CalibrationTable:
        # Lines end at '\n' only (trtexec's getline): a name may hold any other character.
        lines = [line.removesuffix("\r") for line in data.decode("utf-8", errors="replace").split("\n")]
        if lines and lines[-1] == "":
            lines.pop()
        header = _HEADER.fullmatch(lines[0].strip().lstrip("\ufeff")) if lines else None
        if header is None:
            raise TrtkitError(f"{where}: not a TensorRT calibration cache (expected a first line like "
                              "'TRT-100300-EntropyCalibration2'); delete it to calibrate again")
        amax: dict[str, float] = {}
        for number, line in enumerate(lines[1:], start=2):
            if not line.strip():
                continue
            name, colon, value = line.rpartition(":")
            scale = _scale(value.strip()) if colon and name.strip() else None
            if scale is None:
                raise TrtkitError(f"{where}: line {number} is not '<tensor>: <hex scale>' with a finite scale >= 0 "
                                  f"(TensorRT's format): {line!r}")
            amax[name] = scale * INT8_MAX
        return cls(header.group(2), amax, int(header.group(1)))


def scale_bits(scale: float) -> int:
    """The float32 bit pattern TensorRT prints for a scale (``hex`` of it, no padding)."""
    return struct.unpack("<I", struct.pack("<f", scale))[0]


def _scale(text: str) -> float | None:
    """A scale from its hex bit pattern; None unless it is 1 to 8 hex digits of a finite, non-negative float."""
    if not re.fullmatch(r"[0-9a-fA-F]{1,8}", text):
        return None
    scale = struct.unpack("<f", struct.pack("<I", int(text, 16)))[0]
    return scale if np.isfinite(scale) and scale >= 0 else None


def version_code(version: str) -> int:
    """The version number a cache header carries for a version string: TensorRT 10+'s NV_TENSORRT_VERSION,
    major*10000+minor*100+patch (10.13.3 -> 101303); TensorRT-RTX 1.7.1 -> 10701 (the same formula; RTX has
    no calibrator of its own, so no RTX-written header exists to copy)."""
    parts = [int(p) for p in re.findall(r"\d+", version)[:3]] + [0, 0, 0]
    return parts[0] * 10000 + parts[1] * 100 + parts[2]


def writer_name(code: int) -> str:
    """A header's number as the library that wrote it. Below 10000, TensorRT <= 9's major*1000+minor*100+patch
    (8401 -> 8.4.1, 8510 -> 8.5.10); from 100000, TensorRT 10+'s major*10000+minor*100+patch (100300 -> 10.3.0);
    in between only TensorRT-RTX 1.x numbers fall (10701 -> 1.7.1)."""
    if code <= 0:
        return "an unknown TensorRT"
    major, rest = divmod(code, 1000) if code < 10000 else divmod(code, 10000)
    name = "TensorRT-RTX" if 10000 <= code < 100000 else "TensorRT"
    return f"{name} {major}.{rest // 100}.{rest % 100}"


def is_cache_file(path: Path) -> bool:
    """True for a calibration-table file: trtexec's --calib=FILE names one, trtkit's --calib usually data."""
    if not path.is_file():
        return False
    with path.open("rb") as f:
        return _HEADER.match(f.readline().decode("ascii", errors="replace").strip()) is not None


def read_table(path: Path | None, algo: str | None) -> CalibrationTable | None:
    """The cached table at ``path`` if it exists; an error if it was made with another --calibAlgo."""
    if path is None or not path.is_file():
        return None
    table = CalibrationTable.parse(read_bytes(path, "calibration cache"), path)
    if algo is not None and table.algo != algo:
        raise UsageError(f"--calibAlgo={algo}, but {path} holds {table.algorithm} ranges; "
                         "delete the cache to calibrate again, or drop --calibAlgo")
    return table
