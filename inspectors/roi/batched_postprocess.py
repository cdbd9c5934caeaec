"""box_postprocess for many images at once: equal, image by image, to box_candidates + select_detections.

A final-stage slider over a dataset calls select_detections once per image; its fixed cost (a dozen small torch
calls) dominates. Here every step that is elementwise or per row runs once over all images concatenated —
decode, softmax, clip (each row against its own image's size), the score threshold, remove-small, the coordinate
offsets of torchvision's batched NMS, the resize to the original frame — and only the NMS kernel runs per image,
on exactly the boxes and scores torchvision's batched_nms would give it (the coordinate trick with that image's
own maximum coordinate; batched_nms itself above 1000 boxes). The operations are the same float32 operations,
so the results are the same bits (tests/test_dataset_replay.py checks it against the per-image functions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.models.detection._utils import BoxCoder
from torchvision.ops import boxes as box_ops

from inspectors.core.lru import BoundedCache
from inspectors.roi.nms_pairs import MAX_THRESHOLDS, NmsPairs, decide_grid, kept_in_order, nms_pairs
from inspectors.roi.postprocess import BoxSettings
from inspectors.rpn.nms_grid import slider_grid, threshold_index

_TRICK_NUMEL = 4000  # batched_nms's coordinate trick up to this many coordinates on CPU
_MIN_SIZE = 1e-2  # RoIHeads.postprocess_detections' remove_small_boxes
FILTERED_MEMO = 3  # score thresholds whose filtered candidates are memoised per batch
NMS_MEMO = 32  # (score, NMS) settings whose per-image NMS results are memoised per batch


@dataclass
class CandidateBatch:
    """Every image's (proposal, foreground class) candidates, concatenated image after image."""

    boxes: Tensor  # (N, 4) resized frame
    scores: Tensor
    labels: Tensor
    source: Tensor  # proposal index inside its image
    image: Tensor  # (N,) image position
    resized: Tensor  # (I, 2) float32 (h, w) of each image as the heads saw it
    original: Tensor  # (I, 2) float32 original (h, w)
    # per score threshold: the filtered candidates (a few: each up to the batch's bytes);
    # per (score, NMS) threshold: each image's whole NMS result (indices only)
    filtered_memo: BoundedCache = field(default_factory=lambda: BoundedCache(FILTERED_MEMO), repr=False,
                                        compare=False)
    nms_memo: BoundedCache = field(default_factory=lambda: BoundedCache(NMS_MEMO), repr=False, compare=False)

    @property
    def num_images(self) -> int:
        return int(self.resized.shape[0])

    def nbytes(self) -> int:
        return int(sum(t.numel() * t.element_size() for t in (self.boxes, self.scores, self.labels, self.source,
                                                                self.image)))


def batch_box_candidates(class_logits: list[Tensor], box_regression: list[Tensor], proposals: list[Tensor],
                         resized_sizes: list[tuple[int, int]], original_sizes: list[tuple[int, int]],
                         box_coder: BoxCoder) -> CandidateBatch:
    """box_postprocess.box_candidates of every image, concatenated."""
    counts = [int(p.shape[0]) for p in proposals]
    logits = torch.cat(class_logits)
    num_classes = int(logits.shape[-1]) if logits.ndim == 2 else 1
    pred_boxes = box_coder.decode(torch.cat(box_regression), proposals)  # per row: the same as image by image
    scores = F.softmax(logits, -1)
    image_of_row = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts, dtype=torch.int64))
    sizes = torch.tensor(resized_sizes, dtype=torch.int64).reshape(-1, 2)
    pred_boxes = _clip_per_row(pred_boxes.reshape(-1, num_classes, 4), sizes[image_of_row])
    labels = torch.arange(num_classes).view(1, -1).expand_as(scores)
    source = torch.cat([torch.arange(n) for n in counts]).view(-1, 1).expand_as(scores) if counts \
        else torch.zeros((0, num_classes), dtype=torch.int64)
    image = image_of_row.view(-1, 1).expand_as(scores)
    return CandidateBatch(
        boxes=pred_boxes[:, 1:].reshape(-1, 4),
        scores=scores[:, 1:].reshape(-1),
        labels=labels[:, 1:].reshape(-1),
        source=source[:, 1:].reshape(-1),
        image=image[:, 1:].reshape(-1),
        resized=sizes.to(torch.float32),
        original=torch.tensor(original_sizes, dtype=torch.float32).reshape(-1, 2),
    )


def _clip_per_row(boxes: Tensor, sizes: Tensor) -> Tensor:
    """clip_boxes_to_image with each row's own (height, width): clamp(min=0, max=side), as torchvision does."""
    height = sizes[:, 0].to(boxes.dtype).view(-1, 1, 1)
    width = sizes[:, 1].to(boxes.dtype).view(-1, 1, 1)
    x = torch.minimum(torch.clamp(boxes[..., 0::2], min=0), width)
    y = torch.minimum(torch.clamp(boxes[..., 1::2], min=0), height)
    return torch.stack((x, y), dim=-1).reshape(boxes.shape)


@dataclass
class BatchDetections:
    """Every image's detections, image after image, each image's in torchvision's order."""

    image: np.ndarray  # (D,) int64
    boxes: np.ndarray  # (D, 4) float32, original frame
    scores: np.ndarray  # (D,) float32
    labels: np.ndarray  # (D,) int64 model label
    source: np.ndarray  # (D,) proposal index inside its image


def batch_select_detections(batch: CandidateBatch, settings: BoxSettings) -> BatchDetections:
    """select_detections of every image, then resize_boxes to its original frame.

    What depends on the score threshold alone (the score filter, remove-small, the coordinate offsets) and each
    image's whole NMS result (before the detections-per-image cut) are memoised on the batch: a detections-per-image
    move runs no NMS, a box-NMS move only the NMS kernel per image."""
    score_thresh, nms_thresh = float(settings.score_thresh), float(settings.nms_thresh)
    filtered = batch.filtered_memo.get_or_build(score_thresh, lambda: _filtered_at(batch, score_thresh))
    keep_all, rank = batch.nms_memo.get_or_build((score_thresh, nms_thresh),
                                                 lambda: _nms_at(batch, filtered, nms_thresh))
    keep = (keep_all[rank < settings.detections_per_img]).numpy()  # each image's NMS result cut as local[:n]
    every = filtered.as_detections(batch)
    return BatchDetections(image=every.image[keep], boxes=every.boxes[keep], scores=every.scores[keep],
                           labels=every.labels[keep], source=every.source[keep])


@dataclass
class _Filtered:
    """The candidates above one score threshold after remove-small, image after image, with torchvision's
    batched-NMS coordinate offsets applied per image."""

    inds: Tensor  # rows of the batch
    boxes: Tensor
    scores: Tensor
    labels: Tensor
    image: Tensor
    counts: list[int]  # per image
    shifted: Tensor
    image_max: Tensor  # (I,) each image's largest coordinate (the coordinate trick's), -inf without boxes
    parent: Optional[tuple[float, Tensor]] = None  # (lower score threshold it was cut from, its rows there)
    pairs: Optional[NmsPairs] = None  # the overlapping pairs (nms_pairs), found at the second NMS threshold asked
    asked: list[float] = field(default_factory=list)  # NMS thresholds run at this score threshold
    detections: Optional[BatchDetections] = None  # every row as a detection (as_detections), once asked

    def as_detections(self, batch: CandidateBatch) -> BatchDetections:
        """Every row as the detection it is when NMS keeps it (resize_boxes to the original frame, per row, so the
        same float32 operations as on the kept rows alone): a box-NMS or detections-per-image move only picks rows."""
        if self.detections is None:
            # resize_boxes(boxes, resized, original): ratio = original / resized per side, in float32
            ratios = batch.original / batch.resized  # (I, 2): (h, w)
            ratio_h, ratio_w = ratios[self.image, 0], ratios[self.image, 1]
            xmin, ymin, xmax, ymax = self.boxes.unbind(1)
            boxes = torch.stack((xmin * ratio_w, ymin * ratio_h, xmax * ratio_w, ymax * ratio_h), dim=1)
            self.detections = BatchDetections(image=self.image.numpy(), boxes=boxes.numpy(),
                                              scores=self.scores.numpy(), labels=self.labels.numpy(),
                                              source=batch.source[self.inds].numpy())
        return self.detections

    def nms_pairs(self) -> NmsPairs:
        """The pairs, with every step of the box-NMS slider and the thresholds asked so far decided at once."""
        if self.pairs is None:
            pairs = nms_pairs(self.boxes, self.shifted, self.scores, self.labels, self.image, self.counts)
            grid = list(slider_grid("box_nms_thresh"))
            grid += [t for t in self.asked if threshold_index(grid, t) is None]
            decide_grid(pairs, grid[:MAX_THRESHOLDS])
            self.pairs = pairs
        return self.pairs


def _filtered(batch: CandidateBatch, score_thresh: float) -> _Filtered:
    inds = torch.where(batch.scores > score_thresh)[0]
    boxes, scores, labels = batch.boxes[inds], batch.scores[inds], batch.labels[inds]
    keep = box_ops.remove_small_boxes(boxes, min_size=_MIN_SIZE)
    return _with_offsets(batch, inds[keep], boxes[keep], scores[keep], labels[keep])


def _filtered_at(batch: CandidateBatch, score_thresh: float) -> _Filtered:
    """_filtered, cut from the memoised candidates of a lower score threshold when there are some: the boxes above
    the higher threshold, in the same order (remove-small decides each box alone), with the offsets of the boxes
    left. Equal to _filtered(batch, score_thresh)."""
    lower = [k for k in batch.filtered_memo if k < score_thresh]
    base = batch.filtered_memo.peek(max(lower)) if lower else None
    if base is None:
        return _filtered(batch, score_thresh)
    rows = torch.where(base.scores > score_thresh)[0]
    f = _with_offsets(batch, base.inds[rows], base.boxes[rows], base.scores[rows], base.labels[rows])
    f.parent = (max(lower), rows)
    return f


def _with_offsets(batch: CandidateBatch, inds: Tensor, boxes: Tensor, scores: Tensor, labels: Tensor) -> _Filtered:
    image = batch.image[inds]
    counts = torch.bincount(image, minlength=batch.num_images)
    # torchvision's coordinate trick, per image: offset = label * (that image's max coordinate + 1)
    row_max = boxes.max(dim=1).values if boxes.shape[0] else boxes.new_zeros(0)
    image_max = torch.full((batch.num_images,), -float("inf")).scatter_reduce(0, image, row_max, "amax")
    one = torch.tensor(1).to(boxes)
    offsets = labels.to(boxes) * (image_max[image] + one)
    shifted = boxes + offsets[:, None]
    return _Filtered(inds, boxes, scores, labels, image, counts.tolist(), shifted, image_max)


def _nms_at(batch: CandidateBatch, f: _Filtered, nms_thresh: float) -> tuple[Tensor, Tensor]:
    """_nms_all_images, or — when `f` was cut from a lower score threshold whose NMS result at this threshold is
    memoised — that result restricted to the boxes left, for every image whose NMS input is the same but for
    the boxes removed: the coordinate trick at both thresholds with the same largest coordinate (so the same
    coordinates). Greedy NMS visits boxes by decreasing score and a box is only suppressed by one visited before
    it, so the boxes above the higher threshold are decided as before, and the kept ones keep their order. The
    other images run the kernel."""
    known = batch.nms_memo.peek((f.parent[0], float(nms_thresh))) if f.parent is not None else None
    if f.parent is None or known is None or f.pairs is not None or f.asked:
        return _nms_all_images(f, nms_thresh)
    f.asked.append(float(nms_thresh))
    base = batch.filtered_memo.peek(f.parent[0])
    if base is None:
        return _nms_per_image(f, nms_thresh)
    rows = f.parent[1]
    position = torch.full((base.inds.shape[0],), -1, dtype=torch.int64)
    position[rows] = torch.arange(rows.shape[0])
    mapped = position[known[0]]
    kept = mapped[mapped >= 0].numpy()  # the base's kept boxes still present, in its order
    base_counts = np.asarray(base.counts)
    same = (base_counts * 4 <= _TRICK_NUMEL) & (f.image_max == base.image_max).numpy()
    image = f.image.numpy()
    rows_same = kept[same[image[kept]]]
    counts = np.asarray(f.counts)
    other = np.flatnonzero(~same & (counts > 0))
    extra = _nms_per_image(f, nms_thresh, other)[0].numpy() if len(other) else np.zeros(0, dtype=np.int64)
    keep = np.concatenate([rows_same, extra])
    keep = keep[np.argsort(image[keep], kind="stable")]  # image after image, each in its order
    return _with_rank(torch.from_numpy(keep.astype(np.int64)), f.image)


def _nms_all_images(f: _Filtered, nms_thresh: float) -> tuple[Tensor, Tensor]:
    """Every image's whole NMS result (indices into `f`, image after image, each in batched_nms's order) and each
    kept box's rank inside its image. The first NMS threshold at a score threshold runs the kernel per image; from
    the second on (the box-NMS slider is moving) the score threshold's overlapping pairs answer (nms_pairs: every
    slider step decided at once, another threshold by one greedy pass over all images), the kernel per image only
    for images with too many overlapping boxes for the pairs."""
    if f.pairs is None and not f.asked:  # the first NMS at this score threshold: one kernel call per image
        f.asked.append(float(nms_thresh))
        return _nms_per_image(f, nms_thresh)
    f.asked.append(float(nms_thresh))
    rows, done = kept_in_order(f.nms_pairs(), f.scores, nms_thresh)
    if not done.all():
        dense = np.flatnonzero(~done)
        extra = _nms_per_image(f, nms_thresh, dense)[0].numpy()
        rows = np.concatenate([rows, extra])
        rows = rows[np.argsort(f.image.numpy()[rows], kind="stable")]  # image after image, each in its order
    return _with_rank(torch.from_numpy(rows.astype(np.int64)), f.image)


def _nms_per_image(f: _Filtered, nms_thresh: float, images: Optional[np.ndarray] = None) -> tuple[Tensor, Tensor]:
    """The same from one batched_nms kernel call per image (of `images`, default all): the plain path."""
    kept = []
    starts = np.concatenate([[0], np.cumsum(f.counts)]).astype(np.int64)
    nms = torch.ops.torchvision.nms  # box_ops.nms without its per-call logging: the same kernel
    for i in (range(len(f.counts)) if images is None else images.tolist()):
        n = f.counts[i]
        if n:
            start, end = int(starts[i]), int(starts[i]) + n
            if n * 4 > _TRICK_NUMEL:
                local = box_ops.batched_nms(f.boxes[start:end], f.scores[start:end], f.labels[start:end], nms_thresh)
            else:
                local = nms(f.shifted[start:end], f.scores[start:end], nms_thresh)
            kept.append(local + start)
    keep = torch.cat(kept) if kept else torch.zeros(0, dtype=torch.int64)
    return _with_rank(keep, f.image)


def _with_rank(keep: Tensor, image: Tensor) -> tuple[Tensor, Tensor]:
    """`keep` (image after image) and each kept row's rank inside its image."""
    if not keep.shape[0]:
        return keep, torch.zeros(0, dtype=torch.int64)
    img = image[keep]
    first = torch.ones(keep.shape[0], dtype=torch.bool)
    first[1:] = img[1:] != img[:-1]
    starts = torch.cummax(torch.where(first, torch.arange(keep.shape[0]), 0), 0).values
    return keep, torch.arange(keep.shape[0]) - starts
