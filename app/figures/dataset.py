"""Dataset tab: COCO metrics at the current thresholds, per-class AP, precision–recall curves, the TIDE breakdown,
proposal recall, the worst images, and a sweep's best settings as torchvision arguments."""
from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw

from app.figures.common import base_layout, markdown_table
from app.strings import t
from inspectors.dataset import views as dataset_views
from inspectors.evaluation.coco_matching import AREA_RANGES, IOU_THRESHOLDS
from inspectors.evaluation.tide import TIDE_TYPES

SUMMARY_KEYS = ("ap", "ap50", "ap75", "ap_small", "ap_medium", "ap_large", "ar1", "ar10", "ar100")


def _value(value: float) -> str:
    return "–" if value is None or value < 0 else f"{value:.3f}"


def metrics_markdown(metrics: Any, images: int) -> str:
    """The COCO numbers (COCOeval's 0–1 scale), proposal AR and the IoU-0.5 operating point."""
    rows = [[t(f"ds.metric.{key}"), _value(float(getattr(metrics, key)))] for key in SUMMARY_KEYS]
    rows += [[t("ds.metric.proposal_ar100"), _value(metrics.proposal_ar.get("AR@100", -1))],
             [t("ds.metric.proposal_ar1000"), _value(metrics.proposal_ar.get("AR@1000", -1))]]
    c = metrics.counts
    point = t("ds.operating_point", tp=int(c["tp50"]), fp=int(c["fp50"]), fn=int(c["fn50"]),
              precision=float(c["precision50"]), recall=float(c["recall50"]), f1=float(c["f1_50"]),
              detections=int(c["detections"]), images=images)
    return markdown_table([t("ds.col.metric"), t("ds.col.value")], rows) + "\n\n" + point


def per_class_figure(metrics: Any) -> go.Figure:
    rows = [row for row in dataset_views.class_rows(metrics) if row["ap"] >= 0]
    names = [row["class"] for row in rows]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=names, x=[row["ap50"] for row in rows], orientation="h", name=t("ds.metric.ap50"),
                         marker_color="#56b4e9"))
    fig.add_trace(go.Bar(y=names, x=[row["ap"] for row in rows], orientation="h", name=t("ds.metric.ap"),
                         marker_color="#0072b2"))
    fig.update_xaxes(range=[0, 1], title=t("ds.axis.ap"))
    # The legend above the bars, right of the title (below them it sat on the axis title)
    fig.update_layout(barmode="group", legend=dict(orientation="h", x=1, xanchor="right", y=1.02, yanchor="bottom"))
    return base_layout(fig, max(260, 60 + 46 * len(names)), t("ds.per_class"))


def pr_figure(metrics: Any, iou: float = 0.5) -> go.Figure:
    fig = go.Figure()
    for name, (recall, precision) in dataset_views.pr_curves(metrics, iou).items():
        fig.add_trace(go.Scatter(x=recall, y=precision, mode="lines", name=name, line=dict(width=3)))
    # Axes from a little before 0 (else the two "0" tick labels meet at the corner); the legend beside the plot
    # (below it, it grew onto the axis title once it took two lines)
    fig.update_xaxes(range=[-0.03, 1.02], title=t("ds.axis.recall"))
    fig.update_yaxes(range=[-0.03, 1.03], title=t("ds.axis.precision"))
    return base_layout(fig, 360, t("ds.pr_title", iou=iou))


def tide_markdown(metrics: Any) -> str:
    rows = {row["type"]: row for row in dataset_views.tide_rows(metrics)}
    if not rows:
        return ""
    table = [[t(f"tide.{kind}"), rows[kind]["count"], f"{rows[kind]['dap']:+.3f}", t(f"tide.{kind}.explain")]
             for kind in TIDE_TYPES if kind in rows]
    return markdown_table([t("gt.col.error"), t("gt.col.count"), t("ds.col.dap"), t("gt.col.meaning")], table) \
        + "\n\n" + t("ds.tide_note")


def proposal_figure(metrics: Any) -> go.Figure:
    curves = dataset_views.proposal_curves(metrics)
    fig = go.Figure()
    for area, dash in (("all", "solid"), ("small", "dot"), ("medium", "dash"), ("large", "dashdot")):
        values = curves["ar_by_count"].get(area)
        if values and any(v >= 0 for v in values):
            fig.add_trace(go.Scatter(x=curves["counts"], y=[v if v >= 0 else None for v in values],
                                     mode="lines+markers", name=t(f"ds.area.{area}"), line=dict(dash=dash, width=3)))
    fig.update_xaxes(type="log", dtick=1, title=t("gt.axis.proposals"))   # 1, 10, 100, 1000 (no "2 5 2 5" between)
    fig.update_yaxes(range=[-0.03, 1.03], title=t("ds.axis.ar"))   # the legend beside the plot, as above
    return base_layout(fig, 340, t("ds.proposal_title"))


def worst_gallery(dataset: Any, metrics: Any, thresholds: dict[str, Any], n: int = 8
                  ) -> tuple[list[tuple[np.ndarray, str]], list[str]]:
    """(image with boxes, caption) for the n images with the lowest AP, and their names in the same order."""
    items, names = [], []
    rows = dataset_views.worst_images(metrics, n)
    overlays = evaluated_overlays(dataset, [row["name"] for row in rows], thresholds, max_side=WORST_SIDE)
    for row, short, image in zip(rows, distinct_names([row["name"] for row in rows]), overlays):
        caption = t("ds.worst_caption", name=short, ap=_value(row["ap"]), fp=int(row.get("fp50", 0)),
                    missed=int(row.get("missed50", 0)))
        items.append((image, caption))
        names.append(row["name"])
    return items, names


WORST_SIDE = 360   # the worst images' longest side in the gallery, pixels
_ALL, _IOU50 = [name for name, _, _ in AREA_RANGES].index("all"), int(np.flatnonzero(IOU_THRESHOLDS == 0.5)[0])


def evaluated_overlays(dataset: Any, names: list[str], thresholds: dict[str, Any], max_side: int = WORST_SIDE
                       ) -> list[np.ndarray]:
    """`inspectors.dataset.views.image_overlay(dataset, name, max_side=…, **thresholds)` for each name, pixel for
    pixel, drawn from what the evaluation at these thresholds already holds (its detections and COCO matches,
    DatasetCapture.matches) instead of replaying each image twice (its RPN again: ~16 replays per slider move).

    The evaluation keeps the detections of the classes the dataset evaluates, at most COCO's 100 per image and
    class; an image with a detection it does not keep (a class the dataset lacks, more than 100) is replayed."""
    settings = dataset.settings(**thresholds)
    dets, matches = dataset.matches(**settings)
    labels = np.arange(len(dataset.categories))
    classes = dataset.evaluated_class(labels)
    every_class = bool((classes[1:] >= 0).all())   # label 0 is the background
    model_name = {int(c): dataset.categories[int(label)] for label, c in zip(labels, classes) if c >= 0}
    kept = np.zeros(len(dets.image), dtype=bool)
    kept[matches.det] = True
    matched = np.full(len(dets.image), -1, dtype=np.int64)
    matched[matches.det] = matches.gt[_ALL, _IOU50]
    ignored = np.zeros(len(dets.image), dtype=bool)
    ignored[matches.det] = matches.det_ignored[_ALL, _IOU50]
    overlays = []
    for name in names:
        index = dataset.index_of(name)
        rows = np.flatnonzero(dets.image == index)
        if not every_class or not kept[rows].all():
            overlays.append(dataset_views.image_overlay(dataset, name, max_side=max_side, **settings))
            continue
        status = ["ignored" if ignored[r] else ("tp" if matched[r] >= 0 else "fp") for r in rows]
        x, y, w, h = (dets.bbox[rows, k] for k in range(4))
        boxes = np.stack([x, y, x + w, y + h], axis=1)
        overlays.append(_draw_overlay(dataset, name, boxes, [model_name[int(c)] for c in dets.category[rows]],
                                      dets.score[rows], status, max_side))
    return overlays


def _draw_overlay(dataset: Any, name: str, boxes: np.ndarray, labels: list[str], scores: np.ndarray,
                  status: list[str], max_side: int) -> np.ndarray:
    """The drawing of image_overlay: ground truth green (crowd grey), detections coloured by their status."""
    image = Image.open(dataset.image_path(name)).convert("RGB")
    scale = 1.0
    if max_side and max(image.size) > max_side:
        scale = max_side / max(image.size)
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(image)
    gt = dataset.record(name).ground_truth
    for (x, y, w, h), crowd in zip(gt.bbox, gt.iscrowd):
        draw.rectangle([x * scale, y * scale, (x + w) * scale, (y + h) * scale],
                       outline=dataset_views.COLORS["ignored" if crowd else "gt"], width=2)
    for box, label, score, state in zip(boxes, labels, scores, status):
        x0, y0, x1, y1 = (float(v) * scale for v in box)
        color = dataset_views.COLORS[state]
        draw.rectangle([x0, y0, x1, y1], outline=color, width=2)
        text = f"{label} {np.float32(score):.2f}"
        draw.rectangle([x0, y0, x0 + 6 * len(text) + 4, y0 + 11], fill=color)
        draw.text((x0 + 2, y0), text, fill=(255, 255, 255))
    return np.asarray(image)


def distinct_names(names: list[str], keep: int = 4) -> list[str]:
    """Names short enough for a caption that still tell the images apart: the prefix they all share is replaced
    by "…" (keeping its last `keep` characters for context), so that "scene_000123.png" and "scene_000124.png"
    read "…0123.png" and "…0124.png" instead of two identical truncated "scene_000…"."""
    if len(names) < 2:
        return list(names)
    prefix = len(os.path.commonprefix(names))
    cut = max(0, prefix - keep)
    return [name if cut == 0 else "…" + name[cut:] for name in names]


def sweep_markdown(result: Any, model_name: str) -> str:
    """The best setting found, against the model's own, and as arguments to paste into torchvision code."""
    changed = result.changed or {}
    settings = ", ".join(f"{k} = {v:g}" for k, v in changed.items()) or t("ds.sweep_same")
    kwargs = json.dumps(result.constructor_kwargs, indent=4)
    builder = model_name if model_name.startswith("fasterrcnn_") else "FasterRCNN"
    code = f"```python\nmodel = {builder}(..., **" + kwargs + ")\n```"
    return (t("ds.sweep_result", metric=t(f"ds.metric.{result.metric}"), best=result.best_value,
              baseline=result.baseline_value, points=len(result.rows), settings=settings)
            + "\n\n" + t("ds.sweep_code") + "\n\n" + code)
