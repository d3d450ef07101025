"""FP16/BF16 graph conversion for strongly typed flavours: onnxconverter-common's
``convert_float_to_float16`` (Microsoft's maintained converter) with the I/O types kept and numerically
sensitive ops left in FP32; BF16 is that same graph with its 16-bit float type relabelled bfloat16. Also the
model loading (opset upgrade) every graph-to-graph step shares."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from trtkit.platform import log
from trtkit.platform.errors import TrtkitError
from trtkit.precision.layers import name_nodes, node_name

if TYPE_CHECKING:
    import onnx

MIN_QDQ_OPSET = 13  # per-channel QuantizeLinear/DequantizeLinear (the axis attribute) needs opset 13
BF16_OPSET = 22  # the first opset whose Conv, Gemm, pooling... accept bfloat16
# Kept in FP32 by the FP16/BF16 conversion: ops whose range or accumulated rounding error breaks 16-bit
# floats (exponentials, logs, powers, reductions, normalisations), on top of the converter's own list.
KEEP_FP32_OPS = (
    "Softmax", "LogSoftmax", "Exp", "Log", "Pow", "Sqrt", "Reciprocal", "Erf",
    "ReduceMean", "ReduceSum", "ReduceSumSquare", "ReduceProd", "ReduceLogSum", "ReduceLogSumExp",
    "ReduceL1", "ReduceL2", "LayerNormalization", "InstanceNormalization", "GroupNormalization",
    "LpNormalization", "MeanVarianceNormalization",
)  # fmt: skip


def load_model(onnx_path: Path) -> onnx.ModelProto:
    """The model as the converters want it: opset >= 13 (ONNX's version converter upgrades older models such
    as the zoo's opset-8 MNIST) and initializers that are not also listed as graph inputs (IR 3 style), which
    would otherwise keep their FP32 input type after conversion; every node named (per-layer rules name them)."""
    import onnx

    from trtkit.data.models import check_onnx_model

    check_onnx_model(onnx_path)
    try:
        model = onnx.load(str(onnx_path))
    except Exception as e:  # protobuf's DecodeError and onnx's own errors share no base class
        raise TrtkitError(f"{onnx_path}: not a valid ONNX model ({e.__class__.__name__}); check the file") from None
    opset = _opset(model)
    if opset < MIN_QDQ_OPSET:
        log.info(f"{onnx_path.name}: opset {opset} upgraded to {MIN_QDQ_OPSET} for precision conversion")
        model = _convert_opset(model, MIN_QDQ_OPSET, onnx_path)
    initializers = {i.name for i in model.graph.initializer}
    graph_inputs = [i for i in model.graph.input if i.name not in initializers]
    del model.graph.input[:]
    model.graph.input.extend(graph_inputs)
    model.ir_version = max(model.ir_version, onnx.helper.find_min_ir_version_for(model.opset_import, True))
    return name_nodes(model)


def _convert_opset(model: onnx.ModelProto, opset: int, where: Path | str) -> onnx.ModelProto:
    from onnx import version_converter

    try:
        return version_converter.convert_version(model, opset)
    except Exception as e:  # the converter raises RuntimeError/ConvertError subclasses
        raise TrtkitError(f"{where}: ONNX's version converter cannot bring the model to opset {opset}: {e}") from None


def default_keep_ops() -> tuple[str, ...]:
    """Op types the conversion leaves in FP32 unless a --layerPrecisions rule says otherwise."""
    from onnxconverter_common import float16

    return (*float16.DEFAULT_OP_BLOCK_LIST, *KEEP_FP32_OPS)


def convert_float(model: onnx.ModelProto, precision: str, blocked: set[str] | None = None) -> bytes:
    """FP16 or BF16 graph with FP32 inputs/outputs and the nodes named in ``blocked`` (by default those of
    :func:`default_keep_ops`; :func:`trtkit.precision.layers.blocked_nodes` for per-layer rules) computed
    and stored in FP32 (:mod:`trtkit.precision.keep_fp32`)."""
    try:
        from onnx import TensorProto
        from onnxconverter_common import float16
    except ImportError:
        raise TrtkitError(
            f"--{precision} on a strongly typed flavour converts the ONNX graph and needs onnxconverter-common: "
            "pip install 'trtkit[precision]'"
        ) from None
    from trtkit.precision.keep_fp32 import keep_fp32_storage

    if blocked is None:
        ops = set(default_keep_ops())
        blocked = {node_name(n) for n in model.graph.node if n.op_type in ops}
    originals = {i.name: i for i in model.graph.initializer}
    converted = float16.convert_float_to_float16(model, keep_io_types=True, op_block_list=[],
                                                 node_block_list=sorted(blocked))
    converted = keep_fp32_storage(converted, blocked, TensorProto.FLOAT16)
    if precision == "bf16":
        converted = _relabel_bfloat16(converted, originals)
    return converted.SerializeToString()


def _relabel_bfloat16(model: onnx.ModelProto, originals: dict[str, onnx.TensorProto]) -> onnx.ModelProto:
    """Turn the FP16 graph into BF16: same casts, same FP32 islands, 16-bit float relabelled bfloat16.
    Weights are rounded from their FP32 originals (not from FP16, whose range is narrower)."""
    import ml_dtypes
    import numpy as np
    from onnx import TensorProto, numpy_helper

    half, brain = TensorProto.FLOAT16, TensorProto.BFLOAT16

    def relabel(tensor: TensorProto) -> None:
        if tensor.data_type == half:
            source = originals.get(tensor.name, tensor)
            values = numpy_helper.to_array(source).astype(np.float32).astype(ml_dtypes.bfloat16)
            tensor.CopyFrom(numpy_helper.from_array(values, tensor.name))

    for tensor in model.graph.initializer:
        relabel(tensor)
    for node in model.graph.node:
        for attribute in node.attribute:
            if node.op_type == "Cast" and attribute.name == "to" and attribute.i == half:
                attribute.i = brain
            elif attribute.HasField("t"):
                relabel(attribute.t)
    for value in (*model.graph.value_info, *model.graph.input, *model.graph.output):
        if value.type.tensor_type.elem_type == half:
            value.type.tensor_type.elem_type = brain
    return _convert_opset(model, BF16_OPSET, "--bf16") if _opset(model) < BF16_OPSET else model


def _opset(model: onnx.ModelProto) -> int:
    """The default-domain opset (a model that imports none uses no standard op: nothing to upgrade)."""
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), BF16_OPSET)
