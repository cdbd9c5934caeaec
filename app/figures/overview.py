"""Overview tab: the pipeline with per-stage counts and timings, and the three coordinate frames."""
from __future__ import annotations

import html
from typing import Any

from app.strings import t

TIMING_KEYS = ("transform", "backbone_body", "fpn", "rpn", "roi_heads", "postprocess")


def _stage(title: str, value: str, detail: str = "", css: str = "") -> str:
    detail_html = f'<div class="lens-stage-detail">{html.escape(detail)}</div>' if detail else ""
    return (f'<div class="lens-stage {css}"><div class="lens-stage-title">{html.escape(title)}</div>'
            f'<div class="lens-stage-value">{html.escape(value)}</div>{detail_html}</div>')


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def pipeline_html(trace: Any, replay: Any, replay_seconds: float = 0.0) -> str:
    """Stage boxes joined by arrows: image → backbone+FPN → anchors → pre-NMS → proposals → RoIs → detections."""
    counts = replay.counts
    timings = dict(trace.timings)
    height, width = trace.original_size
    levels = ", ".join(level.name for level in trace.levels)
    stages = [
        _stage(t("overview.stage.image"), f"{width}×{height}",
               f"{t('overview.timing.transform')} {_ms(timings.get('transform', 0.0))}", "lens-stage-input"),
        _stage(t("overview.timing.backbone_body") + " + " + t("overview.timing.fpn"), levels,
               _ms(timings.get("backbone_body", 0.0) + timings.get("fpn", 0.0)), "lens-stage-net"),
        _stage(t("overview.stage.anchors"), f"{counts['anchors']:,}", t("overview.levels", count=len(trace.levels))),
        _stage(t("overview.stage.pre_nms"), f"{counts['pre_nms']:,}",
               f"{t('overview.timing.rpn')} {_ms(timings.get('rpn', 0.0))}"),
        _stage(t("overview.stage.proposals"), f"{counts['proposals']:,}", t("overview.stage.nms")),
        _stage(t("overview.stage.rois"), f"{counts['proposals']:,}",
               f"{t('overview.timing.roi_heads')} {_ms(timings.get('roi_heads', 0.0))}"),
        _stage(t("overview.stage.detections"), f"{counts['detections']:,}",
               f"{t('overview.timing.postprocess')} {_ms(timings.get('postprocess', 0.0))}", "lens-stage-output"),
    ]
    arrow = '<div class="lens-arrow">→</div>'
    total = sum(timings.get(key, 0.0) for key in TIMING_KEYS)
    footer = t("overview.timings", total_ms=total * 1000, replay_ms=replay_seconds * 1000)
    return (f'<div class="lens-pipeline">{arrow.join(stages)}</div>'
            f'<p class="lens-note">{html.escape(footer)}</p>')


def frames_html(trace: Any) -> str:
    """The original, resized and padded frames drawn to one common scale as SVG, with sizes and factors."""
    (oh, ow), (rh, rw), (ph, pw) = trace.original_size, trace.resized_size, trace.padded_size
    sy, sx = trace.scale
    unit = 240.0 / max(oh, ow, rh, rw, ph, pw)      # SVG pixels per image pixel, common to all three
    frames = [
        (t("overview.frame.original"), oh, ow, "", "#56b4e9"),
        (t("overview.frame.resized"), rh, rw, t("overview.frame.scale", sx=sx, sy=sy), "#e69f00"),
        (t("overview.frame.padded"), ph, pw, t("overview.frame.pad", right=pw - rw, bottom=ph - rh), "#009e73"),
    ]
    parts = []
    for name, h, w, note, color in frames:
        svg_w, svg_h = max(4.0, w * unit), max(4.0, h * unit)
        inner = ""
        if name == t("overview.frame.padded"):  # show where the resized image sits inside the padding
            inner = (f'<rect x="1" y="1" width="{rw * unit:.1f}" height="{rh * unit:.1f}" fill="#e69f0033" '
                     f'stroke="#e69f00" stroke-dasharray="6 4" stroke-width="2"/>')
        parts.append(
            f'<div class="lens-frame"><svg width="{svg_w + 4:.0f}" height="{svg_h + 4:.0f}">'
            f'<rect x="1" y="1" width="{svg_w:.1f}" height="{svg_h:.1f}" fill="{color}22" stroke="{color}" '
            f'stroke-width="3"/>{inner}</svg>'
            f'<div class="lens-frame-title">{html.escape(name)}: {w}×{h}</div>'
            f'<div class="lens-frame-note">{html.escape(note)}</div></div>'
        )
    return f'<div class="lens-frames">{"".join(parts)}</div>'
