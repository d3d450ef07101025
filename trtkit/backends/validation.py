"""trtexec 11.1's accuracy validation on any backend: each reference pair's inputs run once through the backend
and its outputs are checked against the pair's reference files (:mod:`trtkit.data.accuracy`). ``infer`` runs
it on its model; ``bench`` on the first iterations, before timing, as trtexec validates its first
``numRefPairs`` iterations."""

from __future__ import annotations

from collections.abc import Mapping

from trtkit.backends.base import Backend
from trtkit.data.accuracy import AccuracyOptions, TensorAccuracy, validate
from trtkit.data.feeds import InputOptions, make_runs
from trtkit.platform import log


def check_backend(
    backend: Backend, options: AccuracyOptions, shapes: Mapping[str, tuple[int, ...]] | None = None
) -> list[TensorAccuracy]:
    """Run every pair of ``options`` through ``backend`` (inputs a pair does not name get trtexec's seeded random
    data, shaped by ``shapes``) and return each reference tensor's loss; each is logged as trtexec logs it."""
    results: list[TensorAccuracy] = []
    for i, pair in enumerate(options.pairs):
        inputs = InputOptions(load_inputs=dict(pair.inputs), shapes=dict(shapes or {}))
        (run,) = make_runs(backend.inputs, inputs, random=True).runs
        for result in validate(i, backend.run(run.feeds), options):
            log.info(result.line(options))
            results.append(result)
    return results
