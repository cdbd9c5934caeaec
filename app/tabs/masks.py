"""Masks tab (Mask R-CNN): every detection's mask over the image with a mask-threshold slider that redraws in the
browser, one detection through the mask branch step by step, and why RoIAlign (RoIPool's misplacement on the mask
grid, in this image's pixels)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import gradio as gr

from app import handlers
from app.events import readable_errors, session_id
from app.figures.masks import MasksView, detection_at, masks_view
from app.handlers import Lens
from app.tabs.common import explanation, look_for
from app.texts import bind, heading

STATIC = Path(__file__).resolve().parents[1] / "static"
MASKS_JS = (STATIC / "masks.js").read_text(encoding="utf-8")
MASKS_CSS = (STATIC / "masks.css").read_text(encoding="utf-8")
TEMPLATE = ('<div class="lens-masks" data-view="masks" data-ready="false">'
            '<div class="lens-masks-stage"><img class="lens-masks-img" alt="">'
            '<canvas class="lens-masks-canvas"></canvas>'
            '<svg class="lens-masks-svg" xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="none"></svg></div>'
            '<div class="lens-masks-count" aria-live="polite"></div></div>')
# The threshold slider's input events go to the viewer's JavaScript only (no Python function, no round trip).
SET_JS = "(value) => { if (window.lensMasksSet) window.lensMasksSet(value); return []; }"


@dataclass
class MasksTab:
    notice: gr.Markdown
    threshold: gr.Slider
    detection: gr.Dropdown
    viewer: gr.HTML
    details: gr.Column
    steps: gr.Markdown
    level_plot: gr.Plot
    head_plot: gr.Plot
    paste_plot: gr.Plot
    misplacement: gr.Markdown
    misplacement_plot: gr.Plot

    @property
    def outputs(self) -> list[Any]:
        return [self.notice, self.detection, self.viewer, self.details, *self.step_outputs]

    @property
    def step_outputs(self) -> list[Any]:
        return [self.steps, self.level_plot, self.head_plot, self.paste_plot, self.misplacement,
                self.misplacement_plot]

    def values(self, view: MasksView) -> dict[Any, Any]:
        return {self.notice: gr.update(value=view.notice, visible=bool(view.notice)), self.viewer: view.viewer,
                self.detection: gr.update(choices=view.choices, value=view.chosen), **self.step_values(view)}

    def step_values(self, view: MasksView) -> dict[Any, Any]:
        if not view.has_masks:
            return {self.details: gr.update(visible=False), **{c: gr.skip() for c in self.step_outputs}}
        return {self.details: gr.update(visible=True), self.steps: view.steps, self.level_plot: view.level_figure,
                self.head_plot: view.head_figure, self.paste_plot: view.paste_figure,
                self.misplacement: view.misplacement, self.misplacement_plot: view.misplacement_figure}


def build() -> MasksTab:
    look_for("look.masks")
    # The picture first (as wide as the other tabs' main pictures), its threshold slider right below it.
    viewer = gr.HTML(value="", html_template=TEMPLATE, css_template=MASKS_CSS, js_on_load=MASKS_JS,
                     elem_id="lens-masks-image", elem_classes=["lens-masks-block"])
    notice = gr.Markdown(visible=False, elem_classes=["lens-callout"], elem_id="lens-masks-notice")
    with gr.Row(equal_height=True):
        threshold = bind(gr.Slider, 0.0, 1.0, texts={"label": "masks.threshold", "info": "masks.threshold.info"},
                         value=0.5, step=0.01, scale=2, elem_id="lens-mask-threshold")
        detection = bind(gr.Dropdown, texts={"label": "masks.detection"}, choices=[], interactive=True, scale=3,
                         elem_id="lens-mask-detection")
    explanation("masks.explain")
    with gr.Column(visible=False) as details:
        heading("masks.steps_title", level=3)
        steps = gr.Markdown(elem_classes=["lens-steps"], elem_id="lens-mask-steps")
        # Steps 1 (the level and its bins) and 2–4 (the head), then 5–6 (the paste and the threshold).
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=320):
                level_plot = gr.Plot(show_label=False, elem_id="lens-mask-level")
            with gr.Column(scale=5, min_width=560):
                head_plot = gr.Plot(show_label=False, elem_id="lens-mask-head")
        paste_plot = gr.Plot(show_label=False, elem_id="lens-mask-paste")
        heading("masks.why_title", level=3)
        explanation("masks.why_explain")
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=360):
                misplacement = gr.Markdown(elem_classes=["lens-steps"], elem_id="lens-mask-misplacement")
            with gr.Column(scale=3, min_width=440):
                misplacement_plot = gr.Plot(show_label=False, elem_id="lens-mask-misplacement-plot")
        explanation("masks.conventions")
    return MasksTab(notice, threshold, detection, viewer, details, steps, level_plot, head_plot, paste_plot,
                    misplacement, misplacement_plot)


def wire(lens: Lens, m: MasksTab) -> dict[str, Callable[..., Any]]:
    """The threshold slider redraws the masks in the browser while dragged; its release (and a detection chosen
    in the list or clicked on the image) updates the step-by-step panel on the server."""
    def show(request: gr.Request, redraw: bool = False, **changes: Any) -> dict[Any, Any]:
        """The step-by-step panel after a change; the viewer is redrawn only when asked (`redraw`)."""
        session = handlers.set_options(lens, session_id(request), **changes)
        view = masks_view(session)
        return {m.notice: gr.skip(), m.viewer: view.viewer if redraw else gr.skip(),
                m.detection: gr.update(value=view.chosen), **m.step_values(view)}

    def key_of(session: Any, index: int | None) -> tuple[int, int] | None:
        keys = session.replay.mask_keys() if session.trace.has_masks else []
        return keys[index] if index is not None and 0 <= index < len(keys) else None

    @readable_errors("action.view", lens)
    def on_threshold(value: float, request: gr.Request) -> dict[Any, Any]:
        return show(request, mask_threshold=min(max(float(value), 0.0), 1.0))

    @readable_errors("action.view", lens)
    def on_detection(index: int | None, request: gr.Request) -> dict[Any, Any]:
        session = handlers.current_session(lens, session_id(request))
        return show(request, redraw=True, mask_detection=key_of(session, None if index is None else int(index)))

    @readable_errors("action.view", lens)
    def on_click(event: gr.SelectData, request: gr.Request) -> dict[Any, Any]:
        session = handlers.current_session(lens, session_id(request))
        x, y = (float(v) for v in event.index)
        index = detection_at(session.replay, x, y)
        return show(request, redraw=True, mask_detection=key_of(session, index))   # the chosen one drawn thicker

    outputs = m.outputs
    m.threshold.input(None, [m.threshold], None, js=SET_JS, queue=False, show_progress="hidden",
                      show_progress_on=[])
    m.threshold.release(on_threshold, [m.threshold], outputs, api_visibility="private", show_progress="hidden",
                        trigger_mode="always_last")
    m.detection.input(on_detection, [m.detection], outputs, api_visibility="private")
    m.viewer.select(on_click, None, outputs, api_visibility="private")
    return {"mask_threshold": on_threshold, "mask_detection": on_detection, "mask_click": on_click}


def refresh(tab: MasksTab, session: Any) -> dict[Any, Any]:
    """The tab's view at the session's thresholds (when it is showing and a threshold moves, or it opens)."""
    return tab.values(masks_view(session))
