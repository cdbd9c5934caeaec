"""Masks tab: every detection's mask over the image (thresholded in the browser), one detection through the mask
branch step by step, and RoIPool's misplacement against RoIAlign on the mask grid.

Every number comes from inspectors.teaching.mask_walkthrough (the replay's masks, the model's logits, torchvision's
ops); this module only lays them out. Labels arrive translated through t() calls in the functions that build text.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.figures.common import HEATMAP_COLORSCALE, base_layout, rounded, to_numpy
from app.figures.detections import image_url
from app.strings import t
from inspectors import MODEL_NAMES
from inspectors.teaching.mask_walkthrough import THRESHOLD_STEPS, MaskWalkthrough, mask_crops, mask_walkthrough

# Okabe–Ito: distinguishable for colour-blind viewers and on a projector (no white, no black).
MASK_COLORS = ("#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7")
MAX_CHOICES = 100
CROP_MARGIN = 2   # feature cells shown around the box on its level


def mask_color(index: int) -> str:
    return MASK_COLORS[int(index) % len(MASK_COLORS)]


def viewer_texts() -> dict[str, str]:
    return {"count": t("masks.count"), "score": t("masks.score")}


def viewer_json(trace: Any, replay: Any, threshold: float, chosen: int | None) -> str:
    """The mask viewer's value: the image, every detection's box and its pasted mask quantised to the threshold
    slider's steps (levels > k ⇔ mask > k / 100, exact), the threshold the server has, the chosen detection."""
    height, width = trace.original_size
    det = replay.detections
    boxes = to_numpy(det.boxes).astype(np.float32).reshape(-1, 4)
    scores = to_numpy(det.scores).astype(np.float32)
    items = []
    for i, crop in enumerate(mask_crops(replay)):
        items.append({"box": [float(str(v)) for v in boxes[i]], "score": float(str(scores[i])),
                      "name": det.names[i] if i < len(det.names) else str(int(det.labels[i])),
                      "color": mask_color(i), "region": list(crop.region), "levels": crop.encoded()})
    value = {"image": image_url(trace), "width": int(width), "height": int(height), "steps": THRESHOLD_STEPS,
             "threshold": float(threshold), "chosen": chosen, "detections": items, "texts": viewer_texts(),
             "key": f"{id(trace)}:{sorted(replay.settings.items())}"}
    return json.dumps(value, separators=(",", ":"))


def detection_choices(replay: Any) -> list[tuple[str, int]]:
    det = replay.detections
    boxes, scores = to_numpy(det.boxes).reshape(-1, 4), to_numpy(det.scores)
    return [(t("masks.choice", index=i + 1, name=det.names[i] if i < len(det.names) else int(det.labels[i]),
               score=float(scores[i]), width=float(boxes[i, 2] - boxes[i, 0]),
               height=float(boxes[i, 3] - boxes[i, 1])), i) for i in range(min(len(scores), MAX_CHOICES))]


def detection_at(replay: Any, x: float, y: float) -> int | None:
    """The smallest detection box containing (x, y) (original pixels); else the one whose centre is nearest."""
    boxes = to_numpy(replay.detections.boxes).reshape(-1, 4)
    if len(boxes) == 0:
        return None
    inside = (boxes[:, 0] <= x) & (x <= boxes[:, 2]) & (boxes[:, 1] <= y) & (y <= boxes[:, 3])
    if inside.any():
        areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        return int(np.argmin(np.where(inside, areas, np.inf)))
    centres = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], axis=1)
    return int(np.argmin(((centres - np.array([x, y])) ** 2).sum(axis=1)))


# ---- one detection, step by step --------------------------------------------------------------------------------

def _fmt_box(box: Sequence[float], digits: int = 1) -> str:
    """(x1, y1, x2, y2) kept on one line (non-breaking spaces)."""
    return "(" + ",\u00a0".join(f"{float(v):.{digits}f}" for v in box) + ")"


def steps_markdown(walk: MaskWalkthrough) -> str:
    """The six steps as a numbered list: what torchvision does, then this detection's numbers."""
    p, c = walk.paste, walk.pooling.choice
    pooled = walk.pooled
    steps = [
        (t("masks.step.level"), t("masks.step.level.value", level=walk.pooling.level_name, side=c.side, raw=c.raw,
                                  stride=1 / walk.pooling.spatial_scale)),
        (t("masks.step.pool"), t("masks.step.pool.value", channels=int(pooled.shape[0]), size=int(pooled.shape[-1]),
                                 low=float(pooled.min()), high=float(pooled.max()))),
        (t("masks.step.logits"), t("masks.step.logits.value", size=int(walk.logits.shape[-1]), name=walk.name,
                                   low=float(walk.logits.min()), high=float(walk.logits.max()))),
        (t("masks.step.sigmoid"), t("masks.step.sigmoid.value", above=int((walk.probabilities > 0.5).sum()),
                                    cells=int(walk.probabilities.numel()))),
        (t("masks.step.paste"), t("masks.step.paste.value", padded=int(p.padded.shape[-1]), scale=p.scale,
                                  box=_fmt_box(p.box), expanded=_fmt_box(p.expanded),
                                  pixel_box=_fmt_box(p.pixel_box, 0), h=p.size[0], w=p.size[1],
                                  region=_fmt_box(p.region, 0))),
        (t("masks.step.threshold"), t("masks.step.threshold.value", threshold=walk.threshold, pixels=walk.pixels)),
    ]
    return "\n".join(f"{i}. **{what}**  \n{numbers}" for i, (what, numbers) in enumerate(steps, start=1))


def level_figure(trace: Any, walk: MaskWalkthrough) -> go.Figure:
    """The box on the FPN level it is pooled from (channel mean) with the 14×14 RoIAlign bins and sample points."""
    view = walk.pooling
    feature = to_numpy(trace.fpn_features[view.level_name]).mean(axis=0)
    _, height, width = (int(v) for v in view.feature_shape)
    exact = np.asarray(view.box_resized, dtype=np.float64) * float(view.spatial_scale)
    x0, y0 = max(0, int(np.floor(exact[0])) - CROP_MARGIN), max(0, int(np.floor(exact[1])) - CROP_MARGIN)
    x1 = min(width, int(np.ceil(exact[2])) + CROP_MARGIN + 1)
    y1 = min(height, int(np.ceil(exact[3])) + CROP_MARGIN + 1)
    fig = go.Figure(go.Heatmap(z=rounded(feature[y0:y1, x0:x1]), x=np.arange(x0, x1), y=np.arange(y0, y1),
                               colorscale="Greys", reversescale=True, showscale=False,
                               hovertemplate="x %{x}, y %{y}<br>%{z:.3g}<extra></extra>"))
    points = view.comparison.align_points
    shapes: list[dict[str, Any]] = [dict(type="rect", x0=exact[0], y0=exact[1], x1=exact[2], y1=exact[3],
                                         line=dict(color="#d55e00", width=3))]
    for x in points.bin_edges_x[1:-1]:
        shapes.append(dict(type="line", x0=x, x1=x, y0=exact[1], y1=exact[3], line=dict(color="#0072b2", width=1)))
    for y in points.bin_edges_y[1:-1]:
        shapes.append(dict(type="line", y0=y, y1=y, x0=exact[0], x1=exact[2], line=dict(color="#0072b2", width=1)))
    fig.update_layout(shapes=shapes)
    pts = np.asarray(points.feature, dtype=np.float64).reshape(-1, 2)
    fig.add_trace(go.Scatter(x=rounded(pts[:, 0], 2), y=rounded(pts[:, 1], 2), mode="markers",
                             marker=dict(size=4, color="#0072b2"), showlegend=False,
                             hovertemplate="x %{x}, y %{y}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", nticks=8)
    fig.update_xaxes(nticks=8)
    size = int(walk.pooled.shape[-1])
    fig.update_xaxes(constrain="domain")
    fig.update_yaxes(constrain="domain")
    return base_layout(fig, 440, t("masks.level_title", level=view.level_name, size=size,
                                   samples=int(pts.shape[0]) // (size * size)))


def head_figure(walk: MaskWalkthrough) -> go.Figure:
    """14×14 pooled features (channel mean) → 28×28 logits of its class → sigmoid."""
    panels = [(to_numpy(walk.pooled_mean), HEATMAP_COLORSCALE, None, None, t("masks.panel.pooled")),
              (to_numpy(walk.logits), "RdBu", -float(np.abs(to_numpy(walk.logits)).max() or 1.0),
               float(np.abs(to_numpy(walk.logits)).max() or 1.0), t("masks.panel.logits", name=walk.name)),
              (to_numpy(walk.probabilities), HEATMAP_COLORSCALE, 0.0, 1.0, t("masks.panel.sigmoid"))]
    fig = make_subplots(rows=1, cols=3, subplot_titles=[p[4] for p in panels], horizontal_spacing=0.07)
    for col, (values, scale, zmin, zmax, _) in enumerate(panels, start=1):
        fig.add_trace(go.Heatmap(z=rounded(values), colorscale=scale, zmin=zmin, zmax=zmax, showscale=False,
                                 hovertemplate="x %{x}, y %{y}<br>%{z:.3g}<extra></extra>"), row=1, col=col)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{col if col > 1 else ''}", showticklabels=False,
                         row=1, col=col)
        fig.update_xaxes(showticklabels=False, constrain="domain", row=1, col=col)
    return base_layout(fig, 440, t("masks.head_title"))


def paste_figure(walk: MaskWalkthrough) -> go.Figure:
    """The pasted probabilities where they land in the image, the box and its expansion; and the threshold."""
    p = walk.paste
    x0, y0, x1, y1 = p.region
    crop = to_numpy(p.crop)
    xs, ys = np.arange(x0, x1), np.arange(y0, y1)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.05,
                        subplot_titles=[t("masks.panel.pasted"), t("masks.panel.binary", threshold=walk.threshold)])
    fig.add_trace(go.Heatmap(z=rounded(crop), x=xs, y=ys, colorscale=HEATMAP_COLORSCALE, zmin=0, zmax=1,
                             showscale=False, hovertemplate="x %{x}, y %{y}<br>%{z:.3f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Heatmap(z=to_numpy(walk.binary).astype(np.uint8), x=xs, y=ys, zmin=0, zmax=1, showscale=False,
                             colorscale=[[0, "#1b1b1b"], [1, mask_color(walk.index)]],
                             hovertemplate="x %{x}, y %{y}<br>%{z}<extra></extra>"), row=1, col=2)
    shapes = []
    for ref in ("", "2"):
        shapes.append(dict(type="rect", x0=p.box[0], y0=p.box[1], x1=p.box[2], y1=p.box[3], xref=f"x{ref}",
                           yref=f"y{ref}", line=dict(color="#ffffff", width=2)))
        shapes.append(dict(type="rect", x0=p.expanded[0], y0=p.expanded[1], x1=p.expanded[2], y1=p.expanded[3],
                           xref=f"x{ref}", yref=f"y{ref}", line=dict(color="#56b4e9", width=2, dash="dash")))
    fig.update_layout(shapes=shapes)
    for col in (1, 2):
        ref = "" if col == 1 else "2"
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{ref}", nticks=6, row=1, col=col)
        fig.update_xaxes(nticks=6, constrain="domain", row=1, col=col)
    fig.update_yaxes(showticklabels=False, row=1, col=2)
    return base_layout(fig, 420, t("masks.paste_title"))


# ---- why RoIAlign -----------------------------------------------------------------------------------------------

def misplacement_markdown(walk: MaskWalkthrough) -> str:
    """The reading in one sentence, then the numbers it stands on (one per line, never cut by a narrow column)."""
    m = walk.misplacement
    stride = m.feature_stride
    x = "\u00a0×\u00a0"
    rows = [
        (t("masks.mis.level"), f"{walk.pooling.level_name} · {stride[0]:.2f}{x}{stride[1]:.2f}\u00a0px"),
        (t("masks.mis.box"), _fmt_box(m.box)),
        (t("masks.mis.pool_box"), _fmt_box(m.pool_box)),
        (t("masks.mis.edges"), _fmt_box(m.box_edge_offsets)),
        (t("masks.mis.max"), f"{m.max_offset:.2f}\u00a0px"),
        (t("masks.mis.mean"), f"{m.mean_offset:.2f}\u00a0px"),
        (t("masks.mis.cell"), f"{m.mask_cell[0]:.2f}{x}{m.mask_cell[1]:.2f}\u00a0px"),
        (t("masks.mis.bin"), f"{m.bin_size[0]:.2f}{x}{m.bin_size[1]:.2f}\u00a0px"),
        (t("masks.mis.ratio"), f"{m.in_mask_cells:.2f}"),
        (t("masks.mis.empty"), f"{m.empty_bins}\u00a0/\u00a0{m.pool_centres.shape[0] * m.pool_centres.shape[1]}"),
    ]
    reading = t("masks.mis.reading", max=m.max_offset, cell=max(m.mask_cell), ratio=m.in_mask_cells)
    return reading + "\n\n" + "\n".join(f"- {what}: **{value}**" for what, value in rows)


def misplacement_figure(trace: Any, walk: MaskWalkthrough) -> go.Figure:
    """Over the image around the box: RoIAlign's bin centres (where the mask grid's features come from), RoIPool's
    (where rounding puts them), a line between each pair; the 28×28 mask grid for scale."""
    m = walk.misplacement
    view = walk.pooling
    to_x, to_y = m.feature_stride
    align = m.align_centres * np.array([to_x, to_y])
    pool = m.pool_centres * np.array([to_x, to_y])
    bx0, by0, bx1, by1 = m.box
    pad_x, pad_y = (bx1 - bx0) * 0.15 + 2, (by1 - by0) * 0.15 + 2
    h, w = trace.original_size
    cx0 = int(max(0, np.floor(min(bx0, m.pool_box[0]) - pad_x)))
    cy0 = int(max(0, np.floor(min(by0, m.pool_box[1]) - pad_y)))
    cx1 = int(min(w, np.ceil(max(bx1, m.pool_box[2]) + pad_x)))
    cy1 = int(min(h, np.ceil(max(by1, m.pool_box[3]) + pad_y)))
    image = np.asarray(trace.image)[cy0:cy1, cx0:cx1, :3]
    fig = go.Figure(go.Image(z=image, x0=cx0, y0=cy0, dx=1, dy=1, hoverinfo="skip"))
    shapes: list[dict[str, Any]] = []
    res = walk.logits.shape[-1]
    for k in range(res + 1):   # the 28×28 mask grid over the box, faint
        x = bx0 + k * (bx1 - bx0) / res
        y = by0 + k * (by1 - by0) / res
        shapes.append(dict(type="line", x0=x, x1=x, y0=by0, y1=by1, line=dict(color="rgba(255,255,255,0.35)",
                                                                            width=1)))
        shapes.append(dict(type="line", y0=y, y1=y, x0=bx0, x1=bx1, line=dict(color="rgba(255,255,255,0.35)",
                                                                            width=1)))
    shapes.append(dict(type="rect", x0=bx0, y0=by0, x1=bx1, y1=by1, line=dict(color="#0072b2", width=3)))
    shapes.append(dict(type="rect", x0=m.pool_box[0], y0=m.pool_box[1], x1=m.pool_box[2], y1=m.pool_box[3],
                       line=dict(color="#d55e00", width=3, dash="dash")))
    fig.update_layout(shapes=shapes)
    a, p = align.reshape(-1, 2), pool.reshape(-1, 2)
    ok = np.isfinite(p).all(axis=1)
    seg_x = np.stack([a[ok, 0], p[ok, 0], np.full(ok.sum(), np.nan)], 1).ravel()
    seg_y = np.stack([a[ok, 1], p[ok, 1], np.full(ok.sum(), np.nan)], 1).ravel()
    fig.add_trace(go.Scatter(x=rounded(seg_x, 2), y=rounded(seg_y, 2), mode="lines", hoverinfo="skip",
                             line=dict(color="#f0e442", width=2), showlegend=False))
    fig.add_trace(go.Scatter(x=rounded(a[:, 0], 2), y=rounded(a[:, 1], 2), mode="markers", name=t("masks.mis.align"),
                             marker=dict(size=6, color="#0072b2", line=dict(color="white", width=1)),
                             hovertemplate="x %{x}, y %{y}<extra></extra>"))
    fig.add_trace(go.Scatter(x=rounded(p[ok, 0], 2), y=rounded(p[ok, 1], 2), mode="markers",
                             name=t("masks.mis.pool"), marker=dict(size=7, color="#d55e00", symbol="x"),
                             hovertemplate="x %{x}, y %{y}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", nticks=8)
    fig.update_xaxes(nticks=8)
    fig.update_layout(legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom", font=dict(size=15)))
    base_layout(fig, 520, t("masks.mis.title", level=view.level_name))
    fig.update_layout(margin=dict(l=10, r=10, t=120, b=10))
    return fig


# ---- the tab's view ---------------------------------------------------------------------------------------------

def mask_models() -> list[str]:
    """The registry's models with a mask branch (a Mask R-CNN: their names say mask)."""
    return [name for name in MODEL_NAMES if "mask" in name]


@dataclass
class MasksView:
    notice: str   # empty when the masks are shown
    has_masks: bool
    viewer: str
    choices: list[tuple[str, int]]
    chosen: int | None
    steps: str = ""
    level_figure: Any = None
    head_figure: Any = None
    paste_figure: Any = None
    misplacement: str = ""
    misplacement_figure: Any = None


def chosen_index(replay: Any, key: tuple[int, int] | None) -> int | None:
    """The detection the person chose (its (anchor, class) key, found again after a slider move), else the best."""
    if len(replay.detections) == 0:
        return None
    if key is not None:
        keys = replay.mask_keys()
        if tuple(key) in keys:
            return keys.index(tuple(key))
    return 0


def masks_view(session: Any) -> MasksView:
    trace, replay, options = session.trace, session.replay, session.options
    threshold = float(getattr(options, "mask_threshold", 0.5))
    if not trace.has_masks:
        notice = t("masks.no_masks", model=trace.model_name, models=", ".join(f"`{m}`" for m in mask_models()))
        empty = json.dumps({"image": image_url(trace), "width": trace.original_size[1],
                            "height": trace.original_size[0], "steps": THRESHOLD_STEPS, "threshold": threshold,
                            "chosen": None, "detections": [], "texts": viewer_texts(), "key": "none"})
        return MasksView(notice, False, empty, [], None)
    chosen = chosen_index(replay, getattr(options, "mask_detection", None))
    viewer = viewer_json(trace, replay, threshold, chosen)
    if chosen is None:
        return MasksView(t("masks.no_detections"), False, viewer, [], None)
    walk = mask_walkthrough(replay, chosen, threshold)
    return MasksView("", True, viewer, detection_choices(replay), chosen, steps_markdown(walk),
                     level_figure(trace, walk), head_figure(walk), paste_figure(walk), misplacement_markdown(walk),
                     misplacement_figure(trace, walk))
