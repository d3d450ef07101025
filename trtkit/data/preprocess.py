"""Images -> the model's input tensor, explicitly: resize, colour, invert, scale, mean/std, layout, dtype.

Each step's value comes from the options, else from a preset, else from the model's input (its shape
gives layout, channels and HxW; its dtype the element type). The pipeline is

    x = ((255 - p if invert else p) * scale - mean) / std

on the pixels p (0..255) after resizing to the input's HxW and converting to its colour space. The default
preset for one-channel models is the seed's ``x = 1 - p/255`` (the TensorRT samples' dark digit on a light
background becomes MNIST's white on black in [0, 1]); ``unit`` is ``p/255`` for images already in
MNIST's convention; ``none`` feeds raw pixel values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from trtkit.data.tensors import TensorInfo
from trtkit.data.tensors import format_shape as fmt
from trtkit.platform.errors import TrtkitError, UsageError


@dataclass(frozen=True)
class Preset:
    """Named defaults for the numeric steps; ``color`` None means: whatever the model's channels say."""

    scale: float = 1.0 / 255.0
    invert: bool = False
    mean: tuple[float, ...] = (0.0,)
    std: tuple[float, ...] = (1.0,)
    color: str | None = None
    help: str = ""


PRESETS: dict[str, Preset] = {
    "invert": Preset(invert=True, help="1 - p/255: dark on light -> white on black in [0,1] (the seed, MNIST)"),
    "unit": Preset(help="p/255: images already white on black, MNIST's own convention"),
    "signed": Preset(scale=1.0 / 127.5, mean=(1.0,), help="p/127.5 - 1: [-1, 1] (TensorFlow/Inception)"),
    "imagenet": Preset(
        mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), color="rgb", help="RGB, (p/255 - mean) / std"
    ),
    "caffe": Preset(scale=1.0, mean=(103.939, 116.779, 123.68), color="bgr", help="BGR, p - mean (Caffe/VGG)"),
    "none": Preset(scale=1.0, help="raw pixel values 0..255"),
}
PRESET_CHOICES = ("auto", *PRESETS)
COLOR_CHOICES = ("gray", "rgb", "bgr")
LAYOUT_CHOICES = ("NCHW", "NHWC")


@dataclass
class PreprocessOptions:
    """How images become the input tensor; None fields come from the preset or the model's input."""

    preset: str = "auto"  # --preprocess: auto (invert for 1-channel, imagenet for 3-channel, none for ints)
    color: str | None = None  # --color gray|rgb|bgr (default: from the input's channel count)
    layout: str | None = None  # --layout NCHW|NHWC (default: from the input's shape)
    scale: float | None = None  # --scale: multiply pixels by this (after --invert)
    mean: tuple[float, ...] | None = None  # --mean: subtracted per channel after scaling
    std: tuple[float, ...] | None = None  # --std: divided per channel after the mean
    invert: bool | None = None  # --invert/--no-invert: p -> 255 - p before scaling
    resize: bool = True  # --resize/--no-resize: bilinear resize to the input's HxW, or insist it matches


@dataclass(frozen=True)
class Pipeline:
    """Every step resolved against one model input: what :func:`preprocess` does, and what reports show."""

    preset: str
    layout: str  # NCHW, NHWC or NHW (a 3-D input: one channel, no channel axis)
    color: str
    size: tuple[int, int] | None  # (H, W); None: the images' own size (dynamic HxW)
    invert: bool
    scale: float
    mean: tuple[float, ...]
    std: tuple[float, ...]
    dtype: np.dtype
    resize: bool = True

    @property
    def channels(self) -> int:
        return 1 if self.color == "gray" else 3

    def describe(self) -> str:
        """One line for logs and JSON: ``invert: x = (255 - p) * 0.00392 ..., gray NCHW float32``."""
        p = "(255 - p)" if self.invert else "p"
        stats = "" if self.mean == (0.0,) and self.std == (1.0,) else f", mean {self.mean}, std {self.std}"
        size = "x".join(map(str, self.size)) if self.size else "image size"
        return f"{self.preset}: {p} * {self.scale:.6g}{stats}; {self.color} {self.layout} {size} {self.dtype}"


def resolve(target: TensorInfo, options: PreprocessOptions | None = None) -> Pipeline:
    """Fill every step from ``options``, the preset and ``target``'s shape/dtype; errors name the input."""
    options = options or PreprocessOptions()
    shape = target.shape
    layout = _layout(target, options.layout)
    channel_dim = {"NCHW": 1, "NHWC": 3, "NHW": None}[layout]
    declared = shape[channel_dim] if channel_dim is not None else 1
    preset_name = options.preset
    if preset_name == "auto":
        preset_name = "none" if target.dtype.kind in "iub" else "imagenet" if declared == 3 else "invert"
    if preset_name not in PRESETS:
        raise UsageError(f"--preprocess {preset_name}: expected one of {', '.join(PRESET_CHOICES)}")
    preset = PRESETS[preset_name]
    color = options.color or preset.color or ("rgb" if declared == 3 else "gray")
    if color not in COLOR_CHOICES:
        raise UsageError(f"--color {color}: expected one of {', '.join(COLOR_CHOICES)}")
    channels = 1 if color == "gray" else 3
    if declared not in (-1, channels) or (layout == "NHW" and channels != 1):
        raise UsageError(
            f"input {target.name!r} has {declared} channel(s) ({fmt(shape)}), but preprocessing gives "
            f"{channels} ({color}); choose --color or --preprocess to match"
        )
    mean = options.mean if options.mean is not None else preset.mean
    std = options.std if options.std is not None else preset.std
    for flag, values in (("--mean", mean), ("--std", std)):
        if len(values) not in (1, channels):
            raise UsageError(
                f"{flag} {','.join(map(str, values))}: input {target.name!r} takes {channels} channel(s); give "
                f"1 or {channels} values (preset {preset_name} is for {len(values)}-channel models)"
            )
    if any(s == 0 for s in std):
        raise UsageError("--std: values must be non-zero")
    hw = shape[2:4] if layout == "NCHW" else shape[1:3]
    return Pipeline(
        preset=preset_name,
        layout=layout,
        color=color,
        size=(hw[0], hw[1]) if min(hw) > 0 else None,
        invert=options.invert if options.invert is not None else preset.invert,
        scale=options.scale if options.scale is not None else preset.scale,
        mean=tuple(mean),
        std=tuple(std),
        dtype=target.dtype,
        resize=options.resize,
    )


def _layout(target: TensorInfo, chosen: str | None) -> str:
    shape = target.shape
    if len(shape) == 3:
        return "NHW"
    if len(shape) != 4:
        raise UsageError(
            f"input {target.name!r} has shape {fmt(shape)}; images need a 4-D (NCHW/NHWC) or 3-D (NHW) "
            "input; give arrays with --loadInputs instead"
        )
    if chosen is not None:
        if chosen.upper() not in LAYOUT_CHOICES:
            raise UsageError(f"--layout {chosen}: expected NCHW or NHWC")
        return chosen.upper()
    if shape[1] in (1, 3) or (shape[1] < 0 and shape[3] < 0):
        return "NCHW"
    if shape[3] in (1, 3):
        return "NHWC"
    raise UsageError(f"input {target.name!r} ({fmt(shape)}) has no 1- or 3-channel axis; give --layout")


def preprocess(
    images: Sequence[np.ndarray], target: TensorInfo, options: PreprocessOptions | Pipeline | None = None
) -> np.ndarray:
    """Stack ``uint8`` images (HxW or HxWxC, as :func:`trtkit.data.inputs.load_image` returns them) into one
    batch for ``target``: NCHW (or NHWC / NHW, following the input) in the input's dtype."""
    if not images:
        raise TrtkitError("preprocess: no images given")
    pipe = options if isinstance(options, Pipeline) else resolve(target, options)
    size = pipe.size or images[0].shape[:2]
    batch = np.empty((len(images), size[0], size[1], pipe.channels), dtype=np.float32)
    for i, image in enumerate(images):
        batch[i] = _convert_color(_resize(image, size, pipe.resize, target), pipe.color)
    if pipe.invert:
        np.subtract(255.0, batch, out=batch)
    batch *= np.float32(pipe.scale)
    if pipe.mean != (0.0,) or pipe.std != (1.0,):
        batch -= np.asarray(pipe.mean, dtype=np.float32)
        batch /= np.asarray(pipe.std, dtype=np.float32)
    if pipe.layout == "NCHW":
        batch = batch.transpose(0, 3, 1, 2)
    elif pipe.layout == "NHW":
        batch = batch[..., 0]
    if pipe.dtype.kind in "iu":
        info = np.iinfo(pipe.dtype)
        batch = np.clip(np.rint(batch), info.min, info.max)
    return np.ascontiguousarray(batch, dtype=pipe.dtype)


def _resize(image: np.ndarray, size: Sequence[int], allowed: bool, target: TensorInfo) -> np.ndarray:
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3)):
        raise TrtkitError(f"preprocess: expected uint8 HxW or HxWx3 pixels, got {image.dtype} {image.shape}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if tuple(image.shape[:2]) == tuple(size):
        return image
    if not allowed:
        raise UsageError(
            f"image is {image.shape[1]}x{image.shape[0]} (WxH) but input {target.name!r} takes "
            f"{size[1]}x{size[0]}; allow --resize or resize the images"
        )
    try:
        from PIL import Image
    except ImportError:
        raise TrtkitError("resizing images needs Pillow: pip install 'trtkit[images]'") from None
    resized = Image.fromarray(image).resize((int(size[1]), int(size[0])), Image.Resampling.BILINEAR)
    return np.asarray(resized)


def _convert_color(image: np.ndarray, color: str) -> np.ndarray:
    """HxW or HxWx3 uint8 -> HxWxC float32 in the pipeline's colour space (grey: ITU-R 601-2 luma, Pillow's weights)."""
    pixels = image.astype(np.float32)
    if color == "gray":
        if pixels.ndim == 3:
            pixels = pixels @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        return pixels[..., None]
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    return pixels[..., ::-1] if color == "bgr" else pixels
