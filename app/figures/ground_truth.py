"""Ground-truth views: where each object was lost (the funnel), TP/FP/FN with TIDE error types, proposal recall,
the RPN's training labels of the anchors, and the four training losses of this image."""
from __future__ import annotations

import html
import math
from typing import Any, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.drawing import GROUND_TRUTH_COLOR, color_for, draw_boxes, hex_color
from app.figures.common import base_layout, markdown_table, to_numpy
from app.figures.detections import image_key, image_url
from app.strings import engine_error_text, t
from app.viewer import image_by_key, static_value
from inspectors.evaluation.tide import TIDE_TYPES
from inspectors.ground_truth.funnel import STAGES

TP_COLOR, FP_COLOR, IGNORED_COLOR = (0, 205, 110), (235, 50, 50), (160, 160, 160)
# The stages drawn on the object image (all twelve would hide it), with their colours.
DRAWN_STAGES = {"anchors": (250, 210, 40), "decoded": (255, 150, 30), "post_nms_top_n": (80, 170, 255),
                "roi_head": (190, 110, 255), "matched": (0, 205, 110)}
# What each drawn stage's box is, on the viewer (data-role; data-stage names the stage): the anchor and the decoded
# anchor are indexed by anchor (funnel.INDEX_KIND), the best proposal after the RPN, the RoI head's class box and
# the matched detection.
STAGE_ROLES = {"anchors": "anchor", "decoded": "anchor", "post_nms_top_n": "proposal", "roi_head": "detection",
               "matched": "detection"}
POSITIVE, IGNORED, NEGATIVE = (0, 205, 110), (250, 210, 40), (235, 50, 50)
SIZE_CLASSES = ("small", "medium", "large")


def stage_name(stage: str) -> str:
    return t(f"funnel.stage.{stage}")


def warning_text(warning: Any) -> str:
    return engine_error_text(warning)   # a LensWarning has a code and params, like an engine error


def _pct(value: Any) -> str:
    return "–" if value is None or (isinstance(value, float) and (math.isnan(value) or value < 0)) else f"{value:.3f}"


def summary_markdown(report: Any) -> str:
    """TP/FP/FN at two IoUs, AP, AR and how many objects were lost where."""
    c50, c75 = report.counts[0.5], report.counts[0.75]
    rows = [["IoU 0.5", c50[0], c50[1], c50[2]], ["IoU 0.75", c75[0], c75[1], c75[2]]]
    counts = markdown_table([t("gt.col.match"), "TP", "FP", "FN"], rows)
    ar = report.ar
    scores = t("gt.scores", ap50=_pct(report.ap50), ap=_pct(report.ap), ar100=_pct(ar.get("AR@100")),
               ar1000=_pct(ar.get("AR@1000")), objects=len(report.funnel))
    masks = getattr(report, "masks", None)
    if masks is not None:  # a Mask R-CNN on ground truth with masks
        scores += "\n\n" + t("gt.mask_scores", ap50=_pct(report.segm_ap50), ap=_pct(report.segm_ap),
                               threshold=f"{masks.mask_thresh:g}")
    lost = {stage: n for stage, n in report.lost.items() if stage is not None and n}
    where = ", ".join(f"{stage_name(stage)} {n}" for stage, n in sorted(lost.items(), key=lambda kv: -kv[1]))
    lost_line = t("gt.lost_where", where=where) if where else t("gt.none_lost")
    return f"{scores}\n\n{counts}\n\n{lost_line}"


def tide_markdown(report: Any) -> str:
    counts = report.error_counts
    rows = [[t(f"tide.{kind}"), counts.get(kind, 0), t(f"tide.{kind}.explain")] for kind in TIDE_TYPES]
    return markdown_table([t("gt.col.error"), t("gt.col.count"), t("gt.col.meaning")], rows, align_right_from=1)


def funnel_headers(stages: Sequence[str] = STAGES) -> list[str]:
    return ["#", t("gt.col.class"), *[stage_name(s) for s in stages], t("gt.col.lost_at")]


def funnel_frame(report: Any) -> Any:
    """One row per object: the best IoU any box reaches at every stage; green ≥ t, red < t, the lost stage marked.
    A pandas Styler: Gradio shows the colours."""
    threshold = report.iou_threshold
    stages = getattr(report, "stages", STAGES)  # with a last "mask" stage when a mask model's masks are scored
    rows = []
    for record in report.funnel:
        lost = stage_name(record.lost_at) if record.lost_at else t("gt.detected")
        rows.append([record.index, record.name, *[round(float(record.best_iou[s]), 2) for s in stages], lost])
    frame = pd.DataFrame(rows, columns=funnel_headers(stages))
    stage_columns = [stage_name(s) for s in stages]

    def colour(value: Any) -> str:
        if not isinstance(value, (int, float)):
            return ""
        return "background-color: #d8f5e3" if value >= threshold else "background-color: #fbdcdc"

    def lost_colour(value: Any) -> str:
        return "" if value == t("gt.detected") else "background-color: #f4a6a6; font-weight: bold"

    styler = frame.style.map(colour, subset=stage_columns).map(lost_colour, subset=[t("gt.col.lost_at")])
    return styler.format(precision=2, subset=stage_columns)


FUNNEL_PASS, FUNNEL_FAIL, FUNNEL_LOST = "#d8f5e3", "#fbdcdc", "#f4a6a6"


def funnel_html(report: Any) -> str:
    """funnel_frame as an HTML table (the page's funnel: a Gradio Dataframe cost the browser ~90 ms to re-render
    on every RPN release): the same cells and colours, one row per object carrying `data-row` (its index, for the
    row click), numbers never wrapped, scrolling inside its box when wider or taller than the page allows."""
    threshold = report.iou_threshold
    stages = getattr(report, "stages", STAGES)
    detected = t("gt.detected")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in funnel_headers(stages))
    rows = []
    for record in report.funnel:
        cells = [f"<td>{record.index}</td>", f"<td class='lens-funnel-name'>{html.escape(record.name)}</td>"]
        for stage in stages:
            value = round(float(record.best_iou[stage]), 2)
            color = FUNNEL_PASS if value >= threshold else FUNNEL_FAIL
            cells.append(f"<td class='lens-num' style='background-color: {color}'>{value:.2f}</td>")
        lost = stage_name(record.lost_at) if record.lost_at else detected
        style = "" if lost == detected else f" style='background-color: {FUNNEL_LOST}; font-weight: bold'"
        cells.append(f"<td{style}>{html.escape(lost)}</td>")
        rows.append(f"<tr data-row='{record.index}'>{''.join(cells)}</tr>")
    return (f"<div class='lens-funnel'><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def object_image(trace: Any, report: Any, index: int) -> np.ndarray:
    """One object (dashed) with its best box at the key stages, each labelled with its IoU."""
    record = report.funnel[index]
    boxes, colors, labels = [], [], []
    for stage, color in DRAWN_STAGES.items():
        best = record.best.get(stage)
        if best is not None and best.box is not None:
            boxes.append(best.box)
            colors.append(color)
            labels.append(f"{stage_name(stage)} {best.iou:.2f}")
    return draw_boxes(trace.image, np.asarray(boxes, dtype=np.float32).reshape(-1, 4), colors, labels, width=3,
                      dim=0.3, ground_truth=np.asarray([record.box], dtype=np.float32))


def object_boxes(report: Any, index: int) -> list[dict[str, Any]]:
    """The boxes object_image draws, for the viewer: the object's ground truth, then its best box at each drawn
    stage (as the report has them: box in original pixels, the report's IoU with the object; the matched detection's
    score), each labelled as on the picture."""
    record = report.funnel[index]
    boxes: list[dict[str, Any]] = [{
        "box": [float(v) for v in record.box], "role": "gt", "stage": "gt", "label": record.name,
        "name": t("gt.viewer_object", index=record.index), "color": hex_color(GROUND_TRUTH_COLOR), "score": None,
        "iou": None, "text": ""}]
    for stage, color in DRAWN_STAGES.items():
        best = record.best.get(stage)
        if best is None or best.box is None:
            continue
        score = record.detection_score if stage == "matched" else None
        boxes.append({"box": [float(v) for v in best.box], "role": STAGE_ROLES[stage], "stage": stage,
                      "label": record.name, "name": stage_name(stage), "color": hex_color(color),
                      "score": None if score is None else float(score), "iou": float(best.iou),
                      "text": f"{stage_name(stage)} {best.iou:.2f}"})
    return boxes


def object_viewer(trace: Any, report: Any, index: int) -> str:
    """The object's picture on the box viewer (data-view="ground_truth", static: the server decides the boxes)."""
    height, width = trace.original_size
    return static_value("ground_truth", object_boxes(report, index),
                        image_by_key(image_key(trace), lambda: image_url(trace)), (int(width), int(height)))


def object_markdown(report: Any, index: int) -> str:
    """Why this object was (not) found, in a few sentences with the numbers."""
    record = report.funnel[index]
    parts = [t("gt.object", index=record.index, name=record.name,
               width=record.box[2] - record.box[0], height=record.box[3] - record.box[1])]
    if record.lost_at is None:
        parts.append(t("gt.object.detected", detection=record.detection, score=record.detection_score or 0.0,
                       iou=record.best_iou["matched"]))
    else:
        parts.append(t("gt.object.lost", stage=stage_name(record.lost_at), threshold=record.iou_threshold))
        parts.append(t(f"gt.why.{record.lost_at}"))
    for key, removal in (("gt.rpn_nms", record.rpn_nms), ("gt.box_nms", record.box_nms)):
        if removal is not None:
            parts.append(t(key, by=removal.by, score=removal.by_score, iou=removal.iou,
                           cover=removal.by_iou_with_object))
    if record.head is not None:
        h = record.head
        parts.append(t("gt.head", prob=h.true_class_prob, name=record.name, preferred=h.preferred_name,
                       preferred_prob=h.preferred_prob))
    return "\n\n".join(parts)


def object_choices(report: Any) -> list[tuple[str, int]]:
    return [(t("gt.object_choice", index=r.index, name=r.name,
               state=stage_name(r.lost_at) if r.lost_at else t("gt.detected")), r.index) for r in report.funnel]


def recall_figure(report: Any) -> go.Figure:
    """Recall vs IoU at the current post-NMS top-n, and recall vs number of proposals (the paper's Fig. 4)."""
    curve, vs = report.recall_vs_iou, report.recall_vs_proposals
    fig = make_subplots(rows=1, cols=2, subplot_titles=[t("gt.recall_iou", proposals=curve.proposals),
                                                        t("gt.recall_proposals")], horizontal_spacing=0.12)
    fig.add_trace(go.Scatter(x=curve.iou_thresholds, y=curve.recall, mode="lines+markers", name=t("gt.all_sizes"),
                             line=dict(color="#1f77b4", width=3)), row=1, col=1)
    for size, dash in zip(SIZE_CLASSES, ("dot", "dash", "dashdot")):
        if curve.objects_by_size.get(size):
            fig.add_trace(go.Scatter(x=curve.iou_thresholds, y=curve.by_size[size], mode="lines",
                                     name=t(f"gt.size.{size}", count=curve.objects_by_size[size]),
                                     line=dict(dash=dash, width=2)), row=1, col=1)
    for iou, color in ((0.5, "#2ca02c"), (0.7, "#ff7f0e")):
        fig.add_trace(go.Scatter(x=list(vs.counts), y=vs.recall_at(iou), mode="lines+markers",
                                 name=t("gt.at_iou", iou=iou), line=dict(color=color, width=3)), row=1, col=2)
    fig.update_xaxes(title=t("gt.axis.iou"), range=[0.48, 0.97], row=1, col=1)
    fig.update_xaxes(title=t("gt.axis.proposals"), type="log", row=1, col=2)
    fig.update_yaxes(title=t("gt.axis.recall"), range=[0, 1.05], row=1, col=1)
    fig.update_yaxes(range=[0, 1.05], row=1, col=2)
    fig.update_layout(legend=dict(orientation="h", y=-0.28))
    return base_layout(fig, 400)


def losses_markdown(report: Any) -> str:
    details = report.loss_details
    rows = [[t(f"loss.{name}"), name, round(float(value), 4)] for name, value in details.losses.items()]
    total = sum(float(v) for v in details.losses.values())
    biggest = max(details.losses, key=lambda k: details.losses[k]) if details.losses else None
    note = t("gt.loss_share", name=t(f"loss.{biggest}"), share=100 * details.losses[biggest] / total) \
        if biggest and total > 0 else ""
    warnings = "\n".join(f"- {warning_text(w)}" for w in details.warnings)
    table = markdown_table([t("gt.col.loss"), "torchvision", t("gt.col.value")], rows)
    return "\n\n".join(part for part in (table, note, warnings) if part)


def anchor_labels_image(trace: Any, report: Any, level: int) -> np.ndarray:
    """One level's anchors as the RPN's training rule labels them: positive (green), ignored (yellow), and the
    negatives one training step would sample (red); the objects dashed."""
    analysis = report.anchor_analysis
    info = trace.levels[level]
    labels = to_numpy(analysis.labels)[info.start: info.start + info.count]
    positive = np.nonzero(labels == 1)[0] + info.start
    ignored = np.nonzero(labels == -1)[0] + info.start
    sampled = to_numpy(analysis.sampled_negative)
    sampled = sampled[(sampled >= info.start) & (sampled < info.start + info.count)]
    ignored = ignored[:400]   # an ignored band can hold thousands: the closest ones are enough to see it
    order = np.concatenate([sampled, ignored, positive]).astype(np.int64)
    boxes = to_numpy(trace.to_original(trace.anchors[order])) if len(order) else np.zeros((0, 4))
    colors = [NEGATIVE] * len(sampled) + [IGNORED] * len(ignored) + [POSITIVE] * len(positive)
    return draw_boxes(trace.image, boxes, colors, width=1, dim=0.45, ground_truth=report.gt.boxes)


def anchor_labels_markdown(report: Any) -> str:
    a = report.anchor_analysis
    rows = [[c.level, c.positive, c.ignored, c.negative, c.sampled_positive, c.sampled_negative] for c in a.per_level]
    table = markdown_table([t(f"gt.anchor.col.{k}") for k in ("level", "positive", "ignored", "negative",
                                                             "sampled_positive", "sampled_negative")], rows)
    rule = t("gt.anchor.rule", fg=a.fg_iou, bg=a.bg_iou, batch=a.batch_size_per_image,
             fraction=a.positive_fraction, seed=a.seed)
    objects = [t("gt.anchor.object", index=o.index, level=o.level_name, size=o.size, ratio=o.aspect_ratio,
                 iou=o.best_iou, positives=o.positives) + (" " + t("gt.anchor.low_quality_tag") if o.low_quality_only
                                                           else "") for o in a.objects]
    low_quality = sum(o.low_quality_only for o in a.objects)
    note = t("gt.anchor.low_quality", count=low_quality, total=len(a.objects), fg=a.fg_iou) if low_quality else ""
    border = a.border
    paper = t("gt.anchor.border", crossing=border.crossing, lost=border.positives_lost,
              objects=len(border.objects_without_positive))
    return "\n\n".join(part for part in (rule, table, "\n".join(f"- {line}" for line in objects), note, paper)
                       if part)


def detection_statuses(report: Any, count: int) -> tuple[list[str], list[str]]:
    """Per detection: "tp" / "fp" / "ignored", and its TIDE type when it is a false positive."""
    status = list(report.evaluation.status)[:count]
    kinds = {e.detection: e.kind for e in report.errors if e.detection is not None}
    return status, [kinds.get(i, "") for i in range(len(status))]


def status_colors(status: list[str]) -> list[tuple[int, int, int]]:
    return [TP_COLOR if s == "tp" else IGNORED_COLOR if s == "ignored" else FP_COLOR for s in status]


def class_color(label: int) -> tuple[int, int, int]:
    return color_for(label)


# --- the recall curves as inline SVG (the page's chart: re-drawn on every RPN release, where a plotly chart costs the
# browser ~100-200 ms to re-render; recall_figure above stays for the named API's outputs) -----------------------

_W, _H = 560, 360                       # one panel's viewBox (the pair scales to the column's width)
_LEFT, _RIGHT, _TOP, _BOTTOM = 62, 16, 58, 58   # (the legend goes below, on as many lines as it needs)
SIZE_COLORS = {"small": "#e69f00", "medium": "#009e73", "large": "#cc79a7"}
_DASHES = {"solid": "", "dot": "2 5", "dash": "9 6", "dashdot": "9 5 2 5"}


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """About `count` round tick values in [lo, hi]."""
    span = hi - lo
    raw = span / max(1, count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + k * step, 10) for k in range(int((hi - first) / step + 1e-9) + 1)]


def _panel(title: str, x_title: str, y_title: str, x_range: tuple[float, float], log_x: bool,
           series: list[tuple[str, str, str, Sequence[float], Sequence[float], bool]], x_ticks: Sequence[float]
           ) -> tuple[str, int]:
    """One chart: axes with round ticks, a light grid, the series (name, colour, dash, xs, ys, markers), a legend
    below the x-axis title. Returns the SVG's content and the height it needs."""
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    lo, hi = (math.log10(x_range[0]), math.log10(x_range[1])) if log_x else x_range

    def px(x: float) -> float:
        value = math.log10(x) if log_x else x
        return _LEFT + (value - lo) / (hi - lo) * plot_w

    def py(y: float) -> float:
        return _TOP + (1.05 - y) / 1.05 * plot_h

    parts = [f'<text x="{_W / 2:.0f}" y="24" text-anchor="middle" font-size="17" font-weight="600">{_esc(title)}'
             "</text>"]
    for y in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        parts.append(f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{py(y):.1f}" y2="{py(y):.1f}" stroke="#e5e5e5"/>'
                     f'<text x="{_LEFT - 8}" y="{py(y) + 5:.1f}" text-anchor="end" font-size="14">{y:g}</text>')
    for x in x_ticks:
        parts.append(f'<line x1="{px(x):.1f}" x2="{px(x):.1f}" y1="{_TOP}" y2="{_TOP + plot_h}" stroke="#f0f0f0"/>'
                     f'<text x="{px(x):.1f}" y="{_TOP + plot_h + 20}" text-anchor="middle" font-size="14">{x:g}</text>')
    parts.append(f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#888"/>')
    parts.append(f'<text x="{_LEFT + plot_w / 2:.0f}" y="{_TOP + plot_h + 42}" text-anchor="middle" font-size="15">'
                 f'{_esc(x_title)}</text>')
    parts.append(f'<text transform="translate(16 {_TOP + plot_h / 2:.0f}) rotate(-90)" text-anchor="middle" '
                 f'font-size="15">{_esc(y_title)}</text>')
    legend_x, legend_y = _LEFT, _TOP + plot_h + 70
    for name, color, dash, xs, ys, markers in series:
        points = [(px(float(x)), py(float(y))) for x, y in zip(xs, ys)
                  if math.isfinite(float(y)) and (not log_x or float(x) > 0)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        pattern = f' stroke-dasharray="{_DASHES[dash]}"' if _DASHES[dash] else ""
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="3"{pattern}>'
                     f'<title>{_esc(name)}</title></polyline>')
        if markers:
            parts.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"><title>{_esc(name)}: '
                         f'{float(xv):g} → {float(yv):.3f}</title></circle>'
                         for (x, y), xv, yv in zip(points, xs, ys))
        width = 40 + sum(15 if ord(c) >= 0x2E80 else 8 for c in name)   # CJK glyphs are about twice as wide
        if legend_x > _LEFT and legend_x + width > _W - _RIGHT:   # no room left on this line: the next one
            legend_x, legend_y = _LEFT, legend_y + 22
        parts.append(f'<line x1="{legend_x}" x2="{legend_x + 26}" y1="{legend_y - 5}" y2="{legend_y - 5}" '
                     f'stroke="{color}" stroke-width="3"{pattern}/>'
                     f'<text x="{legend_x + 32}" y="{legend_y}" font-size="14">{_esc(name)}</text>')
        legend_x += width + 8
    return "".join(parts), legend_y + 12


def _svg(title: str, body: str, height: int) -> str:
    return (f'<svg viewBox="0 0 {_W} {height}" role="img" aria-label="{_esc(title)}" '
            f'style="flex: 1 1 420px; min-width: 0; max-width: 100%; height: auto; font-family: inherit; '
            f'fill: currentColor">{body}</svg>')


def recall_svg(report: Any) -> str:
    """recall_figure's two charts (recall vs IoU at the current proposals, recall vs the number of proposals) as
    inline SVG, the same curves and numbers: the page's Ground-truth chart."""
    curve, vs = report.recall_vs_iou, report.recall_vs_proposals
    ious = [float(v) for v in curve.iou_thresholds]
    left = [(t("gt.all_sizes"), "#1f77b4", "solid", ious, [float(v) for v in curve.recall], True)]
    for size, dash in zip(SIZE_CLASSES, ("dot", "dash", "dashdot")):
        if curve.objects_by_size.get(size):
            left.append((t(f"gt.size.{size}", count=curve.objects_by_size[size]), SIZE_COLORS[size], dash, ious,
                         [float(v) for v in curve.by_size[size]], False))
    counts = [int(c) for c in vs.counts]
    right = [(t("gt.at_iou", iou=iou), color, "solid", counts, [float(v) for v in vs.recall_at(iou)], True)
             for iou, color in ((0.5, "#2ca02c"), (0.7, "#ff7f0e"))]
    titles = (t("gt.recall_iou", proposals=curve.proposals), t("gt.recall_proposals"))
    panels = [_panel(titles[0], t("gt.axis.iou"), t("gt.axis.recall"), (0.48, 0.97), False, left,
                     _ticks(0.5, 0.95, 6)),
              _panel(titles[1], t("gt.axis.proposals"), t("gt.axis.recall"), (min(counts) * 0.8, max(counts) * 1.25),
                     True, right, counts)]
    height = max(h for _, h in panels)   # the same height for both, so that their axes line up
    return ('<div class="lens-recall-svg" style="display: flex; flex-wrap: wrap; gap: 12px; width: 100%">'
            + "".join(_svg(title, body, height) for title, (body, _) in zip(titles, panels)) + "</div>")
