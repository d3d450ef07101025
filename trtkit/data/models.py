"""Checks of an ONNX model file before ONNX Runtime or the TensorRT parser reads it, for the failures those
report badly or not at all: an opset newer than the installed onnx knows (the RTX parser builds it without a
word; ONNX Runtime answers with a paragraph), and external weights whose file is missing (the parser says
"Failed to import initializer" without naming the file)."""

from __future__ import annotations

from pathlib import Path

from trtkit.platform.errors import TrtkitError
from trtkit.platform.files import check_readable

ONNX_DOMAINS = ("", "ai.onnx")


def check_onnx_model(path: Path) -> None:
    """Raise one line naming ``path`` (and the missing file) when the model cannot be right here."""
    import onnx
    from onnx.external_data_helper import ExternalDataInfo, uses_external_data

    check_readable(path, "ONNX model")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception:  # not ONNX at all: the reader that follows (ONNX Runtime, the parser) says so in its words
        return
    known = onnx.defs.onnx_opset_version()
    for opset in model.opset_import:
        if opset.domain in ONNX_DOMAINS and opset.version > known:
            raise TrtkitError(f"{path}: uses ONNX opset {opset.version}, newer than the installed onnx "
                              f"{onnx.__version__} knows (up to {known}); export with opset <= {known} "
                              "or upgrade onnx, onnxruntime and TensorRT")
    for tensor in _initializers(model.graph):
        if uses_external_data(tensor):
            location = ExternalDataInfo(tensor).location
            data = path.parent / location
            if not data.is_file():
                raise TrtkitError(f"{path}: weights of {tensor.name!r} are stored in the external file {data}, "
                                  "which is missing; keep the model's data files beside it")


def _initializers(graph: object) -> list:
    """Initializers of the graph and of its subgraphs (If/Loop bodies), which may hold external data too."""
    found = list(graph.initializer)  # type: ignore[attr-defined]
    for node in graph.node:  # type: ignore[attr-defined]
        for attribute in node.attribute:
            for sub in [attribute.g, *attribute.graphs] if attribute.HasField("g") else attribute.graphs:
                found += _initializers(sub)
    return found
