"""cuda-python's driver API (``cuda.bindings.driver``): the CUDA graphs of the bench loop (--useCudaGraph),
which pycuda cannot give (it has no graph API). Works on pycuda's streams through their handles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trtkit.platform.errors import TrtkitError

CUDA_PYTHON_HINT = "pip install cuda-bindings (cuda-python's driver API: the bench loop's CUDA graphs)"


def driver_api() -> Any:
    """``cuda.bindings.driver`` (cuda-python), for stream capture and graph launch."""
    try:
        from cuda.bindings import driver as cu
    except ImportError:
        why = "CUDA graphs (--useCudaGraph, trtexec 11's default) need cuda-python"
        raise TrtkitError(f"{why}: {CUDA_PYTHON_HINT}") from None
    return cu


def driver_error(err: Any, call: str) -> TrtkitError:
    """A failed driver call as one line: the call, CUDA's description and name of the error (the graph launch
    compares the CUresult itself and raises this, which costs nothing when the call succeeded)."""
    known, text = driver_api().cuGetErrorString(err)
    reason = text.decode() if not int(known) and isinstance(text, bytes) else "unknown error"
    return TrtkitError(f"{call} failed: {reason} ({getattr(err, 'name', err)})")


def check(result: tuple[Any, ...], what: str) -> Any:
    """Unpack a cuda-python ``(CUresult, value...)`` tuple, raising on any error."""
    err, *values = result
    if err != driver_api().CUresult.CUDA_SUCCESS:
        raise driver_error(err, what)
    return values[0] if len(values) == 1 else tuple(values)


class CudaGraph:
    """Work captured from a stream once and replayed with one launch (cuGraphLaunch).

    Capture mode is thread-local, as in trtexec. pycuda streams are captured through their handle;
    ``executable`` and ``stream`` are the cuda-python handles, for loops that launch the graph themselves.
    """

    def __init__(self, graph: Any, executable: Any, stream: Any) -> None:
        self._graph = graph
        self.executable = executable
        self.stream = stream
        cu = driver_api()
        self._launch = cu.cuGraphLaunch
        self._success = cu.CUresult.CUDA_SUCCESS

    @classmethod
    def capture(cls, stream: Any, work: Callable[[], bool]) -> CudaGraph | None:
        """Capture what ``work()`` enqueues on ``stream``; None when ``work`` returns False or the capture is
        invalidated (work that may not run under capture, as trtexec handles it)."""
        cu = driver_api()
        handle = cu.CUstream(stream.handle)
        mode = cu.CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL
        check(cu.cuStreamBeginCapture(handle, mode), "cuStreamBeginCapture")
        try:
            ok = work()
        except BaseException:
            _destroy_partial(cu, cu.cuStreamEndCapture(handle)[1])
            raise
        err, graph = cu.cuStreamEndCapture(handle)
        if not ok or err != cu.CUresult.CUDA_SUCCESS:
            _destroy_partial(cu, graph)
            return None
        try:
            executable = check(cu.cuGraphInstantiate(graph, 0), "cuGraphInstantiate")
        except TrtkitError:
            cu.cuGraphDestroy(graph)
            raise
        return cls(graph, executable, handle)

    def launch(self) -> bool:
        """Replay once on the captured stream (True, like an enqueue that succeeded)."""
        err, = self._launch(self.executable, self.stream)
        if err != self._success:
            raise driver_error(err, "cuGraphLaunch")
        return True

    def close(self) -> None:
        if self.executable is None:
            return
        cu = driver_api()
        check(cu.cuGraphExecDestroy(self.executable), "cuGraphExecDestroy")
        check(cu.cuGraphDestroy(self._graph), "cuGraphDestroy")
        self.executable = self._graph = None


def _destroy_partial(cu: Any, graph: Any) -> None:
    """Free the graph an abandoned capture may have produced."""
    if graph is not None and int(graph):
        cu.cuGraphDestroy(graph)
