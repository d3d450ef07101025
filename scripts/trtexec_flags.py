"""Record the flag names trtexec's own option parser accepts, per trtexec version, from NVIDIA's sources.

trtexec parses its command line in samples/common/sampleOptions.cpp (``AllOptions::parse`` and the
``parse`` functions it calls); a key it does not take out of the argument map is "Unknown option". This
script collects every ``"--flag"`` string literal inside those parse functions (and their helpers such as
``getOptimizationProfiles``), leaving out ``SafeBuilderOptions::parse`` and ``TaskInferenceOptions::parse``
(other tools' parsers) and the help/printing functions, and writes tests/data/trtexec_flags.json, which
tests/test_trtexec_flags.py checks trtkit's "not supported yet" list against.

    python scripts/trtexec_flags.py                       # from the NVIDIA/TensorRT git mirror
    python scripts/trtexec_flags.py --src /tmp/research/src   # from extracted copies: SRC/<version>/sampleOptions.cpp
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MIRROR = Path("/work/.mirror/NVIDIA+TensorRT/repo")
VERSIONS = {"10.16": "release/10.16", "11.0": "release/11.0", "11.1": "release/11.1"}
SOURCE = "samples/common/sampleOptions.cpp"
OTHER_PARSERS = ("SafeBuilderOptions::parse", "TaskInferenceOptions::parse")
_FUNCTION = re.compile(r"^(?:[\w:<>,*&\s]+?)\s([\w:]+|operator<<)\(")
_FLAG = re.compile(r'"(--[A-Za-z0-9_]+|-h)"')


def parser_flags(source: str) -> list[str]:
    """The flags the parse functions of one sampleOptions.cpp take, sorted case-insensitively."""
    flags: set[str] = set()
    function = ""
    for line in source.splitlines():
        if line and not line[0].isspace() and not line.startswith(("//", "#", "{", "}")):
            match = _FUNCTION.match(line)
            if match:
                function = match.group(1)
        printing = function.endswith(("::help", "::printHelp")) or function in ("helpHelp", "operator<<")
        skip = printing or function in OTHER_PARSERS or function.startswith("print")
        if not skip:
            flags.update(_FLAG.findall(line))
    return sorted(flags, key=str.lower)


def read_source(version: str, src: Path | None) -> tuple[str, str]:
    """(sampleOptions.cpp text, where it came from) for one version."""
    if src is not None:
        path = src / version / "sampleOptions.cpp"
        return path.read_text(), str(path)
    ref = VERSIONS[version]
    commit = subprocess.run(["git", f"--git-dir={MIRROR}", "rev-parse", ref], capture_output=True, text=True,
                            check=True).stdout.strip()
    text = subprocess.run(["git", f"--git-dir={MIRROR}", "show", f"{commit}:{SOURCE}"], capture_output=True,
                          text=True, check=True).stdout
    return text, f"NVIDIA/TensorRT {ref} ({commit[:12]}) {SOURCE}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, help="folder with <version>/sampleOptions.cpp (default: the git mirror)")
    parser.add_argument("--out", type=Path, default=REPO / "tests" / "data" / "trtexec_flags.json")
    args = parser.parse_args()
    versions, sources = {}, {}
    for version in VERSIONS:
        text, origin = read_source(version, args.src)
        versions[version] = parser_flags(text)
        sources[version] = origin
    document = {"generator": "scripts/trtexec_flags.py", "sources": sources, "flags": versions}
    args.out.write_text(json.dumps(document, indent=1) + "\n")
    for version, flags in versions.items():
        print(f"trtexec {version}: {len(flags)} flags")


if __name__ == "__main__":
    main()
