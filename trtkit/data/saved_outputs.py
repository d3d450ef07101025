"""``compare --saveOutputs/--loadOutputs`` (Polygraphy's flags): a reference computed once, kept with the inputs
that produced it, and reused. The file is a plain ``.npz`` that numpy opens anywhere: ``input/NAME`` and
``output/NAME`` per run, run i > 0 suffixed ``#i`` (``output/scores``, ``output/scores#1``). An ``output/NAME``
key also serves ``--loadRefOutputs=NAME:FILE.npz`` of infer and bench."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from trtkit.data.inputs import load_arrays
from trtkit.platform.errors import TrtkitError
from trtkit.platform.files import write_atomic

Saved = list[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]  # per run: (inputs, outputs)


def _key(kind: str, name: str, run: int) -> str:
    return f"{kind}/{name}" + (f"#{run}" if run else "")


def save_outputs(path: Path, runs: Saved) -> None:
    """Write every run's inputs and outputs to ``path`` atomically. BF16 arrays are widened to float32
    (exact), since .npz has no bfloat16."""
    arrays: dict[str, np.ndarray] = {}
    for i, (inputs, outputs) in enumerate(runs):
        for kind, tensors in (("input", inputs), ("output", outputs)):
            for name, array in tensors.items():
                a = np.asarray(array)
                widen = a.dtype.kind == "V" or a.dtype.name == "bfloat16"
                arrays[_key(kind, name, i)] = a.astype(np.float32) if widen else a
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_atomic(path, buffer.getvalue())


def load_outputs(path: Path) -> Saved:
    """The runs of a file :func:`save_outputs` wrote, in run order."""
    arrays = load_arrays(path)
    runs: Saved = []
    for key, array in arrays.items():
        kind, _, rest = key.partition("/")
        name, _, run = rest.partition("#")
        if kind not in ("input", "output") or not name or not (run == "" or run.isdigit()):
            raise TrtkitError(f"{path}: key {key!r} is not input/NAME or output/NAME[#RUN] (compare --saveOutputs)")
        index = int(run or 0)
        while len(runs) <= index:
            runs.append(({}, {}))
        runs[index][0 if kind == "input" else 1][name] = array
    if not runs or any(not outputs for _, outputs in runs):
        raise TrtkitError(f"{path}: holds no outputs for some run; write it with compare --saveOutputs")
    return runs
