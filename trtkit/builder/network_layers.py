"""--exportLayerInfo from the network definition, spelled as the engine inspector spells its JSON.

Where no runtime can deserialize the plan (TensorRT-RTX building on a machine without a GPU), this is the
layer information trtkit can give: the layers before fusion, each written the way the inspector writes an
engine layer, so that TensorRT Engine Explorer (trex) reads it as it reads trtexec's file:

- ``Format/Datatype``: the inspector's linear-format strings (``Row major linear FP32``), every one a key
  of trex's format table, so trex derives each tensor's precision and size;
- ``LayerType``/``ParameterType``: the inspector's spelling of the layer kind (``Convolution``,
  ``Pooling``, ``MatrixMultiply``, ``ElementWise``, ``SoftMax``...). The inspector's ``LayerType`` names the
  kernel family chosen at build time (``CaskConvolution``), which a network definition does not know, so
  both carry the kind; ``Constant`` layers are ``Constant``, which trex sets apart from compute layers;
- ``Dimensions``: concrete, the first optimization profile's opt shapes propagated through the network;
- the inspector's per-kind parameters (``Kernel``, ``Stride``, ``Groups``, ``Weights`` {Type, Count}, ...);
  a layer whose operand is a constant (a Gemm's weight matrix) gets it as ``Weights``;
- ``TacticValue``: ``0x0000000000000000``, what the inspector writes for a layer that runs no tactic: the
  network definition has no tactic, and the builder's choice cannot be read back without a runtime.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import tensorrt as trt

NO_TACTIC = "0x0000000000000000"

# TensorRT DataType name -> the inspector's string for a linear (row-major) tensor of that type; each is a
# key of trex's _regionFormatDict (trex/activations.py), looked up case-sensitively.
LINEAR_FORMATS = {
    "FLOAT": "Row major linear FP32",
    "HALF": "Row major linear FP16 format",
    "BF16": "Row major linear BFloat16 format",
    "INT8": "Row major Int8 format",
    "INT32": "Row major linear Int32",
    "INT64": "Row major linear Int64 format",
    "BOOL": "Row major linear BOOL",
    "UINT8": "Row major linear UInt8 format",
    "FP8": "Row major linear FP8 format",
    "FP4": "Row major linear FP4 format",
    "INT4": "Int4",
}

# numpy dtype of a weights array -> the inspector's weights "Type" (trex sizes Int8/Half/Float/Int32).
WEIGHT_TYPES = {"float32": "Float", "float16": "Half", "int8": "Int8", "int32": "Int32", "int64": "Int64",
                "uint8": "UInt8", "bool": "Bool", "bfloat16": "BFloat16"}

# Network LayerType names whose inspector spelling is not the plain CamelCase of the enum name.
KIND_SPELLINGS = {"ELEMENTWISE": "ElementWise", "SOFTMAX": "SoftMax", "RAGGED_SOFTMAX": "RaggedSoftMax",
                  "TOPK": "TopK", "LRN": "LRN", "NMS": "NMS", "PARAMETRIC_RELU": "ParametricReLU",
                  "PLUGIN_V2": "PluginV2", "PLUGIN_V3": "PluginV3"}

# Network LayerType name -> the Python class that exposes the layer's parameters.
LAYER_CLASSES = {"CONVOLUTION": "IConvolutionLayer", "DECONVOLUTION": "IDeconvolutionLayer",
                 "POOLING": "IPoolingLayer", "ACTIVATION": "IActivationLayer",
                 "ELEMENTWISE": "IElementWiseLayer", "MATRIX_MULTIPLY": "IMatrixMultiplyLayer",
                 "SHUFFLE": "IShuffleLayer", "SOFTMAX": "ISoftMaxLayer", "REDUCE": "IReduceLayer",
                 "CONSTANT": "IConstantLayer", "UNARY": "IUnaryLayer", "CAST": "ICastLayer"}

# Single-input layers that pass a constant through (a Q/DQ or transposed weight): weights are found behind them.
_PASS_THROUGH = frozenset({"DEQUANTIZE", "QUANTIZE", "SHUFFLE", "CAST", "IDENTITY"})


def kind(layer_type: str) -> str:
    """``MATRIX_MULTIPLY`` -> ``MatrixMultiply``: the inspector's spelling of a network layer kind."""
    return KIND_SPELLINGS.get(layer_type) or "".join(part.capitalize() for part in layer_type.split("_"))


def tensor_entry(name: str, dims: list[int], dtype: str, location: str = "Device") -> dict[str, Any]:
    """One tensor as the inspector writes it."""
    return {"Name": name, "Location": location, "Dimensions": dims,
            "Format/Datatype": LINEAR_FORMATS.get(dtype, f"Row major linear {dtype}")}


def weights_entry(array: np.ndarray) -> dict[str, Any]:
    return {"Type": WEIGHT_TYPES.get(str(array.dtype), str(array.dtype)), "Count": int(array.size)}


def _tensor(tensor: trt.ITensor) -> dict[str, Any]:
    location = "Host" if tensor.is_shape_tensor else "Device"
    return tensor_entry(tensor.name, list(tensor.shape), tensor.dtype.name, location)


def _padding_mode(mode: Any) -> str:
    return f"k{mode.name}"


def _convolution(layer: trt.IConvolutionLayer) -> dict[str, Any]:
    return {
        "Kernel": list(layer.kernel_size_nd), "PaddingMode": _padding_mode(layer.padding_mode),
        "PrePadding": list(layer.pre_padding), "PostPadding": list(layer.post_padding),
        "Stride": list(layer.stride_nd), "Dilation": list(layer.dilation_nd), "OutMaps": layer.num_output_maps,
        "Groups": layer.num_groups, "Weights": weights_entry(np.asarray(layer.kernel)),
        "Bias": weights_entry(np.asarray(layer.bias)), "HasSparseWeights": 0, "Activation": "NONE",
        "HasBias": int(np.asarray(layer.bias).size > 0), "HasReLU": 0,
    }


def _deconvolution(layer: trt.IDeconvolutionLayer) -> dict[str, Any]:
    return {
        "Kernel": list(layer.kernel_size_nd), "PaddingMode": _padding_mode(layer.padding_mode),
        "PrePadding": list(layer.pre_padding), "PostPadding": list(layer.post_padding),
        "Stride": list(layer.stride_nd), "Dilation": list(layer.dilation_nd), "OutMaps": layer.num_output_maps,
        "Groups": layer.num_groups, "Weights": weights_entry(np.asarray(layer.kernel)),
        "Bias": weights_entry(np.asarray(layer.bias)), "HasBias": int(np.asarray(layer.bias).size > 0),
    }


def _pooling(layer: trt.IPoolingLayer) -> dict[str, Any]:
    return {
        "PoolingType": layer.type.name, "WindowSize": list(layer.window_size_nd),
        "PaddingMode": _padding_mode(layer.padding_mode), "PrePadding": list(layer.pre_padding),
        "PostPadding": list(layer.post_padding), "Stride": list(layer.stride_nd),
        "BlendFactor": layer.blend_factor, "AverageCountExcludesPadding": int(layer.average_count_excludes_padding),
    }


def _activation(layer: trt.IActivationLayer) -> dict[str, Any]:
    return {"ActivationType": layer.type.name, "Alpha": layer.alpha, "Beta": layer.beta}


def _elementwise(layer: trt.IElementWiseLayer) -> dict[str, Any]:
    return {"Operation": layer.op.name}


def _matrix_multiply(layer: trt.IMatrixMultiplyLayer) -> dict[str, Any]:
    return {"MatrixOpA": layer.op0.name, "MatrixOpB": layer.op1.name}


def _shuffle(layer: trt.IShuffleLayer) -> dict[str, Any]:
    dynamic = layer.num_inputs > 1 and layer.get_input(1) is not None
    # Reading reshape_dims of a reshape given as a tensor makes TensorRT log a warning; the inspector's
    # spelling for "no static reshape" is nbDims=-1.
    reshape = None if dynamic else layer.reshape_dims
    rank_in, rank_out = len(layer.get_input(0).shape), len(layer.get_output(0).shape)
    return {"FirstTranspose": list(layer.first_transpose)[:rank_in],
            "Reshape": "nbDims=-1" if reshape is None else list(reshape),
            "SecondTranspose": list(layer.second_transpose)[:rank_out],
            "ZeroIsPlaceholder": int(layer.zero_is_placeholder)}


def _softmax(layer: trt.ISoftMaxLayer) -> dict[str, Any]:
    return {"Axes": layer.axes, "HasLog": 0}


def _reduce(layer: trt.IReduceLayer) -> dict[str, Any]:
    return {"Operation": layer.op.name, "Axes": layer.axes, "KeepDims": int(layer.keep_dims)}


def _constant(layer: trt.IConstantLayer) -> dict[str, Any]:
    return {"Weights": weights_entry(np.asarray(layer.weights))}


def _unary(layer: trt.IUnaryLayer) -> dict[str, Any]:
    return {"Operation": layer.op.name}


def _cast(layer: trt.ICastLayer) -> dict[str, Any]:
    return {"ToType": layer.to_type.name}


PARAMETERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "CONVOLUTION": _convolution, "DECONVOLUTION": _deconvolution, "POOLING": _pooling,
    "ACTIVATION": _activation, "ELEMENTWISE": _elementwise, "MATRIX_MULTIPLY": _matrix_multiply,
    "SHUFFLE": _shuffle, "SOFTMAX": _softmax, "REDUCE": _reduce, "CONSTANT": _constant, "UNARY": _unary,
    "CAST": _cast,
}


def _typed(trt: Any, layer: Any) -> Any:
    """The layer as its own class (``network.get_layer`` returns the ILayer base), as Polygraphy does: the
    bindings' documented downcast is assigning ``__class__``. The attributes read afterwards are checked
    against every version's class by the conformance tests, through the annotated parameter functions."""
    kind = layer.type.name
    if kind in LAYER_CLASSES:
        layer.__class__ = getattr(trt, LAYER_CLASSES[kind])
    return layer


def _constant_behind(tensor: trt.ITensor, producers: dict[str, Any], trt: Any) -> np.ndarray | None:
    """The weights of the Constant layer that ``tensor`` comes from, through Q/DQ, shuffles and casts."""
    layer = producers.get(tensor.name)
    while layer is not None and layer.type.name in _PASS_THROUGH and layer.get_input(0) is not None:
        layer = producers.get(layer.get_input(0).name)
    if layer is None or layer.type.name != "CONSTANT":
        return None
    constant: trt.IConstantLayer = _typed(trt, layer)
    return np.asarray(constant.weights)


def _layer(trt: Any, layer: trt.ILayer, producers: dict[str, Any]) -> dict[str, Any]:
    spelled = kind(layer.type.name)
    inputs = [layer.get_input(j) for j in range(layer.num_inputs)]
    record: dict[str, Any] = {
        "Name": layer.name,
        "LayerType": spelled,
        "Inputs": [_tensor(t) for t in inputs if t is not None],
        "Outputs": [_tensor(layer.get_output(j)) for j in range(layer.num_outputs)],
        "ParameterType": spelled,
    }
    parameters = PARAMETERS.get(layer.type.name)
    if parameters is not None:
        record.update(parameters(_typed(trt, layer)))
    computes = layer.type.name != "CONSTANT" and layer.type.name not in _PASS_THROUGH
    if computes and not record.get("Weights", {}).get("Count"):
        # Weights given as tensors (a Gemm's matrix; a Q/DQ convolution's kernel as input 1, bias as input 2),
        # counted once, at the layer that computes with them (not at the shuffles and Q/DQ on their way).
        operands = inputs[1:] if layer.type.name in ("CONVOLUTION", "DECONVOLUTION") else inputs
        found = [_constant_behind(t, producers, trt) if t is not None else None for t in operands]
        constants = [w for w in found if w is not None]
        if constants:
            record["Weights"] = weights_entry(constants[0])
        if len(found) > 1 and found[1] is not None and "Bias" in record:
            record["Bias"] = weights_entry(found[1])
    if layer.metadata:
        record["Metadata"] = layer.metadata
    record["TacticValue"] = NO_TACTIC
    return record


def network_layers(trt: Any, network: trt.INetworkDefinition, opt_shapes: dict[str, tuple[int, ...]]) -> list[dict]:
    """Every layer of ``network`` as an inspector record, dimensions at ``opt_shapes`` (input name -> shape).

    The network's input shapes are set to ``opt_shapes`` while the records are read, so that TensorRT
    propagates them through every layer, and restored afterwards.
    """
    declared = {}
    for i in range(network.num_inputs):
        tensor: trt.ITensor = network.get_input(i)
        if tensor.name in opt_shapes and not tensor.is_shape_tensor:
            declared[tensor.name] = tensor.shape
            tensor.shape = opt_shapes[tensor.name]
    try:
        layers = [network.get_layer(i) for i in range(network.num_layers)]
        producers = {layer.get_output(j).name: layer for layer in layers for j in range(layer.num_outputs)}
        return [_layer(trt, layer, producers) for layer in layers]
    finally:
        for i in range(network.num_inputs):
            tensor = network.get_input(i)
            if tensor.name in declared:
                tensor.shape = declared[tensor.name]
