"""Inputs that used to give a confident, wrong answer in silence: an image drawn only in its alpha channel
(alpha was dropped: a blank was classified) and NaN/Inf in an input (printed as "Predicted: 0" over nan
probabilities). Transparent images are composited onto white, the paper the presets assume, and said so;
non-finite inputs are warned about, naming the input, the file and the count."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import cli
from PIL import Image

from reliability.broken import MODEL, REPO
from trtkit.data.inputs import load_image

SAMPLE = REPO / "samples" / "3.pgm"


def _predicted(capsys: pytest.CaptureFixture[str], image: Path) -> tuple[int, str]:
    code, out, err = cli(capsys, "infer", MODEL, image, "--json")
    assert code == 0, err
    return json.loads(out)["predictions"][0]["class"], err


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_a_digit_drawn_only_in_alpha_is_composited_and_classified(tmp_path: Path, mode: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    grey = load_image(SAMPLE)  # a dark 3 on white paper
    ink = (255 - grey).astype(np.uint8)  # opaque where the ink is
    colour = np.zeros((*grey.shape, 3 if mode == "RGBA" else 1), np.uint8)  # black everywhere: all in alpha
    image = tmp_path / f"alpha_{mode}.png"
    Image.fromarray(np.dstack([colour, ink]).squeeze(), mode).save(image)
    expected = np.dstack([grey] * 3) if mode == "RGBA" else grey
    np.testing.assert_array_equal(load_image(image), expected)  # black ink over white: the sample again
    predicted, err = _predicted(capsys, image)
    assert predicted == 3
    transparent = int(np.count_nonzero(ink < 255))
    assert f"[W] {image}: {transparent} transparent pixels composited onto white" in err


def test_an_opaque_image_with_an_alpha_channel_says_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    grey = load_image(SAMPLE)
    image = tmp_path / "opaque.png"
    Image.fromarray(np.dstack([grey, np.full_like(grey, 255)]), "LA").save(image)
    predicted, err = _predicted(capsys, image)
    assert predicted == 3 and "transparent" not in err


def test_nan_and_inf_inputs_are_named_and_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = np.random.default_rng(0).random((2, 1, 28, 28), dtype=np.float32)
    data[0, 0, 0, :3] = np.nan
    data[1, 0, 5, 5] = -np.inf
    path = tmp_path / "bad_values.npy"
    np.save(path, data)
    code, _, err = cli(capsys, "infer", MODEL, path)
    assert code == 0, err
    assert f"[W] input 'input' from {path}[0] ... (2 samples): 4 of 1568 values are NaN or Inf" in err
    code, _, err = cli(capsys, "bench", "--onnx", MODEL, "--loadInputs", f"input:{path}", "--duration", "0",
                       "--warmUp", "0", "--iterations", "2")
    assert code == 0, err
    assert "4 of 1568 values are NaN or Inf" in err
