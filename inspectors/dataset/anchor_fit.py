"""Do the anchors fit the objects? For every ground-truth box, the best IoU with an anchor the model really places —
its AnchorGenerator, at the grid positions of the image's real feature maps, per level — and how many objects
reach the RPN matcher's foreground threshold; then anchor sizes and aspect ratios that would fit better.

Nothing runs the model again: the record of an image holds its resized size and its number of anchors per level,
from which the padded size (the transform's size_divisible) and each level's grid follow (a grid is the padded
size halved with rounding up, as stride-2 convolutions and FPN's max-pool compute it; the level count checks it).
Boxes are the image's annotations (every row, crowd included, as the annotation file lists them), resized into the
model's frame as GeneralizedRCNNTransform resizes targets (torchvision's resize_boxes, float32), and IoU is
torchvision's box_iou, as the RPN's Matcher computes it in training.

An object whose best anchor reaches the matcher's high threshold (0.7) gets positive anchors by the rule itself;
one below it gets a positive anchor only through the low-quality rule (its best anchors are made positive
whatever their IoU, when allow_low_quality_matches is on): training then learns it from poorly fitting anchors.

The suggestion: aspect ratios by k-means on log(h / w) of the boxes; one size per FPN level by k-means with
1 − IoU as the distance (YOLO's autoanchor idea): a box's distance to a size is 1 − its best IoU with the anchor
shapes of that size (every suggested ratio), shapes compared centred; a size moves to the geometric mean size of
its boxes. The share it would reach is computed the same way as the current one: with AnchorGenerator at the real
grids. New anchors mean retraining the RPN (its regression and objectness are learned per anchor shape).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

import numpy as np
import torch
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.transform import resize_boxes
from torchvision.ops import box_iou

if TYPE_CHECKING:
    from inspectors.dataset.store import DatasetCapture

SIZE_BINS = (("small", 0.0, 32.0**2), ("medium", 32.0**2, 96.0**2), ("large", 96.0**2, float("inf")))
RATIO_BINS = (("wide", 0.0, 0.5), ("square", 0.5, 2.0), ("tall", 2.0, float("inf")))  # h / w


@dataclass
class AnchorSuggestion:
    sizes: tuple[tuple[float, ...], ...]  # as AnchorGenerator takes them: one tuple per FPN level
    aspect_ratios: tuple[tuple[float, ...], ...]
    share_fg: float  # share of objects whose best anchor would reach the foreground threshold
    best_iou: np.ndarray
    current_share_fg: float

    @property
    def code(self) -> str:
        return ("from torchvision.models.detection.anchor_utils import AnchorGenerator\n"
                f"anchor_generator = AnchorGenerator(sizes={self.sizes!r},\n"
                f"                                   aspect_ratios={self.aspect_ratios!r})\n"
                "# model = fasterrcnn_resnet50_fpn(..., rpn_anchor_generator=anchor_generator)\n"
                "# New anchors mean retraining the RPN: its objectness and regression are learned per anchor shape.")


@dataclass
class AnchorFit:
    best_iou: np.ndarray  # (G,) per ground-truth box, annotation order over images sorted by file name
    best_level: np.ndarray  # (G,) FPN level of the best anchor
    image: np.ndarray  # (G,) index into image_names
    wh: np.ndarray  # (G, 2) width, height in the resized frame
    area: np.ndarray  # (G,) annotation area (original pixels, COCO's size classes)
    fg_threshold: float
    low_quality: bool
    sizes: tuple[tuple[float, ...], ...]
    aspect_ratios: tuple[tuple[float, ...], ...]
    image_names: tuple[str, ...]
    _evaluate: Optional[Callable[[Sequence[Sequence[float]], Sequence[Sequence[float]]], np.ndarray]] = \
        field(default=None, repr=False)

    @property
    def share_fg(self) -> float:
        return float((self.best_iou >= self.fg_threshold).mean()) if len(self.best_iou) else 0.0

    @property
    def share_low_quality_only(self) -> float:
        """Objects below the threshold that still get a positive anchor through the low-quality rule."""
        if not len(self.best_iou) or not self.low_quality:
            return 0.0
        return float(((self.best_iou < self.fg_threshold) & (self.best_iou > 0)).mean())

    def by_group(self) -> dict[str, dict[str, dict[str, float]]]:
        """{"size": {small/medium/large: {...}}, "ratio": {wide/square/tall: {...}}, "level": {...}}: objects,
        share reaching the threshold, share only through the low-quality rule, mean best IoU."""
        ratio = self.wh[:, 1] / np.maximum(self.wh[:, 0], 1e-12)
        groups = {
            "size": {name: (self.area >= lo) & (self.area < hi) for name, lo, hi in SIZE_BINS},
            "ratio": {name: (ratio >= lo) & (ratio < hi) for name, lo, hi in RATIO_BINS},
            "level": {str(level): self.best_level == level for level in range(len(self.sizes))},
        }
        out: dict[str, dict[str, dict[str, float]]] = {}
        for kind, masks in groups.items():
            out[kind] = {}
            for name, mask in masks.items():
                n = int(mask.sum())
                iou = self.best_iou[mask]
                out[kind][name] = {
                    "objects": n,
                    "share_fg": float((iou >= self.fg_threshold).mean()) if n else 0.0,
                    "share_low_quality_only": float(((iou < self.fg_threshold) & (iou > 0)).mean())
                    if n and self.low_quality else 0.0,
                    "mean_best_iou": float(iou.mean()) if n else 0.0,
                }
        return out

    def suggest(self, n_sizes: int = 5, n_ratios: int = 3, *, iterations: int = 30, seed: int = 0
                ) -> AnchorSuggestion:
        if n_sizes < 1 or n_ratios < 1:
            raise ValueError("n_sizes and n_ratios must be at least 1")
        levels = len(self.sizes)
        wh = self.wh[(self.wh > 0).all(axis=1)].astype(np.float64)
        if not len(wh):
            raise ValueError("no ground-truth box to fit anchors to")
        centers = _kmeans_1d(np.log(wh[:, 1] / wh[:, 0]), n_ratios, seed)
        ratios: tuple[float, ...] = tuple(sorted({round(float(math.exp(r)), 3) for r in centers}))
        sizes = _iou_kmeans_sizes(wh, n_sizes, ratios, iterations)
        # One size tuple per FPN level: the sizes spread over the levels, smallest on the finest level.
        per_level = _spread(sizes, levels)
        aspect = tuple(ratios for _ in range(levels))
        assert self._evaluate is not None
        best = self._evaluate(per_level, aspect)
        share = float((best >= self.fg_threshold).mean()) if len(best) else 0.0
        return AnchorSuggestion(sizes=per_level, aspect_ratios=aspect, share_fg=share, best_iou=best,
                                current_share_fg=self.share_fg)

    def to_dict(self) -> dict[str, Any]:
        return {"objects": int(len(self.best_iou)), "fg_threshold": self.fg_threshold, "share_fg": self.share_fg,
                "share_low_quality_only": self.share_low_quality_only, "sizes": [list(s) for s in self.sizes],
                "aspect_ratios": [list(r) for r in self.aspect_ratios], "by_group": self.by_group()}


def _kmeans_1d(values: np.ndarray, k: int, seed: int) -> np.ndarray:
    k = min(k, len(np.unique(values)))
    centers = np.quantile(values, (np.arange(k) + 0.5) / k)
    for _ in range(50):
        assign = np.abs(values[:, None] - centers[None, :]).argmin(axis=1)
        new = np.array([values[assign == j].mean() if (assign == j).any() else centers[j] for j in range(k)])
        if np.allclose(new, centers):
            break
        centers = new
    return centers


def _shape_iou(wh: np.ndarray, shapes: np.ndarray) -> np.ndarray:
    """(N, S) IoU of centred boxes (w, h) with centred shapes (w, h)."""
    inter = np.minimum(wh[:, None, 0], shapes[None, :, 0]) * np.minimum(wh[:, None, 1], shapes[None, :, 1])
    union = wh[:, None, 0] * wh[:, None, 1] + shapes[None, :, 0] * shapes[None, :, 1] - inter
    return inter / union


def _shapes(size: float, ratios: Sequence[float]) -> np.ndarray:
    """AnchorGenerator's shapes of one size: h / w = ratio, area size²."""
    r = np.sqrt(np.asarray(ratios, dtype=np.float64))
    return np.stack([size / r, size * r], axis=1)


def _iou_kmeans_sizes(wh: np.ndarray, k: int, ratios: Sequence[float], iterations: int) -> list[float]:
    scale = np.sqrt(wh[:, 0] * wh[:, 1])
    k = min(k, len(np.unique(np.round(scale, 3))))
    sizes = np.quantile(scale, (np.arange(k) + 0.5) / k)
    for _ in range(iterations):
        dist = np.stack([1 - _shape_iou(wh, _shapes(s, ratios)).max(axis=1) for s in sizes], axis=1)
        assign = dist.argmin(axis=1)
        new = np.array([math.exp(np.log(scale[assign == j]).mean()) if (assign == j).any() else sizes[j]
                        for j in range(k)])
        if np.allclose(new, sizes):
            break
        sizes = new
    return sorted(round(float(s), 1) for s in sizes)


def _spread(sizes: list[float], levels: int) -> tuple[tuple[float, ...], ...]:
    """n sizes over L levels: with n == L one per level; otherwise split in order into L groups (a level with no
    size of its own takes its neighbour's scaled by the stride ratio 2)."""
    groups = [list(g) for g in np.array_split(np.array(sizes), levels)]
    for i, g in enumerate(groups):
        if not g:
            prev = next((groups[j][-1] * 2 ** (i - j) for j in range(i - 1, -1, -1) if groups[j]), sizes[-1])
            g.append(round(float(prev), 1))
    return tuple(tuple(float(v) for v in g) for g in groups)


# ---- anchors at the real grids ------------------------------------------------------------------------------
def grid_sizes(resized: tuple[int, int], level_count: Any, per_location: Sequence[int],
               size_divisible: int) -> tuple[tuple[int, int], list[tuple[int, int]]]:
    """(padded size, each level's (H, W)) from the resized size and the anchors per level."""
    h = int(math.ceil(resized[0] / size_divisible) * size_divisible)
    w = int(math.ceil(resized[1] / size_divisible) * size_divisible)
    chain = [(h, w)]
    for _ in range(12):
        ph, pw = chain[-1]
        chain.append((-(-ph // 2), -(-pw // 2)))
    grids, start = [], 0
    for count, a in zip(level_count, per_location):
        cells = int(count) // int(a)
        j = next((j for j in range(start, len(chain)) if chain[j][0] * chain[j][1] == cells), None)
        if j is None:
            raise ValueError(f"no feature-map size of a {h}×{w} input holds {cells} positions")
        grids.append(chain[j])
        start = j + 1
    return (h, w), grids


def anchors_at(padded: tuple[int, int], grids: list[tuple[int, int]], sizes: Sequence[Sequence[float]],
               aspect_ratios: Sequence[Sequence[float]]) -> torch.Tensor:
    """AnchorGenerator's anchors (resized frame) for one image of padded size with these feature-map grids."""
    generator = AnchorGenerator(tuple(tuple(s) for s in sizes), tuple(tuple(r) for r in aspect_ratios))
    images = ImageList(torch.zeros((1, 1, padded[0], padded[1])), [padded])
    maps = [torch.zeros((1, 1, gh, gw)) for gh, gw in grids]
    return generator(images, maps)[0]


def anchor_fit(capture: "DatasetCapture") -> AnchorFit:
    config = capture.config
    sizes, ratios = config.anchor_sizes, config.aspect_ratios
    per_location = [len(s) * len(r) for s, r in zip(sizes, ratios)]
    order = sorted(range(len(capture)), key=lambda i: capture.names[i])
    images: list[tuple[tuple[int, int], list[tuple[int, int]], torch.Tensor]] = []
    boxes_all, wh_all, area_all, image_all = [], [], [], []
    for i in order:
        record = capture.record(i)
        gt = record.ground_truth
        padded, grids = grid_sizes(record.resized_size, record.level_count, per_location,
                                   config.transform.size_divisible)
        xywh = np.asarray(gt.bbox, dtype=np.float64).reshape(-1, 4)
        xyxy = torch.tensor(np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1), dtype=torch.float32)
        resized = resize_boxes(xyxy, list(record.original_size), list(record.resized_size))
        images.append((padded, grids, resized))
        boxes_all.append(resized)
        wh_all.append((resized[:, 2:] - resized[:, :2]).numpy())
        area_all.append(np.asarray(gt.area, dtype=np.float64).reshape(-1))
        image_all.append(np.full(len(xywh), i, dtype=np.int64))

    def evaluate(new_sizes: Sequence[Sequence[float]], new_ratios: Sequence[Sequence[float]],
                 levels: bool = False) -> Any:
        best, level = [], []
        counts = [len(s) * len(r) for s, r in zip(new_sizes, new_ratios)]
        with torch.inference_mode():
            for padded, grids, boxes in images:
                if not len(boxes):
                    continue
                anchors = anchors_at(padded, grids, new_sizes, new_ratios)
                iou = box_iou(boxes, anchors)  # (G, A)
                values, index = iou.max(dim=1)
                best.append(values.numpy())
                if levels:
                    bounds = np.cumsum([gh * gw * c for (gh, gw), c in zip(grids, counts)])
                    level.append(np.searchsorted(bounds, index.numpy(), side="right"))
        cat = np.concatenate(best).astype(np.float64) if best else np.zeros(0)
        if levels:
            return cat, (np.concatenate(level) if level else np.zeros(0, dtype=np.int64))
        return cat

    best, level = evaluate(sizes, ratios, levels=True)
    return AnchorFit(
        best_iou=best, best_level=level.astype(np.int64),
        image=np.concatenate(image_all) if image_all else np.zeros(0, np.int64),
        wh=np.concatenate(wh_all).astype(np.float64) if wh_all else np.zeros((0, 2)),
        area=np.concatenate(area_all) if area_all else np.zeros(0),
        fg_threshold=float(config.rpn_matcher.high), low_quality=bool(config.rpn_matcher.allow_low_quality),
        sizes=tuple(tuple(s) for s in sizes), aspect_ratios=tuple(tuple(r) for r in ratios),
        image_names=tuple(capture.names), _evaluate=evaluate,
    )
