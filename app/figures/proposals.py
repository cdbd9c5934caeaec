"""Proposals tab: pre-NMS vs post-NMS boxes coloured by FPN level, and what each RPN filter step removed."""
from __future__ import annotations

import html
from typing import Any

import numpy as np

from app.drawing import color_for, draw_boxes, hex_color
from app.figures.common import to_numpy
from app.strings import step_name, t


def top_boxes(proposals: Any, top_n: int) -> tuple[np.ndarray, np.ndarray]:
    """(boxes, levels) of the `top_n` highest-scoring proposals, best first."""
    scores = to_numpy(proposals.scores)
    order = np.argsort(-scores, kind="stable")[: max(0, int(top_n))]
    return to_numpy(proposals.boxes)[order], to_numpy(proposals.levels)[order]


def proposals_image(trace: Any, proposals: Any, top_n: int) -> np.ndarray:
    boxes, levels = top_boxes(proposals, top_n)
    # Draw worst first so the best boxes end up on top.
    boxes, levels = boxes[::-1], levels[::-1]
    return draw_boxes(trace.image, boxes, [color_for(int(level)) for level in levels], width=2, dim=0.35)


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
