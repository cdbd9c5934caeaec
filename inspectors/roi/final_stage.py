"""The final stage for a browser: everything the three final-stage sliders need, decided once per RPN setting.

torchvision's RoIHeads.postprocess_detections, after the per-class boxes are decoded and clipped, does
    keep scores > score_thresh  →  remove_small_boxes(1e-2)  →  batched_nms(nms_thresh)  →  the first
    detections_per_img
(select_detections replays exactly that). A viewer that applies the detection-score, detection-NMS and
detections-per-image sliders in the browser, on every input event, needs those decisions for every setting:

- The score threshold commutes with greedy NMS. NMS visits boxes in descending score order (a stable sort: ties in
  index order) and a box is suppressed only by a box visited before it, so a box above the threshold sees the same
  boxes before it whether or not the boxes below the threshold are there. So: per-class NMS decisions for the
  boxes ranked by score, then "score > threshold" (a prefix of that ranking), then the first k.
- remove_small_boxes looks at each box alone: decided once, for every threshold.
- The NMS decisions come from nms_grid's one-pass greedy NMS, one bit per step of the detection-NMS slider.
- Bit for bit, batched_nms is not one computation. Up to 1000 boxes (4000 coordinates) on the CPU it shifts each
  class by label × (max coordinate + 1) and runs one NMS on the shifted boxes, whose float32 IoUs differ slightly
  from the unshifted ones; the max coordinate is that of the boxes above the score threshold. Above 1000 boxes it
  runs NMS class by class on the boxes themselves and sorts the kept boxes with an unstable sort. So the payload
  holds one set of decisions per *regime*: one per distinct max coordinate among the score thresholds that leave
  at most 1000 boxes, and one for the class-by-class path; a score threshold picks its regime by how many boxes it
  keeps. Where the unstable sort could order tied scores differently from the stable ranking, the payload holds the
  exact order torchvision gives for each step of the score slider (`overrides`).
- Only candidates that some setting can show are sent: a candidate kept by NMS behind `max_detections` kept
  boxes of its regime and step is never among the first k.

`apply_final_stage(payload, score, nms, per_image)` is the pure-Python twin of the viewer's JavaScript (the same
steps in the same order); tests check it against `replay(...)` at many settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torchvision.ops import boxes as box_ops

from inspectors.core.thresholds import SPECS
from inspectors.core.trace import Trace
from inspectors.roi.postprocess import BoxCandidates
from inspectors.rpn.nms_grid import nms_keep_bits, slider_grid, threshold_index

__all__ = [
    "FinalSelection",
    "FinalStagePayload",
    "Regime",
    "apply_final_stage",
    "final_stage_payload",
    "score_grid",
]

TRICK_MAX_BOXES = 1000  # batched_nms shifts classes apart up to 4000 coordinates on the CPU (1000 boxes)
MIN_SIZE = 1e-2  # RoIHeads.postprocess_detections' remove_small_boxes


@dataclass
class Regime:
    """The NMS decisions for the score thresholds that keep more than `above_rank` boxes (and fewer than the next
    regime's): a threshold s is in the last regime whose `above` score is > float32(s)."""

    above: float  # score of the first box (in ranking order) of this regime's range: s < above ⇒ at least here
    above_rank: int  # how many boxes a threshold must keep, at least, to be in this regime (1-based rank)
    max_coordinate: float | None  # batched_nms's shift for this regime; None: the class-by-class path
    bits: np.ndarray  # (M,) int32, bit k: kept by NMS at nms_grid[k] (for candidates this regime can keep)


@dataclass
class FinalStagePayload:
    """The candidates some final-stage setting can show, ranked as NMS visits them (descending score, ties by
    candidate index), with their NMS decisions per regime and per step of the NMS slider."""

    boxes: np.ndarray  # (M, 4) float32, original pixels (as replay reports detections)
    scores: np.ndarray  # (M,) float32
    labels: np.ndarray  # (M,) int64
    proposal: np.ndarray  # (M,) the proposal (RoI) each was refined from
    level: np.ndarray  # (M,) FPN level index of that proposal (into level_names)
    candidate: np.ndarray  # (M,) index into replay.box_candidates
    nms_grid: tuple[float, ...]
    score_grid: tuple[float, ...]
    regimes: list[Regime]
    # (float32 score threshold, nms step) -> positions, in torchvision's order, where its unstable sort of tied
    # scores (class-by-class path) differs from the ranking; the first max_detections.
    overrides: dict[tuple[float, int], list[int]] = field(default_factory=dict)
    max_detections: int = 300
    categories: list[str] = field(default_factory=list)
    level_names: list[str] = field(default_factory=list)
    defaults: dict[str, float] = field(default_factory=dict)
    model_count: int = 0  # detections the model itself returns at its defaults
    image_size: tuple[int, int] = (0, 0)  # original (width, height)

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    def to_json(self) -> dict[str, Any]:
        """Plain JSON. A float32 is written as its shortest decimal (float32(text) is the value again, in Python
        and in JavaScript's Math.fround). Regimes that decide alike share one bits array."""
        tables: dict[bytes, int] = {}
        return {
            "boxes": _shortest(self.boxes.reshape(-1)),
            "scores": _shortest(self.scores),
            "labels": [int(v) for v in self.labels.tolist()],
            "proposal": [int(v) for v in self.proposal.tolist()],
            "level": [int(v) for v in self.level.tolist()],
            "nms_grid": [float(v) for v in self.nms_grid],
            "score_grid": [float(v) for v in self.score_grid],
            "regimes": [{"above": float(r.above), "rank": r.above_rank, "max_coordinate": r.max_coordinate,
                         "bits": tables.setdefault(r.bits.tobytes(), len(tables))} for r in self.regimes],
            "bits": [[int(v) for v in np.frombuffer(key, dtype=np.int32).tolist()] for key in tables],
            "overrides": [{"score": float(s), "nms": k, "positions": list(p)}
                          for (s, k), p in self.overrides.items()],
            "max_detections": int(self.max_detections),
            "categories": list(self.categories),
            "level_names": list(self.level_names),
            "defaults": dict(self.defaults),
            "model_count": int(self.model_count),
            "image_size": list(self.image_size),
        }


def _shortest(values: np.ndarray) -> list[float]:
    """float32 values as the doubles nearest their shortest float32 decimals (json then writes those decimals)."""
    return [float(str(v)) for v in np.asarray(values, dtype=np.float32)]


@dataclass
class FinalSelection:
    """What the final stage keeps at one setting, in order: positions into the payload and their values."""

    positions: list[int]
    boxes: np.ndarray  # (D, 4) float32 original pixels
    scores: np.ndarray
    labels: np.ndarray
    proposal: np.ndarray

    def __len__(self) -> int:
        return len(self.positions)


def score_grid(model_value: float | None = None) -> tuple[float, ...]:
    """Every value the detection-score slider can take (its steps), and the model's own value."""
    spec = SPECS["box_score_thresh"]
    steps = round((spec.slider_high - spec.slider_low) / spec.step)
    values = [round(spec.slider_low + k * spec.step, 10) for k in range(steps + 1)]
    if model_value is not None and not any(np.float32(v) == np.float32(model_value) for v in values):
        values.append(float(model_value))
    return tuple(values)


def max_detections_of(default: int) -> int:
    """The largest detections-per-image the slider can reach (its maximum doubles past a larger default)."""
    high = int(SPECS["box_detections_per_img"].slider_high)
    return max(high, int(default) * 2) if default > high else high


def final_stage_payload(trace: Trace, candidates: BoxCandidates, proposal_levels: Tensor,
                        max_detections: int | None = None) -> FinalStagePayload:
    """The payload for the candidates of one RPN setting (`replay.box_candidates`, `replay.proposals.levels`)."""
    defaults = {key: float(trace.defaults[key]) for key in ("box_score_thresh", "box_nms_thresh",
                                                             "box_detections_per_img")}
    kmax = int(max_detections if max_detections is not None
               else max_detections_of(int(defaults["box_detections_per_img"])))
    grid = slider_grid("box_nms_thresh", defaults["box_nms_thresh"])
    scores_grid = score_grid(defaults["box_score_thresh"])
    with torch.inference_mode():
        boxes_all = candidates.boxes.to(torch.float32).cpu()
        scores_all = candidates.scores.to(torch.float32).cpu()
        labels_all = candidates.labels.cpu()
        # Every score threshold is ≥ 0, so only boxes scoring above 0 and not tiny ever reach NMS.
        not_small = torch.zeros(scores_all.shape[0], dtype=torch.bool)
        not_small[box_ops.remove_small_boxes(boxes_all, min_size=MIN_SIZE)] = True
        pool = torch.where(not_small & (scores_all > 0))[0]  # candidate order
        rank = torch.sort(scores_all[pool], descending=True, stable=True)[1]
        ranked = pool[rank]  # candidate index at each rank position
        boxes = boxes_all[ranked]
        scores = scores_all[ranked]
        labels = labels_all[ranked]
        regimes, lengths = _regimes(boxes, scores, labels, grid, kmax)
        overrides = _overrides(regimes, lengths, boxes, scores, labels, ranked, grid, scores_grid, kmax)
        needed = _needed(regimes, lengths, len(grid), kmax)
        for positions_list in overrides.values():
            needed[positions_list] = True
        positions = torch.from_numpy(np.flatnonzero(needed))
        new_index = np.full(needed.shape[0], -1, dtype=np.int64)
        new_index[positions.numpy()] = np.arange(positions.shape[0])
        overrides = {key: [int(new_index[p]) for p in value] for key, value in overrides.items()}
        for regime in regimes:
            regime.bits = regime.bits[positions.numpy()] if regime.bits.shape[0] else regime.bits
        kept = ranked[positions]
        original = trace.to_original(candidates.boxes[kept]).to(torch.float32).cpu()
        source = candidates.source[kept].cpu()
        levels = proposal_levels.cpu()[source] if source.numel() else torch.zeros(0, dtype=torch.int64)
    height, width = trace.original_size
    return FinalStagePayload(
        boxes=original.numpy().astype(np.float32).reshape(-1, 4),
        scores=scores_all[kept].numpy().astype(np.float32),
        labels=labels_all[kept].numpy().astype(np.int64),
        proposal=source.numpy().astype(np.int64),
        level=levels.numpy().astype(np.int64),
        candidate=kept.numpy().astype(np.int64),
        nms_grid=tuple(float(v) for v in grid),
        score_grid=scores_grid,
        regimes=regimes,
        overrides=overrides,
        max_detections=kmax,
        categories=list(trace.categories),
        level_names=[info.name for info in trace.levels],
        defaults=defaults,
        model_count=len(trace.detections),
        image_size=(int(width), int(height)),
    )


def _regimes(boxes: Tensor, scores: Tensor, labels: Tensor, grid: Sequence[float],
             kmax: int) -> tuple[list[Regime], list[int]]:
    """One Regime per distinct batched_nms computation, with bits over every ranked box (0 past its range), and
    the number of leading ranked boxes whose decisions each regime computed."""
    n = int(scores.shape[0])
    regimes: list[Regime] = []
    lengths: list[int] = []
    if n == 0:
        return regimes, lengths
    row_max = boxes.max(dim=1).values
    prefix_max = torch.cummax(row_max, dim=0).values  # max coordinate of the first n ranked boxes
    trick_n = min(n, TRICK_MAX_BOXES)
    ranges: list[tuple[int, int]] = []  # thresholds keeping start+1 … end boxes share batched_nms's shift
    start = 0
    while start < trick_n:
        end = start + int(torch.searchsorted(prefix_max[start:trick_n], prefix_max[start], right=True))
        ranges.append((start, end))
        start = end
    # The decisions of the widest range; a narrower range (another shift) reuses them where every same-class pair
    # among its boxes exceeds the same NMS steps under both shifts (greedy NMS then decides the same).
    sorted_grid = np.sort(np.asarray(grid, dtype=np.float64))
    pairs = _same_class_pairs(labels[:trick_n].numpy())
    last_m = prefix_max[ranges[-1][0]]
    reference = nms_keep_bits(_shifted(boxes[:trick_n], labels[:trick_n], last_m), scores[:trick_n], grid).numpy()
    reference_exceeded = _exceeded(_shifted(boxes[:trick_n], labels[:trick_n], last_m).numpy(), pairs, sorted_grid)
    for start, end in ranges:
        m = prefix_max[start]
        bits = np.zeros(n, dtype=np.int32)
        inside = pairs[1] < end
        shifted = _shifted(boxes[:end], labels[:end], m)
        if (end == trick_n and bool(m == last_m)) or np.array_equal(
                _exceeded(shifted.numpy(), (pairs[0][inside], pairs[1][inside]), sorted_grid),
                reference_exceeded[inside]):
            bits[:trick_n] = reference  # (past `end` never used by this regime: the same array for all alike)
        else:
            bits[:end] = nms_keep_bits(shifted, scores[:end], grid).numpy()
        regimes.append(Regime(above=float(scores[start]), above_rank=start + 1, max_coordinate=float(m), bits=bits))
        lengths.append(end)
    if n > TRICK_MAX_BOXES:
        bits, length = _class_by_class(boxes, scores, labels, grid, kmax)
        regimes.append(Regime(above=float(scores[TRICK_MAX_BOXES]), above_rank=TRICK_MAX_BOXES + 1,
                              max_coordinate=None, bits=bits))
        lengths.append(length)
    return regimes, lengths


def _shifted(boxes: Tensor, labels: Tensor, max_coordinate: Tensor) -> Tensor:
    """batched_nms's coordinate trick, with its float32 operations."""
    offsets = labels.to(boxes) * (max_coordinate + torch.tensor(1).to(boxes))
    return boxes + offsets[:, None]


def _same_class_pairs(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i < j) of boxes with the same label."""
    firsts, seconds = [], []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        a, b = np.triu_indices(rows.shape[0], k=1)
        firsts.append(rows[a])
        seconds.append(rows[b])
    if not firsts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(firsts), np.concatenate(seconds)


def _exceeded(boxes: np.ndarray, pairs: tuple[np.ndarray, np.ndarray], sorted_grid: np.ndarray) -> np.ndarray:
    """How many NMS steps each pair's IoU exceeds, the IoU computed as nms_grid (and the NMS kernel) computes it."""
    i, j = pairs
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    areas = (x2 - x1) * (y2 - y1)
    w = np.maximum(np.float32(0), np.minimum(x2[i], x2[j]) - np.maximum(x1[i], x1[j]))
    h = np.maximum(np.float32(0), np.minimum(y2[i], y2[j]) - np.maximum(y1[i], y1[j]))
    inter = w * h
    with np.errstate(invalid="ignore", divide="ignore"):
        ovr = inter / (areas[i] + areas[j] - inter)
    exceeded = np.searchsorted(sorted_grid, ovr.astype(np.float64), side="left")
    exceeded[np.isnan(ovr)] = 0
    return exceeded


def _class_by_class(boxes: Tensor, scores: Tensor, labels: Tensor, grid: Sequence[float], kmax: int,
                    full: bool = False) -> tuple[np.ndarray, int]:
    """batched_nms's class-by-class path: NMS per class on the boxes themselves. Decided for the leading ranked
    boxes until every step has kept kmax of them (the later ones cannot be shown), or for all when `full`."""
    n = int(scores.shape[0])
    length = n if full or n <= 8 * max(kmax, 1024) else 4 * max(kmax, 1024)
    while True:
        bits = np.zeros(n, dtype=np.int32)
        head_labels = labels[:length]
        for label in torch.unique(head_labels).tolist():
            rows = torch.where(head_labels == label)[0]
            bits[rows.numpy()] = nms_keep_bits(boxes[rows], scores[rows], grid).numpy()
        counts = [int(((bits[:length] >> k) & 1).sum()) for k in range(len(grid))]
        if length >= n or min(counts) >= kmax:
            return bits, length
        length = min(n, length * 2)


def _needed(regimes: list[Regime], lengths: list[int], steps: int, kmax: int) -> np.ndarray:
    """Ranked boxes that some setting shows: kept at a step of a regime with fewer than kmax kept before them."""
    n = regimes[0].bits.shape[0] if regimes else 0
    needed = np.zeros(n, dtype=bool)
    for regime, length in zip(regimes, lengths):
        for k in range(steps):
            kept = ((regime.bits[:length] >> k) & 1).astype(bool)
            before = np.cumsum(kept) - kept
            needed[:length] |= kept & (before < kmax)
    return needed


def _overrides(regimes: list[Regime], lengths: list[int], boxes: Tensor, scores: Tensor, labels: Tensor,
               ranked: Tensor, grid: Sequence[float], scores_grid: Sequence[float],
               kmax: int) -> dict[tuple[float, int], list[int]]:
    """The class-by-class path sorts the kept boxes with torch's unstable sort, which can order tied scores
    differently from the ranking: where ties exist, the order it gives at each step of the score slider, when it
    differs from the ranking (first kmax)."""
    if not regimes or regimes[-1].max_coordinate is not None:
        return {}
    regime, length = regimes[-1], lengths[-1]
    score_np = scores.numpy()
    tied = np.zeros(score_np.shape[0], dtype=bool)
    tied[1:] = score_np[1:] == score_np[:-1]
    if not tied[:min(length + 1, score_np.shape[0])].any():
        return {}
    if length < score_np.shape[0]:
        regime.bits, length = _class_by_class(boxes, scores, labels, grid, kmax, full=True)
        lengths[-1] = length
    candidate_np = ranked.numpy()
    overrides: dict[tuple[float, int], list[int]] = {}
    for value in scores_grid:
        threshold = np.float32(value)
        count = int((score_np > threshold).sum())  # the ranked boxes above it: a prefix
        if count <= TRICK_MAX_BOXES:
            continue
        for k in range(len(grid)):
            kept_rank = np.flatnonzero((regime.bits[:count] >> k) & 1)
            if kept_rank.size < 2:
                continue
            # _batched_nms_vanilla: the kept boxes in candidate order, then scores[keep].sort(descending=True)
            in_candidate_order = kept_rank[np.argsort(candidate_np[kept_rank], kind="stable")]
            order = torch.sort(scores[torch.from_numpy(in_candidate_order)], descending=True)[1].numpy()
            torch_rank = in_candidate_order[order]
            if not np.array_equal(torch_rank[:kmax], kept_rank[:kmax]):
                overrides[(float(threshold), k)] = [int(p) for p in torch_rank[:kmax]]
    return overrides


def apply_final_stage(payload: FinalStagePayload, score: float, nms: float, per_image: int) -> FinalSelection:
    """The final stage at one setting, step for step as the viewer's JavaScript does it."""
    threshold = np.float32(score)  # torch compares float32 scores with the threshold cast to float32
    k = threshold_index(payload.nms_grid, nms)
    if k is None:
        raise ValueError(f"no NMS decisions for {nms!r}; the payload has {payload.nms_grid}")
    per_image = int(per_image)
    if per_image > payload.max_detections:
        raise ValueError(f"detections per image {per_image} above the payload's {payload.max_detections}")
    regime = None
    for candidate in payload.regimes:
        if np.float32(candidate.above) > threshold:
            regime = candidate
    if regime is not None and regime.max_coordinate is None and not any(
            np.float32(value) == threshold for value in payload.score_grid):
        # Class by class, torchvision's unstable sort may order tied scores its own way: the payload has that order
        # for the score slider's steps only.
        raise ValueError(f"score {score!r} is not a step of the score slider, and over 1000 boxes are above it")
    positions: list[int] = []
    if regime is not None and per_image > 0:
        override = payload.overrides.get((float(threshold), k)) if regime.max_coordinate is None else None
        if override is not None:
            positions = override[:per_image]
        else:
            bits = regime.bits
            for p in range(len(payload)):
                if not payload.scores[p] > threshold:
                    break
                if (int(bits[p]) >> k) & 1:
                    positions.append(p)
                    if len(positions) == per_image:
                        break
    index = np.asarray(positions, dtype=np.int64)
    return FinalSelection(positions=positions, boxes=payload.boxes[index].reshape(-1, 4),
                          scores=payload.scores[index], labels=payload.labels[index],
                          proposal=payload.proposal[index])
