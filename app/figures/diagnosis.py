"""Figures and tables of the dataset diagnosis views (pure: arrays and translated labels in, plotly / markdown out).

Every number comes from the engine's result objects (inspectors.dataset.diagnosis); nothing is recomputed here.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import numpy as np
import plotly.graph_objects as go

from app.figures.common import base_layout

TITLE_CHARS = 50   # a title line's length: the figures sit in half a column at 1024 px


def wrapped(title: str, width: int = TITLE_CHARS) -> list[str]:
    """The title in lines of at most ~`width` characters, broken only after a comma (a "key = value" setting
    stays on one line): Plotly never wraps a title, it cuts it at the figure's edge."""
    lines: list[str] = []
    for part in title.split(", "):
        if lines and len(lines[-1]) + 2 + len(part) <= width:
            lines[-1] += ", " + part
        else:
            if lines:
                lines[-1] += ","
            lines.append(part)
    return lines


def _fig(title: str, height: int = 420, below: bool = False) -> go.Figure:
    """A figure that says which thresholds made it in a note wrapped onto as many lines as it needs, above the
    plot area (or `below` it, for a figure whose x axis is on top), with room made for it. (Not as the figure's
    title: this Plotly draws a title of several lines across the plot's own labels or cuts its first line.)"""
    fig = go.Figure()
    lines = wrapped(title)
    room = 22 * len(lines) + 16
    base_layout(fig, height + room)
    fig.add_annotation(text="<br>".join(lines), xref="paper", yref="paper", x=0, xanchor="left", align="left",
                       y=0 if below else 1, yanchor="top" if below else "bottom", yshift=-8 if below else 8,
                       showarrow=False)
    fig.update_layout(margin=dict(t=90 if below else room + 24, b=room + 10 if below else 10))
    return fig


def confusion_figure(matrix: np.ndarray, labels: Sequence[str], title: str, x_title: str, y_title: str) -> go.Figure:
    """Heatmap of counts: rows the true class, columns the predicted one (background last)."""
    fig = _fig(title, height=max(320, 60 * len(labels) + 140), below=True)
    m = np.asarray(matrix)
    fig.add_trace(go.Heatmap(z=m, x=list(labels), y=list(labels), colorscale="Blues", showscale=False,
                             text=m.astype(int).astype(str), texttemplate="%{text}",
                             hovertemplate=f"{y_title}: %{{y}}<br>{x_title}: %{{x}}<br>%{{z}}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title_text=y_title)
    fig.update_xaxes(title_text=x_title, side="top")
    return fig


def confusion_rows(matrix: np.ndarray, labels: Sequence[str]) -> list[list[Any]]:
    """The matrix as table rows (first column the true class), for a clickable table."""
    return [[name, *[int(v) for v in row]] for name, row in zip(labels, np.asarray(matrix))]


def operating_figure(curves: Mapping[str, Any], best: Mapping[str, Optional[float]], title: str, x_title: str,
                     y_title: str) -> go.Figure:
    """F1 against confidence per class (and all classes), a marker at each F1-optimal confidence."""
    fig = _fig(title)
    for name, curve in curves.items():
        fig.add_trace(go.Scatter(x=curve.confidence, y=curve.f1, mode="lines", name=name,
                                 line={"width": 3 if name == "all" else 1.5}))
        c = best.get(name)
        if c is not None and len(curve.f1):
            i = int(np.argmax(curve.f1))
            fig.add_trace(go.Scatter(x=[c], y=[curve.f1[i]], mode="markers", showlegend=False,
                                     marker={"size": 9, "symbol": "diamond"}, name=name))
    # (both axes start a little before 0, or the two "0" tick labels meet at the corner)
    fig.update_xaxes(title_text=x_title, range=[-0.04, 1.02])
    fig.update_yaxes(title_text=y_title, range=[-0.04, 1.04])
    return fig


def operating_markdown(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], made: str, applied: str,
                       code: str) -> str:
    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    body = "".join(f"| {r['class']} | {_num(r['confidence'])} | {r['f1']:.3f} | {r['precision']:.3f} | "
                   f"{r['recall']:.3f} |\n" for r in rows)
    return f"{made}\n\n{head}{body}\n{applied}\n\n```python\n{code}\n```"


def funnel_markdown(lost: Mapping[Optional[str], int], recovered: Mapping[str, float], columns: Sequence[str],
                    found_label: str, made: str) -> str:
    head = "| " + " | ".join(columns) + " |\n|---|---:|---:|\n"
    body = "".join(f"| {found_label if stage is None else stage} | {n} | "
                   f"{_num(recovered.get(stage)) if stage is not None else ''} |\n" for stage, n in lost.items())
    return f"{made}\n\n{head}{body}"


def anchor_markdown(summary: str, groups: Mapping[str, Mapping[str, Mapping[str, float]]], columns: Sequence[str],
                    code: str) -> str:
    head = "| " + " | ".join(columns) + " |\n|---|---:|---:|---:|\n"
    body = "".join(f"| {kind}: {name} | {v['objects']} | {v['share_fg']:.1%} | {v['mean_best_iou']:.3f} |\n"
                   for kind, g in groups.items() for name, v in g.items() if v["objects"])
    return f"{summary}\n\n{head}{body}\n```python\n{code}\n```"


def comparison_markdown(delta: Mapping[str, float], a: Mapping[str, float], b: Mapping[str, float],
                        ci: Mapping[str, tuple[float, float]], columns: Sequence[str], made: str,
                        names: Sequence[str] = ("ap", "ap50", "ap75", "ar100", "f1_50", "precision50", "recall50",
                                                "AR@1000")) -> str:
    head = "| " + " | ".join(columns) + " |\n|---|---:|---:|---:|---|\n"
    body = "".join(f"| {n} | {a[n]:.4f} | {b[n]:.4f} | {delta[n]:+.4f} | "
                   + (f"[{ci[n][0]:+.4f}, {ci[n][1]:+.4f}]" if n in ci else "") + " |\n"
                   for n in names if n in delta)
    return f"{made}\n\n{head}{body}"


def _num(value: Any) -> str:
    return "—" if value is None else f"{float(value):.3f}"
