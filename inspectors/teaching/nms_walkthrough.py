"""A real NMS of this image, one decision at a time: the inputs exactly as torchvision's batched_nms saw them.

Two NMS runs happen in Faster R-CNN, both through `batched_nms`, which never lets boxes of different groups
suppress each other:
- stage "rpn": the RPN's NMS, grouped by FPN level (group = level index). Its inputs are the candidates left after
  the per-level top-k, clipping, small-box removal and the score threshold (`replay.pre_nms`).
- stage "box": the RoI head's NMS, grouped by class (group = class label). Its inputs are the (proposal, class)
  boxes left after the score threshold and the tiny-box removal.

batched_nms either runs `nms` once per group on the boxes as they are (many boxes) or runs it once on all boxes
shifted by group × (largest coordinate + 1) (few boxes: the "coordinate trick"). The shift changes the float
coordinates the IoUs are computed from, so the walk-through uses the very coordinates `nms` received
(`nms_boxes`); `boxes` are the unshifted ones to draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor
from torchvision.ops import boxes as box_ops

from inspectors.core.errors import InputError
from inspectors.teaching.nms import NmsStep, batched_nms_view, nms_steps, visit_order

if TYPE_CHECKING:
    from inspectors.pipeline.replay import Replay
    from inspectors.roi.postprocess import BoxCandidates

__all__ = [
    "BoxNmsInputs",
    "NmsFrame",
    "NmsGroup",
    "NmsWalkthrough",
    "STAGES",
    "batched_nms_view",
    "box_nms_inputs",
    "box_stage_candidates",
    "build_walkthrough",
    "nms_groups",
    "nms_walkthrough",
    "rpn_nms_boxes",
]

STAGES = ("rpn", "box")


@dataclass(frozen=True)
class NmsGroup:
    """One NMS group a player can walk through."""

    stage: str  # "rpn" | "box"
    group: int  # level index (rpn) or class label (box)
    name: str  # the level's name ("P3") or the category's name
    count: int  # boxes that entered NMS in this group


@dataclass(frozen=True)
class NmsFrame:
    """The state of the player at one decision (step k): what a slide shows."""

    step: int
    kept: int  # input index kept at this step (the head of `queue`)
    suppressed: tuple[int, ...]  # inputs it removes now (IoU > threshold), in visiting order
    ious: tuple[float, ...]  # their IoU with the kept box
    queue: tuple[int, ...]  # inputs still undecided before this step, in visiting order
    queue_after: tuple[int, ...]  # … and after it
    kept_so_far: tuple[int, ...]  # kept up to and including this step
    suppressed_so_far: tuple[int, ...]  # suppressed up to and including this step


@dataclass
class NmsWalkthrough:
    stage: str
    group: int
    name: str
    threshold: float
    boxes: Tensor  # (N, 4) resized frame, as the stage holds them
    boxes_original: Tensor  # (N, 4) original frame
    nms_boxes: Tensor  # (N, 4) the coordinates torchvision's nms compared (batched_nms's group shift included)
    scores: Tensor  # (N,) objectness probability (rpn) or class score (box)
    source: Tensor  # (N,) rpn: index into replay.rpn_candidates; box: index into the replay's box candidates
    anchor_index: Tensor  # (N,) the anchor each input grew from
    proposal_index: Tensor  # (N,) box: the proposal (into replay.proposals) each input was refined from; rpn: -1
    order: Tensor  # (N,) visiting order: input indices by descending score, ties in input order
    steps: list[NmsStep]  # one per kept box, in visiting order (nms.NmsStep)
    decided_at: Tensor  # (N,) the step at which each input was kept or suppressed
    suppressor: Tensor  # (N,) input index of the kept box that suppressed it; -1 for kept inputs
    suppressor_iou: Tensor  # (N,) float32 IoU with that box; NaN for kept inputs
    kept: Tensor  # input indices kept, in visiting order (= torchvision.ops.nms(nms_boxes, scores, threshold))

    def __len__(self) -> int:
        return len(self.steps)

    def frame(self, step: int) -> NmsFrame:
        if not 0 <= step < len(self.steps):
            raise IndexError(f"step {step} out of range (0..{len(self.steps) - 1}).")
        order = self.order.tolist()
        decided = self.decided_at.tolist()
        kept_mask = (self.suppressor < 0).tolist()
        current = self.steps[step]
        return NmsFrame(
            step=step,
            kept=current.kept,
            suppressed=tuple(current.suppressed),
            ious=tuple(current.ious),
            queue=tuple(i for i in order if decided[i] >= step),
            queue_after=tuple(i for i in order if decided[i] > step),
            kept_so_far=tuple(i for i in order if decided[i] <= step and kept_mask[i]),
            suppressed_so_far=tuple(i for i in order if decided[i] <= step and not kept_mask[i]),
        )


def walk(nms_boxes: Tensor, scores: Tensor, threshold: float) -> tuple[Tensor, list[NmsStep], Tensor, Tensor, Tensor]:
    """(order, steps, decided_at, suppressor, suppressor_iou) of greedy NMS on these exact inputs."""
    n = int(scores.shape[0])
    steps = nms_steps(nms_boxes, scores, threshold)
    decided = torch.full((n,), -1, dtype=torch.int64)
    suppressor = torch.full((n,), -1, dtype=torch.int64)
    iou = torch.full((n,), float("nan"), dtype=torch.float32)
    for k, step in enumerate(steps):
        decided[step.kept] = k
        if step.suppressed:
            hit = torch.tensor(step.suppressed, dtype=torch.int64)
            decided[hit] = k
            suppressor[hit] = step.kept
            iou[hit] = torch.tensor(step.ious, dtype=torch.float32)
    return visit_order(scores.reshape(-1).float()).cpu(), steps, decided, suppressor, iou


def nms_groups(replay: "Replay", stage: str) -> list[NmsGroup]:
    """Every group of one stage's NMS with how many boxes entered it (empty groups included)."""
    trace = replay.trace
    _check_stage(stage)
    if stage == "rpn":
        levels = replay.pre_nms.levels
        return [NmsGroup("rpn", i.index, i.name, int((levels == i.index).sum())) for i in trace.levels]
    labels = box_nms_inputs(replay).labels
    return [NmsGroup("box", c, trace.categories[c], int((labels == c).sum())) for c in range(1, len(trace.categories))]


def nms_walkthrough(replay: "Replay", stage: str, group: int) -> NmsWalkthrough:
    """The NMS of one group at the replay's threshold, with every decision (memoised per trace and settings)."""
    _check_stage(stage)
    trace = replay.trace
    group = _check_group(replay, stage, group)
    key = ("nms_walkthrough", stage, group, _settings_key(replay, stage))
    return trace.cache.extra(key, lambda: build_walkthrough(replay, stage, group))


@dataclass
class BoxNmsInputs:
    """The RoI head's batched_nms inputs: candidates after the score threshold and the tiny-box removal."""

    source: Tensor  # index into the replay's BoxCandidates
    boxes: Tensor
    scores: Tensor
    labels: Tensor
    proposal_index: Tensor
    nms_boxes: Tensor
    after_score: Tensor  # BoxCandidates indices that passed the score threshold (tiny boxes included)


def box_stage_candidates(replay: "Replay") -> "BoxCandidates":
    """The replay's per-(proposal, class) candidates (memoised with its RPN stage)."""
    if replay.box_candidates is None:
        raise ValueError("this replay kept no box candidates")
    return replay.box_candidates


def box_nms_inputs(replay: "Replay") -> BoxNmsInputs:
    """select_detections up to its batched_nms call, the same expressions in the same order."""
    candidates = box_stage_candidates(replay)
    score_thresh = float(replay.settings["box_score_thresh"])
    with torch.inference_mode():
        inds = torch.where(candidates.scores > score_thresh)[0]
        boxes = candidates.boxes[inds]
        keep = box_ops.remove_small_boxes(boxes, min_size=1e-2)
        source = inds[keep]
        boxes, labels = boxes[keep], candidates.labels[source]
        return BoxNmsInputs(
            source=source,
            boxes=boxes,
            scores=candidates.scores[source],
            labels=labels,
            proposal_index=candidates.source[source],
            nms_boxes=batched_nms_view(boxes, labels),
            after_score=inds,
        )


def rpn_nms_boxes(replay: "Replay") -> Tensor:
    """The coordinates the RPN's batched_nms (grouped by level) handed to nms, for replay.pre_nms in order."""
    return batched_nms_view(replay.pre_nms.boxes_resized, replay.pre_nms.levels)


def build_walkthrough(replay: "Replay", stage: str, group: int, inputs: "BoxNmsInputs | None" = None
                      ) -> NmsWalkthrough:
    """nms_walkthrough without the memo (for callers that walk every group; `inputs`: box_nms_inputs(replay))."""
    trace = replay.trace
    with torch.inference_mode():
        if stage == "rpn":
            pre = replay.pre_nms
            mask = pre.levels == group
            threshold = float(replay.settings["rpn_nms_thresh"])
            boxes, scores = pre.boxes_resized[mask], pre.scores[mask]
            nms_boxes = rpn_nms_boxes(replay)[mask]
            source = replay.rpn_candidates.pre_nms[mask]
            anchor_index = pre.anchor_index[mask]
            proposal_index = torch.full_like(anchor_index, -1)
            name = trace.levels[group].name
        else:
            inputs = box_nms_inputs(replay) if inputs is None else inputs
            mask = inputs.labels == group
            threshold = float(replay.settings["box_nms_thresh"])
            boxes, scores = inputs.boxes[mask], inputs.scores[mask]
            nms_boxes = inputs.nms_boxes[mask]
            source = inputs.source[mask]
            proposal_index = inputs.proposal_index[mask]
            anchor_index = replay.proposals.anchor_index[proposal_index]
            name = trace.categories[group]
        order, steps, decided, suppressor, iou = walk(nms_boxes.cpu(), scores.cpu(), threshold)
    kept = torch.tensor([s.kept for s in steps], dtype=torch.int64)
    return NmsWalkthrough(
        stage=stage,
        group=group,
        name=name,
        threshold=threshold,
        boxes=boxes,
        boxes_original=trace.to_original(boxes),
        nms_boxes=nms_boxes,
        scores=scores,
        source=source,
        anchor_index=anchor_index,
        proposal_index=proposal_index,
        order=order,
        steps=steps,
        decided_at=decided,
        suppressor=suppressor,
        suppressor_iou=iou,
        kept=kept,
    )


def _settings_key(replay: "Replay", stage: str) -> tuple:
    rpn = tuple(replay.settings[k] for k in ("rpn_pre_nms_top_n", "rpn_nms_thresh", "rpn_score_thresh"))
    if stage == "rpn":
        return rpn
    return rpn + tuple(replay.settings[k] for k in ("rpn_post_nms_top_n", "box_score_thresh", "box_nms_thresh"))


def _check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise InputError("nms.unknown_stage", stage=stage, stages=", ".join(STAGES))


def _check_group(replay: "Replay", stage: str, group: int) -> int:
    trace = replay.trace
    valid = range(len(trace.levels)) if stage == "rpn" else range(1, len(trace.categories))
    try:
        value = int(group)
    except (TypeError, ValueError):
        value = None
    if value is None or value != group or value not in valid:
        raise InputError("nms.unknown_group", stage=stage, group=group, low=valid.start, high=valid.stop - 1)
    return value
