#!/usr/bin/env python3
"""trtkit's TensorRT data path against trtexec's own loop in C++ and bare pycuda, side by side on one GPU
(not a timed test).

Targets (the device machine's GPU; a stand-in engine that launches one real kernel per run):
  T1  the yardstick: trtkit's bench loop per iteration (Total Host Walltime / queries, trtexec's definition)
      over the same figure from scripts/trtexec_loop.cu, a C++ program with trtexec's inferenceLoop and
      IterationBase structure (three streams, depth-2 event sets, the same records, waits, query/sync and
      trace) around the same kernel, compiled here with nvcc: <= 1.10 in every mode (default,
      --noDataTransfers, --useCudaGraph, and both), as the median over repetitions of the ratio of the two
      runs made back to back in each. Needs nvcc; without it T1 is reported as not measured.
  T3  H2D and D2H of a 64 MiB tensor >= 95% of a bare pinned pycuda copy's bandwidth.
Informational: trtkit's enqueue time, each loop's GPU span of one iteration (first H2D start to last D2H end),
a bare pycuda launch loop of the same kernel (the old anchor, which records no events and so is not what
trtexec does), and the per-call cost of the driver calls and of the stand-in's enqueue.

Both loops enqueue the kernel through native code: the C++ loop launches it, and trtkit's loop calls the
stand-in context's execute_async_v3, which here is scripts/standin_enqueue.c (a CPython extension compiled
with nvcc; one C call, as TensorRT's pybind11 binding is) bound to the context's prepared launch, instead of
the stand-in's own Python around cuda-python (standin_python_execute_us shows what that would add).
trtkit's loop is timed in four configurations (default, --noDataTransfers, --useCudaGraph with and without
transfers); the per-call cost of the driver calls the loop makes is timed through pycuda, cuda-python and
ctypes, so that the rest can be attributed and the cheapest binding chosen. Every figure is the median of
--reps repetitions, the variants interleaved (A, B, A, B, ...) so that clock and thermal drift hit all of
them alike. The stand-in runs unchecked here (tests/gpu/standin_engine.py, checked=False): its
signature-checking wrapper costs Python time the real bindings do not. On a freshly started machine the
first run measures event-heavy loops several times slower: scripts/gpu_evidence.sh discards one run first.

    python3 scripts/bench_gpu.py --json bench_gpu.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for entry in (REPO, REPO / "tests", REPO / "tests" / "gpu"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

MiB = 1 << 20
COPY_BYTES = 64 * MiB


def _median(values: list[float]) -> float:
    return statistics.median(values)


class Bench:
    """Everything the measurements share: the GPU, the kernels, the engines and their runners."""

    def __init__(self, launches: int, warm_up_ms: float, native: NativeEnqueue) -> None:
        import numpy as np
        import pycuda.driver as drv
        import standin_engine as se

        from trtkit.backends.tensorrt import TensorRTBackend
        from trtkit.platform import cuda, cuda_driver

        self.np, self.drv, self.se, self.cuda, self.cuda_driver = np, drv, se, cuda, cuda_driver
        self.launches, self.warm_up_ms = launches, warm_up_ms
        self.device = cuda.Device()
        self.kernels = se.Kernels()
        rng = np.random.default_rng(0)
        self.mnist = se.make_engine(se.mnist_spec(), self.kernels, checked=False)
        self.runner = TensorRTBackend.from_engine(self.mnist, se.flavour(checked=False))
        self.mnist_feeds = {"Input3": se.mnist_input(rng)}
        count = COPY_BYTES // 4
        self.scale = se.make_engine(se.scale_spec(count), self.kernels, checked=False)
        self.copier = TensorRTBackend.from_engine(self.scale, se.flavour(checked=False))
        self.copy_feeds = {"x": rng.standard_normal(count).astype(np.float32)}
        self._bare_setup()
        context = self.runner._main.context
        self.python_execute = partial(type(context).execute_async_v3, context)  # the stand-in's own enqueue
        self.bound = native.bind(context) if native.module is not None else None

    def _bare_setup(self) -> None:
        """The same kernel launched through plain pycuda, on the same buffers as the runner's."""
        drv, cuda = self.drv, self.cuda
        self.stream = cuda.new_stream()
        execution = self.runner._main
        execution.prepare({"Input3": (1, 1, 28, 28)})
        engine = self.se.impl_of(self.mnist)
        self.function = self.kernels.pycuda.get_function("weighted_rows")
        self.function.prepare("PPPiiiP")
        self.args = (
            execution.buffers["Input3"].device, int(engine._weights), execution.buffers["Plus214_Output_0"].device,
            1, self.se.MNIST_K, self.se.MNIST_N, int(engine.launch_counter),
        )
        self.pinned = drv.pagelocked_empty(COPY_BYTES, self.np.uint8)
        self.pinned[:] = self.np.frombuffer(self.copy_feeds["x"].tobytes(), self.np.uint8)
        self.device_buffer = drv.mem_alloc(COPY_BYTES)

    # ---- launch overhead ------------------------------------------------------------------------------

    def bare_launch_us(self) -> float:
        """Per launch: a Python loop of prepared async launches of the kernel, then one sync."""
        launch, stream, args = self.function.prepared_async_call, self.stream, self.args
        grid, block = (1, 1), (32 * self.se.MNIST_N, 1, 1)
        launch(grid, block, stream, *args)
        stream.synchronize()
        start = time.perf_counter()
        for _ in range(self.launches):
            launch(grid, block, stream, *args)
        stream.synchronize()
        return (time.perf_counter() - start) / self.launches * 1e6

    def execute_us(self, native: bool) -> float:
        """Per call in a bare loop: the stand-in's execute_async_v3, native (what the bench loop enqueues when
        standin_enqueue.c compiled) or its own Python around cuda-python's launch."""
        execution = self.runner._main
        execute, handle = execution.context.execute_async_v3 if native else self.python_execute, execution.handle
        execute(handle)
        execution.stream.synchronize()
        start = time.perf_counter()
        for _ in range(self.launches):
            execute(handle)
        execution.stream.synchronize()
        return (time.perf_counter() - start) / self.launches * 1e6

    def _kernel_graph(self) -> Any:
        """A CUDA graph holding one launch of the kernel (what a bare graph replay costs)."""

        def enqueue() -> bool:
            self.function.prepared_async_call((1, 1), (32 * self.se.MNIST_N, 1, 1), self.stream, *self.args)
            return True

        graph = self.cuda_driver.CudaGraph.capture(self.stream, enqueue)
        assert graph is not None
        return graph

    def bare_graph_us(self) -> float:
        """Per replay of the one-kernel graph: cuGraphLaunch called directly from cuda-python."""
        from cuda.bindings import driver as cu

        graph = self._kernel_graph()
        try:
            launch, executable, stream = cu.cuGraphLaunch, graph.executable, graph.stream
            launch(executable, stream)
            self.stream.synchronize()
            cost = self._per_call(launch, executable, stream)
            self.stream.synchronize()
            return cost
        finally:
            graph.close()

    def trtkit_us(self, graph: bool, transfers: bool) -> tuple[float, float, float]:
        """(median enqueue time, whole iteration = walltime / queries, median GPU span of one iteration from
        H2D start to D2H end) of trtkit's bench loop, in us."""
        from trtkit.bench.device_loop import measure
        from trtkit.bench.options import BenchOptions

        options = BenchOptions(warm_up_ms=self.warm_up_ms, iterations=self.launches, duration_s=0.0,
                               no_data_transfers=not transfers, use_cuda_graph=graph, use_spin_wait=False,
                               progress=False)  # blocking sync, as the C++ loop's events
        run = measure(self.runner, self.mnist_feeds, options)
        enqueue = run.trace["endEnqMs"] - run.trace["startEnqMs"]
        gpu = run.trace["endD2HMs"] - run.trace["startH2DMs"]
        return (float(self.np.median(enqueue)) * 1e3, run.walltime_ms / len(run.trace) * 1e3,
                float(self.np.median(gpu)) * 1e3)

    def _per_call(self, call: Callable[..., Any], *args: Any) -> float:
        """Microseconds per call of ``call(*args)`` in a bare Python loop."""
        start = time.perf_counter()
        for _ in range(self.launches):
            call(*args)
        return (time.perf_counter() - start) / self.launches * 1e6

    def pycuda_event_us(self) -> tuple[float, float, float, float]:
        """Per call through pycuda, as the loop makes them: (Event.record, time_since of two completed events,
        query and synchronize of a completed blocking-sync event)."""
        stream = self.stream
        first, second = self.cuda.new_event(), self.cuda.new_event()
        record = self._per_call(first.record, stream)
        second.record(stream)
        second.synchronize()
        return (record, self._per_call(second.time_since, first), self._per_call(second.query),
                self._per_call(second.synchronize))

    def pycuda_not_ready_us(self) -> float:
        """Per read of an unfinished event through pycuda, its RuntimeError raised and caught: what the loop
        pays when the oldest iteration has not finished yet, before it waits (behind a 50 ms kernel)."""
        drv, stream = self.drv, self.stream
        spin = self.kernels.pycuda.get_function("spin")
        spin.prepare("q")
        clock_khz = drv.Device(0).get_attribute(drv.device_attribute.CLOCK_RATE)
        first, second = self.cuda.new_event(), self.cuda.new_event()
        first.record(stream)
        spin.prepared_async_call((1, 1), (1, 1, 1), stream, clock_khz * 50)
        second.record(stream)
        not_ready = drv.RuntimeError

        def read() -> float:
            try:  # as the loop's sync reads it
                return second.time_since(first)
            except not_ready:
                return -1.0

        cost = self._per_call(read)
        if second.query():
            raise RuntimeError("the 50 ms kernel finished before the reads did: the figure mixes finished reads")
        stream.synchronize()
        return cost

    @staticmethod
    def _cu_events(count: int) -> list[Any]:
        """``count`` blocking-sync timing events made through cuda-python (what the per-call figures of the other
        bindings time; the loop's own events are pycuda's)."""
        from cuda.bindings import driver as cu

        from trtkit.platform.cuda_driver import check

        return [check(cu.cuEventCreate(1), "cuEventCreate") for _ in range(count)]  # 1: CU_EVENT_BLOCKING_SYNC

    def cuda_python_event_us(self) -> tuple[float, float, float]:
        """Per call through cuda-python: (cuEventRecord of a blocking-sync event, cuEventElapsedTime and
        cuEventQuery of completed events), beside pycuda's, which the loop uses."""
        from cuda.bindings import driver as cu

        first, second = self._cu_events(2)
        stream = cu.CUstream(self.stream.handle)
        try:
            record = self._per_call(cu.cuEventRecord, first, stream)
            cu.cuEventRecord(second, stream)
            cu.cuEventSynchronize(second)
            return (record, self._per_call(cu.cuEventElapsedTime, first, second),
                    self._per_call(cu.cuEventQuery, second))
        finally:
            cu.cuEventDestroy(first)
            cu.cuEventDestroy(second)

    def ctypes_us(self) -> tuple[float, float]:
        """Per call through ctypes, argument types set once: (libc labs, the floor of any ctypes call;
        libcuda's cuEventElapsedTime of completed events). Why the loop does not use ctypes."""
        import ctypes

        from cuda.bindings import driver as cu

        libc, libcuda = ctypes.CDLL(None), ctypes.CDLL("libcuda.so.1")
        labs, elapsed = libc.labs, libcuda.cuEventElapsedTime
        labs.argtypes, labs.restype = [ctypes.c_long], ctypes.c_long
        elapsed.argtypes, elapsed.restype = [ctypes.c_void_p] * 3, ctypes.c_int
        first, second = self._cu_events(2)
        stream = cu.CUstream(self.stream.handle)
        try:
            cu.cuEventRecord(first, stream)
            cu.cuEventRecord(second, stream)
            cu.cuEventSynchronize(second)
            ms = ctypes.c_float()
            return self._per_call(labs, 5), self._per_call(elapsed, ctypes.addressof(ms), int(first), int(second))
        finally:
            cu.cuEventDestroy(first)
            cu.cuEventDestroy(second)

    # ---- bandwidth --------------------------------------------------------------------------------------

    def bare_copy_gbps(self, copies: int = 20) -> tuple[float, float]:
        """(H2D, D2H) GB/s of a pinned 64 MiB pycuda async copy, timed with events (median of ``copies``)."""
        drv, stream = self.drv, self.stream
        start, end = drv.Event(), drv.Event()

        def timed(copy: Callable[[], None]) -> float:
            samples = []
            for _ in range(copies):
                start.record(stream)
                copy()
                end.record(stream)
                end.synchronize()
                samples.append(end.time_since(start))
            return COPY_BYTES / (_median(samples) * 1e-3) / 1e9

        h2d = timed(lambda: drv.memcpy_htod_async(self.device_buffer, self.pinned, stream))
        d2h = timed(lambda: drv.memcpy_dtoh_async(self.pinned, self.device_buffer, stream))
        return h2d, d2h

    def trtkit_copy_gbps(self, iterations: int = 20) -> tuple[float, float]:
        """(H2D, D2H) GB/s from trtkit's bench trace of the 64 MiB stand-in engine (median per phase)."""
        from trtkit.bench.device_loop import measure
        from trtkit.bench.options import BenchOptions

        run = measure(self.copier, self.copy_feeds, BenchOptions(warm_up_ms=0.0, iterations=iterations,
                                                                  duration_s=0.0, no_data_transfers=False,
                                                                  use_cuda_graph=False, progress=False))
        h2d = float(self.np.median(run.trace["endH2DMs"] - run.trace["startH2DMs"]))
        d2h = float(self.np.median(run.trace["endD2HMs"] - run.trace["startD2HMs"]))
        return COPY_BYTES / (h2d * 1e-3) / 1e9, COPY_BYTES / (d2h * 1e-3) / 1e9

    def check_outputs(self) -> None:
        """The timed paths computed the right thing (so the numbers are not those of a broken path)."""
        np = self.np
        out = self.runner.run(self.mnist_feeds)["Plus214_Output_0"]
        np.testing.assert_array_equal(out, self.se.mnist_expected(self.mnist, self.mnist_feeds["Input3"]))
        y = self.copier.run(self.copy_feeds)["y"]
        np.testing.assert_array_equal(y, 2 * self.copy_feeds["x"])

    def close(self) -> None:
        self.device_buffer.free()
        self.pinned.base.free()
        self.runner.close()
        self.copier.close()
        self.se.free_engine(self.mnist)
        self.se.free_engine(self.scale)
        self.kernels.close()
        self.device.close()


class NativeEnqueue:
    """scripts/standin_enqueue.c, a CPython extension compiled here with nvcc, bound to the stand-in MNIST
    context's prepared kernel launch as its ``execute_async_v3``: one C call, as TensorRT's pybind11 binding
    is, so that trtkit's loop and the C++ loop enqueue the same kernel through native code. Without nvcc,
    Python's headers or a successful build the stand-in keeps its Python enqueue, and the report says so."""

    SOURCE = REPO / "scripts" / "standin_enqueue.c"

    def __init__(self, directory: str) -> None:
        import sysconfig

        self.module: Any = None
        self.why = ""
        nvcc = shutil.which("nvcc")
        include = sysconfig.get_paths()["include"]
        if nvcc is None or not (Path(include) / "Python.h").exists():
            self.why = "nvcc" if nvcc is None else f"Python.h (not in {include})"
            return
        stubs = Path(nvcc).resolve().parents[1] / "lib64" / "stubs"
        target = Path(directory) / f"standin_enqueue{sysconfig.get_config_var('EXT_SUFFIX')}"
        built = subprocess.run([nvcc, "-O2", "-shared", "-Xcompiler", "-fPIC", "-I", include, "-L", str(stubs),
                                "-lcuda", "-o", str(target), str(self.SOURCE)], capture_output=True, text=True)
        if built.returncode:
            last = (built.stderr.strip().splitlines() or ["nvcc failed"])[-1]
            self.why = f"{self.SOURCE.name} build: {last}"
            return
        sys.path.insert(0, directory)
        import standin_enqueue

        self.module = standin_enqueue

    def bind(self, context: Any) -> tuple[Any, ...]:
        """Make ``context.execute_async_v3`` the native launch of its prepared kernel (the stand-in's profiler
        and ``executions`` bookkeeping are skipped; the bench uses neither); returns what must stay alive: the
        launch, whose argument storage the C struct points at, and the struct."""
        import ctypes

        class Prepared(ctypes.Structure):
            _fields_ = [("function", ctypes.c_void_p), ("grid", ctypes.c_uint), ("block", ctypes.c_uint),
                        ("params", ctypes.c_void_p)]

        launch = context._launch or context._prepare()
        if launch is None or not hasattr(launch, "params"):
            raise RuntimeError("the MNIST stand-in context should prepare exactly one kernel launch")
        prepared = Prepared(int(launch.function), launch.grid, launch.block, launch.params)
        context.execute_async_v3 = partial(self.module.launch, ctypes.addressof(prepared))
        return launch, prepared

    @staticmethod
    def check_bound(context: Any, bound: tuple[Any, ...]) -> None:
        """Raise when the launch the context would prepare now (after every shape, profile and address the runs
        set) differs from the bound one: the native enqueue would have launched on stale arguments."""
        def key(launch: Any) -> tuple[Any, ...]:
            return int(launch.function), launch.grid, launch.block, [v.tolist() for v in launch._values]

        now = context._prepare()
        if now is None or key(now) != key(bound[0]):
            raise RuntimeError("the stand-in context changed after its enqueue was bound natively: figures void")


class TrtexecLoop:
    """scripts/trtexec_loop.cu compiled once with nvcc; each call runs one mode in a fresh process."""

    SOURCE = REPO / "scripts" / "trtexec_loop.cu"

    def __init__(self, launches: int, warm_up_ms: float) -> None:
        self.launches, self.warm_up_ms = launches, warm_up_ms
        self.dir = tempfile.mkdtemp(prefix="trtexec-loop-")
        self.binary = Path(self.dir) / "trtexec_loop"
        nvcc = shutil.which("nvcc")
        self.available = nvcc is not None
        if nvcc is not None:
            import standin_engine

            (Path(self.dir) / "standin_kernels.cuh").write_text(standin_engine.KERNELS)  # the very same kernel
            subprocess.run([nvcc, "-O2", "-arch=native", "-I", self.dir, "-o", str(self.binary), str(self.SOURCE)],
                           check=True)

    def run(self, mode: str) -> dict[str, Any]:
        done = subprocess.run([str(self.binary), "--mode", mode, "--iterations", str(self.launches),
                               "--warmUp", str(self.warm_up_ms)], capture_output=True, text=True, check=True,
                              timeout=120)
        result = json.loads(done.stdout)
        assert result["output0"] == 784.0, result  # the kernel ran on the data: 784 ones times weights of 1
        return result

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


CONFIGS = {  # trtkit's loop: name -> (--useCudaGraph, data transfers)
    "default": (False, True),
    "nodt": (False, False),
    "graph_nodt": (True, False),
    "graph": (True, True),
}


def measure(bench: Bench, cpp: TrtexecLoop, reps: int) -> dict[str, list[float]]:
    """Every variant once per repetition, in the same order each time (interleaved)."""
    samples: dict[str, list[float]] = {}

    def add(**values: float) -> None:
        for name, value in values.items():
            samples.setdefault(name, []).append(value)

    for _ in range(reps):
        add(bare_launch_us=bench.bare_launch_us(), standin_python_execute_us=bench.execute_us(native=False))
        if bench.bound is not None:
            add(standin_native_execute_us=bench.execute_us(native=True))
        for name, (graph, transfers) in CONFIGS.items():
            enqueue, iteration, gpu = bench.trtkit_us(graph, transfers)
            add(**{f"trtkit_{name}_enqueue_us": enqueue, f"trtkit_{name}_iteration_us": iteration,
                   f"trtkit_{name}_gpu_us": gpu})
            if cpp.available:
                result = cpp.run(name)
                add(**{f"trtexec_cpp_{name}_{figure}_us": result[f"{figure}_us"]
                       for figure in ("enqueue", "iteration", "gpu")})
        add(bare_graph_launch_us=bench.bare_graph_us())
        record, elapsed, query, sync = bench.pycuda_event_us()
        add(pycuda_record_us=record, pycuda_elapsed_us=elapsed, pycuda_query_done_us=query, pycuda_sync_done_us=sync,
            pycuda_elapsed_not_ready_us=bench.pycuda_not_ready_us())
        record, elapsed, query = bench.cuda_python_event_us()
        add(cuda_python_record_us=record, cuda_python_elapsed_us=elapsed, cuda_python_query_done_us=query)
        call, elapsed = bench.ctypes_us()
        add(ctypes_call_us=call, ctypes_elapsed_us=elapsed)
        h2d, d2h = bench.bare_copy_gbps()
        add(bare_h2d_gbps=h2d, bare_d2h_gbps=d2h)
        h2d, d2h = bench.trtkit_copy_gbps()
        add(trtkit_h2d_gbps=h2d, trtkit_d2h_gbps=d2h)
    return samples


def paired_ratio(samples: dict[str, list[float]], numerator: str, denominator: str) -> float:
    """The median over repetitions of numerator/denominator, each pair measured back to back in one
    repetition (drift between repetitions cancels within a pair)."""
    return _median([a / b for a, b in zip(samples[numerator], samples[denominator], strict=True)])


def targets(m: dict[str, float], samples: dict[str, list[float]]) -> list[dict[str, Any]]:
    """The targets as rows: what is compared, the measured value, the limit, and PASS/FAIL."""
    rows = [
        (f"T1 {name} iteration trtkit/trtexec-C++", paired_ratio(samples, f"trtkit_{name}_iteration_us", key), "<=",
         1.10)
        for name in CONFIGS
        if (key := f"trtexec_cpp_{name}_iteration_us") in samples
    ]
    rows += [
        ("T3 H2D trtkit/bare", m["trtkit_h2d_gbps"] / m["bare_h2d_gbps"], ">=", 0.95),
        ("T3 D2H trtkit/bare", m["trtkit_d2h_gbps"] / m["bare_d2h_gbps"], ">=", 0.95),
    ]
    return [
        {"target": name, "value": value, "limit": f"{op} {limit:g}",
         "pass": value <= limit if op == "<=" else value >= limit}
        for name, value, op, limit in rows
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, required=True, help="write the numbers and verdicts here")
    parser.add_argument("--reps", type=int, default=7, help="interleaved repetitions (median reported)")
    parser.add_argument("--launches", type=int, default=3000, help="launches per launch-overhead sample and "
                        "timed iterations per loop sample")
    parser.add_argument("--warmUp", type=float, default=20.0, dest="warm_up_ms",
                        help="ms of each loop sample run but not reported (both loops, trtexec's --warmUp)")
    args = parser.parse_args(argv)
    cpp = TrtexecLoop(args.launches, args.warm_up_ms)
    if not cpp.available:
        print("nvcc not found: T1 (trtexec's loop in C++) is not measured", file=sys.stderr)
    native = NativeEnqueue(cpp.dir)
    enqueue = "native (standin_enqueue.c)" if native.module is not None else f"Python (no {native.why})"
    bench = Bench(args.launches, args.warm_up_ms, native)
    try:
        bench.check_outputs()
        samples = measure(bench, cpp, args.reps)
        bench.check_outputs()
        if bench.bound is not None:
            native.check_bound(bench.runner._main.context, bench.bound)
        return report(samples, bench.device.name, enqueue, args)
    finally:
        cpp.close()
        bench.close()


def report(samples: dict[str, list[float]], device_name: str, enqueue: str, args: argparse.Namespace) -> int:
    """Print the table and verdicts, write the JSON; exit status 1 when a target is missed."""
    from trtkit.platform.files import write_atomic

    medians = {name: _median(values) for name, values in samples.items()}
    # What trtkit's loop adds around the enqueue (the native execute_async_v3, or the graph launch):
    # informational; no target.
    derived = {
        "trtkit_nodt_iteration_minus_enqueue_us": ("trtkit_nodt_iteration_us", "trtkit_nodt_enqueue_us"),
        "trtkit_graph_nodt_iteration_minus_enqueue_us": ("trtkit_graph_nodt_iteration_us",
                                                         "trtkit_graph_nodt_enqueue_us"),
    }
    for name, (minuend, subtrahend) in derived.items():
        medians[name] = medians[minuend] - medians[subtrahend]
    verdicts = targets(medians, samples)
    print(f"\n{device_name}: medians of {args.reps} interleaved repetitions; the stand-in's enqueue: {enqueue}")
    for name, value in medians.items():
        spread = f"{min(samples[name]):.2f}..{max(samples[name]):.2f}" if name in samples else "derived"
        print(f"  {name:46s} {value:9.2f}   ({spread})")
    print()
    for row in verdicts:
        print(f"  {row['target']:46s} {row['value']:8.3f}  {row['limit']:8s}  {'PASS' if row['pass'] else 'FAIL'}")
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device": device_name,
        "reps": args.reps,
        "standin_enqueue": enqueue,
        "launches_per_sample": args.launches,
        "warm_up_ms": args.warm_up_ms,
        "copy_bytes": COPY_BYTES,
        "medians": medians,
        "samples": samples,
        "targets": verdicts,
    }
    write_atomic(args.json, json.dumps(result, indent=2).encode())
    return 0 if all(row["pass"] for row in verdicts) else 1

if __name__ == "__main__":
    sys.exit(main())
