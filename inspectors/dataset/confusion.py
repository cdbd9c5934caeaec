"""A detector's confusion matrix over a dataset: which class each object was taken for, with a background row and
column (objects missed, detections of nothing).

The matching is supervision's (`ConfusionMatrix.from_detections`, the one users of torchvision models are pointed
to), image by image: every (object, detection) pair whose IoU is above `iou` (strictly) is a candidate; candidates
are visited same-class first, then by decreasing IoU (ties in the order of the objects, then the detections), and a
pair is taken when neither its object nor its detection is taken yet. A taken pair counts in [true class, predicted
class]; an object left over counts in [its class, background], a detection left over in [background, its class].
Unlike COCO's matching (score order, one class at a time), a detection of the wrong class can take an object here:
that is what makes the off-diagonal cells.

Sequential greedy matching is done for every image at once: in each round, a pair that comes first (in that order)
among the remaining pairs of its object and among those of its detection is taken by the sequential greedy as well;
those pairs are taken, every pair sharing an object or a detection with one is dropped, and the rounds repeat.

Objects are the non-crowd objects of the evaluated classes (crowd regions are COCO's ignore regions, not objects);
detections are the capture's detections at the given thresholds (score > box_score_thresh, as torchvision keeps
them; supervision's own conf_threshold is then 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from inspectors.evaluation.coco_matching import DetectionSet, GroundTruthArrays


@dataclass
class ConfusionCell:
    """What one cell holds: the images and boxes (original frame, COCO [x, y, w, h])."""

    true_class: str  # "background" for the last row
    predicted_class: str
    images: list[str]  # image names, each once, in dataset order
    items: list[dict[str, Any]]  # {"image", "gt_box", "det_box", "score", "iou"} (None where there is none)


@dataclass
class ConfusionMatrix:
    matrix: np.ndarray  # (C+1, C+1) int64: rows the true class, columns the predicted one, background last
    classes: tuple[str, ...]
    iou: float
    settings: dict[str, float]  # the seven thresholds that made the detections
    # One row per count: the cell it falls in and what made it (-1 where there is no object / detection).
    pair_true: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))
    pair_pred: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))
    pair_image: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))
    pair_gt: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))
    pair_det: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))
    pair_iou: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    image_names: tuple[str, ...] = ()
    _dets: Any = field(default=None, repr=False)
    _gts: Any = field(default=None, repr=False)

    @property
    def labels(self) -> tuple[str, ...]:
        """Row / column names: the classes, then "background"."""
        return self.classes + ("background",)

    def cell(self, true_class: str | int, predicted_class: str | int) -> ConfusionCell:
        """The images and boxes counted in one cell (names or indices; "background" or C for the last)."""
        t, p = (self._index(true_class), self._index(predicted_class))
        rows = np.flatnonzero((self.pair_true == t) & (self.pair_pred == p))
        items = []
        for r in rows:
            g, d = int(self.pair_gt[r]), int(self.pair_det[r])
            items.append({
                "image": self.image_names[int(self.pair_image[r])],
                "gt_box": None if g < 0 else [float(v) for v in self._gts.bbox[g]],
                "det_box": None if d < 0 else [float(v) for v in self._dets.bbox[d]],
                "score": None if d < 0 else float(self._dets.score[d]),
                "iou": None if g < 0 or d < 0 else float(self.pair_iou[r]),
            })
        order = sorted(set(int(i) for i in self.pair_image[rows]))
        return ConfusionCell(self.labels[t], self.labels[p], [self.image_names[i] for i in order], items)

    def _index(self, key: str | int) -> int:
        if isinstance(key, str):
            return self.labels.index(key)
        if not 0 <= int(key) <= len(self.classes):
            raise IndexError(f"cell index {key} outside 0..{len(self.classes)}")
        return int(key)

    def to_dict(self) -> dict[str, Any]:
        return {"iou": self.iou, "settings": self.settings, "labels": list(self.labels),
                "matrix": self.matrix.tolist()}


def pair_iou_xyxy(gt: np.ndarray, det: np.ndarray) -> np.ndarray:
    """IoU of row pairs, [x1, y1, x2, y2], with supervision's box_iou_batch formula (coordinates as float32, as
    its detections_to_tensor makes them; clipped width and height; 0 where the union is 0)."""
    gt, det = np.asarray(gt, dtype=np.float32), np.asarray(det, dtype=np.float32)
    w = np.clip(np.minimum(gt[:, 2], det[:, 2]) - np.maximum(gt[:, 0], det[:, 0]), 0.0, None)
    h = np.clip(np.minimum(gt[:, 3], det[:, 3]) - np.maximum(gt[:, 1], det[:, 1]), 0.0, None)
    inter = w * h
    union = (gt[:, 2] - gt[:, 0]) * (gt[:, 3] - gt[:, 1]) + (det[:, 2] - det[:, 0]) * (det[:, 3] - det[:, 1]) - inter
    out = np.zeros(inter.shape, dtype=np.float32)
    np.divide(inter, union, out=out, where=union > 0)
    return out


def confusion_matrix(dets: DetectionSet, gts: GroundTruthArrays, classes: tuple[str, ...], iou: float,
                     settings: dict[str, float], image_names: tuple[str, ...]) -> ConfusionMatrix:
    num_classes = len(classes)
    objects = np.flatnonzero(~gts.iscrowd)
    det_xyxy = np.concatenate([dets.bbox[:, :2], dets.bbox[:, :2] + dets.bbox[:, 2:]], axis=1)
    gt_xyxy = np.concatenate([gts.bbox[:, :2], gts.bbox[:, :2] + gts.bbox[:, 2:]], axis=1)

    # Every (object, detection) pair of the same image.
    g_order = objects[np.argsort(gts.image[objects], kind="stable")]
    d_order = np.argsort(dets.image, kind="stable")
    num_images = len(image_names)
    g_start = np.searchsorted(gts.image[g_order], np.arange(num_images + 1))
    d_start = np.searchsorted(dets.image[d_order], np.arange(num_images + 1))
    g_count, d_count = np.diff(g_start), np.diff(d_start)
    per_image = g_count * d_count
    pair_img = np.repeat(np.arange(num_images), per_image)
    local = np.arange(int(per_image.sum())) - np.repeat(np.cumsum(per_image) - per_image, per_image)
    dc = d_count[pair_img]
    pg = g_order[g_start[pair_img] + local // np.maximum(dc, 1)]  # object-major, as np.nonzero orders them
    pd = d_order[d_start[pair_img] + local % np.maximum(dc, 1)]
    ious = pair_iou_xyxy(gt_xyxy[pg], det_xyxy[pd])
    cand = np.flatnonzero(ious > iou)
    pg, pd, ious, pimg = pg[cand], pd[cand], ious[cand], pair_img[cand]
    same = gts.category[pg] == dets.category[pd]
    # supervision's order inside an image: same class first, then IoU descending (stable: object, detection).
    order = np.lexsort((np.arange(len(cand)), -ious, ~same, pimg))
    pg, pd, ious, pimg = pg[order], pd[order], ious[order], pimg[order]
    taken = _greedy(pg, pd, len(gts), len(dets))

    gt_taken = np.zeros(len(gts), dtype=bool)
    det_taken = np.zeros(len(dets), dtype=bool)
    gt_taken[pg[taken]] = True
    det_taken[pd[taken]] = True
    missed = objects[~gt_taken[objects]]
    spurious = np.flatnonzero(~det_taken)
    bg = num_classes
    pair_true = np.concatenate([gts.category[pg[taken]], gts.category[missed], np.full(len(spurious), bg)])
    pair_pred = np.concatenate([dets.category[pd[taken]], np.full(len(missed), bg), dets.category[spurious]])
    matrix = np.bincount(pair_true * (num_classes + 1) + pair_pred,
                         minlength=(num_classes + 1) ** 2).reshape(num_classes + 1, num_classes + 1)
    return ConfusionMatrix(
        matrix=matrix.astype(np.int64), classes=tuple(classes), iou=float(iou), settings=dict(settings),
        pair_true=pair_true.astype(np.int64), pair_pred=pair_pred.astype(np.int64),
        pair_image=np.concatenate([pimg[taken], gts.image[missed], dets.image[spurious]]).astype(np.int64),
        pair_gt=np.concatenate([pg[taken], missed, np.full(len(spurious), -1)]).astype(np.int64),
        pair_det=np.concatenate([pd[taken], np.full(len(missed), -1), spurious]).astype(np.int64),
        pair_iou=np.concatenate([ious[taken], np.zeros(len(missed) + len(spurious))]),
        image_names=tuple(image_names), _dets=dets, _gts=gts,
    )


def _greedy(pg: np.ndarray, pd: np.ndarray, num_gt: int, num_det: int) -> np.ndarray:
    """Sequential greedy matching over pairs in priority order (pairs of different images never conflict), in
    rounds of locally dominant pairs. Returns a bool per pair: taken."""
    n = len(pg)
    taken = np.zeros(n, dtype=bool)
    alive = np.arange(n)
    while len(alive):
        position = np.arange(len(alive))
        first_g = np.full(num_gt, n, dtype=np.int64)
        first_d = np.full(num_det, n, dtype=np.int64)
        np.minimum.at(first_g, pg[alive], position)
        np.minimum.at(first_d, pd[alive], position)
        win = (first_g[pg[alive]] == position) & (first_d[pd[alive]] == position)
        chosen = alive[win]
        taken[chosen] = True
        used_g = np.zeros(num_gt, dtype=bool)
        used_d = np.zeros(num_det, dtype=bool)
        used_g[pg[chosen]] = True
        used_d[pd[chosen]] = True
        alive = alive[~win & ~used_g[pg[alive]] & ~used_d[pd[alive]]]
    return taken
