"""The one TensorRT import point: finds the installed flavour (TensorRT 10.x, 11.x or TensorRT-RTX 1.x) and
hands out its :class:`~trtkit.platform.flavours.Flavour`, which knows what differs.

Nothing else in trtkit imports ``tensorrt``/``tensorrt_rtx`` or branches on versions.
"""

from __future__ import annotations

import importlib
import os
from functools import cache
from typing import Any

from trtkit.platform.errors import TrtkitError, UsageError
from trtkit.platform.flavours import Flavour, TensorRT10, TensorRT11, TensorRTRTX

FLAVOUR_CHOICES = ("auto", "tensorrt", "rtx")
INSTALL_HINT = (
    "install one: pip install 'trtkit[rtx]' (TensorRT-RTX, wheels on PyPI, builds without a GPU) or "
    "pip install 'trtkit[tensorrt]' (TensorRT 10/11 from NVIDIA's package index, see TensorRT's install guide)"
)


def plan_writer(tag: bytes, major: int) -> type[Flavour] | None:
    """The flavour whose plans start with ``tag`` and carry major version ``major``; None if none does."""
    for flavour in (TensorRT10, TensorRT11, TensorRTRTX):
        if flavour.plan_tag == tag and flavour.plan_major == major:
            return flavour
    return None


def _import(package: str) -> Any | None:
    try:
        return importlib.import_module(package)
    except ImportError:
        return None
    except OSError as e:  # a wheel whose shared libraries are missing or broken
        raise TrtkitError(f"{package} is installed but cannot be loaded: {e}; reinstall it") from None


def _flavour_for(module: Any) -> Flavour:
    if module.__name__.startswith("tensorrt_rtx"):
        return TensorRTRTX(module)
    major = str(module.__version__).split(".")[0]
    classes: dict[str, type[Flavour]] = {"10": TensorRT10, "11": TensorRT11}
    if major not in classes:
        raise TrtkitError(
            f"TensorRT {module.__version__} is not supported; trtkit supports 10.x, 11.x and TensorRT-RTX 1.x"
        )
    return classes[major](module)


@cache
def load(choice: str | None = None) -> Flavour:
    """Import the TensorRT flavour named by ``choice`` (``--flavor``, else $TRTKIT_FLAVOR, else auto).

    auto prefers full TensorRT where both are installed: it runs on every NVIDIA GPU, RTX only on RTX ones.
    """
    choice = (choice or os.environ.get("TRTKIT_FLAVOR") or "auto").lower()
    if choice not in FLAVOUR_CHOICES:
        raise UsageError(f"--flavor {choice}: expected one of {', '.join(FLAVOUR_CHOICES)}")
    packages = {"tensorrt": ["tensorrt"], "rtx": ["tensorrt_rtx"], "auto": ["tensorrt", "tensorrt_rtx"]}[choice]
    for package in packages:
        module = _import(package)
        if module is not None:
            return _flavour_for(module)
    wanted = "no TensorRT flavour is installed" if choice == "auto" else f"--flavor {choice}: not installed"
    raise TrtkitError(f"{wanted}; {INSTALL_HINT}")
