"""Detections tab: final boxes with labels and scores, a table, per-class counts, the JSON summary."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from app.figures.detections import table_headers
from app.strings import t
from app.tabs.common import explanation, frame, image_view, table
from app.texts import heading
from app.views import DetectionsView


@dataclass
class DetectionsTab:
    image: gr.Image
    table: gr.Dataframe
    counts: gr.HTML
    steps: gr.Markdown

    @property
    def outputs(self) -> list[Any]:
        return [self.image, self.table, self.counts, self.steps]

    def values(self, view: DetectionsView) -> dict[Any, Any]:
        return {self.image: gr.update(value=view.image, label=view.image_label),
                self.table: frame(view.rows, table_headers()),
                self.counts: view.counts_html, self.steps: view.steps}


def build() -> DetectionsTab:
    explanation("detections.explain")
    with gr.Row():
        with gr.Column(scale=5):
            image = image_view("tab.detections", height=560, elem_id="lens-detections-image")
        with gr.Column(scale=4):
            detections_table = table(table_headers, label_key="detections.table", max_height=430,
                                     column_widths=["27%", "16%", "42%", "15%"])
            counts = gr.HTML()
    heading("detections.steps")
    steps = gr.Markdown(elem_classes=["lens-table"])
    return DetectionsTab(image, detections_table, counts, steps)
