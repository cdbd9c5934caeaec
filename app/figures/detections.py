"""Detections tab: final boxes with labels and scores, a table, per-class counts, and the JSON summary."""
from __future__ import annotations

import html
from collections import Counter
from typing import Any

import numpy as np

from app.config import THRESHOLD_KEYS
from app.drawing import color_for, draw_boxes, hex_color
from app.figures.common import to_numpy
from app.strings import t


def detections_image(trace: Any, detections: Any) -> np.ndarray:
    boxes, scores, labels = to_numpy(detections.boxes), to_numpy(detections.scores), to_numpy(detections.labels)
    texts = [f"{name} {float(score):.2f}" for name, score in zip(detections.names, scores)]
    # Draw the weakest first so the strongest boxes and labels end up on top.
    order = list(range(len(boxes)))[::-1]
    return draw_boxes(trace.image, boxes[order], [color_for(int(labels[i])) for i in order],
                      [texts[i] for i in order], width=3)


def table_headers() -> list[str]:
    return [t(f"detections.col.{key}") for key in ("label", "score", "box", "proposal")]


def table_rows(detections: Any) -> list[list[Any]]:
    boxes, scores = to_numpy(detections.boxes), to_numpy(detections.scores)
    proposals = to_numpy(detections.proposal_index)
    return [[name, round(float(score), 3), ", ".join(f"{v:.0f}" for v in box), int(p)]
            for name, score, box, p in zip(detections.names, scores, boxes, proposals)]


def class_counts(detections: Any) -> list[tuple[str, int]]:
    """(class name, count), most frequent first."""
    return Counter(detections.names).most_common()


def class_counts_html(trace: Any, detections: Any) -> str:
    """Per-class counts as plain HTML bars: cheap enough to redraw on every slider move, large on a projector."""
    counts = class_counts(detections)
    if not counts:
        return f'<p class="lens-note">{html.escape(t("detections.none"))}</p>'
    label_ids = {name: i for i, name in enumerate(trace.categories)}
    most = max(n for _, n in counts)
    rows = []
    for name, n in counts:
        color = hex_color(color_for(label_ids.get(name, 0)))
        rows.append(f'<div class="lens-bar-row"><span class="lens-bar-label">{html.escape(name)}</span>'
                    f'<span class="lens-bar" style="width:{max(4.0, 100.0 * n / most):.1f}%;background:{color};">'
                    f'</span><span class="lens-bar-value">{n}</span></div>')
    return (f'<div class="lens-bars"><div class="lens-bars-title">{html.escape(t("detections.per_class"))}</div>'
            f'{"".join(rows)}</div>')


def summary(trace: Any, replay: Any) -> dict[str, Any]:
    """The JSON summary that /inspect and /rethreshold return: counts, settings and detections (original px)."""
    detections = replay.detections
    boxes, scores = to_numpy(detections.boxes), to_numpy(detections.scores)
    height, width = trace.original_size
    return {
        "model": trace.model_name,
        "image_size": {"width": int(width), "height": int(height)},
        "settings": {key: _plain(replay.settings[key]) for key in THRESHOLD_KEYS},   # /rethreshold's order
        "counts": {key: int(value) for key, value in replay.counts.items()},
        "timings_ms": {key: round(float(value) * 1000, 2) for key, value in trace.timings.items()},
        "detections": [
            {"label": name, "score": round(float(score), 4), "box": [round(float(v), 2) for v in box]}
            for name, score, box in zip(detections.names, scores, boxes)
        ],
    }


def _plain(value: Any) -> Any:
    """JSON-friendly number: ints stay ints."""
    number = float(value)
    return int(number) if number.is_integer() and not isinstance(value, float) else number
