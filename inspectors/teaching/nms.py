"""Greedy non-maximum suppression, one decision at a time, for teaching; its kept set equals torchvision.ops.nms."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torchvision
from torch import Tensor
from torchvision.ops import box_iou


@dataclass(frozen=True)
class NmsStep:
    kept: int  # index into the input boxes
    score: float
    suppressed: list[int]  # boxes this one removed (IoU above the threshold), in score order
    ious: list[float]  # their IoU with the kept box


def visit_order(scores: Tensor) -> Tensor:
    """The order NMS visits boxes in: torchvision's kernels sort by score with a STABLE descending sort, so tied
    scores are visited in input order (an unstable sort visits ties differently and changes the kept set)."""
    return scores.sort(stable=True, dim=0, descending=True)[1]


def suppresses(iou: Tensor, iou_threshold: float) -> Tensor:
    """IoU > threshold as the kernels test it: the float32 IoU against the threshold as a double. (A float32
    tensor compared with a Python float compares against float32(threshold), which differs when an IoU equals
    float32(0.3) > 0.3, say.)"""
    below = np.float32(iou_threshold)
    if float(below) > iou_threshold:  # the float32 just below the threshold: x > t ⇔ x > below for float32 x
        below = np.nextafter(below, np.float32(-np.inf))
    return iou > float(below)


def nms_steps(boxes: Tensor, scores: Tensor, iou_threshold: float) -> list[NmsStep]:
    """Visit boxes by descending score; keep a box unless an earlier kept box overlaps it by IoU > threshold."""
    boxes = torch.as_tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    scores = torch.as_tensor(scores, dtype=torch.float32).reshape(-1)
    if boxes.shape[0] != scores.shape[0]:
        raise ValueError(f"{boxes.shape[0]} boxes but {scores.shape[0]} scores.")
    order = visit_order(scores)
    visited = boxes[order]
    iou = box_iou(visited, visited)  # rows/columns in visiting order
    over = suppresses(iou, iou_threshold).cpu().numpy()
    iou_np, order_np, scores_np = iou.cpu().numpy(), order.cpu().numpy(), scores.cpu().numpy()
    alive = np.ones(len(order_np), dtype=bool)
    steps = []
    for pos in range(len(order_np)):
        if not alive[pos]:
            continue
        alive[pos] = False
        hit = np.flatnonzero(alive & over[pos])  # undecided boxes: all later in the visiting order
        alive[hit] = False
        steps.append(
            NmsStep(
                kept=int(order_np[pos]),
                score=float(scores_np[order_np[pos]]),
                suppressed=order_np[hit].tolist(),
                ious=iou_np[pos, hit].tolist(),
            )
        )
    return steps


def batched_nms_view(boxes: Tensor, groups: Tensor) -> Tensor:
    """The coordinates torchvision 0.29's batched_nms hands to `nms` for `boxes` grouped by `groups`."""
    vanilla = boxes.numel() > (4000 if boxes.device.type == "cpu" else 100_000) and not torchvision._is_tracing()
    if vanilla or boxes.numel() == 0:  # _batched_nms_vanilla: nms per group on the boxes as they are
        return boxes
    # _batched_nms_coordinate_trick, the same expressions.
    max_coordinate = boxes.max()
    offsets = groups.to(boxes) * (max_coordinate + torch.tensor(1).to(boxes))
    return boxes + offsets[:, None]


class BatchedNmsDecisions:
    """Who removed whom in torchvision's `batched_nms(boxes, scores, idxs, iou_threshold)`, whose kept indices
    are `kept`, decided as torchvision decides.

    torchvision runs NMS on the coordinates `batched_nms_view` gives (offset per group by the coordinate trick for
    small inputs, plain above its size switch, where it runs each group on its own): so each group's decisions are
    `nms_steps` on that group's coordinates — the same greedy walk the NMS player and provenance show.
    """

    def __init__(self, boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float, kept: Tensor) -> None:
        self.iou_threshold = float(iou_threshold)
        coords = batched_nms_view(boxes, idxs).detach()
        groups = idxs.detach().cpu()
        count = int(scores.shape[0])
        self.by = np.full(count, -1, dtype=np.int64)  # the kept box that removed each box, −1 if none
        self.iou = np.full(count, np.nan, dtype=np.float32)  # their IoU as NMS computed it
        for group in torch.unique(groups).tolist():
            members = torch.nonzero(groups == group).flatten()
            for step in nms_steps(coords[members.to(coords.device)], scores[members.to(scores.device)],
                                  self.iou_threshold):
                if step.suppressed:
                    removed = members[torch.as_tensor(step.suppressed, dtype=torch.int64)].numpy()
                    self.by[removed] = int(members[step.kept])
                    self.iou[removed] = np.asarray(step.ious, dtype=np.float32)
        self.is_kept = np.zeros(count, dtype=bool)
        self.is_kept[kept.detach().cpu().numpy()] = True

    def suppressor(self, query: int) -> tuple[int, float] | None:
        """(index of the kept box that removed box `query`, their IoU as NMS computed it); None if it was kept."""
        if self.is_kept[query] or self.by[query] < 0:
            return None
        return int(self.by[query]), float(self.iou[query])
