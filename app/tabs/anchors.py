"""Anchors tab: anchors at a clicked point on every level; this model's configuration beside the paper's."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from app.figures.anchors import hits_headers, summary_headers
from app.strings import t
from app.tabs.common import explanation, frame, image_view, table
from app.views import AnchorsView


@dataclass
class AnchorsTab:
    image: gr.Image
    point: gr.Markdown
    hits: gr.Dataframe
    model_table: gr.Dataframe
    paper_table: gr.Dataframe
    border: gr.Markdown

    def values(self, view: AnchorsView) -> dict[Any, Any]:
        return {self.image: view.image, self.point: view.point_text,
                self.hits: frame(view.hits, hits_headers()),
                self.model_table: frame(view.model_rows, summary_headers()),
                self.paper_table: frame(view.paper_rows, summary_headers()),
                self.border: view.border_text}


def build() -> AnchorsTab:
    explanation("anchors.explain")
    with gr.Row():
        image = image_view(t("anchors.click_image"), height=520)
        with gr.Column():
            point = gr.Markdown()
            hits = table(hits_headers(), max_height=470)
    border = gr.Markdown()
    with gr.Row():
        with gr.Column():
            gr.Markdown(f"#### {t('anchors.model_config')}")
            model_table = table(summary_headers(), max_height=320)
        with gr.Column():
            gr.Markdown(f"#### {t('anchors.paper_config')}")
            paper_table = table(summary_headers(), max_height=320)
    return AnchorsTab(image, point, hits, model_table, paper_table, border)
