"""Greedy non-maximum suppression, one decision at a time, for teaching; its kept set equals torchvision.ops.nms."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torchvision.ops import box_iou


@dataclass(frozen=True)
class NmsStep:
    kept: int  # index into the input boxes
    score: float
    suppressed: list[int]  # boxes this one removed (IoU above the threshold), in score order
    ious: list[float]  # their IoU with the kept box


def nms_steps(boxes: Tensor, scores: Tensor, iou_threshold: float) -> list[NmsStep]:
    """Visit boxes by descending score; keep a box unless an earlier kept box overlaps it by IoU > threshold."""
    boxes = torch.as_tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    scores = torch.as_tensor(scores, dtype=torch.float32).reshape(-1)
    if boxes.shape[0] != scores.shape[0]:
        raise ValueError(f"{boxes.shape[0]} boxes but {scores.shape[0]} scores.")
    # The same sort call as torchvision's CPU kernel, so ties are visited in the same order.
    order = scores.sort(0, descending=True)[1]
    iou = box_iou(boxes, boxes)[order][:, order]  # rows/columns in visiting order
    alive = torch.ones(len(order), dtype=torch.bool)
    steps = []
    for pos in range(len(order)):
        if not alive[pos]:
            continue
        later = torch.zeros_like(alive)
        later[pos + 1 :] = True
        hit = torch.nonzero(later & alive & (iou[pos] > iou_threshold)).flatten()
        alive[hit] = False
        steps.append(
            NmsStep(
                kept=int(order[pos]),
                score=float(scores[order[pos]]),
                suppressed=order[hit].tolist(),
                ious=iou[pos, hit].tolist(),
            )
        )
    return steps


def batched_nms_suppressor(
    boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float, kept: Tensor, query: int
) -> tuple[int, float] | None:
    """Which box removed box `query` in torchvision's `batched_nms(boxes, scores, idxs, iou_threshold)`, whose
    kept indices are `kept`, and their IoU; None when `query` was kept.

    Decided as torchvision decides: its kernel visits boxes by a stable descending sort of the scores and a kept box
    removes every later box of its group (`idxs`) whose IoU, computed on the coordinates the kernel saw (offset per
    group by the coordinate trick for small inputs, plain per group above torchvision's size switch), exceeds the
    threshold. The remover is the first kept box in that order that overlaps `query` by more than the threshold.
    """
    is_kept = torch.zeros(boxes.shape[0], dtype=torch.bool, device=boxes.device)
    is_kept[kept] = True
    if bool(is_kept[query]):
        return None
    vanilla = boxes.numel() > (4000 if boxes.device.type == "cpu" else 100_000)
    coords = boxes
    if not vanilla:  # torchvision's _batched_nms_coordinate_trick, the same float ops
        max_coordinate = boxes.max()
        offsets = idxs.to(boxes) * (max_coordinate + torch.tensor(1).to(boxes))
        coords = boxes + offsets[:, None]
    order = scores.sort(stable=True, descending=True)[1]
    rank = torch.empty_like(order)
    rank[order] = torch.arange(order.numel(), device=order.device)
    earlier = torch.nonzero(is_kept & (idxs == idxs[query]) & (rank < rank[query])).flatten()
    if earlier.numel() == 0:
        return None
    earlier = earlier[rank[earlier].argsort()]
    ovr = _kernel_iou(coords[earlier], coords[query])
    hits = torch.nonzero(ovr.double() > iou_threshold).flatten()
    if hits.numel() == 0:
        return None
    first = int(hits[0])
    return int(earlier[first]), float(ovr[first])


def _kernel_iou(kept: Tensor, box: Tensor) -> Tensor:
    """IoU of each `kept` box with `box`, with the operations of torchvision's CPU nms kernel."""
    areas = (kept[:, 2] - kept[:, 0]) * (kept[:, 3] - kept[:, 1])
    area = (box[2] - box[0]) * (box[3] - box[1])
    w = (torch.minimum(kept[:, 2], box[2]) - torch.maximum(kept[:, 0], box[0])).clamp(min=0)
    h = (torch.minimum(kept[:, 3], box[3]) - torch.maximum(kept[:, 1], box[1])).clamp(min=0)
    inter = w * h
    return inter / (areas + area - inter)
