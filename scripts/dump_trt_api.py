"""Write tests/data/tensorrt{10,11}_runtime_api.json from the real TensorRT bindings (downloaded once).

These files are the real 10.x/11.x signatures of the runtime classes the GPU stand-in (tests/standin.py)
imitates; tests/conformance checks they match the live bindings. Run after changing the pinned versions in
tests/conformance/bindings.py:

    python scripts/dump_trt_api.py            # rewrite the two JSON files
    python scripts/dump_trt_api.py --usages   # list every TensorRT usage in trtkit/ and its problems, per version
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from conformance.bindings import TARGETS, Unavailable, surface_json  # noqa: E402
from conformance.check import problem  # noqa: E402
from conformance.collect import collect  # noqa: E402
from conformance.runtime_api import RUNTIME_API_FILES, dumps, runtime_api  # noqa: E402
from conformance.surface import Surface  # noqa: E402


def write_runtime_api() -> None:
    for flavour, relative in sorted(RUNTIME_API_FILES.items()):
        target = next(t for t in reversed(TARGETS) if t.flavour == flavour)  # the newest of the flavour
        (REPO / relative).write_text(dumps(runtime_api(surface_json(target))))
        print(f"wrote {relative} ({target.label})")


def list_usages() -> None:
    for target in TARGETS:
        surface = Surface(surface_json(target), target.flavour, target.label)
        usages = collect(REPO / "trtkit", surface)
        print(f"# {target.label}: {len(usages)} usages")
        for usage in usages:
            why = problem(usage, surface)
            print(f"{usage.where}\t{usage.kind}\t{usage.text}" + (f"\tPROBLEM: {why}" if why else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--usages", action="store_true", help="list trtkit's TensorRT usages instead")
    args = parser.parse_args()
    try:
        if args.usages:
            list_usages()
        else:
            write_runtime_api()
    except Unavailable as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
