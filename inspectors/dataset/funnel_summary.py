"""Where objects are lost, over a whole dataset: the single-image funnel (inspectors.ground_truth.funnel) of every
object of every image, counted per stage, class and size — and, per stage with a slider, the recall that setting
that slider to its most permissive value would give (a real evaluation of the dataset at that setting).

Per image it runs the same per-image functions as the single-image engine, from the capture's record: the RPN's
filtering (rpn_stage: top-n, clip, small, score, NMS, post-NMS top-n, with each candidate's fate), the RoI head's
per-class boxes of the proposals, the final stage (select_detections, with what survived the score threshold and
NMS) and the single-image evaluation (evaluate_detections: COCO's matching) on the image's ground truth as the
single-image engine fits it (clipped to the image, the model's classes, crowd regions as ignore regions). IoUs are
COCO's, in original pixels; an object is lost after the last stage at which a box reached IoU ≥ `iou`
(funnel.lost_at).

What a capture keeps limits two stages, and how: the record holds the regression of the top-n anchors of each
level at the capture's largest pre-NMS top-n (not of every anchor), and their boxes clipped. "decoded" (every
anchor moved by its regression) is therefore the best IoU over the stored candidates whose box does not touch the
image border (for those the clipped box is the decoded box) and the current top-n: an object reached only by a
decoded anchor outside the stored top-n, or by a box crossing the border, counts as lost at "decoded" where the
single-image funnel says "top_k" (or at "anchors" where it says "decoded"). "top_k" uses the clipped boxes of the
current top-n; clipping can only raise a box's IoU with an object inside the image, and a top-n box that reaches
the threshold clipped also counts at "clip_small" unless it is removed as too small, so only a tiny box crossing
the border could be counted differently. Tests hold the counts equal to the single-image funnels on the demo set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Optional

import numpy as np
import torch
from torchvision.models.detection.transform import resize_boxes

from inspectors.dataset.anchor_fit import anchors_at, grid_sizes
from inspectors.evaluation.coco_matching import DetectionSet, GroundTruthArrays, box_iou_xywh, match
from inspectors.evaluation.matching import box_iou_xyxy, xyxy_to_xywh
from inspectors.ground_truth.funnel import STAGES
from inspectors.rpn.filter import KEPT, REMOVED_SCORE, REMOVED_SMALL, REMOVED_TOP_N

if TYPE_CHECKING:
    from inspectors.dataset.store import DatasetCapture

# The stages the dataset funnel reports (the single-image funnel's), and the slider that each stage's recovery
# relaxes, with its most permissive value (None: the capture's range decides).
SUMMARY_STAGES: tuple[str, ...] = STAGES
RELAX: dict[str, tuple[str, Optional[float]]] = {
    "top_k": ("rpn_pre_nms_top_n", None),
    "rpn_score": ("rpn_score_thresh", 0.0),
    "rpn_nms": ("rpn_nms_thresh", 1.0),
    "post_nms_top_n": ("rpn_post_nms_top_n", None),
    "box_score": ("box_score_thresh", 0.0),
    "box_nms": ("box_nms_thresh", 1.0),
    "detections_per_img": ("box_detections_per_img", None),
}
NO_CAP = 10**6  # detections per image: no cap (what per-class NMS kept)
SIZES = (("small", 0.0, 32.0**2), ("medium", 32.0**2, 96.0**2), ("large", 96.0**2, float("inf")))


@dataclass
class ObjectFate:
    image: str
    index: int  # the object's position in the single-image engine's ground truth (report.gt)
    name: str
    size: str
    lost_at: Optional[str]  # None: detected
    best_iou: dict[str, float]


@dataclass
class FunnelSummary:
    lost: dict[Optional[str], int]  # stage → objects lost there; None → found
    iou: float
    settings: dict[str, float]  # the seven thresholds that made it
    recall: float  # recall at `iou` as the settings are (COCO matching, area all, 100 detections per class)
    _objects: Optional[Callable[[], list[ObjectFate]]] = field(default=None, repr=False)
    _recover: Optional[Callable[[], dict[str, dict[str, Any]]]] = field(default=None, repr=False)

    @cached_property
    def objects(self) -> list[ObjectFate]:
        """Every object's fate (its best IoU at each stage, where it was lost), built when first read."""
        return self._objects() if self._objects is not None else []

    @cached_property
    def _recovery(self) -> dict[str, dict[str, Any]]:
        return self._recover() if self._recover is not None else {}

    @property
    def recovered_recall(self) -> dict[str, float]:
        """Stage → the dataset's recall at `iou` if that stage's slider were at its most permissive value (a full
        evaluation at that setting; computed on first access)."""
        return {stage: r["recall"] for stage, r in self._recovery.items()}

    @property
    def recovered_settings(self) -> dict[str, dict[str, float]]:
        return {stage: r["settings"] for stage, r in self._recovery.items()}

    def table(self, by: str = "class") -> dict[str, dict[Optional[str], int]]:
        """Lost counts per class (by="class") or per size (by="size")."""
        out: dict[str, dict[Optional[str], int]] = {}
        for o in self.objects:
            key = o.name if by == "class" else o.size
            row = out.setdefault(key, {})
            row[o.lost_at] = row.get(o.lost_at, 0) + 1
        return out

    def to_dict(self, recovered: bool = True) -> dict[str, Any]:
        out = {"iou": self.iou, "settings": self.settings, "recall": self.recall,
               "lost": {("found" if k is None else k): v for k, v in self.lost.items()},
               "by_class": {c: {("found" if k is None else k): v for k, v in row.items()}
                            for c, row in self.table("class").items()},
               "by_size": {c: {("found" if k is None else k): v for k, v in row.items()}
                           for c, row in self.table("size").items()}}
        if recovered:
            out["recovered_recall"] = self.recovered_recall
        return out


@dataclass
class _ImageRpnPart:
    """One image at one RPN setting and IoU threshold: the part of every object's funnel that the final-stage
    sliders do not move, and what the final stage needs to finish it."""

    names: tuple[str, ...]
    areas: np.ndarray  # (N,)
    best: np.ndarray  # (N, 7) best IoU at anchors, top_k, clip_small, rpn_score, rpn_nms, post_nms_top_n, roi_head
    decoded: np.ndarray  # (N,) best IoU of a decoded anchor, as far as the record tells (see the docstring)
    own_scores: list[np.ndarray]  # per object: scores (float32) of the (proposal, its class) boxes, not tiny
    own_ious: list[np.ndarray]  # their IoUs with the object
    objects_xywh: np.ndarray  # (N, 4) the fitted objects, COCO x y w h (original pixels)
    classes: np.ndarray  # (N,) evaluated class index
    ignore_xywh: np.ndarray  # (M, 4) ignore regions (crowd)
    ignore_classes: np.ndarray  # (M,)


_RPN_PART_STAGES = ("anchors", "top_k", "clip_small", "rpn_score", "rpn_nms", "post_nms_top_n", "roi_head")
_TINY = 1e-2  # RoIHeads.postprocess_detections' remove_small_boxes


def image_rpn_part(capture: "DatasetCapture", index: int, settings: dict[str, float], anchors_original: np.ndarray,
                   iou: float) -> _ImageRpnPart:
    replay = capture.replay(index, **settings)
    record = capture.record(index)
    gt = capture.image_ground_truth(index)
    fitted = gt.fit_to_image(*record.original_size).for_model(capture.categories)
    boxes = np.asarray(fitted.boxes, dtype=np.float64).reshape(-1, 4)
    labels = fitted.labels if fitted.labels is not None else np.zeros(len(boxes), dtype=np.int64)
    n = len(boxes)
    stage = replay.stage
    filtered = stage.filtered
    fate = filtered.fate.numpy()
    with torch.inference_mode():
        cand = resize_boxes(filtered.candidate_boxes, list(record.resized_size), list(record.original_size)).numpy()
        cboxes_resized = stage.box_candidates.boxes
        cboxes = resize_boxes(cboxes_resized, list(record.resized_size), list(record.original_size)).numpy()
        ws, hs = cboxes_resized[:, 2] - cboxes_resized[:, 0], cboxes_resized[:, 3] - cboxes_resized[:, 1]
        not_tiny = ((ws >= _TINY) & (hs >= _TINY)).numpy()
    clabels = stage.box_candidates.labels.numpy()
    cscores = stage.box_candidates.scores.numpy()
    masks = {
        "top_k": np.ones(len(fate), dtype=bool),
        "clip_small": fate != REMOVED_SMALL,
        "rpn_score": (fate != REMOVED_SMALL) & (fate != REMOVED_SCORE),
        "rpn_nms": (fate == KEPT) | (fate == REMOVED_TOP_N),
        "post_nms_top_n": fate == KEPT,
    }
    best = np.zeros((n, len(_RPN_PART_STAGES)))
    iou_anchor = box_iou_xyxy(anchors_original, boxes) if n else np.zeros((0, 0))
    iou_cand = box_iou_xyxy(cand, boxes) if n else np.zeros((0, 0))
    # "decoded": every stored candidate (the top-n of each level at the capture's largest pre-NMS top-n) whose box
    # did not touch the image border, so that its clipped box is its decoded box
    h, w = record.resized_size
    stored = record.box
    inside = (stored[:, 0] > 0) & (stored[:, 1] > 0) & (stored[:, 2] < w) & (stored[:, 3] < h)
    with torch.inference_mode():
        stored_original = resize_boxes(torch.from_numpy(np.ascontiguousarray(stored[inside])),
                                       list(record.resized_size), list(record.original_size)).numpy()
    iou_stored = box_iou_xyxy(stored_original, boxes) if n else np.zeros((0, 0))
    decoded = np.zeros(n)
    scores, ious = [], []
    for j in range(n):
        best[j, 0] = iou_anchor[:, j].max(initial=0.0)
        for s, stage_name in enumerate(_RPN_PART_STAGES[1:6], start=1):
            best[j, s] = iou_cand[masks[stage_name], j].max(initial=0.0)
        decoded[j] = max(best[j, 1], iou_stored[:, j].max(initial=0.0))
        own = np.flatnonzero(clabels == int(labels[j]))
        row = box_iou_xyxy(cboxes[own], boxes[j : j + 1])[:, 0] if len(own) else np.zeros(0)
        best[j, 6] = row.max(initial=0.0)
        ok = not_tiny[own]
        scores.append(cscores[own][ok])
        ious.append(row[ok])
    ib = np.asarray(fitted.ignore_boxes, dtype=np.float64).reshape(-1, 4)
    il = fitted.ignore_labels if fitted.ignore_labels is not None else np.zeros(len(ib), dtype=np.int64)
    return _ImageRpnPart(
        names=tuple(fitted.names), areas=np.asarray(fitted.areas, dtype=np.float64).reshape(-1), best=best,
        decoded=decoded,
        own_scores=scores, own_ious=ious, objects_xywh=xyxy_to_xywh(boxes),
        classes=capture.evaluated_class(np.asarray(labels, dtype=np.int64)), ignore_xywh=xyxy_to_xywh(ib),
        ignore_classes=capture.evaluated_class(np.asarray(il, dtype=np.int64)))


def funnel_summary(capture: "DatasetCapture", iou: float, settings: dict[str, float],
                   rpn_part: Callable[[int], _ImageRpnPart],
                   recall_at: Callable[[dict[str, float]], float],
                   own_boxes: Optional[Callable[[list[_ImageRpnPart]], tuple[np.ndarray, np.ndarray]]] = None
                   ) -> FunnelSummary:
    """The final-stage part runs on the whole dataset at once: the detections (the batched final stage), the same
    with no detections-per-image cap (what per-class NMS kept), and COCO's matching at `iou`."""
    parts = [rpn_part(i) for i in range(len(capture))]
    own_boxes = own_boxes or own_boxes_of
    counts = np.array([len(p.classes) for p in parts], dtype=np.int64)
    obj_image = np.repeat(np.arange(len(parts)), counts)
    obj_xywh = np.concatenate([p.objects_xywh for p in parts]) if len(parts) else np.zeros((0, 4))
    obj_class = np.concatenate([p.classes for p in parts]) if len(parts) else np.zeros(0, np.int64)
    thr = np.float32(settings["box_score_thresh"])
    final = capture.detection_set(**settings)
    kept_by_nms = capture.detection_set(**{**settings, "box_detections_per_img": NO_CAP})

    def best_of(dets: DetectionSet) -> np.ndarray:
        """(objects,) best IoU of a detection of the object's class in its image."""
        out = np.zeros(len(obj_class))
        order = np.lexsort((dets.category, dets.image))
        key = dets.image[order] * (len(capture.class_names) + 1) + dets.category[order]
        want = obj_image * (len(capture.class_names) + 1) + obj_class
        lo, hi = np.searchsorted(key, want, "left"), np.searchsorted(key, want, "right")
        width = hi - lo
        pair_obj = np.repeat(np.arange(len(obj_class)), width)
        pair_det = order[np.repeat(lo, width) + np.arange(int(width.sum())) - np.repeat(np.cumsum(width) - width,
                                                                                         width)].astype(np.int64)
        if len(pair_obj):
            ious = box_iou_xywh(dets.bbox[pair_det], obj_xywh[pair_obj], np.zeros(len(pair_obj), dtype=bool))
            np.maximum.at(out, pair_obj, ious)
        return out

    best_final, best_nms = best_of(final), best_of(kept_by_nms)
    # COCO's matching of the detections with the objects (and ignore regions), as the single-image evaluation
    ig_counts = np.array([len(p.ignore_classes) for p in parts], dtype=np.int64)
    gts = GroundTruthArrays(
        image=np.concatenate([obj_image, np.repeat(np.arange(len(parts)), ig_counts)]),
        category=np.concatenate([obj_class, *[p.ignore_classes for p in parts]]),
        bbox=np.concatenate([obj_xywh, *[p.ignore_xywh for p in parts]]).reshape(-1, 4),
        area=np.zeros(int(counts.sum() + ig_counts.sum())),
        iscrowd=np.concatenate([np.zeros(len(obj_class), bool), np.ones(int(ig_counts.sum()), bool)]))
    matches = match(final, gts, max_det=max(len(final), 1), iou_thresholds=np.array([float(iou)]),
                    area_ranges=(("all", -1.0, np.inf),))
    matched_gt = matches.gt[0, 0]
    real = (matched_gt >= 0) & (matched_gt < len(obj_class))
    matched_iou = np.zeros(len(obj_class))
    found = np.zeros(len(obj_class), dtype=bool)
    if real.any():
        d = matches.det[real]
        g = matched_gt[real]
        found[g] = True
        matched_iou[g] = box_iou_xywh(final.bbox[d], obj_xywh[g], np.zeros(len(g), dtype=bool))

    # Every object's best IoU per stage (STAGES' order), all objects at once
    n = len(obj_class)
    rpn_best = np.concatenate([p.best for p in parts]).reshape(n, len(_RPN_PART_STAGES))
    decoded = np.concatenate([p.decoded for p in parts]) if parts else np.zeros(0)
    scores, running = own_boxes(parts)  # (objects, boxes): by decreasing score, the running maximum IoU
    above = (scores > thr).sum(axis=1)  # those above the threshold are a prefix
    best_box_score = np.where(above > 0, running[np.arange(n), np.maximum(above - 1, 0)], 0.0) if n else \
        np.zeros(0)
    columns = {**{stage: rpn_best[:, s] for s, stage in enumerate(_RPN_PART_STAGES)}, "decoded": decoded,
               "box_score": best_box_score, "box_nms": best_nms, "detections_per_img": best_final,
               "matched": matched_iou}
    best = np.stack([columns[stage] for stage in STAGES], axis=1) if n else np.zeros((0, len(STAGES)))
    stage_of = _lost_at_all(best, found, iou)  # index into STAGES, len(STAGES) for found
    names = [*STAGES, None]
    lost: dict[Optional[str], int] = {}
    for index, count in zip(*np.unique(stage_of, return_counts=True)):
        lost[names[int(index)]] = int(count)
    ordered = {s: lost[s] for s in (*SUMMARY_STAGES, None) if s in lost}

    def objects() -> list[ObjectFate]:
        out: list[ObjectFate] = []
        k = 0
        for i, part in enumerate(parts):
            for j in range(len(part.classes)):
                area = float(part.areas[j]) if j < len(part.areas) and np.isfinite(part.areas[j]) else \
                    float(part.objects_xywh[j, 2] * part.objects_xywh[j, 3])
                size = next(name for name, lo, hi in SIZES if lo <= area < hi)
                out.append(ObjectFate(image=capture.names[i], index=j, name=part.names[j], size=size,
                                      lost_at=names[int(stage_of[k])],
                                      best_iou={stage: round(float(best[k, s]), 6) for s, stage in enumerate(STAGES)}))
                k += 1
        return out

    def recover() -> dict[str, dict[str, Any]]:
        ranges = capture.ranges
        out = {}
        for stage, (key, value) in RELAX.items():
            if value is None:
                value = capture.max_pre_nms_top_n if key == "rpn_pre_nms_top_n" else ranges[key][1]
            relaxed = {**settings, key: value}
            out[stage] = {"settings": relaxed, "recall": recall_at(relaxed)}
        return out

    return FunnelSummary(lost=ordered, iou=float(iou), settings=dict(settings), recall=recall_at(settings),
                         _objects=objects, _recover=recover)


def own_boxes_of(parts: list[_ImageRpnPart]) -> tuple[np.ndarray, np.ndarray]:
    """Every object's (proposal, its class) boxes as two (objects, most boxes) tables, each row by decreasing
    score: the scores (float32, -inf where a row is shorter) and the running maximum of the boxes' IoUs with the
    object — the final-stage part of the funnel reads the best IoU above any score threshold from them. The same
    for every final-stage setting: built once per RPN setting."""
    own_scores = [s for p in parts for s in p.own_scores]
    own_ious = [s for p in parts for s in p.own_ious]
    width = max((len(s) for s in own_scores), default=0)
    scores = np.full((len(own_scores), max(width, 1)), -np.inf, dtype=np.float32)
    ious = np.zeros((len(own_scores), max(width, 1)))
    for row, (sc, io) in enumerate(zip(own_scores, own_ious)):
        order = np.argsort(-np.asarray(sc, dtype=np.float32), kind="stable")
        scores[row, :len(sc)] = np.asarray(sc, dtype=np.float32)[order]
        ious[row, :len(sc)] = np.asarray(io, dtype=np.float64)[order]
    return scores, np.maximum.accumulate(ious, axis=1)


def _lost_at_all(best: np.ndarray, found: np.ndarray, iou: float) -> np.ndarray:
    """funnel.lost_at for every object: the index (into STAGES) of the stage after the last one reached, 0 if
    none was, len(STAGES) for a found object."""
    reached = best >= iou
    any_reached = reached.any(axis=1)
    last = best.shape[1] - 1 - np.argmax(reached[:, ::-1], axis=1)
    stage = np.where(any_reached, last + 1, 0)
    return np.where(found, best.shape[1], stage)


def anchors_original(capture: "DatasetCapture", index: int) -> np.ndarray:
    """Every anchor of the image (AnchorGenerator at its real grids), in original pixels (resize_boxes)."""
    config = capture.config
    record = capture.record(index)
    per_location = [len(s) * len(r) for s, r in zip(config.anchor_sizes, config.aspect_ratios)]
    padded, grids = grid_sizes(record.resized_size, record.level_count, per_location,
                               config.transform.size_divisible)
    with torch.inference_mode():
        anchors = anchors_at(padded, grids, config.anchor_sizes, config.aspect_ratios)
        return resize_boxes(anchors, list(record.resized_size), list(record.original_size)).numpy()
