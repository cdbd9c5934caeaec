"""RoI projection and quantization: a box → the feature map (× spatial_scale) → RoIPool's whole cells → back.

torchvision's roi_pool (Fast R-CNN's RoIPool) computes, in float32,
    x1 = round(box.x1 · s), y1 = round(box.y1 · s), x2 = round(box.x2 · s), y2 = round(box.y2 · s)
with C++ std::round (half away from zero), and treats x1…x2, y1…y2 as INCLUSIVE cell ranges: the RoI is
max(x2 − x1 + 1, 1) cells wide. It then splits that range into output_size bins with floor/ceil (both clipped to
the map) and takes a max per bin. So it reads cells x1 … x2 — pixels [x1/s, (x2 + 1)/s) — not [x1/s, x2/s].

Many tutorials (the seed article 004 among them) round the same way but read the rounded numbers as corners:
[52, 106, 117, 206] at stride 32 → [1.625, 3.3125, 3.65625, 6.4375] → [2, 3, 4, 6] → back [64, 96, 128, 192].
torchvision pools cells 2…4 × 3…6, i.e. [64, 96, 160, 224]. `RoiProjection.article` keeps the article's reading
for comparison.

Two more details the bins expose: bins are clipped at 0 (and at the map's size when it is known), and the float32
bin size roi_w / output_size times output_size can round up past roi_w (e.g. 57 cells in 7 bins), so the last bin
then reaches one cell further. `back_projected` is therefore computed from the bins themselves: the pixels RoIPool
really reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Optional, Sequence, TypeVar, Union

import numpy as np
import torch
from torch import Tensor

from inspectors.core.errors import InputError
from inspectors.teaching.roi_pooling import (
    AlignPoints,
    PoolCells,
    align_points,
    pool_cells,
    roi_pooling_view,
    round_half_away,
)

if TYPE_CHECKING:
    from inspectors.core.trace import Trace
    from inspectors.teaching.roi_pooling import RoiPoolingView

Box = tuple[float, float, float, float]
_T = TypeVar("_T")
_UNBOUNDED = 2**31 - 1  # no upper clip when the feature map's size is not given


@dataclass(frozen=True)
class ArticleProjection:
    """The tutorial convention: each projected coordinate rounded and read as a corner."""

    corners: tuple[int, int, int, int]  # round(projected), half away from zero
    back_projected: Box  # corners / spatial_scale
    error_px: Box  # back_projected − box


@dataclass(frozen=True)
class RoiProjection:
    box: Box  # the input box, in the frame spatial_scale maps to the feature (e.g. resized-image pixels)
    spatial_scale: float  # feature cells per pixel (1 / stride)
    projected: Box  # box × spatial_scale in continuous feature units (float32, as the kernel computes it)
    cells: tuple[int, int, int, int]  # inclusive cell indices x1, y1, x2, y2 as roi_pool rounds them
    roi_cells: tuple[int, int]  # (width, height) in cells: max(x2 − x1 + 1, 1), max(y2 − y1 + 1, 1)
    pooled_cells: tuple[int, int, int, int]  # [x_start, y_start, x_end, y_end) the bins really read (clipped)
    back_projected: Box  # pooled_cells / spatial_scale: what RoIPool really covers, in the box's pixel frame
    error_px: Box  # back_projected − box, per coordinate
    inclusive_back_projected: Box  # [x1/s, y1/s, (x1 + roi_w)/s, (y1 + roi_h)/s] before any clipping
    bins_overshoot: bool  # float32 bin edges reach past the inclusive range (e.g. 57 cells in 7 bins)
    clipped: bool  # the bins were clipped at 0 or at the map's size
    article: ArticleProjection
    differs_from_article: bool  # torchvision covers other pixels than the article's reading says
    output_size: int
    feature_size: Optional[tuple[int, int]]  # (H, W) the bins were clipped to; None = unbounded
    pool: PoolCells  # RoIPool's bins: floor/ceil cell ranges [x_start, y_start, x_end, y_end)
    pool_bins_px: np.ndarray  # (oh, ow, 4) the same bins in the box's pixel frame
    align: AlignPoints  # RoIAlign's continuous bins and sampling points for the same box
    align_bin_edges_px: tuple[np.ndarray, np.ndarray]  # (x edges, y edges) of RoIAlign's bins in pixels


def roi_projection(
    box: Union[Sequence[float], Tensor],
    spatial_scale: float,
    *,
    output_size: int = 7,
    sampling_ratio: int = 2,
    feature_size: Optional[tuple[int, int]] = None,
) -> RoiProjection:
    """Project `box` onto a feature map at `spatial_scale` and quantize it as torchvision's roi_pool does."""
    box_f = _check_box(box)
    scale = _check_scale(spatial_scale)
    f32 = np.float32
    projected = _quad(float(f32(v) * f32(scale)) for v in box_f)
    height, width = feature_size if feature_size is not None else (_UNBOUNDED, _UNBOUNDED)
    pool = pool_cells(box_f, scale, output_size, int(height), int(width))
    x1, y1, x2, y2 = pool.roi
    roi_w, roi_h = max(x2 - x1 + 1, 1), max(y2 - y1 + 1, 1)
    bins = pool.bins
    pooled = (int(bins[..., 0].min()), int(bins[..., 1].min()), int(bins[..., 2].max()), int(bins[..., 3].max()))
    back = _div(pooled, scale)
    inclusive = _div((x1, y1, x1 + roi_w, y1 + roi_h), scale)
    unclipped_end = (
        int(math.ceil(f32(output_size) * (f32(roi_w) / f32(output_size)))) + x1,
        int(math.ceil(f32(output_size) * (f32(roi_h) / f32(output_size)))) + y1,
    )
    corners = _quad(round_half_away(f32(v) * f32(scale)) for v in box_f)
    article_back = _div(corners, scale)
    align = align_points(box_f, scale, output_size, sampling_ratio, aligned=False)
    return RoiProjection(
        box=box_f,
        spatial_scale=scale,
        projected=projected,
        cells=(x1, y1, x2, y2),
        roi_cells=(roi_w, roi_h),
        pooled_cells=pooled,
        back_projected=back,
        error_px=_minus(back, box_f),
        inclusive_back_projected=inclusive,
        bins_overshoot=unclipped_end != (x1 + roi_w, y1 + roi_h),
        clipped=pooled != (x1, y1, *unclipped_end),
        article=ArticleProjection(corners, article_back, _minus(article_back, box_f)),
        differs_from_article=back != article_back,
        output_size=int(output_size),
        feature_size=(int(feature_size[0]), int(feature_size[1])) if feature_size is not None else None,
        pool=pool,
        pool_bins_px=bins.astype(np.float64) / scale,
        align=align,
        align_bin_edges_px=(align.bin_edges_x / scale, align.bin_edges_y / scale),
    )


@dataclass(frozen=True)
class RoiProjectionWalk:
    """A box in original pixels → resized frame → the FPN level MultiScaleRoIAlign picks → feature units →
    RoIPool's cells → back to resized and original pixels, with the error in both frames."""

    box: Box  # original frame
    box_resized: Box
    level: int  # index into trace.fpn_features (the level the model's pooler uses for this box)
    level_name: str
    stride: float  # 1 / spatial_scale, resized pixels per cell
    pooling: "RoiPoolingView"  # the level choice with its numbers, and both poolings on the real map
    projection: RoiProjection  # in the resized frame, bins clipped to the level's map
    back_projected_resized: Box
    back_projected: Box  # original frame
    error_px_resized: Box
    error_px: Box  # original frame
    article_back_projected: Box  # the article's reading, original frame


def roi_projection_walk(trace: "Trace", box: Union[Sequence[float], Tensor], *, frame: str = "original"
                        ) -> RoiProjectionWalk:
    if frame not in ("original", "resized"):
        raise InputError("frame.unknown", frame=frame)
    box_f = _check_box(box)
    view = roi_pooling_view(trace, box_f, frame=frame)
    spec = trace.config.pooler
    assert spec is not None  # roi_pooling_view refuses models without one
    projection = roi_projection(view.box_resized, view.spatial_scale, output_size=spec.output_size[0],
                                sampling_ratio=spec.sampling_ratio, feature_size=view.feature_shape[1:])
    both = torch.tensor([projection.back_projected, projection.article.back_projected], dtype=torch.float32)
    original = trace.to_original(both.to(trace.device)).cpu()
    back = _four(original[0])
    return RoiProjectionWalk(
        box=view.box,
        box_resized=view.box_resized,
        level=view.level,
        level_name=view.level_name,
        stride=1.0 / view.spatial_scale,
        pooling=view,
        projection=projection,
        back_projected_resized=projection.back_projected,
        back_projected=back,
        error_px_resized=projection.error_px,
        error_px=_minus(back, view.box),
        article_back_projected=_four(original[1]),
    )


def _check_box(box: Union[Sequence[float], Tensor]) -> Box:
    try:
        values = torch.as_tensor(box, dtype=torch.float64).reshape(-1).cpu()
    except (TypeError, ValueError, RuntimeError):
        raise InputError("roi.bad_box", box=box) from None
    if values.numel() != 4 or not bool(torch.isfinite(values).all()):
        raise InputError("roi.bad_box", box=box)
    # The kernels read float32 boxes: the box is what a float32 tensor holds.
    return _quad(float(v) for v in values.float())


def _check_scale(scale: float) -> float:
    try:
        value = float(scale)
    except (TypeError, ValueError):
        raise InputError("roi.bad_scale", scale=scale) from None
    if not math.isfinite(value) or value <= 0:
        raise InputError("roi.bad_scale", scale=scale)
    return value


def _div(cells: Sequence[int], scale: float) -> Box:
    return _quad(float(c) / scale for c in cells)


def _minus(a: Sequence[float], b: Sequence[float]) -> Box:
    return _quad(float(x) - float(y) for x, y in zip(a, b))


def _four(t: Tensor) -> Box:
    return _quad(float(v) for v in t.reshape(4))


def _quad(values: Iterable[_T]) -> tuple[_T, _T, _T, _T]:
    """Four values as a 4-tuple (a ValueError unless there are exactly four)."""
    a, b, c, d = values
    return a, b, c, d
