"""trtexec's option blocks for a build (``=== Model Options ===``, ``=== Build Options ===``), logged before
the build: TensorRT Engine Explorer's ``parse_build_log`` makes its "Builder Configuration" of them.
Each line is ``key: value``; trex keeps the text between the first and second ``:`` as the value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from trtkit.data.tensors import format_shape as fmt
from trtkit.platform import log

if TYPE_CHECKING:
    from trtkit.builder.builder import BuildOptions
    from trtkit.builder.profiles import ProfileSpec
    from trtkit.platform.flavours import Flavour
    from trtkit.precision.prepare import PreparedModel


def log_build_options(options: BuildOptions, flavour: Flavour, prepared: PreparedModel,
                      profiles: list[ProfileSpec], pools: Iterable[str]) -> None:
    """trtexec's "=== Model Options ===" and "=== Build Options ===" blocks (trex's builder configuration);
    ``pools`` names the memory pools --memPoolSize takes."""
    log.section("Model Options", {"Format": "ONNX", "Model": options.onnx})
    pools = ", ".join(f"{name}: {options.mem_pool_sizes[name] >> 20} MiB" if name in options.mem_pool_sizes
                      else f"{name}: default" for name in pools)
    items: dict[str, object] = {
        "Memory Pools": pools,
        "Precision": prepared.description,
        "Strongly typed": "Enabled" if options.strongly_typed or not flavour.weak_typing else "Disabled",
        "Builder optimization level": options.builder_optimization_level if
        options.builder_optimization_level is not None else "default",
        "Profiling verbosity": options.profiling_verbosity or ("detailed" if options.export_layer_info else "default"),
        "TensorRT runtime": str(flavour),
        "Save engine": options.save_engine or "",
        "timingCacheFile": options.timing_cache_file or "",
    }
    for i, p in enumerate(profiles):
        items[f"Input build shape (profile {i})"] = ", ".join(
            f"{n}={fmt(p.min[n])}+{fmt(p.opt[n])}+{fmt(p.max[n])}" for n in p.opt)
    log.section("Build Options", items)
