"""Diagnosing a detector on a dataset capture: the methods DatasetCapture gets from this mixin.

    dataset.confusion_matrix(iou=0.5, **thresholds)   which class each object was taken for     (confusion)
    dataset.operating_points(**thresholds)            P / R / F1 vs confidence, best per class   (operating_points)
    dataset.funnel_summary(iou=0.5, **thresholds)     where objects are lost, what relaxing buys (funnel_summary)
    dataset.anchor_fit()                              do the anchors fit the objects?            (anchor_fit)
    dataset.score_slider(**thresholds)                AP / AR at any score threshold, no re-match (coco_accumulate)
    compare_captures(a, b, **thresholds)              two captures side by side                 (compare)

Each result carries `settings`: the seven thresholds that made it (the model's values for those not given).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Hashable, cast

import numpy as np

from inspectors.core.lru import BoundedCache
from inspectors.core.thresholds import RPN_KEYS, THRESHOLD_KEYS
from inspectors.dataset.anchor_fit import AnchorFit, anchor_fit
from inspectors.dataset.confusion import ConfusionMatrix, confusion_matrix
from inspectors.dataset.funnel_summary import (
    FunnelSummary,
    anchors_original,
    funnel_summary,
    image_rpn_part,
    own_boxes_of,
)
from inspectors.dataset.operating_points import (
    OperatingPoints,
    PerClassThresholds,
    keep_per_class,
    operating_points,
)
from inspectors.dataset.score_moves import restrict_to
from inspectors.evaluation.coco_accumulate import MAX_DETS, ScoreSlider
from inspectors.evaluation.coco_matching import match
from inspectors.evaluation.metrics import detection_metrics

if TYPE_CHECKING:
    from inspectors.dataset.funnel_summary import _ImageRpnPart
    from inspectors.dataset.store import DatasetCapture

DIAGNOSIS_MEMO = 8


class DiagnosisMixin:
    """Dataset-wide diagnosis on a DatasetCapture (needs settings, detection_set, ground_truth, class_names,
    names, replay, record, image_ground_truth, config)."""

    def _capture(self) -> "DatasetCapture":
        return cast("DatasetCapture", self)

    def _diagnosis_memo(self) -> BoundedCache:
        memo = self.__dict__.get("_diagnosis_cache")
        if memo is None:
            memo = self.__dict__.setdefault("_diagnosis_cache", BoundedCache(DIAGNOSIS_MEMO))
        return memo

    def _image_memo(self) -> BoundedCache:
        memo = self.__dict__.get("_diagnosis_images")
        if memo is None:
            # one entry per (RPN setting, image): a few RPN settings of a large dataset
            memo = self.__dict__.setdefault("_diagnosis_images", BoundedCache(max(4 * len(self._capture()), 64)))
        return memo

    def confusion_matrix(self, iou: float = 0.5, **thresholds: Any) -> ConfusionMatrix:
        """(C+1)×(C+1) counts, rows the true class, columns the predicted one, background last (supervision's
        matching at IoU > `iou` on the detections at `thresholds`)."""
        _check_iou(iou)
        ds = self._capture()
        settings = ds.settings(**thresholds)
        key = ("confusion", float(iou), _key(settings))
        return self._diagnosis_memo().get_or_build(key, lambda: confusion_matrix(
            ds.detection_set(**settings), ds.ground_truth(), tuple(ds.class_names), float(iou), settings,
            tuple(ds.names)))

    def operating_points(self, iou: float = 0.5, **thresholds: Any) -> OperatingPoints:
        """Precision, recall and F1 against confidence per class and for all ("all"), the F1-optimal confidence."""
        _check_iou(iou)
        ds = self._capture()
        settings = ds.settings(**thresholds)
        dets = ds.detection_set(**settings)
        gts = ds.ground_truth()
        classes = tuple(ds.class_names)
        names = tuple(ds.names)

        def apply(per_class: Any) -> PerClassThresholds:
            # before: the evaluation itself; after: its matches kept for the detections the per-class thresholds
            # keep (the highest-scored of each image and class: nothing to match again), then accumulated
            before = ds.evaluate(**settings)
            found, matches = ds.matches(**settings)
            kept, kept_matches = restrict_to(found, matches, keep_per_class(found, classes, per_class))
            after = detection_metrics(kept, gts, classes, names, per_image=False, known=(kept_matches, None))[2]
            return PerClassThresholds(
                thresholds=dict(per_class), ap_before=before.ap, ap_after=after["ap"],
                ap50_before=before.ap50, ap50_after=after["ap50"], f1_before=before.counts["f1_50"],
                f1_after=after["counts"]["f1_50"], per_class_ap_before=before.per_class,
                per_class_ap_after=after["per_class"])

        key = ("operating", float(iou), _key(settings))
        return self._diagnosis_memo().get_or_build(
            key, lambda: operating_points(dets, gts, classes, float(iou), settings, apply))

    def funnel_summary(self, iou: float = 0.5, **thresholds: Any) -> FunnelSummary:
        """Per stage, how many objects of the dataset were lost there (None: found), by class and size, and the
        recall that relaxing each stage's slider would give."""
        _check_iou(iou)
        ds = self._capture()
        settings = ds.settings(**thresholds)
        rpn_key = tuple(settings[k] for k in RPN_KEYS)
        images = self._image_memo()

        def part(i: int) -> "_ImageRpnPart":
            return images.get_or_build(("rpn", rpn_key, float(iou), i), lambda: image_rpn_part(
                ds, i, settings, images.get_or_build(("anchors", i), lambda: anchors_original(ds, i)), float(iou)))

        def own(parts: list) -> tuple[np.ndarray, np.ndarray]:  # once per RPN setting and IoU
            return images.get_or_build(("own", rpn_key, float(iou)), lambda: own_boxes_of(parts))

        def recall(relaxed: dict[str, float]) -> float:  # at these settings and IoU 0.5: the evaluation's own
            if float(iou) == 0.5 and relaxed == settings:
                return float(ds.evaluate(**settings).counts["recall50"])
            return self.recall_at(float(iou), **relaxed)

        key = ("funnel", float(iou), _key(settings))
        return self._diagnosis_memo().get_or_build(
            key, lambda: funnel_summary(ds, float(iou), settings, part, recall, own))

    def recall_at(self, iou: float = 0.5, **thresholds: Any) -> float:
        """The dataset's recall at IoU `iou`: COCO's matching (area all, 100 detections per image and class);
        at 0.5 this is evaluate(...).counts["recall50"]."""
        dets, gts = self._capture().detection_set(**thresholds), self._capture().ground_truth()
        matches = match(dets, gts, max_det=MAX_DETS[-1], iou_thresholds=np.array([float(iou)]))
        tp = int(((matches.gt[0, 0] >= 0) & ~matches.det_ignored[0, 0]).sum())
        objects = int((~matches.gt_ignored[0]).sum())
        return tp / objects if objects else 0.0

    def anchor_fit(self) -> AnchorFit:
        """Every ground-truth box's best IoU with the model's real anchors (resized frame), and suggestions."""
        return self._diagnosis_memo().get_or_build(("anchor_fit",), lambda: anchor_fit(self._capture()))

    def score_slider(self, **thresholds: Any) -> ScoreSlider:
        """COCO's AP / AR at any box_score_thresh ≥ the one given, from one matching (raising the score threshold
        keeps a prefix of every score-ordered list; see coco_accumulate.ScoreSlider). `.at(score)` → summary."""
        settings = self._capture().settings(**thresholds)
        key = ("score_slider", _key(settings))

        def build() -> ScoreSlider:
            ds = self._capture()
            dets, gts = ds.detection_set(**settings), ds.ground_truth()
            return ScoreSlider(match(dets, gts, max_det=MAX_DETS[-1]), dets, gts.category, len(ds.class_names),
                               base_settings=settings)

        return self._diagnosis_memo().get_or_build(key, build)


def _key(settings: dict[str, float]) -> Hashable:
    return tuple(settings[k] for k in THRESHOLD_KEYS)


def _check_iou(iou: float) -> None:
    if isinstance(iou, bool) or not isinstance(iou, (int, float)) or not 0.0 < float(iou) <= 1.0:
        raise ValueError(f"iou must be in (0, 1], not {iou!r}")
