"""Replay the stages after the backbone at any thresholds, from a Trace — never re-running the backbone.

Reads like torchvision's GeneralizedRCNN.forward after the backbone:
    proposals   = RPN filtering of the captured anchors/objectness          (rpn_filter)
    RoI outputs = box_roi_pool → box_head → box_predictor on cached FPN maps (only when proposals changed)
    candidates  = per-class boxes decoded and clipped                          (box_postprocess, memoised)
    detections  = score threshold → NMS → top-k, then back to the original frame (box_postprocess)
    masks       = (Mask R-CNN) the mask branch on the final detections, pasted into the original image
                  (`Replay.masks`, computed when first read — a replay whose masks are never read pays
                  nothing for them; inspectors.roi.mask_head)
Each step is memoised on the settings it depends on, so a final-stage slider only re-runs the postprocess, the
RoI heads run only for candidate boxes they have not scored before (trace.cache.heads), and the mask head only for
final boxes it has not seen before (trace.cache.masks), and the paste only for boxes not pasted before
(trace.cache.mask_pastes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

import torch
from torch import Tensor

from inspectors.core.thresholds import THRESHOLD_KEYS, check_thresholds
from inspectors.core.trace import Detections, Trace
from inspectors.roi.box_head import head_outputs_for_candidates
from inspectors.roi.mask_head import (
    MaskKey,
    PastedMask,
    full_binary_masks,
    full_masks,
    lone_batch_differs,
    mask_logits_for_boxes,
    mask_probabilities,
    paste_detections,
    pasted_rles,
)
from inspectors.roi.postprocess import (
    BoxCandidates,
    BoxPostprocessResult,
    BoxSettings,
    box_candidates,
    select_detections,
)
from inspectors.rpn.filter import (
    KEPT,
    REMOVED_SCORE,
    REMOVED_SMALL,
    REMOVED_TOP_N,
    FilterStep,
    RpnFilterResult,
    RpnSettings,
    filter_proposals,
)

if TYPE_CHECKING:
    from inspectors.teaching.box_story import BoxStory, ProposalStory
    from inspectors.teaching.nms_walkthrough import NmsGroup, NmsWalkthrough
    from inspectors.teaching.provenance import CandidateFate, DetectionProvenance

__all__ = ["THRESHOLD_KEYS", "Proposals", "Replay", "replay"]


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
    heads_computed: int  # proposals whose RoI-head outputs were computed by this replay (the rest were cached)
    trace: Trace = field(repr=False)  # the capture this replay came from
    # Every (proposal, class) candidate of the RoI heads and which of them survived each final-stage step.
    box_candidates: Optional[BoxCandidates] = field(default=None, repr=False)
    box_selection: Optional[BoxPostprocessResult] = field(default=None, repr=False)
    # Mask R-CNN: the mask branch's results for these detections, computed when first read (see `masks`).
    _mask_probs: Optional[Tensor] = field(default=None, init=False, repr=False)
    _pasted: Optional[list[PastedMask]] = field(default=None, init=False, repr=False)
    _masks: Optional[Tensor] = field(default=None, init=False, repr=False)
    masks_computed: int = field(default=0, init=False)  # boxes the mask head ran for in this replay (rest cached)
    masks_pasted: int = field(default=0, init=False)  # masks pasted in this replay (the rest were cached pastes)

    # ---- masks (Mask R-CNN) -------------------------------------------------------------------------------------
    @property
    def has_masks(self) -> bool:
        return self.trace.has_masks

    @property
    def mask_probs(self) -> Optional[Tensor]:
        """(N, 1, 28, 28): the sigmoid of each detection's own class of the mask predictor, before pasting (what
        torchvision's RoIHeads return as "masks" in the resized frame); None for a model without masks."""
        spec = self.trace.config.mask
        if not self.trace.has_masks or spec is None:
            return None
        if self._mask_probs is None:
            seed_with_captured_masks(self.trace)
            labels = self.detections.labels
            logits, computed = mask_logits_for_boxes(self.trace, self.mask_keys(), self.detections.boxes_resized,
                                                     labels, alone=len(labels) == 1)
            self.masks_computed += computed
            self._mask_probs = mask_probabilities(logits, labels, spec.num_classes)
        return self._mask_probs

    def pasted_masks(self) -> Optional[list[PastedMask]]:
        """Each detection's mask where paste_masks_in_image writes it (`region` and its `values`; the rest of its
        plane is 0): `masks` without the zeros. A box pasted before is taken from the trace's cache of pastes."""
        if not self.trace.has_masks:
            return None
        if self._pasted is None:
            seed_with_captured_masks(self.trace)
            det = self.detections
            self._pasted, computed, self.masks_pasted = paste_detections(self.trace, self.mask_keys(),
                                                                         det.boxes_resized, det.boxes, det.labels)
            self.masks_computed += computed
        return self._pasted

    @property
    def masks(self) -> Optional[Tensor]:
        """(N, 1, H, W) float mask probabilities in original pixels, as torchvision's Mask R-CNN returns them
        (`model(images)[0]["masks"]`); None for a model without a mask branch (a Faster R-CNN). Built when first
        read (N × H × W floats: `binary_masks`, `pasted_masks` and `rle_masks` do without them)."""
        pasted = self.pasted_masks()
        if pasted is None:
            return None
        if self._masks is None:
            self._masks = full_masks(pasted, self.trace.original_size, self.detections.boxes)
        return self._masks

    def binary_masks(self, threshold: float = 0.5) -> Optional[Tensor]:
        """(N, 1, H, W) bool: `masks > threshold` (0.5 is what torchvision's references and COCO evaluation use);
        None for a model without a mask branch. Made from the pasted parts, without the float masks."""
        value = _mask_threshold(threshold)
        pasted = self.pasted_masks()
        if pasted is None:
            return None
        return full_binary_masks(pasted, self.trace.original_size, value, self.detections.boxes.device)

    def rle_masks(self, threshold: float = 0.5) -> Optional[list[dict]]:
        """`binary_masks(threshold)` as COCO compressed RLEs, one per detection ({"size": [H, W], "counts": bytes},
        what pycocotools.mask.encode gives), made from the pasted parts; None for a model without masks."""
        value = _mask_threshold(threshold)
        pasted = self.pasted_masks()
        if pasted is None:
            return None
        return pasted_rles(pasted, value, self.trace.original_size)

    def mask_keys(self) -> list[MaskKey]:
        """(anchor index, label) of each detection: the refined box its mask is cached under."""
        index = self.detections.proposal_index
        if index is None:
            raise ValueError("These detections do not say which proposals they came from.")
        anchors = self.proposals.anchor_index[index].tolist()
        return list(zip(anchors, self.detections.labels.tolist()))

    @property
    def heads_rerun(self) -> bool:
        """True when this replay had to run the RoI heads (for proposals the trace had not scored before)."""
        return self.heads_computed > 0

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
        return proposals_of(self.trace, self.rpn_candidates, idx)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "anchors": self.rpn_steps[0].before,
            "pre_nms_top_n": self.rpn_steps[1].after,
            "pre_nms": len(self.pre_nms),
            "proposals": len(self.proposals),
            "detections": len(self.detections),
        }

    # ---- teaching views -------------------------------------------------------------------------------------------
    # `r.explain(i)`, `r.provenance(i)`, … are the teaching functions (inspectors.teaching) bound as methods by
    # inspectors/conveniences.py, so that the pipeline imports no teaching module. The stubs are for type checkers.
    if TYPE_CHECKING:
        def explain(self, i: int) -> BoxStory: ...
        def explain_proposal(self, k: int) -> ProposalStory: ...
        def nms_groups(self, stage: str) -> list[NmsGroup]: ...
        def nms_walkthrough(self, stage: str, group: int) -> NmsWalkthrough: ...
        def provenance(self, i: int) -> DetectionProvenance: ...
        def rpn_fate(self, candidate: int) -> CandidateFate: ...
        def anchor_fate(self, anchor: int) -> CandidateFate: ...
        def box_fate(self, proposal: int, label: int) -> CandidateFate: ...


def replay(trace: Trace, **thresholds: Any) -> Replay:
    """Replay every stage after the backbone at `thresholds` (any of THRESHOLD_KEYS; the rest stay at the model's
    values). Values are checked first: a wrong name is a TypeError, a wrong value an InputError (a ValueError)
    that names the threshold and its allowed range."""
    unknown = set(thresholds) - set(THRESHOLD_KEYS)
    if unknown:
        raise TypeError(f"Unknown threshold(s) {sorted(unknown)}; known: {', '.join(THRESHOLD_KEYS)}.")
    settings = {**trace.defaults, **check_thresholds(thresholds)}
    rpn_settings = rpn_settings_of(trace, settings)
    box_settings = BoxSettings(
        score_thresh=float(settings["box_score_thresh"]),
        nms_thresh=float(settings["box_nms_thresh"]),
        detections_per_img=int(settings["box_detections_per_img"]),
    )
    with torch.inference_mode():
        stage, heads_computed = _rpn_stage(trace, rpn_settings)
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
        heads_computed=heads_computed,
        trace=trace,
        box_candidates=stage.box_candidates,
        box_selection=post,
    )


def rpn_settings_of(trace: Trace, settings: dict[str, Any]) -> RpnSettings:
    return RpnSettings(
        pre_nms_top_n=int(settings["rpn_pre_nms_top_n"]),
        nms_thresh=float(settings["rpn_nms_thresh"]),
        post_nms_top_n=int(settings["rpn_post_nms_top_n"]),
        score_thresh=float(settings["rpn_score_thresh"]),
        min_size=trace.config.rpn_min_size,
    )


@dataclass
class _RpnStage:
    filtered: RpnFilterResult
    proposals_resized: Tensor
    proposals: Proposals
    pre_nms: Proposals
    box_candidates: BoxCandidates
    heads_computed: int


def _rpn_stage(trace: Trace, settings: RpnSettings) -> tuple[_RpnStage, int]:
    """The RPN stage at `settings` and how many RoI-head runs it cost now (0 when it was memoised)."""
    stage, built = trace.cache.rpn_stage(settings, lambda: _build_rpn_stage(trace, settings))
    return stage, stage.heads_computed if built else 0


def _build_rpn_stage(trace: Trace, settings: RpnSettings) -> _RpnStage:
    filtered = filter_proposals(
        trace.decoded_anchors, trace.objectness, trace.num_anchors_per_level, trace.resized_size, settings
    )
    proposals_resized = filtered.candidate_boxes[filtered.keep]
    seed_with_captured_heads(trace)
    class_logits, box_regression, computed = head_outputs_for_candidates(
        trace, filtered.candidate_anchor[filtered.keep], proposals_resized
    )
    return _RpnStage(
        filtered=filtered,
        proposals_resized=proposals_resized,
        proposals=proposals_of(trace, filtered, filtered.keep),
        pre_nms=proposals_of(trace, filtered, filtered.pre_nms),
        box_candidates=box_candidates(
            class_logits, box_regression, proposals_resized, trace.resized_size, trace.config.roi_box_coder.build()
        ),
        heads_computed=computed,
    )


def seed_with_captured_heads(trace: Trace) -> None:
    """Put the captured RoI-head outputs into the per-candidate cache once, keyed by the anchors of the model's own
    proposals (found by filtering at the model's settings, which reproduces them exactly)."""
    with trace.cache.lock:
        if trace.cache.heads.seeded:
            return
        trace.cache.heads.seeded = True
        native = filter_proposals(trace.decoded_anchors, trace.objectness, trace.num_anchors_per_level,
                                  trace.resized_size, rpn_settings_of(trace, trace.defaults))
        boxes = native.candidate_boxes[native.keep]
        if boxes.shape == trace.native_proposals.shape and torch.equal(boxes, trace.native_proposals):
            trace.cache.heads.add(native.candidate_anchor[native.keep], trace.class_logits, trace.box_regression)


def seed_with_captured_masks(trace: Trace) -> None:
    """Put the captured mask logits into the per-box cache once, keyed by the model's own detections as replay at
    the model's settings finds them (when it reproduces their boxes and labels exactly; otherwise nothing is seeded
    and the mask head runs for them when asked, as it would for any new box)."""
    with trace.cache.lock:
        if trace.cache.masks.seeded or trace.mask_logits is None:
            return
        trace.cache.masks.seeded = True
        native = replay(trace).detections
        own = trace.native_detections_resized
        if (native.boxes_resized.shape == own["boxes"].shape and torch.equal(native.boxes_resized, own["boxes"])
                and torch.equal(native.labels, own["labels"]) and len(native) > 0):
            index = native.proposal_index
            assert index is not None
            anchors = _rpn_stage(trace, rpn_settings_of(trace, trace.defaults))[0].proposals.anchor_index[index]
            alone = len(native) == 1 and lone_batch_differs(trace)  # see mask_logits_for_boxes
            store = trace.cache.lone_masks if alone else trace.cache.masks
            store.add(list(zip(anchors.tolist(), native.labels.tolist())), trace.mask_logits)


def _mask_threshold(threshold: float) -> float:
    value = float(threshold)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"The mask threshold must be in [0, 1], not {threshold!r}.")
    return value


def proposals_of(trace: Trace, filtered: RpnFilterResult, idx: Tensor) -> Proposals:
    """The candidates at `idx` of an RPN filtering, in both frames, with their level and anchor."""
    boxes_resized = filtered.candidate_boxes[idx]
    return Proposals(
        boxes=trace.to_original(boxes_resized),
        boxes_resized=boxes_resized,
        scores=filtered.candidate_scores[idx],
        levels=filtered.candidate_levels[idx],
        anchor_index=filtered.candidate_anchor[idx],
    )

