"""``debug precision --eval DATA``: an accuracy target instead of --atol/--rtol. The reduced graph passes
when its top-1 on the first --evalSamples labelled samples, run faithfully, is within --maxAccuracyDrop
points of the FP32 model's on the same samples."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trtkit.data.tensors import TensorInfo
from trtkit.platform.errors import UsageError

if TYPE_CHECKING:
    import onnx


def model_inputs(model: onnx.ModelProto) -> list[TensorInfo]:
    from onnx import helper

    infos = []
    for value in model.graph.input:
        tensor = value.type.tensor_type
        shape = tuple(d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else -1 for d in tensor.shape.dim)
        infos.append(TensorInfo(value.name, shape, np.dtype(helper.tensor_dtype_to_np_dtype(tensor.elem_type))))
    return infos


class AccuracyTarget:
    def __init__(self, model: onnx.ModelProto, data: Path, samples: int, max_drop: float) -> None:
        from trtkit.data.labelled import batches_of, load_labelled, pipeline_for

        inputs = model_inputs(model)
        if len(inputs) != 1:
            raise UsageError(f"--eval feeds one image input; the model has {len(inputs)}")
        dataset = load_labelled(data, "test", samples)
        target = inputs[0]
        pipe = pipeline_for(target, None, dataset.white_on_black)
        batches = list(batches_of(dataset.images, target, pipe, 100))
        self.feeds = [{target.name: tensor} for tensor, _ in batches]
        self._counts = [count for _, count in batches]
        self._labels = dataset.labels
        self._output = model.graph.output[0].name
        self.source, self.max_drop = dataset.source, max_drop
        self.fp32 = self.accuracy(model)

    def accuracy(self, model: onnx.ModelProto) -> float:
        """Top-1 (percent) of ``model`` run faithfully."""
        from trtkit.backends.reference import run_all

        predicted = []
        for feeds, count in zip(self.feeds, self._counts, strict=True):
            scores = np.asarray(run_all(model, feeds, [self._output])[self._output], dtype=np.float32)
            predicted.append(np.nan_to_num(scores.reshape(scores.shape[0], -1)[:count], nan=-np.inf).argmax(axis=1))
        return 100.0 * float(np.mean(np.concatenate(predicted) == self._labels))

    def passes(self, model: onnx.ModelProto) -> bool:
        return self.accuracy(model) >= self.fp32 - self.max_drop

    def describe(self) -> str:
        return (f"top-1 on {len(self._labels)} samples of {self.source} within {self.max_drop:g} points of "
                f"FP32's {self.fp32:.2f}%")
