"""trtkit.data.preprocess: each preset's formula, steps derived from the model's input, and clear refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trtkit.data.inputs import load_image
from trtkit.data.preprocess import PreprocessOptions, preprocess, resolve
from trtkit.data.tensors import TensorInfo
from trtkit.platform.errors import TrtkitError, UsageError

F32 = np.dtype(np.float32)
MNIST = TensorInfo("input", (-1, 1, 28, 28), F32)
IMAGENET = TensorInfo("data", (1, 3, 224, 224), F32)


@pytest.fixture
def digits(samples: list[Path]) -> list[np.ndarray]:
    return [load_image(p) for p in samples]


def test_default_is_the_seeds_one_minus_p(digits: list[np.ndarray]) -> None:
    x = preprocess(digits, MNIST)
    assert x.shape == (10, 1, 28, 28) and x.dtype == np.float32 and x.flags.c_contiguous
    expected = 1.0 - np.stack(digits)[:, None].astype(np.float32) / 255.0
    np.testing.assert_allclose(x, expected, atol=1e-6)
    assert resolve(MNIST).preset == "invert"
    # white on black, as MNIST: the background (light in the file) becomes 0
    assert x[0, 0, 0, 0] == 0.0 and x.max() == 1.0


@pytest.mark.parametrize(
    ("preset", "formula"),
    [
        ("unit", lambda p: p / 255.0),
        ("signed", lambda p: p / 127.5 - 1.0),
        ("none", lambda p: p),
        ("invert", lambda p: 1.0 - p / 255.0),
    ],
)
def test_single_channel_presets(digits: list[np.ndarray], preset: str, formula: object) -> None:
    x = preprocess(digits[:2], MNIST, PreprocessOptions(preset=preset))
    p = np.stack(digits[:2])[:, None].astype(np.float64)
    np.testing.assert_allclose(x, formula(p), atol=1e-5)  # type: ignore[operator]


def test_imagenet_preset_on_a_three_channel_input(digits: list[np.ndarray]) -> None:
    rgb = np.dstack([digits[0], np.full((28, 28), 128, np.uint8), np.zeros((28, 28), np.uint8)])
    target = TensorInfo("data", (1, 3, 28, 28), F32)
    pipe = resolve(target)
    assert (pipe.preset, pipe.color, pipe.layout) == ("imagenet", "rgb", "NCHW")
    x = preprocess([rgb], target)
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    expected = (rgb.astype(np.float64) / 255.0 - mean) / std
    np.testing.assert_allclose(x[0], expected.transpose(2, 0, 1), atol=1e-5)


def test_caffe_preset_is_bgr_minus_mean() -> None:
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[..., 0] = 200  # red
    x = preprocess([rgb], TensorInfo("data", (1, 3, 4, 4), F32), PreprocessOptions(preset="caffe"))
    np.testing.assert_allclose(x[0, :, 0, 0], [-103.939, -116.779, 200 - 123.68], atol=1e-4)


def test_grey_image_to_rgb_model_resized_and_nhwc(digits: list[np.ndarray]) -> None:
    target = TensorInfo("image", (2, 56, 56, 3), F32)
    pipe = resolve(target, PreprocessOptions(preset="unit"))
    assert pipe.layout == "NHWC" and pipe.size == (56, 56) and pipe.channels == 3
    x = preprocess(digits[:2], target, pipe)
    assert x.shape == (2, 56, 56, 3)
    np.testing.assert_array_equal(x[..., 0], x[..., 2])  # grey replicated
    assert abs(float(x[0].mean()) - float(digits[0].mean()) / 255.0) < 0.02  # bilinear keeps the brightness


def test_rgb_image_to_grey_model_uses_luma() -> None:
    rgb = np.zeros((28, 28, 3), np.uint8)
    rgb[..., 1] = 255
    x = preprocess([rgb], MNIST, PreprocessOptions(preset="none"))
    np.testing.assert_allclose(x, 255 * 0.587, rtol=1e-5)


def test_explicit_steps_override_the_preset(digits: list[np.ndarray]) -> None:
    options = PreprocessOptions(preset="unit", invert=True, scale=2.0, mean=(1.0,), std=(4.0,))
    x = preprocess(digits[:1], MNIST, options)
    expected = ((255.0 - digits[0].astype(np.float64)) * 2.0 - 1.0) / 4.0
    np.testing.assert_allclose(x[0, 0], expected, rtol=1e-6)


def test_three_d_input_and_integer_dtype(digits: list[np.ndarray]) -> None:
    nhw = TensorInfo("x", (-1, 28, 28), F32)
    assert preprocess(digits[:3], nhw).shape == (3, 28, 28)
    u8 = TensorInfo("x", (1, 28, 28, 1), np.dtype(np.uint8))
    assert resolve(u8).preset == "none"
    x = preprocess(digits[:1], u8)
    assert x.dtype == np.uint8 and x.shape == (1, 28, 28, 1)
    np.testing.assert_array_equal(x[0, ..., 0], digits[0])


def test_dynamic_height_width_use_the_images_size(digits: list[np.ndarray]) -> None:
    target = TensorInfo("x", (-1, 1, -1, -1), F32)
    assert resolve(target).size is None
    assert preprocess(digits[:2], target).shape == (2, 1, 28, 28)


def test_float16_target(digits: list[np.ndarray]) -> None:
    x = preprocess(digits[:1], TensorInfo("x", (1, 1, 28, 28), np.dtype(np.float16)))
    assert x.dtype == np.float16


@pytest.mark.parametrize(
    ("target", "options", "message"),
    [
        (MNIST, PreprocessOptions(preset="imagenet"), r"input 'input' has 1 channel\(s\).*gives 3 \(rgb\)"),
        (IMAGENET, PreprocessOptions(color="gray"), r"input 'data' has 3 channel\(s\)"),
        (MNIST, PreprocessOptions(mean=(0.1, 0.2)), "--mean 0.1,0.2: input 'input' takes 1 channel"),
        (MNIST, PreprocessOptions(std=(0.0,)), "--std: values must be non-zero"),
        (TensorInfo("x", (1, 784), F32), PreprocessOptions(), "images need a 4-D"),
        (TensorInfo("x", (1, 5, 28, 28), F32), PreprocessOptions(), "no 1- or 3-channel axis; give --layout"),
        (MNIST, PreprocessOptions(preset="sepia"), "--preprocess sepia: expected one of"),
    ],
)
def test_refusals_name_the_input_or_flag(target: TensorInfo, options: PreprocessOptions, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        resolve(target, options)


def test_no_resize_refuses_other_sizes(digits: list[np.ndarray]) -> None:
    with pytest.raises(UsageError, match=r"image is 28x28 .* but input 'x' takes 32x32; allow --resize"):
        preprocess(digits[:1], TensorInfo("x", (1, 1, 32, 32), F32), PreprocessOptions(resize=False))


def test_not_pixels() -> None:
    with pytest.raises(TrtkitError, match=r"expected uint8 HxW or HxWx3 pixels, got float32"):
        preprocess([np.zeros((28, 28), np.float32)], MNIST)


def test_cli_spells_the_same_choices() -> None:
    """The CLI lists presets without importing numpy (for an instant --help); the lists must agree."""
    from trtkit.cli.infer import PRESET_CHOICES as CLI_PRESETS
    from trtkit.data.preprocess import PRESET_CHOICES

    assert CLI_PRESETS == PRESET_CHOICES
