"""Anchors tab: per-level configuration tables (this model vs the paper), anchors at a clicked point, border count."""
from __future__ import annotations

from typing import Any

import numpy as np

from app.drawing import color_for, display_scale, draw_boxes, draw_point
from app.figures.common import stride_text, to_numpy
from app.strings import t


def _fmt_tuple(values: Any) -> str:
    return ", ".join(f"{float(v):g}" for v in values)


def _pair(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return "×".join(str(int(v)) for v in value)
    return str(value)


def summary_headers() -> list[str]:
    return [t(f"anchors.col.{key}") for key in
            ("level", "stride", "grid", "per_location", "sizes", "ratios", "total", "inside_image", "crossing")]


def summary_rows(summary: list[Any]) -> list[list[Any]]:
    """One row per level, plus a total row."""
    rows = []
    for level in summary:
        rows.append([level.level, stride_text(level.stride), _pair(level.grid), int(level.per_location),
                     _fmt_tuple(level.sizes), _fmt_tuple(level.aspect_ratios), int(level.total), int(level.inside),
                     int(level.total) - int(level.inside)])
    if len(rows) > 1:
        total, inside = sum(r[6] for r in rows), sum(r[7] for r in rows)
        rows.append(["Σ", "", "", "", "", "", total, inside, total - inside])
    return rows


def border_note(summary: list[Any]) -> str:
    total = sum(int(level.total) for level in summary)
    inside = sum(int(level.inside) for level in summary)
    return t("anchors.border", crossing=total - inside, total=total, percent=100.0 * (total - inside) / max(total, 1))


def level_index_by_name(trace: Any) -> dict[str, int]:
    return {level.name: i for i, level in enumerate(trace.levels)}


def default_point(trace: Any) -> tuple[float, float]:
    """Where to show anchors before anyone clicks: the best detection's centre, else the image centre."""
    boxes = to_numpy(trace.detections.boxes)
    if len(boxes):
        x1, y1, x2, y2 = boxes[0]
        return float(x1 + x2) / 2, float(y1 + y2) / 2
    height, width = trace.original_size
    return width / 2.0, height / 2.0


def hits_image(trace: Any, hits: list[Any], x: float, y: float, ground_truth: np.ndarray | None = None,
               followed_anchor: int | None = None) -> np.ndarray:
    """All anchors at the point, coloured by level, on the (slightly dimmed) image with a point marker; the anchor of
    a followed detection outlined; the ground truth dashed."""
    names = level_index_by_name(trace)
    boxes = np.stack([to_numpy(hit.box) for hit in hits]) if hits else np.zeros((0, 4))
    colors = [color_for(names.get(_level_name(trace, hit.level), 0)) for hit in hits]
    highlight = next((k for k, hit in enumerate(hits) if hit.index == followed_anchor), None)
    image = draw_boxes(trace.image, boxes, colors, width=2, dim=0.25, ground_truth=ground_truth, highlight=highlight)
    scale = display_scale(*trace.original_size)
    return draw_point(image, x * scale, y * scale)


def _level_name(trace: Any, level: Any) -> str:
    return trace.levels[level].name if isinstance(level, (int, np.integer)) else str(level)


def hits_headers() -> list[str]:
    return [t(f"anchors.col.{key}") for key in ("level_cell", "shape", "box", "inside", "objectness")]


def hits_rows(trace: Any, hits: list[Any]) -> list[list[Any]]:
    height, width = trace.original_size
    rows = []
    for hit in hits:
        box = to_numpy(hit.box)
        inside = box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height
        rows.append([f"{_level_name(trace, hit.level)} ({int(hit.y)}, {int(hit.x)})",
                     f"{float(hit.size):g} · {float(hit.aspect_ratio):g}",
                     ", ".join(f"{v:.0f}" for v in box), "✓" if inside else "✗", round(float(hit.objectness), 3)])
    return rows
