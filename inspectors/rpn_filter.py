"""RPN proposal filtering, replayed: torchvision's RegionProposalNetwork.filter_proposals with lineage.

Same functions, same order, same tensor shapes as torchvision 0.29 (per-level top-k on a batch of one, sigmoid,
clip, remove_small_boxes, score threshold, batched_nms by level, post-NMS top-n), so at the model's settings the
result is the model's proposals bit for bit. On top, every candidate remembers its anchor and the step that
removed it.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def filter_proposals(
    decoded: Tensor,
    objectness: Tensor,
    num_anchors_per_level: list[int],
    image_size: tuple[int, int],
    settings: RpnSettings,
) -> RpnFilterResult:
    device = decoded.device
    objectness = objectness.reshape(1, -1)
    proposals = decoded.reshape(1, -1, 4)
    levels = torch.cat(
        [torch.full((n,), idx, dtype=torch.int64, device=device) for idx, n in enumerate(num_anchors_per_level)]
    )
    levels = levels.reshape(1, -1).expand_as(objectness)

    # Per level, the top-n anchors by objectness logit (RegionProposalNetwork._get_top_n_idx).
    top_n_idx, offset = [], 0
    for ob in objectness.split(num_anchors_per_level, 1):
        k = _topk_min(ob, settings.pre_nms_top_n, 1)
        _, idx = ob.topk(k, dim=1)
        top_n_idx.append(idx + offset)
        offset += ob.shape[1]
    top_n_idx = torch.cat(top_n_idx, dim=1)
    batch_idx = torch.arange(1, device=device)[:, None]
    objectness = objectness[batch_idx, top_n_idx]
    levels = levels[batch_idx, top_n_idx]
    proposals = proposals[batch_idx, top_n_idx]
    scores = torch.sigmoid(objectness)[0]
    boxes, lvl = proposals[0], levels[0]
    anchor_idx = top_n_idx[0]
    num_candidates = boxes.shape[0]

    boxes = box_ops.clip_boxes_to_image(boxes, image_size)
    candidate_boxes, candidate_scores, candidate_levels = boxes, scores, lvl
    fate = torch.full((num_candidates,), KEPT, dtype=torch.int64, device=device)
    alive = torch.arange(num_candidates, device=device)

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
        FilterStep("per-level top-k", sum(num_anchors_per_level), num_candidates),
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
    )


def _dropped(alive: Tensor, keep: Tensor) -> Tensor:
    """Entries of `alive` that `keep` (indices into alive) leaves out."""
    mask = torch.ones(alive.shape[0], dtype=torch.bool, device=alive.device)
    mask[keep] = False
    return alive[mask]
