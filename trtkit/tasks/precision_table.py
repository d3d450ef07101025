"""The per-layer table of ``trtkit debug precision``: every tensor the FP32 model's nodes produce, in
topological order, against the same tensor of the reduced graph run faithfully (stored in its declared type).

Columns: the tensor's type in the reduced graph, the largest |value| of the FP32 run against that type's
largest finite value (an FP16 tensor past 65504 is an overflow waiting to happen), max abs and rel error,
cosine similarity, NaN/Inf count of the reduced run, and whether the tensor is within tolerance: no NaN/Inf
the FP32 run lacks and max|a-b| <= atol + rtol * max|b|. The scale is the tensor's largest value, not each
element's (an intermediate's small elements carry the rounding of its large ones); the outputs, which decide
the search, are held to numpy's elementwise |a-b| <= atol + rtol*|b|.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import onnx


@dataclass
class LayerRow:
    layer: str  # ONNX node name (= TensorRT layer name)
    op: str
    tensor: str
    dtype: str  # declared type in the reduced graph: float16, bfloat16, float32...
    max_abs_value: float  # largest |value| in the FP32 run
    type_max: float | None  # largest finite value of ``dtype`` (None for non-float types)
    max_abs_error: float
    max_rel_error: float
    cosine: float
    nonfinite: int  # NaN + Inf in the reduced run where the FP32 run is finite
    passes: bool

    @property
    def out_of_range(self) -> bool:
        return self.type_max is not None and self.max_abs_value > self.type_max

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "out_of_range": self.out_of_range}


def within(reduced: np.ndarray, reference: np.ndarray, atol: float, rtol: float) -> bool:
    """numpy.allclose's rule (|a-b| <= atol + rtol*|b|), NaN where the reference is finite failing."""
    a, b = np.asarray(reduced, np.float64), np.asarray(reference, np.float64)
    if a.shape != b.shape:
        return False
    return bool(np.all(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)))


def _type_max(dtype: np.dtype) -> float | None:
    if dtype.kind != "f" and "float" not in dtype.name:
        return None
    import ml_dtypes

    return float(ml_dtypes.finfo(dtype).max)


def compare_tensor(node: onnx.NodeProto, name: str, reduced: np.ndarray, reference: np.ndarray,
                   atol: float, rtol: float) -> LayerRow:
    from trtkit.precision.layers import node_name

    a, b = np.asarray(reduced).astype(np.float64), np.asarray(reference).astype(np.float64)
    finite = np.isfinite(b)
    bad = int(np.count_nonzero(~np.isfinite(a) & finite))
    diff = np.abs(a - b)[finite & np.isfinite(a)]
    ref = np.abs(b)[finite & np.isfinite(a)]
    rel = diff[ref > 0] / ref[ref > 0]
    both = (finite & np.isfinite(a)).ravel()
    flat_a, flat_b = a.ravel()[both], b.ravel()[both]
    norm = float(np.linalg.norm(flat_a) * np.linalg.norm(flat_b))
    cosine = float(flat_a @ flat_b / norm) if norm > 0 else float(np.array_equal(flat_a, flat_b))
    return LayerRow(
        layer=node_name(node), op=node.op_type, tensor=name, dtype=np.asarray(reduced).dtype.name,
        max_abs_value=float(np.abs(b[finite]).max()) if finite.any() else 0.0,
        type_max=_type_max(np.asarray(reduced).dtype),
        max_abs_error=float("inf") if bad else float(diff.max()) if diff.size else 0.0,
        max_rel_error=float("inf") if bad else float(rel.max()) if rel.size else 0.0,
        cosine=cosine if not bad else float("nan"), nonfinite=bad,
        passes=bad == 0 and a.shape == b.shape and (not diff.size or diff.max() <= atol + rtol * ref.max()),
    )


def layer_rows(model: onnx.ModelProto, reduced: Mapping[str, np.ndarray], reference: Mapping[str, np.ndarray],
               atol: float, rtol: float) -> list[LayerRow]:
    """One row per float tensor a node of ``model`` produces that both runs hold, topological order."""
    rows = []
    for node in model.graph.node:
        if node.op_type == "Constant":
            continue
        for name in node.output:
            if name in reduced and name in reference and np.asarray(reference[name]).dtype.kind == "f":
                rows.append(compare_tensor(node, name, reduced[name], reference[name], atol, rtol))
    return rows


def format_table(rows: list[LayerRow], keep: set[str], color: bool) -> list[str]:
    """The table as text lines; the first row past tolerance marked (and bold red on a terminal)."""
    import click

    header = (f"{'#':>3}  {'layer':<32} {'op':<18} {'type':<9} {'max|ref|':>10} {'abs err':>10} {'rel err':>10} "
              f"{'cosine':>8} {'nan/inf':>7}  ")
    lines = [header, "-" * len(header)]
    first = next((i for i, r in enumerate(rows) if not r.passes), None)
    for i, r in enumerate(rows):
        marks = []
        if r.out_of_range:
            marks.append(f"> {r.dtype} max {r.type_max:g}")
        if i == first:
            marks.append("<< first past tolerance")
        elif not r.passes:
            marks.append("past tolerance")
        if r.layer in keep:
            marks.append("[keep fp32]")
        line = (f"{i:>3}  {_cut(r.layer, 32):<32} {_cut(r.op, 18):<18} {r.dtype:<9} {r.max_abs_value:>10.4g} "
                f"{r.max_abs_error:>10.3g} {r.max_rel_error:>10.3g} {r.cosine:>8.5f} {r.nonfinite:>7}  "
                + "  ".join(marks))
        lines.append(click.style(line, fg="red", bold=True) if color and i == first else line)
    return lines


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1):]
