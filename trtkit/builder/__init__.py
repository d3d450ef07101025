"""The build side: ONNX parser -> network -> builder config (pools, profiles, timing cache) -> plan."""
