"""Provenance: where a detection came from and what it removed; for a box that did not survive, what removed it.

Built on replay's lineage (rpn_filter fate codes, detections.proposal_index) and on the NMS walk-throughs of every
group (inspectors.teaching.nms_walkthrough), which record, for each suppressed box, the kept box that suppressed it: in
greedy NMS that is the first kept box in visiting order whose IoU with it is above the threshold.

Candidates are named by stable integers:
- an RPN candidate is an index into `replay.rpn_candidates` (an anchor that survived the per-level top-k);
- a box candidate is an index into the replay's per-(proposal, class) candidates, proposal p and class c
  (1 … K−1) being p·(K−1) + c − 1, as torchvision flattens them.
Fates are stable strings (FATES); a UI translates them.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import torch
from torch import Tensor

from inspectors.core.errors import InputError
from inspectors.rpn.filter import KEPT, REMOVED_NMS, REMOVED_SCORE, REMOVED_SMALL, REMOVED_TOP_N
from inspectors.teaching.box_story import AnchorInfo, BoxStory, anchor_info, explain
from inspectors.teaching.nms_walkthrough import box_nms_inputs, box_stage_candidates, build_walkthrough, nms_walkthrough

if TYPE_CHECKING:
    from inspectors.pipeline.replay import Replay

# Why a candidate is not (or is) in the output. "not_in_top_k": the anchor was not among its level's
# pre-NMS top-n by objectness, so it never became an RPN candidate.
FATES = ("kept", "not_in_top_k", "removed_small", "removed_score", "removed_nms", "removed_top_n")
_FATE_OF_CODE = {KEPT: "kept", REMOVED_SMALL: "removed_small", REMOVED_SCORE: "removed_score",
                 REMOVED_NMS: "removed_nms", REMOVED_TOP_N: "removed_top_n"}


@dataclass(frozen=True)
class Suppression:
    """One NMS decision: `suppressor` (kept) removed `suppressed` because their IoU was above the threshold."""

    stage: str  # "rpn" | "box"
    group: int  # level index (rpn) or class label (box)
    suppressor: int  # candidate id of the kept box
    suppressed: int  # candidate id of the removed box
    iou: float
    threshold: float
    suppressor_score: float
    suppressed_score: float


@dataclass(frozen=True)
class CandidateFate:
    stage: str  # "rpn" | "box"
    candidate: int  # rpn: index into replay.rpn_candidates (-1 when fate is not_in_top_k); box: box candidate id
    anchor_index: int
    proposal_index: int  # index into replay.proposals (-1 for an RPN candidate that is not a final proposal)
    label: int  # box: the class; rpn: -1
    score: float  # objectness probability (rpn) or class score (box)
    fate: str  # one of FATES
    suppressed_by: Optional[Suppression]  # when fate == "removed_nms"
    detection_index: int  # box: index into replay.detections when kept; else -1


@dataclass(frozen=True)
class DetectionProvenance:
    detection_index: int
    label: int
    label_name: str
    score: float
    proposal_index: int  # into replay.proposals
    rpn_candidate: int  # into replay.rpn_candidates
    box_candidate: int  # the (proposal, class) candidate id
    anchor: AnchorInfo  # level, cell, shape, size, ratio, boxes
    objectness: float
    story: BoxStory  # the two refinements with their numbers
    rpn_suppressed: tuple[Suppression, ...]  # what its proposal removed in the RPN NMS on its level
    box_suppressed: tuple[Suppression, ...]  # what it removed in its class's NMS


@dataclass
class RpnLineage:
    """Per RPN candidate: the candidate that suppressed it in NMS (-1 if none) and their IoU."""

    suppressor: Tensor  # (M,) int64
    iou: Tensor  # (M,) float32, NaN where not suppressed
    threshold: float


@dataclass
class BoxLineage:
    """Per box candidate (P·(K−1)): its fate code, its suppressor (-1) with IoU, and its detection (-1)."""

    fate: Tensor  # (N,) int64 codes of rpn_filter (KEPT, REMOVED_SCORE, REMOVED_SMALL, REMOVED_NMS, REMOVED_TOP_N)
    suppressor: Tensor
    iou: Tensor
    detection: Tensor
    scores: Tensor
    labels: Tensor
    proposal: Tensor
    threshold: float


def rpn_lineage(replay: "Replay") -> RpnLineage:
    key = ("rpn_lineage",) + tuple(replay.settings[k] for k in ("rpn_pre_nms_top_n", "rpn_nms_thresh",
                                                                 "rpn_score_thresh"))
    return replay.trace.cache.extra(key, lambda: _build_rpn_lineage(replay))


def box_lineage(replay: "Replay") -> BoxLineage:
    key = ("box_lineage",) + tuple(sorted(replay.settings.items()))
    return replay.trace.cache.extra(key, lambda: _build_box_lineage(replay))


def _build_rpn_lineage(replay: "Replay") -> RpnLineage:
    count = int(replay.rpn_candidates.fate.shape[0])
    suppressor = torch.full((count,), -1, dtype=torch.int64)
    iou = torch.full((count,), float("nan"), dtype=torch.float32)
    for level in range(len(replay.trace.levels)):
        walk = build_walkthrough(replay, "rpn", level)
        hit = walk.suppressor >= 0
        source = walk.source.cpu()
        suppressor[source[hit]] = source[walk.suppressor[hit]]
        iou[source[hit]] = walk.suppressor_iou[hit]
    return RpnLineage(suppressor, iou, float(replay.settings["rpn_nms_thresh"]))


def _build_box_lineage(replay: "Replay") -> BoxLineage:
    trace = replay.trace
    candidates = box_stage_candidates(replay)
    inputs = box_nms_inputs(replay)
    count = int(candidates.scores.shape[0])
    fate = torch.full((count,), REMOVED_SCORE, dtype=torch.int64)
    fate[inputs.after_score.cpu()] = REMOVED_SMALL
    fate[inputs.source.cpu()] = REMOVED_NMS  # until NMS says otherwise
    suppressor = torch.full((count,), -1, dtype=torch.int64)
    iou = torch.full((count,), float("nan"), dtype=torch.float32)
    for label in torch.unique(inputs.labels).tolist():
        walk = build_walkthrough(replay, "box", int(label), inputs)
        source = walk.source.cpu()
        fate[source[walk.kept]] = REMOVED_TOP_N  # survived NMS: kept unless the per-image cap cut it
        hit = walk.suppressor >= 0
        suppressor[source[hit]] = source[walk.suppressor[hit]]
        iou[source[hit]] = walk.suppressor_iou[hit]
    detection = torch.full((count,), -1, dtype=torch.int64)
    dets = replay.detections
    if dets.proposal_index is None:
        raise ValueError("these detections do not say which proposal each came from")
    flat = (dets.proposal_index * (len(trace.categories) - 1) + dets.labels - 1).cpu()
    detection[flat] = torch.arange(len(dets))
    fate[flat] = KEPT
    return BoxLineage(fate, suppressor, iou, detection, candidates.scores.cpu(), candidates.labels.cpu(),
                      candidates.source.cpu(), float(replay.settings["box_nms_thresh"]))


def nms_suppressor(replay: "Replay", stage: str, candidate: int) -> Optional[tuple[int, float]]:
    """Who removed `candidate` in its stage's NMS, and their IoU as NMS computed it — read from the walk of its own
    group only (the NMS player's walk, memoised): "rpn", a candidate of replay.rpn_candidates, grouped by FPN level;
    "box", a box candidate (proposal · (K−1) + class − 1), grouped by class. None when it was kept or never entered
    that NMS. The lineages above read the same walks, every group at once."""
    if stage == "rpn":
        group = int(replay.rpn_candidates.candidate_levels[candidate])
    else:
        if replay.box_candidates is None:
            raise ValueError("this replay kept no box candidates")
        group = int(replay.box_candidates.labels[candidate])
    walk = nms_walkthrough(replay, stage, group)
    position = torch.nonzero(walk.source.cpu() == int(candidate)).flatten()
    if position.numel() == 0:
        return None
    by = int(walk.suppressor[int(position[0])])
    if by < 0:
        return None
    return int(walk.source[by]), float(walk.suppressor_iou[int(position[0])])


def rpn_fate(replay: "Replay", candidate: int) -> CandidateFate:
    """Why RPN candidate `candidate` (index into replay.rpn_candidates) is or is not a proposal."""
    cands = replay.rpn_candidates
    m = _index(candidate, int(cands.fate.shape[0]), "provenance.candidate_index", stage="rpn")
    code = int(cands.fate[m])
    by = None
    if code == REMOVED_NMS:
        lineage = rpn_lineage(replay)
        s = int(lineage.suppressor[m])
        by = Suppression("rpn", int(cands.candidate_levels[m]), s, m, float(lineage.iou[m]), lineage.threshold,
                         float(cands.candidate_scores[s]), float(cands.candidate_scores[m]))
    proposal = -1
    if code == KEPT:
        proposal = int(torch.nonzero(cands.keep == m).flatten()[0])
    return CandidateFate("rpn", m, int(cands.candidate_anchor[m]), proposal, -1, float(cands.candidate_scores[m]),
                         _FATE_OF_CODE[code], by, -1)


def anchor_fate(replay: "Replay", anchor: int) -> CandidateFate:
    """Why anchor `anchor` (index into trace.anchors) did or did not become a proposal."""
    trace = replay.trace
    a = _index(anchor, int(trace.anchors.shape[0]), "provenance.anchor_index")
    hit = torch.nonzero(replay.rpn_candidates.candidate_anchor == a).flatten()
    if hit.numel():
        return rpn_fate(replay, int(hit[0]))
    score = float(torch.sigmoid(trace.objectness[a]))
    return CandidateFate("rpn", -1, a, -1, -1, score, "not_in_top_k", None, -1)


def box_fate(replay: "Replay", proposal: int, label: int) -> CandidateFate:
    """Why the class-`label` box refined from proposal `proposal` is or is not a detection."""
    trace = replay.trace
    classes = len(trace.categories) - 1
    p = _index(proposal, len(replay.proposals), "explain.proposal_index")
    try:
        c = operator.index(label)
    except TypeError:
        raise InputError("provenance.label", label=label, high=classes) from None
    if not 1 <= c <= classes:
        raise InputError("provenance.label", label=label, high=classes)
    return _box_fate(replay, p * classes + c - 1)


def _box_fate(replay: "Replay", flat: int) -> CandidateFate:
    lineage = box_lineage(replay)
    code = int(lineage.fate[flat])
    p, c = int(lineage.proposal[flat]), int(lineage.labels[flat])
    by = None
    if code == REMOVED_NMS:
        s = int(lineage.suppressor[flat])
        by = Suppression("box", c, s, flat, float(lineage.iou[flat]), lineage.threshold,
                         float(lineage.scores[s]), float(lineage.scores[flat]))
    return CandidateFate("box", flat, int(replay.proposals.anchor_index[p]), p, c, float(lineage.scores[flat]),
                         _FATE_OF_CODE[code], by, int(lineage.detection[flat]))


def provenance(replay: "Replay", i: int) -> DetectionProvenance:
    """Detection i: its proposal, anchor, objectness, both refinements and everything it suppressed."""
    story = explain(replay, i)  # checks i
    trace = replay.trace
    dets = replay.detections
    p, label = story.proposal_index, story.label
    m = int(replay.rpn_candidates.keep[p])
    flat = p * (len(trace.categories) - 1) + label - 1
    cands = replay.rpn_candidates
    rpn = rpn_lineage(replay)
    victims = torch.nonzero(rpn.suppressor == m).flatten().tolist()
    rpn_suppressed = tuple(
        Suppression("rpn", story.level, m, v, float(rpn.iou[v]), rpn.threshold, float(cands.candidate_scores[m]),
                    float(cands.candidate_scores[v]))
        for v in victims
    )
    box = box_lineage(replay)
    victims = torch.nonzero(box.suppressor == flat).flatten().tolist()
    box_suppressed = tuple(
        Suppression("box", label, flat, v, float(box.iou[v]), box.threshold, float(box.scores[flat]),
                    float(box.scores[v]))
        for v in victims
    )
    return DetectionProvenance(
        detection_index=story.detection_index,
        label=label,
        label_name=story.label_name,
        score=float(dets.scores[story.detection_index]),
        proposal_index=p,
        rpn_candidate=m,
        box_candidate=flat,
        anchor=anchor_info(trace, int(cands.candidate_anchor[m])),
        objectness=story.objectness,
        story=story,
        rpn_suppressed=_by_score(rpn_suppressed),
        box_suppressed=_by_score(box_suppressed),
    )


def _by_score(items: tuple[Suppression, ...]) -> tuple[Suppression, ...]:
    return tuple(sorted(items, key=lambda s: -s.suppressed_score))


def _index(value: int, count: int, code: str, **params: str) -> int:
    try:
        index = operator.index(value)
    except TypeError:
        raise InputError(code, index=value, count=count, **params) from None
    if not 0 <= index < count:
        raise InputError(code, index=value, count=count, **params)
    return index
