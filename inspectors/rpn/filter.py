"""RPN proposal filtering, replayed: torchvision's RegionProposalNetwork.filter_proposals with lineage.

Same functions, same order, same tensor shapes as torchvision 0.29 (per-level top-k on a batch of one, sigmoid,
clip, remove_small_boxes, score threshold, batched_nms by level, post-NMS top-n), so at the model's settings the
result is the model's proposals bit for bit. On top, every candidate remembers its anchor and the step that
removed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
from torch import Tensor
from torchvision.models.detection._utils import _topk_min
from torchvision.ops import boxes as box_ops

# Why a candidate left the pipeline (KEPT = it is a final proposal).
KEPT, REMOVED_SMALL, REMOVED_SCORE, REMOVED_NMS, REMOVED_TOP_N = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class RpnSettings:
    pre_nms_top_n: int
    nms_thresh: float
    post_nms_top_n: int
    score_thresh: float
    min_size: float


@dataclass(frozen=True)
class FilterStep:
    name: str
    before: int
    after: int

    @property
    def removed(self) -> int:
        return self.before - self.after


@dataclass
class RpnFilterResult:
    """Candidates = anchors that survived the per-level top-k, in torchvision's order."""

    candidate_anchor: Tensor  # (M,) flat anchor index
    candidate_boxes: Tensor  # (M, 4) decoded and clipped, resized frame
    candidate_scores: Tensor  # (M,) objectness probability
    candidate_levels: Tensor  # (M,) level index
    fate: Tensor  # (M,) KEPT / REMOVED_* code
    pre_nms: Tensor  # indices into candidates that entered NMS, in their order
    keep: Tensor  # indices into candidates of the final proposals, in torchvision's output order
    steps: list[FilterStep]
    # indices into candidates of every NMS survivor, in torchvision's output order (`keep` is its first
    # post_nms_top_n): the proposals at any larger post-NMS top-n
    after_nms: Optional[Tensor] = None


def filter_proposals(
    decoded: Tensor,
    objectness: Tensor,
    num_anchors_per_level: list[int],
    image_size: tuple[int, int],
    settings: RpnSettings,
) -> RpnFilterResult:
    """torchvision's filter_proposals for one image, from every anchor's decoded box and objectness logit."""
    top_n_idx = top_n_per_level(objectness, num_anchors_per_level, settings.pre_nms_top_n)
    levels = level_of_anchors(num_anchors_per_level, decoded.device)
    return filter_candidates(
        top_n_idx,
        decoded.reshape(-1, 4)[top_n_idx],
        objectness.reshape(-1)[top_n_idx],
        levels[top_n_idx],
        sum(num_anchors_per_level),
        image_size,
        settings,
    )


def top_n_per_level(objectness: Tensor, num_anchors_per_level: list[int], pre_nms_top_n: int) -> Tensor:
    """Flat anchor indices of the pre_nms_top_n highest-objectness anchors of each level, in torchvision's order
    (RegionProposalNetwork._get_top_n_idx on a batch of one: level by level, each by decreasing logit)."""
    objectness = objectness.reshape(1, -1)
    top_n_idx, offset = [], 0
    for ob in objectness.split(num_anchors_per_level, 1):
        k = _topk_min(ob, pre_nms_top_n, 1)
        _, idx = ob.topk(k, dim=1)
        top_n_idx.append(idx + offset)
        offset += ob.shape[1]
    return torch.cat(top_n_idx, dim=1)[0]


def level_of_anchors(num_anchors_per_level: list[int], device: torch.device) -> Tensor:
    return torch.cat(
        [torch.full((n,), idx, dtype=torch.int64, device=device) for idx, n in enumerate(num_anchors_per_level)]
    )


def filter_candidates(
    anchor_idx: Tensor,
    boxes: Tensor,
    logits: Tensor,
    levels: Tensor,
    num_anchors: int,
    image_size: tuple[int, int],
    settings: RpnSettings,
) -> RpnFilterResult:
    """The rest of filter_proposals, from the per-level top-n candidates (their anchors, decoded boxes, objectness
    logits and levels, in torchvision's order): sigmoid, clip, remove small, score threshold, batched NMS by level,
    post-NMS top-n. `boxes` may already be clipped (clipping is idempotent), so stored candidates replay exactly."""
    device = boxes.device
    scores = torch.sigmoid(logits)
    num_candidates = boxes.shape[0]

    boxes = box_ops.clip_boxes_to_image(boxes, image_size)
    candidate_boxes, candidate_scores, candidate_levels = boxes, scores, levels
    fate = torch.full((num_candidates,), KEPT, dtype=torch.int64, device=device)
    alive = torch.arange(num_candidates, device=device)
    lvl = levels

    keep = box_ops.remove_small_boxes(boxes, settings.min_size)
    fate[_dropped(alive, keep)] = REMOVED_SMALL
    alive, boxes, scores, lvl = alive[keep], boxes[keep], scores[keep], lvl[keep]
    after_small = len(alive)

    keep = torch.where(scores >= settings.score_thresh)[0]
    fate[_dropped(alive, keep)] = REMOVED_SCORE
    alive, boxes, scores, lvl = alive[keep], boxes[keep], scores[keep], lvl[keep]
    pre_nms = alive

    keep = box_ops.batched_nms(boxes, scores, lvl, settings.nms_thresh)
    fate[_dropped(alive, keep)] = REMOVED_NMS
    after_nms = alive[keep]
    final = after_nms[: settings.post_nms_top_n]
    fate[after_nms[settings.post_nms_top_n :]] = REMOVED_TOP_N

    steps = [
        FilterStep("per-level top-k", num_anchors, num_candidates),
        FilterStep("clip + remove small", num_candidates, after_small),
        FilterStep("score threshold", after_small, len(pre_nms)),
        FilterStep("NMS", len(pre_nms), len(after_nms)),
        FilterStep("post-NMS top-n", len(after_nms), len(final)),
    ]
    return RpnFilterResult(
        candidate_anchor=anchor_idx,
        candidate_boxes=candidate_boxes,
        candidate_scores=candidate_scores,
        candidate_levels=candidate_levels,
        fate=fate,
        pre_nms=pre_nms,
        keep=final,
        steps=steps,
        after_nms=after_nms,
    )


def _dropped(alive: Tensor, keep: Tensor) -> Tensor:
    """Entries of `alive` that `keep` (indices into alive) leaves out."""
    mask = torch.ones(alive.shape[0], dtype=torch.bool, device=alive.device)
    mask[keep] = False
    return alive[mask]
