"""Detection evaluation of one image: TP / FP / FN with COCO's matching, per-image AP, TIDE types.

Matching (inspectors.evaluation.matching) is COCO's per class, greedy by score; ignore regions (COCO crowd, VOC
difficult) are evaluated as COCO crowd regions, so detections inside them are neither right nor wrong. AP@0.5 and
AP@[.5:.95] are COCOeval's for this one image (area "all", 100 detections), computed on first use by the same COCO
evaluator as dataset mode (pycocotools is the tests' oracle); they are None when the image has no objects (COCO
reports −1). Every false positive and every missed object gets a TIDE error type (inspectors.evaluation.tide).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np

from inspectors.evaluation.coco_matching import DetectionSet, GroundTruthArrays
from inspectors.evaluation.matching import ImageMatch, match_image, xyxy_to_xywh
from inspectors.evaluation.metrics import detection_metrics
from inspectors.evaluation.tide import TIDE_FOREGROUND_IOU, TideError, classify_errors, count_errors
from inspectors.ground_truth.proposal_recall import evaluation_rows

if TYPE_CHECKING:
    from inspectors.ground_truth.annotations import GroundTruth

EVAL_IOU_THRESHOLDS = (0.5, 0.75)


@dataclass
class DetectionEvaluation:
    iou_thresholds: tuple[float, ...]
    match: ImageMatch  # at iou_thresholds; ground-truth rows = the objects, then the ignore regions
    num_objects: int
    counts: dict[float, tuple[int, int, int]]  # IoU → (TP, FP, FN)
    status: list[str]  # per detection at IoU 0.5: "tp", "fp" or "ignored" (inside an ignore region)
    matched_object: list[Optional[int]]  # per detection at IoU 0.5: the object it found (TP), else None
    errors: list[TideError]  # TIDE type of every false positive (score order) and every miss
    _ap_inputs: tuple = field(repr=False, default=())

    @cached_property
    def _ap_pair(self) -> tuple[Optional[float], Optional[float]]:
        return coco_ap(*self._ap_inputs)

    @property
    def ap(self) -> Optional[float]:
        """AP@[.5:.95] of this image, as COCOeval gives it (computed on first use); None without objects."""
        return self._ap_pair[0]

    @property
    def ap50(self) -> Optional[float]:
        return self._ap_pair[1]

    def threshold_index(self, iou: float) -> int:
        return int(np.argmin(np.abs(np.asarray(self.iou_thresholds) - iou)))

    @property
    def error_counts(self) -> dict[str, int]:
        return count_errors(self.errors)

    def object_match(self, iou: float = 0.5) -> np.ndarray:
        """(N,) per object the detection that matched it at `iou` (one of iou_thresholds), −1 when missed."""
        return self.match.gt_det[self.threshold_index(iou), : self.num_objects]


def evaluate_detections(
    boxes: np.ndarray,
    scores: np.ndarray,
    labels: np.ndarray,
    gt: "GroundTruth",
    *,
    iou_thresholds: Sequence[float] = EVAL_IOU_THRESHOLDS,
) -> DetectionEvaluation:
    """Evaluate one image's detections (original frame) against `gt` (mapped to the model: `gt.labels`)."""
    thresholds = tuple(dict.fromkeys([TIDE_FOREGROUND_IOU, *(float(t) for t in iou_thresholds)]))
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    gt_boxes, gt_labels, crowd, areas = evaluation_rows(gt)
    n = len(gt)
    match = match_image(boxes, scores, labels, gt_boxes, gt_labels, crowd, iou_thresholds=thresholds)
    t0 = 0  # TIDE_FOREGROUND_IOU comes first
    counts = {t: match.counts(i) for i, t in enumerate(thresholds)}
    tp, fp = match.tp(t0), match.fp(t0)
    status = ["tp" if a else "fp" if b else "ignored" for a, b in zip(tp, fp)]
    matched = [int(g) if ok else None for g, ok in zip(match.det_gt[t0], tp)]
    errors = classify_errors(match.ious[:, :n], labels, scores, fp, gt_labels[:n], match.gt_det[t0, :n] >= 0)
    return DetectionEvaluation(
        iou_thresholds=thresholds, match=match, num_objects=n, counts=counts, status=status,
        matched_object=matched, errors=errors, _ap_inputs=(boxes, scores, labels, gt_boxes, gt_labels, crowd, areas),
    )


def coco_ap(
    boxes: np.ndarray,
    scores: np.ndarray,
    labels: np.ndarray,
    gt_boxes: np.ndarray,
    gt_labels: np.ndarray,
    gt_crowd: np.ndarray,
    gt_areas: np.ndarray,
) -> tuple[Optional[float], Optional[float]]:
    """(AP@[.5:.95], AP@0.5) of one image as COCOeval gives them (bbox, area "all", 100 detections), by the
    project's one COCO evaluator (the dataset's, on a one-image set; the tests hold it equal to pycocotools).

    Only the categories present in the ground truth or the detections are evaluated: the others add nothing
    (COCOeval leaves them at −1 and averages over the rest)."""
    cats = sorted({int(c) for c in np.concatenate([gt_labels, labels])})
    if not cats:
        return None, None
    dense = {c: k for k, c in enumerate(cats)}
    dets = DetectionSet(image=np.zeros(len(scores), dtype=np.int64),
                        category=np.array([dense[int(c)] for c in labels], dtype=np.int64),
                        bbox=xyxy_to_xywh(boxes), score=np.asarray(scores, dtype=np.float64))
    gts = GroundTruthArrays(image=np.zeros(len(gt_labels), dtype=np.int64),
                            category=np.array([dense[int(c)] for c in gt_labels], dtype=np.int64),
                            bbox=xyxy_to_xywh(gt_boxes), area=np.asarray(gt_areas, dtype=np.float64),
                            iscrowd=np.asarray(gt_crowd, dtype=bool))
    _, _, stats = detection_metrics(dets, gts, tuple(str(c) for c in cats), ("image",))
    ap, ap50 = stats["ap"], stats["ap50"]
    return (ap if ap > -1 else None), (ap50 if ap50 > -1 else None)
