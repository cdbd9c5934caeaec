"""RPN objectness tab: per-level probability maps, per anchor shape and max over shapes, and an overlay."""
from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from app.drawing import overlay_heatmap
from app.figures.common import heatmap_grid, to_numpy
from app.figures.features import feature_cover
from app.strings import t


def level_maps(trace: Any, level: int) -> np.ndarray:
    """(shapes, H, W) objectness probabilities of one level."""
    return to_numpy(trace.objectness_map(level))


def all_levels_figure(trace: Any) -> go.Figure:
    maps, titles = [], []
    for i, level in enumerate(trace.levels):
        values = level_maps(trace, i).max(axis=0)
        maps.append(values)
        titles.append(t("objectness.level_title", name=level.name, height=values.shape[0], width=values.shape[1]))
    return heatmap_grid(maps, titles, height=330, zmin=0.0, zmax=1.0,
                        colorbar_title=t("objectness.colorbar"), hover_label="P")


def per_shape_figure(trace: Any, level: int) -> go.Figure:
    info = trace.levels[level]
    maps = list(level_maps(trace, level))
    ratios = list(info.aspect_ratios)
    titles = []
    for shape in range(len(maps)):
        # torchvision orders a level's shapes ratio-major: for each ratio, every size.
        size = info.sizes[shape % len(info.sizes)] if info.sizes else 0
        ratio = ratios[shape // max(len(info.sizes), 1)] if ratios else 0
        titles.append(t("objectness.shape_title", size=float(size), ratio=float(ratio)))
    return heatmap_grid(maps, titles, height=330, zmin=0.0, zmax=1.0, title=t("objectness.per_shape",
                        level=info.name), colorbar_title=t("objectness.colorbar"), hover_label="P")


def level_summary_rows(trace: Any) -> list[list[Any]]:
    """Per level: grid, anchors, the highest objectness and how many anchors are above 0.5 (this image's numbers)."""
    rows = []
    for i, level in enumerate(trace.levels):
        maps = level_maps(trace, i)
        rows.append([level.name, f"{maps.shape[1]}×{maps.shape[2]}", int(maps.size), round(float(maps.max()), 3),
                     int((maps > 0.5).sum())])
    return rows


def level_summary_headers() -> list[str]:
    return [t(f"objectness.col.{key}") for key in ("level", "grid", "anchors", "max", "above")]


def overlay(trace: Any, level: int) -> np.ndarray:
    values = level_maps(trace, level).max(axis=0)
    return overlay_heatmap(trace.image, values, vmin=0.0, vmax=1.0, cover=feature_cover(trace))
