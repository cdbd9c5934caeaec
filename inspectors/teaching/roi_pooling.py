"""RoIPool vs RoIAlign on a real feature map, with the geometry that explains each.

RoIPool (Fast R-CNN) rounds the box to whole feature cells and splits it into bins with floor/ceil, then takes a
max per bin: two quantisations. RoIAlign (Mask R-CNN) keeps the box continuous and averages bilinear samples at
regular points in each bin. The geometry below follows torchvision's CPU kernels (roi_pool_kernel.cpp,
roi_align_kernel.cpp) and the tests rebuild both outputs from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Union

import numpy as np
import torch
from torch import Tensor
from torchvision.ops import roi_align, roi_pool
from torchvision.ops.poolers import LevelMapper

from inspectors.core.snapshot import PoolerSpec, pooler_geometry
from inspectors.core.trace import Trace


@dataclass(frozen=True)
class PoolCells:
    roi: tuple[int, int, int, int]  # quantised box: inclusive feature-cell indices x1, y1, x2, y2
    bins: np.ndarray  # (oh, ow, 4) int: [x_start, y_start, x_end, y_end) cell range of each bin, clipped


@dataclass(frozen=True)
class AlignPoints:
    feature: np.ndarray  # (oh, ow, n, 2) sampling points (x, y) in feature-map units
    image: np.ndarray  # (oh, ow, n, 2) the same points in the box's image frame
    bin_edges_x: np.ndarray  # (ow + 1,) continuous bin edges in feature units
    bin_edges_y: np.ndarray  # (oh + 1,)


@dataclass(frozen=True)
class RoiComparison:
    align: Tensor  # (C, oh, ow) torchvision.ops.roi_align
    pool: Tensor  # (C, oh, ow) torchvision.ops.roi_pool
    pool_cells: PoolCells
    align_points: AlignPoints
    box: tuple[float, float, float, float]
    spatial_scale: float


def compare_roi_pooling(
    feature: Tensor,
    box: Union[Sequence[float], Tensor],
    spatial_scale: float,
    output_size: int = 7,
    sampling_ratio: int = 2,
    aligned: bool = False,
) -> RoiComparison:
    """Pool one box (in the frame `spatial_scale` maps to the feature, e.g. resized-image pixels) both ways."""
    if feature.ndim != 3:
        raise ValueError(f"feature must be C×H×W, got shape {tuple(feature.shape)}.")
    box_t = torch.as_tensor(box, dtype=feature.dtype, device=feature.device).reshape(1, 4)
    with torch.inference_mode():
        align = roi_align(feature[None], [box_t], output_size, spatial_scale, sampling_ratio, aligned)[0]
        pool = roi_pool(feature[None], [box_t], output_size, spatial_scale)[0]
    x1, y1, x2, y2 = (float(v) for v in box_t[0].cpu())
    box_f = (x1, y1, x2, y2)
    height, width = int(feature.shape[-2]), int(feature.shape[-1])
    return RoiComparison(
        align=align,
        pool=pool,
        pool_cells=pool_cells(box_f, spatial_scale, output_size, height, width),
        align_points=align_points(box_f, spatial_scale, output_size, sampling_ratio, aligned),
        box=box_f,
        spatial_scale=float(spatial_scale),
    )


def round_half_away(v: np.float32) -> int:
    """C's std::round (half away from zero), which roi_pool uses; numpy/torch round half to even."""
    return int(math.floor(v + 0.5)) if v >= 0 else -int(math.floor(-v + 0.5))


def pool_cells(box: Sequence[float], spatial_scale: float, output_size: int, height: int, width: int) -> PoolCells:
    f32 = np.float32
    scale = f32(spatial_scale)
    x1, y1, x2, y2 = (round_half_away(f32(v) * scale) for v in box)
    roi_w = max(x2 - x1 + 1, 1)
    roi_h = max(y2 - y1 + 1, 1)
    bin_h = f32(roi_h) / f32(output_size)
    bin_w = f32(roi_w) / f32(output_size)
    bins = np.zeros((output_size, output_size, 4), dtype=np.int64)
    for ph in range(output_size):
        hstart = min(max(int(math.floor(f32(ph) * bin_h)) + y1, 0), height)
        hend = min(max(int(math.ceil(f32(ph + 1) * bin_h)) + y1, 0), height)
        for pw in range(output_size):
            wstart = min(max(int(math.floor(f32(pw) * bin_w)) + x1, 0), width)
            wend = min(max(int(math.ceil(f32(pw + 1) * bin_w)) + x1, 0), width)
            bins[ph, pw] = (wstart, hstart, wend, hend)
    return PoolCells(roi=(x1, y1, x2, y2), bins=bins)


def align_points(
    box: Sequence[float], spatial_scale: float, output_size: int, sampling_ratio: int, aligned: bool
) -> AlignPoints:
    offset = 0.5 if aligned else 0.0
    x1, y1, x2, y2 = (float(v) * spatial_scale - offset for v in box)
    roi_w, roi_h = x2 - x1, y2 - y1
    if not aligned:  # the legacy behaviour: degenerate boxes are stretched to one cell
        roi_w, roi_h = max(roi_w, 1.0), max(roi_h, 1.0)
    bin_w, bin_h = roi_w / output_size, roi_h / output_size
    grid_h = sampling_ratio if sampling_ratio > 0 else math.ceil(roi_h / output_size)
    grid_w = sampling_ratio if sampling_ratio > 0 else math.ceil(roi_w / output_size)
    ys = y1 + np.arange(output_size)[:, None] * bin_h + (np.arange(grid_h)[None, :] + 0.5) * bin_h / grid_h
    xs = x1 + np.arange(output_size)[:, None] * bin_w + (np.arange(grid_w)[None, :] + 0.5) * bin_w / grid_w
    # (oh, ow, grid_h * grid_w, 2): for each bin, its sampling points row by row.
    px = np.broadcast_to(xs[None, :, None, :], (output_size, output_size, grid_h, grid_w))
    py = np.broadcast_to(ys[:, None, :, None], (output_size, output_size, grid_h, grid_w))
    feature = np.stack([px, py], axis=-1).reshape(output_size, output_size, grid_h * grid_w, 2)
    return AlignPoints(
        feature=feature,
        image=(feature + offset) / spatial_scale,
        bin_edges_x=x1 + np.arange(output_size + 1) * bin_w,
        bin_edges_y=y1 + np.arange(output_size + 1) * bin_h,
    )


@dataclass(frozen=True)
class LevelChoice:
    """MultiScaleRoIAlign's level rule for one box (FPN paper, eq. 1), with its numbers."""

    width: float  # resized frame
    height: float
    side: float  # √(w·h)
    canonical_level: int  # k0 = 4
    canonical_scale: int  # 224
    raw: float  # k0 + log2(side / 224), before the floor
    k_min: int
    k_max: int
    chosen: int  # the level k it lands on (2 → P2, …)

    def describe(self, level_name: str) -> str:
        return (
            f"√(w·h) = √({self.width:.1f}·{self.height:.1f}) = {self.side:.1f} px (resized frame); "
            f"k = ⌊{self.canonical_level} + log2({self.side:.1f}/{self.canonical_scale})⌋ = ⌊{self.raw:.2f}⌋, "
            f"clamped to {self.k_min}..{self.k_max} → {level_name}"
        )


@dataclass(frozen=True)
class RoiPoolingView:
    level: int
    level_name: str
    spatial_scale: float
    choice: LevelChoice
    box: tuple[float, float, float, float]  # original frame
    box_resized: tuple[float, float, float, float]
    feature_shape: tuple[int, int, int]
    comparison: RoiComparison

    @property
    def reason(self) -> str:
        """The level arithmetic in English (UIs format `choice` in their own language)."""
        return self.choice.describe(self.level_name)


def roi_pooling_view(trace: Trace, box: Union[Sequence[float], Tensor], *, frame: str = "original",
                     pooler: Optional[PoolerSpec] = None) -> RoiPoolingView:
    """Pool `box` on the level the model's MultiScaleRoIAlign would choose, with that level's settings.
    `pooler`: which of the model's poolers (default the box head's; a Mask R-CNN's mask_roi_pool is
    trace.config.mask.pooler: 14×14 on the same level rule)."""
    spec = pooler if pooler is not None else trace.config.pooler
    if spec is None:
        raise ValueError("This model's box pooler is not a MultiScaleRoIAlign; there is no level rule to show.")
    box_t = torch.as_tensor(box, dtype=torch.float32, device=trace.device).reshape(1, 4)
    if frame == "original":
        box_resized = trace.to_resized(box_t)
    elif frame == "resized":
        box_resized = box_t
    else:
        raise ValueError(f"frame must be 'original' or 'resized', not {frame!r}.")
    # MultiScaleRoIAlign pools from the FPN maps it names that exist, in the FPN's order, at scales and with a
    # level mapper computed from this image's maps (pooler_geometry does what its forward does).
    pooled_names, scales, mapper = pooler_geometry(spec, trace.fpn_raw, trace.resized_size)
    level_in_pooler = int(mapper([box_resized])[0])
    raw_name = pooled_names[level_in_pooler]
    level = list(trace.fpn_raw.keys()).index(raw_name)
    level_name = list(trace.fpn_features.keys())[level]
    scale = float(scales[level_in_pooler])
    comparison = compare_roi_pooling(
        trace.fpn_raw[raw_name][0], box_resized[0], scale, spec.output_size[0], spec.sampling_ratio, False
    )
    channels, height, width = (int(s) for s in trace.fpn_raw[raw_name].shape[1:])
    return RoiPoolingView(
        level=level,
        level_name=level_name,
        spatial_scale=scale,
        choice=_level_choice(box_resized[0], mapper, level_in_pooler),
        box=_box(trace.to_original(box_resized)[0]),
        box_resized=_box(box_resized[0]),
        feature_shape=(channels, height, width),
        comparison=comparison,
    )


def _box(t: Tensor) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (float(v) for v in t)
    return x1, y1, x2, y2


def _level_choice(box: Tensor, mapper: LevelMapper, level_in_pooler: int) -> LevelChoice:
    w, h = float(box[2] - box[0]), float(box[3] - box[1])
    side = math.sqrt(max(w * h, 0.0))
    raw = mapper.lvl0 + math.log2(side / mapper.s0) if side > 0 else float("-inf")
    return LevelChoice(w, h, side, int(mapper.lvl0), int(mapper.s0), raw, int(mapper.k_min), int(mapper.k_max),
                       int(mapper.k_min) + level_in_pooler)
