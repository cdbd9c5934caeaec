"""Mask R-CNN in dataset mode: what a capture stores for the masks, and the masks replayed from it.

What is stored, and why. A detection's mask is the mask head's 28×28 logits of its class for its refined box, and
that box is fixed by (stored candidate row, class): the candidate's box and its stored box-head outputs decide it,
whatever the sliders. Which (row, class) pairs become detections depends on every slider, but a detection always
has a class score above the score threshold. So the capture stores, for every (row, class) whose score is above
the capture's mask score floor (default min(0.05, the model's score threshold): torchvision's default and COCO
evaluation's usual one), the own-class 28×28 logits as float32 — the replayed masks then equal the model's to the
bit at any setting with a score threshold ≥ the floor (below it, segm metrics say they cannot be computed).
At most MAX_MASK_PAIRS pairs per image are kept, the best scoring: where more score above the floor (a model whose
scores are all low, with a score threshold of 0), that image's floor rises to the best score left out, and the
record says so (`mask_floor`); every pair scoring above an image's floor is stored. Not
float16 (it would move mask probabilities by ~1e-3 and flip pixels at the threshold) and not pasted RLEs (they fix
one mask threshold, and the mask threshold is a slider). Bytes per image: 3136 per stored pair.

A replay with a single detection: the model then runs its mask head on a batch of one box, which for some heads
(the demo's; not the ResNet-50 builders', see mask_head.mask_logits_for_boxes) gives other last bits than the same
box among others. Such a detection is always the best-scoring pair among the proposals, so for those heads the
capture also stores the lone-box logits of the LONE_PAIRS best-scoring pairs (a 16-pair table); a lone detection
outside them (possible only when RPN settings remove all 16 rows) gets its batched logits, which may differ in the
last bits.

Replay, as torchvision does it (inspectors.roi.mask_head's own functions): the detections' own-class logits → the
sigmoid exactly as maskrcnn_inference computes it for that batch of detections (mask_probabilities) → expand_masks'
padding, expand_boxes to whole pixels, bilinear resize into the box, clipped (paste_one) → `> mask_thresh`, as COCO
RLEs (pasted_rle). Pastes made only of SIMD sigmoid values depend on the box alone and are memoised per
(row, label); the few others are pasted each time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np
import torch
from torch import Tensor
from torchvision.models.detection.roi_heads import expand_boxes, expand_masks
from torchvision.ops import boxes as box_ops

from inspectors.core.snapshot import MaskSpec
from inspectors.pipeline.replay import seed_with_captured_masks
from inspectors.roi.mask_head import (
    PastedMask,
    PixelBox,
    full_masks,
    lone_batch_differs,
    mask_logits_for_boxes,
    mask_probabilities,
    own_scalar_runs,
    paste_one,
)
from inspectors.roi.postprocess import box_candidates

if TYPE_CHECKING:
    from inspectors.core.trace import Trace
    from inspectors.dataset.record import ImageRecord

DEFAULT_MASK_FLOOR = 0.05  # torchvision's default box_score_thresh; COCO evaluations of Mask R-CNN use it
MASK_HEAD_CHUNK = 64  # boxes per mask-head run at capture (bounded memory for 256-channel heads)
MAX_MASK_PAIRS = 2000  # per image: ~6 MB of logits, the mask head run for 2000 boxes
LONE_PAIRS = 16  # best-scoring pairs whose logits are also stored as a batch of one box gives them
_MARGIN = 1e-6  # pairs a hair below the floor are stored too (a score computed in another batch may differ by an ulp)


def mask_floor_for(model_score_thresh: float, floor: Optional[float] = None) -> float:
    """The capture's mask score floor: `floor` when given, else min(0.05, the model's own score threshold)."""
    return float(floor) if floor is not None else min(DEFAULT_MASK_FLOOR, float(model_score_thresh))


# ---- at capture ----------------------------------------------------------------------------------------------------
def candidate_mask_logits(trace: "Trace", anchors: Tensor, boxes: Tensor, class_logits: Tensor,
                          box_regression: Tensor, floor: float, max_pairs: Optional[int] = None
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, Optional[tuple[np.ndarray, ...]]]:
    """(rows, labels, logits (P, 28, 28) float32, the image's floor, the lone table) of every (stored candidate,
    class) with a class score above the floor whose refined box is not tiny, sorted by row × classes + label. The
    floor is `floor`, or the best score left out when more than `max_pairs` pairs score above it. The lone table
    (rows, labels, logits) holds the LONE_PAIRS best pairs' logits as a batch of one box gives them (None for a head
    where that makes no difference). The mask head runs through the trace's per-box cache (the model's own
    detections keep the logits the capture recorded), a chunk of boxes at a time."""
    spec = trace.config.mask
    if spec is None:
        raise ValueError(f"{trace.model_name} has no mask branch")
    with torch.inference_mode():
        cands = box_candidates(class_logits, box_regression, boxes, trace.resized_size,
                               trace.config.roi_box_coder.build())
        chosen = torch.nonzero(cands.scores > float(floor) - _MARGIN).flatten()
        chosen = chosen[box_ops.remove_small_boxes(cands.boxes[chosen], min_size=1e-2)]
        image_floor = float(floor)
        max_pairs = MAX_MASK_PAIRS if max_pairs is None else int(max_pairs)
        by_score = torch.argsort(cands.scores[chosen], descending=True, stable=True)
        lone = chosen[by_score[:LONE_PAIRS]] if lone_batch_differs(trace) else chosen[:0]
        if chosen.numel() > max_pairs:  # the best max_pairs; the floor rises to the best score left out
            image_floor = max(image_floor, float(cands.scores[chosen[by_score[max_pairs]]]))
            chosen = chosen[by_score[:max_pairs]]
        rows, labels = cands.source[chosen], cands.labels[chosen]
        num_classes = int(class_logits.shape[-1])
        order = torch.argsort(rows * num_classes + labels, stable=True)
        chosen, rows, labels = chosen[order], rows[order], labels[order]
        refined = cands.boxes[chosen]
        seed_with_captured_masks(trace)
        keys = list(zip(anchors[rows].tolist(), labels.tolist()))
        parts = []
        for begin in range(0, len(keys), MASK_HEAD_CHUNK):
            end = begin + MASK_HEAD_CHUNK
            logits, _ = mask_logits_for_boxes(trace, keys[begin:end], refined[begin:end], labels[begin:end])
            parts.append(logits.detach().cpu().to(torch.float32))
        logits = torch.cat(parts) if parts else torch.zeros((0, *spec.resolution))
        lone_table = None
        if lone.numel():
            lone_rows, lone_labels = cands.source[lone], cands.labels[lone]
            alone = [mask_logits_for_boxes(trace, [(int(anchors[r]), int(lab))], cands.boxes[k:k + 1],
                                           cands.labels[k:k + 1], alone=True)[0].detach().cpu().to(torch.float32)
                     for r, lab, k in zip(lone_rows.tolist(), lone_labels.tolist(), lone.tolist())]
            lone_table = (lone_rows.cpu().numpy().astype(np.int32), lone_labels.cpu().numpy().astype(np.int16),
                          np.ascontiguousarray(torch.cat(alone).numpy()))
    return (rows.cpu().numpy().astype(np.int32), labels.cpu().numpy().astype(np.int16),
            np.ascontiguousarray(logits.numpy()), image_floor, lone_table)


# ---- at replay -----------------------------------------------------------------------------------------------------
class MasksUnavailable(LookupError):
    """A detection whose mask the capture did not store (its score is below the capture's mask floor)."""


def stored_logits(record: "ImageRecord", rows: np.ndarray, labels: np.ndarray, num_classes: int) -> Tensor:
    """(N, 28, 28) the stored own-class logits of detections (record rows, model labels); a lone detection's from
    the lone table when it is there (as the model computes a batch of one box)."""
    if record.mask_logits is None or record.mask_row is None or record.mask_label is None:
        raise MasksUnavailable("this capture stores no masks")
    if len(rows) == 1 and record.mask_lone_logits is not None:
        hit = np.flatnonzero((record.mask_lone_row == int(rows[0])) & (record.mask_lone_label == int(labels[0])))
        if len(hit):
            return torch.from_numpy(record.mask_lone_logits[hit[:1]])
    stored = record.mask_row.astype(np.int64) * num_classes + record.mask_label.astype(np.int64)
    wanted = np.asarray(rows, dtype=np.int64) * num_classes + np.asarray(labels, dtype=np.int64)
    position = np.searchsorted(stored, wanted)
    found = (position < len(stored)) & (stored[np.minimum(position, max(len(stored) - 1, 0))] == wanted) \
        if len(stored) else np.zeros(len(wanted), dtype=bool)
    if not found.all():
        raise MasksUnavailable(f"{int((~found).sum())} detection(s) scored at or below the capture's mask floor "
                               f"{record.mask_floor:g}")
    return torch.from_numpy(record.mask_logits[position])


def probabilities(logits: Tensor, labels: np.ndarray, spec: MaskSpec) -> tuple[Tensor, list[bool]]:
    """maskrcnn_inference's probabilities (N, 1, 28, 28) for this batch of detections, and per detection whether
    every one of its values is a SIMD value (then its paste depends on its box alone: memoisable)."""
    label_tensor = torch.as_tensor(np.asarray(labels, dtype=np.int64))
    probs = mask_probabilities(logits, label_tensor, spec.num_classes)
    size = int(spec.resolution[0] * spec.resolution[1])
    cacheable = [True] * int(logits.shape[0])
    for i, _, _ in own_scalar_runs(label_tensor.tolist(), spec.num_classes, size):
        cacheable[i] = False
    return probs, cacheable


def pixel_boxes(boxes: Tensor, spec: MaskSpec) -> list[PixelBox]:
    """expand_boxes of `boxes` (original pixels) by expand_masks' scale, to int64 (mask_head.pixel_boxes)."""
    resolution = spec.resolution[-1]
    scale = float(resolution + 2 * spec.paste_padding) / resolution
    with torch.inference_mode():
        return [(b[0], b[1], b[2], b[3]) for b in expand_boxes(boxes, scale).to(dtype=torch.int64).tolist()]


def paste(probs: Tensor, boxes: Tensor, spec: MaskSpec, image_size: tuple[int, int],
          only: Optional[Sequence[int]] = None) -> dict[int, PastedMask]:
    """paste_masks_in_image's work for detections `only` (all by default): position → its PastedMask."""
    with torch.inference_mode():
        padded, _ = expand_masks(probs, padding=spec.paste_padding)
    boxes_px = pixel_boxes(boxes, spec)
    chosen = range(len(boxes_px)) if only is None else only
    return {i: paste_one(padded[i, 0], boxes_px[i], image_size) for i in chosen}


def masks_of(probs: Tensor, boxes: Tensor, spec: MaskSpec, image_size: tuple[int, int]) -> Tensor:
    """(N, 1, H, W) float: the pasted probabilities, as the model returns `masks`."""
    pasted = paste(probs, boxes, spec, image_size)
    return full_masks([pasted[i] for i in range(len(pasted))], image_size, probs)
