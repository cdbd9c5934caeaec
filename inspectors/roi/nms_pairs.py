"""torchvision's per-class box NMS of every image of a dataset at any IoU threshold, without a kernel call per image.

The final stage runs `batched_nms` once per image; over a dataset the fixed cost of those calls dominates a box-NMS
slider move. Greedy NMS only needs, for every pair of boxes of one (image, class) that overlap, which box comes
first in the kernel's visiting order and their IoU as the kernel computes it. Those pairs depend on the score
threshold only (which boxes exist, and the coordinates the kernel sees), not on the NMS threshold, so they are found
once per score threshold, for every image at once (a sweep over x, as in rpn.nms_grid). A move of the NMS slider
then keeps the pairs with IoU > threshold and solves the greedy pass over all images together:

    a box is kept  ⇔  no box kept before it overlaps it by more than the threshold

solved as a fixed point (boxes with no live suppressor are kept; boxes a kept box suppresses are removed; edges
from removed boxes are dropped), each round one vectorised pass over the remaining pairs.

Why it equals the kernel (torchvision/csrc/ops/cpu/nms_kernel.cpp, as in rpn.nms_grid): the visiting order is a
stable descending sort of the scores (ties in index order); the IoU is computed with the kernel's float32
operations on the coordinates the kernel is given — `boxes + label · (max coordinate + 1)` of the image when
batched_nms uses its coordinate trick (at most 1000 boxes on CPU), the boxes themselves when it calls nms per class
(more than 1000) — and compared as the kernel compares it, `ovr > threshold` with the threshold a double. Pairs
whose boxes do not intersect have IoU 0 (or NaN) and never suppress at any threshold ≥ 0, so leaving them out
changes nothing. The order of what is kept is the kernel's visiting order (coordinate trick) or, per class, the
same boxes re-sorted by `scores.sort(descending=True)` (more than 1000 boxes): equal to the stable order unless two
kept boxes of the image tie, and those images are sorted by that very call.

An image whose boxes overlap in too many pairs (a low score threshold leaves thousands of boxes per image) is left
to the kernel: `dense` lists them and the caller runs batched_nms on them as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import torch
from torch import Tensor

from inspectors.rpn.nms_grid import MAX_THRESHOLDS, threshold_index

TRICK_NUMEL = 4000  # batched_nms's coordinate trick up to this many coordinates on CPU
MAX_PAIRS_PER_BOX = 64  # an image with more overlapping pairs than this per box is left to the kernel


@dataclass
class NmsPairs:
    """Every overlapping (suppressor, victim) pair of the boxes of one score threshold, all images together."""

    num_boxes: int
    order: np.ndarray  # (N,) boxes (rows) in the kernel's visiting order, image after image
    image: np.ndarray  # (N,) int64 image of each row
    sup: np.ndarray  # (E,) row visited first
    vic: np.ndarray  # (E,) row visited later
    ovr: np.ndarray  # (E,) float64: the kernel's float32 IoU of the pair
    dense: np.ndarray  # images left to the kernel (their rows take no part in the pairs)
    vanilla: np.ndarray  # (I,) bool: the image has more than 1000 boxes (batched_nms calls nms per class)
    tied: np.ndarray  # (I,) bool: the image has tied scores (matters only for vanilla images)
    grid: tuple[float, ...] = ()  # NMS thresholds decided at once (grid_bits), e.g. the slider's steps
    grid_bits: Optional[np.ndarray] = None  # (N,) int64: bit k set when the box is kept at grid[k]

    def nbytes(self) -> int:
        return int(sum(a.nbytes for a in (self.order, self.image, self.sup, self.vic, self.ovr)))


def nms_pairs(boxes: Tensor, shifted: Tensor, scores: Tensor, labels: Tensor, image: Tensor, counts: list[int],
              max_pairs_per_box: int = MAX_PAIRS_PER_BOX) -> NmsPairs:
    """The pairs of the boxes above one score threshold (rows image after image, `counts` per image); `shifted` are
    the boxes with the coordinate trick's per-image offsets applied, `boxes` without."""
    n = int(boxes.shape[0])
    num_images = len(counts)
    count = np.asarray(counts, dtype=np.int64)
    vanilla = count * 4 > TRICK_NUMEL
    img = image.numpy().astype(np.int64)
    sc = scores.numpy()
    # The kernel's visiting order: per image, a stable descending sort of the scores.
    by_score = np.argsort(-sc, kind="stable")
    order = by_score[np.argsort(img[by_score], kind="stable")]
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    sorted_scores = sc[order]
    same = (img[order][1:] == img[order][:-1]) & (sorted_scores[1:] == sorted_scores[:-1])
    tied = np.zeros(num_images, dtype=bool)
    tied[img[order][1:][same]] = True

    coords = np.where(np.repeat(vanilla, count)[:, None], boxes.numpy(), shifted.numpy()).astype(np.float32)
    x1, y1, x2, y2 = coords[:, 0], coords[:, 1], coords[:, 2], coords[:, 3]
    lab = labels.numpy().astype(np.int64)
    group = img * (int(lab.max(initial=0)) + 1) + lab
    # Sweep over x inside each (image, class): (group, x) as one integer key that orders as the values do
    key_start = (group << 32) + _ordered_bits(x1)
    key_end = (group << 32) + _ordered_bits(x2)
    by_start = np.argsort(key_start, kind="stable")
    starts_sorted = key_start[by_start]
    ends = np.searchsorted(starts_sorted, key_end[by_start], side="left")  # first box starting at/after p's end
    per_row = np.maximum(ends - np.arange(1, n + 1), 0)
    # Images with too many candidate pairs are left to the kernel.
    per_image = np.bincount(img[by_start], weights=per_row, minlength=num_images) if n else np.zeros(num_images)
    dense_image = per_image > max_pairs_per_box * np.maximum(count, 1)
    per_row = np.where(dense_image[img[by_start]], 0, per_row)
    total = int(per_row.sum())
    p = np.repeat(np.arange(n), per_row)
    q = p + 1 + (np.arange(total) - np.repeat(np.cumsum(per_row) - per_row, per_row))
    a, b = by_start[p], by_start[q]
    overlap = (y1[a] < y2[b]) & (y1[b] < y2[a]) & (x1[b] < x2[a]) & (x1[a] < x2[b])
    a, b = a[overlap], b[overlap]
    first = position[a] < position[b]
    sup, vic = np.where(first, a, b), np.where(first, b, a)
    areas = (x2 - x1) * (y2 - y1)
    w = np.maximum(np.float32(0), np.minimum(x2[sup], x2[vic]) - np.maximum(x1[sup], x1[vic]))
    h = np.maximum(np.float32(0), np.minimum(y2[sup], y2[vic]) - np.maximum(y1[sup], y1[vic]))
    inter = w * h
    with np.errstate(divide="ignore", invalid="ignore"):
        ovr = inter / (areas[sup] + areas[vic] - inter)  # float32, the kernel's expression
    return NmsPairs(num_boxes=n, order=order, image=img, sup=sup, vic=vic, ovr=ovr.astype(np.float64),
                    dense=np.flatnonzero(dense_image), vanilla=vanilla, tied=tied)


def _ordered_bits(x: np.ndarray) -> np.ndarray:
    """int64 in [0, 2^32) increasing with the float32 value (-0.0 just below 0.0): the bits, negatives reversed."""
    bits = x.astype(np.float32).view(np.int32)
    return np.where(bits < 0, bits ^ np.int32(0x7FFFFFFF), bits).astype(np.int64) + 2**31


def greedy_keep(num_boxes: int, sup: np.ndarray, vic: np.ndarray) -> np.ndarray:
    """(N,) bool: greedy NMS's decision for every box, given the edges (suppressor → victim) above the threshold,
    each suppressor visited before its victim."""
    keep = np.zeros(num_boxes, dtype=bool)
    decided = np.zeros(num_boxes, dtype=bool)
    blocked = np.zeros(num_boxes, dtype=bool)
    blocked[vic] = True
    keep[~blocked] = True  # nothing can suppress them
    decided[~blocked] = True
    while len(vic):
        hit = keep[sup]
        decided[vic[hit]] = True  # a kept box suppresses them
        live = ~decided[vic] & ~(decided[sup] & ~keep[sup])  # victim open, suppressor kept or still open
        sup, vic = sup[live], vic[live]
        blocked[:] = False
        blocked[vic] = True
        free = ~decided & ~blocked  # every suppressor left was removed: kept
        keep |= free
        decided |= free
    return keep


def decide_grid(pairs: NmsPairs, thresholds: Sequence[float]) -> None:
    """Decide every box at every threshold of `thresholds` (at most 31) at once: the greedy rounds of greedy_keep
    with one bit per threshold (an edge suppresses at the thresholds its IoU exceeds, as rpn.nms_grid)."""
    values = np.asarray([float(t) for t in thresholds], dtype=np.float64)
    if values.size > MAX_THRESHOLDS:
        raise ValueError(f"at most {MAX_THRESHOLDS} thresholds, got {values.size}")
    ascending = np.argsort(values, kind="stable")
    prefix = np.concatenate([[0], np.cumsum(np.int64(1) << ascending.astype(np.int64))]).astype(np.int64)
    full = np.int64(prefix[-1])
    exceeded = np.searchsorted(values[ascending], pairs.ovr, side="left")  # thresholds below the IoU
    exceeded[np.isnan(pairs.ovr)] = 0  # NaN > t is false for every t
    suppress = prefix[exceeded]
    useful = suppress != 0
    by_vic = np.argsort(pairs.vic[useful], kind="stable")
    sup, vic, suppress = pairs.sup[useful][by_vic], pairs.vic[useful][by_vic], suppress[useful][by_vic]
    n = pairs.num_boxes
    keep = np.zeros(n, dtype=np.int64)
    decided = np.zeros(n, dtype=np.int64)
    while len(vic):
        starts = np.flatnonzero(np.r_[True, vic[1:] != vic[:-1]])
        victims = vic[starts]
        killed = np.bitwise_or.reduceat(keep[sup] & suppress, starts)  # a kept box suppresses it there
        decided[victims] |= killed
        blocked = np.zeros(n, dtype=np.int64)
        blocked[victims] = np.bitwise_or.reduceat(suppress & ~decided[sup], starts)  # an open box still might
        free = full & ~decided & ~blocked
        keep |= free
        decided |= free
        removed = decided & ~keep
        live = (suppress & ~decided[vic] & ~removed[sup]) != 0
        sup, vic, suppress = sup[live], vic[live], suppress[live]
    keep |= full & ~decided  # nothing left can suppress them
    pairs.grid, pairs.grid_bits = tuple(float(v) for v in values), keep


def kept_in_order(pairs: NmsPairs, scores: Tensor, nms_thresh: float) -> tuple[np.ndarray, np.ndarray]:
    """(rows kept, image after image in batched_nms's output order; the images in `pairs.dense` are missing — the
    caller adds them), and a bool per image: whether its result here is final (False for dense images)."""
    bits = pairs.grid_bits
    k = threshold_index(pairs.grid, nms_thresh) if bits is not None else None
    if bits is not None and k is not None:
        keep = np.right_shift(bits, k) & 1 != 0
    else:
        edge = pairs.ovr > float(nms_thresh)  # NaN > t is false, as in the kernel
        keep = greedy_keep(pairs.num_boxes, pairs.sup[edge], pairs.vic[edge])
    done = np.ones(len(pairs.vanilla), dtype=bool)
    done[pairs.dense] = False
    keep &= done[pairs.image]
    rows = pairs.order[keep[pairs.order]]
    # Vanilla images whose kept boxes tie: their order is `scores[kept].sort(descending=True)`, asked of torch.
    redo = np.flatnonzero(pairs.vanilla & pairs.tied & done)
    if len(redo):
        row_image = pairs.image[rows]
        for i in redo:
            mine = np.flatnonzero(row_image == i)
            if len(mine) < 2:
                continue
            index = torch.from_numpy(np.sort(rows[mine]))  # torch.where(keep_mask): index order
            rows[mine] = index[scores[index].sort(descending=True)[1]].numpy()
    return rows, done
