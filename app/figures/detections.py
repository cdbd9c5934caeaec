"""Detections tab: final boxes with labels and scores, a table, per-class counts, and the JSON summary."""
from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import plotly.graph_objects as go

from app.drawing import color_for, draw_boxes
from app.figures.common import base_layout, empty_figure, to_numpy
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


def class_counts_figure(trace: Any, detections: Any) -> go.Figure:
    counts = class_counts(detections)
    if not counts:
        return empty_figure(t("detections.none"), height=260)
    label_ids = {name: i for i, name in enumerate(trace.categories)}
    colors = ["#{:02x}{:02x}{:02x}".format(*color_for(label_ids.get(name, 0))) for name, _ in counts]
    fig = go.Figure(go.Bar(x=[name for name, _ in counts], y=[n for _, n in counts], marker_color=colors,
                           marker_line=dict(color="#333", width=1), text=[n for _, n in counts],
                           textposition="outside", hovertemplate="%{x}: %{y}<extra></extra>"))
    fig.update_yaxes(title_text=t("detections.col.count"), rangemode="tozero",
                     range=[0, max(n for _, n in counts) * 1.25 + 0.5], gridcolor="#ddd")
    return base_layout(fig, 300, t("detections.per_class"))


def summary(trace: Any, replay: Any) -> dict[str, Any]:
    """The JSON summary that /inspect and /rethreshold return: counts, settings and detections (original px)."""
    detections = replay.detections
    boxes, scores = to_numpy(detections.boxes), to_numpy(detections.scores)
    height, width = trace.original_size
    return {
        "model": trace.model_name,
        "image_size": {"width": int(width), "height": int(height)},
        "settings": {key: _plain(value) for key, value in replay.settings.items()},
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
