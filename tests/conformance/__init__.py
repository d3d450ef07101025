"""Conformance of trtkit's TensorRT calls to the real bindings of every supported version (see README.md)."""
