"""Ablations tab: the RoI heads on the raw anchors ("no reg"), on proposals in a random order ("no cls"), or on
boxes someone draws or types (Fast R-CNN's own RoIs), beside the model's detections."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import gradio as gr

from app import handlers
from app.events import original_point, readable_errors, session_id
from app.figures.ablations import (
    KINDS,
    TAB_ID,
    AblationOptions,
    AblationView,
    ablation_keys,
    ablation_options,
    ablation_view,
    parse_boxes,
)
from app.handlers import Lens, UserError
from app.strings import t
from app.tabs.common import explanation, image_view, look_for
from app.texts import bind, markdown


@dataclass
class AblationsTab:
    kind: gr.Dropdown
    seed: gr.Number
    boxes: gr.Textbox
    add_proposals: gr.Button
    clear: gr.Button
    model_image: gr.Image
    ablation_image: gr.Image
    comparison: gr.Markdown

    @property
    def outputs(self) -> list[Any]:
        return [self.kind, self.boxes, self.model_image, self.ablation_image, self.comparison]

    @property
    def parts(self) -> dict[str, list[Any]]:
        """The outputs by the part of figures.ablations.ablation_keys they show: a slider move that leaves a part's
        key as it was leaves those outputs as they are on the page."""
        return {"kind": [self.kind, self.boxes], "model_image": [self.model_image],
                "result": [self.ablation_image], "comparison": [self.comparison]}

    def values(self, view: AblationView) -> dict[Any, Any]:
        return {self.boxes: view.boxes_text, self.kind: view.kind, self.model_image: view.model_image,
                self.ablation_image: gr.update(value=view.ablation_image, label=view.ablation_label),
                self.comparison: view.comparison}


def build() -> AblationsTab:
    look_for("look.ablations")
    with gr.Row():
        kind = bind(gr.Dropdown, texts={"label": "abl.kind", "choices": [(f"abl.kind.{k}", k) for k in KINDS]},
                    value="no_reg", scale=3, elem_id="lens-ablation-kind")
        seed = bind(gr.Number, texts={"label": "abl.seed"}, value=0, precision=0, minimum=0, scale=1, min_width=120)
    # The ablation's result first, as large as the page allows; the model's own detections below it (click two
    # corners there to draw a box).
    ablation_image = image_view(("abl.ablation_image", {"kind": "", "count": ""}), elem_id="lens-ablation-result",
                                main=True)
    comparison = gr.Markdown(elem_classes=["lens-table"], elem_id="lens-ablation-comparison")
    model_image = image_view("abl.model_image", elem_id="lens-ablation-model", main=True)
    with gr.Row(equal_height=True):
        boxes = bind(gr.Textbox, texts={"label": "abl.boxes", "placeholder": "abl.boxes.placeholder"}, lines=3,
                     max_lines=12, scale=4, elem_id="lens-ablation-boxes")
        with gr.Column(scale=1, min_width=180):
            add_proposals = bind(gr.Button, texts={"value": "abl.add_proposals"}, size="sm")
            clear = bind(gr.Button, texts={"value": "abl.clear"}, size="sm")
    markdown("abl.click_hint", elem_classes=["lens-note"])
    explanation("abl.explain")
    return AblationsTab(kind, seed, boxes, add_proposals, clear, model_image, ablation_image, comparison)


def wire(lens: Lens, a: AblationsTab) -> dict[str, Callable[..., Any]]:
    """Choose an ablation; draw boxes with two clicks on the model's image, type them, or take the best proposals."""
    def show(request: gr.Request, **changes: Any) -> dict[Any, Any]:
        session = handlers.set_tab_state(lens, session_id(request), TAB_ID, AblationOptions, **changes)
        return a.values(ablation_view(session))

    @readable_errors("action.view", lens)
    def on_kind(kind: str, seed: float | None, request: gr.Request) -> dict[Any, Any]:
        if kind not in KINDS:
            kind = "no_reg"
        return show(request, kind=kind, seed=max(0, int(seed or 0)))

    @readable_errors("action.view", lens)
    def on_boxes(text: str, request: gr.Request) -> dict[Any, Any]:
        try:
            boxes = parse_boxes(text or "")
        except ValueError as error:
            raise UserError(t("abl.bad_boxes", line=error.args[0])) from None
        kind = "boxes" if boxes else ablation_options(handlers.current_session(lens, session_id(request))).kind
        return show(request, boxes=tuple(boxes), pending=None, kind=kind)

    @readable_errors("action.view", lens)
    def on_click(event: gr.SelectData, request: gr.Request) -> dict[Any, Any]:
        session = handlers.current_session(lens, session_id(request))
        x, y = original_point(session, event.index)
        options = ablation_options(session)
        if options.pending is None:
            return show(request, pending=(x, y))
        pending = options.pending
        box = (min(x, pending[0]), min(y, pending[1]), max(x, pending[0]), max(y, pending[1]))
        return show(request, pending=None, kind="boxes", boxes=options.boxes + (box,))

    @readable_errors("action.view", lens)
    def on_add_proposals(request: gr.Request) -> dict[Any, Any]:
        session = handlers.current_session(lens, session_id(request))
        best = [tuple(float(v) for v in box) for box in session.replay.proposals.boxes[:5].tolist()]
        return show(request, kind="boxes", boxes=ablation_options(session).boxes + tuple(best))

    @readable_errors("action.view", lens)
    def on_clear(request: gr.Request) -> dict[Any, Any]:
        return show(request, boxes=(), pending=None)

    outputs = a.outputs
    gr.on([a.kind.input, a.seed.submit, a.seed.blur], on_kind, [a.kind, a.seed], a.outputs, api_visibility="private",
          trigger_mode="always_last")
    a.boxes.blur(on_boxes, [a.boxes], outputs, api_visibility="private")
    a.model_image.select(on_click, None, outputs, api_visibility="private")
    a.add_proposals.click(on_add_proposals, None, outputs, api_visibility="private")
    a.clear.click(on_clear, None, outputs, api_visibility="private")
    return {"ablation_kind": on_kind, "ablation_boxes": on_boxes, "ablation_click": on_click,
            "ablation_add_proposals": on_add_proposals, "ablation_clear": on_clear}


keys = ablation_keys   # the tab's parts by what they are drawn from (AblationsTab.parts' names)


def refresh(tab: AblationsTab, session: Any) -> dict[Any, Any]:
    """The tab's view at the session's thresholds (when it is showing and a threshold moves, or it opens)."""
    return tab.values(ablation_view(session))
