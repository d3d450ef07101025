"""Named arrays for each run: input files, --loadInputs and --shapes resolved against the model's inputs.

Images batch into one run when the image input's batch dimension allows it (dynamic, or equal to the
number of images); otherwise they run in chunks of the fixed batch (one by one for batch 1), the last chunk
padded by repeating its last image and the padding dropped from the results. ``--shapes`` fixes a dynamic
batch too, so ``--shapes=input:1x1x28x28`` runs images one by one on any model. Array files run one per
file. Without any input, ``random=True`` (trtkit compare) draws seeded random data like trtexec and
Polygraphy do. Generated data takes the shape the engine was tuned for (its profile's opt shape, trtexec's
default) where the backend reports one, and a shape tensor with no data takes the profile's opt values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from trtkit.data.inputs import is_array, is_image, load_arrays, load_image, load_raw
from trtkit.data.preprocess import Pipeline, PreprocessOptions, preprocess, resolve
from trtkit.data.tensors import TensorInfo
from trtkit.data.tensors import format_shape as fmt
from trtkit.platform import log
from trtkit.platform.errors import TrtkitError, UsageError


@dataclass
class InputOptions:
    """Where the input data comes from; shared by ``trtkit infer`` and ``trtkit compare``."""

    files: tuple[Path, ...] = ()  # positional: images (PGM/PNG/JPEG/...) and .npy/.npz/.pb arrays
    load_inputs: dict[str, Path] = field(default_factory=dict)  # --loadInputs=name:file (trtexec)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)  # --shapes=name:1x1x28x28 (trtexec)
    preprocess: PreprocessOptions = field(default_factory=PreprocessOptions)
    seed: int = 1  # --seed: random inputs when no data is given (compare)


@dataclass
class Run:
    """One backend call: its feeds, and the names of the samples in its first ``len(sources)`` rows."""

    feeds: dict[str, np.ndarray]
    sources: list[str]
    batch: int  # rows fed, padding included; outputs with this many rows are trimmed to len(sources)


@dataclass
class Feeds:
    runs: list[Run]
    pipeline: Pipeline | None = None  # how images were preprocessed (None: no images)


def fits(shape: Sequence[int], declared: Sequence[int]) -> bool:
    return len(shape) == len(declared) and all(d < 0 or d == s for d, s in zip(declared, shape, strict=True))


def check_feeds(inputs: Sequence[TensorInfo], feeds: Mapping[str, np.ndarray]) -> None:
    """Raise one line naming the input when ``feeds`` misses, adds, misshapes or mistypes one, so that a wrong
    feed reads the same whichever backend would have rejected it. Dynamic dimensions accept any size."""
    expected = {i.name: i for i in inputs}
    for name in feeds:
        if name not in expected:
            raise TrtkitError(f"input {name!r} is not an input of the model; its inputs are: {', '.join(expected)}")
    for info in inputs:
        if info.name not in feeds:
            raise TrtkitError(f"input {info.name!r} ({fmt(info.shape)} {info.dtype}) is missing from the feeds")
        array = np.asarray(feeds[info.name])
        if not fits(array.shape, info.shape):
            raise TrtkitError(f"input {info.name!r}: expected shape {fmt(info.shape)}, got {fmt(array.shape)}")
        if array.dtype != info.dtype:
            raise TrtkitError(f"input {info.name!r}: expected dtype {info.dtype}, got {array.dtype}")


def apply_shapes(inputs: Sequence[TensorInfo], shapes: Mapping[str, Sequence[int]]) -> dict[str, TensorInfo]:
    """The inputs by name, dynamic dimensions fixed where --shapes names them."""
    resolved = {i.name: i for i in inputs}
    for name, shape in shapes.items():
        if 0 in shape:
            raise UsageError(f"--shapes {name}:{fmt(shape)}: a 0 dimension makes an empty tensor; nothing would run")
        if name not in resolved:
            raise UsageError(f"--shapes names {name!r}, which is not an input; the inputs are: {', '.join(resolved)}")
        if not fits(shape, resolved[name].shape):
            raise UsageError(f"--shapes {name}:{fmt(shape)} does not fit the input's shape {fmt(resolved[name].shape)}")
        resolved[name] = replace(resolved[name], shape=tuple(shape))
    return resolved


def make_runs(inputs: Sequence[TensorInfo], options: InputOptions, *, random: bool = False) -> Feeds:
    """Turn ``options`` into runs for a model with ``inputs``; see the module docstring for the rules."""
    shape_tensors = {i.name: i for i in inputs if i.opt_values is not None}
    # trtexec: for a shape tensor, --shapes gives its values (--shapes=shape:3x4 -> [3, 4])
    values = {n: s for n, s in options.shapes.items() if n in shape_tensors}
    infos = apply_shapes(inputs, {n: s for n, s in options.shapes.items() if n not in values})
    fixed = {name: _load_named(infos, name, path) for name, path in options.load_inputs.items()}
    for name, info in shape_tensors.items():
        if name in fixed:
            continue
        given = values.get(name)
        if given is None:
            log.info(f"shape tensor {name!r}: no values given, using the profile's opt values {list(info.opt_values)}")
        chosen = given if given is not None else info.opt_values
        if len(chosen) != int(np.prod(info.shape)):
            raise UsageError(f"--shapes {name}:{fmt(chosen)}: shape tensor {name!r} ({fmt(info.shape)}) takes "
                             f"{int(np.prod(info.shape))} values")
        fixed[name] = np.asarray(chosen, info.dtype).reshape(info.shape)
    images = [p for p in options.files if is_image(p)]
    arrays = [p for p in options.files if is_array(p)]
    unknown = [p for p in options.files if not is_image(p) and not is_array(p)]
    if unknown:
        raise UsageError(
            f"{unknown[0]}: unknown input type {unknown[0].suffix or '(no suffix)'}; give images "
            "(.pgm .ppm .png .jpg .bmp ...), arrays (.npy .npz .pb), or raw files through --loadInputs"
        )
    free = [info for name, info in infos.items() if name not in fixed]
    feeds = Feeds(runs=[])
    if images:
        feeds.pipeline, image_runs = _image_runs(images, free, options.preprocess, fixed)
        feeds.runs += image_runs
    feeds.runs += [_array_run(path, free, fixed) for path in arrays]
    if not options.files:
        if free and not random:
            raise UsageError(
                f"no data for input {free[0].name!r}: give image or array files, or --loadInputs={free[0].name}:FILE"
            )
        feeds.runs.append(_fixed_run(fixed, free, options.seed))
    for run in feeds.runs:
        warn_non_finite(run.feeds, run.sources)
    return feeds


def warn_non_finite(feeds: Mapping[str, np.ndarray], sources: Sequence[str]) -> None:
    """NaN or Inf in an input makes every output meaningless (a "Predicted: 0" over nan probabilities): say
    so, naming the input, where it came from and how many values."""
    for name, array in feeds.items():
        if array.dtype.kind in "fc":
            bad = array.size - int(np.count_nonzero(np.isfinite(array)))
            if bad:
                where = sources[0] if len(sources) == 1 else f"{sources[0]} ... ({len(sources)} samples)"
                log.warning(f"input {name!r} from {where}: {bad} of {array.size} values are NaN or Inf; "
                            "the outputs computed from them are meaningless")


def _image_runs(
    paths: list[Path], free: list[TensorInfo], options: PreprocessOptions, fixed: dict[str, np.ndarray]
) -> tuple[Pipeline, list[Run]]:
    if len(free) != 1:
        names = ", ".join(i.name for i in free) or "none"
        raise UsageError(
            f"images feed exactly one input, but inputs without data are: {names}; give the others with "
            "--loadInputs=name:file"
        )
    target = free[0]
    if all(d > 0 for d in target.shape):  # a --shapes batch is padded up to: check it fits before padding
        _check_allocation(target, target.shape)
    pipeline = resolve(target, options)
    pixels = [load_image(p) for p in paths]
    batch = target.shape[0] if target.shape[0] > 0 else len(paths)
    runs = []
    for start in range(0, len(paths), batch):
        chunk = pixels[start : start + batch]
        padded = chunk + [chunk[-1]] * (batch - len(chunk))
        sources = [str(p) for p in paths[start : start + batch]]
        runs.append(Run({**fixed, target.name: preprocess(padded, target, pipeline)}, sources, batch))
    return pipeline, runs


def _array_run(path: Path, free: list[TensorInfo], fixed: dict[str, np.ndarray]) -> Run:
    """One array file -> one run: named arrays bind by name; a single-input model takes any single array."""
    arrays = load_arrays(path)
    by_name = {i.name: i for i in free}
    feeds = dict(fixed)
    if len(arrays) == 1 and len(free) == 1 and next(iter(arrays)) not in by_name:
        arrays = {free[0].name: next(iter(arrays.values()))}
    for name, array in arrays.items():
        if name not in by_name:
            raise TrtkitError(
                f"{path}: holds {_names(arrays)}, but the inputs to fill are {_names(by_name)}; name the arrays "
                "after the inputs (.npz keys) or use --loadInputs=name:file"
            )
        feeds[name] = _conform(array, by_name[name], path)
    missing = [i.name for i in free if i.name not in feeds]
    if missing:
        raise TrtkitError(f"{path}: no data for input {missing[0]!r}; add it to the file or give --loadInputs")
    rows = _rows(feeds[free[0].name]) if free else 1
    sources = [str(path)] if rows == 1 else [f"{path}[{i}]" for i in range(rows)]
    return Run(feeds, sources, rows)


def _fixed_run(fixed: dict[str, np.ndarray], free: list[TensorInfo], seed: int) -> Run:
    """--loadInputs alone, or random data for every input left (seeded, dynamic dimensions 1)."""
    rng = np.random.default_rng(seed)
    feeds = dict(fixed)
    for info in free:
        shape = _default_shape(info)
        _check_allocation(info, shape)
        if info.is_dynamic:
            tuned = "the engine's opt shape" if info.opt_shape is not None else "1 per dynamic dimension"
            log.warning(f"input {info.name!r} ({fmt(info.shape)}) is dynamic and --shapes does not set it: "
                        f"{fmt(shape)} ({tuned})")
        if info.dtype.kind == "b":
            feeds[info.name] = rng.integers(0, 2, shape).astype(bool)
        elif info.dtype.kind in "iu":
            feeds[info.name] = rng.integers(0, 2, shape).astype(info.dtype)
        else:
            feeds[info.name] = rng.random(shape, dtype=np.float64).astype(info.dtype)
    rows = _rows(next(iter(feeds.values()))) if feeds else 1
    source = "random" if free else "loadInputs"
    return Run(feeds, [source] if rows == 1 else [f"{source}[{i}]" for i in range(rows)], rows)


def _check_allocation(info: TensorInfo, shape: tuple[int, ...]) -> None:
    """A huge --shapes batch fails here in one line naming the input, not in numpy's allocator."""
    size = int(np.prod(shape, dtype=object)) * max(8, info.dtype.itemsize)  # random values are drawn as float64
    try:
        if size > _physical_memory():
            raise MemoryError
        np.empty(shape, dtype=np.float64 if info.dtype.kind == "f" else info.dtype)
    except (MemoryError, ValueError):
        raise TrtkitError(f"input {info.name!r} at {fmt(shape)} needs {size / (1 << 30):.1f} GiB, more than this "
                          "machine can allocate; lower the batch in --shapes") from None


def _physical_memory() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows): let numpy's allocator decide
        return float("inf")


def _load_named(infos: Mapping[str, TensorInfo], name: str, path: Path) -> np.ndarray:
    if name not in infos:
        raise UsageError(f"--loadInputs names {name!r}, which is not an input; the inputs are: {', '.join(infos)}")
    info = infos[name]
    if not is_array(path):
        if info.is_dynamic and info.opt_shape is None:
            raise UsageError(f"--loadInputs {name}:{path}: a raw file needs a static shape; give --shapes={name}:DxD")
        return load_raw(path, _default_shape(info), info.dtype)
    arrays = load_arrays(path)
    if name in arrays:
        return _conform(arrays[name], info, path)
    if len(arrays) == 1:
        return _conform(next(iter(arrays.values())), info, path)
    raise TrtkitError(f"{path}: holds {_names(arrays)} but no array named {name!r}")


def _conform(array: np.ndarray, info: TensorInfo, path: Path) -> np.ndarray:
    """Check the shape against the input (and --shapes); cast within a kind (float64 -> float32). An empty
    array (0 samples) is refused: it would run nothing and report success."""
    if array.size == 0:
        raise TrtkitError(f"{path}: array for input {info.name!r} is empty (shape {fmt(array.shape)}); nothing to run")
    if not fits(array.shape, info.shape):
        raise TrtkitError(
            f"{path}: array for input {info.name!r} has shape {fmt(array.shape)}, the input takes {fmt(info.shape)}"
        )
    if array.dtype == info.dtype:
        return array
    if array.dtype.kind != info.dtype.kind:
        raise TrtkitError(f"{path}: array for input {info.name!r} is {array.dtype}, the input takes {info.dtype}")
    return array.astype(info.dtype)


def _default_shape(info: TensorInfo) -> tuple[int, ...]:
    """The shape of data made for ``info``: as declared, else the engine's opt shape (trtexec's rule for
    inference shapes), else 1 for each dynamic dimension."""
    if not info.is_dynamic:
        return info.shape
    return info.opt_shape if info.opt_shape is not None else tuple(d if d >= 0 else 1 for d in info.shape)


def _rows(array: np.ndarray) -> int:
    return int(array.shape[0]) if array.ndim else 1


def _names(items: Mapping[str, object]) -> str:
    return ", ".join(repr(k) if k else "an unnamed array" for k in items) or "nothing"
