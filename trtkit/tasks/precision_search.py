"""The search of ``trtkit debug precision``: a small set of layers to keep in FP32 so that the reduced graph
meets the tolerance, found by bisection over the topological order and then pruned.

Each round bisects for the shortest prefix of the candidate layers that, kept in FP32 together with the
layers found so far, passes; the prefix's last layer is a culprit (without it the prefix failed) and joins
the keep set. Rounds repeat until the keep set alone passes, so k culprits cost about k*log2(n) faithful
runs instead of n. Pruning then drops every layer the others made unnecessary. The search assumes that
keeping more layers in FP32 never hurts (true of overflow and rounding, the failures it is for); where even
every candidate kept in FP32 fails, it says so instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class SearchResult:
    keep: list[str]  # the layers to keep in FP32, in topological order
    passes: bool  # the reduced graph with ``keep`` in FP32 meets the tolerance
    passes_without_keep: bool  # it already did with nothing kept
    evaluations: int  # faithful runs of the reduced graph the search made
    rounds: list[str] = field(default_factory=list)  # culprit found by each bisection round


class _Cached:
    """``passes`` memoised by keep set, counting real evaluations (the progress bar's unit)."""

    def __init__(self, passes: Callable[[frozenset[str]], bool], tick: Callable[[], None]) -> None:
        self._passes, self._tick, self._seen = passes, tick, {}  # type: ignore[var-annotated]
        self.count = 0

    def __call__(self, keep: frozenset[str]) -> bool:
        if keep not in self._seen:
            self._seen[keep] = self._passes(keep)
            self.count += 1
            self._tick()
        return self._seen[keep]


def find_keep(candidates: Sequence[str], passes: Callable[[frozenset[str]], bool],
              tick: Callable[[], None] = lambda: None) -> SearchResult:
    """A small subset of ``candidates`` (topological order) for which ``passes`` holds; see the module doc."""
    check = _Cached(passes, tick)
    order = {name: i for i, name in enumerate(candidates)}
    keep: frozenset[str] = frozenset()
    if check(keep):
        return SearchResult([], True, True, check.count)
    if not check(frozenset(candidates)):
        return SearchResult(list(candidates), False, False, check.count)
    rounds: list[str] = []
    while not check(keep):
        lo, hi = 0, len(candidates)  # keep | prefix(lo) fails, keep | prefix(hi) passes
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if check(keep | frozenset(candidates[:mid])):
                hi = mid
            else:
                lo = mid
        culprit = candidates[hi - 1]
        rounds.append(culprit)
        keep = keep | {culprit}
    for name in sorted(keep, key=order.__getitem__):
        if len(keep) > 1 and check(keep - {name}):
            keep = keep - {name}
    return SearchResult(sorted(keep, key=order.__getitem__), True, False, check.count, rounds)
