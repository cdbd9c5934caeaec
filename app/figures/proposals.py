"""Proposals tab: pre-NMS vs post-NMS boxes coloured by FPN level, and what each RPN filter step removed."""
from __future__ import annotations

import html
import json
import uuid
from typing import Any

import numpy as np

from app.drawing import PALETTE, color_for, draw_boxes, hex_color
from app.figures.common import to_numpy
from app.figures.detections import image_key, image_url
from app.strings import step_name, t
from app.viewer import PAYLOADS, image_fields, viewer_value
from inspectors.core.lru import BoundedCache
from inspectors.core.thresholds import RPN_KEYS


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


# ---- the box viewer (app/viewer.py): the post-NMS proposals, the top-N slider applied in the browser --------------

def proposals_viewer(trace: Any, replay: Any, top_n: int, ground_truth: np.ndarray | None = None,
                     followed: int | None = None, page: Any = None) -> str:
    """The Proposals viewer's value: every proposal after the RPN's NMS (replay.proposals, original pixels, the
    engine's order: best objectness first), sent once per page, capture and RPN setting; the viewer draws the
    first `top_n` and redraws on every input event of the top-N slider. `followed`: a proposal index to outline."""
    key, heavy = _proposals_json(trace, replay)
    fresh = page is None or _SENT.get(id(page)) != key
    if page is not None:
        _SENT.put(id(page), key)
    truth = np.zeros((0, 4)) if ground_truth is None else np.asarray(ground_truth, dtype=np.float64).reshape(-1, 4)
    objects = [{"box": [float(v) for v in box]} for box in truth]
    return viewer_value(key, heavy if fresh else None, {"top_n": int(top_n)}, keys=("top_n",),
                        ground_truth=objects, followed=followed, clickable=False, view="proposals",
                        palette=[hex_color(color_for(level)) for level in range(max(len(PALETTE), 1))],
                        extra={"mode": "proposals", **image_fields(image_key(trace), lambda: image_url(trace), page)})


def _proposals_json(trace: Any, replay: Any) -> tuple[str, str]:
    """(key, '{"proposals": …}') for the replay's RPN setting, once per capture and RPN setting."""
    rpn = tuple(float(replay.settings[key]) for key in RPN_KEYS)

    def build() -> tuple[str, str]:
        proposals = replay.proposals
        boxes = to_numpy(proposals.boxes).astype(np.float32).reshape(-1, 4)
        scores = to_numpy(proposals.scores).astype(np.float32)
        height, width = trace.original_size
        body = {"boxes": [float(str(v)) for v in boxes.reshape(-1)], "scores": [float(str(v)) for v in scores],
                "levels": [int(v) for v in to_numpy(proposals.levels)],
                "level_names": [info.name for info in trace.levels], "image_size": [int(width), int(height)]}
        text = '{"proposals": ' + json.dumps(body, separators=(",", ":")) + "}"
        key = uuid.uuid4().hex
        PAYLOADS.put(key, text)
        return key, text

    key, text = trace.cache.extra(("viewer_proposals", rpn), build)
    if PAYLOADS.peek(key) is None:
        PAYLOADS.put(key, text)
    return key, text


# The proposals key each page (session) was last sent.
_SENT: BoundedCache[int, str] = BoundedCache(1024)
