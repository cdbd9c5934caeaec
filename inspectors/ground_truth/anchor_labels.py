"""Anchor labels: which anchors the RPN would learn from for this image, with the model's own training rule.

torchvision's RegionProposalNetwork.assign_targets_to_anchors, run with the matcher rebuilt from the trace's
snapshot (fg IoU ≥ 0.7 → positive, < 0.3 → negative, in between → ignored; with low-quality matches, every object
also gets its best anchors as positives) on the captured anchors and the objects resized like the model's
transform resizes training targets. On top: counts per level, each object's best anchor, the objects that get a
positive anchor only through the low-quality rule (no anchor reaches the fg threshold: the anchor shapes do not fit
them), the anchors one training step would sample (fg_bg_sampler, seeded; the same draw as `losses`), and the
paper's rule beside torchvision's (the paper ignored anchors crossing the image border in training).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor
from torchvision.ops import boxes as box_ops

from inspectors.core.trace import AnchorPosition, AtAnchor
from inspectors.ground_truth.training_step import consume_transform_draw, seeded_training_rng, training_rpn
from inspectors.rpn.anchors import inside_mask

if TYPE_CHECKING:
    from inspectors.core.trace import Trace

POSITIVE, NEGATIVE, IGNORED = 1.0, 0.0, -1.0  # torchvision's label values


@dataclass(frozen=True)
class LevelLabelCounts:
    level: str
    positive: int
    negative: int
    ignored: int
    sampled_positive: int
    sampled_negative: int
    total: int


@dataclass(frozen=True)
class ObjectAnchors(AtAnchor):
    """How the training rule treats one object (in gt order): its best anchor (`.anchor`, and `.level`, `.y`,
    `.x`, `.shape`, …) with their IoU, and how many anchors it gets as positives."""

    index: int  # the object, in gt order
    anchor: AnchorPosition  # its best anchor (the first of equals)
    best_iou: float  # its IoU with the object, as the matcher saw it (resized frame)
    positives: int  # anchors labelled positive for this object
    low_quality_only: bool  # no anchor reaches the fg threshold: its positives come from the low-quality rule

    @property
    def best_anchor(self) -> int:
        """Flat anchor index of its best anchor."""
        return self.anchor.index


@dataclass(frozen=True)
class BorderRule:
    """The paper's training rule beside torchvision's: anchors crossing the image border are ignored."""

    crossing: int  # anchors not fully inside the resized image
    inside: int
    labels: Tensor  # (A,) the labels under the paper's rule (matched among inside anchors only)
    positive: int
    negative: int
    positives_lost: int  # torchvision positives that the paper would not train on (they cross the border)
    negatives_lost: int
    objects_without_positive: tuple[int, ...]  # objects that no inside anchor is positive for


@dataclass
class AnchorLabels:
    labels: Tensor  # (A,) float32: 1 positive, 0 negative, −1 ignored (torchvision's values)
    matched: Tensor  # (A,) the Matcher's output: object index, −1 below bg, −2 between thresholds
    ious: Tensor  # (N,) each object's best anchor IoU
    fg_iou: float
    bg_iou: float
    allow_low_quality: bool
    per_level: list[LevelLabelCounts]
    objects: list[ObjectAnchors]
    sampled_positive: Tensor  # anchor indices one training step would sample (seeded)
    sampled_negative: Tensor
    seed: int
    batch_size_per_image: int
    positive_fraction: float
    border: BorderRule

    @property
    def counts(self) -> dict[str, int]:
        return {
            "positive": int((self.labels == POSITIVE).sum()),
            "negative": int((self.labels == NEGATIVE).sum()),
            "ignored": int((self.labels == IGNORED).sum()),
            "sampled_positive": int(self.sampled_positive.numel()),
            "sampled_negative": int(self.sampled_negative.numel()),
        }

    @property
    def low_quality_objects(self) -> list[int]:
        return [o.index for o in self.objects if o.low_quality_only]


def assign_labels(trace: "Trace", boxes_resized: Tensor, anchors: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """torchvision's labels (and the matcher's object index) for `anchors` (default: all) and objects."""
    anchors = trace.anchors if anchors is None else anchors
    targeter = training_rpn(trace.config)
    labels, _ = targeter.assign_targets_to_anchors([anchors], [{"boxes": boxes_resized}])
    if boxes_resized.numel() == 0:
        matched = torch.full((anchors.shape[0],), -1, dtype=torch.int64, device=anchors.device)
    else:
        matched = targeter.proposal_matcher(box_ops.box_iou(boxes_resized, anchors))
    return labels[0], matched


def sample_anchors(trace: "Trace", labels: Tensor, seed: int) -> tuple[Tensor, Tensor]:
    """The anchors the RPN's fg_bg_sampler picks in one training step seeded with `seed` (the global RNG is left
    as it was). The draw order is a training step's: the transform's size choice first, then this sampler."""
    sampler = trace.config.rpn_sampler.build()
    with seeded_training_rng(trace.device, seed):
        consume_transform_draw(trace)
        pos, neg = sampler([labels])
    return torch.where(pos[0])[0], torch.where(neg[0])[0]


def anchor_labels(trace: "Trace", boxes_resized: Tensor, seed: int = 0) -> AnchorLabels:
    """The RPN's training labels for every anchor of `trace` and the objects `boxes_resized` (resized frame)."""
    with torch.inference_mode():
        labels, matched = assign_labels(trace, boxes_resized)
        pos, neg = sample_anchors(trace, labels, seed)
        spec = trace.config.rpn_matcher
        n = int(boxes_resized.shape[0])
        # (objects, anchors); without objects an empty matrix (box_iou is not called)
        iou = box_ops.box_iou(boxes_resized, trace.anchors) if n else \
            trace.anchors.new_zeros((0, trace.anchors.shape[0]))
        objects = []
        best_iou = torch.zeros(n)
        for i in range(n):
            best, idx = iou[i].max(0)
            best_iou[i] = float(best)
            objects.append(ObjectAnchors(
                index=i, anchor=trace.anchor_position(int(idx)), best_iou=float(best),
                positives=int(((matched == i) & (labels == POSITIVE)).sum()),
                low_quality_only=bool(best < spec.high),
            ))
        sampled_pos = torch.zeros_like(labels, dtype=torch.bool)
        sampled_pos[pos] = True
        sampled_neg = torch.zeros_like(labels, dtype=torch.bool)
        sampled_neg[neg] = True
        per_level = []
        for info in trace.levels:
            part = slice(info.start, info.start + info.count)
            lab = labels[part]
            per_level.append(LevelLabelCounts(
                level=info.name, positive=int((lab == POSITIVE).sum()), negative=int((lab == NEGATIVE).sum()),
                ignored=int((lab == IGNORED).sum()), sampled_positive=int(sampled_pos[part].sum()),
                sampled_negative=int(sampled_neg[part].sum()), total=info.count,
            ))
        border = _border_rule(trace, boxes_resized, labels)
    sampler = trace.config.rpn_sampler
    return AnchorLabels(
        labels=labels, matched=matched, ious=best_iou, fg_iou=spec.high, bg_iou=spec.low,
        allow_low_quality=spec.allow_low_quality, per_level=per_level, objects=objects, sampled_positive=pos,
        sampled_negative=neg, seed=seed, batch_size_per_image=sampler.batch_size_per_image,
        positive_fraction=sampler.positive_fraction, border=border,
    )


def _border_rule(trace: "Trace", boxes_resized: Tensor, labels: Tensor) -> BorderRule:
    """Match among the anchors inside the image only and ignore the rest, as the paper trained (its straddle
    threshold 0); torchvision labels every anchor."""
    inside = inside_mask(trace.anchors, trace.resized_size)
    paper = torch.full_like(labels, IGNORED)
    inside_idx = torch.nonzero(inside).flatten()
    matched_inside = None
    if inside_idx.numel():
        paper_inside, matched_inside = assign_labels(trace, boxes_resized, trace.anchors[inside_idx])
        paper[inside_idx] = paper_inside
    n = int(boxes_resized.shape[0])
    without = []
    for i in range(n):
        if matched_inside is None or not bool(((matched_inside == i) & (paper[inside_idx] == POSITIVE)).any()):
            without.append(i)
    crossing = ~inside
    return BorderRule(
        crossing=int(crossing.sum()), inside=int(inside.sum()), labels=paper,
        positive=int((paper == POSITIVE).sum()), negative=int((paper == NEGATIVE).sum()),
        positives_lost=int((crossing & (labels == POSITIVE)).sum()),
        negatives_lost=int((crossing & (labels == NEGATIVE)).sum()),
        objects_without_positive=tuple(without),
    )
