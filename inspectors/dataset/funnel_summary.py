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

One difference, from what a capture keeps: the record holds the regression of the top-n anchors of each level
only, so "decoded" (every anchor moved by its regression) cannot be told apart from "top_k"; an object whose best
decoded anchor reached the threshold but whose top-n candidates did not is counted under "top_k" with those lost
at "decoded" (and one whose only reaching box was a decoded anchor outside the top-n, under "anchors"). The
top-n candidates' IoU is that of their clipped boxes (the record stores them clipped); it differs from the
unclipped IoU only for a box crossing the image border, and then only matters for a box removed as too small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Optional

import numpy as np
import torch
from torchvision.models.detection.transform import resize_boxes

from inspectors.dataset.anchor_fit import anchors_at, grid_sizes
from inspectors.dataset.replay import box_settings
from inspectors.evaluation.matching import box_iou_xyxy
from inspectors.ground_truth.detection_eval import evaluate_detections
from inspectors.ground_truth.funnel import STAGES, lost_at
from inspectors.roi.postprocess import select_detections
from inspectors.rpn.filter import KEPT, REMOVED_NMS, REMOVED_SCORE, REMOVED_SMALL, REMOVED_TOP_N

if TYPE_CHECKING:
    from inspectors.dataset.store import DatasetCapture

# The stages the dataset funnel reports ("decoded" is folded into "top_k", see above), and the slider that each
# stage's recovery relaxes, with its most permissive value (None: the capture's range decides).
SUMMARY_STAGES: tuple[str, ...] = tuple(s for s in STAGES if s != "decoded")
RELAX: dict[str, tuple[str, Optional[float]]] = {
    "top_k": ("rpn_pre_nms_top_n", None),
    "rpn_score": ("rpn_score_thresh", 0.0),
    "rpn_nms": ("rpn_nms_thresh", 1.0),
    "post_nms_top_n": ("rpn_post_nms_top_n", None),
    "box_score": ("box_score_thresh", 0.0),
    "box_nms": ("box_nms_thresh", 1.0),
    "detections_per_img": ("box_detections_per_img", None),
}
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
    objects: list[ObjectFate]
    iou: float
    settings: dict[str, float]  # the seven thresholds that made it
    recall: float  # recall at `iou` as the settings are (COCO matching, area all, 100 detections per class)
    _recover: Optional[Callable[[], dict[str, dict[str, Any]]]] = field(default=None, repr=False)

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
    """One image at one RPN setting, the part of every object's funnel that the final-stage sliders do not move."""

    gt: Any  # the fitted GroundTruth
    reached: np.ndarray  # (N, S_rpn) bool for anchors, top_k, clip_small, rpn_score, rpn_nms, post_nms_top_n, roi_head
    best: np.ndarray  # (N, S_rpn) best IoU
    class_iou: np.ndarray  # (N, P*(K-1)) IoU of every (proposal, class) candidate box with the object (own class)


_RPN_PART_STAGES = ("anchors", "top_k", "clip_small", "rpn_score", "rpn_nms", "post_nms_top_n", "roi_head")


def image_rpn_part(capture: "DatasetCapture", index: int, settings: dict[str, float], anchors_original: np.ndarray
                   ) -> _ImageRpnPart:
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
        cboxes = resize_boxes(stage.box_candidates.boxes, list(record.resized_size),
                              list(record.original_size)).numpy()
    clabels = stage.box_candidates.labels.numpy()
    masks = {
        "top_k": np.ones(len(fate), dtype=bool),
        "clip_small": fate != REMOVED_SMALL,
        "rpn_score": (fate != REMOVED_SMALL) & (fate != REMOVED_SCORE),
        "rpn_nms": (fate == KEPT) | (fate == REMOVED_TOP_N),
        "post_nms_top_n": fate == KEPT,
    }
    assert REMOVED_NMS not in (KEPT, REMOVED_TOP_N)
    best = np.zeros((n, len(_RPN_PART_STAGES)))
    iou_anchor = box_iou_xyxy(anchors_original, boxes) if n else np.zeros((0, 0))
    iou_cand = box_iou_xyxy(cand, boxes) if n else np.zeros((0, 0))
    class_iou = np.zeros((n, len(clabels)))
    for j in range(n):
        best[j, 0] = iou_anchor[:, j].max(initial=0.0)
        for s, stage_name in enumerate(_RPN_PART_STAGES[1:6], start=1):
            col = iou_cand[masks[stage_name], j]
            best[j, s] = col.max(initial=0.0)
        own = clabels == int(labels[j])
        row = np.zeros(len(clabels))
        if own.any():
            row[own] = box_iou_xyxy(cboxes[own], boxes[j : j + 1])[:, 0]
        class_iou[j] = row
        best[j, 6] = row[own].max(initial=0.0)
    return _ImageRpnPart(gt=fitted, reached=np.zeros_like(best, dtype=bool), best=best, class_iou=class_iou)


def funnel_summary(capture: "DatasetCapture", iou: float, settings: dict[str, float],
                   rpn_part: Callable[[int], _ImageRpnPart],
                   recall_at: Callable[[dict[str, float]], float]) -> FunnelSummary:
    objects: list[ObjectFate] = []
    lost: dict[Optional[str], int] = {}
    final = box_settings(settings)
    for i in range(len(capture)):
        part = rpn_part(i)
        gt = part.gt
        n = len(gt.boxes)
        if not n:
            continue
        replay_stage = capture.replay(i, **settings)
        post = select_detections(replay_stage.stage.box_candidates, final)
        dets = replay_stage.detections
        evaluation = evaluate_detections(dets.boxes.numpy(), dets.scores.numpy(), dets.labels.numpy(), gt,
                                         iou_thresholds=(0.5, 0.75, iou))
        matched = evaluation.object_match(iou)
        after_small = post.after_small.numpy()
        after_nms = post.after_nms.numpy()
        chosen = post.candidate_index.numpy()
        areas = np.asarray(gt.areas, dtype=np.float64)
        for j in range(n):
            row = part.class_iou[j]
            best = {stage: float(part.best[j, s]) for s, stage in enumerate(_RPN_PART_STAGES)}
            best["decoded"] = best["top_k"]  # folded: see the module's docstring
            best["box_score"] = float(row[after_small].max(initial=0.0))
            best["box_nms"] = float(row[after_nms].max(initial=0.0))
            best["detections_per_img"] = float(row[chosen].max(initial=0.0))
            d = int(matched[j])
            best["matched"] = float(evaluation.match.ious[d, j]) if d >= 0 else 0.0
            stage = lost_at(best, d >= 0, iou)
            if stage == "decoded":
                stage = "top_k"
            lost[stage] = lost.get(stage, 0) + 1
            area = float(areas[j]) if j < len(areas) and np.isfinite(areas[j]) else \
                float((gt.boxes[j][2] - gt.boxes[j][0]) * (gt.boxes[j][3] - gt.boxes[j][1]))
            size = next(name for name, lo, hi in SIZES if lo <= area < hi)
            objects.append(ObjectFate(image=capture.names[i], index=j, name=gt.names[j], size=size, lost_at=stage,
                                      best_iou={k: round(v, 6) for k, v in best.items() if k != "decoded"}))
    ordered = {s: lost[s] for s in (*SUMMARY_STAGES, None) if s in lost}

    def recover() -> dict[str, dict[str, Any]]:
        ranges = capture.ranges
        out = {}
        for stage, (key, value) in RELAX.items():
            if value is None:
                value = capture.max_pre_nms_top_n if key == "rpn_pre_nms_top_n" else ranges[key][1]
            relaxed = {**settings, key: value}
            out[stage] = {"settings": relaxed, "recall": recall_at(relaxed)}
        return out

    return FunnelSummary(lost=ordered, objects=objects, iou=float(iou), settings=dict(settings),
                         recall=recall_at(settings), _recover=recover)


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
