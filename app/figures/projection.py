"""RoI projection and quantization in numbers: a box → resized frame → feature units → RoIPool's cells → back in
pixels, with the error; and the seed article's worked example beside torchvision's convention."""
from __future__ import annotations

from typing import Any, Sequence

import plotly.graph_objects as go

from app.figures.common import base_layout, markdown_table
from app.strings import t

ARTICLE_BOX = (52.0, 106.0, 117.0, 206.0)   # the worked example of the RoI-projection article our users read
ARTICLE_STRIDE = 32


def _number(value: float, digits: int) -> str:
    text = f"{float(value):.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _box(values: Sequence[float], digits: int = 2) -> str:
    return ", ".join(_number(v, digits) for v in values)


def parse_box(text: str) -> tuple[float, float, float, float] | None:
    """Four numbers separated by commas or spaces (brackets allowed); None for an empty text; ValueError else."""
    cleaned = text.replace("[", " ").replace("]", " ").replace("(", " ").replace(")", " ").replace(",", " ")
    parts = cleaned.split()
    if not parts:
        return None
    if len(parts) != 4:
        raise ValueError(text)
    x1, y1, x2, y2 = (float(p) for p in parts)
    return x1, y1, x2, y2


def walk_markdown(walk: Any, scale_xy: tuple[float, float]) -> str:
    """The walk of one box on this image, row by row."""
    p = walk.projection
    choice = walk.pooling.choice
    sy, sx = scale_xy
    rows = [
        [t("proj.row.original"), _box(walk.box, 1), ""],
        [t("proj.row.resized"), _box(walk.box_resized, 1), t("proj.how.resized", sx=sx, sy=sy)],
        [t("proj.row.level"), walk.level_name,
         t("proj.how.level", side=choice.side, raw=choice.raw, k=choice.chosen, kmin=choice.k_min, kmax=choice.k_max)],
        [t("proj.row.projected"), _box(p.projected, 4), t("proj.how.projected", stride=walk.stride)],
        [t("proj.row.cells"), _box(p.cells, 0), t("proj.how.cells")],
        [t("proj.row.read"), _box(p.pooled_cells, 0), t("proj.how.read", w=p.roi_cells[0], h=p.roi_cells[1],
                                                         bins=p.output_size)],
        [t("proj.row.back_resized"), _box(walk.back_projected_resized, 1), t("proj.how.back", stride=walk.stride)],
        [t("proj.row.back_original"), _box(walk.back_projected, 1), ""],
        [t("proj.row.error"), _box(walk.error_px, 1), t("proj.how.error")],
        [t("proj.row.article"), _box(walk.article_back_projected, 1), t("proj.how.article")],
    ]
    notes = [t("proj.align", w=(p.projected[2] - p.projected[0]) / p.output_size,
               h=(p.projected[3] - p.projected[1]) / p.output_size, bins=p.output_size)]
    if p.clipped:
        notes.append(t("proj.clipped"))
    if p.bins_overshoot:
        notes.append(t("proj.overshoot"))
    table = markdown_table([t("proj.col.step"), t("proj.col.box"), t("proj.col.how")], rows, align_right_from=99)
    return table + "\n\n" + " ".join(notes)


def article_markdown(projection: Any) -> str:
    """The article's example, with torchvision's reading beside the article's."""
    p = projection
    rows = [
        [t("proj.row.box"), _box(p.box, 0)],
        [t("proj.row.projected_article", stride=ARTICLE_STRIDE), _box(p.projected, 5)],
        [t("proj.row.cells"), _box(p.cells, 0)],
        [t("proj.row.article_back"), _box(p.article.back_projected, 0)],
        [t("proj.row.torchvision_back"), _box(p.back_projected, 0)],
        [t("proj.row.error_torchvision"), _box(p.error_px, 0)],
    ]
    table = markdown_table([t("proj.col.step"), t("proj.col.box")], rows, align_right_from=99)
    return f"{t('proj.article_intro')}\n\n{table}\n\n{t('proj.article_note')}"


def projection_figure(projection: Any, title: str, height: int = 360) -> go.Figure:
    """The feature cells around the box: the continuous projection (blue), the cells RoIPool reads (red), the
    article's corner reading (orange, dashed)."""
    p = projection
    x1, y1, x2, y2 = p.projected
    cx1, cy1, cx2, cy2 = p.pooled_cells
    ax1, ay1, ax2, ay2 = (c for c in p.article.corners)
    lo_x, hi_x = int(min(x1, cx1, ax1)) - 1, int(max(x2, cx2, ax2)) + 2
    lo_y, hi_y = int(min(y1, cy1, ay1)) - 1, int(max(y2, cy2, ay2)) + 2
    fig = go.Figure()
    # The cell grid as one line trace (segments between None): a shape per line cost ~1 ms each to build and
    # to draw, and a large box has hundreds of them.
    grid_x: list[float | None] = []
    grid_y: list[float | None] = []
    for x in range(lo_x, hi_x + 1):
        grid_x += [x, x, None]
        grid_y += [lo_y, hi_y, None]
    for y in range(lo_y, hi_y + 1):
        grid_x += [lo_x, hi_x, None]
        grid_y += [y, y, None]
    fig.add_trace(go.Scatter(x=grid_x, y=grid_y, mode="lines", line=dict(color="#cccccc", width=1),
                             hoverinfo="skip", showlegend=False))
    fig.add_shape(type="rect", x0=cx1, x1=cx2, y0=cy1, y1=cy2, line=dict(color="#d62728", width=3),
                  fillcolor="rgba(214,39,40,0.12)")
    fig.add_shape(type="rect", x0=ax1, x1=ax2, y0=ay1, y1=ay2, line=dict(color="#ff7f0e", width=3, dash="dash"))
    fig.add_shape(type="rect", x0=x1, x1=x2, y0=y1, y1=y2, line=dict(color="#1f77b4", width=3))
    for name, color, dash in ((t("proj.legend.projected"), "#1f77b4", "solid"),
                              (t("proj.legend.read"), "#d62728", "solid"),
                              (t("proj.legend.article"), "#ff7f0e", "dash")):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=name, line=dict(color=color, width=3,
                                                                                        dash=dash)))
    # Every cell has its grid line (the shapes above); numbers on at most ~8 of them, so that they never touch.
    step = max(1, -(-max(hi_x - lo_x, hi_y - lo_y) // 8))
    # Labels stand off the axes so that the corner's x and y numbers do not touch.
    fig.update_xaxes(range=[lo_x, hi_x], dtick=step, title=t("proj.axis.x"), constrain="domain", ticklabelstandoff=6)
    fig.update_yaxes(range=[hi_y, lo_y], dtick=step, title=t("proj.axis.y"), scaleanchor="x", ticklabelstandoff=8)
    fig = base_layout(fig, height, title)
    # The legend between the title and the grid (below it, it ran into the x axis's title).
    fig.update_layout(legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0), margin=dict(t=110, b=60))
    return fig
