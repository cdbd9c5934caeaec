"""NMS tab: one decision of a real NMS at a time — the box kept, the boxes it suppresses with their IoU, the queue."""
from __future__ import annotations

from typing import Any

import numpy as np

from app.drawing import draw_boxes
from app.figures.common import markdown_table, to_numpy
from app.strings import t

KEPT_NOW = (0, 200, 90)
KEPT_BEFORE = (120, 220, 160)
SUPPRESSED_NOW = (235, 50, 50)
QUEUE = (200, 200, 200)
QUEUE_SHOWN = 25          # the next boxes in the queue drawn faintly (a whole RPN level would hide the image)
SUPPRESSED_LISTED = 12    # rows of the "suppressed now" table


def group_choices(groups: list[Any]) -> list[tuple[str, int]]:
    """(label, group) for the group dropdown: 'P3 · 812 boxes' or 'rectangle · 40 boxes'."""
    return [(t("nms.group_choice", name=g.name, count=g.count), int(g.group)) for g in groups]


def frame_image(trace: Any, walk: Any, frame: Any) -> np.ndarray:
    boxes = to_numpy(walk.boxes_original)
    scores = to_numpy(walk.scores)
    queue = [i for i in frame.queue_after[:QUEUE_SHOWN]]
    before = [i for i in frame.kept_so_far if i != frame.kept]
    order = queue + before + list(frame.suppressed) + [frame.kept]
    colors = [QUEUE] * len(queue) + [KEPT_BEFORE] * len(before) + [SUPPRESSED_NOW] * len(frame.suppressed) \
        + [KEPT_NOW]
    labels = [""] * (len(queue) + len(before)) + [f"{iou:.2f}" for iou in frame.ious] \
        + [t("nms.kept_label", score=float(scores[frame.kept]))]
    highlight = len(order) - 1
    return draw_boxes(trace.image, boxes[order] if order else np.zeros((0, 4)), colors, labels, width=3,
                      highlight=highlight, dim=0.35)


def frame_markdown(walk: Any, frame: Any) -> str:
    scores = to_numpy(walk.scores)
    head = t("nms.step", step=frame.step + 1, steps=len(walk), kept=int(frame.kept),
             score=float(scores[frame.kept]), count=len(frame.suppressed), threshold=float(walk.threshold))
    tally = t("nms.tally", kept=len(frame.kept_so_far), suppressed=len(frame.suppressed_so_far),
              queue=len(frame.queue_after))
    if not frame.suppressed:
        return f"{head}\n\n{t('nms.none_suppressed', threshold=float(walk.threshold))}\n\n{tally}"
    rows = [[f"#{int(i)}", round(float(scores[i]), 3), round(float(iou), 3), f"> {float(walk.threshold):g}"]
            for i, iou in list(zip(frame.suppressed, frame.ious))[:SUPPRESSED_LISTED]]
    more = len(frame.suppressed) - SUPPRESSED_LISTED
    table = markdown_table([t(f"nms.col.{k}") for k in ("box", "score", "iou", "rule")], rows)
    extra = f"\n\n{t('nms.more', count=more)}" if more > 0 else ""
    return f"{head}\n\n{table}{extra}\n\n{tally}"


def queue_markdown(walk: Any, frame: Any, shown: int = 8) -> str:
    """The next boxes waiting, best first: who will be visited next."""
    scores = to_numpy(walk.scores)
    upcoming = frame.queue_after[:shown]
    if not upcoming:
        return t("nms.queue_empty", kept=len(walk))
    items = ", ".join(f"#{int(i)} ({float(scores[i]):.3f})" for i in upcoming)
    return t("nms.queue_next", items=items, count=len(frame.queue_after))


def summary_markdown(walk: Any) -> str:
    return t("nms.summary", inputs=int(to_numpy(walk.scores).shape[0]), kept=len(walk), name=walk.name,
             threshold=float(walk.threshold))
