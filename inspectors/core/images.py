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

from inspectors.core.errors import InputError
from inspectors.core.snapshot import TransformSpec, resized_size

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
    raise InputError("image.unsupported_type", kind=type(image).__name__)


def check_image_file(path: Union[str, Path]) -> tuple[int, int]:
    """(width, height) of an image file that can be inspected, read from its header without decoding the pixels;
    InputError (missing, not an image, corrupt, too large) otherwise."""
    path = Path(path)
    if not path.is_file():
        raise InputError("image.missing", path=str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as im:
                _check_pixels(*im.size)
                size = im.size
                im.verify()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(*_header_size(path)) from None
        except UnidentifiedImageError:
            raise InputError("image.not_an_image", name=path.name) from None
        except (OSError, SyntaxError, ValueError, EOFError) as e:
            if isinstance(e, InputError):
                raise
            raise InputError("image.undecodable", name=path.name, reason=str(e) or type(e).__name__) from None
    if min(size) < 2:
        raise InputError("image.too_small", width=size[0], height=size[1])
    return size


def _open(path: Path) -> Image.Image:
    if not path.is_file():
        raise InputError("image.missing", path=str(path))
    # Pillow only warns between 1× and 2× its pixel limit; a debugger that must stay up treats both as errors.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(path)
            _check_pixels(*im.size)  # before decoding: a valid but enormous image is "too large", not corrupt
            im.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(*_header_size(path)) from None
        except UnidentifiedImageError:
            raise InputError("image.not_an_image", name=path.name) from None
        except (OSError, SyntaxError, ValueError, EOFError) as e:  # truncated or corrupt data
            if isinstance(e, InputError):
                raise
            raise InputError("image.undecodable", name=path.name, reason=str(e) or type(e).__name__) from None
    return im


def _from_pil(im: Image.Image) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            _check_pixels(*im.size)
            im.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(*im.size) from None
        except (OSError, SyntaxError, EOFError) as e:
            raise InputError("image.undecodable", name="The image", reason=str(e) or type(e).__name__) from None
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
        raise InputError("image.bad_array", shape=tuple(array.shape))
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
        raise InputError("image.bad_tensor", shape=tuple(tensor.shape))
    array = tensor.detach().cpu().permute(1, 2, 0).numpy()
    return _from_array(array)


def _check_size(rgb: np.ndarray) -> None:
    h, w = rgb.shape[:2]
    if h < 2 or w < 2:
        raise InputError("image.too_small", width=w, height=h)
    _check_pixels(w, h)


def _check_pixels(width: int, height: int) -> None:
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and width * height > limit:
        raise _too_many_pixels(width, height)


def _too_many_pixels(width: int, height: int) -> InputError:
    limit = int(Image.MAX_IMAGE_PIXELS or 0)
    return InputError("image.too_many_pixels", width=width, height=height, pixels=width * height, limit=limit,
                      side=int(limit**0.5))


def _header_size(path: Path) -> tuple[int, int]:
    """Width and height from the file header, without the pixel-limit check (for the error message only)."""
    saved = Image.MAX_IMAGE_PIXELS
    try:
        Image.MAX_IMAGE_PIXELS = None
        with Image.open(path) as im:
            return im.size
    except Exception:
        return (0, 0)
    finally:
        Image.MAX_IMAGE_PIXELS = saved


# The resized short side below which an image is refused: narrower than a few cells of the finest FPN level.
MIN_RESIZED_SIDE = 16


def check_fits_model(height: int, width: int, transform: "TransformSpec") -> None:
    """Refuse images that the model's resize would squash to (almost) nothing, before torchvision fails on them."""
    rh, rw = resized_size(transform, height, width)
    if min(rh, rw) < MIN_RESIZED_SIDE:
        max_ratio = transform.max_size / MIN_RESIZED_SIDE
        raise InputError("image.aspect_ratio", width=width, height=height, resized_width=rw, resized_height=rh,
                         min_side=MIN_RESIZED_SIDE, max_ratio=max_ratio)


def to_model_input(rgb: np.ndarray) -> torch.Tensor:
    """H×W×3 uint8 → 3×H×W float in [0, 1], as torchvision's detection models expect."""
    if not rgb.flags.writeable:  # arrays viewing PIL memory are read-only; torch wants writable storage
        rgb = rgb.copy()
    return torch.from_numpy(rgb).permute(2, 0, 1).float().div_(255.0)
