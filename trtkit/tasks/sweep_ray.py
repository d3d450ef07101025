"""``--ray ADDRESS|local``: each point a Ray task; rows come back to the driver, which writes them as they arrive.

Ray does the scheduling and the retries: a task whose worker process dies is re-run by Ray itself
(``max_retries``; exceptions are not retried, and a point turns its own failures into rows anyway). A point
whose worker died on every attempt is an error row. TensorRT points ask for one GPU, and with ``gpu_type``
for that accelerator type (Ray's ``accelerator_type``, e.g. H100), so a plan is built and run on the GPU type
it is for; the others ask for one CPU. ray is an optional extra, imported here only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from trtkit.platform import log
from trtkit.platform.errors import TrtkitError
from trtkit.tasks.sweep_grid import Point, Settings
from trtkit.tasks.sweep_point import Binding, run_point, unrun_row

Row = dict[str, Any]


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise TrtkitError("--ray needs Ray: pip install 'trtkit[ray]' (or pip install ray)") from None
    return ray


def _attempt(ray: Any) -> int | None:
    """Which attempt of its task this is (1 = first), from Ray's core worker; None where Ray does not say."""
    try:
        return int(ray._private.worker.global_worker.core_worker.get_current_task_attempt_number()) + 1
    except AttributeError:
        return None


def _ray_point(point: Point, settings: Settings) -> Row:
    """The task body: a TensorRT point runs on the GPU Ray assigned (Ray sets CUDA_VISIBLE_DEVICES, so it is
    ordinal 0 in this worker); the row records which physical GPU that was."""
    import ray

    binding = Binding(0) if point.backend == "tensorrt" else Binding()
    row = run_point(point, settings, binding)
    if binding.ordinal is not None:
        row["gpu"] = ",".join(str(i) for i in ray.get_gpu_ids())
    row["attempts"] = _attempt(ray)
    return row


def connect(address: str) -> bool:
    """Join the cluster at ``address`` ("local": start one on this machine) unless Ray is already initialised
    in this process; True when this call started it (and the sweep should shut it down)."""
    ray = _ray()
    if ray.is_initialized():
        return False
    if address == "local":
        ray.init(include_dashboard=False, log_to_driver=False)
    else:
        try:
            ray.init(address=address, log_to_driver=False)
        except ConnectionError as e:
            raise TrtkitError(f"--ray {address}: cannot connect to the Ray cluster ({e})") from None
    return True


def _without_gpu(resources: dict[str, float], gpu_type: str | None) -> str:
    """Why the cluster cannot take a TensorRT point now ("" if it can): Ray would leave such a task pending."""
    if not resources.get("GPU"):
        return "the Ray cluster has no GPU; TensorRT points each ask for one"
    if gpu_type and f"accelerator_type:{gpu_type}" not in resources:
        types = sorted(k.split(":", 1)[1] for k in resources if k.startswith("accelerator_type:"))
        return f"--gpuType {gpu_type}: the Ray cluster has no such GPU (it has {', '.join(types) or 'none named'})"
    return ""


def run_ray(points: Sequence[Point], settings: Settings, address: str, retries: int,
            gpu_type: str | None = None) -> Iterator[Row]:
    ray = _ray()
    owned = connect(address)
    task = ray.remote(_ray_point)
    refs: dict[Any, Point] = {}
    try:
        unplaceable = _without_gpu(ray.cluster_resources(), gpu_type)
        for point in points:
            if point.backend == "tensorrt" and unplaceable:
                yield unrun_row(point, unplaceable, 0, status="skipped")
                continue
            options: dict[str, Any] = {"max_retries": retries, "retry_exceptions": False}
            if point.backend == "tensorrt":
                options["num_gpus"] = 1
                if gpu_type:
                    options["accelerator_type"] = gpu_type
            else:
                options["num_cpus"] = 1
            refs[task.options(**options).remote(point, settings)] = point
        while refs:
            (ready,), _ = ray.wait(list(refs), num_returns=1)
            point = refs.pop(ready)
            try:
                row = ray.get(ready)
            except ray.exceptions.RayError as e:
                message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                row = unrun_row(point, f"Ray lost the task after {retries + 1} attempts: {message}", retries + 1)
            if (row.get("attempts") or 1) > 1:
                log.warning(f"{point.label()}: its worker died; Ray ran it again (attempt {row['attempts']})")
            yield row
    finally:
        for ref in refs:
            ray.cancel(ref, force=True)
        if owned:
            ray.shutdown()
