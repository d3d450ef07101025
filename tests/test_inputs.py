"""trtkit.data.inputs: every file format becomes the same pixels/arrays, and every bad file one clear error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper
from PIL import Image

from trtkit.data.inputs import load_arrays, load_image, load_raw, parse_load_inputs
from trtkit.platform.errors import TrtkitError, UsageError


@pytest.fixture
def digit(samples: list[Path]) -> np.ndarray:
    """samples/3.pgm read by Pillow, the independent decoder the tests trust."""
    return np.asarray(Image.open(samples[3]))


def test_binary_pgm_matches_pillow(samples: list[Path], digit: np.ndarray) -> None:
    pixels = load_image(samples[3])
    assert pixels.dtype == np.uint8 and pixels.shape == (28, 28)
    np.testing.assert_array_equal(pixels, digit)
    assert pixels.min() < 50 and pixels.max() == 255  # dark digit on a light background


def test_ascii_pgm_with_comments(tmp_path: Path, digit: np.ndarray) -> None:
    rows = "\n".join(" ".join(str(v) for v in row) for row in digit)
    path = tmp_path / "three.pgm"
    path.write_text(f"P2\n# made by a test\n28 28\n# maxval next\n255\n{rows}\n")
    np.testing.assert_array_equal(load_image(path), digit)


def test_pgm_other_maxvals_are_rescaled(tmp_path: Path, digit: np.ndarray) -> None:
    wide = tmp_path / "wide.pgm"
    wide.write_bytes(b"P5 28 28 65535\n" + (digit.astype(">u2") * 257).tobytes())
    np.testing.assert_array_equal(load_image(wide), digit)
    narrow = tmp_path / "narrow.pgm"
    narrow.write_text("P2 2 1 15\n0 15\n")
    np.testing.assert_array_equal(load_image(narrow), [[0, 255]])


def test_colour_ppm_binary_and_ascii(tmp_path: Path) -> None:
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10
    binary, ascii_ = tmp_path / "c.ppm", tmp_path / "a.ppm"
    binary.write_bytes(b"P6\n3 2\n255\n" + rgb.tobytes())
    ascii_.write_text("P3 3 2 255 " + " ".join(map(str, rgb.ravel())))
    np.testing.assert_array_equal(load_image(binary), rgb)
    np.testing.assert_array_equal(load_image(ascii_), rgb)


def test_png_and_jpeg(tmp_path: Path, digit: np.ndarray) -> None:
    Image.fromarray(digit).save(tmp_path / "d.png")
    np.testing.assert_array_equal(load_image(tmp_path / "d.png"), digit)
    Image.fromarray(digit).save(tmp_path / "d.jpg", quality=95)
    jpeg = load_image(tmp_path / "d.jpg")
    assert jpeg.shape == (28, 28)
    assert np.abs(jpeg.astype(int) - digit).mean() < 6  # lossy, but the same picture
    Image.fromarray(np.dstack([digit] * 3)).convert("RGBA").save(tmp_path / "rgba.png")
    rgb = load_image(tmp_path / "rgba.png")
    assert rgb.shape == (28, 28, 3)  # alpha dropped
    np.testing.assert_array_equal(rgb[..., 1], digit)


def test_sixteen_bit_png(tmp_path: Path, digit: np.ndarray) -> None:
    Image.fromarray(digit.astype(np.uint16) * 257).save(tmp_path / "d16.png")
    np.testing.assert_array_equal(load_image(tmp_path / "d16.png"), digit)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.png", b"this is not a png", "not a readable image"),
        ("trunc.pgm", b"P5 28 28 255\n" + bytes(100), "truncated Netpbm image: 100 of 784"),
        ("header.pgm", b"P5 28 x 255\n", "malformed Netpbm header"),
        ("over.pgm", b"P2 2 1 10\n3 11\n", "outside 0..10"),
        ("cut.png", b"\x89PNG\r\n\x1a\n" + bytes(30), "cut.png: (not a readable|cannot decode)"),
    ],
)
def test_unreadable_images_name_the_file(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TrtkitError, match=message) as info:
        load_image(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_image() -> None:
    with pytest.raises(TrtkitError, match=r"nope.png: image not found"):
        load_image(Path("nope.png"))


def test_npy_npz_and_tensor_proto(tmp_path: Path) -> None:
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.save(tmp_path / "a.npy", a)
    np.savez(tmp_path / "b.npz", x=a, mask=a > 2)
    proto = numpy_helper.from_array(a, name="x")
    (tmp_path / "c.pb").write_bytes(proto.SerializeToString())
    unnamed = tmp_path / "d.pb"
    unnamed.write_bytes(numpy_helper.from_array(a).SerializeToString())

    np.testing.assert_array_equal(load_arrays(tmp_path / "a.npy")[""], a)
    npz = load_arrays(tmp_path / "b.npz")
    assert list(npz) == ["x", "mask"] and npz["mask"].dtype == bool
    assert list(load_arrays(tmp_path / "c.pb")) == ["x"]
    np.testing.assert_array_equal(load_arrays(unnamed)[""], a)


def test_zoo_tensor_proto(zoo_test_data: Path) -> None:
    arrays = load_arrays(zoo_test_data / "input_0.pb")
    (array,) = arrays.values()
    assert array.shape == (1, 1, 28, 28) and array.dtype == np.float32
    reference = numpy_helper.to_array(onnx.load_tensor(str(zoo_test_data / "input_0.pb")))
    np.testing.assert_array_equal(array, reference)


@pytest.mark.parametrize(("name", "content"), [("bad.npy", b"\x93NUMPY garbage"), ("bad.npz", b"PK not a zip")])
def test_corrupt_arrays(tmp_path: Path, name: str, content: bytes) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(TrtkitError, match=f"{name}: not a valid"):
        load_arrays(tmp_path / name)


@pytest.mark.parametrize("content", [b"\xff\xff\xff\xff garbage", b"", b"\x08\x01"])
def test_corrupt_tensor_proto(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "bad.pb").write_bytes(content)
    with pytest.raises(TrtkitError, match=r"bad.pb: not an ONNX TensorProto"):
        load_arrays(tmp_path / "bad.pb")


def test_raw_bytes_like_trtexec(tmp_path: Path) -> None:
    a = np.arange(4, dtype=np.float32)
    (tmp_path / "x.bin").write_bytes(a.tobytes())
    np.testing.assert_array_equal(load_raw(tmp_path / "x.bin", (2, 2), np.dtype(np.float32)), a.reshape(2, 2))
    with pytest.raises(TrtkitError, match=r"x.bin: raw input has 16 bytes, but 3x2 float32 needs 24"):
        load_raw(tmp_path / "x.bin", (3, 2), np.dtype(np.float32))


def test_parse_load_inputs() -> None:
    assert parse_load_inputs("input:a.npy") == {"input": Path("a.npy")}
    assert parse_load_inputs("x:a.npy, 'y:z':'b,c.npz'") == {"x": Path("a.npy"), "y:z": Path("b,c.npz")}
    for bad in ("input", "input:", ":a.npy", "x:a.npy,x:b.npy", ","):
        with pytest.raises(UsageError, match=r"--loadInputs"):
            parse_load_inputs(bad)


def test_truncated_png(tmp_path: Path, digit: np.ndarray) -> None:
    Image.fromarray(digit).save(tmp_path / "d.png")
    data = (tmp_path / "d.png").read_bytes()
    (tmp_path / "half.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(TrtkitError, match=r"half.png: cannot decode image"):
        load_image(tmp_path / "half.png")


def test_palette_images(tmp_path: Path, digit: np.ndarray) -> None:
    """A GIF of grey levels stays one channel; a coloured palette becomes RGB."""
    Image.fromarray(digit).convert("P").save(tmp_path / "grey.gif")
    assert load_image(tmp_path / "grey.gif").shape == (28, 28)
    colour = Image.fromarray(np.dstack([digit, 255 - digit, digit])).convert("P", palette=Image.Palette.ADAPTIVE)
    colour.save(tmp_path / "colour.gif")
    assert load_image(tmp_path / "colour.gif").shape == (28, 28, 3)
