"""Turn whatever a user hands us into the RGB uint8 array the model will see.

Uploads are messy: phone photos carry an EXIF rotation, PNGs come as palettes, greyscale, 16-bit or with alpha,
scans come as CMYK. Each becomes an H×W×3 uint8 RGB array, or a ValueError that says what was wrong.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Union

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

ImageInput = Union[str, Path, Image.Image, np.ndarray, torch.Tensor]

_SIXTEEN_BIT_MODES = {"I;16", "I;16B", "I;16L", "I;16N", "I"}


def load_image(image: ImageInput) -> np.ndarray:
    """Return the image as a contiguous H×W×3 uint8 RGB array (EXIF orientation applied)."""
    if isinstance(image, (str, Path)):
        return _from_pil(_open(Path(image)))
    if isinstance(image, Image.Image):
        return _from_pil(image)
    if isinstance(image, torch.Tensor):
        return _from_tensor(image)
    if isinstance(image, np.ndarray):
        return _from_array(image)
    raise ValueError(f"Unsupported image type {type(image).__name__}: give a path, a PIL image or an H×W×3 array.")


def _open(path: Path) -> Image.Image:
    if not path.is_file():
        raise ValueError(f"No image file at {path}.")
    # Pillow only warns between 1× and 2× its pixel limit; a debugger that must stay up treats both as errors.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(path)
            im.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise ValueError(f"{path.name} is too large to inspect safely ({e}).") from None
        except UnidentifiedImageError:
            raise ValueError(f"{path.name} is not an image file that Pillow can read.") from None
        except (OSError, SyntaxError) as e:  # truncated or corrupt data
            raise ValueError(f"{path.name} could not be decoded: {e}.") from None
    return im


def _from_pil(im: Image.Image) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            Image._decompression_bomb_check(im.size)
            im.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise ValueError(f"The image is too large to inspect safely ({e}).") from None
        except (OSError, SyntaxError) as e:
            raise ValueError(f"The image could not be decoded: {e}.") from None
    im = ImageOps.exif_transpose(im)
    if im.mode in _SIXTEEN_BIT_MODES:
        return _grey_to_rgb(_scale_to_uint8(np.asarray(im)))
    if im.mode == "F":
        return _grey_to_rgb(_scale_to_uint8(np.asarray(im)))
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("LA", "PA", "La", "RGBa"):
        im = im.convert("RGBA")
    if im.mode == "RGBA":
        # Transparent pixels often hold junk colours: composite on white, as a viewer would show them.
        background = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, im)
    rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
    _check_size(rgb)
    return np.ascontiguousarray(rgb)


def _scale_to_uint8(values: np.ndarray) -> np.ndarray:
    """Scale high-bit-depth values into 0..255 instead of letting them saturate."""
    is_float = values.dtype.kind == "f"
    values = values.astype(np.float64)
    if is_float and values.size and values.max() <= 1.0 and values.min() >= 0.0:
        top = 1.0
    elif values.size and values.max() > 255:
        top = 65535.0
    else:
        top = 255.0
    return np.clip(np.rint(values / top * 255.0), 0, 255).astype(np.uint8)


def _grey_to_rgb(grey: np.ndarray) -> np.ndarray:
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    _check_size(rgb)
    return np.ascontiguousarray(rgb)


def _from_array(array: np.ndarray) -> np.ndarray:
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4):
        raise ValueError(f"Expected an H×W×3 image array, got shape {tuple(array.shape)}.")
    if array.dtype != np.uint8:
        if array.dtype.kind == "f" and array.size and array.max() <= 1.0:
            array = np.clip(np.rint(array * 255.0), 0, 255).astype(np.uint8)
        elif array.dtype.kind in "ui" and array.size and array.max() > 255:
            array = _scale_to_uint8(array)
        else:
            array = np.clip(array, 0, 255).astype(np.uint8)
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    elif array.shape[2] == 4:
        return _from_pil(Image.fromarray(array, "RGBA"))
    _check_size(array)
    return np.ascontiguousarray(array)


def _from_tensor(tensor: torch.Tensor) -> np.ndarray:
    """A C×H×W tensor as torchvision models take it: float in 0..1, or uint8."""
    if tensor.ndim != 3 or tensor.shape[0] not in (1, 3):
        raise ValueError(f"Expected a 3×H×W image tensor, got shape {tuple(tensor.shape)}.")
    array = tensor.detach().cpu().permute(1, 2, 0).numpy()
    return _from_array(array)


def _check_size(rgb: np.ndarray) -> None:
    h, w = rgb.shape[:2]
    if h < 2 or w < 2:
        raise ValueError(f"The image is only {w}×{h} pixels; nothing to detect.")
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and h * w > limit:
        raise ValueError(f"The image has {h * w} pixels, over the {limit}-pixel safety limit.")


def to_model_input(rgb: np.ndarray) -> torch.Tensor:
    """H×W×3 uint8 → 3×H×W float in [0, 1], as torchvision's detection models expect."""
    if not rgb.flags.writeable:  # arrays viewing PIL memory are read-only; torch wants writable storage
        rgb = rgb.copy()
    return torch.from_numpy(rgb).permute(2, 0, 1).float().div_(255.0)
