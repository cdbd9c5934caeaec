"""Helpers shared by the figure builders: tensor -> numpy, projector-friendly Plotly defaults, heatmap grids."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.drawing import downsample

FONT_SIZE = 16
HEATMAP_COLORSCALE = "Inferno"
# Budget of heatmap cells per figure: ~24k float32 cells (~5.3 bytes each in base64) keep a figure near 130 KB, so
# that even /inspect, which sends every figure at once, stays under 500 KB of Plotly JSON.
MAX_HEATMAP_CELLS = 24_000


def stride_text(stride: Sequence[int]) -> str:
    """A per-axis stride (sy, sx) as shown everywhere: "16", or "61×62" (y×x) when the axes differ."""
    sy, sx = (int(v) for v in stride)
    return str(sy) if sy == sx else f"{sy}×{sx}"


def to_numpy(value: Any) -> np.ndarray:
    """A tensor (any device) or array-like as a numpy array."""
    if hasattr(value, "detach"):
        value = value.detach().to("cpu")
        if value.dtype.is_floating_point:
            value = value.float()
        return value.numpy()
    return np.asarray(value)


def base_layout(fig: go.Figure, height: int, title: str | None = None) -> go.Figure:
    fig.update_layout(
        height=height,
        title=dict(text=title, font=dict(size=FONT_SIZE + 2), y=0.98, yanchor="top") if title else None,
        font=dict(size=FONT_SIZE),
        margin=dict(l=10, r=10, t=90 if title else 40, b=10),
        paper_bgcolor="white",
        plot_bgcolor="white",
    )
    fig.update_annotations(font_size=FONT_SIZE)
    return fig


def rounded(values: np.ndarray, digits: int = 3) -> np.ndarray:
    """Display precision as float32: Plotly ships numpy arrays as base64 of their dtype, so f4 halves the payload
    compared with f8 (about 5.3 bytes per heatmap cell)."""
    return np.round(np.asarray(values, dtype=np.float32), digits)


def heatmap_grid(
    maps: Sequence[np.ndarray],
    titles: Sequence[str],
    height: int = 340,
    title: str | None = None,
    zmin: float | None = None,
    zmax: float | None = None,
    colorbar_title: str | None = None,
    max_cells: int = MAX_HEATMAP_CELLS,
    hover_label: str = "value",
) -> go.Figure:
    """One row of heatmaps (image orientation: y down), each downsampled to share `max_cells`."""
    count = max(1, len(maps))
    side = int(np.sqrt(max_cells / count))
    fig = make_subplots(rows=1, cols=count, subplot_titles=list(titles), horizontal_spacing=0.03)
    shared_scale = zmin is not None and zmax is not None
    for i, values in enumerate(maps):
        small = downsample(values, side)
        # Keep hover coordinates in the map's own cells even when the display is downsampled.
        ys = rounded((np.arange(small.shape[0]) + 0.5) * values.shape[0] / small.shape[0] - 0.5, 1)
        xs = rounded((np.arange(small.shape[1]) + 0.5) * values.shape[1] / small.shape[1] - 0.5, 1)
        fig.add_trace(
            go.Heatmap(
                z=rounded(small, 2), x=xs, y=ys, colorscale=HEATMAP_COLORSCALE, zmin=zmin, zmax=zmax,
                showscale=shared_scale and i == count - 1 or (not shared_scale and count == 1),
                colorbar=dict(title=dict(text=colorbar_title or ""), thickness=14),
                hovertemplate=f"x %{{x}}, y %{{y}}<br>{hover_label} %{{z:.3g}}<extra></extra>",
            ),
            row=1, col=i + 1,
        )
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{i + 1 if i else ''}", showticklabels=False,
                         row=1, col=i + 1)
        fig.update_xaxes(showticklabels=False, constrain="domain", row=1, col=i + 1)
    return base_layout(fig, height, title)


def empty_figure(message: str, height: int = 200) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font=dict(size=FONT_SIZE + 2), x=0.5, y=0.5,
                       xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return base_layout(fig, height)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], align_right_from: int = 1) -> str:
    """A small GitHub-style table: no scrollbars, wraps like text, large on a projector."""
    def cell(value: Any) -> str:
        if isinstance(value, float):
            value = f"{value:,.3f}".rstrip("0").rstrip(".") if not value.is_integer() else f"{value:,.0f}"
        elif isinstance(value, (int, np.integer)):
            value = f"{int(value):,}"
        return str(value).replace("|", "\\|")

    aligns = [":---" if i < align_right_from else "---:" for i in range(len(headers))]
    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "| " + " | ".join(aligns) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
