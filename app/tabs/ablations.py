"""Ablations tab: the RoI heads on the raw anchors ("no reg"), on proposals in a random order ("no cls"), or on
boxes someone draws or types (Fast R-CNN's own RoIs), beside the model's detections."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from app.figures.ablations import KINDS
from app.tabs.common import explanation, look_for, image_view
from app.texts import bind
from app.views import AblationView


@dataclass
class AblationsTab:
    kind: gr.Radio
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
    explanation("abl.explain")
    with gr.Row():
        kind = bind(gr.Radio, texts={"label": "abl.kind", "choices": [(f"abl.kind.{k}", k) for k in KINDS]},
                    value="no_reg", scale=3, elem_id="lens-ablation-kind")
        seed = bind(gr.Number, texts={"label": "abl.seed"}, value=0, precision=0, minimum=0, scale=1)
    with gr.Row(equal_height=True):
        boxes = bind(gr.Textbox, texts={"label": "abl.boxes", "placeholder": "abl.boxes.placeholder"}, lines=3,
                     max_lines=12, scale=4, elem_id="lens-ablation-boxes")
        with gr.Column(scale=1, min_width=180):
            add_proposals = bind(gr.Button, texts={"value": "abl.add_proposals"}, size="sm")
            clear = bind(gr.Button, texts={"value": "abl.clear"}, size="sm")
    with gr.Row():
        model_image = image_view("abl.click_hint", height=470, elem_id="lens-ablation-model")
        ablation_image = image_view(("abl.ablation_image", {"kind": "", "count": ""}), height=470,
                                    elem_id="lens-ablation-result")
    comparison = gr.Markdown(elem_classes=["lens-table"], elem_id="lens-ablation-comparison")
    return AblationsTab(kind, seed, boxes, add_proposals, clear, model_image, ablation_image, comparison)
