import numpy as np
import pytest
from PIL import Image

from emohead.errors import EmoheadError
from emohead.face.analyze import analyze_portrait
from emohead.face.image import load_image


def _save(img: Image.Image, path, **kw):
    img.save(path, **kw)
    return path


def test_exif_orientation_is_applied(tmp_path, demo_portrait):
    src = Image.open(demo_portrait)
    exif = src.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    rotated = src.transpose(Image.Transpose.ROTATE_90)  # stored sideways, as a phone would
    path = _save(rotated, tmp_path / "sideways.jpg", exif=exif.tobytes())
    img = load_image(path)
    assert img.shape[:2] == (src.height, src.width)
    analyze_portrait(img)  # upright again, so the face is found


@pytest.mark.parametrize("mode", ["RGBA", "L", "I;16", "CMYK", "P"])
def test_image_modes_become_rgb8_and_keep_the_face(tmp_path, demo_portrait, mode):
    src = Image.open(demo_portrait).convert("RGB").resize((485, 550))
    if mode == "I;16":
        grey = np.asarray(src.convert("L"), dtype=np.uint16) * 257
        img = Image.fromarray(grey)
        assert img.mode == "I;16"
        path = _save(img, tmp_path / "deep.png")
    else:
        img = src.convert(mode)
        path = _save(img, tmp_path / f"x.{'jpg' if mode in ('L', 'CMYK') else 'png'}")
    rgb = load_image(path)
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    assert 40 < rgb.mean() < 220  # not black, not blown out: 16-bit was scaled, alpha composited
    portrait = analyze_portrait(rgb)
    assert portrait.lm68.shape == (68, 3)


def test_transparent_background_becomes_white(tmp_path):
    img = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    rgb = load_image(_save(img, tmp_path / "clear.png"))
    assert (rgb == 255).all()


def test_unreadable_and_missing_images(tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_text("not an image")
    with pytest.raises(EmoheadError, match="not a readable image"):
        load_image(bad)
    with pytest.raises(EmoheadError, match="portrait not found"):
        load_image(tmp_path / "missing.jpg")
