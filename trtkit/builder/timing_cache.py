"""--timingCacheFile: loaded into the builder config when the file exists, written back (atomically) after
the build; flavours without a timing cache (TensorRT-RTX tunes kernels when the engine runs) skip it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from trtkit.platform import log
from trtkit.platform.errors import TrtkitError
from trtkit.platform.files import read_bytes, write_atomic

if TYPE_CHECKING:
    import tensorrt as trt

    from trtkit.platform.flavours import Flavour


def usable(flavour: Flavour, path: Path | None) -> Path | None:
    """``path``, or None with a warning where the flavour has no timing cache."""
    if path is not None and not flavour.has_timing_cache:
        log.warning(f"--timingCacheFile ignored: {flavour} has no timing cache (it tunes kernels when the engine runs)")
        return None
    return path


def load(config: trt.IBuilderConfig, path: Path | None) -> bool:
    """Load --timingCacheFile when it exists (else start an empty cache that is saved after the build)."""
    if path is None:
        return False
    data = read_bytes(path, "timing cache") if path.exists() else b""
    cache: trt.ITimingCache = config.create_timing_cache(data)
    if not config.set_timing_cache(cache, False):
        raise TrtkitError(f"{path}: timing cache does not match this TensorRT version or GPU; delete it to rebuild")
    if data:
        log.info(f"Loaded timing cache from {path}")
    return bool(data)


def save(config: trt.IBuilderConfig, path: Path) -> None:
    cache: trt.ITimingCache = config.get_timing_cache()
    write_atomic(path, memoryview(cache.serialize()))
    log.info(f"Saved timing cache to {path}")
