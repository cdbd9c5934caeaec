"""The funnel: for every ground-truth object, the best IoU any box reaches at every stage of the detector.

    anchors → decoded → top_k → clip_small → rpn_score → rpn_nms → post_nms_top_n        (class-agnostic boxes)
    → roi_head → box_score → box_nms → detections_per_img                              (boxes of the object's class)
    → matched                                                                         (its COCO match, if any)
    → mask                          (Mask R-CNN, ground truth with masks: the matched detection's mask IoU)

Stage by stage: every anchor; every anchor moved by its regression (before clipping); the candidates of the
per-level top-k (still unclipped); clipped and not removed as small; at or above the RPN score threshold; kept by
the RPN's NMS; within the post-NMS top-n (the proposals); every proposal refined by the RoI head for the object's
class; above the detection score threshold (and not tiny); kept by per-class NMS; within the detections per
image; and the detection COCO's matching gives the object. An object is lost at the first stage after which no
box reaches IoU ≥ t (t = 0.5 by default): the stage after the last one that reached it. It is detected (lost_at
None) exactly when it has a true-positive match. Boxes can get better between stages (regression, clipping), so
the IoUs need not fall monotonically.

With a Mask R-CNN and annotations with masks the funnel has one more stage, `mask` (MASK_STAGES): "box found, mask
IoU below the threshold" — the object's box was matched, but that detection's binary mask (probability > the mask
threshold) overlaps the object's mask by less than t. Its IoU is that mask IoU (pycocotools'); lost_at is "mask"
then, and None only when box and mask are both good. A Faster R-CNN's funnel is unchanged.

All IoUs are COCO's (inspectors.evaluation.matching.coco_iou) in original pixels, so the last stages agree with the
evaluation to the bit. (The anchor-label analysis reports the matcher's own IoU, torchvision's box_iou in the
resized frame; the two agree to float precision, IoU being unchanged by the resize.) The parts that do not
depend on the final-stage sliders are memoised on the trace.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence

import numpy as np
import torch
from torchvision.ops import box_iou

from inspectors.evaluation.matching import box_iou_xyxy
from inspectors.rpn.filter import KEPT, REMOVED_NMS, REMOVED_SCORE, REMOVED_SMALL, REMOVED_TOP_N
from inspectors.teaching.nms import suppresses, visit_order
from inspectors.teaching.nms_walkthrough import box_stage_candidates, rpn_nms_boxes
from inspectors.teaching.provenance import nms_suppressor

if TYPE_CHECKING:
    from inspectors.core.trace import Trace
    from inspectors.ground_truth.annotations import GroundTruth
    from inspectors.pipeline.replay import Replay

STAGES: tuple[str, ...] = (
    "anchors",
    "decoded",
    "top_k",
    "clip_small",
    "rpn_score",
    "rpn_nms",
    "post_nms_top_n",
    "roi_head",
    "box_score",
    "box_nms",
    "detections_per_img",
    "matched",
)
RPN_STAGES = STAGES[:7]
MASK_STAGE = "mask"
MASK_STAGES: tuple[str, ...] = STAGES + (MASK_STAGE,)  # the funnel of a mask model on ground truth with masks
# What `StageBest.index` points into, per stage.
INDEX_KIND = {
    "anchors": "anchor",
    "decoded": "anchor",
    "top_k": "rpn_candidate",
    "clip_small": "rpn_candidate",
    "rpn_score": "rpn_candidate",
    "rpn_nms": "rpn_candidate",
    "post_nms_top_n": "rpn_candidate",
    "roi_head": "box_candidate",
    "box_score": "box_candidate",
    "box_nms": "box_candidate",
    "detections_per_img": "detection",
    "matched": "detection",
    "mask": "detection",
}


@dataclass(frozen=True)
class StageBest:
    iou: float  # 0.0 when no box of the stage overlaps the object (or there is none)
    index: Optional[int]  # into what INDEX_KIND[stage] names; None when the stage has no box for the object
    box: Optional[tuple[float, float, float, float]]  # original frame


@dataclass(frozen=True)
class NmsRemoval:
    """An NMS removal: the object's best box at the stage before NMS and the kept box that removed it."""

    removed: int  # the object's best candidate before NMS (rpn_candidate / box_candidate index)
    by: int  # the candidate that removed it (same kind)
    by_box: tuple[float, float, float, float]  # original frame
    by_score: float
    iou: float  # IoU between the two, as NMS computed it (> the NMS threshold)
    by_iou_with_object: float  # how well the remover itself covers the object


@dataclass(frozen=True)
class HeadVerdict:
    """What the RoI head says about the object's best proposal."""

    proposal: int  # index into the replay's proposals
    true_class_prob: float  # softmax probability of the object's class
    preferred_class: int  # argmax over all classes, background (0) included
    preferred_name: str
    preferred_prob: float


@dataclass(frozen=True)
class FunnelRecord:
    index: int  # position in the ground truth's objects (report.gt: the objects whose class the model knows)
    object_id: Any  # the object's id in the annotation file
    name: str
    label: int
    box: tuple[float, float, float, float]  # original frame
    best_iou: Mapping[str, float]  # stage → best IoU
    best: Mapping[str, StageBest]
    lost_at: Optional[str]  # the stage after which no box reaches IoU ≥ iou_threshold; None when detected
    iou_threshold: float
    rpn_nms: Optional[NmsRemoval]  # when its best candidate entering the RPN's NMS was removed there
    box_nms: Optional[NmsRemoval]  # when its best class box entering per-class NMS was removed there
    head: Optional[HeadVerdict]
    detection: Optional[int]  # the detection matched to it (TP at iou_threshold), index into replay.detections
    detection_score: Optional[float]
    mask_iou: Optional[float] = None  # (masks) that detection's mask IoU with the object's mask; None: no masks/match

    @property
    def detected(self) -> bool:
        return self.lost_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "id": self.object_id if isinstance(self.object_id, (int, str)) else str(self.object_id),
            "name": self.name,
            "box": _round(self.box),
            "lost_at": self.lost_at,
            "detected": self.detected,
            "best_iou": {k: round(v, 4) for k, v in self.best_iou.items()},
            "best_box": {k: _round(b.box) if b.box else None for k, b in self.best.items()},
            "rpn_nms_suppressed_by": _suppression_dict(self.rpn_nms),
            "box_nms_suppressed_by": _suppression_dict(self.box_nms),
            "head": None if self.head is None else {
                "proposal": self.head.proposal,
                "true_class_prob": round(self.head.true_class_prob, 4),
                "preferred_class": self.head.preferred_name,
                "preferred_prob": round(self.head.preferred_prob, 4),
            },
            "detection": self.detection,
            "detection_score": None if self.detection_score is None else round(self.detection_score, 4),
            **({} if MASK_STAGE not in self.best_iou else
               {"mask_iou": None if self.mask_iou is None else round(self.mask_iou, 4)}),
        }


# ---- slider-independent: anchors and decoded anchors ------------------------------------------------------
@dataclass
class AnchorStages:
    anchors: list[StageBest]
    decoded: list[StageBest]


def anchor_stages(trace: "Trace", gt: "GroundTruth") -> AnchorStages:
    """Each object's best anchor and best decoded anchor (every anchor, whatever the thresholds)."""
    with torch.inference_mode():
        anchors = trace.to_original(trace.anchors).cpu().numpy()
        decoded = trace.to_original(trace.decoded_anchors).cpu().numpy()
    return AnchorStages(anchors=_best_per_object(anchors, gt.boxes), decoded=_best_per_object(decoded, gt.boxes))


# ---- per RPN setting: the RPN's stages and the RoI head ---------------------------------------------------
@dataclass
class RpnStages:
    best: dict[str, list[StageBest]]  # top_k … roi_head, per object
    rpn_nms: list[Optional[NmsRemoval]]
    head: list[Optional[HeadVerdict]]
    class_ious: np.ndarray  # (N, P) IoU of each proposal's box for the object's class with the object
    class_boxes: np.ndarray  # (N, P, 4) those boxes, original frame
    proposal_best_iou: np.ndarray  # (N,) best IoU over the proposals (= post_nms_top_n), for recall


def rpn_stages(trace: "Trace", replay: "Replay", gt: "GroundTruth") -> RpnStages:
    """Each object's best box at the RPN's stages and at the RoI head, at the replay's RPN settings."""
    filtered = replay.rpn_candidates
    fate = filtered.fate.cpu().numpy()
    with torch.inference_mode():
        unclipped = trace.to_original(trace.decoded_anchors[filtered.candidate_anchor]).cpu().numpy()
        clipped = trace.to_original(filtered.candidate_boxes).cpu().numpy()
    iou_unclipped = box_iou_xyxy(unclipped, gt.boxes)
    iou_clipped = box_iou_xyxy(clipped, gt.boxes)
    alive = {
        "clip_small": fate != REMOVED_SMALL,
        "rpn_score": (fate != REMOVED_SMALL) & (fate != REMOVED_SCORE),
        "rpn_nms": (fate == KEPT) | (fate == REMOVED_TOP_N),
        "post_nms_top_n": fate == KEPT,
    }
    best: dict[str, list[StageBest]] = {"top_k": _best_per_object(unclipped, gt.boxes, ious=iou_unclipped)}
    for stage, mask in alive.items():
        best[stage] = _best_per_object(clipped, gt.boxes, ious=iou_clipped, mask=mask)
    suppressions = _rpn_nms_suppressions(replay, best["rpn_score"], fate, clipped, iou_clipped)
    class_boxes, class_ious, best["roi_head"], heads = _roi_head_stage(trace, replay, gt, best["post_nms_top_n"])
    proposal_best = np.array([b.iou for b in best["post_nms_top_n"]], dtype=np.float64)
    return RpnStages(best=best, rpn_nms=suppressions, head=heads, class_ious=class_ious, class_boxes=class_boxes,
                     proposal_best_iou=proposal_best)


def _rpn_nms_suppressions(replay: "Replay", before_nms: list[StageBest], fate: np.ndarray, clipped: np.ndarray,
                          ious: np.ndarray) -> list[Optional[NmsRemoval]]:
    """Which kept proposal removed each object's best candidate in the RPN's NMS (batched by level), as the NMS
    player's walk (teaching.nms_walkthrough) says, without walking the level: greedy NMS removes a box at the
    first box it keeps, in its visiting order, that overlaps the box by more than the threshold, so the remover
    is the first of the level's NMS survivors (fate KEPT or cut by post-NMS top-n) visited before the box whose
    IoU with it — the walk's IoU: box_iou on the coordinates NMS was given — passes `suppresses`."""
    out: list[Optional[NmsRemoval]] = [None] * len(before_nms)
    removed = [i for i, b in enumerate(before_nms) if b.index is not None and fate[b.index] == REMOVED_NMS]
    if not removed:
        return out
    candidates = replay.rpn_candidates
    scores = candidates.candidate_scores
    source = candidates.pre_nms.cpu()  # the candidate behind each NMS input (replay.pre_nms order)
    position = {c: k for k, c in enumerate(source.tolist())}
    survived = torch.as_tensor((fate == KEPT) | (fate == REMOVED_TOP_N))  # by candidate
    threshold = float(replay.settings["rpn_nms_thresh"])
    with torch.inference_mode():
        levels = replay.pre_nms.levels.cpu()
        level_scores = torch.as_tensor(replay.pre_nms.scores, dtype=torch.float32).cpu()
        nms_boxes = torch.as_tensor(rpn_nms_boxes(replay), dtype=torch.float32).cpu()
        visited: dict[int, torch.Tensor] = {}  # level -> its NMS inputs (pre_nms positions) in visiting order
        for i in removed:
            k = position[int(before_nms[i].index)]  # type: ignore[arg-type]
            level = int(levels[k])
            if level not in visited:
                members = torch.nonzero(levels == level).flatten()
                visited[level] = members[visit_order(level_scores[members])]
            order = visited[level]
            earlier = order[: int(torch.nonzero(order == k).flatten()[0])]
            kept = earlier[survived[source[earlier]]]
            if kept.numel() == 0:
                continue
            overlap = box_iou(nms_boxes[kept], nms_boxes[k : k + 1])[:, 0]
            hits = torch.nonzero(suppresses(overlap, threshold)).flatten()
            if hits.numel() == 0:
                continue
            by, iou = int(source[kept[int(hits[0])]]), float(overlap[int(hits[0])])
            out[i] = NmsRemoval(removed=int(before_nms[i].index),  # type: ignore[arg-type]
                                by=by, by_box=_box4(clipped[by]), by_score=float(scores[by]), iou=iou,
                                by_iou_with_object=float(ious[by, i]))
    return out


def _roi_head_stage(trace: "Trace", replay: "Replay", gt: "GroundTruth", proposals_best: list[StageBest]
                    ) -> tuple[np.ndarray, np.ndarray, list[StageBest], list[Optional[HeadVerdict]]]:
    """Every proposal refined by the RoI head for each object's class (boxes, IoUs, the best one), and the head's
    verdict on each object's best proposal."""
    n = len(gt)
    candidates = box_stage_candidates(replay)
    num_fg = int(trace.class_logits.shape[-1]) - 1
    num_proposals = len(replay.proposals)
    with torch.inference_mode():
        all_boxes = trace.to_original(candidates.boxes).cpu().numpy().reshape(num_proposals, num_fg, 4)
    labels = gt.labels if gt.labels is not None else np.zeros(n, dtype=np.int64)
    class_boxes = np.stack([all_boxes[:, int(c) - 1] for c in labels]) if n else np.zeros((0, num_proposals, 4))
    class_ious = np.stack([box_iou_xyxy(class_boxes[i], gt.boxes[i : i + 1])[:, 0] for i in range(n)]) \
        if n else np.zeros((0, num_proposals))
    best = [_best_from_row(class_ious[i], class_boxes[i], num_fg, int(labels[i])) for i in range(n)]
    proposal_of_candidate = {int(c): p for p, c in enumerate(replay.rpn_candidates.keep.cpu().numpy())}
    heads = [None if b.index is None else _verdict(trace, replay, proposal_of_candidate[b.index], int(labels[i]))
             for i, b in enumerate(proposals_best)]
    return class_boxes, class_ious, best, heads


def _verdict(trace: "Trace", replay: "Replay", proposal: int, label: int) -> HeadVerdict:
    anchor = replay.proposals.anchor_index[proposal : proposal + 1]
    with trace.cache.lock:
        logits, _ = trace.cache.heads.get(anchor)
    probs = torch.softmax(logits[0].float(), -1)
    preferred = int(probs.argmax())
    return HeadVerdict(
        proposal=proposal,
        true_class_prob=float(probs[label]),
        preferred_class=preferred,
        preferred_name=trace.categories[preferred],
        preferred_prob=float(probs[preferred]),
    )


# ---- per final-stage setting -------------------------------------------------------------------------------
def funnel_records(
    trace: "Trace",
    replay: "Replay",
    gt: "GroundTruth",
    anchors: AnchorStages,
    rpn: RpnStages,
    object_match: np.ndarray,
    match_ious: np.ndarray,
    iou_threshold: float,
) -> list[FunnelRecord]:
    """The funnel of every object at the replay's final-stage settings. `object_match` (N,) is each object's
    matched detection at `iou_threshold` (−1 if none) and `match_ious` (D, N) the detections' IoUs with the
    objects, both from the evaluation."""
    selection = replay.box_selection
    if selection is None or selection.after_small is None or selection.after_nms is None \
            or selection.candidate_index is None:
        raise ValueError("this replay kept no final-stage lineage")
    num_fg = int(trace.class_logits.shape[-1]) - 1
    after_small = selection.after_small.cpu().numpy()
    after_nms = selection.after_nms.cpu().numpy()
    final = selection.candidate_index.cpu().numpy()
    detections = replay.detections
    det_boxes = detections.boxes.cpu().numpy()
    det_scores = detections.scores.cpu().numpy()
    labels = gt.labels if gt.labels is not None else np.zeros(len(gt), dtype=np.int64)
    box_nms = _BoxNmsLineage(replay, after_nms, num_fg)
    records: list[FunnelRecord] = []
    for i in range(len(gt)):
        label = int(labels[i])
        row, boxes = rpn.class_ious[i], rpn.class_boxes[i]
        score_best = _best_among(after_small, row, boxes, num_fg, label)
        nms_best = _best_among(after_nms, row, boxes, num_fg, label)
        det_best = _best_among(final, row, boxes, num_fg, label, positions=True)
        if det_best.index is not None:  # the detection itself, as the evaluation sees it
            det_best = StageBest(det_best.iou, det_best.index, _box4(det_boxes[det_best.index]))
        d = int(object_match[i])
        matched = StageBest(float(match_ious[d, i]), d, _box4(det_boxes[d])) if d >= 0 else \
            StageBest(0.0, None, None)
        best = {
            "anchors": anchors.anchors[i],
            "decoded": anchors.decoded[i],
            **{stage: rpn.best[stage][i] for stage in ("top_k", "clip_small", "rpn_score", "rpn_nms",
                                                       "post_nms_top_n", "roi_head")},
            "box_score": score_best,
            "box_nms": nms_best,
            "detections_per_img": det_best,
            "matched": matched,
        }
        records.append(FunnelRecord(
            index=i,
            object_id=gt.ids[i] if i < len(gt.ids) else i,
            name=gt.names[i],
            label=label,
            box=_box4(gt.boxes[i]),
            best_iou={s: best[s].iou for s in STAGES},
            best=best,
            lost_at=lost_at({s: best[s].iou for s in STAGES}, d >= 0, iou_threshold),
            iou_threshold=iou_threshold,
            rpn_nms=rpn.rpn_nms[i],
            box_nms=box_nms.suppression(score_best, row, boxes),
            head=rpn.head[i],
            detection=d if d >= 0 else None,
            detection_score=float(det_scores[d]) if d >= 0 else None,
        ))
    return records


def with_mask_stage(record: FunnelRecord, mask_iou: Optional[float]) -> FunnelRecord:
    """The record with the mask stage: `mask_iou` is its matched detection's mask IoU (None when no detection was
    matched). Lost at "mask" when the box was found but the mask IoU is below the record's IoU threshold."""
    iou = 0.0 if mask_iou is None or not np.isfinite(mask_iou) else float(mask_iou)
    d = record.detection
    stage = StageBest(iou, d, record.best["matched"].box) if d is not None else StageBest(0.0, None, None)
    lost = record.lost_at
    if lost is None and iou < record.iou_threshold:
        lost = MASK_STAGE
    return replace(record, best_iou={**record.best_iou, MASK_STAGE: iou}, best={**record.best, MASK_STAGE: stage},
                   lost_at=lost, mask_iou=None if d is None else iou)


def lost_at(best_iou: Mapping[str, float], matched: bool, iou_threshold: float) -> Optional[str]:
    """None when matched; else the stage after the last one where a box reached `iou_threshold` (the first stage
    when none ever did)."""
    if matched:
        return None
    reached = [i for i, stage in enumerate(STAGES) if best_iou[stage] >= iou_threshold]
    return STAGES[reached[-1] + 1] if reached else STAGES[0]


class _BoxNmsLineage:
    """Per-class NMS of the final stage: which box removed an object's best box, read from the replay's one NMS
    lineage (teaching.provenance: the walk the NMS player shows), for that class only."""

    def __init__(self, replay: "Replay", after_nms: np.ndarray, num_fg: int) -> None:
        self.replay, self.num_fg = replay, num_fg
        self.survived = np.zeros(box_stage_candidates(replay).scores.shape[0], dtype=bool)
        self.survived[after_nms] = True

    def suppression(self, best: StageBest, row: np.ndarray, boxes: np.ndarray) -> Optional[NmsRemoval]:
        if best.index is None or self.survived[best.index]:
            return None
        found = nms_suppressor(self.replay, "box", best.index)
        if found is None:  # never entered the NMS (score, tiny box)
            return None
        by, iou = found
        proposal = by // self.num_fg
        return NmsRemoval(removed=best.index, by=by, by_box=_box4(boxes[proposal]),
                          by_score=float(box_stage_candidates(self.replay).scores[by]), iou=iou,
                          by_iou_with_object=float(row[proposal]))


def _best_per_object(boxes: np.ndarray, objects: np.ndarray, *, ious: Optional[np.ndarray] = None,
                     mask: Optional[np.ndarray] = None) -> list[StageBest]:
    if ious is None:
        ious = box_iou_xyxy(boxes, objects)
    out = []
    idx = np.flatnonzero(mask) if mask is not None else None
    for i in range(objects.shape[0]):
        col = ious[:, i] if idx is None else ious[idx, i]
        if col.size == 0:
            out.append(StageBest(0.0, None, None))
            continue
        j = int(col.argmax())
        k = j if idx is None else int(idx[j])
        out.append(StageBest(float(col[j]), k, _box4(boxes[k])))
    return out


def _best_from_row(row: np.ndarray, boxes: np.ndarray, num_fg: int, label: int) -> StageBest:
    if row.size == 0:
        return StageBest(0.0, None, None)
    p = int(row.argmax())
    return StageBest(float(row[p]), p * num_fg + label - 1, _box4(boxes[p]))


def _best_among(candidates: np.ndarray, row: np.ndarray, boxes: np.ndarray, num_fg: int, label: int,
                positions: bool = False) -> StageBest:
    """Best IoU among box candidates (indices proposal × num_fg + class − 1) of the object's class. With
    `positions`, the index returned is the position in `candidates` (a detection index)."""
    of_class = np.flatnonzero(candidates % num_fg == label - 1)
    if of_class.size == 0:
        return StageBest(0.0, None, None)
    proposals = candidates[of_class] // num_fg
    j = int(row[proposals].argmax())
    index = int(of_class[j]) if positions else int(candidates[of_class[j]])
    return StageBest(float(row[proposals[j]]), index, _box4(boxes[proposals[j]]))


def _box4(row: np.ndarray) -> tuple[float, float, float, float]:
    """A (4,) box row as four Python floats."""
    x1, y1, x2, y2 = (float(v) for v in row)
    return x1, y1, x2, y2


def _round(box: Optional[Sequence[float]]) -> Optional[list[float]]:
    return None if box is None else [round(float(v), 2) for v in box]


def _suppression_dict(s: Optional[NmsRemoval]) -> Optional[dict[str, Any]]:
    if s is None:
        return None
    return {"removed": s.removed, "by": s.by, "by_box": _round(s.by_box), "by_score": round(s.by_score, 4),
            "iou": round(s.iou, 4), "by_iou_with_object": round(s.by_iou_with_object, 4)}
