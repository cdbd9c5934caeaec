"""Proposals tab: pre-NMS vs post-NMS boxes coloured by FPN level, and what each RPN filter step removed."""
from __future__ import annotations

import html
from typing import Any

import numpy as np

from app.drawing import color_for, draw_boxes, hex_color
from app.figures.common import to_numpy
from app.strings import step_name, t


def shown_indices(proposals: Any, top_n: int) -> list[int]:
    """Indices of the `top_n` highest-scoring boxes, best first: the ones the image shows."""
    scores = to_numpy(proposals.scores)
    return [int(i) for i in np.argsort(-scores, kind="stable")[: max(0, int(top_n))]]


def top_boxes(proposals: Any, top_n: int) -> tuple[np.ndarray, np.ndarray]:
    """(boxes, levels) of the `top_n` highest-scoring proposals, best first."""
    order = shown_indices(proposals, top_n)
    return to_numpy(proposals.boxes)[order], to_numpy(proposals.levels)[order]


MARKED = ((255, 255, 255), (235, 50, 50))   # the box someone picked; the box that removed it


def proposals_image(trace: Any, proposals: Any, top_n: int, marked: list[int] | None = None,
                    ground_truth: np.ndarray | None = None) -> np.ndarray:
    """The top-n boxes coloured by level (the worst drawn first, so the best are on top); `marked` boxes (indices
    into `proposals`, shown whether or not they are in the top n) are drawn last, thick: white, then red."""
    order = shown_indices(proposals, top_n)[::-1]
    marked = [m for m in (marked or []) if m is not None and 0 <= m < len(proposals)]
    order = [i for i in order if i not in marked] + marked[::-1]
    boxes, levels = to_numpy(proposals.boxes), to_numpy(proposals.levels)
    colors = [color_for(int(levels[i])) for i in order]
    for rank in range(len(marked)):
        colors[len(order) - 1 - rank] = MARKED[min(len(marked) - 1 - rank, 1)]
    highlight = len(order) - 1 if marked else None
    return draw_boxes(trace.image, boxes[order] if order else np.zeros((0, 4)), colors, width=2, dim=0.35,
                      highlight=highlight, ground_truth=ground_truth)


def level_legend_html(trace: Any) -> str:
    chips = "".join(
        f'<span class="lens-chip" style="border-color:{hex_color(color_for(i))};">'
        f'<span class="lens-swatch" style="background:{hex_color(color_for(i))};"></span>{html.escape(level.name)}'
        f'</span>' for i, level in enumerate(trace.levels))
    return f'<div class="lens-legend">{html.escape(t("proposals.legend"))} {chips}</div>'


def steps_headers() -> list[str]:
    return [t(f"proposals.col.{key}") for key in ("step", "before", "after", "removed")]


def steps_rows(steps: list[Any]) -> list[list[Any]]:
    return [[step_name(step.name), int(step.before), int(step.after), int(step.before) - int(step.after)]
            for step in steps]
