"""The real TensorRT Python bindings' API surface, one JSON per supported version, on a CPU-only machine.

The official binding wheels (tensorrt-cu12-bindings for 10.x, tensorrt-cu13-bindings for 11.x) link
libnvinfer.so.N, libnvinfer_plugin.so.N and libnvonnxparser.so.N, which no package here provides. Their
module imports when those names are satisfied by stub libraries exporting the entry points it links (all
returning 0: nothing is ever called, only classes are introspected). Both wheels install as the package
``tensorrt_bindings``, so each is unpacked into its own directory and introspected in its own interpreter.
TensorRT-RTX is introspected as installed: its wheels ship their libraries.

Downloads, stubs and surfaces are cached under $TRTKIT_BINDINGS_CACHE (default ~/.cache/trtkit-bindings),
one directory per distribution and version; a surface is re-made when _introspect.py changes.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.metadata
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

INTROSPECT = Path(__file__).with_name("_introspect.py")
CACHE_ENV = "TRTKIT_BINDINGS_CACHE"


class Unavailable(Exception):
    """A surface cannot be made on this machine (no network to PyPI, no C compiler, package absent)."""


@dataclass(frozen=True)
class Target:
    """One TensorRT version trtkit supports, and where its bindings come from."""

    flavour: str
    """The key of the trtkit.platform.flavours.Flavour subclass that claims this version."""
    package: str
    """The import name of the bindings."""
    distribution: str | None = None
    """PyPI distribution to download; None: the package installed in this interpreter."""
    version: str | None = None

    @property
    def label(self) -> str:
        name = "tensorrt_rtx" if self.package == "tensorrt_rtx" else "tensorrt"
        return f"{name} {self.version or _installed_version(self.package) or '(not installed)'}"

    @property
    def id(self) -> str:
        return self.label.replace(" ", "-")


TARGETS: tuple[Target, ...] = (
    Target("tensorrt10", "tensorrt_bindings", "tensorrt-cu12-bindings", "10.13.3.9"),
    Target("tensorrt10", "tensorrt_bindings", "tensorrt-cu12-bindings", "10.16.1.11"),
    Target("tensorrt11", "tensorrt_bindings", "tensorrt-cu13-bindings", "11.4.0.106"),
    Target("rtx1", "tensorrt_rtx"),
)
FLAVOURS: tuple[str, ...] = tuple(dict.fromkeys(t.flavour for t in TARGETS))


def _installed_version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "trtkit-bindings").expanduser()


def _publish(tmp: Path, final: Path) -> Path:
    """Move a finished directory into place; a concurrent run that got there first wins."""
    try:
        tmp.rename(final)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def fetch_wheel(distribution: str, version: str, root: Path) -> Path:
    """``pip download`` one binary wheel for this interpreter into ``root/wheel``."""
    final = root / "wheel"
    if not (final.is_dir() and list(final.glob("*.whl"))):
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=".wheel-"))
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        cmd += ["--disable-pip-version-check", "--timeout", "20", "--retries", "1", "--dest", str(tmp)]
        done = subprocess.run([*cmd, f"{distribution}=={version}"], capture_output=True, text=True)
        if done.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            why = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise Unavailable(f"pip download {distribution}=={version} failed (is PyPI reachable?): {why}")
        _publish(tmp, final)
    return next(final.glob("*.whl"))


def unpack(wheel: Path, root: Path) -> Path:
    """The wheel's contents in ``root/site``: a directory to put on sys.path."""
    final = root / "site"
    if not final.is_dir():
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=".site-"))
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(tmp)
        _publish(tmp, final)
    return final


def find_extension(site: Path, package: str) -> Path:
    """The compiled module of ``package`` (``tensorrt_bindings/tensorrt.so``)."""
    found = sorted((site / package).glob("*.so")) + sorted((site / package).glob("*.so.*"))
    if not found:
        raise Unavailable(f"no extension module under {site / package}")
    return found[0]


# ELF, read directly where binutils are missing: only what nm -D and readelf -d would tell.
_SHT_DYNAMIC, _SHT_DYNSYM, _DT_NEEDED, _STB_GLOBAL = 6, 11, 1, 1


def elf_dynamic(path: Path) -> tuple[list[str], list[str]]:
    """(DT_NEEDED names, undefined global dynamic symbols) of a 64-bit little-endian ELF file."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise Unavailable(f"{path}: not a 64-bit little-endian ELF file")
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]

    def string(table: int, offset: int) -> str:
        start = sections[table][4] + offset
        return data[start : data.index(b"\0", start)].decode()

    needed: list[str] = []
    undefined: list[str] = []
    for _name, kind, _flags, _addr, offset, size, link, _info, _align, entsize in sections:
        if kind == _SHT_DYNAMIC:
            for pos in range(offset, offset + size, entsize):
                tag, value = struct.unpack_from("<qQ", data, pos)
                if tag == _DT_NEEDED:
                    needed.append(string(link, value))
        elif kind == _SHT_DYNSYM:
            for pos in range(offset + entsize, offset + size, entsize):  # entry 0 is the null symbol
                st_name, st_info, _other, st_shndx = struct.unpack_from("<IBBH", data, pos)
                if st_shndx == 0 and st_info >> 4 == _STB_GLOBAL:
                    undefined.append(string(link, st_name))
    return needed, sorted(undefined)


def needed_libraries(so: Path) -> list[str]:
    """The DT_NEEDED names of ``so`` (readelf -d, else the ELF parser)."""
    if not shutil.which("readelf"):
        return elf_dynamic(so)[0]
    out = subprocess.run(["readelf", "-d", str(so)], capture_output=True, text=True, check=True).stdout
    return [ln.split("[", 1)[1].split("]", 1)[0] for ln in out.splitlines() if "(NEEDED)" in ln]


def undefined_symbols(so: Path) -> list[str]:
    """Undefined, non-weak dynamic symbols of ``so`` without version suffix (nm -D, else the ELF parser)."""
    if not shutil.which("nm"):
        return elf_dynamic(so)[1]
    out = subprocess.run(["nm", "-D", "--undefined-only", str(so)], capture_output=True, text=True, check=True)
    rows = (ln.split() for ln in out.stdout.splitlines())
    return sorted(row[1].split("@")[0] for row in rows if len(row) == 2 and row[0] == "U")


def missing_entry_points(so: Path) -> tuple[list[str], list[str]]:
    """(needed libraries that cannot be loaded here, the symbols nothing loadable provides).

    A symbol counts as provided where the interpreter or one of the loadable needed libraries exports
    it, so the stubs cover exactly what the absent TensorRT libraries would have.
    """
    absent: list[str] = []
    present = [ctypes.CDLL(None)]
    for name in needed_libraries(so):
        try:
            present.append(ctypes.CDLL(name))
        except OSError:
            absent.append(name)
    symbols = [s for s in undefined_symbols(so) if not any(hasattr(lib, s) for lib in present)]
    return absent, symbols


def build_stubs(so: Path, root: Path) -> Path:
    """Compile one stub library per absent needed library, each exporting every missing entry point."""
    final = root / "stubs"
    if final.is_dir():
        return final
    absent, symbols = missing_entry_points(so)
    compiler = shutil.which(os.environ.get("CC") or "cc") or shutil.which("gcc")
    if compiler is None:
        raise Unavailable("no C compiler ($CC, cc or gcc) to build the stub TensorRT libraries")
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=".stubs-"))
    source = tmp / "stubs.c"
    source.write_text("".join(f"long {s}(void) {{ return 0; }}\n" for s in symbols))
    for soname in absent:
        cmd = [compiler, "-shared", "-fPIC", f"-Wl,-soname,{soname}", "-o", str(tmp / soname), str(source)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise Unavailable(f"{compiler} could not build the stub {soname}: {done.stderr.strip()}")
    return _publish(tmp, final)


def extension_of(target: Target) -> Path:
    """The compiled binding module of a downloaded ``target``, fetched and unpacked where not yet."""
    assert target.distribution is not None and target.version is not None
    root = cache_root() / f"{target.distribution}-{target.version}"
    site = unpack(fetch_wheel(target.distribution, target.version, root), root)
    return find_extension(site, target.package)


def _introspect(package: str, site: Path | None, stubs: Path | None) -> dict[str, Any]:
    """Run _introspect.py in a fresh interpreter; -S keeps other installed TensorRT packages out."""
    env = dict(os.environ)
    cmd = [sys.executable, "-I", str(INTROSPECT), package]
    if site is not None:
        cmd = [sys.executable, "-I", "-S", str(INTROSPECT), package, str(site)]
    if stubs is not None:
        env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [str(stubs), env.get("LD_LIBRARY_PATH")]))
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"introspecting {package} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def _surface_path(root: Path) -> Path:
    digest = hashlib.sha256(INTROSPECT.read_bytes()).hexdigest()[:12]
    return root / f"surface-{digest}.json"


def surface_json(target: Target) -> dict[str, Any]:
    """The API surface of ``target`` (see _introspect.py for the schema), from cache or made now.

    Raises Unavailable where this machine cannot make it; the answer is kept for the process either way,
    so an unreachable PyPI costs one time-out per version, not one per test."""
    made = _surface_or_why(target)
    if isinstance(made, Unavailable):
        raise made
    return made


@cache
def _surface_or_why(target: Target) -> dict[str, Any] | Unavailable:
    try:
        return _make_surface(target)
    except Unavailable as e:
        return e


def _make_surface(target: Target) -> dict[str, Any]:
    if target.distribution is None:
        version = _installed_version(target.package)
        if version is None:
            raise Unavailable(f"{target.package} is not installed")
        root = cache_root() / f"{target.package}-{version}"
    else:
        root = cache_root() / f"{target.distribution}-{target.version}"
    path = _surface_path(root)
    if path.is_file():
        return json.loads(path.read_text())
    root.mkdir(parents=True, exist_ok=True)
    if target.distribution is None:
        data = _introspect(target.package, None, None)
    else:
        so = extension_of(target)
        data = _introspect(target.package, so.parent.parent, build_stubs(so, root))
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, sort_keys=True))
    tmp.replace(path)
    return data
