"""Instance masks as COCO keeps them: run-length encodings (RLE), with pycocotools' own mask utilities.

- `segmentation_rle(segmentation, height, width)`: a COCO `segmentation` — polygons (a list of [x1, y1, x2, y2, …]),
  an uncompressed RLE ({"size": [h, w], "counts": [int, …]}) or a compressed RLE ({"size", "counts": str}) — as one
  compressed RLE of the image, as pycocotools' COCO.annToRLE makes it (frPyObjects, merged polygons). What a file
  gives is checked first (MaskError says what is wrong): pycocotools' C code trusts the counts it decodes, so counts
  that do not add up to h × w are refused before they reach it.
- `encode(binary)`: (N, H, W) bool → N compressed RLEs (pycocotools.mask.encode).
- `mask_iou(dt, gt, iscrowd)`: pycocotools.mask.iou — COCOeval's segm IoU (a crowd column divides by the detection's
  area only).
Everything is in the image's original pixels.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Mapping, Sequence

import numpy as np
from pycocotools import mask as mask_utils

from inspectors.core.errors import InputError

Rle = dict  # {"size": [h, w], "counts": bytes}: one compressed RLE, as pycocotools takes and returns it


class MaskError(ValueError):
    """A segmentation that cannot be read; the message says why (callers turn it into their own readable error)."""


def segmentation_rle(segmentation: Any, height: int, width: int) -> Rle:
    """One compressed RLE of an (height, width) image from a COCO `segmentation` (polygons or RLE)."""
    h, w = int(height), int(width)
    if h <= 0 or w <= 0:
        raise MaskError(f"the image size {w}×{h} is unknown, so its polygons cannot be drawn")
    if isinstance(segmentation, (list, tuple)):
        polygons = [_polygon(p, k) for k, p in enumerate(segmentation)]
        if not polygons:
            raise MaskError("the polygon list is empty")
        return _compressed(mask_utils.merge(mask_utils.frPyObjects(polygons, h, w)))
    if isinstance(segmentation, Mapping):
        size, counts = segmentation.get("size"), segmentation.get("counts")
        if not (isinstance(size, (list, tuple)) and len(size) == 2 and all(_whole(v) for v in size)):
            raise MaskError(f"the RLE's size {_short(size)} is not [height, width]")
        rh, rw = int(size[0]), int(size[1])
        if (rh, rw) != (h, w):
            raise MaskError(f"the RLE is {rw}×{rh} pixels but the image is {w}×{h}")
        if isinstance(counts, (list, tuple)):  # uncompressed
            if not all(_whole(c) and c >= 0 for c in counts):
                raise MaskError("the RLE's counts are not whole numbers ≥ 0")
            if sum(int(c) for c in counts) != h * w:
                raise MaskError(f"the RLE's counts add up to {sum(int(c) for c in counts)}, not {h}×{w} = {h * w}")
            return _compressed(mask_utils.frPyObjects({"size": [h, w], "counts": [int(c) for c in counts]}, h, w))
        if isinstance(counts, (str, bytes)):  # compressed
            data = counts.encode("ascii", "replace") if isinstance(counts, str) else bytes(counts)
            total = _compressed_total(data)
            if total != h * w:
                raise MaskError(f"the compressed RLE covers {total} pixels, not {h}×{w} = {h * w}")
            return {"size": [h, w], "counts": data}
        raise MaskError(f"the RLE's counts {_short(counts)} are neither a list nor a string")
    raise MaskError(f"the segmentation {_short(segmentation)} is neither polygons nor an RLE")


def check_mask_thresh(value: Any) -> float:
    """The mask threshold as a float in [0, 1], or InputError("mask.threshold")."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= float(value) <= 1.0:
        if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
            return check_mask_thresh(value.item())
        raise InputError("mask.threshold", value=value)
    return float(value)


def encode(binary: np.ndarray) -> list[Rle]:
    """(N, H, W) bool (or 0/1) masks → N compressed RLEs."""
    masks = np.asarray(binary)
    if masks.ndim != 3:
        raise ValueError(f"expected (N, H, W) masks, got shape {masks.shape}")
    if masks.shape[0] == 0:
        return []
    return [_compressed(r) for r in mask_utils.encode(np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8)))]


def area(rles: Sequence[Rle]) -> np.ndarray:
    """(N,) float64 pixel count of each mask (what pycocotools' loadRes puts in a segm result's `area`)."""
    # In chunks of at most 255: pycocotools' area() makes a uint8 array of the count first, which NumPy 2 refuses
    # above 255.
    rles = list(rles)
    parts = [np.asarray(mask_utils.area(rles[i:i + 255]), dtype=np.float64).reshape(-1)
             for i in range(0, len(rles), 255)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float64)


def mask_iou(dt: Sequence[Rle], gt: Sequence[Rle], iscrowd: Any = None) -> np.ndarray:
    """(D, G) float64 IoU of masks, as COCOeval's computeIoU for segm (maskUtils.iou)."""
    crowd = [0] * len(gt) if iscrowd is None else [int(bool(c)) for c in np.asarray(iscrowd).reshape(-1)]
    if not len(dt) or not len(gt):
        return np.zeros((len(dt), len(gt)), dtype=np.float64)
    return np.asarray(mask_utils.iou(list(dt), list(gt), crowd), dtype=np.float64).reshape(len(dt), len(gt))


def decode(rle: Rle) -> np.ndarray:
    """(H, W) bool."""
    return mask_utils.decode(rle).astype(bool)


def rle_bytes(rle: Rle) -> bytes:
    return bytes(rle["counts"])


# ---- checks ----------------------------------------------------------------------------------------------------------
def _polygon(values: Any, k: int) -> list[float]:
    if not isinstance(values, (list, tuple)) or len(values) < 6 or len(values) % 2:
        raise MaskError(f"polygon {k} is not a list of at least 3 x, y pairs")
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(float(v)) for v in values):
        raise MaskError(f"polygon {k} holds values that are not finite numbers")
    return [float(v) for v in values]


def _whole(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and float(value).is_integer()


def _compressed_total(data: bytes) -> int:
    """The pixels a compressed RLE string covers (pycocotools' rleFrString, in Python), or MaskError when a count
    is negative or the string is cut short."""
    counts: list[int] = []
    p, n = 0, len(data)
    while p < n:
        x, k, more = 0, 0, True
        while more:
            if p >= n:
                raise MaskError("the compressed RLE string is cut short")
            c = data[p] - 48
            if not 0 <= c < 64:
                raise MaskError("the compressed RLE string holds characters outside COCO's alphabet")
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        if x < 0:
            raise MaskError("the compressed RLE has a negative count")
        counts.append(x)
    return int(sum(counts))


def _compressed(rle: Any) -> Rle:
    counts = rle["counts"]
    return {"size": [int(rle["size"][0]), int(rle["size"][1])],
            "counts": counts if isinstance(counts, bytes) else str(counts).encode("ascii")}


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
