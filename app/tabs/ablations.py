"""Ablations tab: the RoI heads on the raw anchors ("no reg"), on proposals in a random order ("no cls"), or on
boxes someone draws or types (Fast R-CNN's own RoIs), beside the model's detections."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from app.figures.ablations import KINDS
from app.tabs.common import explanation, image_view, look_for
from app.texts import bind, markdown
from app.views import AblationView


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
