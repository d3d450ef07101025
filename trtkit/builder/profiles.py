"""Optimization profiles: trtexec's shape specs (``--minShapes=name:1x1x28x28,...``) parsed, validated
against the network's inputs, and turned into TensorRT optimization profiles.

Several profiles follow trtexec's convention: repeat the group of flags, and the n-th ``--minShapes``,
``--optShapes`` and ``--maxShapes`` form profile n. A profile given only ``--optShapes`` uses it for
min and max too; dynamic inputs that no spec names get 1 for each dynamic dimension, with a warning,
as trtexec does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from trtkit.data.tensors import format_shape
from trtkit.platform import log
from trtkit.platform.errors import UsageError

if TYPE_CHECKING:
    import tensorrt as trt

Shape = tuple[int, ...]
ShapeSpec = dict[str, Shape]


def _split_top_level(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside single quotes (trtexec quotes tensor names that contain ':' or ',')."""
    parts, current, quoted = [], [], False
    for ch in text:
        if ch == "'":
            quoted = not quoted
        if ch == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def parse_shape_spec(text: str, flag: str = "--shapes") -> ShapeSpec:
    """``"input:1x1x28x28,'a:b':4x3"`` -> ``{"input": (1, 1, 28, 28), "a:b": (4, 3)}``."""
    spec: ShapeSpec = {}
    for item in _split_top_level(text.strip(), ","):
        item = item.strip()
        name, sep, dims = item.rpartition(":")
        name = name.strip().strip("'")
        if not sep or not name or not dims:
            raise UsageError(f"{flag}={text}: expected name:DxDxD (e.g. input:1x1x28x28), got {item!r}")
        try:
            shape = tuple(int(d) for d in dims.lower().split("x"))
        except ValueError:
            raise UsageError(f"{flag}={text}: dimensions of {name!r} must be integers joined by 'x'") from None
        if any(d < 0 for d in shape):
            raise UsageError(f"{flag}={text}: dimensions of {name!r} must be >= 0, got {dims}")
        if flag == "--shapes" and 0 in shape:  # runtime shapes: an empty tensor would run nothing at all
            raise UsageError(f"{flag}={text}: a 0 dimension in {name!r} makes an empty tensor; nothing would run")
        if name in spec:
            raise UsageError(f"{flag}={text}: input {name!r} is given twice")
        spec[name] = shape
    return spec


@dataclass
class ProfileSpec:
    """One optimization profile as shapes per input name."""

    min: ShapeSpec = field(default_factory=dict)
    opt: ShapeSpec = field(default_factory=dict)
    max: ShapeSpec = field(default_factory=dict)


def profiles_from_flags(
    mins: Sequence[str], opts: Sequence[str], maxs: Sequence[str]
) -> list[ProfileSpec]:
    """Group repeated --minShapes/--optShapes/--maxShapes into profiles (n-th of each -> profile n)."""
    if not (mins or opts or maxs):
        return []
    count = max(len(mins), len(opts), len(maxs))
    if len(opts) != count or ((mins or maxs) and not len(mins) == len(maxs) == count):
        raise UsageError(
            f"--minShapes/--optShapes/--maxShapes: got {len(mins)}/{len(opts)}/{len(maxs)}; repeat the "
            "whole group once per optimization profile (or give only --optShapes)"
        )
    profiles = []
    for i in range(count):
        opt = parse_shape_spec(opts[i], "--optShapes") if opts else {}
        lo = parse_shape_spec(mins[i], "--minShapes") if mins else dict(opt)
        hi = parse_shape_spec(maxs[i], "--maxShapes") if maxs else dict(opt)
        if set(lo) != set(opt) or set(hi) != set(opt):
            raise UsageError(
                f"profile {i}: --minShapes, --optShapes and --maxShapes must name the same inputs "
                f"(got {sorted(lo)}, {sorted(opt)}, {sorted(hi)})"
            )
        profiles.append(ProfileSpec(lo, opt, hi))
    return profiles


def _check_against_input(name: str, declared: Shape, p: ProfileSpec, index: int) -> None:
    lo, opt, hi = p.min[name], p.opt[name], p.max[name]
    for kind, shape in (("min", lo), ("opt", opt), ("max", hi)):
        if len(shape) != len(declared):
            raise UsageError(
                f"profile {index}: --{kind}Shapes gives {name!r} {len(shape)} dimensions, but the model "
                f"declares {len(declared)}: {format_shape(declared)}"
            )
        for axis, (d, want) in enumerate(zip(shape, declared, strict=True)):
            if want >= 0 and d != want:
                raise UsageError(
                    f"profile {index}: --{kind}Shapes {name}:{format_shape(shape)} changes fixed dimension {axis} "
                    f"of {name!r} (the model says {format_shape(declared)})"
                )
    if not all(a <= b <= c for a, b, c in zip(lo, opt, hi, strict=True)):
        raise UsageError(
            f"profile {index}: {name!r} needs min <= opt <= max in every dimension, got "
            f"min {format_shape(lo)}, opt {format_shape(opt)}, max {format_shape(hi)}"
        )


def resolve(profiles: list[ProfileSpec], inputs: dict[str, Shape]) -> list[ProfileSpec]:
    """Check ``profiles`` against the network's inputs (name -> declared shape, -1 dynamic) and fill in
    what trtexec fills in. Returns the profiles to create (none for a fully static network)."""
    dynamic = {name: shape for name, shape in inputs.items() if any(d < 0 for d in shape)}
    for i, p in enumerate(profiles):
        unknown = sorted(set(p.opt) - set(inputs))
        if unknown:
            raise UsageError(
                f"shape flags name {', '.join(map(repr, unknown))}, which is not an input of the model; "
                f"its inputs are: {', '.join(inputs)}"
            )
        for name in p.opt:
            _check_against_input(name, inputs[name], p, i)
    if not dynamic:
        return profiles
    profiles = profiles or [ProfileSpec()]
    for i, p in enumerate(profiles):
        for name, shape in dynamic.items():
            if name not in p.opt:
                default = tuple(1 if d < 0 else d for d in shape)
                log.warning(
                    f"profile {i}: dynamic input {name!r} ({format_shape(shape)}) has no shape flags; using "
                    f"{format_shape(default)} (give --minShapes/--optShapes/--maxShapes to choose)"
                )
                p.min[name] = p.opt[name] = p.max[name] = default
    return profiles


def add_to_config(
    builder: trt.Builder, config: trt.IBuilderConfig, profiles: list[ProfileSpec]
) -> None:
    """Create one TensorRT optimization profile per spec and add it to the builder config."""
    for p in profiles:
        profile: trt.IOptimizationProfile = builder.create_optimization_profile()
        for name in p.opt:
            profile.set_shape(name, p.min[name], p.opt[name], p.max[name])
        config.add_optimization_profile(profile)
