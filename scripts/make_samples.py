"""Render the sample digits samples/0.pgm ... 9.pgm from a font, centred the way MNIST is.

The samples are the project's own (not cut out of MNIST), so they can ship with
the repository. Each digit is drawn with DejaVu Sans (Debian package
fonts-dejavu-core; ``--font`` picks another TTF), fitted into a 20x20 box with
anti-aliasing and placed in 28x28 so that its centre of mass is at the centre:
the MNIST recipe, so that a model trained on MNIST sees familiar input. DejaVu
Sans rather than Pillow's bundled Aileron: Aileron's "1" has a long flag and no
foot, which MNIST-trained models read as a 7. Its regular weight already has
MNIST's amount of ink per digit, so strokes are not thickened.

The files follow the TensorRT sample convention: binary PGM (P5), 28x28,
maxval 255, dark digit on a light background. A model trained on MNIST (white on
black) therefore takes ``x = 1 - p / 255``. Output is byte-for-byte reproducible
for a given font file and Pillow/FreeType version.

Usage (from the repository root): ``python scripts/make_samples.py [--out samples]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

SIZE = 28  # MNIST canvas
BOX = 20  # MNIST fits each digit into a BOX x BOX square
RENDER_PX = 200  # font size the glyphs are drawn at before downscaling


def render_glyph(digit: int, font: ImageFont.FreeTypeFont) -> Image.Image:
    """Draw one digit white on black at render scale, cropped to its ink."""
    canvas = Image.new("L", (2 * RENDER_PX, 2 * RENDER_PX), 0)
    ImageDraw.Draw(canvas).text((RENDER_PX // 2, RENDER_PX // 4), str(digit), fill=255, font=font)
    bbox = canvas.getbbox()
    if bbox is None:
        raise RuntimeError(f"the font drew nothing for digit {digit}")
    return canvas.crop(bbox)


def mnist_centre(glyph: Image.Image) -> np.ndarray:
    """Fit the glyph into BOX x BOX (aspect kept) and centre its mass in SIZE x SIZE (uint8, ink=255)."""
    scale = BOX / max(glyph.size)
    width = max(1, round(glyph.width * scale))
    height = max(1, round(glyph.height * scale))
    small = np.asarray(glyph.resize((width, height), Image.Resampling.BOX), dtype=np.float64)

    # Centre of mass in continuous coordinates (pixel i spans [i, i + 1]).
    rows, cols = np.indices(small.shape) + 0.5
    total = small.sum()
    top = round(SIZE / 2 - (rows * small).sum() / total)
    left = round(SIZE / 2 - (cols * small).sum() / total)
    if not (0 <= top <= SIZE - height and 0 <= left <= SIZE - width):
        raise RuntimeError("centring by mass would push the digit off the 28x28 canvas")

    out = np.zeros((SIZE, SIZE), dtype=np.uint8)
    out[top : top + height, left : left + width] = np.rint(small).astype(np.uint8)
    return out


def write_pgm(path: Path, pixels: np.ndarray) -> None:
    """Write a binary (P5) 8-bit PGM with a fixed header, so the bytes never vary."""
    height, width = pixels.shape
    path.write_bytes(f"P5\n{width} {height}\n255\n".encode("ascii") + pixels.tobytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("samples"), help="output directory")
    parser.add_argument(
        "--font", default="DejaVuSans.ttf", help="TrueType font, a path or a file name in the system font folders"
    )
    args = parser.parse_args()

    try:
        font = ImageFont.truetype(args.font, RENDER_PX)
    except OSError as exc:
        raise SystemExit(
            f"cannot load font {args.font!r} ({exc}); on Debian: apt-get install fonts-dejavu-core, or pass --font PATH"
        ) from exc
    print(f"font: {font.path} ({' '.join(font.getname())})")
    args.out.mkdir(parents=True, exist_ok=True)
    for digit in range(10):
        ink = mnist_centre(render_glyph(digit, font))
        path = args.out / f"{digit}.pgm"
        write_pgm(path, 255 - ink)  # dark digit on light background
        print(f"wrote {path} (digit {digit}, ink mass {ink.sum() / 255:.0f} px)")


if __name__ == "__main__":
    main()
