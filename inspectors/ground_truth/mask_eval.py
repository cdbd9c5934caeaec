"""Masks against the ground truth on one image (Mask R-CNN): mask IoU per object, and the image's segm AP.

    detections' masks = replay.binary_masks(mask_thresh): the model's pasted probabilities > mask_thresh
    mask IoU          = pycocotools' mask IoU (RLE) of each detection with each object
    per object        = the mask IoU of the detection COCO's box matching gave it (the funnel's last stage:
                        "box found, mask IoU below the threshold" when it is under the funnel's IoU threshold)
    segm AP           = COCOeval(iouType="segm") on this one image: detections matched by mask IoU, areas of the
                        detections their mask's pixels, the objects' the file's `area` (area "all", 100 detections)
Crowd regions take part with their masks, as in COCO. Everything is in the image's original pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Optional

import numpy as np

from inspectors.evaluation.coco_matching import DetectionSet, GroundTruthArrays
from inspectors.evaluation.masks import Rle, mask_iou
from inspectors.evaluation.matching import xyxy_to_xywh
from inspectors.evaluation.metrics import segm_metrics
from inspectors.ground_truth.proposal_recall import evaluation_rows

if TYPE_CHECKING:
    from inspectors.ground_truth.annotations import GroundTruth
    from inspectors.pipeline.replay import Replay


@dataclass
class MaskEvaluation:
    mask_thresh: float
    detection_masks: list[Rle]  # (D) each detection's binary mask (probability > mask_thresh), original pixels
    object_masks: list[Rle]  # (N) the objects' masks
    ious: np.ndarray  # (D, N) mask IoU of every detection with every object
    object_iou: np.ndarray  # (N,) mask IoU of the detection matched to each object by boxes; NaN when none
    _ap_inputs: tuple = field(repr=False, default=())

    @cached_property
    def _ap_pair(self) -> tuple[Optional[float], Optional[float]]:
        return segm_ap(*self._ap_inputs)

    @property
    def ap(self) -> Optional[float]:
        """Segm AP@[.5:.95] of this image as COCOeval gives it (computed on first use); None without objects."""
        return self._ap_pair[0]

    @property
    def ap50(self) -> Optional[float]:
        return self._ap_pair[1]


def detection_mask_rles(replay: "Replay", mask_thresh: float) -> list[Rle]:
    """Each detection's binary mask at `mask_thresh` (probability > mask_thresh) as a compressed RLE, made by the
    replay from its pasted parts (what pycocotools.mask.encode of the full mask gives)."""
    rles = replay.rle_masks(mask_thresh)
    if rles is None:
        raise ValueError("this model has no mask branch")
    return [{"size": [int(r["size"][0]), int(r["size"][1])], "counts": bytes(r["counts"])} for r in rles]


def evaluate_masks(replay: "Replay", gt: "GroundTruth", object_match: np.ndarray, mask_thresh: float
                   ) -> MaskEvaluation:
    """Mask IoU per object and the image's segm AP. `gt` is fitted and mapped to the model and has masks;
    `object_match` (N,) is each object's detection from the box evaluation (−1 when none)."""
    dt = detection_mask_rles(replay, mask_thresh)
    objects = gt.mask_rles()
    ious = mask_iou(dt, objects)
    matched = np.asarray(object_match, dtype=np.int64).reshape(-1)
    object_iou = np.array([ious[d, i] if d >= 0 else np.nan for i, d in enumerate(matched)], dtype=np.float64)
    detections = replay.detections
    boxes, labels, crowd, areas = evaluation_rows(gt)
    inputs = (dt, detections.scores.cpu().numpy().astype(np.float64), detections.labels.cpu().numpy(),
              objects + gt.ignore_mask_rles(), boxes, labels, crowd, areas, mask_thresh)
    return MaskEvaluation(mask_thresh=float(mask_thresh), detection_masks=dt, object_masks=objects, ious=ious,
                          object_iou=object_iou, _ap_inputs=inputs)


def segm_ap(dt_masks: list[Rle], scores: np.ndarray, labels: np.ndarray, gt_masks: list[Rle], gt_boxes: np.ndarray,
            gt_labels: np.ndarray, gt_crowd: np.ndarray, gt_areas: np.ndarray, mask_thresh: float = 0.5
            ) -> tuple[Optional[float], Optional[float]]:
    """(segm AP@[.5:.95], segm AP@0.5) of one image, COCOeval's (area "all", 100 detections), by the project's one
    COCO evaluator with mask IoU. Only the categories present are evaluated (the others add nothing)."""
    cats = sorted({int(c) for c in np.concatenate([gt_labels, labels])})
    if not cats:
        return None, None
    dense = {c: k for k, c in enumerate(cats)}
    n = len(scores)
    dets = DetectionSet(image=np.zeros(n, dtype=np.int64),
                        category=np.array([dense[int(c)] for c in labels], dtype=np.int64),
                        bbox=np.zeros((n, 4)), score=np.asarray(scores, dtype=np.float64))
    gts = GroundTruthArrays(image=np.zeros(len(gt_labels), dtype=np.int64),
                            category=np.array([dense[int(c)] for c in gt_labels], dtype=np.int64),
                            bbox=xyxy_to_xywh(gt_boxes), area=np.asarray(gt_areas, dtype=np.float64),
                            iscrowd=np.asarray(gt_crowd, dtype=bool))
    stats = segm_metrics(dets, gts, dt_masks, gt_masks, tuple(str(c) for c in cats), ("image",), mask_thresh)
    return (stats.ap if stats.ap > -1 else None), (stats.ap50 if stats.ap50 > -1 else None)
