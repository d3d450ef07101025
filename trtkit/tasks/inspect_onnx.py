"""``trtkit inspect MODEL.onnx``: what a build will meet, before building: opsets and producer, inputs and
outputs with their dynamic dimensions named, an op histogram, initializer bytes and external data files
(present or missing), and which nodes the installed TensorRT ONNX parser accepts (``supports_model_v2``,
``supports_operator``), so that an unsupported op shows up here rather than as a failed build.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trtkit.platform.errors import TrtkitError
from trtkit.platform.files import read_bytes
from trtkit.platform.flavours import Flavour
from trtkit.platform.trt import load

if TYPE_CHECKING:
    import onnx
    import tensorrt as trt


def _dims(value_info: onnx.ValueInfoProto) -> list[int | str]:
    """Each dimension as its size, its symbolic name, or "?" when neither is recorded."""
    shape = value_info.type.tensor_type.shape
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in shape.dim]


def _tensor(value_info: onnx.ValueInfoProto) -> dict[str, Any]:
    import onnx

    elem = value_info.type.tensor_type.elem_type
    return {"name": value_info.name, "dtype": onnx.TensorProto.DataType.Name(elem), "shape": _dims(value_info)}


def _nodes(graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    """Every node, nested graphs (If/Loop/Scan bodies) included."""
    import onnx

    found = []
    for node in graph.node:
        found.append(node)
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                found += _nodes(attribute.g)
            found += [n for g in attribute.graphs for n in _nodes(g)]
    return found


def _initializers(model: onnx.ModelProto, folder: Path) -> dict[str, Any]:
    """Initializer count and bytes (raw or external), and each external data file: present or missing."""
    import numpy as np
    import onnx
    from onnx import helper

    total, files = 0, {}
    for tensor in model.graph.initializer:
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            entries = {e.key: e.value for e in tensor.external_data}
            location = entries.get("location", "")
            files[location] = (folder / location).is_file()
            if "length" in entries:
                total += int(entries["length"])
                continue
        if tensor.raw_data:
            total += len(tensor.raw_data)
        else:
            itemsize = helper.tensor_dtype_to_np_dtype(tensor.data_type).itemsize
            total += int(np.prod(tensor.dims, dtype=np.int64)) * itemsize
    return {
        "count": len(model.graph.initializer),
        "bytes": total,
        "external_files": [{"location": loc, "present": present} for loc, present in sorted(files.items())],
    }


def inspect_onnx(path: Path, flavor: str | None = None, parser: bool = True) -> dict[str, Any]:
    """The model's summary; ``parser`` adds the installed TensorRT parser's verdict per node."""
    import onnx
    from google.protobuf.message import DecodeError

    data = read_bytes(path, "ONNX model")
    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError) as e:
        raise TrtkitError(f"{path}: not a valid ONNX model ({e.__class__.__name__}); check the file") from None
    graph = model.graph
    initialized = {t.name for t in graph.initializer}
    nodes = _nodes(graph)
    histogram = Counter(f"{n.domain}:{n.op_type}" if n.domain not in ("", "ai.onnx") else n.op_type for n in nodes)
    report: dict[str, Any] = {
        "file": str(path),
        "kind": "onnx",
        "size": len(data),
        "ir_version": model.ir_version,
        "opsets": {(o.domain or "ai.onnx"): o.version for o in model.opset_import},
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
        "inputs": [_tensor(v) for v in graph.input if v.name not in initialized],
        "outputs": [_tensor(v) for v in graph.output],
        "nodes": len(nodes),
        "ops": dict(histogram.most_common()),
        "initializers": _initializers(model, path.parent),
        "parser": None,
        "parser_skipped": None,
    }
    if parser:
        try:
            flavour = load(flavor)
        except TrtkitError as e:
            report["parser_skipped"] = str(e)
            return report
        missing = [f["location"] for f in report["initializers"]["external_files"] if not f["present"]]
        if missing:
            report["parser_skipped"] = f"external data missing: {', '.join(missing)}"
            return report
        report["parser"] = parser_support(flavour, data, path, list(graph.node), sorted(set(histogram)))
    return report


def parser_support(flavour: Flavour, data: bytes, path: Path, nodes: list[onnx.NodeProto],
                   ops: list[str]) -> dict[str, Any]:
    """The parser's verdict: the whole model, the nodes it rejects (with its reason) and each op type."""
    trt = flavour.module
    errors: list[str] = []
    logger: trt.ILogger = flavour.make_logger(-2, errors)
    builder: trt.Builder = trt.Builder(logger)
    network: trt.INetworkDefinition = builder.create_network(flavour.network_flags(False))
    onnx_parser: trt.OnnxParser = trt.OnnxParser(network, logger)
    supported = bool(onnx_parser.supports_model_v2(data, str(path)))
    rejected = []
    for i in range(onnx_parser.num_errors):
        error: trt.ParserError = onnx_parser.get_error(i)
        index = error.node()
        name = nodes[index].name if 0 <= index < len(nodes) else error.node_name()
        rejected.append({"node": index, "name": name, "op": error.node_operator(), "reason": error.desc()})
    subgraphs = [
        {"nodes": [int(n) for n in onnx_parser.get_subgraph_nodes(i)],
         "supported": bool(onnx_parser.is_subgraph_supported(i))}
        for i in range(onnx_parser.num_subgraphs)
    ]
    operators = {op: bool(onnx_parser.supports_operator(op.rpartition(":")[2])) for op in ops}
    return {"runtime": str(flavour), "supported": supported, "rejected_nodes": rejected, "subgraphs": subgraphs,
            "operators": operators}


def onnx_text(report: dict[str, Any]) -> list[str]:
    """The report as lines."""
    opsets = ", ".join(f"{d} {v}" for d, v in report["opsets"].items())
    lines = [f"ONNX model: {report['file']} ({report['size']} bytes, IR {report['ir_version']}, opsets {opsets})",
             f"Producer: {report['producer'] or 'unknown'}"]
    for kind in ("inputs", "outputs"):
        for t in report[kind]:
            lines.append(f"{kind[:-1].title()} {t['name']}: {t['dtype']} [{', '.join(str(d) for d in t['shape'])}]")
    ops = ", ".join(f"{op} x{count}" for op, count in report["ops"].items())
    lines.append(f"Nodes: {report['nodes']} ({ops})")
    init = report["initializers"]
    lines.append(f"Initializers: {init['count']} ({init['bytes']} bytes)")
    for f in init["external_files"]:
        lines.append(f"External data: {f['location']} ({'present' if f['present'] else 'MISSING'})")
    parser = report["parser"]
    if parser is None:
        return [*lines, f"TensorRT parser: not checked ({report['parser_skipped']})"]
    verdict = "supports the whole model" if parser["supported"] else "does NOT support the whole model"
    lines.append(f"TensorRT parser ({parser['runtime']}): {verdict}")
    for node in parser["rejected_nodes"]:
        lines.append(f"  rejects node {node['node']} {node['name']!r} ({node['op']}): {node['reason']}")
    unsupported = [op for op, ok in parser["operators"].items() if not ok]
    if unsupported:
        lines.append(f"  op types without a built-in importer: {', '.join(unsupported)}")
    return lines
