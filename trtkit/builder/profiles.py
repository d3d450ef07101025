"""Optimization profiles: trtexec's shape specs (``--minShapes=name:1x1x28x28,...``) parsed, validated
against the network's inputs, and turned into TensorRT optimization profiles.

Several profiles follow trtexec's convention: repeat the group of flags, and the n-th ``--minShapes``,
``--optShapes`` and ``--maxShapes`` form profile n. A profile given only ``--optShapes`` uses it for
min and max too; dynamic inputs that no spec names get 1 for each dynamic dimension, with a warning,
as trtexec does. For a shape-tensor input (TensorRT reads its values on the host: Reshape's target shape,
TopK's k) the spec gives its values, as in trtexec: ``--optShapes=shape:3x4`` means the values [3, 4].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

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
    shape_tensors: frozenset[str] = frozenset()  # inputs whose entries are values (set by resolve)


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


def _check_against_input(name: str, declared: Shape, p: ProfileSpec, index: int, values: bool = False) -> None:
    lo, opt, hi = p.min[name], p.opt[name], p.max[name]
    for kind, shape in (("min", lo), ("opt", opt), ("max", hi)) if values else ():
        count = int(np.prod(declared))
        if any(d < 0 for d in declared) or len(shape) != count:
            raise UsageError(
                f"profile {index}: --{kind}Shapes gives shape tensor {name!r} {len(shape)} values, but it holds "
                f"{format_shape(declared)} = {count} (for a shape tensor the spec lists its values)"
            )
    for kind, shape in (("min", lo), ("opt", opt), ("max", hi)) if not values else ():
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


def resolve(profiles: list[ProfileSpec], inputs: dict[str, Shape],
            shape_tensors: frozenset[str] = frozenset()) -> list[ProfileSpec]:
    """Check ``profiles`` against the network's inputs (name -> declared shape, -1 dynamic; ``shape_tensors``
    the inputs whose values TensorRT reads on the host) and fill in what trtexec fills in. Returns the
    profiles to create (none for a network with static shapes and no shape tensors)."""
    dynamic = {name: shape for name, shape in inputs.items() if any(d < 0 for d in shape) or name in shape_tensors}
    for i, p in enumerate(profiles):
        unknown = sorted(set(p.opt) - set(inputs))
        if unknown:
            raise UsageError(
                f"shape flags name {', '.join(map(repr, unknown))}, which is not an input of the model; "
                f"its inputs are: {', '.join(inputs)}"
            )
        for name in p.opt:
            _check_against_input(name, inputs[name], p, i, name in shape_tensors)
    if not dynamic:
        return profiles
    profiles = profiles or [ProfileSpec()]
    for i, p in enumerate(profiles):
        p.shape_tensors = frozenset(shape_tensors)
        for name, shape in dynamic.items():
            if name not in p.opt:
                if name in shape_tensors:  # trtexec: every value 1
                    default = (1,) * int(np.prod(shape))
                    what = f"shape tensor {name!r} has no value flags; using values {list(default)}"
                else:
                    default = tuple(1 if d < 0 else d for d in shape)
                    what = f"dynamic input {name!r} ({format_shape(shape)}) has no shape flags; using " + format_shape(
                        default)
                log.warning(f"profile {i}: {what} (give --minShapes/--optShapes/--maxShapes to choose)")
                p.min[name] = p.opt[name] = p.max[name] = default
    return profiles


def add_to_config(
    builder: trt.Builder, config: trt.IBuilderConfig, profiles: list[ProfileSpec]
) -> list[trt.IOptimizationProfile]:
    """Create one TensorRT optimization profile per spec and add it to the builder config; return the profile
    objects the config accepted (the build summary reads their shapes back)."""
    added = []
    for i, p in enumerate(profiles):
        profile: trt.IOptimizationProfile = builder.create_optimization_profile()
        for name in p.opt:
            if name in p.shape_tensors:
                profile.set_shape_input(name, p.min[name], p.opt[name], p.max[name])
            else:
                profile.set_shape(name, p.min[name], p.opt[name], p.max[name])
        if config.add_optimization_profile(profile) < 0:
            raise UsageError(f"optimization profile {i} was refused by TensorRT (--verbose shows why)")
        added.append(profile)
    return added
