"""The RPN's final proposals of a stored image, equal to rpn_filter.filter_candidates(...).keep, reusing NMS work.

Dataset evaluation needs the proposals, not every candidate's fate, and torchvision's NMS over a few thousand
candidates per image is what an RPN slider costs. Three facts let most RPN settings reuse one NMS run per image
and NMS threshold (`NmsBase`):

1. With more than 1000 surviving candidates torchvision's batched_nms runs `ops.nms` per level (no coordinate
   trick), and the kernel decides a box by the boxes before it in its stable score order only.
2. Inside a level the stored candidates are in topk order (decreasing logit, so non-increasing score): the
   kernel's order is the stored order, and both a smaller pre-NMS top-n and a higher score threshold keep a prefix
   of it. Remove-small does not depend on any slider. So NMS at any such setting decides exactly what the run on
   all stored candidates decided for the same boxes.
3. The post-NMS top-n only cuts the sorted result.
The final order is then made with torchvision's own call on the same input (an unstable sort of the kept
indices by score), so ties come out in the same order too. Where a fact does not hold — 1000 or fewer survivors
(torchvision's coordinate trick), or a level whose top-n was decided by topk among tied logits — the candidates go
through batched_nms itself. tests/test_dataset_replay.py holds the result equal to filter_candidates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np
import torch
from torch import Tensor
from torchvision.ops import boxes as box_ops

from inspectors.rpn.filter import RpnSettings
from inspectors.rpn.nms_grid import nms_keep_bits, threshold_index

_TRICK_NUMEL = 4000  # torchvision's batched_nms uses its coordinate trick up to this many coordinates on CPU


@dataclass
class NmsBase:
    """One image, one RPN NMS threshold: per record row (stored top-n rows; extras False), whether ops.nms per level
    keeps it among all stored candidates that are not too small."""

    kept: Tensor  # (M,) bool
    ordered: bool  # the scores were non-increasing inside every level, so the kernel kept the stored order


def nms_base(box: Tensor, logit: Tensor, level: Tensor, top_rows: Tensor, image_size: tuple[int, int],
             min_size: float, thresh: float) -> NmsBase:
    """`top_rows`: the record rows of the stored top-n of every level (the candidates at the largest top-n)."""
    groups = _nms_groups(box, logit, level, top_rows, image_size, min_size)
    kept = torch.zeros(box.shape[0], dtype=torch.bool)
    for rows, boxes, scores in groups.levels:
        kept[rows[box_ops.nms(boxes, scores, thresh)]] = True
    return NmsBase(kept, groups.ordered)


def nms_grid_bits(box: Tensor, logit: Tensor, level: Tensor, top_rows: Tensor, image_size: tuple[int, int],
                  min_size: float, thresholds: Sequence[float]) -> tuple[Tensor, bool]:
    """nms_base at every threshold of a grid at once (nms_grid): per record row an int32 whose bit k is
    nms_base(..., thresholds[k]).kept, and nms_base's `ordered`. A dataset capture stores them, so that a new RPN
    NMS threshold on the slider's grid costs no NMS run."""
    groups = _nms_groups(box, logit, level, top_rows, image_size, min_size)
    bits = torch.zeros(box.shape[0], dtype=torch.int32)
    for rows, boxes, scores in groups.levels:
        bits[rows] = nms_keep_bits(boxes, scores, thresholds)
    return bits, groups.ordered


def stored_nms_base(bits: Optional[np.ndarray], thresholds: Sequence[float] | np.ndarray, stored_min_size: float,
                    ordered: bool, min_size: float, thresh: float) -> Optional[NmsBase]:
    """The NmsBase that nms_grid_bits stored for `thresh`, or None when it is not on the stored grid."""
    if bits is None or float(stored_min_size) != float(min_size):
        return None
    k = threshold_index(thresholds, thresh)
    if k is None:
        return None
    return NmsBase(torch.from_numpy(((bits >> k) & 1).astype(bool)), bool(ordered))


@dataclass
class _NmsGroups:
    levels: list[tuple[Tensor, Tensor, Tensor]]  # per level: record rows, clipped boxes, objectness probabilities
    ordered: bool


def _nms_groups(box: Tensor, logit: Tensor, level: Tensor, top_rows: Tensor, image_size: tuple[int, int],
                min_size: float) -> _NmsGroups:
    """What torchvision's batched_nms runs ops.nms on, level by level, over all stored candidates that are not
    too small (the kernel's input exactly: the same boxes and the same scores tensor, indexed the same way)."""
    boxes = box_ops.clip_boxes_to_image(box[top_rows], image_size)
    scores = torch.sigmoid(logit[top_rows])
    levels = level[top_rows]
    alive = box_ops.remove_small_boxes(boxes, min_size)
    alive_levels = levels[alive]
    groups = []
    for lv in torch.unique(alive_levels):
        idx = alive[alive_levels == lv]
        groups.append((top_rows[idx], boxes[idx], scores[idx]))
    return _NmsGroups(groups, _in_stored_order(scores[alive], alive_levels))


def _in_stored_order(scores: Tensor, levels: Tensor) -> bool:
    """Scores non-increasing inside each level (then the kernel's stable score sort is the identity). The stored
    logits are, but sigmoid's vectorised and scalar paths can differ by an ulp at a tensor's tail: checked."""
    same = levels[1:] == levels[:-1]
    return bool(((scores[:-1] >= scores[1:]) | ~same).all())


def rpn_proposals(rows: Tensor, box: Tensor, logit: Tensor, level: Tensor, image_size: tuple[int, int],
                  settings: RpnSettings, base: Optional[Callable[[], NmsBase]],
                  not_small: Optional[Tensor] = None) -> tuple[Tensor, Tensor]:
    """(positions into `rows` of the proposals in torchvision's order, their objectness probabilities).

    `rows`: the record rows of the candidates at settings.pre_nms_top_n, in torchvision's order; `base`: gives the
    NmsBase at settings.nms_thresh (made on first need), or None when some level's candidates are not a prefix of
    its stored top-n. `not_small`: per record row, whether remove_small_boxes keeps it (optional, a shortcut)."""
    scores = torch.sigmoid(logit[rows])  # on exactly these rows: sigmoid's last elements depend on the length
    boxes = box[rows]  # stored clipped: clip_boxes_to_image would return the same numbers
    if not_small is None:
        alive = box_ops.remove_small_boxes(boxes, settings.min_size)
    else:  # remove_small_boxes is per box and min_size fixed: computed once per record
        alive = torch.where(not_small[rows])[0]
    alive = alive[torch.where(scores[alive] >= settings.score_thresh)[0]]
    s = scores[alive]
    shared = None
    if base is not None and alive.numel() * 4 > _TRICK_NUMEL and _in_stored_order(s, level[rows][alive]):
        shared = base()
    if shared is None or not shared.ordered:
        keep = box_ops.batched_nms(boxes[alive], s, level[rows][alive], settings.nms_thresh)
    else:
        keep = torch.where(shared.kept[rows[alive]])[0]  # ascending, as torchvision's keep_mask gives them
        keep = keep[s[keep].sort(descending=True)[1]]
    keep = keep[: settings.post_nms_top_n]
    return alive[keep], s[keep]
