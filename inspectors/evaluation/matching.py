"""COCO's matching of one image's detections to its ground truth: the dataset matcher (`coco_matching.match`) on
a one-image set, with the results laid out per detection and per object.

There is one COCO matcher in RCNN Lens: COCOeval.evaluateImg as `coco_matching.match` implements it (detections
visited by descending score, stable; each takes the unmatched object it overlaps most, IoU ≥ t, ties to the later
object; objects before ignore regions; crowd regions matchable any number of times with IoU = intersection /
detection area; detections matched to an ignore region, or unmatched and outside the area range, ignored), and
one IoU (`coco_matching.box_iou_xywh`, pycocotools' bbIou operation for operation in float64). `match_image`
asks it about one image, per category (`use_cats`) or all together (`use_cats=False`, as for proposals), so the
single-image views and the dataset metrics can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from inspectors.evaluation.coco_matching import (
    AREA_RANGES,
    IOU_THRESHOLDS,
    DetectionSet,
    GroundTruthArrays,
    box_iou_xywh,
    match,
)

COCO_IOU_THRESHOLDS = IOU_THRESHOLDS  # COCOeval's iouThrs, 0.5:0.05:0.95
COCO_AREA_RANGES = {name: (lo, hi) for name, lo, hi in AREA_RANGES}  # COCOeval's areaRng (inclusive), pixels²
_NO_AREA_LIMIT = (("any", -np.inf, np.inf),)


def xyxy_to_xywh(boxes: np.ndarray) -> np.ndarray:
    """x1 y1 x2 y2 → COCO's x y w h, in float64 (feed the same numbers to pycocotools to compare)."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.stack([b[:, 0], b[:, 1], b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], axis=1)


def coco_iou(dt_xywh: np.ndarray, gt_xywh: np.ndarray, iscrowd: Optional[np.ndarray] = None) -> np.ndarray:
    """(D, G) IoU of COCO x y w h boxes exactly as pycocotools computes it (box_iou_xywh for every pair); crowd
    columns divide by the detection area only (a detection inside a crowd region overlaps it fully)."""
    d = np.asarray(dt_xywh, dtype=np.float64).reshape(-1, 4)
    g = np.asarray(gt_xywh, dtype=np.float64).reshape(-1, 4)
    if d.shape[0] == 0 or g.shape[0] == 0:
        return np.zeros((d.shape[0], g.shape[0]), dtype=np.float64)
    crowd = np.zeros(g.shape[0], dtype=bool) if iscrowd is None else np.asarray(iscrowd, dtype=bool).reshape(-1)
    return box_iou_xywh(d[None, :, :], g[:, None, :], crowd[None, :])  # broadcast to (D, G)


def box_iou_xyxy(boxes_a: np.ndarray, boxes_b: np.ndarray, crowd_b: Optional[np.ndarray] = None) -> np.ndarray:
    """coco_iou for x1 y1 x2 y2 boxes (converted as xyxy_to_xywh does)."""
    return coco_iou(xyxy_to_xywh(boxes_a), xyxy_to_xywh(boxes_b), crowd_b)


@dataclass
class ImageMatch:
    """COCO's matching of one image at several IoU thresholds. Indices refer to the inputs' order."""

    iou_thresholds: np.ndarray  # (T,)
    det_gt: np.ndarray  # (T, D) index of the matched ground-truth row, −1 when unmatched
    det_ignored: np.ndarray  # (T, D) matched to an ignore region, or unmatched and outside the area range
    det_evaluated: np.ndarray  # (D,) False for detections beyond max_dets (per category when use_cats)
    gt_det: np.ndarray  # (T, G) index of the matching detection, −1 when unmatched (crowd: the last one)
    gt_ignored: np.ndarray  # (G,) ignore regions (crowd, difficult) and objects outside the area range
    ious: np.ndarray  # (D, G) coco_iou of every detection with every ground-truth row

    def tp(self, t: int = 0) -> np.ndarray:
        """(D,) True positives at threshold index `t`."""
        return self.det_evaluated & (self.det_gt[t] >= 0) & ~self.det_ignored[t]

    def fp(self, t: int = 0) -> np.ndarray:
        return self.det_evaluated & (self.det_gt[t] < 0) & ~self.det_ignored[t]

    def fn(self, t: int = 0) -> np.ndarray:
        """(G,) Objects (not ignored) that no detection matched."""
        return ~self.gt_ignored & (self.gt_det[t] < 0)

    def counts(self, t: int = 0) -> tuple[int, int, int]:
        return int(self.tp(t).sum()), int(self.fp(t).sum()), int(self.fn(t).sum())

    def recall(self) -> np.ndarray:
        """(T,) matched objects / objects (not ignored), as COCOeval's recall for one image; −1 without objects."""
        objects = int((~self.gt_ignored).sum())
        if objects == 0:
            return np.full(len(self.iou_thresholds), -1.0)
        matched = ((self.gt_det >= 0) & ~self.gt_ignored[None, :]).sum(axis=1)
        return matched / objects


@dataclass
class _WithIgnoreRegions(GroundTruthArrays):
    """Ground truth with ignore regions that are not crowd regions (e.g. VOC's difficult objects): ignored like a
    crowd region, but matched at most once."""

    ignore: np.ndarray = None  # type: ignore[assignment]  # (G,) bool, set by match_image

    def ignored(self, area_ranges=AREA_RANGES) -> np.ndarray:  # type: ignore[no-untyped-def]
        return super().ignored(area_ranges) | self.ignore[None, :]


def match_image(
    det_boxes: np.ndarray,
    det_scores: np.ndarray,
    det_labels: Optional[np.ndarray],
    gt_boxes: np.ndarray,
    gt_labels: Optional[np.ndarray],
    gt_crowd: Optional[np.ndarray] = None,
    gt_ignore: Optional[np.ndarray] = None,
    *,
    iou_thresholds: Sequence[float] = (0.5,),
    use_cats: bool = True,
    max_dets: Optional[int] = None,
    area_range: Optional[tuple[float, float]] = None,
    gt_areas: Optional[np.ndarray] = None,
) -> ImageMatch:
    """COCOeval.evaluateImg for one image. Boxes are x1 y1 x2 y2; `gt_crowd` rows are crowd regions (ignored,
    matchable many times); `gt_ignore` marks other ignore regions (e.g. VOC difficult: ignored, matched once).
    `area_range` (COCO's inclusive range, e.g. COCO_AREA_RANGES["small"]) ignores objects whose `gt_areas` fall
    outside it, and unmatched detections whose box area does."""
    det_xywh = xyxy_to_xywh(det_boxes)
    gt_xywh = xyxy_to_xywh(gt_boxes)
    scores = np.asarray(det_scores, dtype=np.float64).reshape(-1)
    num_d, num_g = det_xywh.shape[0], gt_xywh.shape[0]
    crowd = np.zeros(num_g, dtype=bool) if gt_crowd is None else np.asarray(gt_crowd, dtype=bool).reshape(-1)
    ignore = np.zeros(num_g, dtype=bool) if gt_ignore is None else np.asarray(gt_ignore, dtype=bool).reshape(-1)
    areas = gt_xywh[:, 2] * gt_xywh[:, 3] if gt_areas is None else np.asarray(gt_areas, dtype=np.float64).reshape(-1)
    dl = np.zeros(num_d, dtype=np.int64) if det_labels is None else np.asarray(det_labels).reshape(-1)
    gl = np.zeros(num_g, dtype=np.int64) if gt_labels is None else np.asarray(gt_labels).reshape(-1)
    classes, dense = np.unique(np.concatenate([dl, gl]), return_inverse=True)  # sorted: COCO's category order
    det_class, gt_class = dense[:num_d].astype(np.int64), dense[num_d:].astype(np.int64)
    # COCOeval lists an image's detections category by category before its stable sort by score, so with the
    # categories pooled, ties break by category, then by input order: give `match` the detections in that order.
    order = np.argsort(det_class, kind="mergesort") if not use_cats else np.arange(num_d)
    dets = DetectionSet(image=np.zeros(num_d, dtype=np.int64), category=det_class[order], bbox=det_xywh[order],
                        score=scores[order])
    gts = _WithIgnoreRegions(image=np.zeros(num_g, dtype=np.int64), category=gt_class, bbox=gt_xywh, area=areas,
                             iscrowd=crowd, ignore=ignore)
    thresholds = np.asarray(iou_thresholds, dtype=np.float64).reshape(-1)
    ranges = _NO_AREA_LIMIT if area_range is None else (("range", float(area_range[0]), float(area_range[1])),)
    found = match(dets, gts, max_det=num_d if max_dets is None else int(max_dets), pooled=not use_cats,
                  iou_thresholds=thresholds, area_ranges=ranges)

    kept = order[found.det]  # the evaluated detections, input indices, in COCO's visiting order
    num_t = thresholds.shape[0]
    det_gt = np.full((num_t, num_d), -1, dtype=np.int64)
    det_gt[:, kept] = found.gt[0]
    det_evaluated = np.zeros(num_d, dtype=bool)
    det_evaluated[kept] = True
    det_area = det_xywh[:, 2] * det_xywh[:, 3]
    lo, hi = ranges[0][1], ranges[0][2]
    det_ignored = np.zeros((num_t, num_d), dtype=bool)
    det_ignored[:, kept] = found.det_ignored[0]
    det_ignored |= (det_gt < 0) & ((det_area < lo) | (det_area > hi))[None, :]
    gt_det = np.full((num_t, num_g), -1, dtype=np.int64)
    for t in range(num_t):  # a crowd region keeps the last detection that matched it
        matched = np.flatnonzero(det_gt[t, kept] >= 0)[::-1]
        objects, last = np.unique(det_gt[t, kept[matched]], return_index=True)
        gt_det[t, objects] = kept[matched[last]]
    ious = coco_iou(det_xywh, gt_xywh, crowd)
    return ImageMatch(thresholds, det_gt, det_ignored, det_evaluated, gt_det, found.gt_ignored[0], ious)


def average_recall(match: ImageMatch) -> float:
    """COCO's AR for one image from a match over COCO_IOU_THRESHOLDS: the mean recall, −1 without objects."""
    recall = match.recall()
    valid = recall[recall > -1]
    return float(valid.mean()) if valid.size else -1.0
