"""The box viewer: a gr.HTML that draws boxes over the image as SVG and applies the final-stage sliders itself.

The server sends, once per capture and RPN setting, the final-stage payload (inspectors.roi.final_stage): every
candidate some setting of the detection-score, detection-NMS and detections-per-image sliders can show, with
torchvision's NMS decisions at every step of the NMS slider. While a slider is dragged its `input` events go to
the viewer's JavaScript only (`js=`, no Python function, no server round trip); the JavaScript selects exactly what
`replay(...)` would return (app/static/viewer.js mirrors `apply_final_stage`) and redraws. The sliders' `release`
still goes to the server, which keeps the session's thresholds and the other views right. Until the page holds
the payload of a new RPN setting (fetched a second after the release, or when a final-stage slider moves), the
value carries the server's detections, drawn at once. The Detections viewer also draws the detections' table and
their count per class from what it shows. The image goes once per page and capture (image_fields).

The Proposals viewer (data-view="proposals") holds the proposals after the RPN's NMS, in the engine's order, and
draws the first N: the top-N slider's `input` events go to it alone (data-box, data-score, data-level, data-rank).

A static viewer (static_value; the Ground-truth tab's object, data-view="ground_truth") draws the boxes the server
sends and applies no slider: each box carries data-box, data-role (gt, anchor, proposal, detection), data-stage,
data-label and, where the server gives them, data-score and data-iou; hover shows those numbers as sent.

Each drawn box is an SVG <rect> with data-box="x1,y1,x2,y2" (original pixels, the float32 values as their shortest
decimals), data-label (class name), data-class, data-score and data-rank (position among the detections), inside
the element with data-view naming the view, so that tests and assistive tools read what is shown.
"""
from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import gradio as gr

from app.drawing import PALETTE, hex_color
from app.strings import current_language
from inspectors.core.lru import BoundedCache

STATIC = Path(__file__).resolve().parent / "static"
VIEWER_JS = (STATIC / "viewer.js").read_text(encoding="utf-8")
VIEWER_CSS = (STATIC / "viewer.css").read_text(encoding="utf-8")
TEMPLATE = ('<div class="lens-viewer" data-view="{view}" data-exact="true">'
            '<div class="lens-viewer-stage"><img class="lens-viewer-img" alt="">'
            '<svg class="lens-viewer-svg" xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="none"></svg>'
            '<div class="lens-viewer-labels"></div></div>'
            '<div class="lens-viewer-tip" hidden></div>'
            '<div class="lens-viewer-count" aria-live="polite"></div><div class="lens-viewer-side"></div></div>')
# The sliders a viewer applies by itself.
FINAL_STAGE_KEYS = ("box_score_thresh", "box_nms_thresh", "box_detections_per_img")

TEXTS: dict[str, dict[str, Any]] = {
    "en": {"count": "{count} detections · score > {score} · NMS IoU {nms} · at most {per_image} "
                    "(the model returns {model} at its defaults)",
           "waiting": "This setting is decided by the server: the view updates when the slider is released.",
           "score": "score", "roi": "RoI", "level": "FPN level", "rank": "detection", "iou": "IoU with its object",
           "proposals": {"count": "{shown} of {total} proposals after the RPN's NMS (the best first; fainter: "
                                  "lower objectness)",
                         "score": "objectness", "rank": "proposal", "iou": "IoU with the best object"},
           "ground_truth": {"score": "detection score", "iou": "IoU with the object"}},
    "ko": {"count": "검출 {count}개 · 점수 > {score} · NMS IoU {nms} · 최대 {per_image}개 "
                    "(모델 기본값에서는 {model}개)",
           "waiting": "이 설정은 서버가 계산합니다. 슬라이더를 놓으면 갱신됩니다.",
           "score": "점수", "roi": "RoI", "level": "FPN 레벨", "rank": "검출 순위", "iou": "정답 물체와의 IoU",
           "proposals": {"count": "RPN NMS 후 제안 영역 {total}개 중 {shown}개 (점수 높은 순; 흐릴수록 객체성 점수가 "
                                  "낮음)",
                         "score": "객체성 점수", "rank": "제안 순위", "iou": "가장 잘 맞는 물체와의 IoU"},
           "ground_truth": {"score": "검출 점수", "iou": "정답 물체와의 IoU"}},
}


# The heavy part of a viewer's value (image and final-stage payload, JSON), by payload key: a value that does not
# carry it (the page already has it) names it, and a viewer that lacks it asks for it (fetch_payload).
# Each entry is the JSON or an object whose result() builds it (off the event's critical path).
PAYLOADS: BoundedCache[str, Any] = BoundedCache(64)


def fetch_payload(key: Any) -> str | None:
    """The heavy JSON of `key`, waiting for it when it is still being built (called from the viewer's JavaScript:
    server.fetch_payload(key))."""
    if isinstance(key, (list, tuple)):
        key = key[0] if key else ""
    value: Any = PAYLOADS.get(str(key))
    return value.result() if hasattr(value, "result") else value


# The image each page (session object) was last sent (its key): the viewers of a page share their images, so a
# later value names it by key only (a viewer without it asks for it: fetch_payload).
_SENT_IMAGES: BoundedCache[int, str] = BoundedCache(1024)


def image_fields(key: str, url: Callable[[], str], page: Any = None) -> dict[str, str]:
    """{"image_key": key}, and the image itself ("image": its data URL, `url()`) unless this page was sent it."""
    if PAYLOADS.peek(key) is None:
        PAYLOADS.put(key, url())
    fields = {"image_key": key}
    if page is None or _SENT_IMAGES.get(id(page)) != key:
        fields["image"] = url()
        if page is not None:
            _SENT_IMAGES.put(id(page), key)
    return fields


def image_by_key(key: str, url: Callable[[], str]) -> dict[str, str]:
    """{"image_key": key} only, the image registered under it (a viewer that lacks it asks for it): a value that is
    the same whatever the page was sent before (a static view, compared with a fresh one after moves)."""
    if PAYLOADS.peek(key) is None:
        PAYLOADS.put(key, url())
    return {"image_key": key}


def static_value(view: str, boxes: list[dict[str, Any]], image: Mapping[str, str],
                 image_size: tuple[int, int]) -> str:
    """The value of a static viewer (the server decides what is drawn; no slider is applied in the browser): each
    box a dict with box (x1, y1, x2, y2, original pixels), role, stage, name (what it is, localised), label (class
    name), color, and optionally score, iou and text (its label on the image). The biggest box is drawn first (the
    smallest on top); data-rank is the position in `boxes`; hover shows name, class, score and IoU as given."""
    texts = TEXTS.get(current_language(), TEXTS["en"])
    own = texts.get(view)
    head = {"mode": "static", "payload_key": None, "settings": {}, "clickable": False, "boxes": boxes,
            "image_size": [int(image_size[0]), int(image_size[1])],
            "texts": {**texts, **own} if isinstance(own, dict) else texts, **image}
    return json.dumps(head)


def viewer(view: str, elem_id: str | None = None, classes: Iterable[str] = (), **kwargs: Any) -> gr.HTML:
    """An empty viewer for view `view` (detections, proposals, …): set its value with viewer_value(...) (or
    static_value(...)). `classes`: more classes for its block (e.g. lens-main: the tab's main picture)."""
    # The view's name is written into the template itself: a template prop can be missing when Gradio mounts a
    # component (in a tab opened late) that an event updated before.
    return gr.HTML(value="", html_template=TEMPLATE.replace("{view}", html.escape(view, quote=True)),
                   css_template=VIEWER_CSS, js_on_load=VIEWER_JS, elem_id=elem_id,
                   elem_classes=["lens-viewer-block", *classes], server_functions=[fetch_payload], **kwargs)


def viewer_value(payload_key: str, heavy: str | None, settings: Mapping[str, Any], *,
                 ground_truth: Iterable[dict[str, Any]] = (), followed: int | None = None,
                 display_scale: float = 1.0, clickable: bool = True,
                 detections: list[dict[str, Any]] | None = None, extra: Mapping[str, Any] | None = None,
                 keys: Iterable[str] = FINAL_STAGE_KEYS, view: str = "detections",
                 palette: list[str] | None = None) -> str:
    """The viewer's value: what changes per event, and `heavy` ('{"image": …, "payload": …}', registered in
    PAYLOADS under payload_key) or None when this page already received it. `keys`: the settings the viewer
    applies itself (the final-stage sliders; the proposals view: top_n)."""
    texts = TEXTS.get(current_language(), TEXTS["en"])
    head = {
        "payload_key": payload_key,
        "settings": {key: settings[key] for key in keys},
        "ground_truth": list(ground_truth),
        "followed": followed,
        "display_scale": float(display_scale),
        "clickable": clickable,
        # The server's detections, sent only for a setting the payload cannot decide (an NMS value off the slider's
        # steps, more detections than the payload holds), or before the page holds the payload: the viewer draws
        # them as they are.
        "detections": detections,
        "palette": palette or [hex_color(color) for color in PALETTE],
        "texts": {**texts, **texts.get(view, {})} if isinstance(texts.get(view), dict) else texts,
        **(extra or {}),
    }
    return json.dumps(head)[:-1] + ', "heavy": ' + (heavy or "null") + "}"


SET_JS = "(value) => {{ if (window.lensViewerSet) window.lensViewerSet('{key}', value); return []; }}"


def wire_sliders(sliders: Mapping[str, Iterable[Any]]) -> None:
    """Every final-stage slider's input event (while dragging) goes to the viewers' JavaScript only."""
    for key in FINAL_STAGE_KEYS:
        for slider in sliders.get(key, ()):
            wire_setting(slider, key)


def wire_setting(slider: Any, key: str) -> None:
    """The slider's input events (while dragging) go to the viewers' JavaScript only: each viewer whose settings
    hold `key` redraws (no Python function, no server round trip)."""
    slider.input(None, [slider], None, js=SET_JS.format(key=key), queue=False, show_progress="hidden",
                 show_progress_on=[])
