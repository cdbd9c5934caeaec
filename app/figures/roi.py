"""RoI pooling tab: which level a proposal is pooled from and why, RoIPool's cells vs RoIAlign's sample points on
that feature map, and the two 7×7 outputs with their difference."""
from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.drawing import color_for, draw_boxes
from app.figures.common import HEATMAP_COLORSCALE, base_layout, rounded, to_numpy
from app.strings import t

MAX_CHOICES = 50
CROP_MARGIN = 2          # feature cells shown around the RoI


def choice_indices(proposals: Any, limit: int = MAX_CHOICES) -> list[int]:
    """Indices of the best `limit` proposals, best first."""
    scores = to_numpy(proposals.scores)
    return [int(i) for i in np.argsort(-scores, kind="stable")[:limit]]


def proposal_choices(trace: Any, proposals: Any, limit: int = MAX_CHOICES,
                     also: int | None = None) -> list[tuple[str, int]]:
    """(label, proposal index) for a dropdown: the best `limit`, and `also` (e.g. a followed detection's proposal)."""
    boxes, scores, levels = to_numpy(proposals.boxes), to_numpy(proposals.scores), to_numpy(proposals.levels)
    choices = []
    indices = choice_indices(proposals, limit)
    if also is not None and 0 <= also < len(scores) and also not in indices:
        indices.append(also)
    for i in indices:
        x1, y1, x2, y2 = boxes[i]
        choices.append((t("roi.choice", index=i, score=float(scores[i]), level=trace.levels[int(levels[i])].name,
                          width=float(x2 - x1), height=float(y2 - y1)), i))
    return choices


def proposal_at(proposals: Any, x: float, y: float, candidates: list[int]) -> int | None:
    """The smallest candidate proposal containing (x, y); else the one whose centre is nearest."""
    if not candidates:
        return None
    boxes = to_numpy(proposals.boxes)[candidates]
    inside = (boxes[:, 0] <= x) & (x <= boxes[:, 2]) & (boxes[:, 1] <= y) & (y <= boxes[:, 3])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    if inside.any():
        best = int(np.argmin(np.where(inside, areas, np.inf)))
    else:
        centres = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], axis=1)
        best = int(np.argmin(((centres - np.array([x, y])) ** 2).sum(axis=1)))
    return candidates[best]


def proposals_image(trace: Any, proposals: Any, chosen: int | None, candidates: list[int]) -> np.ndarray:
    boxes = to_numpy(proposals.boxes)[candidates] if candidates else np.zeros((0, 4))
    levels = to_numpy(proposals.levels)[candidates] if candidates else []
    highlight = candidates.index(chosen) if chosen in candidates else None
    return draw_boxes(trace.image, boxes, [color_for(int(level)) for level in levels], width=2,
                      highlight=highlight, dim=0.3)


def level_rule(view: Any) -> str:
    """MultiScaleRoIAlign's level rule with this box's numbers, in the page's language."""
    c = view.choice
    return t("roi.level_rule", width=c.width, height=c.height, side=c.side, k0=c.canonical_level,
             s0=c.canonical_scale, raw=c.raw, kmin=c.k_min, kmax=c.k_max, level=view.level_name)


def assignment_markdown(trace: Any, view: Any, proposals: Any, index: int) -> str:
    x1, y1, x2, y2 = to_numpy(proposals.boxes)[index]
    proposed_level = trace.levels[int(to_numpy(proposals.levels)[index])].name
    return t("roi.assignment", index=index, width=float(x2 - x1), height=float(y2 - y1), level=view.level_name,
             proposed_level=proposed_level, inverse_scale=round(1.0 / float(view.spatial_scale), 3),
             reason=level_rule(view))


def _crop_bounds(view: Any) -> tuple[int, int, int, int]:
    """Feature-cell window [x0, x1) × [y0, y1) around the RoI (both the exact and the quantized one)."""
    _, height, width = (int(v) for v in view.feature_shape)
    exact = np.asarray(to_numpy(view.box_resized), dtype=np.float64) * float(view.spatial_scale)
    roi = np.asarray(view.comparison.pool_cells.roi, dtype=np.float64)
    x0 = int(np.floor(min(exact[0], roi[0]))) - CROP_MARGIN
    y0 = int(np.floor(min(exact[1], roi[1]))) - CROP_MARGIN
    x1 = int(np.ceil(max(exact[2], roi[2]))) + CROP_MARGIN + 1
    y1 = int(np.ceil(max(exact[3], roi[3]))) + CROP_MARGIN + 1
    return max(0, x0), max(0, y0), min(width, x1), min(height, y1)


def feature_figure(trace: Any, view: Any, channel: int) -> go.Figure:
    """The chosen channel of the assigned level around the RoI, twice: with RoIPool's bins and RoIAlign's points."""
    feature = to_numpy(trace.fpn_features[view.level_name])
    channel = int(np.clip(channel, 0, feature.shape[0] - 1))
    x0, y0, x1, y1 = _crop_bounds(view)
    crop = feature[channel, y0:y1, x0:x1]
    xs, ys = np.arange(x0, x1), np.arange(y0, y1)
    exact = np.asarray(to_numpy(view.box_resized), dtype=np.float64) * float(view.spatial_scale)

    fig = make_subplots(rows=1, cols=2, subplot_titles=[t("roi.pool_cells"), t("roi.align_points")],
                        horizontal_spacing=0.06)
    # Shapes are collected and set once: Plotly's add_shape re-validates every shape so far (quadratic).
    shapes: list[dict[str, Any]] = []
    for col in (1, 2):
        fig.add_trace(go.Heatmap(z=rounded(crop), x=xs, y=ys, colorscale="Greys", reversescale=True,
                                 showscale=False, hovertemplate="cell x %{x}, y %{y}<br>%{z:.3g}<extra></extra>"),
                      row=1, col=col)
        ref = "" if col == 1 else "2"
        shapes.append(dict(type="rect", x0=exact[0], y0=exact[1], x1=exact[2], y1=exact[3], xref=f"x{ref}",
                           yref=f"y{ref}", line=dict(color="#d55e00", width=3, dash="dash")))
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{ref}", row=1, col=col, nticks=8)
        fig.update_xaxes(nticks=8, row=1, col=col)   # whole cells, few enough ticks not to run into each other
    fig.update_yaxes(showticklabels=False, row=1, col=2)   # the same rows as the left panel's

    bins = np.asarray(view.comparison.pool_cells.bins)
    for by in range(bins.shape[0]):
        for bx in range(bins.shape[1]):
            xs0, ys0, xe, ye = (int(v) for v in bins[by, bx])
            if xe <= xs0 or ye <= ys0:
                continue    # an empty bin (RoIPool outputs 0 there)
            shapes.append(dict(type="rect", x0=xs0 - 0.5, y0=ys0 - 0.5, x1=xe - 0.5, y1=ye - 0.5, xref="x", yref="y",
                               line=dict(color=_bin_color(by, bx), width=2), fillcolor=_bin_color(by, bx),
                               opacity=0.35))
    fig.update_layout(shapes=shapes)

    points = np.asarray(view.comparison.align_points.feature, dtype=np.float64).reshape(-1, 2)
    fig.add_trace(go.Scatter(x=rounded(points[:, 0], 2), y=rounded(points[:, 1], 2), mode="markers",
                             marker=dict(size=7, color="#0072b2", line=dict(color="white", width=1)),
                             hovertemplate="x %{x}, y %{y}<extra></extra>", showlegend=False), row=1, col=2)
    return base_layout(fig, 460, t("roi.on_feature", level=view.level_name, channel=channel))


def _bin_color(by: int, bx: int) -> str:
    return "#e69f00" if (by + bx) % 2 == 0 else "#009e73"


def outputs_figure(view: Any, channel: int) -> go.Figure:
    """RoIPool and RoIAlign 7×7 outputs (shared colour range) and their difference (diverging scale)."""
    pool, align = to_numpy(view.comparison.pool), to_numpy(view.comparison.align)
    channel = int(np.clip(channel, 0, pool.shape[0] - 1))
    pool_c, align_c = pool[channel], align[channel]
    diff = align_c - pool_c
    lo, hi = float(min(pool_c.min(), align_c.min())), float(max(pool_c.max(), align_c.max()))
    limit = float(np.abs(diff).max()) or 1.0
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.05,
                        subplot_titles=[t("roi.out_pool"), t("roi.out_align"), t("roi.out_diff")])
    panels = [(pool_c, HEATMAP_COLORSCALE, lo, hi), (align_c, HEATMAP_COLORSCALE, lo, hi),
              (diff, "RdBu", -limit, limit)]
    for col, (values, scale, zmin, zmax) in enumerate(panels, start=1):
        fig.add_trace(go.Heatmap(z=rounded(values), colorscale=scale, zmin=zmin, zmax=zmax, showscale=False,
                                 texttemplate="%{z:.1f}", textfont=dict(size=13),
                                 hovertemplate="bin x %{x}, y %{y}<br>%{z:.3g}<extra></extra>"), row=1, col=col)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{col if col > 1 else ''}", showticklabels=False,
                         row=1, col=col)
        fig.update_xaxes(showticklabels=False, constrain="domain", row=1, col=col)
    return base_layout(fig, 440, t("roi.outputs", channel=channel))
