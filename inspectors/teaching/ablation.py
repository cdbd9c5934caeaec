"""The Faster R-CNN paper's RPN ablations (section 4), replayed on this image — only the RoI heads run again.

kind "no_reg"  The RPN without its box regression: every candidate's ANCHOR box in place of its regressed box,
               through the very same filtering (per-level top-k by objectness, clip, remove small, score
               threshold, NMS per level, post-NMS top-n) — rpn_filter.filter_proposals given the anchors instead
               of the decoded anchors — then the RoI heads on those boxes and the normal postprocess.
kind "no_cls"  The RPN without its objectness: the regressed boxes, ranked by a seeded random order. Anchor a gets
               the score u_a = (r_a + 0.5) / A, where r = torch.randperm(A) from torch.Generator().manual_seed(seed)
               and A = the number of anchors; its logit log(u_a / (1 − u_a)) replaces the objectness logit in the
               same filtering. So the per-level top-k keeps a seeded random subset of each level, NMS visits boxes
               in random order, and rpn_score_thresh (0 by default) drops a random fraction. `proposals.scores` are
               these random scores, not objectness.
boxes          Fast R-CNN's "bring your own RoIs": a list of boxes in original pixels (or `frame="resized"`) go to
               the RoI heads exactly as given (no RPN, no clipping), then the normal postprocess. Only the box_*
               thresholds matter; proposals have no anchor (-1), no level (-1) and no objectness (NaN).

Each result has `.detections` (the same Detections type as replay, original frame, with proposal_index into
`.proposals`) and `.proposals`. The backbone never runs: the heads run on the trace's cached FPN maps through
box_head.run_box_head (under the model lock); results are memoised per trace.
"""

from __future__ import annotations

import hashlib
import math
import operator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, Union

import numpy as np
import torch
from torch import Tensor

from inspectors.core.errors import InputError
from inspectors.core.thresholds import THRESHOLD_KEYS, check_thresholds
from inspectors.core.trace import Detections
from inspectors.pipeline.replay import Proposals, proposals_of, rpn_settings_of
from inspectors.roi.box_head import head_outputs_for_candidates, run_box_head
from inspectors.roi.postprocess import BoxCandidates, BoxSettings, box_candidates, select_detections
from inspectors.rpn.filter import FilterStep, RpnFilterResult, RpnSettings, filter_proposals

if TYPE_CHECKING:
    from inspectors.core.trace import Trace

KINDS = ("no_reg", "no_cls", "boxes")
MAX_BOXES = 10_000  # boxes one "bring your own RoIs" run may send to the RoI heads


@dataclass
class Ablation:
    kind: str  # "no_reg" | "no_cls" | "boxes"
    settings: dict[str, float]  # the seven thresholds used (box mode: the RPN ones are not used)
    seed: Optional[int]  # no_cls only
    proposals: Proposals  # what the RoI heads ran on
    detections: Detections  # original frame; proposal_index into proposals
    rpn_candidates: Optional[RpnFilterResult]  # no_reg / no_cls: the filtering with its lineage
    rpn_steps: list[FilterStep]
    box_steps: list[FilterStep]
    heads_computed: int  # boxes the RoI heads ran on for this call (0 when memoised)
    random_scores: Optional[Tensor] = field(default=None, repr=False)  # no_cls: (A,) the score of every anchor


@dataclass
class _HeadStage:
    """An ablation's proposals with the RoI heads' answer for them (memoised per trace and RPN settings)."""

    filtered: Optional[RpnFilterResult]
    proposals_resized: Tensor
    candidates: BoxCandidates
    heads_computed: int


def ablation(trace: "Trace", kind: Union[str, Sequence, Tensor, np.ndarray], *, seed: int = 0,
             frame: str = "original", **thresholds: Any) -> Ablation:
    """Run one ablation at `thresholds` (any of THRESHOLD_KEYS; the rest at the model's values)."""
    unknown = set(thresholds) - set(THRESHOLD_KEYS)
    if unknown:
        raise TypeError(f"Unknown threshold(s) {sorted(unknown)}; known: {', '.join(THRESHOLD_KEYS)}.")
    settings = {**trace.defaults, **check_thresholds(thresholds)}
    box_settings = BoxSettings(float(settings["box_score_thresh"]), float(settings["box_nms_thresh"]),
                               int(settings["box_detections_per_img"]))
    if isinstance(kind, str):
        if kind not in ("no_reg", "no_cls"):
            raise InputError("ablation.unknown_kind", kind=kind)
        seed_value = _check_seed(seed) if kind == "no_cls" else None
        rpn = rpn_settings_of(trace, settings)
        stage, built = _memo(trace, ("ablation", kind, seed_value, rpn),
                             lambda: _rpn_ablation(trace, kind, rpn, seed_value))
        filtered = stage.filtered
        if filtered is None:  # an RPN ablation's stage always keeps its filtered candidates
            raise ValueError(f"the {kind} ablation kept no RPN candidates")
        proposals = proposals_of(trace, filtered, filtered.keep)
        rpn_steps = [FilterStep("anchors", filtered.steps[0].before, filtered.steps[0].before)] + filtered.steps
        name = kind
    else:
        if frame not in ("original", "resized"):
            raise InputError("frame.unknown", frame=frame)
        boxes = _check_boxes(trace, kind, frame)
        digest = hashlib.sha1(boxes.cpu().numpy().tobytes()).hexdigest()
        stage, built = _memo(trace, ("ablation", "boxes", digest), lambda: _boxes_ablation(trace, boxes))
        n = boxes.shape[0]
        proposals = Proposals(
            boxes=trace.to_original(boxes), boxes_resized=boxes,
            scores=torch.full((n,), float("nan"), device=boxes.device),
            levels=torch.full((n,), -1, dtype=torch.int64, device=boxes.device),
            anchor_index=torch.full((n,), -1, dtype=torch.int64, device=boxes.device),
        )
        rpn_steps, seed_value, filtered, name = [], None, None, "boxes"
    with torch.inference_mode():
        post = select_detections(stage.candidates, box_settings)
        detections = Detections(
            boxes=trace.to_original(post.boxes), boxes_resized=post.boxes, scores=post.scores, labels=post.labels,
            names=[trace.categories[int(i)] for i in post.labels], proposal_index=post.proposal_index,
        )
    return Ablation(
        kind=name,
        settings=settings,
        seed=seed_value,
        proposals=proposals,
        detections=detections,
        rpn_candidates=filtered,
        rpn_steps=rpn_steps,
        box_steps=post.steps,
        heads_computed=stage.heads_computed if built else 0,
        random_scores=random_scores(trace, seed_value) if name == "no_cls" and seed_value is not None else None,
    )


def _memo(trace: "Trace", key: tuple, build: Callable[[], _HeadStage]) -> tuple[_HeadStage, bool]:
    """trace.cache.extra, telling whether the entry was built by this call."""
    built: list[bool] = []

    def build_and_note() -> _HeadStage:
        built.append(True)
        return build()

    return trace.cache.extra(key, build_and_note), bool(built)


def random_scores(trace: "Trace", seed: int) -> Tensor:
    """The no_cls score of every anchor: (rank + 0.5) / A for a seeded random permutation (float64, CPU)."""
    count = int(trace.anchors.shape[0])
    generator = torch.Generator().manual_seed(int(seed))
    rank = torch.randperm(count, generator=generator, dtype=torch.float64)
    return (rank + 0.5) / count


def _rpn_ablation(trace: "Trace", kind: str, settings: RpnSettings, seed: Optional[int]) -> _HeadStage:
    with torch.inference_mode():
        if kind == "no_reg":
            boxes, logits = trace.anchors, trace.objectness
        else:
            if seed is None:
                raise ValueError("the no_cls ablation draws its random scores from a seed")
            u = random_scores(trace, seed)
            boxes, logits = trace.decoded_anchors, torch.log(u / (1 - u)).to(trace.objectness)
        filtered = filter_proposals(boxes, logits, trace.num_anchors_per_level, trace.resized_size, settings)
        proposals = filtered.candidate_boxes[filtered.keep]
        if kind == "no_cls":
            # Regressed boxes: the box of a candidate depends only on its anchor, as in replay, so the RoI-head
            # outputs replay caches per anchor are the right ones (and new ones join that cache).
            class_logits, box_regression, computed = head_outputs_for_candidates(
                trace, filtered.candidate_anchor[filtered.keep], proposals)
        else:
            # Anchor boxes: a candidate's box is its anchor clipped to the image, so it too depends only on the
            # anchor; the heads run only for anchors no earlier no_reg setting sent them.
            class_logits, box_regression, computed = _anchor_box_heads(
                trace, filtered.candidate_anchor[filtered.keep], proposals)
        candidates = box_candidates(class_logits, box_regression, proposals, trace.resized_size,
                                    trace.config.roi_box_coder.build())
    return _HeadStage(filtered, proposals, candidates, computed)


@dataclass
class _AnchorBoxHeads:
    """The RoI heads' outputs for the no_reg ablation's boxes (each an anchor clipped to the image) by anchor index,
    the counterpart of replay's HeadCache (regressed boxes); a dataclass of tensors, so that the trace counts its
    bytes as it grows."""

    row: Tensor  # (A,) row of each anchor in logits / deltas, −1 when not computed yet
    logits: Optional[Tensor] = None  # (rows, K)
    deltas: Optional[Tensor] = None  # (rows, 4K)


def _anchor_box_heads(trace: "Trace", anchors: Tensor, boxes: Tensor) -> tuple[Tensor, Tensor, int]:
    """Class logits and box regression for anchor boxes `boxes` of `anchors`, running the heads only for anchors
    not cached yet; and how many ran now."""
    cache = trace.cache
    with cache.lock:
        heads = cache.extra(("ablation.anchor_heads",), lambda: _AnchorBoxHeads(
            torch.full((int(trace.anchors.shape[0]),), -1, dtype=torch.int64, device=anchors.device)))
        todo = torch.nonzero(heads.row[anchors] < 0).flatten()
        if todo.numel():
            logits, deltas = run_box_head(trace, boxes[todo])
            start = 0 if heads.logits is None else int(heads.logits.shape[0])
            heads.logits = logits.clone() if heads.logits is None else torch.cat([heads.logits, logits])
            heads.deltas = deltas.clone() if heads.deltas is None else torch.cat([heads.deltas, deltas])
            heads.row[anchors[todo]] = torch.arange(start, start + int(todo.numel()), device=heads.row.device)
        if anchors.numel() == 0:
            empty = trace.class_logits.new_zeros
            num_classes = int(trace.class_logits.shape[-1])
            return empty((0, num_classes)), empty((0, 4 * num_classes)), 0
        assert heads.logits is not None and heads.deltas is not None
        rows = heads.row[anchors]
        return heads.logits[rows], heads.deltas[rows], int(todo.numel())


def _boxes_ablation(trace: "Trace", boxes: Tensor) -> _HeadStage:
    with torch.inference_mode():
        class_logits, box_regression = run_box_head(trace, boxes)
        candidates = box_candidates(class_logits, box_regression, boxes, trace.resized_size,
                                    trace.config.roi_box_coder.build())
    return _HeadStage(None, boxes, candidates, int(boxes.shape[0]))


def _check_seed(seed: Any) -> int:
    try:
        value = operator.index(seed)
    except TypeError:
        raise InputError("ablation.bad_seed", seed=seed) from None
    return int(value)


def _check_boxes(trace: "Trace", boxes: Any, frame: str) -> Tensor:
    """The boxes as a float32 (N, 4) tensor in the resized frame, or an InputError saying what is wrong."""
    try:
        values = torch.as_tensor(np.asarray(boxes, dtype=np.float64) if not isinstance(boxes, Tensor) else boxes)
    except (TypeError, ValueError):
        raise InputError("ablation.unknown_kind", kind=boxes) from None
    if values.dtype == torch.bool or not (values.is_floating_point() or values.dtype in
                                          (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8)):
        raise InputError("ablation.unknown_kind", kind=boxes)
    values = values.detach().to("cpu", torch.float32)  # the RoI heads take float32 boxes: check those
    if values.ndim == 1 and values.shape[0] == 4:
        values = values[None]
    if values.ndim != 2 or values.shape[1] != 4:
        if values.numel() == 0:
            raise InputError("ablation.no_boxes")
        raise InputError("ablation.boxes_shape", shape=tuple(values.shape))
    if values.shape[0] == 0:
        raise InputError("ablation.no_boxes")
    if values.shape[0] > MAX_BOXES:
        raise InputError("ablation.too_many_boxes", count=int(values.shape[0]), limit=MAX_BOXES)
    height, width = trace.original_size if frame == "original" else trace.resized_size
    for k, (x1, y1, x2, y2) in enumerate(values.tolist()):
        box = [x1, y1, x2, y2]
        if not all(math.isfinite(v) for v in box):
            raise InputError("ablation.box_not_finite", index=k, box=box)
        if not (x2 > x1 and y2 > y1):
            raise InputError("ablation.box_empty", index=k, box=box)
        if x2 <= 0 or y2 <= 0 or x1 >= width or y1 >= height:
            raise InputError("ablation.box_outside", index=k, box=box, width=width, height=height)
    boxes32 = values.to(torch.float32).to(trace.device)
    return trace.to_resized(boxes32) if frame == "original" else boxes32
