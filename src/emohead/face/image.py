"""Reading portraits: any file Pillow opens, EXIF orientation applied, returned as 8-bit RGB."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from emohead.errors import EmoheadError
from emohead.limits import MAX_IMAGE_PIXELS


def to_rgb8(img) -> np.ndarray:
    """A Pillow image of any mode (RGBA, LA, P, L, I;16, I, F, CMYK, YCbCr...) -> (H, W, 3) uint8 RGB.

    Transparency is composited on white; high bit depths are scaled to 8 bits, not clipped.
    """
    from PIL import Image

    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or arr.max() > 255 else 255.0
        arr = np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(arr[..., None], 3, axis=2)
    if mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa"):
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img.convert("RGBA"))
    return np.ascontiguousarray(np.asarray(img.convert("RGB"), dtype=np.uint8))


def load_image(path: str | Path, what: str = "portrait") -> np.ndarray:
    """Read an image file as (H, W, 3) uint8 RGB with its EXIF orientation applied."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if path.is_dir():
        raise EmoheadError(f"{what} {path} is a folder; give an image file (JPEG, PNG, ...)")
    if not path.exists():
        raise EmoheadError(f"{what} not found: {path} (check the path)")
    if not path.is_file():
        raise EmoheadError(f"{what} {path} is not a regular file (a device or pipe); give an image file (JPEG, PNG, ...)")
    too_big = f"{what} {path} has more than {MAX_IMAGE_PIXELS / 1e6:.0f} million pixels; scale it down (a face needs far fewer)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:  # reads the header only: the size is known before any pixel is decoded
                if img.size[0] * img.size[1] > MAX_IMAGE_PIXELS:
                    raise EmoheadError(too_big)
                img.load()
                img = ImageOps.exif_transpose(img)
                return to_rgb8(img)
    except Image.DecompressionBombError:
        raise EmoheadError(too_big) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise EmoheadError(f"cannot read {what} {path}: not a readable image ({err}); use a JPEG or PNG photo") from None
