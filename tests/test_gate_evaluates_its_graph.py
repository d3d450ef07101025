"""The accuracy gate (``build --eval``) measures the graph it is handed, not the FP32 file beside it.

A converted FP16 graph with its weights zeroed predicts one class for every image; the gate must report that
collapse. Were it to run the original model instead, the "reduced" accuracy would equal FP32's and the FP16
gate of tests/test_accuracy_gate.py could never fail. (ONNX Runtime's CPU kernels compute FP16 graphs in FP32,
so this checks which graph is evaluated, not FP16 arithmetic.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trtkit.precision.prepare import PreparedModel

pytest.importorskip("onnxruntime", reason="the gate runs ONNX Runtime (pip install 'trtkit[precision]')")
pytest.importorskip("onnxconverter_common", reason="the gate converts graphs (pip install 'trtkit[precision]')")


def test_gate_reports_the_accuracy_of_the_handed_graph(model: Path, mnist_dir: Path) -> None:
    import numpy as np
    import onnx
    from onnx import numpy_helper

    from trtkit.precision.convert import convert_float, load_model
    from trtkit.tasks.accuracy import compare_precisions

    graph = onnx.load_model_from_string(convert_float(load_model(model), "fp16"))
    assert any(t.data_type == onnx.TensorProto.FLOAT16 for t in graph.graph.initializer)
    for i, weights in enumerate(graph.graph.initializer):
        zeros = np.zeros_like(numpy_helper.to_array(weights))
        graph.graph.initializer[i].CopyFrom(numpy_helper.from_array(zeros, weights.name))
    poisoned = PreparedModel(graph.SerializeToString(), (), None, "FP16 (weights zeroed)")
    comparison = compare_precisions(model, poisoned, mnist_dir, limit=300)
    assert comparison.reference.accuracy > 95.0
    assert comparison.reduced is not None and comparison.reduced.accuracy < 20.0, comparison.summary()
