"""Replay the stages after the backbone at any thresholds, from a Trace — never re-running the backbone.

Reads like torchvision's GeneralizedRCNN.forward after the backbone:
    proposals   = RPN filtering of the captured anchors/objectness          (rpn_filter)
    RoI outputs = box_roi_pool → box_head → box_predictor on cached FPN maps (only when proposals changed)
    candidates  = per-class boxes decoded and clipped                          (box_postprocess, memoised)
    detections  = score threshold → NMS → top-k, then back to the original frame (box_postprocess)
Each step is memoised on the settings it depends on, so a final-stage slider only re-runs the postprocess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from inspectors.box_postprocess import BoxCandidates, BoxSettings, box_candidates, select_detections
from inspectors.rpn_filter import (
    KEPT,
    REMOVED_SCORE,
    REMOVED_SMALL,
    REMOVED_TOP_N,
    FilterStep,
    RpnFilterResult,
    RpnSettings,
    filter_proposals,
)
from inspectors.trace import Detections, Trace

THRESHOLD_KEYS = (
    "rpn_pre_nms_top_n",
    "rpn_nms_thresh",
    "rpn_post_nms_top_n",
    "rpn_score_thresh",
    "box_score_thresh",
    "box_nms_thresh",
    "box_detections_per_img",
)
_MEMO_SIZE = 4  # RPN settings remembered per trace (each holds one set of RoI-head outputs)


@dataclass
class Proposals:
    boxes: Tensor  # (K, 4) original frame
    boxes_resized: Tensor  # (K, 4)
    scores: Tensor  # (K,) objectness probability
    levels: Tensor  # (K,) index into trace.levels
    anchor_index: Tensor  # (K,) index into trace.anchors

    def __len__(self) -> int:
        return int(self.scores.shape[0])


@dataclass
class Replay:
    settings: dict[str, float]
    proposals: Proposals
    pre_nms: Proposals
    rpn_steps: list[FilterStep]
    rpn_candidates: RpnFilterResult  # every candidate after the per-level top-k, with why it was dropped
    detections: Detections
    box_steps: list[FilterStep]
    heads_rerun: bool  # False when the RoI-head outputs are the captured ones
    _trace: Trace = field(repr=False)

    def survivors(self, step: str) -> Proposals:
        """The candidates still alive after RPN step `step` (a name from rpn_steps[1:]), in candidate order."""
        fate = self.rpn_candidates.fate
        alive_after = {
            "per-level top-k": torch.ones_like(fate, dtype=torch.bool),
            "clip + remove small": fate != REMOVED_SMALL,
            "score threshold": (fate != REMOVED_SMALL) & (fate != REMOVED_SCORE),
            "NMS": (fate == KEPT) | (fate == REMOVED_TOP_N),
            "post-NMS top-n": fate == KEPT,
        }
        if step not in alive_after:
            raise ValueError(f"Unknown RPN step {step!r}; steps: {', '.join(alive_after)}.")
        idx = torch.nonzero(alive_after[step]).flatten()
        return _proposals(self._trace, self.rpn_candidates, idx)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "anchors": self.rpn_steps[0].before,
            "pre_nms_top_n": self.rpn_steps[1].after,
            "pre_nms": len(self.pre_nms),
            "proposals": len(self.proposals),
            "detections": len(self.detections),
        }


def replay(trace: Trace, **thresholds: Any) -> Replay:
    unknown = set(thresholds) - set(THRESHOLD_KEYS)
    if unknown:
        raise TypeError(f"Unknown threshold(s) {sorted(unknown)}; known: {', '.join(THRESHOLD_KEYS)}.")
    settings = {**trace.defaults, **{k: v for k, v in thresholds.items() if v is not None}}
    rpn_settings = RpnSettings(
        pre_nms_top_n=int(settings["rpn_pre_nms_top_n"]),
        nms_thresh=float(settings["rpn_nms_thresh"]),
        post_nms_top_n=int(settings["rpn_post_nms_top_n"]),
        score_thresh=float(settings["rpn_score_thresh"]),
        min_size=float(trace.model.model.rpn.min_size),
    )
    box_settings = BoxSettings(
        score_thresh=float(settings["box_score_thresh"]),
        nms_thresh=float(settings["box_nms_thresh"]),
        detections_per_img=int(settings["box_detections_per_img"]),
    )
    with torch.inference_mode():
        stage = _rpn_stage(trace, rpn_settings)
        post = select_detections(stage.box_candidates, box_settings)
        detections = Detections(
            boxes=trace.to_original(post.boxes),
            boxes_resized=post.boxes,
            scores=post.scores,
            labels=post.labels,
            names=[trace.categories[int(i)] for i in post.labels],
            proposal_index=post.proposal_index,
        )
    return Replay(
        settings=settings,
        proposals=stage.proposals,
        pre_nms=stage.pre_nms,
        rpn_steps=[FilterStep("anchors", stage.filtered.steps[0].before, stage.filtered.steps[0].before)]
        + stage.filtered.steps,
        rpn_candidates=stage.filtered,
        detections=detections,
        box_steps=post.steps,
        heads_rerun=stage.heads_rerun,
        _trace=trace,
    )


@dataclass
class _RpnStage:
    filtered: RpnFilterResult
    proposals_resized: Tensor
    proposals: Proposals
    pre_nms: Proposals
    box_candidates: BoxCandidates
    heads_rerun: bool


def _rpn_stage(trace: Trace, settings: RpnSettings) -> _RpnStage:
    memo: dict[RpnSettings, _RpnStage] = trace._memo.setdefault("rpn", {})
    if settings in memo:
        memo[settings] = memo.pop(settings)  # most recently used goes last
        return memo[settings]
    filtered = filter_proposals(
        trace.decoded_anchors, trace.objectness, trace.num_anchors_per_level, trace.resized_size, settings
    )
    proposals_resized = filtered.candidate_boxes[filtered.keep]
    class_logits, box_regression, rerun = _roi_head_outputs(trace, proposals_resized)
    stage = _RpnStage(
        filtered=filtered,
        proposals_resized=proposals_resized,
        proposals=_proposals(trace, filtered, filtered.keep),
        pre_nms=_proposals(trace, filtered, filtered.pre_nms),
        box_candidates=box_candidates(
            class_logits, box_regression, proposals_resized, trace.resized_size, trace.model.model.roi_heads.box_coder
        ),
        heads_rerun=rerun,
    )
    memo[settings] = stage
    while len(memo) > _MEMO_SIZE:
        memo.pop(next(iter(memo)))
    return stage


def _roi_head_outputs(trace: Trace, proposals: Tensor) -> tuple[Tensor, Tensor, bool]:
    """The captured head outputs when the proposals are the model's own; otherwise run the heads for real."""
    if proposals.shape == trace.native_proposals.shape and torch.equal(proposals, trace.native_proposals):
        return trace.class_logits, trace.box_regression, False
    heads = trace.model.model.roi_heads
    image_sizes = [trace.resized_size]
    box_features = heads.box_roi_pool(trace.fpn_raw, [proposals], image_sizes)
    box_features = heads.box_head(box_features)
    class_logits, box_regression = heads.box_predictor(box_features)
    return class_logits, box_regression, True


def _proposals(trace: Trace, filtered: RpnFilterResult, idx: Tensor) -> Proposals:
    boxes_resized = filtered.candidate_boxes[idx]
    return Proposals(
        boxes=trace.to_original(boxes_resized),
        boxes_resized=boxes_resized,
        scores=filtered.candidate_scores[idx],
        levels=filtered.candidate_levels[idx],
        anchor_index=filtered.candidate_anchor[idx],
    )

