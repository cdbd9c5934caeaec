"""Proposals tab: pre-NMS vs post-NMS boxes coloured by level, and what each RPN filter removed."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from app.tabs.common import explanation, image_view, look_for
from app.texts import bind, heading
from app.views import ProposalsView


@dataclass
class ProposalsTab:
    top_n: gr.Slider
    legend: gr.HTML
    pre_nms: gr.Image
    post_nms: gr.Image
    steps: gr.Markdown
    fate: gr.Markdown

    @property
    def outputs(self) -> list[Any]:
        return [self.legend, self.pre_nms, self.post_nms, self.steps, self.fate]

    def values(self, view: ProposalsView) -> dict[Any, Any]:
        return {self.legend: view.legend_html,
                self.pre_nms: gr.update(value=view.pre_nms_image, label=view.pre_nms_label),
                self.post_nms: gr.update(value=view.post_nms_image, label=view.post_nms_label),
                self.steps: view.steps, self.fate: view.fate}


def build() -> ProposalsTab:
    look_for("look.proposals")
    top_n = bind(gr.Slider, 1, 1000, texts={"label": "proposals.top_n"}, value=100, step=1)
    # One above the other, each as wide as the page allows: before NMS (click a box: what removed it), after NMS.
    pre_nms = image_view(("proposals.pre_nms", {"shown": "", "total": ""}), elem_id="lens-pre-nms-image", main=True)
    legend = gr.HTML()   # the level colours, between the two pictures
    post_nms = image_view(("proposals.post_nms", {"shown": "", "total": ""}), main=True)
    fate = gr.Markdown(elem_classes=["lens-callout"], elem_id="lens-fate")
    heading("proposals.steps")
    steps = gr.Markdown(elem_classes=["lens-table"])
    explanation("proposals.explain")
    return ProposalsTab(top_n, legend, pre_nms, post_nms, steps, fate)
