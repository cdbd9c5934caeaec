"""COCO recall of the RPN's proposals over a dataset, without recomputing a single IoU when an RPN slider moves.

A proposal is a stored candidate row of its image, and its box in the original frame does not depend on the RPN
settings; so the IoU of every stored candidate with every object is computed once (`CandidateOverlaps`, COCO's
IoU in float64, the objects in COCOeval's class-agnostic order), and only the rows that overlap some object by the
lowest IoU threshold are kept: the others can never match. An RPN setting then only says which rows are the
proposals, in which order; the greedy matching (coco_matching.greedy_match, COCOeval's rule) runs on those rows.
Equal to coco_matching.match(..., pooled=True) on the proposals themselves (tests/test_dataset_eval.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from inspectors.evaluation.coco_matching import (
    AREA_RANGES,
    IOU_THRESHOLDS,
    GroundTruthArrays,
    box_iou_xywh,
    greedy_match,
)
from inspectors.evaluation.metrics import PROPOSAL_COUNTS, ProposalRecall


@dataclass
class CandidateOverlaps:
    slot: list[np.ndarray]  # per image: (M_i,) stored row → row of `iou`, -1 for rows that overlap no object enough
    iou: np.ndarray  # (N, W) IoU with the image's objects in COCOeval's pooled order, padded with -1
    gt_order: np.ndarray  # ground-truth indices sorted by (image, category, annotation order)
    gt_start: np.ndarray  # (images,) where each image's objects start in gt_order
    gt_count: np.ndarray  # (images,)

    def nbytes(self) -> int:
        return int(self.iou.nbytes + sum(s.nbytes for s in self.slot))


def candidate_overlaps(boxes_xywh: list[np.ndarray], gts: GroundTruthArrays,
                       lowest: float = float(IOU_THRESHOLDS.min())) -> CandidateOverlaps:
    """`boxes_xywh[i]`: every stored candidate row of image i as COCO sees it (original frame, [x, y, w, h])."""
    num_images = len(boxes_xywh)
    gt_order = np.lexsort((np.arange(len(gts)), gts.category, gts.image))
    gt_start = np.searchsorted(gts.image[gt_order], np.arange(num_images), side="left")
    gt_count = np.searchsorted(gts.image[gt_order], np.arange(num_images), side="right") - gt_start
    width = int(gt_count.max(initial=0))
    slots: list[np.ndarray] = []
    rows: list[np.ndarray] = []  # (near_i, W) per image with objects
    for i, boxes in enumerate(boxes_xywh):
        slot = np.full(len(boxes), -1, dtype=np.int64)
        n = int(gt_count[i])
        if n and len(boxes):
            objects = gt_order[gt_start[i] : gt_start[i] + n]
            iou = box_iou_xywh(np.repeat(boxes, n, axis=0), np.tile(gts.bbox[objects], (len(boxes), 1)),
                               np.tile(gts.iscrowd[objects], len(boxes))).reshape(len(boxes), n)
            near = np.flatnonzero(iou.max(axis=1) >= min(lowest, 1 - 1e-10))
            slot[near] = sum(len(r) for r in rows) + np.arange(len(near))
            padded = np.full((len(near), width), -1.0)
            padded[:, :n] = iou[near]
            rows.append(padded)
        slots.append(slot)
    iou = np.concatenate(rows) if rows else np.zeros((0, width))
    return CandidateOverlaps(slots, iou, gt_order, gt_start, gt_count)


def proposal_recall_of_rows(overlaps: CandidateOverlaps, proposal_rows: list[np.ndarray], gts: GroundTruthArrays,
                            counts: Sequence[int] = PROPOSAL_COUNTS) -> ProposalRecall:
    """COCO recall (useCats=0) of proposals given as stored rows per image, best first (torchvision's order, which
    decreases in score: COCOeval's stable sort keeps it)."""
    max_det = max(counts)
    images: list[np.ndarray] = []
    ranks: list[np.ndarray] = []
    slots: list[np.ndarray] = []
    for i, rows in enumerate(proposal_rows):
        s = overlaps.slot[i][np.asarray(rows)[:max_det]]
        near = np.flatnonzero(s >= 0)
        images.append(np.full(len(near), i, dtype=np.int64))
        ranks.append(near)
        slots.append(s[near])
    image = np.concatenate(images) if images else np.zeros(0, np.int64)
    rank = np.concatenate(ranks) if ranks else np.zeros(0, np.int64)
    slot = np.concatenate(slots) if slots else np.zeros(0, np.int64)

    gt_ignored = gts.ignored(AREA_RANGES)
    num_areas, num_thresholds = len(AREA_RANGES), len(IOU_THRESHOLDS)
    matched = np.full((num_areas, num_thresholds, len(slot)), -1, dtype=np.int64)
    ignored = np.zeros((num_areas, num_thresholds, len(slot)), dtype=bool)
    if len(slot):
        greedy_match(image, overlaps.gt_start[image], overlaps.gt_count[image], overlaps.iou[slot], overlaps.gt_order,
                gts.iscrowd, gt_ignored, np.minimum(IOU_THRESHOLDS, 1 - 1e-10), matched, ignored)
    found_by = (matched >= 0) & ~ignored
    num_objects = (~gt_ignored).sum(axis=1)
    recall = -np.ones((num_thresholds, num_areas, len(counts)))
    for c, count in enumerate(counts):
        found = found_by[:, :, rank < count].sum(axis=2).astype(float)
        for a in range(num_areas):
            if num_objects[a]:
                recall[:, a, c] = found[a] / num_objects[a]
    return ProposalRecall(recall=recall, counts=tuple(counts), num_objects=num_objects)
