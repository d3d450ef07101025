"""bench --exportLayerInfo and --exportProfile from one TensorRT run on a real GPU: the engine inspector is
given the context that was measured (so a dynamic engine's dimensions are the ones that ran, not -1), and
the two files name the same layers, so TensorRT Engine Explorer joins the profile to the layer table."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from standin_engine import mnist_input, mnist_spec

from trtkit.bench.benchmark import BenchResult
from trtkit.bench.device_loop import measure
from trtkit.bench.export import unjoined_profile_names, write_exports
from trtkit.bench.options import BenchOptions
from trtkit.bench.stats import summarize

pytestmark = pytest.mark.gpu
Runners = Callable[..., tuple[Any, Any]]


def test_layer_info_and_profile_of_one_run_join(runner_factory: Runners, rng: np.random.Generator,
                                                tmp_path: Path) -> None:
    _, backend = runner_factory(mnist_spec(dynamic=True))
    x = mnist_input(rng, batch=5)
    graph, profile = tmp_path / "m.graph.json", tmp_path / "m.profile.json"
    options = BenchOptions(warm_up_ms=0.0, iterations=10, duration_s=0.0, progress=False, export_profile=profile,
                           export_layer_info=graph)
    run = measure(backend, {"input": x}, options)
    summary = summarize(run.trace, run.walltime_ms, options.percentiles)
    write_exports(BenchResult(Path("standin.plan"), backend.name, True, {"input": x.shape}, run, summary, options),
                  options)
    info = json.loads(graph.read_text())
    layer = info["Layers"][0]
    assert layer["Inputs"][0]["Dimensions"] == [5, 1, 28, 28], "the engine declares -1: the context's shape"
    assert layer["Outputs"][0]["Dimensions"] == [5, 10]
    assert info["Source"] == "engine inspector" and info["Bindings"] == ["input", "scores"]
    records = json.loads(profile.read_text())
    names = [r["name"] for r in records if len(r) in (4, 5)]  # trex's read_profiling_file
    assert names == [layer["Name"] for layer in info["Layers"]] == ["weighted_rows"]
    assert unjoined_profile_names(info, names) == []
