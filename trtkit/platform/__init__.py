"""The platform under everything: the one TensorRT import point (flavour, version), the CUDA plumbing,
file writing, errors and the log. Nothing here imports the rest of trtkit."""
