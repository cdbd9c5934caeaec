"""From anchor to box, in this image's numbers: the anchor, the RPN's refinement into a proposal, the RoI head's
refinement into a detection — each read out of the decode the model itself ran (inspectors.core.box_coding).

Boxes are in the resized frame (what the heads saw) unless a field says `_original`; deltas are the raw network
outputs exactly as BoxCoder.decode receives them (before the division by the coder's weights). `.proposal` and
`.detection` are the replay's own boxes; the DecodeSteps recompute them with every intermediate and end in the same
numbers (tests hold them there).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import Tensor

from inspectors.core.box_coding import DecodeStep, decode_step, decode_terms
from inspectors.core.errors import InputError
from inspectors.core.trace import AnchorPosition, AtAnchor

if TYPE_CHECKING:
    from inspectors.core.trace import Trace
    from inspectors.pipeline.replay import Replay


@dataclass(frozen=True)
class AnchorInfo(AtAnchor):
    """The anchor a story starts from: where it sits (`.anchor`, and `.level`, `.cell`, `.shape`, `.size`, …) and
    its box."""

    anchor: AnchorPosition
    box: tuple[float, float, float, float]  # resized frame
    box_original: tuple[float, float, float, float]
    centre: tuple[float, float]  # (x, y), resized frame
    width: float
    height: float

    @property
    def index(self) -> int:
        """Into trace.anchors."""
        return self.anchor.index


@dataclass(frozen=True)
class ProposalStory:
    """Anchor → proposal: the RPN's half of the story."""

    proposal_index: int  # into replay.proposals
    anchor: Tensor  # (4,) resized frame
    rpn_deltas: Tensor  # (4,) the RPN's (tx, ty, tw, th) for this anchor
    proposal: Tensor  # (4,) decoded and clipped: the box the RoI head pooled
    level: int
    cell: tuple[int, int]  # (y, x)
    shape: int
    anchor_info: AnchorInfo
    rpn: DecodeStep  # the numbers of the first refinement
    objectness: float  # probability, as the RPN ranked it
    objectness_logit: float


@dataclass(frozen=True)
class BoxStory(ProposalStory):
    """Anchor → proposal → detection: both refinements of one detection."""

    detection_index: int
    head_deltas: Tensor  # (4,) the RoI head's deltas for the detection's class
    detection: Tensor  # (4,) decoded and clipped, resized frame (= replay.detections.boxes_resized[i])
    head: DecodeStep  # the numbers of the second refinement
    label: int
    label_name: str
    class_score: float  # softmax probability of the class (= the detection's score)
    class_logit: float


def anchor_info(trace: "Trace", index: int) -> AnchorInfo:
    box = trace.anchors[index]
    w, h = box[2] - box[0], box[3] - box[1]
    return AnchorInfo(
        anchor=trace.anchor_position(int(index)),
        box=_four(box),
        box_original=_four(trace.to_original(box[None])[0]),
        centre=(float(box[0] + 0.5 * w), float(box[1] + 0.5 * h)),
        width=float(w),
        height=float(h),
    )


def explain_proposal(replay: "Replay", k: int) -> ProposalStory:
    """The story of proposal k (into replay.proposals): its anchor and the RPN's refinement."""
    k = _index(k, len(replay.proposals), "explain.proposal_index")
    return ProposalStory(**_rpn_part(replay, k))


def explain(replay: "Replay", i: int) -> BoxStory:
    """The story of detection i: anchor → proposal (RPN deltas) → detection (RoI-head deltas for its class)."""
    detections = replay.detections
    i = _index(i, len(detections), "explain.detection_index")
    trace = replay.trace
    if detections.proposal_index is None:
        raise ValueError("these detections do not say which proposal each came from")
    p = int(detections.proposal_index[i])
    label = int(detections.labels[i])
    with torch.inference_mode():
        proposals = replay.proposals.boxes_resized
        # The same (P, classes) outputs box_postprocess decoded, read from the head cache that replay filled.
        class_logits, box_regression = trace.cache.heads.get(replay.proposals.anchor_index)
        spec = trace.config.roi_box_coder
        terms = decode_terms(spec, box_regression, proposals)
        head = decode_step("box", spec, terms, box_regression, proposals, p, label, trace.resized_size,
                           trace.to_original)
        scores = F.softmax(class_logits, -1)
        deltas = box_regression[p, 4 * label : 4 * label + 4]
    return BoxStory(
        **_rpn_part(replay, p),
        detection_index=i,
        head_deltas=deltas.detach().cpu().clone(),
        detection=detections.boxes_resized[i].detach().cpu().clone(),
        head=head,
        label=label,
        label_name=trace.categories[label],
        class_score=float(scores[p, label]),
        class_logit=float(class_logits[p, label]),
    )


def _rpn_part(replay: "Replay", k: int) -> dict:
    trace = replay.trace
    a = int(replay.proposals.anchor_index[k])
    with torch.inference_mode():
        spec = trace.config.rpn_box_coder
        deltas, anchors, row = trace.rpn_deltas[a : a + 1], trace.anchors[a : a + 1], 0
        terms = decode_terms(spec, deltas, anchors)
        if not torch.equal(terms.boxes[0, 0], trace.decoded_anchors[a]):
            # This build's kernels gave another last bit for one row than for the whole batch: redo the decode the
            # way capture ran it (torchvision's RPN forward, all anchors at once) and read the row from there.
            deltas, anchors, row = trace.rpn_deltas, trace.anchors, a
            terms = decode_terms(spec, deltas, anchors)
        rpn = decode_step("rpn", spec, terms, deltas, anchors, row, 0, trace.resized_size, trace.to_original)
    info = anchor_info(trace, a)
    return dict(
        proposal_index=k,
        anchor=trace.anchors[a].detach().cpu().clone(),
        rpn_deltas=trace.rpn_deltas[a].detach().cpu().clone(),
        proposal=replay.proposals.boxes_resized[k].detach().cpu().clone(),
        level=info.level,
        cell=info.cell,
        shape=info.shape,
        anchor_info=info,
        rpn=rpn,
        objectness=float(replay.proposals.scores[k]),
        objectness_logit=float(trace.objectness[a]),
    )


def _index(value: int, count: int, code: str) -> int:
    try:
        index = operator.index(value)
    except TypeError:
        raise InputError(code, index=value, count=count) from None
    if not 0 <= index < count:
        raise InputError(code, index=value, count=count)
    return index


def _four(t: Tensor) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (float(v) for v in t.reshape(4).cpu())
    return x1, y1, x2, y2
