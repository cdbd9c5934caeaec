"""Detections tab: final boxes with labels and scores, a table, per-class counts, and the JSON summary."""
from __future__ import annotations

import base64
import html
import io
import json
import threading
import uuid
from collections import Counter
from typing import Any, Callable

import numpy as np
from PIL import Image

from app.config import THRESHOLD_KEYS
from app.drawing import color_for, display_scale, draw_boxes, hex_color
from app.figures.common import to_numpy
from app.strings import t
from app.viewer import PAYLOADS, image_fields, viewer_value
from inspectors.core.lru import BoundedCache
from inspectors.core.thresholds import RPN_KEYS
from inspectors.roi.final_stage import final_stage_payload, max_detections_of, score_grid
from inspectors.rpn.nms_grid import slider_grid, threshold_index


def detections_image(trace: Any, detections: Any, ground_truth: np.ndarray | None = None,
                     status: list[str] | None = None, error_types: list[str] | None = None,
                     highlight: int | None = None) -> np.ndarray:
    """Detections coloured by class; with ground truth, the objects dashed and each box coloured by its match
    (TP green, FP red with its TIDE type)."""
    boxes, scores, labels = to_numpy(detections.boxes), to_numpy(detections.scores), to_numpy(detections.labels)
    texts = [f"{name} {float(score):.2f}" for name, score in zip(detections.names, scores)]
    colors = [color_for(int(label)) for label in labels]
    if status is not None:
        colors = [(0, 205, 110) if s == "tp" else (160, 160, 160) if s == "ignored" else (235, 50, 50)
                  for s in status]
        kinds = error_types or [""] * len(status)
        texts = [t("gt.det_label", name=name, score=float(score),
                   status=t(f"gt.status.{s}") + (f"·{kind}" if kind else ""))
                 for name, score, s, kind in zip(detections.names, scores, status, kinds)]
    # Draw the weakest first so the strongest boxes and labels end up on top.
    order = list(range(len(boxes)))[::-1]
    marked = order.index(highlight) if highlight is not None and 0 <= highlight < len(boxes) else None
    return draw_boxes(trace.image, boxes[order], [colors[i] for i in order], [texts[i] for i in order], width=3,
                      ground_truth=ground_truth, highlight=marked)


def table_headers() -> list[str]:
    return [t(f"detections.col.{key}") for key in ("label", "score", "box", "proposal")]


def table_rows(detections: Any) -> list[list[Any]]:
    boxes, scores = to_numpy(detections.boxes), to_numpy(detections.scores)
    proposals = to_numpy(detections.proposal_index)
    return [[name, round(float(score), 3), ", ".join(f"{v:.0f}" for v in box), int(p)]
            for name, score, box, p in zip(detections.names, scores, boxes, proposals)]


def class_counts(detections: Any) -> list[tuple[str, int]]:
    """(class name, count), most frequent first."""
    return Counter(detections.names).most_common()


def class_counts_html(trace: Any, detections: Any) -> str:
    """Per-class counts as plain HTML bars: cheap enough to redraw on every slider move, large on a projector."""
    counts = class_counts(detections)
    if not counts:
        return f'<p class="lens-note">{html.escape(t("detections.none"))}</p>'
    label_ids = {name: i for i, name in enumerate(trace.categories)}
    most = max(n for _, n in counts)
    rows = []
    for name, n in counts:
        color = hex_color(color_for(label_ids.get(name, 0)))
        rows.append(f'<div class="lens-bar-row"><span class="lens-bar-label">{html.escape(name)}</span>'
                    f'<span class="lens-bar" style="width:{max(4.0, 100.0 * n / most):.1f}%;background:{color};">'
                    f'</span><span class="lens-bar-value">{n}</span></div>')
    return (f'<div class="lens-bars"><div class="lens-bars-title">{html.escape(t("detections.per_class"))}</div>'
            f'{"".join(rows)}</div>')


def summary(trace: Any, replay: Any, mask_threshold: float = 0.5) -> dict[str, Any]:
    """The JSON summary that /inspect and /rethreshold return: counts, settings and detections (original px).
    A Mask R-CNN's detections also carry "mask": `replay.binary_masks(mask_threshold)[i, 0]` as a COCO compressed
    RLE ({"size": [height, width], "counts": ASCII str}: pycocotools.mask.decode gives it back), and the summary
    says the "mask_threshold" it was cut at."""
    detections = replay.detections
    boxes, scores = to_numpy(detections.boxes), to_numpy(detections.scores)
    height, width = trace.original_size
    out = {
        "model": trace.model_name,
        "image_size": {"width": int(width), "height": int(height)},
        "settings": {key: _plain(replay.settings[key]) for key in THRESHOLD_KEYS},   # /rethreshold's order
        "counts": {key: int(value) for key, value in replay.counts.items()},
        "timings_ms": {key: round(float(value) * 1000, 2) for key, value in trace.timings.items()},
        "detections": [
            {"label": name, "score": round(float(score), 4), "box": [round(float(v), 2) for v in box]}
            for name, score, box in zip(detections.names, scores, boxes)
        ],
    }
    rles = replay.rle_masks(mask_threshold) if getattr(replay, "has_masks", False) else None
    if rles is not None:
        out["mask_threshold"] = float(mask_threshold)
        for item, rle in zip(out["detections"], rles):
            item["mask"] = {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}
    return out


def _plain(value: Any) -> Any:
    """JSON-friendly number: ints stay ints."""
    number = float(value)
    return int(number) if number.is_integer() and not isinstance(value, float) else number


# ---- the box viewer (app/viewer.py): the final stage applied in the browser ----------------------------------------

class LazyJson:
    """JSON built on first request (once, thread-safe): an RPN release answers without building the payload, and
    the Detections viewer's fetch builds it right after, off the release's critical path."""

    def __init__(self, build: Callable[[], str]) -> None:
        self._build: Callable[[], str] | None = build
        self._value: str | None = None
        self._lock = threading.Lock()

    def done(self) -> bool:
        return self._value is not None

    def result(self, timeout: float | None = None) -> str:
        with self._lock:
            if self._value is None:
                assert self._build is not None
                self._value, self._build = self._build(), None
            return self._value


def final_stage_json(trace: Any, replay: Any) -> tuple[str, LazyJson]:
    """(key, the heavy JSON — the final-stage payload — built on first request) at the replay's RPN setting:
    once per capture and RPN setting (the trace's own bounded memo), so a final-stage slider costs no payload work."""
    rpn = tuple(float(replay.settings[key]) for key in RPN_KEYS)
    candidates, levels = replay.box_candidates, replay.proposals.levels

    def heavy() -> str:
        payload = final_stage_payload(trace, candidates, levels)
        return '{"payload": ' + json.dumps(payload.to_json(), separators=(",", ":")) + "}"

    key, lazy = trace.cache.extra(("viewer_final_stage", rpn), lambda: (uuid.uuid4().hex, LazyJson(heavy)))
    if PAYLOADS.peek(key) is None:
        PAYLOADS.put(key, lazy)
    return key, lazy


def image_key(trace: Any) -> str:
    """A name for the capture's image (what a page was sent)."""
    return trace.cache.extra(("viewer_image_key",), lambda: uuid.uuid4().hex)


def image_url(trace: Any) -> str:
    """The input image as a JPEG data URL (once per capture)."""

    def build() -> str:
        buffer = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(trace.image[..., :3]).astype(np.uint8), "RGB").save(
            buffer, format="JPEG", quality=90)
        return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")

    return trace.cache.extra(("viewer_image",), build)


# The payload key each page (session) was last sent: a final-stage release then sends only the settings. (Should a
# page lack the payload anyway, its viewer asks for it by key.)
_SENT: BoundedCache[int, str] = BoundedCache(1024)


def detections_viewer(trace: Any, replay: Any, ground_truth: Any = None, followed: int | None = None,
                      page: Any = None) -> str:
    """The Detections viewer's value at the replay's thresholds (ground truth: dashed, and its IoU on hover).
    `page`: the session object the value goes to (the heavy part is sent once per payload to it). Until the page
    surely holds the payload (it is built on the page's first request, off the release's critical path), the value
    carries the server's detections too, so that the viewer draws this setting at once."""
    key, lazy = final_stage_json(trace, replay)
    fresh = page is None or _SENT.get(id(page)) != key
    if page is not None:
        _SENT.put(id(page), key)   # (when it is not built yet, the page fetches it: that builds it)
    heavy = lazy.result() if fresh and (page is None or lazy.done()) else None
    objects = []
    if ground_truth is not None:
        boxes = np.asarray(ground_truth.boxes, dtype=np.float64).reshape(-1, 4)
        labels = getattr(ground_truth, "labels", None)
        for i, box in enumerate(boxes):
            label = int(labels[i]) if labels is not None and i < len(labels) else None
            objects.append({"box": [float(v) for v in box], "label": label})
    height, width = trace.original_size
    served = heavy is None and (not lazy.done() or fresh)
    extra: dict[str, Any] = image_fields(image_key(trace), lambda: image_url(trace), page)
    if served:   # drawn before the payload arrives: what the viewer needs besides the detections
        extra.update({"categories": list(trace.categories), "level_names": [info.name for info in trace.levels],
                      "model_count": len(trace.detections), "image_size": [int(width), int(height)]})
    detections = server_detections(replay) if served or not payload_decides(trace, replay.settings) else None
    # The table and the counts per class beside the image are drawn by the viewer from what it shows.
    extra["texts_table"] = {"columns": table_headers(), "table_title": t("detections.table"),
                            "per_class": t("detections.per_class"), "none": t("detections.none")}
    return viewer_value(key, heavy if fresh else None, replay.settings, ground_truth=objects, followed=followed,
                        display_scale=display_scale(height, width), detections=detections, extra=extra)


def payload_decides(trace: Any, settings: Any) -> bool:
    """Whether the final-stage payload surely holds the decisions for these settings (else the server's are sent
    too): an NMS value and a score on their sliders' steps, no more detections per image than it holds."""
    grid = slider_grid("box_nms_thresh", float(trace.defaults["box_nms_thresh"]))
    score = np.float32(settings["box_score_thresh"])
    return (threshold_index(grid, float(settings["box_nms_thresh"])) is not None
            and any(np.float32(v) == score for v in score_grid(float(trace.defaults["box_score_thresh"])))
            and int(settings["box_detections_per_img"]) <= max_detections_of(
                int(trace.defaults["box_detections_per_img"])))


def server_detections(replay: Any) -> list[dict[str, Any]]:
    """replay's detections for the viewer (float32 values as their shortest decimals, like the payload)."""
    d = replay.detections
    boxes = to_numpy(d.boxes).astype(np.float32).reshape(-1, 4)
    scores = to_numpy(d.scores).astype(np.float32)
    proposals = to_numpy(d.proposal_index)
    levels = to_numpy(replay.proposals.levels)
    return [{"box": [float(str(v)) for v in box], "score": float(str(score)), "label": int(label),
             "proposal": int(p), "level": int(levels[int(p)]) if int(p) < len(levels) else 0}
            for box, score, label, p in zip(boxes, scores, to_numpy(d.labels), proposals)]
