"""Replay one image of a dataset capture at any thresholds, from its stored record — the model never runs.

The same functions as the single-image replay, fed from the stored candidates:
    candidates  = the per-level top-n rows of the record (a prefix, or topk on a tied level)   (here)
    proposals   = rpn_filter.filter_candidates: sigmoid, clip, remove small, score, NMS, top-n
    RoI outputs = the stored class logits / box regression of the surviving candidates          (a lookup)
    candidates  = box_postprocess.box_candidates (per class, decoded, clipped)
    detections  = box_postprocess.select_detections, then back to the original frame
The RPN part depends only on the RPN settings, so callers memoise `rpn_stage` and re-run only `detections` when a
final-stage slider moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import torch
from torch import Tensor
from torchvision.models.detection._utils import BoxCoder
from torchvision.models.detection.transform import resize_boxes
from torchvision.ops import boxes as box_ops

from inspectors.core.trace import Detections
from inspectors.dataset.record import ImageRecord
from inspectors.roi.postprocess import BoxCandidates, BoxSettings, box_candidates, select_detections
from inspectors.rpn.filter import FilterStep, RpnFilterResult, RpnSettings, filter_candidates


@dataclass
class RecordTensors:
    """A record's arrays as the torch tensors replay works on (CPU), converted once."""

    record: ImageRecord
    anchor: Tensor  # int64
    level: Tensor  # int64
    logit: Tensor
    box: Tensor
    class_logits: Tensor
    box_regression: Tensor
    level_sorted_anchor: list[np.ndarray]  # per level: the stored anchors, sorted (to find tied anchors' rows)
    level_sorted_row: list[np.ndarray]

    @classmethod
    def of(cls, record: ImageRecord) -> "RecordTensors":
        sorted_anchor, sorted_row = [], []
        for start, rows in zip(record.level_row_start, record.level_rows):
            anchors = record.anchor[start : start + rows]
            order = np.argsort(anchors, kind="stable")
            sorted_anchor.append(anchors[order].astype(np.int64))
            sorted_row.append(order.astype(np.int64) + start)
        return cls(
            record=record,
            anchor=torch.from_numpy(record.anchor.astype(np.int64)),
            level=torch.from_numpy(record.level.astype(np.int64)),
            logit=_tensor(record.logit),
            box=_tensor(record.box),
            class_logits=_tensor(record.class_logits),
            box_regression=_tensor(record.box_regression),
            level_sorted_anchor=sorted_anchor,
            level_sorted_row=sorted_row,
        )

    def not_small(self, min_size: float) -> Tensor:
        """(M,) bool per row: remove_small_boxes keeps its (clipped) box. Memoised per min_size."""
        cache = self.__dict__.setdefault("_not_small", {})
        if min_size not in cache:
            keep = box_ops.remove_small_boxes(self.box, min_size)
            mask = torch.zeros(self.box.shape[0], dtype=torch.bool)
            mask[keep] = True
            cache[min_size] = mask
        return cache[min_size]

    def prefix_rows(self, pre_nms_top_n: int) -> Tensor:
        """Every level's first min(pre_nms_top_n, anchors of the level) stored rows. Memoised."""
        cache = self.__dict__.setdefault("_prefix_rows", {})
        if pre_nms_top_n not in cache:
            k = np.minimum(int(pre_nms_top_n), self.record.level_count)
            cache[pre_nms_top_n] = torch.cat([torch.arange(int(s), int(s) + int(n))
                                              for s, n in zip(self.record.level_row_start, k)])
        return cache[pre_nms_top_n]

    @property
    def top_rows(self) -> Tensor:
        """Record rows of every level's stored top-n (the candidates at the capture's largest pre-NMS top-n)."""
        record = self.record
        return torch.cat([torch.arange(int(start), int(start) + int(top))
                          for start, top in zip(record.level_row_start, record.level_top)])

    def nbytes(self) -> int:
        return int(self.anchor.numel() * 8 + self.level.numel() * 8) + self.record.nbytes()


def _tensor(array: np.ndarray) -> Tensor:
    """A tensor sharing the array's memory (a copy only if the array is read-only)."""
    return torch.from_numpy(array if array.flags.writeable else array.copy())


def is_stored_prefix(record: ImageRecord, pre_nms_top_n: int) -> bool:
    """Whether every level's top-n at `pre_nms_top_n` is a prefix of its stored rows (no tie decided by topk)."""
    k = np.minimum(int(pre_nms_top_n), record.level_count)
    return bool(((k == record.level_top) | (k <= record.level_exact)).all())


def is_prefix(tensors: RecordTensors, rows: Tensor, pre_nms_top_n: int) -> bool:
    """Whether `rows` (candidate_rows at pre_nms_top_n) are every level's first stored rows, in stored order —
    guaranteed by is_stored_prefix, and often also true where topk had ties to decide."""
    record = tensors.record
    if is_stored_prefix(record, pre_nms_top_n):
        return True
    return bool(torch.equal(rows, tensors.prefix_rows(int(pre_nms_top_n))))


def candidate_rows(tensors: RecordTensors, pre_nms_top_n: int) -> Tensor:
    """Rows of the record that torchvision's per-level top-n would pick, in its order."""
    record = tensors.record
    if is_stored_prefix(record, pre_nms_top_n):
        return tensors.prefix_rows(int(pre_nms_top_n))
    parts = []
    for level, (count, top, exact, start) in enumerate(
        zip(record.level_count, record.level_top, record.level_exact, record.level_row_start)
    ):
        k = min(int(pre_nms_top_n), int(count))
        if k > top:
            raise ValueError(f"pre_nms_top_n {pre_nms_top_n} is above the stored {top} of level {level}")
        if k == top or k <= exact:
            parts.append(torch.arange(int(start), int(start) + k))
            continue
        # Tied logits across the cut: ask topk exactly as torchvision does, on every anchor's logit of the level.
        logits = torch.from_numpy(record.tie_logits[level]).reshape(1, -1)
        local = logits.topk(k, dim=1)[1][0].numpy() + int(record.level_anchor_start[level])
        position = np.searchsorted(tensors.level_sorted_anchor[level], local)
        parts.append(torch.from_numpy(tensors.level_sorted_row[level][position]))
    return torch.cat(parts) if parts else torch.zeros(0, dtype=torch.int64)


@dataclass
class RpnStage:
    """One image at one RPN setting: its proposals and every (proposal, class) box the final stage starts from."""

    filtered: RpnFilterResult
    rows: Tensor  # record rows of the candidates
    proposal_rows: Tensor  # record rows of the proposals, in torchvision's order
    proposals_resized: Tensor  # (P, 4)
    proposals: Tensor  # (P, 4) original frame
    proposal_scores: Tensor  # (P,) objectness probability
    box_candidates: BoxCandidates

    @property
    def rpn_steps(self) -> list[FilterStep]:
        before = self.filtered.steps[0].before
        return [FilterStep("anchors", before, before)] + self.filtered.steps


def rpn_stage(tensors: RecordTensors, settings: RpnSettings, box_coder: BoxCoder) -> RpnStage:
    record = tensors.record
    rows = candidate_rows(tensors, settings.pre_nms_top_n)
    filtered = filter_candidates(
        tensors.anchor[rows], tensors.box[rows], tensors.logit[rows], tensors.level[rows], record.num_anchors,
        record.resized_size, settings,
    )
    proposal_rows = rows[filtered.keep]
    proposals_resized = filtered.candidate_boxes[filtered.keep]
    candidates = box_candidates(
        tensors.class_logits[proposal_rows], tensors.box_regression[proposal_rows], proposals_resized,
        record.resized_size, box_coder,
    )
    return RpnStage(
        filtered=filtered,
        rows=rows,
        proposal_rows=proposal_rows,
        proposals_resized=proposals_resized,
        proposals=resize_boxes(proposals_resized, list(record.resized_size), list(record.original_size)),
        proposal_scores=filtered.candidate_scores[filtered.keep],
        box_candidates=candidates,
    )


@dataclass
class ImageDetections:
    detections: Detections  # original frame, with proposal_index into the stage's proposals
    box_steps: list[FilterStep]


def detections(stage: RpnStage, record: ImageRecord, settings: BoxSettings,
               categories: Sequence[str]) -> ImageDetections:
    post = select_detections(stage.box_candidates, settings)
    return ImageDetections(
        detections=Detections(
            boxes=resize_boxes(post.boxes, list(record.resized_size), list(record.original_size)),
            boxes_resized=post.boxes,
            scores=post.scores,
            labels=post.labels,
            names=[categories[int(i)] for i in post.labels],
            proposal_index=post.proposal_index,
        ),
        box_steps=post.steps,
    )


def rpn_settings(settings: Mapping[str, float], min_size: float) -> RpnSettings:
    return RpnSettings(
        pre_nms_top_n=int(settings["rpn_pre_nms_top_n"]),
        nms_thresh=float(settings["rpn_nms_thresh"]),
        post_nms_top_n=int(settings["rpn_post_nms_top_n"]),
        score_thresh=float(settings["rpn_score_thresh"]),
        min_size=min_size,
    )


def box_settings(settings: Mapping[str, float]) -> BoxSettings:
    return BoxSettings(
        score_thresh=float(settings["box_score_thresh"]),
        nms_thresh=float(settings["box_nms_thresh"]),
        detections_per_img=int(settings["box_detections_per_img"]),
    )
