"""Proposal recall: how many objects the RPN's proposals cover, by IoU, by number of proposals and by size.

Recall at IoU t = the fraction of objects that some proposal overlaps by IoU ≥ t (each object on its own, the
definition of the Faster R-CNN paper's Fig. 4 and of Hosang et al.). Recall vs number of proposals takes the first
N proposals in the RPN's own order (best objectness first): the proposals at post-NMS top-n = N are exactly those,
so one RPN replay at the largest N serves every N (pure RPN filtering, no RoI heads).

AR@100 / AR@1000 are COCO's: COCOeval with useCats=0 on the proposals as detections (one-to-one greedy matching
by score, crowd regions ignored, recall averaged over IoU 0.5:0.95), computed by inspectors.evaluation.matching, which
mirrors COCOeval.evaluateImg. One-to-one matching can give a lower recall than the per-object definition when two
objects share their best proposal.

Sizes are COCO's, in original pixels: small (area < 32²), medium (< 96²), large. The area is the annotation's
COCO `area` when the file gives one (as COCOeval uses it), else the box area.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np
import torch

from inspectors.evaluation.matching import (
    COCO_AREA_RANGES,
    COCO_IOU_THRESHOLDS,
    average_recall,
    box_iou_xyxy,
    match_image,
)
from inspectors.rpn.filter import RpnFilterResult, RpnSettings, filter_proposals

if TYPE_CHECKING:
    from inspectors.core.trace import Trace
    from inspectors.ground_truth.annotations import GroundTruth

RECALL_IOU_THRESHOLDS = COCO_IOU_THRESHOLDS  # 0.5, 0.55, …, 0.95
PROPOSAL_COUNTS = (10, 50, 100, 300, 1000, 2000)
SIZE_CLASSES = ("small", "medium", "large")
AR_COUNTS = (100, 1000)
# COCO's IoU thresholds as the Python floats match_image takes (the same float64 values, bit for bit).
_AR_THRESHOLDS: tuple[float, ...] = tuple(COCO_IOU_THRESHOLDS.tolist())


def size_classes(areas: np.ndarray) -> np.ndarray:
    """COCO's size class per object: small (area < 32²), medium (< 96²), large."""
    areas = np.asarray(areas, dtype=np.float64)
    return np.where(areas < 32.0**2, "small", np.where(areas < 96.0**2, "medium", "large"))


@dataclass
class RecallCurve:
    """Recall at each IoU threshold (NaN where there are no objects), overall and per size class."""

    iou_thresholds: np.ndarray  # (T,)
    recall: np.ndarray  # (T,)
    by_size: dict[str, np.ndarray]  # size class → (T,)
    objects: int
    objects_by_size: dict[str, int]
    proposals: int  # how many proposals were searched

    def at(self, iou: float) -> float:
        return float(self.recall[int(np.argmin(np.abs(self.iou_thresholds - iou)))])

    def to_dict(self) -> dict:
        return {
            "iou_thresholds": [round(float(t), 2) for t in self.iou_thresholds],
            "recall": _floats(self.recall),
            "by_size": {k: _floats(v) for k, v in self.by_size.items()},
            "objects": self.objects,
            "objects_by_size": dict(self.objects_by_size),
            "proposals": self.proposals,
        }


def recall_curve(best_iou: np.ndarray, sizes: np.ndarray, proposals: int,
                 thresholds: np.ndarray = RECALL_IOU_THRESHOLDS) -> RecallCurve:
    """Recall vs IoU from each object's best IoU with the proposals (`sizes` from size_classes)."""
    best_iou = np.asarray(best_iou, dtype=np.float64).reshape(-1)
    thresholds = np.asarray(thresholds, dtype=np.float64)

    def recall(mask: np.ndarray) -> np.ndarray:
        if not mask.any():
            return np.full(len(thresholds), np.nan)
        return (best_iou[mask][None, :] >= thresholds[:, None]).mean(axis=1)

    all_objects = np.ones(best_iou.shape[0], dtype=bool)
    return RecallCurve(
        iou_thresholds=thresholds,
        recall=recall(all_objects),
        by_size={s: recall(sizes == s) for s in SIZE_CLASSES},
        objects=int(best_iou.shape[0]),
        objects_by_size={s: int((sizes == s).sum()) for s in SIZE_CLASSES},
        proposals=proposals,
    )


@dataclass
class RecallVsProposals:
    counts: tuple[int, ...]  # N: the first N proposals
    available: int  # proposals the RPN gives at post-NMS top-n = max(counts) (may be fewer than N)
    curves: list[RecallCurve]  # one per N: recall vs IoU with the first N proposals
    average_recall: np.ndarray  # (len(counts),) mean recall over IoU 0.5:0.95 per N (per-object definition)
    ar: dict[str, float]  # COCO's {"AR@100": …, "AR@1000": …} (useCats=0; −1 without objects)
    ar_by_size: dict[str, dict[str, float]]  # COCO's area ranges: size → {"AR@100": …, "AR@1000": …}

    def recall_at(self, iou: float) -> np.ndarray:
        """(len(counts),) recall at IoU `iou` per N: the paper's recall-vs-proposals plot."""
        return np.array([c.at(iou) for c in self.curves])

    def to_dict(self) -> dict:
        return {
            "counts": list(self.counts),
            "available": self.available,
            "recall_at_0.5": _floats(self.recall_at(0.5)),
            "recall_at_0.7": _floats(self.recall_at(0.7)),
            "average_recall": _floats(self.average_recall),
            "curves": [c.to_dict() for c in self.curves],
            "ar": dict(self.ar),
            "ar_by_size": {k: dict(v) for k, v in self.ar_by_size.items()},
        }


def extended_proposals(trace: "Trace", settings: RpnSettings, count: int,
                       filtered: Optional[RpnFilterResult] = None) -> tuple[np.ndarray, np.ndarray]:
    """The first `count` proposals (original frame) and their objectness, in the RPN's order, at `settings` with
    post-NMS top-n raised to at least `count`: RPN filtering only. `filtered`: the RPN's filtering at `settings`
    (a replay's, whatever its post-NMS top-n) when at hand: its NMS survivors, in order, are those proposals."""
    with torch.inference_mode():
        if filtered is not None and filtered.after_nms is not None:
            keep = filtered.after_nms[:count]
        else:
            wide = RpnSettings(settings.pre_nms_top_n, settings.nms_thresh, max(count, settings.post_nms_top_n),
                               settings.score_thresh, settings.min_size)
            filtered = filter_proposals(trace.decoded_anchors, trace.objectness, trace.num_anchors_per_level,
                                        trace.resized_size, wide)
            keep = filtered.keep[:count]
        boxes = trace.to_original(filtered.candidate_boxes[keep])
        scores = filtered.candidate_scores[keep]
    return boxes.cpu().numpy().astype(np.float64), scores.cpu().numpy().astype(np.float64)


def recall_vs_proposals(
    proposals: np.ndarray,
    scores: np.ndarray,
    gt: "GroundTruth",
    counts: Sequence[int] = PROPOSAL_COUNTS,
) -> RecallVsProposals:
    """Recall curves for the first N of `proposals` (original frame, in the RPN's order) for every N in `counts`,
    and COCO's AR@100/AR@1000 on them."""
    counts = tuple(int(c) for c in counts)
    sizes = size_classes(gt.object_areas)
    ious = box_iou_xyxy(proposals, gt.boxes)  # (P, N)
    running_best = np.maximum.accumulate(ious, axis=0) if ious.shape[0] else ious
    curves = []
    for n in counts:
        used = min(n, ious.shape[0])
        best = running_best[used - 1] if used else np.zeros(len(gt))
        curves.append(recall_curve(best, sizes, used))
    ar, ar_by_size = coco_average_recall(proposals, scores, gt)
    return RecallVsProposals(
        counts=counts,
        available=int(proposals.shape[0]),
        curves=curves,
        average_recall=np.array([np.nanmean(c.recall) if c.objects else np.nan for c in curves]),
        ar=ar,
        ar_by_size=ar_by_size,
    )


def coco_average_recall(proposals: np.ndarray, scores: np.ndarray, gt: "GroundTruth",
                        counts: Sequence[int] = AR_COUNTS) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """COCOeval(useCats=0) AR@N for the proposals as detections, overall and per COCO area range."""
    boxes, labels, crowd, areas = evaluation_rows(gt)
    ar: dict[str, float] = {}
    by_size: dict[str, dict[str, float]] = {s: {} for s in SIZE_CLASSES}
    for n in counts:
        for name, area_range in COCO_AREA_RANGES.items():
            match = match_image(proposals, scores, None, boxes, labels, crowd, iou_thresholds=_AR_THRESHOLDS,
                                use_cats=False, max_dets=n, area_range=area_range, gt_areas=areas)
            value = average_recall(match)
            if name == "all":
                ar[f"AR@{n}"] = value
            else:
                by_size[name][f"AR@{n}"] = value
    return ar, by_size


def evaluation_rows(gt: "GroundTruth") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The rows COCO evaluation sees: the objects, then the ignore regions as crowd regions (boxes, labels, crowd
    flags, areas). Labels are −1 where the ground truth is not mapped to a model."""
    n, m = len(gt), gt.ignore_boxes.shape[0]
    boxes = np.concatenate([gt.boxes, gt.ignore_boxes]).reshape(-1, 4)
    labels = np.concatenate([
        gt.labels if gt.labels is not None else np.full(n, -1),
        gt.ignore_labels if gt.ignore_labels is not None else np.full(m, -1),
    ]).astype(np.int64)
    crowd = np.concatenate([np.zeros(n, dtype=bool), np.ones(m, dtype=bool)])
    ignore_area = (gt.ignore_boxes[:, 2] - gt.ignore_boxes[:, 0]) * (gt.ignore_boxes[:, 3] - gt.ignore_boxes[:, 1])
    areas = np.concatenate([gt.object_areas, ignore_area])
    return boxes, labels, crowd, areas


def _floats(values: np.ndarray) -> list:
    return [None if not np.isfinite(v) else round(float(v), 4) for v in np.asarray(values, dtype=np.float64)]
