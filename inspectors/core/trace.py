"""The Trace: everything one forward pass computed, in three coordinate frames, and the door to replay.

Frames: original image (H×W as uploaded) → resized by the model's transform (min_size/max_size) → zero-padded
to the size divisibility (32) → feature level at stride padded // grid per axis. Every box says which frame it is
in: `.boxes` are original pixels, `.boxes_resized` are what the heads saw.

A trace is a snapshot: what it says about the model (thresholds, anchors, box coders, matchers) was copied at
capture time into `config`, so changing the model afterwards changes no trace. Replay's caches live in `cache`,
which `nbytes()` counts.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Sequence

import numpy as np
import torch
from torch import Tensor
from torchvision.models.detection.transform import resize_boxes

from inspectors.core.cache import ReplayCache, count_bytes
from inspectors.core.snapshot import ModelSnapshot

if TYPE_CHECKING:  # types only, never imported at run time: core imports no analysis
    from inspectors.core.models import InspectedModel
    from inspectors.ground_truth.annotations import GroundTruth
    from inspectors.ground_truth.report import GroundTruthReport
    from inspectors.pipeline.replay import Replay
    from inspectors.rpn.anchors import AnchorHit, AnchorLevelSummary
    from inspectors.teaching.ablation import Ablation
    from inspectors.teaching.roi_pooling import RoiPoolingView
    from inspectors.teaching.roi_projection import RoiProjectionWalk


@dataclass(frozen=True)
class LevelInfo:
    """One FPN level as the RPN sees it."""

    index: int
    name: str  # "P2" … "P6"
    stride: tuple[int, int]  # (sy, sx) in resized-image pixels per feature cell
    grid: tuple[int, int]  # (H, W) feature cells
    anchors_per_location: int
    sizes: tuple[float, ...]
    aspect_ratios: tuple[float, ...]  # h / w, torchvision's convention
    start: int  # slice of the flat anchor arrays
    count: int

    def shape_of(self, a: int) -> tuple[float, float]:
        """(size, aspect ratio) of anchor shape `a` at a location (torchvision orders ratios outer, sizes inner)."""
        return self.sizes[a % len(self.sizes)], self.aspect_ratios[a // len(self.sizes)]


@dataclass(frozen=True)
class MapInfo:
    """One captured feature map (a backbone stage C… or a pyramid level P…)."""

    name: str
    channels: int
    grid: tuple[int, int]  # (H, W) cells
    stride: tuple[int, int]  # (sy, sx) resized-image pixels per cell: padded size // grid, as AnchorGenerator does


@dataclass(frozen=True)
class AnchorPosition:
    """Where one anchor sits and what it was generated as: the one description of an anchor's position that every
    analysis hands out (anchors at a point, an object's best anchor, a box story's anchor). torchvision's order:
    level, then y, x, then shape (aspect ratios outer, sizes inner)."""

    index: int  # flat, into trace.anchors / trace.objectness
    level: int
    level_name: str
    y: int
    x: int
    shape: int  # which of the level's anchor shapes
    size: float  # √(w·h) it was generated for, resized pixels
    aspect_ratio: float  # h / w
    stride: tuple[int, int]  # (sy, sx) of its level, resized pixels per cell

    @property
    def cell(self) -> tuple[int, int]:
        """(y, x): the feature cell of its level."""
        return (self.y, self.x)


def _read_through(name: str) -> property:
    return property(lambda self: getattr(self.anchor, name), doc=f"`.anchor.{name}`")


class AtAnchor:
    """A result about one anchor: its position's attributes (level, cell, shape, size, …) read through `.anchor`."""

    anchor: AnchorPosition
    level = _read_through("level")
    level_name = _read_through("level_name")
    y = _read_through("y")
    x = _read_through("x")
    cell = _read_through("cell")
    shape = _read_through("shape")
    size = _read_through("size")
    aspect_ratio = _read_through("aspect_ratio")
    stride = _read_through("stride")


def stride_of(padded_size: tuple[int, int], grid: tuple[int, int]) -> tuple[int, int]:
    """torchvision's stride rule (AnchorGenerator): padded image size // feature grid size, per axis."""
    return (padded_size[0] // grid[0], padded_size[1] // grid[1])


def level_names(shapes: Sequence[tuple[int, int]], padded_size: tuple[int, int], prefix: str) -> list[str]:
    names: list[str] = []
    for h, _ in shapes:
        name = f"{prefix}{round(math.log2(padded_size[0] / h))}"
        while name in names:  # two maps at one stride: keep both, distinguishable
            name += "'"
        names.append(name)
    return names


@dataclass
class Detections:
    boxes: Tensor  # (D, 4) original frame
    boxes_resized: Tensor  # (D, 4)
    scores: Tensor
    labels: Tensor
    names: list[str]
    proposal_index: Optional[Tensor] = None  # (D,) into the replay's proposals

    def __len__(self) -> int:
        return int(self.scores.shape[0])


@dataclass
class Trace:
    _counted_by_owner = True  # never counted inside another object's bytes (a cache entry may refer to it)

    model: "InspectedModel"  # runs the RoI heads for replay; nothing else is read from it after capture
    image: np.ndarray  # H×W×3 uint8, what the model saw, original frame
    original_size: tuple[int, int]
    resized_size: tuple[int, int]
    padded_size: tuple[int, int]
    body_features: "OrderedDict[str, Tensor]"  # C×H×W per backbone stage, named by stride ("C2" …)
    fpn_raw: "OrderedDict[str, Tensor]"  # the FPN output exactly as the heads consumed it (batch of one)
    fpn_features: "OrderedDict[str, Tensor]"  # the same maps, C×H×W, named by stride ("P2" …)
    anchors: Tensor  # (A, 4) resized frame, torchvision order: level, y, x, shape
    anchors_per_location: list[int]
    num_anchors_per_level: list[int]
    objectness: Tensor  # (A,) logits
    rpn_deltas: Tensor  # (A, 4)
    decoded_anchors: Tensor  # (A, 4) anchors + deltas, resized frame, before clipping
    native_proposals: Tensor  # (K, 4) resized frame, the RPN's own output
    roi_pooled_shape: Optional[tuple[int, ...]]
    roi_features: Optional[Tensor]  # box-head representation per native proposal
    class_logits: Tensor
    box_regression: Tensor
    native_detections_resized: dict[str, Tensor]
    native_detections: dict[str, Tensor]  # the model's return value, original frame (a Mask R-CNN's without "masks")
    timings: dict[str, float]
    config: ModelSnapshot  # the model's settings at capture time
    levels: list[LevelInfo]  # the FPN levels as the RPN saw them
    model_name: str
    category_names: tuple[str, ...]
    cache: ReplayCache = field(init=False, repr=False)
    # The mask branch of a Mask R-CNN (None for a Faster R-CNN). The model's pasted masks (N, 1, H, W) are not kept
    # in `native_detections` (hundreds of MB at full size): `trace.replay().masks` gives them, equal to the model's.
    mask_pooled_shape: Optional[tuple[int, ...]] = None  # mask_roi_pool's output (N, C, 14, 14)
    mask_features_shape: Optional[tuple[int, ...]] = None  # mask_head's output (N, 256, 14, 14)
    mask_logits: Optional[Tensor] = None  # (N, 28, 28): mask_predictor's logits of each native detection's class
    # Whether the mask head gives one box alone other numbers (last bits) than the same box among others (a
    # convolution library's path for a batch of one); None when it was not probed (no detections).
    mask_lone_batch_differs: Optional[bool] = None

    def __post_init__(self) -> None:
        self.cache = ReplayCache(int(self.anchors.shape[0]), self.anchors.device)

    # ---- what the model is and what it saw -------------------------------------------------------------
    @property
    def categories(self) -> list[str]:
        return list(self.category_names)

    @property
    def has_masks(self) -> bool:
        """Whether the model has a mask branch (a Mask R-CNN) and it was captured."""
        return self.config.mask is not None and self.mask_logits is not None

    @property
    def device(self) -> torch.device:
        return self.anchors.device

    @property
    def scale(self) -> tuple[float, float]:
        """(sy, sx): resized / original."""
        return (
            self.resized_size[0] / self.original_size[0],
            self.resized_size[1] / self.original_size[1],
        )

    @property
    def defaults(self) -> dict[str, float]:
        """The seven thresholds as the model was configured when it ran (eval mode)."""
        return dict(self.config.thresholds)

    def maps(self, family: str = "fpn") -> list[MapInfo]:
        """The captured maps of one family ("body": C…, "fpn": P…) with their grids and strides."""
        source = {"body": self.body_features, "fpn": self.fpn_features}.get(family)
        if source is None:
            raise ValueError(f"family must be 'body' or 'fpn', not {family!r}.")
        infos = []
        for name, fmap in source.items():
            grid = (int(fmap.shape[-2]), int(fmap.shape[-1]))
            infos.append(MapInfo(name, int(fmap.shape[0]), grid, stride_of(self.padded_size, grid)))
        return infos

    # ---- frames --------------------------------------------------------------------------------------
    def to_original(self, boxes_resized: Tensor) -> Tensor:
        """Resized-frame boxes → original pixels, with torchvision's own resize_boxes (as its postprocess)."""
        return resize_boxes(boxes_resized, list(self.resized_size), list(self.original_size))

    def to_resized(self, boxes: Tensor) -> Tensor:
        return resize_boxes(boxes, list(self.original_size), list(self.resized_size))

    # ---- stages --------------------------------------------------------------------------------------
    @property
    def detections(self) -> Detections:
        """The model's own output for this image (original frame), untouched by replay."""
        d = self.native_detections
        return Detections(
            boxes=d["boxes"],
            boxes_resized=self.native_detections_resized["boxes"],
            scores=d["scores"],
            labels=d["labels"],
            names=[self.categories[int(i)] for i in d["labels"]],
        )

    def objectness_map(self, level: int) -> Tensor:
        """Objectness probability of level `level` as (anchor shapes, H, W)."""
        info = self.levels[level]
        logits = self.objectness[info.start : info.start + info.count]
        return torch.sigmoid(logits.view(info.grid[0], info.grid[1], info.anchors_per_location).permute(2, 0, 1))

    def decode_anchor(self, index: int) -> tuple[int, int, int, int]:
        """Flat anchor index → (level, y, x, shape), torchvision's order: level, then y, x, then shape."""
        for info in self.levels:
            if info.start <= index < info.start + info.count:
                cell, shape = divmod(index - info.start, info.anchors_per_location)
                y, x = divmod(cell, info.grid[1])
                return info.index, y, x, shape
        raise IndexError(f"anchor index {index} out of range (0..{self.anchors.shape[0] - 1}).")

    def anchor_position(self, index: int) -> AnchorPosition:
        """Flat anchor index → its level, cell, shape, and the size and aspect ratio it was generated as."""
        level, y, x, shape = self.decode_anchor(index)
        info = self.levels[level]
        size, ratio = info.shape_of(shape)
        return AnchorPosition(int(index), level, info.name, y, x, shape, float(size), float(ratio), info.stride)

    # ---- conveniences ---------------------------------------------------------------------------------
    # `trace.replay(...)`, `trace.ground_truth(...)`, … are the analyses' own functions, bound to Trace as methods by
    # inspectors/conveniences.py at the top of the package: core imports no analysis, so the layers point one way.
    # The stubs below only tell type checkers what is bound there.
    if TYPE_CHECKING:
        def replay(self, **thresholds: float) -> Replay: ...
        def ground_truth(self, gt: GroundTruth, *, iou_threshold: float = 0.5, seed: int = 0,
                         **thresholds: float) -> GroundTruthReport: ...
        def anchor_summary(self, config: str = "model") -> list[AnchorLevelSummary]: ...
        def anchors_at(self, x: float, y: float) -> list[AnchorHit]: ...
        def roi_pooling(self, box: Sequence[float] | Tensor, *, frame: str = "original") -> RoiPoolingView: ...
        def roi_projection_walk(self, box: Sequence[float] | Tensor, *, frame: str = "original"
                                ) -> RoiProjectionWalk: ...
        def ablation(self, kind: Any, *, seed: int = 0, frame: str = "original", **thresholds: float
                     ) -> Ablation: ...

    def nbytes(self) -> int:
        """Bytes held by this trace: its tensors and image, and replay's caches (shared storages counted once)."""
        seen: set[int] = set()
        total = self.image.nbytes
        for name, value in vars(self).items():
            if name not in ("model", "cache", "image"):
                total += count_bytes(value, seen)
        return total + self.cache.nbytes(seen)
