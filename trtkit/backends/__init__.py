"""Backends: anything that runs a batch of named numpy arrays (TensorRT on pycuda, ONNX Runtime).

infer, bench, compare and eval talk only to :class:`trtkit.backends.base.Backend`.
"""
