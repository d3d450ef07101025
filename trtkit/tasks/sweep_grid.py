"""The sweep's grid: which points a ``trtkit sweep`` runs, from flags or a TOML spec, and each point's key.

A point is one (model, backend, precision, shapes, builder optimization level). Its key is the model's
content hash plus those coordinates, the calibration data and the per-layer rules, so ``--resume`` recognises
a point even when the model file moved, and re-runs it when the model changed under the same name.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from trtkit.platform.errors import UsageError
from trtkit.platform.files import check_readable, read_bytes

BACKENDS = ("tensorrt", "onnxruntime", "openvino")
PRECISIONS = ("fp32", "fp16", "bf16", "int8")


@dataclass(frozen=True)
class Settings:
    """What every point shares: bench settings, accuracy data, calibration, the flavour."""

    iterations: int = 10  # --iterations
    duration_s: float = 3.0  # --duration
    warm_up_ms: float = 200.0  # --warmUp
    eval_data: Path | None = None  # --eval: labelled data for top-1 accuracy
    eval_limit: int | None = None  # --evalLimit: only the first N samples
    calib: Path | None = None  # --calib: INT8 calibration data
    calib_samples: int = 500  # --calibSamples
    layer_precisions: str = ""  # --layerPrecisions: per-layer rules for the reduced-precision points (as build)
    calib_cache_dir: str = ""  # where INT8 points share calibration tables (the sweep's own scratch folder)
    flavor: str | None = None  # --flavor
    verbosity: int = -1  # --verbose / --quiet (points log at errors-only unless --verbose)


@dataclass(frozen=True)
class Point:
    """One cell of the grid. ``model_sha256`` is filled by :func:`expand`."""

    model: str
    model_sha256: str
    backend: str
    precision: str
    shapes: str = ""  # a --shapes spec, e.g. input:8x1x28x28 ("" = the model's own, dynamic dims as 1)
    opt_level: int | None = None  # --builderOptimizationLevel (TensorRT only)
    calib: str = ""  # the calibration data an INT8 point was calibrated on
    layers: str = ""  # --layerPrecisions of a reduced-precision point

    @property
    def key(self) -> str:
        """Identity for --resume: the model's content and the point's coordinates, not its file name."""
        level = "" if self.opt_level is None else str(self.opt_level)
        coordinates = (self.model_sha256[:16], self.backend, self.precision, self.shapes, level, self.calib)
        return "|".join((*coordinates, self.layers) if self.layers else coordinates)

    def label(self) -> str:
        """Short, for the log and the plot."""
        parts = [Path(self.model).stem, self.backend, self.precision]
        if self.shapes:
            parts.append(self.shapes)
        if self.opt_level is not None:
            parts.append(f"O{self.opt_level}")
        return " ".join(parts)

    def config(self) -> dict[str, Any]:
        return {"key": self.key, **asdict(self)}


@dataclass
class Grid:
    """The grid flags (each a list; the product is the sweep)."""

    onnx: list[Path] = field(default_factory=list)  # --onnx
    precision: list[str] = field(default_factory=lambda: ["fp32"])  # --precision
    shapes: list[str] = field(default_factory=lambda: [""])  # --shapes, one point per occurrence
    opt_level: list[int | None] = field(default_factory=lambda: [None])  # --builderOptimizationLevel
    backend: list[str] = field(default_factory=lambda: ["onnxruntime"])  # --backend


def split_list(values: list[str] | tuple[str, ...]) -> list[str]:
    """``("fp32,fp16", "int8")`` -> ``["fp32", "fp16", "int8"]``: comma lists and repeats alike, order kept."""
    out: list[str] = []
    for value in values:
        out += [v.strip() for v in str(value).split(",") if v.strip() and v.strip() not in out]
    return out


def check_grid(grid: Grid, settings: Settings) -> None:
    """Names the flag and the value that cannot be right, before anything runs."""
    if not grid.onnx:
        raise UsageError("sweep needs at least one model: --onnx MODEL[,MODEL...] (or onnx = [...] in --spec)")
    for model in grid.onnx:
        check_readable(Path(model), "ONNX model")
    for flag, values, known in (("--precision", grid.precision, PRECISIONS), ("--backend", grid.backend, BACKENDS)):
        bad = [v for v in values if v not in known]
        if bad or not values:
            raise UsageError(f"{flag} {','.join(bad) or '(empty)'}: expected a comma list of {', '.join(known)}")
    bad_levels = [v for v in grid.opt_level if v is not None and not 0 <= v <= 5]
    if bad_levels:
        raise UsageError(f"--builderOptimizationLevel {bad_levels[0]}: expected 0..5")
    if settings.layer_precisions:
        from trtkit.precision.layers import layer_options

        layer_options(settings.layer_precisions, None, None)
    if grid.shapes != [""]:
        from trtkit.builder.profiles import parse_shape_spec

        for spec in grid.shapes:
            parse_shape_spec(spec, "--shapes")


@cache
def model_sha256(path: str) -> str:
    return hashlib.sha256(read_bytes(path, "ONNX model")).hexdigest()


def expand(grid: Grid, settings: Settings) -> list[Point]:
    """Every point, models outermost; an optimization level only varies TensorRT points (others get None)."""
    check_grid(grid, settings)
    points: list[Point] = []
    for model in grid.onnx:
        digest = model_sha256(str(model))
        for backend in grid.backend:
            levels = grid.opt_level if backend == "tensorrt" else [None]
            for precision in grid.precision:
                calib = str(settings.calib) if precision == "int8" and settings.calib is not None else ""
                layers = settings.layer_precisions if precision != "fp32" else ""
                for shapes in grid.shapes:
                    for level in levels:
                        point = Point(str(model), digest, backend, precision, shapes, level, calib, layers)
                        if point not in points:
                            points.append(point)
    return points


def _toml() -> Any:
    """tomllib is in the standard library from Python 3.11; on 3.10 the tomli package it was taken from."""
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    try:
        import tomli
    except ImportError:
        raise UsageError("--spec on Python 3.10 needs tomli: pip install tomli") from None
    return tomli


SPEC_GRID = {"onnx": "onnx", "precision": "precision", "shapes": "shapes", "builderOptimizationLevel": "opt_level",
             "backend": "backend"}
SPEC_SETTINGS = {"iterations": "iterations", "duration": "duration_s", "warmUp": "warm_up_ms", "eval": "eval_data",
                 "evalLimit": "eval_limit", "calib": "calib", "calibSamples": "calib_samples", "flavor": "flavor",
                 "layerPrecisions": "layer_precisions"}


def load_spec(path: Path) -> tuple[Grid, dict[str, Any]]:
    """A TOML spec with the flags' names as keys (lists or single values); relative paths are relative to the
    spec file. Returns the grid and the settings it gives (the command line's flags override them)."""
    toml = _toml()
    try:
        data = toml.loads(read_bytes(path, "sweep spec").decode())
    except (toml.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"--spec {path}: not valid TOML ({e})") from None
    unknown = sorted(set(data) - set(SPEC_GRID) - set(SPEC_SETTINGS))
    if unknown:
        known = ", ".join([*SPEC_GRID, *SPEC_SETTINGS])
        raise UsageError(f"--spec {path}: unknown key {unknown[0]!r}; the keys are the flags' names: {known}")
    grid = Grid()
    for key, name in SPEC_GRID.items():
        if key in data:
            values = data[key] if isinstance(data[key], list) else [data[key]]
            if name == "onnx":
                values = [path.parent / v for v in values]
            elif name in ("precision", "backend"):
                values = split_list([str(v) for v in values])
            setattr(grid, name, values)
    settings: dict[str, Any] = {}
    for key, name in SPEC_SETTINGS.items():
        if key in data:
            value = data[key]
            settings[name] = path.parent / value if name in ("eval_data", "calib") else value
    return grid, settings
