"""RoI-head postprocessing, replayed: torchvision's RoIHeads.postprocess_detections with lineage.

Split in two at the first threshold: box_candidates (decode, softmax, clip, drop background: independent of
the final-stage sliders) and select_detections (score threshold onwards). Run back to back they are
postprocess_detections for one image.

Decode per-class boxes, softmax, clip, drop the background column, score threshold, remove tiny boxes,
per-class NMS, keep the top detections — the same calls in the same order as torchvision — while tracking, for
every detection, the proposal it was refined from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.models.detection._utils import BoxCoder
from torchvision.ops import boxes as box_ops

from inspectors.rpn.filter import FilterStep


@dataclass(frozen=True)
class BoxSettings:
    score_thresh: float
    nms_thresh: float
    detections_per_img: int


@dataclass
class BoxPostprocessResult:
    boxes: Tensor  # (D, 4) resized frame
    scores: Tensor  # (D,)
    labels: Tensor  # (D,)
    proposal_index: Tensor  # (D,) which proposal each detection was refined from
    steps: list[FilterStep]
    # Lineage per (proposal, class) candidate, as indices into BoxCandidates: who survived each step.
    candidate_index: Optional[Tensor] = None  # (D,) the candidate each detection is
    after_score: Optional[Tensor] = None  # candidates above the score threshold, in candidate order
    after_small: Optional[Tensor] = None  # … and not tiny, in candidate order (what per-class NMS received)
    after_nms: Optional[Tensor] = None  # … and kept by per-class NMS, in NMS output order (score, descending)


@dataclass
class BoxCandidates:
    """Every (proposal, foreground class) pair, decoded and clipped: what the score threshold starts from.

    It depends only on the proposals, so it is computed once per RPN setting and reused by every final-stage
    slider move.
    """

    boxes: Tensor  # (P * (K - 1), 4) resized frame
    scores: Tensor
    labels: Tensor
    source: Tensor  # proposal index of each candidate


def box_candidates(
    class_logits: Tensor, box_regression: Tensor, proposals: Tensor, image_size: tuple[int, int], box_coder: BoxCoder
) -> BoxCandidates:
    device = class_logits.device
    num_classes = class_logits.shape[-1]
    pred_boxes = box_coder.decode(box_regression, [proposals])
    scores = F.softmax(class_logits, -1)

    boxes = box_ops.clip_boxes_to_image(pred_boxes, image_size)
    labels = torch.arange(num_classes, device=device).view(1, -1).expand_as(scores)
    # Which proposal each (proposal, class) candidate came from, flattened the same way as boxes.
    source = torch.arange(scores.shape[0], device=device).view(-1, 1).expand_as(scores)
    boxes, scores, labels, source = boxes[:, 1:], scores[:, 1:], labels[:, 1:], source[:, 1:]
    return BoxCandidates(
        boxes=boxes.reshape(-1, 4), scores=scores.reshape(-1), labels=labels.reshape(-1), source=source.reshape(-1)
    )


def select_detections(candidates: BoxCandidates, settings: BoxSettings) -> BoxPostprocessResult:
    boxes, scores, labels, source = candidates.boxes, candidates.scores, candidates.labels, candidates.source
    num_candidates = scores.shape[0]

    inds = torch.where(scores > settings.score_thresh)[0]
    boxes, scores, labels, source = boxes[inds], scores[inds], labels[inds], source[inds]
    alive = inds  # candidate index of each box still in the running
    after_score = scores.shape[0]
    alive_after_score = alive

    keep = box_ops.remove_small_boxes(boxes, min_size=1e-2)
    boxes, scores, labels, source, alive = boxes[keep], scores[keep], labels[keep], source[keep], alive[keep]
    after_small = scores.shape[0]
    alive_after_small = alive

    keep = box_ops.batched_nms(boxes, scores, labels, settings.nms_thresh)
    after_nms = keep.shape[0]
    alive_after_nms = alive[keep]
    keep = keep[: settings.detections_per_img]
    boxes, scores, labels, source, alive = boxes[keep], scores[keep], labels[keep], source[keep], alive[keep]

    steps = [
        FilterStep("score threshold", num_candidates, after_score),
        FilterStep("remove tiny boxes", after_score, after_small),
        FilterStep("per-class NMS", after_small, after_nms),
        FilterStep("detections per image", after_nms, int(keep.shape[0])),
    ]
    return BoxPostprocessResult(boxes=boxes, scores=scores, labels=labels, proposal_index=source, steps=steps,
                                candidate_index=alive, after_score=alive_after_score, after_small=alive_after_small,
                                after_nms=alive_after_nms)
