"""A detection's story in numbers (anchor → proposal → detection, with the box coder's formulas), its provenance
across the stages, and what removed a box that did not survive."""
from __future__ import annotations

import html
from typing import Any

import numpy as np
from PIL import Image

from app.drawing import draw_boxes
from app.figures.common import markdown_table, stride_text, to_numpy
from app.strings import t

ANCHOR, PROPOSAL, DETECTION = (250, 210, 40), (80, 170, 255), (0, 205, 110)


def detection_choices(detections: Any, limit: int = 100) -> list[tuple[str, int]]:
    scores = to_numpy(detections.scores)
    return [(t("story.choice", index=i, name=name, score=float(scores[i])), i)
            for i, name in enumerate(detections.names[:limit])]


def detection_at(detections: Any, x: float, y: float) -> int | None:
    """The smallest detection containing (x, y), else the one whose centre is nearest."""
    boxes = to_numpy(detections.boxes)
    if not len(boxes):
        return None
    inside = (boxes[:, 0] <= x) & (x <= boxes[:, 2]) & (boxes[:, 1] <= y) & (y <= boxes[:, 3])
    if inside.any():
        areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        return int(np.argmin(np.where(inside, areas, np.inf)))
    centres = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], axis=1)
    return int(np.argmin(((centres - np.array([x, y])) ** 2).sum(axis=1)))


def _f(values: Any, digits: int = 2) -> str:
    return ", ".join(f"{float(v):.{digits}f}" for v in values)


def refinement_markdown(step: Any, reference_key: str, result_key: str) -> str:
    """One refinement (the RPN's or the RoI head's) as a table of its numbers and the formulas with them."""
    xa, ya = step.reference_centre
    wa, ha = step.reference_size
    wx, wy, ww, wh = step.weights
    dx, dy, dw, dh = step.scaled
    cdw, cdh = step.clamped
    x, y = step.centre
    w, h = step.size
    rows = [
        [t(reference_key), _f(step.reference, 1), f"xa = {xa:.1f}, ya = {ya:.1f}, wa = {wa:.1f}, ha = {ha:.1f}"],
        [t("story.row.deltas"), _f(step.deltas, 4), t("story.weights", weights=_f(step.weights, 0))],
        [t("story.row.scaled"), _f(step.scaled, 4), f"dx = tx/{wx:g}, dy = ty/{wy:g}, dw = tw/{ww:g}, "
                                                      f"dh = th/{wh:g}"],
        [t("story.row.clamp"), _f(step.clamped, 4),
         t("story.clamp_hit" if any(step.clamp_hit) else "story.clamp_ok", clip=step.clip)],
        [t("story.row.centre"), f"{x:.1f}, {y:.1f}",
         f"x = {xa:.1f} + {dx:.4f}·{wa:.1f}, y = {ya:.1f} + {dy:.4f}·{ha:.1f}"],
        [t("story.row.size"), f"{w:.1f}, {h:.1f}", f"w = {wa:.1f}·exp({cdw:.4f}), h = {ha:.1f}·exp({cdh:.4f})"],
        [t("story.row.decoded"), _f(step.decoded, 1), "x1 = x − w/2, y1 = y − h/2, x2 = x + w/2, y2 = y + h/2"],
        [t(result_key), _f(step.clipped, 1),
         t("story.clipped_changed" if step.clipped_changed else "story.clipped_same",
           height=step.image_size[0], width=step.image_size[1])],
    ]
    return markdown_table([t("story.col.quantity"), t("story.col.value"), t("story.col.how")], rows,
                          align_right_from=99)


def story_markdown(story: Any) -> str:
    a = story.anchor_info
    head = t("story.anchor", level=a.level_name, y=a.cell[0], x=a.cell[1], size=a.size, ratio=a.aspect_ratio,
             stride=stride_text(a.stride),
             cx=a.centre[0], cy=a.centre[1], w=a.width, h=a.height, objectness=story.objectness)
    rpn = refinement_markdown(story.rpn, "story.row.anchor", "story.row.proposal")
    box = refinement_markdown(story.head, "story.row.proposal_in", "story.row.detection")
    return (f"{head}\n\n{t('story.formulas')}\n\n#### {t('story.rpn_title')}\n{rpn}\n\n"
            f"#### {t('story.head_title', name=story.label_name, score=story.class_score)}\n{box}\n\n"
            f"{t('story.frame_note')}")


def story_image(trace: Any, story: Any, margin: float = 0.6, size: int = 420) -> np.ndarray:
    """A zoomed crop around the three boxes: anchor (yellow), proposal (blue), detection (green)."""
    boxes = np.array([story.anchor_info.box_original, story.rpn.clipped_original, story.head.clipped_original],
                     dtype=np.float32)
    height, width = trace.original_size
    x1, y1 = boxes[:, 0].min(), boxes[:, 1].min()
    x2, y2 = boxes[:, 2].max(), boxes[:, 3].max()
    pad = margin * max(x2 - x1, y2 - y1, 16.0)
    cx1, cy1 = int(max(0, np.floor(x1 - pad))), int(max(0, np.floor(y1 - pad)))
    cx2, cy2 = int(min(width, np.ceil(x2 + pad))), int(min(height, np.ceil(y2 + pad)))
    crop = trace.image[cy1:cy2, cx1:cx2]
    scale = size / max(crop.shape[0], crop.shape[1], 1)
    big = np.asarray(Image.fromarray(crop).resize((max(1, round(crop.shape[1] * scale)),
                                                   max(1, round(crop.shape[0] * scale))), Image.NEAREST))
    shifted = (boxes - np.array([cx1, cy1, cx1, cy1], dtype=np.float32)) * scale
    labels = [t("story.label.anchor"), t("story.label.proposal"), t("story.label.detection")]
    return draw_boxes(big, shifted, [ANCHOR, PROPOSAL, DETECTION], labels, width=3, max_side=size)


def breadcrumb_html(*, level: str, y: int, x: int, size: float, ratio: float, objectness: float, proposal: int,
                    name: str, score: float, detection: int) -> str:
    """The breadcrumb shown above every tab: anchor → objectness → proposal → RoI head → detection."""
    crumbs = [t("crumb.anchor", level=level, y=y, x=x, size=size, ratio=ratio),
              t("crumb.objectness", value=objectness), t("crumb.proposal", index=proposal),
              t("crumb.head", name=name, score=score), t("crumb.detection", index=detection)]
    items = "<span class='lens-crumb-sep'>→</span>".join(
        f"<span class='lens-crumb'>{html.escape(c)}</span>" for c in crumbs)
    return f"<div class='lens-breadcrumb'><b>{html.escape(t('crumb.title'))}</b> {items}</div>"


def lost_html() -> str:
    return f"<div class='lens-breadcrumb lens-lost'>{html.escape(t('story.lost'))}</div>"


def suppressed_markdown(provenance: Any) -> str:
    """Which boxes the detection's proposal removed in the RPN NMS, and the detection in its class's NMS."""
    parts = []
    for key, items in (("story.suppressed_rpn", provenance.rpn_suppressed),
                       ("story.suppressed_box", provenance.box_suppressed)):
        shown = ", ".join(f"#{s.suppressed} (IoU {s.iou:.2f})" for s in items[:10])
        more = f" … +{len(items) - 10}" if len(items) > 10 else ""
        parts.append(t(key, count=len(items), items=shown or "–", more=more))
    return "\n\n".join(parts)


def fate_markdown(fate: Any, box_index: int, level_name: str) -> str:
    """What happened to one RPN candidate (a pre-NMS box someone clicked)."""
    head = t("fate.box", index=box_index, level=level_name, score=fate.score)
    if fate.fate == "removed_nms" and fate.suppressed_by is not None:
        s = fate.suppressed_by
        removed = t("fate.removed_nms", by=s.suppressor, score=s.suppressor_score, iou=s.iou, threshold=s.threshold)
        return f"{head} {removed}"
    if fate.fate == "kept":
        return f"{head} {t('fate.kept', proposal=fate.proposal_index)}"
    return f"{head} {t('fate.' + fate.fate)}"
