"""Whatever users upload becomes RGB uint8 or a clear ValueError."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from inspectors.core.images import load_image


def save(tmp_path, image: Image.Image, name: str, **kwargs):
    path = tmp_path / name
    image.save(path, **kwargs)
    return path


def test_exif_orientation_is_applied(tmp_path):
    im = Image.new("RGB", (40, 20), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    rgb = load_image(save(tmp_path, im, "rot.jpg", exif=exif))
    assert rgb.shape == (40, 20, 3)


@pytest.mark.parametrize("mode", ["L", "LA", "P", "RGBA", "CMYK", "1"])
def test_modes_become_rgb(tmp_path, mode):
    im = Image.new("RGB", (30, 20), (10, 200, 30)).convert(mode)
    ext = "jpg" if mode == "CMYK" else "png"
    rgb = load_image(save(tmp_path, im, f"im.{ext}"))
    assert rgb.dtype == np.uint8 and rgb.shape == (20, 30, 3)


def test_transparent_pixels_become_white(tmp_path):
    im = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    assert load_image(save(tmp_path, im, "t.png")).min() == 255


def test_sixteen_bit_is_scaled_not_saturated(tmp_path):
    values = np.linspace(0, 65535, 64 * 4).astype(np.uint16).reshape(4, 64)
    rgb = load_image(save(tmp_path, Image.fromarray(values), "deep.png"))
    grey = rgb[..., 0]
    assert grey.min() == 0 and grey.max() == 255
    assert len(np.unique(grey)) > 50  # a gradient, not a wall of 255


def test_arrays_and_tensors_pass_through():
    import torch

    arr = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    assert np.array_equal(load_image(arr), arr)
    assert np.array_equal(load_image(torch.from_numpy(arr).permute(2, 0, 1).float() / 255), arr)


def test_not_an_image_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is not a picture")
    with pytest.raises(ValueError, match="not an image"):
        load_image(path)


def test_truncated_file_is_a_clear_error(tmp_path):
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (200, 200, 3), dtype=np.uint8)).save(buf, "PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(ValueError, match="could not be decoded"):
        load_image(path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="No image file"):
        load_image(tmp_path / "nope.jpg")


def test_decompression_bomb_is_refused(tmp_path, monkeypatch):
    path = save(tmp_path, Image.new("L", (200, 200)), "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 30_000)  # 40 000 px: between 1× and 2× the limit
    with pytest.raises(ValueError, match="too large"):
        load_image(path)
