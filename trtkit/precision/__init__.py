"""Precision: how --fp16/--bf16/--int8/--best reach TensorRT on each flavour (builder flags on weak typing,
a converted or quantized graph on strongly typed flavours), and calibration."""
