"""The ``reference`` backend: runs an ONNX graph on the CPU storing every tensor in its declared type, as
TensorRT's strongly typed kernels do (FP16 overflow -> inf, BF16 rounding, INT8 Q/DQ exact).

It is what trtkit uses to judge a reduced-precision graph (``compare``, ``eval``, ``build --eval``, the
accuracy gate). The arithmetic is ONNX Runtime's FP32 kernels on the rewrite of
:mod:`trtkit.backends.faithful`; ``docs/precision.md`` says why this and not ``onnx.reference`` (measured by
``scripts/bench_faithful.py``). :func:`run_all` returns every intermediate tensor, faithfully, for per-layer
diagnosis.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trtkit.backends.base import Backend
from trtkit.backends.faithful import FaithfulGraph, faithful_graph, reduced_types
from trtkit.backends.onnxruntime import SEVERITY, ort_message
from trtkit.data.feeds import check_feeds
from trtkit.data.models import check_onnx_model
from trtkit.data.tensors import TensorInfo
from trtkit.platform.errors import TrtkitError, UsageError

if TYPE_CHECKING:
    import onnx
    import onnxruntime



def _require() -> None:
    """One line instead of a traceback when the precision extra is missing."""
    import importlib.util

    missing = [m for m in ("onnx", "onnxruntime", "ml_dtypes") if importlib.util.find_spec(m) is None]
    if missing:
        raise TrtkitError(f"the reference backend needs {', '.join(missing)}: pip install 'trtkit[precision]'")


class _Runner:
    """An ONNX Runtime session over a faithful graph, with feeds widened to FP32 and results narrowed back to
    their declared types (exact both ways: the values already fit the declared type)."""

    def __init__(self, graph: FaithfulGraph, outputs: Sequence[str], threads: int = 0, verbosity: int = 0) -> None:
        import onnxruntime as ort
        from onnx import TensorProto, helper

        self.graph = graph
        model = graph.model
        del model.graph.output[:]
        for name in outputs:
            if name not in graph.declared:
                raise TrtkitError(f"tensor {name!r}: not in the model, or ONNX shape inference cannot type it")
            elem = TensorProto.FLOAT if graph.is_reduced(name) else graph.declared[name]
            model.graph.output.append(helper.make_empty_tensor_value_info(name))
            model.graph.output[-1].type.tensor_type.elem_type = elem
        options = ort.SessionOptions()
        # Off, so that no fusion or cast elimination removes a rounding pair or fuses Q/DQ into integer kernels.
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        options.intra_op_num_threads = threads
        options.log_severity_level = SEVERITY[max(-2, min(2, verbosity))]
        try:
            self.session: onnxruntime.InferenceSession = ort.InferenceSession(
                model.SerializeToString(), options, providers=["CPUExecutionProvider"]
            )
        except Exception as e:  # ONNX Runtime's exceptions derive from Exception only
            raise TrtkitError(f"the reference backend cannot load the rewritten graph: {ort_message(e)}") from None
        self.outputs = list(outputs)
        types = reduced_types()
        self._narrow = {n: types[graph.declared[n]] for n in self.outputs if graph.is_reduced(n)}

    def widen(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        types = reduced_types()
        return {
            name: np.asarray(a).astype(types[self.graph.declared[name]]).astype(np.float32)
            if self.graph.is_reduced(name) else np.asarray(a)
            for name, a in feeds.items()
        }  # fmt: skip

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        try:
            results = self.session.run(self.outputs, self.widen(feeds))
        except Exception as e:
            raise TrtkitError(f"the reference backend failed to run: {' '.join(str(e).split())}") from None
        return {
            n: r.astype(self._narrow[n]) if n in self._narrow else r for n, r in zip(self.outputs, results, strict=True)
        }


def node_outputs(model: onnx.ModelProto) -> list[str]:
    """Every tensor a node of the main graph produces, in the graph's (topological) order."""
    return [name for node in model.graph.node for name in node.output if name]


def run_all(
    model: onnx.ModelProto, feeds: Mapping[str, np.ndarray], outputs: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """Run ``model`` faithfully once and return the tensors named in ``outputs``, or with ``outputs=None``
    every node output whose type ONNX shape inference knows, in topological order. Arrays come back in
    their declared types (float16, ml_dtypes.bfloat16, int8...)."""
    _require()
    graph = faithful_graph(model)
    names = list(outputs) if outputs is not None else [n for n in node_outputs(model) if n in graph.declared]
    return _Runner(graph, names).run(feeds)


class ReferenceBackend(Backend):
    """The faithful CPU runner behind trtkit's Backend interface; inputs and outputs keep their declared
    types (an FP16-I/O graph takes and returns float16). ``flavor`` is accepted and ignored, as by ONNX
    Runtime, so that callers pass one set of options to whichever backend they open."""

    name = "reference"

    def __init__(
        self,
        path: str | Path,
        *,
        device: str = "cpu",
        intra_op_threads: int = 0,
        verbosity: int = 0,
        flavor: str | None = None,
    ) -> None:
        _require()
        import onnx

        self.path = Path(path)
        check_onnx_model(self.path)  # readable, an opset onnx knows, external data present
        if device != "cpu":
            raise UsageError(f"--device {device}: the reference backend runs on the CPU only (--device cpu)")
        try:
            model = onnx.load(str(self.path))
        except Exception as e:  # protobuf's DecodeError and onnx's own errors share no base class
            raise TrtkitError(f"{self.path}: not a valid ONNX model ({e.__class__.__name__}); check the file") from None
        initializers = {i.name for i in model.graph.initializer}
        self.inputs = tuple(_info(v) for v in model.graph.input if v.name not in initializers)
        self.outputs = tuple(_info(v) for v in model.graph.output)
        try:
            self._runner: _Runner | None = _Runner(
                faithful_graph(model), [o.name for o in self.outputs], intra_op_threads, verbosity
            )
        except TrtkitError as e:
            raise TrtkitError(f"{self.path}: {e}") from None

    @property
    def runner(self) -> _Runner:
        if self._runner is None:
            raise TrtkitError(f"{self.path}: the reference backend is closed")
        return self._runner

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        check_feeds(self.inputs, feeds)
        try:
            return self.runner.run(feeds)
        except TrtkitError as e:
            raise TrtkitError(f"{self.path}: {e}") from None

    def bind(self, feeds: Mapping[str, np.ndarray]) -> Callable[[], object]:
        """``session.run`` on feeds widened once, so that host timing loops measure the model only."""
        check_feeds(self.inputs, feeds)
        return functools.partial(self.runner.session.run, self.runner.outputs, self.runner.widen(feeds))

    def close(self) -> None:
        self._runner = None


def _info(value: onnx.ValueInfoProto) -> TensorInfo:
    """Declared name, shape (symbolic or unknown dimensions -> -1) and numpy dtype of a graph input/output."""
    from onnx import helper

    if not value.type.HasField("tensor_type"):
        raise TrtkitError(f"{value.name!r} is not a tensor; trtkit runs models whose inputs and outputs are tensors")
    tensor = value.type.tensor_type
    shape = tuple(d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else -1 for d in tensor.shape.dim)
    dtype = reduced_types().get(tensor.elem_type) or np.dtype(helper.tensor_dtype_to_np_dtype(tensor.elem_type))
    return TensorInfo(value.name, shape, dtype)
