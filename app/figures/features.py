"""Feature pyramid tab: C2–C5 / P2–P6 as heatmaps (channel mean, max or one channel) and as image overlays."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import plotly.graph_objects as go

from app.drawing import overlay_heatmap
from app.figures.common import heatmap_grid, stride_text, to_numpy
from app.strings import t

MODES = ("mean", "max", "channel")


def reduce_channels(feature: Any, mode: str, channel: int) -> tuple[np.ndarray, int]:
    """A C×H×W feature as one H×W map for display; returns (map, channel actually shown)."""
    values = to_numpy(feature)
    if mode == "mean":
        return values.mean(axis=0), -1
    if mode == "max":
        return values.max(axis=0), -1
    shown = int(np.clip(channel, 0, values.shape[0] - 1))
    return values[shown], shown


def level_strides(trace: Any, family: str) -> dict[str, str]:
    """Each map's stride as the engine reports it (per axis: padded size // grid, as torchvision computes)."""
    return {info.name: stride_text(info.stride) for info in trace.maps(family)}


def to_numpy_shape(feature: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in feature.shape)


def feature_set(trace: Any, family: str) -> Mapping[str, Any]:
    return trace.body_features if family == "body" else trace.fpn_features


def feature_titles(trace: Any, family: str) -> list[str]:
    features = feature_set(trace, family)
    strides = level_strides(trace, family)
    titles = []
    for name, feature in features.items():
        c, h, w = to_numpy_shape(feature)
        titles.append(t("features.level_title", name=name, channels=c, height=h, width=w, stride=strides[name]))
    return titles


def pyramid_heatmaps(trace: Any, family: str, mode: str, channel: int) -> go.Figure:
    features = feature_set(trace, family)
    maps = [reduce_channels(f, mode, channel)[0] for f in features.values()]
    short_titles = [title.split(" · ")[0] + " · " + title.split(" · ")[2] for title in feature_titles(trace, family)]
    return heatmap_grid(maps, short_titles, height=330)


def feature_cover(trace: Any) -> tuple[float, float]:
    """The padded canvas in original pixels: what a feature map spans when laid over the original image."""
    sy, sx = trace.scale
    return trace.padded_size[0] / sy, trace.padded_size[1] / sx


def pyramid_overlays(trace: Any, family: str, mode: str, channel: int, max_side: int = 480
                     ) -> list[tuple[np.ndarray, str]]:
    """(overlay image, caption) per level, for a gallery."""
    features = feature_set(trace, family)
    cover = feature_cover(trace)
    items = []
    for feature, title in zip(features.values(), feature_titles(trace, family)):
        values, _ = reduce_channels(feature, mode, channel)
        caption = " · ".join(title.split(" · ")[:2])    # "P3 · 64×48×48": the gallery truncates long captions
        items.append((overlay_heatmap(trace.image, values, cover=cover, max_side=max_side), caption))
    return items


def shapes_headers() -> list[str]:
    return [t("features.table.level"), t("features.table.shape"), t("features.table.stride")]


def shapes_table(trace: Any, family: str) -> list[list[Any]]:
    features = feature_set(trace, family)
    strides = level_strides(trace, family)
    rows = []
    for name, feature in features.items():
        c, h, w = to_numpy_shape(feature)
        rows.append([name, f"{c}×{h}×{w}", strides[name]])
    return rows


def channel_note(trace: Any, family: str, mode: str, channel: int) -> str:
    """Explains when the requested channel does not exist on some level (C levels differ in width)."""
    if mode != "channel":
        return ""
    notes = []
    for name, feature in feature_set(trace, family).items():
        channels = to_numpy_shape(feature)[0]
        if channel >= channels:
            notes.append(t("features.channel_clamped", name=name, channels=channels, channel=channels - 1))
    return " ".join(notes)
