"""COCO's matching of detections to ground truth for one image, as pure numpy (the evaluators build on it).

`coco_iou` is pycocotools' box IoU (maskApi.c bbIou) operation for operation in float64, and `match_image` is
COCOeval.evaluateImg: detections visited by descending score (stable), each taking the unmatched object it
overlaps most (IoU ≥ t; ties go to the later object), objects before ignore regions, crowd regions matchable any
number of times with IoU = intersection / detection area, detections matched to an ignore region (or unmatched and
outside the area range) ignored. Per category (`use_cats`) or all together (`use_cats=False`, as for proposals).
It works on arrays of one image so a dataset evaluator can call it per image without any COCO objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

COCO_IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)  # as COCOeval
COCO_AREA_RANGES = {  # COCOeval's areaRng (inclusive at both ends, in original pixels²)
    "all": (0.0**2, 1e5**2),
    "small": (0.0**2, 32.0**2),
    "medium": (32.0**2, 96.0**2),
    "large": (96.0**2, 1e5**2),
}


def xyxy_to_xywh(boxes: np.ndarray) -> np.ndarray:
    """x1 y1 x2 y2 → COCO's x y w h, in float64 (feed the same numbers to pycocotools to compare)."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.stack([b[:, 0], b[:, 1], b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], axis=1)


def coco_iou(dt_xywh: np.ndarray, gt_xywh: np.ndarray, iscrowd: Optional[np.ndarray] = None) -> np.ndarray:
    """(D, G) IoU of COCO x y w h boxes exactly as pycocotools computes it; crowd columns divide by the detection
    area only (a detection inside a crowd region overlaps it fully)."""
    d = np.asarray(dt_xywh, dtype=np.float64).reshape(-1, 4)
    g = np.asarray(gt_xywh, dtype=np.float64).reshape(-1, 4)
    if d.shape[0] == 0 or g.shape[0] == 0:
        return np.zeros((d.shape[0], g.shape[0]), dtype=np.float64)
    crowd = np.zeros(g.shape[0], dtype=bool) if iscrowd is None else np.asarray(iscrowd, dtype=bool)
    ga = g[:, 2] * g[:, 3]
    da = d[:, 2] * d[:, 3]
    w = np.minimum(d[:, None, 2] + d[:, None, 0], g[None, :, 2] + g[None, :, 0]) - np.maximum(d[:, None, 0],
                                                                                                g[None, :, 0])
    h = np.minimum(d[:, None, 3] + d[:, None, 1], g[None, :, 3] + g[None, :, 1]) - np.maximum(d[:, None, 1],
                                                                                                g[None, :, 1])
    inter = w * h
    union = np.where(crowd[None, :], da[:, None], da[:, None] + ga[None, :] - inter)
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = inter / union
    return np.where((w > 0) & (h > 0), iou, 0.0)


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
    ignore = crowd.copy() if gt_ignore is None else (np.asarray(gt_ignore, dtype=bool).reshape(-1) | crowd)
    det_area = det_xywh[:, 2] * det_xywh[:, 3]
    if area_range is not None:
        areas = gt_xywh[:, 2] * gt_xywh[:, 3] if gt_areas is None else np.asarray(gt_areas, dtype=np.float64)
        ignore = ignore | (areas < area_range[0]) | (areas > area_range[1])
    thresholds = np.asarray(iou_thresholds, dtype=np.float64).reshape(-1)
    num_t = thresholds.shape[0]
    ious = coco_iou(det_xywh, gt_xywh, crowd)

    det_gt = np.full((num_t, num_d), -1, dtype=np.int64)
    det_ignored = np.zeros((num_t, num_d), dtype=bool)
    det_evaluated = np.zeros(num_d, dtype=bool)
    gt_det = np.full((num_t, num_g), -1, dtype=np.int64)

    if use_cats:
        dl = np.asarray(det_labels).reshape(-1)
        gl = np.asarray(gt_labels).reshape(-1)
        groups = [(np.flatnonzero(dl == c), np.flatnonzero(gl == c)) for c in np.unique(np.concatenate([dl, gl]))]
    else:  # COCOeval lists all detections (and objects) category by category, so ties break in that order
        d_all, g_all = np.arange(num_d), np.arange(num_g)
        if det_labels is not None:
            d_all = np.argsort(np.asarray(det_labels).reshape(-1), kind="mergesort")
        if gt_labels is not None:
            g_all = np.argsort(np.asarray(gt_labels).reshape(-1), kind="mergesort")
        groups = [(d_all, g_all)]
    for d_idx, g_idx in groups:
        d_idx = d_idx[np.argsort(-scores[d_idx], kind="mergesort")]
        if max_dets is not None:
            d_idx = d_idx[:max_dets]
        det_evaluated[d_idx] = True
        g_idx = g_idx[np.argsort(ignore[g_idx], kind="mergesort")]  # objects first, ignore regions last
        if len(d_idx) == 0:
            continue
        sub = ious[np.ix_(d_idx, g_idx)]
        sub_ignore, sub_crowd = ignore[g_idx], crowd[g_idx]
        for t, threshold in enumerate(thresholds):
            floor = min(threshold, 1 - 1e-10)
            taken = np.zeros(len(g_idx), dtype=bool)
            reachable = (sub >= floor).any(axis=1) if len(g_idx) else np.zeros(len(d_idx), dtype=bool)
            for row in np.flatnonzero(reachable):
                ok = (~taken | sub_crowd) & (sub[row] >= floor)
                m = _last_argmax(sub[row], ok & ~sub_ignore)
                if m < 0:
                    m = _last_argmax(sub[row], ok & sub_ignore)
                if m < 0:
                    continue
                taken[m] = True
                det_gt[t, d_idx[row]] = g_idx[m]
                det_ignored[t, d_idx[row]] = sub_ignore[m]
                gt_det[t, g_idx[m]] = d_idx[row]
    if area_range is not None:
        outside = (det_area < area_range[0]) | (det_area > area_range[1])
        det_ignored |= (det_gt < 0) & outside[None, :]
    return ImageMatch(thresholds, det_gt, det_ignored, det_evaluated, gt_det, ignore, ious)


def _last_argmax(values: np.ndarray, mask: np.ndarray) -> int:
    """Index of the largest masked value, the last one among equals (COCOeval's `>=` update); −1 if none."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return -1
    vals = values[idx]
    return int(idx[idx.size - 1 - int(np.argmax(vals[::-1]))])


def average_recall(match: ImageMatch) -> float:
    """COCO's AR for one image from a match over COCO_IOU_THRESHOLDS: the mean recall, −1 without objects."""
    recall = match.recall()
    valid = recall[recall > -1]
    return float(valid.mean()) if valid.size else -1.0
