"""Ground truth against one trace: "where did my model lose this object?" — `trace.ground_truth(gt, **thresholds)`.

Reads like the questions it answers:
    gt      = the annotations, fitted to the image (size checked, boxes clipped) and mapped to the model's classes
    replay  = the trace replayed at the thresholds (memoised: a final-stage slider only re-runs postprocessing)
    funnel  = per object, the best IoU at every stage and where it was lost                 (funnel)
    eval    = TP / FP / FN at IoU 0.5 and 0.75, per-image AP (COCOeval's), TIDE types    (detection_eval)
    recall  = proposal recall vs IoU at the current post-NMS top-n                         (proposal_recall)
and, computed on first use and memoised per (trace, ground truth): anchor labels (the RPN's training rule),
recall vs number of proposals with COCO's AR@100/AR@1000, and the four training losses.

Memo keys: the anchor stages per ground truth; the RPN stages per (ground truth, RPN settings); the heavy parts per
ground truth (and RPN settings without post-NMS top-n for recall vs proposals, seed for the losses). What depends
on the final-stage sliders (score threshold, per-class NMS, detections per image) is recomputed each call.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import torch
from torch import Tensor

from inspectors.core.errors import InputError, LensWarning
from inspectors.evaluation.masks import check_mask_thresh
from inspectors.evaluation.tide import TideError
from inspectors.ground_truth.anchor_labels import AnchorLabels, anchor_labels
from inspectors.ground_truth.annotations import GroundTruth
from inspectors.ground_truth.detection_eval import DetectionEvaluation, evaluate_detections
from inspectors.ground_truth.funnel import (
    MASK_STAGES,
    STAGES,
    FunnelRecord,
    anchor_stages,
    funnel_records,
    rpn_stages,
    with_mask_stage,
)
from inspectors.ground_truth.losses import ImageLosses, image_losses
from inspectors.ground_truth.mask_eval import MaskEvaluation, evaluate_masks
from inspectors.ground_truth.proposal_recall import (
    PROPOSAL_COUNTS,
    RecallCurve,
    RecallVsProposals,
    extended_proposals,
    recall_curve,
    recall_vs_proposals,
    size_classes,
)
from inspectors.pipeline.replay import Replay, rpn_settings_of

if TYPE_CHECKING:
    from inspectors.core.trace import Trace

DEFAULT_IOU_THRESHOLD = 0.5


class GroundTruthReport:
    """Everything the ground truth says about one trace at one set of thresholds."""

    def __init__(self, trace: "Trace", gt: GroundTruth, replay: Replay, evaluation: DetectionEvaluation,
                 funnel: list[FunnelRecord], recall_vs_iou: RecallCurve, iou_threshold: float, seed: int,
                 masks: Optional[MaskEvaluation] = None, mask_note: Optional[LensWarning] = None) -> None:
        self.gt = gt  # fitted to the image and mapped to the model (what every analysis used)
        self.masks = masks  # Mask R-CNN with ground-truth masks: mask IoU per object, segm AP; else None
        self.mask_note = mask_note  # a mask model whose ground truth has no masks: why nothing is scored
        self.replay = replay
        self.settings = dict(replay.settings)
        self.evaluation = evaluation
        self.funnel = funnel
        self.recall_vs_iou = recall_vs_iou
        self.iou_threshold = iou_threshold
        self.seed = seed
        self._trace = trace

    # ---- detection evaluation (at the current thresholds) --------------------------------------------------
    @property
    def tp(self) -> int:
        return self.evaluation.counts[0.5][0]

    @property
    def fp(self) -> int:
        return self.evaluation.counts[0.5][1]

    @property
    def fn(self) -> int:
        return self.evaluation.counts[0.5][2]

    @property
    def counts(self) -> dict[float, tuple[int, int, int]]:
        """IoU → (TP, FP, FN), at 0.5 and 0.75."""
        return dict(self.evaluation.counts)

    @property
    def ap50(self) -> Optional[float]:
        return self.evaluation.ap50

    @property
    def ap(self) -> Optional[float]:
        return self.evaluation.ap

    @property
    def errors(self) -> list[TideError]:
        return self.evaluation.errors

    @property
    def error_counts(self) -> dict[str, int]:
        return self.evaluation.error_counts

    @property
    def warnings(self) -> tuple[LensWarning, ...]:
        return tuple(self.gt.warnings) + ((self.mask_note,) if self.mask_note is not None else ())

    # ---- masks (Mask R-CNN, ground truth with masks) ---------------------------------------------------------
    @property
    def stages(self) -> tuple[str, ...]:
        """The funnel's stages: STAGES, and "mask" last when masks are scored."""
        return MASK_STAGES if self.masks is not None else STAGES

    @property
    def mask_thresh(self) -> Optional[float]:
        return None if self.masks is None else self.masks.mask_thresh

    @property
    def segm_ap(self) -> Optional[float]:
        """Segm AP@[.5:.95] of this image (COCOeval iouType="segm"); None without masks or objects."""
        return None if self.masks is None else self.masks.ap

    @property
    def segm_ap50(self) -> Optional[float]:
        return None if self.masks is None else self.masks.ap50

    @property
    def mask_ious(self) -> Optional[np.ndarray]:
        """(N,) per object the mask IoU of the detection its box matched (NaN when none); None without masks."""
        return None if self.masks is None else self.masks.object_iou

    @property
    def lost(self) -> dict[Optional[str], int]:
        """How many objects were lost at each stage (None: detected)."""
        out: dict[Optional[str], int] = {}
        for record in self.funnel:
            out[record.lost_at] = out.get(record.lost_at, 0) + 1
        return out

    # ---- heavy parts: computed on first use, memoised on the trace ------------------------------------------
    @cached_property
    def anchor_analysis(self) -> AnchorLabels:
        trace, gt, seed = self._trace, self.gt, self.seed
        return trace.cache.extra(("gt.anchor_labels", gt.key, seed),
                                 lambda: anchor_labels(trace, _resized_boxes(trace, gt), seed))

    @property
    def anchor_labels(self) -> Tensor:
        """(A,) torchvision's RPN training label per anchor: 1 positive, 0 negative, −1 ignored."""
        return self.anchor_analysis.labels

    @cached_property
    def recall_vs_proposals(self) -> RecallVsProposals:
        trace, gt = self._trace, self.gt
        rpn = rpn_settings_of(trace, self.settings)
        key = ("gt.recall_vs_proposals", gt.key, rpn.pre_nms_top_n, rpn.nms_thresh, rpn.score_thresh)

        def build() -> RecallVsProposals:
            boxes, scores = extended_proposals(trace, rpn, max(PROPOSAL_COUNTS), self.replay.rpn_candidates)
            return recall_vs_proposals(boxes, scores, gt, PROPOSAL_COUNTS)

        return trace.cache.extra(key, build)

    @property
    def ar(self) -> dict[str, float]:
        """COCO's {"AR@100": …, "AR@1000": …} on the proposals (COCOeval useCats=0; −1 without objects)."""
        return dict(self.recall_vs_proposals.ar)

    @property
    def ar_by_size(self) -> dict[str, dict[str, float]]:
        return self.recall_vs_proposals.ar_by_size

    @cached_property
    def loss_details(self) -> ImageLosses:
        trace, gt, seed = self._trace, self.gt, self.seed
        labels = torch.as_tensor(gt.labels, dtype=torch.int64, device=trace.device)
        return trace.cache.extra(("gt.losses", gt.key, seed),
                                 lambda: image_losses(trace, _resized_boxes(trace, gt), labels, seed))

    @property
    def losses(self) -> dict[str, float]:
        """The four torchvision training losses for this image and its ground truth."""
        return dict(self.loss_details.losses)

    # ---- API summary ------------------------------------------------------------------------------------------
    def to_dict(self, *, heavy: bool = True) -> dict[str, Any]:
        """A JSON-friendly summary: per object its funnel and match; recall, AR, TP/FP/FN, AP, TIDE errors, losses.
        `heavy=False` leaves out the parts computed on first use (anchor labels, recall vs proposals, losses)."""
        ev = self.evaluation
        out: dict[str, Any] = {
            "ground_truth": self.gt.to_dict(),
            "iou_threshold": self.iou_threshold,
            "stages": list(self.stages),
            "objects": [r.to_dict() for r in self.funnel],
            "lost_at": {str(k): v for k, v in self.lost.items()},
            "evaluation": {
                f"iou_{t:g}": {"tp": c[0], "fp": c[1], "fn": c[2]} for t, c in ev.counts.items()
            },
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "ap50": _maybe_round(self.ap50),
            "ap": _maybe_round(self.ap),
            "detections": [
                {"index": i, "status": s, "object": m} for i, (s, m) in enumerate(zip(ev.status, ev.matched_object))
            ],
            "errors": [{"type": e.kind, "detection": e.detection, "object": e.gt, "iou": round(e.iou, 4)}
                       for e in self.errors],
            "error_counts": self.error_counts,
            "recall_vs_iou": self.recall_vs_iou.to_dict(),
            "warnings": [w.to_dict() for w in self.warnings],
        }
        if self.masks is not None:
            out["masks"] = {
                "mask_thresh": self.masks.mask_thresh,
                "segm_ap": _maybe_round(self.segm_ap),
                "segm_ap50": _maybe_round(self.segm_ap50),
                "object_mask_iou": [None if not np.isfinite(v) else round(float(v), 4)
                                    for v in self.masks.object_iou],
            }
        if heavy:
            a = self.anchor_analysis
            out["anchor_labels"] = {
                **a.counts,
                "fg_iou": a.fg_iou,
                "bg_iou": a.bg_iou,
                "low_quality_objects": a.low_quality_objects,
                "per_level": [vars(level) for level in a.per_level],
                "objects": [{"index": o.index, "best_iou": round(o.best_iou, 4), "level": o.level_name,
                             "size": o.size, "aspect_ratio": o.aspect_ratio, "positives": o.positives,
                             "low_quality_only": o.low_quality_only} for o in a.objects],
                "border": {"crossing": a.border.crossing, "inside": a.border.inside,
                           "positives_lost": a.border.positives_lost, "negatives_lost": a.border.negatives_lost,
                           "objects_without_positive": list(a.border.objects_without_positive)},
            }
            out["recall_vs_proposals"] = self.recall_vs_proposals.to_dict()
            out["ar"] = {k: _maybe_round(v) for k, v in self.ar.items()}
            details = self.loss_details
            out["losses"] = {k: round(v, 6) for k, v in details.losses.items()}
            out["loss_warnings"] = [w.to_dict() for w in details.warnings]
        return out


def ground_truth(
    trace: "Trace",
    gt: GroundTruth,
    *,
    iou_threshold: float = DEFAULT_IOU_THRESHOLD,
    seed: int = 0,
    mask_thresh: float = 0.5,
    **thresholds: Any,
) -> GroundTruthReport:
    """Analyse `gt` (from load_annotations) against `trace` at `thresholds` (as replay takes them).
    `iou_threshold` decides where the funnel calls an object lost (and which match makes it detected); `seed`
    seeds the sampled anchors and proposals of the training rule and the losses. With a Mask R-CNN and ground truth
    with masks, `mask_thresh` binarises the detections' masks for mask IoU, segm AP and the funnel's mask stage."""
    if isinstance(iou_threshold, bool) or not isinstance(iou_threshold, (int, float)) \
            or not 0.0 < float(iou_threshold) <= 1.0:
        raise InputError("threshold.out_of_range", name="iou_threshold", value=iou_threshold, low=0.0, high=1.0)
    iou_threshold = float(iou_threshold)
    mask_thresh = check_mask_thresh(mask_thresh)
    fitted = prepare_ground_truth(trace, gt)
    replay = trace.replay(**thresholds)
    rpn = rpn_settings_of(trace, replay.settings)
    anchors = trace.cache.extra(("gt.anchor_stages", fitted.key), lambda: anchor_stages(trace, fitted))
    stages = trace.cache.extra(("gt.rpn_stages", fitted.key, rpn), lambda: rpn_stages(trace, replay, fitted))

    detections = replay.detections
    evaluation = evaluate_detections(
        detections.boxes.cpu().numpy(), detections.scores.cpu().numpy(), detections.labels.cpu().numpy(), fitted,
        iou_thresholds=(0.5, 0.75, iou_threshold),
    )
    funnel = funnel_records(trace, replay, fitted, anchors, stages, evaluation.object_match(iou_threshold),
                            evaluation.match.ious, iou_threshold)
    recall = recall_curve(stages.proposal_best_iou, size_classes(fitted.object_areas), len(replay.proposals))
    masks, note = None, None
    if trace.has_masks:
        if fitted.has_masks:
            masks = evaluate_masks(replay, fitted, evaluation.object_match(iou_threshold), mask_thresh)
            funnel = [with_mask_stage(r, None if r.detection is None else float(masks.object_iou[r.index]))
                      for r in funnel]
        else:
            note = LensWarning(fitted.masks_missing or "annotations.no_masks", {})
    return GroundTruthReport(trace, fitted, replay, evaluation, funnel, recall, iou_threshold, seed, masks, note)


def prepare_ground_truth(trace: "Trace", gt: GroundTruth) -> GroundTruth:
    """The ground truth as the analyses use it: checked against the image size, clipped, mapped to the classes
    (memoised per ground truth on the trace)."""
    if not isinstance(gt, GroundTruth):
        raise TypeError(f"ground_truth() takes a GroundTruth (from load_annotations), not {type(gt).__name__}.")
    return trace.cache.extra(("gt.prepared", gt.key),
                             lambda: gt.fit_to_image(*trace.original_size).for_model(trace.categories))


def _resized_boxes(trace: "Trace", gt: GroundTruth) -> Tensor:
    """The objects as a training step sees them: float32, resized like GeneralizedRCNNTransform resizes targets."""
    boxes = torch.as_tensor(np.asarray(gt.boxes, dtype=np.float32), device=trace.device).reshape(-1, 4)
    return trace.to_resized(boxes)


def _maybe_round(value: Optional[float], digits: int = 4) -> Optional[float]:
    return None if value is None else round(float(value), digits)
