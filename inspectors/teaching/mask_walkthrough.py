"""The mask branch of a Mask R-CNN, one detection step by step, with the model's own numbers.

torchvision's order (RoIHeads.forward in eval mode, maskrcnn_inference, GeneralizedRCNNTransform.postprocess):
    the final box (resized frame) → mask_roi_pool: MultiScaleRoIAlign 14×14 on the FPN level its size maps to
    (LevelMapper), 2×2 bilinear samples averaged per bin, aligned=False
    → mask_head (four 3×3 convs) → mask_predictor (a 2×2 stride-2 transposed conv to 28×28, a 1×1 conv per class)
    → the logits of the detection's own class → sigmoid
    → paste_masks_in_image: expand_masks pads the 28×28 by one zero cell per side (30×30), expand_boxes scales the
      box about its centre by 30/28, the box is truncated to int64, the mask is resized bilinearly
      (align_corners=False) to (y2 − y1 + 1, x2 − x1 + 1) and clipped to the image
    → a threshold (not in the model: torchvision returns probabilities; 0.5 is what COCO evaluation uses).
Every number here comes from the replay (the cached logits its masks were made from, its pasted masks) or from
torchvision's ops run on the captured FPN map; tests hold each step equal to the model's modules.

"Why RoIAlign" (Mask R-CNN's argument): the same box pooled on the same 14×14 grid with RoIPool's rounding (the
box rounded to whole feature cells, bins split with floor/ceil) and with RoIAlign's continuous bins. `misplacement`
measures, per bin, how far the centre of the cells RoIPool takes its max over lies from the centre of RoIAlign's
sample points, in original image pixels, beside the size of one 28×28 mask cell of this box.
Convention: a feature cell j sits at coordinate j (torchvision's aligned=False; cell j's value is sampled
exactly at x = j), so it covers [j − 0.5, j + 0.5] and RoIPool's bin of cells [start, end) spans
[start − 0.5, end − 0.5].
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F
from torchvision.models.detection.roi_heads import expand_boxes, expand_masks

from inspectors.roi.mask_head import mask_logits_for_boxes
from inspectors.teaching.roi_pooling import RoiPoolingView, roi_pooling_view

if TYPE_CHECKING:
    from inspectors.pipeline.replay import Replay

# The mask-threshold slider's steps: masks > k / THRESHOLD_STEPS for k = 0 … THRESHOLD_STEPS.
THRESHOLD_STEPS = 100


@dataclass(frozen=True)
class MaskPaste:
    """paste_masks_in_image for one mask, with every intermediate value."""

    padding: int  # expand_masks' zero cells per side
    padded: Tensor  # (M + 2p, M + 2p) probabilities with the zero border
    scale: float  # (M + 2p) / M: how much expand_boxes grows the box
    box: tuple[float, float, float, float]  # the detection, original pixels
    expanded: tuple[float, float, float, float]  # expand_boxes(box, scale)
    pixel_box: tuple[int, int, int, int]  # expanded, truncated to int64 as torchvision does
    size: tuple[int, int]  # (height, width) the padded mask is resized to: (y2 − y1 + 1, x2 − x1 + 1)
    region: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive): what lands inside the image
    crop: Tensor  # (y1 − y0, x1 − x0) the pasted probabilities there (zero everywhere else in the image)


@dataclass(frozen=True)
class Misplacement:
    """RoIPool's quantised bins against RoIAlign's sample points for one box on one level (see the module doc)."""

    pool_centres: np.ndarray  # (oh, ow, 2) x, y centre of each RoIPool bin's cells, feature units (NaN: empty)
    align_centres: np.ndarray  # (oh, ow, 2) x, y centre (mean) of each RoIAlign bin's sample points, feature units
    offsets: np.ndarray  # (oh, ow, 2) pool − align centres, original pixels (NaN where a pool bin is empty)
    pool_box: tuple[float, float, float, float]  # RoIPool's rounded box (its corner cells), original pixels
    box: tuple[float, float, float, float]  # the box itself, original pixels
    feature_stride: tuple[float, float]  # one feature cell in original pixels (x, y)
    bin_size: tuple[float, float]  # one 14×14 bin of this box, original pixels (x, y)
    mask_cell: tuple[float, float]  # one 28×28 mask cell of this box, original pixels (x, y)
    empty_bins: int  # RoIPool bins with no cell (they output 0)

    @property
    def distances(self) -> np.ndarray:
        """(oh, ow) Euclidean centre offset per bin, original pixels (NaN for empty bins)."""
        return np.hypot(self.offsets[..., 0], self.offsets[..., 1])

    @property
    def max_offset(self) -> float:
        return float(np.nanmax(self.distances)) if np.isfinite(self.distances).any() else float("nan")

    @property
    def mean_offset(self) -> float:
        return float(np.nanmean(self.distances)) if np.isfinite(self.distances).any() else float("nan")

    @property
    def box_edge_offsets(self) -> tuple[float, float, float, float]:
        """RoIPool's rounded box minus the box, per side (x1, y1, x2, y2), original pixels."""
        return (self.pool_box[0] - self.box[0], self.pool_box[1] - self.box[1],
                self.pool_box[2] - self.box[2], self.pool_box[3] - self.box[3])

    @property
    def in_mask_cells(self) -> float:
        """The largest centre offset in units of one mask cell (the larger of its two sides)."""
        return self.max_offset / max(self.mask_cell)


@dataclass(frozen=True)
class MaskWalkthrough:
    index: int  # into replay.detections
    label: int
    name: str
    score: float
    pooling: RoiPoolingView  # the mask pooler's level, its rule, the 14×14 RoIAlign and RoIPool on that map
    pooled: Tensor  # (C, 14, 14): mask_roi_pool's output for this box (the RoIAlign features the mask head reads)
    logits: Tensor  # (28, 28): mask_predictor's logits of the detection's own class
    probabilities: Tensor  # (28, 28): their sigmoid (replay.mask_probs[index, 0])
    paste: MaskPaste
    threshold: float
    binary: Tensor  # (region h, region w) bool: paste.crop > threshold
    misplacement: Misplacement

    @property
    def pooled_mean(self) -> Tensor:
        """(14, 14): the pooled features' channel mean (what a picture of them can show)."""
        return self.pooled.mean(dim=0)

    @property
    def pixels(self) -> int:
        """Image pixels in the mask at `threshold`."""
        return int(self.binary.sum())


def mask_walkthrough(replay: "Replay", index: int, threshold: float = 0.5) -> MaskWalkthrough:
    """Detection `index` of `replay` through the mask branch, step by step (see the module doc)."""
    trace = replay.trace
    spec = trace.config.mask
    probs_all = replay.mask_probs
    if spec is None or probs_all is None:
        raise ValueError(f"{trace.model_name} has no mask branch: it is not a Mask R-CNN.")
    count = len(replay.detections)
    if not 0 <= index < count:
        raise IndexError(f"Detection {index} does not exist: this replay has {count}.")
    value = float(threshold)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"The mask threshold must be in [0, 1], not {threshold!r}.")
    det = replay.detections
    box_resized = det.boxes_resized[index]
    pooling = roi_pooling_view(trace, box_resized, frame="resized", pooler=spec.pooler)
    # The logits replay's masks were made from (the per-box cache; the mask head runs only if it was evicted).
    logits, _ = mask_logits_for_boxes(trace, [replay.mask_keys()[index]], det.boxes_resized[index:index + 1],
                                      det.labels[index:index + 1], alone=count == 1)
    paste = _paste(probs_all[index, 0], det.boxes[index], trace.original_size, spec.paste_padding)
    with torch.inference_mode():
        binary = paste.crop > value
    return MaskWalkthrough(
        index=index,
        label=int(det.labels[index]),
        name=det.names[index] if index < len(det.names) else str(int(det.labels[index])),
        score=float(det.scores[index]),
        pooling=pooling,
        pooled=pooling.comparison.align,
        logits=logits[0],
        probabilities=probs_all[index, 0],
        paste=paste,
        threshold=value,
        binary=binary,
        misplacement=misplacement(pooling, trace.original_size, trace.resized_size, spec.resolution),
    )


def _paste(probabilities: Tensor, box: Tensor, image_size: tuple[int, int], padding: int) -> MaskPaste:
    """paste_masks_in_image for one (M, M) mask, step by step (expand_masks, expand_boxes, paste_mask_in_image)."""
    im_h, im_w = image_size
    with torch.inference_mode():
        padded, scale = expand_masks(probabilities[None, None], padding=padding)
        expanded = expand_boxes(box[None], scale)
        pixel = expanded.to(dtype=torch.int64)[0].tolist()
        w = max(int(pixel[2] - pixel[0] + 1), 1)
        h = max(int(pixel[3] - pixel[1] + 1), 1)
        resized = F.interpolate(padded, size=(h, w), mode="bilinear", align_corners=False)[0, 0]
        x0, x1 = max(pixel[0], 0), min(pixel[2] + 1, im_w)
        y0, y1 = max(pixel[1], 0), min(pixel[3] + 1, im_h)
        crop = resized[max(y0 - pixel[1], 0):max(y1 - pixel[1], 0), max(x0 - pixel[0], 0):max(x1 - pixel[0], 0)]
    bx = tuple(float(v) for v in box.tolist())
    ex = tuple(float(v) for v in expanded[0].tolist())
    return MaskPaste(
        padding=int(padding), padded=padded[0, 0], scale=float(scale),
        box=(bx[0], bx[1], bx[2], bx[3]), expanded=(ex[0], ex[1], ex[2], ex[3]),
        pixel_box=(int(pixel[0]), int(pixel[1]), int(pixel[2]), int(pixel[3])), size=(h, w),
        region=(int(x0), int(y0), max(int(x1), int(x0)), max(int(y1), int(y0))), crop=crop,
    )


def misplacement(pooling: RoiPoolingView, original_size: tuple[int, int], resized_size: tuple[int, int],
                 resolution: tuple[int, int]) -> Misplacement:
    """RoIPool's bin centres against RoIAlign's, in original pixels, for the box and level of `pooling`."""
    comparison = pooling.comparison
    scale = comparison.spatial_scale
    # Feature units → resized pixels (÷ scale) → original pixels (× original / resized, per axis).
    to_x = (original_size[1] / resized_size[1]) / scale
    to_y = (original_size[0] / resized_size[0]) / scale
    bins = comparison.pool_cells.bins.astype(np.float64)  # (oh, ow, 4): x_start, y_start, x_end, y_end
    empty = (bins[..., 2] <= bins[..., 0]) | (bins[..., 3] <= bins[..., 1])
    pool_centres = np.stack([(bins[..., 0] + bins[..., 2] - 1) / 2, (bins[..., 1] + bins[..., 3] - 1) / 2], -1)
    pool_centres[empty] = np.nan
    align_centres = comparison.align_points.feature.mean(axis=2)
    offsets = (pool_centres - align_centres) * np.array([to_x, to_y])
    rx1, ry1, rx2, ry2 = comparison.pool_cells.roi
    # The article's arithmetic (seed 004): the rounded corner cells times the stride, back in image pixels.
    pool_box = (rx1 * to_x, ry1 * to_y, rx2 * to_x, ry2 * to_y)
    box = pooling.box
    oh, ow = comparison.align.shape[-2:]
    width, height = box[2] - box[0], box[3] - box[1]
    return Misplacement(
        pool_centres=pool_centres, align_centres=align_centres, offsets=offsets, pool_box=pool_box, box=box,
        feature_stride=(to_x, to_y), bin_size=(width / int(ow), height / int(oh)),
        mask_cell=(width / resolution[1], height / resolution[0]), empty_bins=int(empty.sum()),
    )


# ---- all detections' masks for a viewer that thresholds them itself -------------------------------------------

@dataclass(frozen=True)
class MaskCrop:
    """One detection's pasted mask where it lands in the image, quantised exactly for the threshold slider:
    `levels[y, x]` = how many of the thresholds k / THRESHOLD_STEPS (k = 0 … THRESHOLD_STEPS, as float32) the
    probability exceeds, so that `masks > k / THRESHOLD_STEPS` ⇔ `levels > k` (exact at every slider step)."""

    region: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive), original pixels
    levels: np.ndarray  # (y1 − y0, x1 − x0) uint8 in 0 … THRESHOLD_STEPS + 1

    def encoded(self) -> str:
        """The levels row by row, zlib-compressed, base64 (what a browser inflates)."""
        return base64.b64encode(zlib.compress(np.ascontiguousarray(self.levels).tobytes(), 6)).decode("ascii")


def threshold_grid() -> Tensor:
    """The slider's thresholds k / THRESHOLD_STEPS as the float32 values `masks > t` compares with."""
    return torch.tensor([k / THRESHOLD_STEPS for k in range(THRESHOLD_STEPS + 1)], dtype=torch.float32)


def mask_crops(replay: "Replay") -> list[MaskCrop]:
    """Every detection's pasted mask where paste_masks_in_image writes it (replay.pasted_masks: its expanded box,
    clipped; zero elsewhere), quantised to the threshold slider's steps (see MaskCrop)."""
    pasted = replay.pasted_masks()
    if not pasted:
        return []
    with torch.inference_mode():
        # One bucketize over all the pastes (one call per mask costs more in overhead than in work).
        flat = torch.cat([p.values.reshape(-1) for p in pasted])
        levels = torch.bucketize(flat, threshold_grid().to(flat.device), right=False).to(torch.uint8).cpu().numpy()
    crops, start = [], 0
    for p in pasted:
        x0, y0, x1, y1 = (int(v) for v in p.region)
        size = (y1 - y0) * (x1 - x0)
        crops.append(MaskCrop((x0, y0, x1, y1), levels[start:start + size].reshape(y1 - y0, x1 - x0)))
        start += size
    return crops
