"""The text report of ``trtkit debug precision``: the per-layer table, the verdict and the keep list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trtkit.tasks.precision_table import format_table

if TYPE_CHECKING:
    from trtkit.tasks.debug_precision import DebugPrecisionResult


def report_lines(result: DebugPrecisionResult, color: bool = False) -> list[str]:
    search = result.search
    keep = set(search.keep) if search and search.passes else set()
    lines = [f"{result.model}: FP32 vs {result.precision.upper()} (both run faithfully: every tensor stored in "
             f"its declared type), {len(result.rows)} tensors in topological order", ""]
    lines += format_table(result.rows, keep, color)
    first = result.first_failing
    lines.append("")
    lines.append(f"First layer past tolerance: {first.layer} ({first.op}, {first.tensor})" if first
                 else "Every layer within tolerance.")
    verdict = "pass" if result.outputs_pass else "FAIL"
    lines.append(f"{result.precision.upper()} as trtkit builds it: {verdict} ({result.criterion})")
    if search is None:
        return lines
    if search.passes_without_keep:
        lines.append("Nothing to keep in FP32.")
    elif not search.passes:
        lines.append(f"Even every candidate layer in FP32 fails ({search.evaluations} faithful runs): the "
                     "reduced inputs/outputs or the default FP32 ops are not the cause; check --atol/--rtol")
    else:
        lines.append(f"Keep in FP32 ({len(search.keep)} of the candidate layers, {search.evaluations} faithful "
                     f"runs): {', '.join(search.keep)}")
        lines.append(f"  --layerPrecisions={','.join(f'{name}:fp32' for name in search.keep)}")
    return lines
