"""Anchors tab: anchors at a clicked point on every level; this model's configuration beside the paper's."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import gradio as gr

from app import handlers, views
from app.events import original_point, readable_errors, session_id
from app.handlers import Lens
from app.tabs.common import explanation, image_view, look_for
from app.texts import heading
from app.views import AnchorsView


@dataclass
class AnchorsTab:
    image: gr.Image
    point: gr.Markdown
    hits: gr.Markdown
    model_table: gr.Markdown
    paper_table: gr.Markdown
    border: gr.Markdown

    @property
    def outputs(self) -> list[Any]:
        return [self.image, self.point, self.hits, self.model_table, self.paper_table, self.border]

    def values(self, view: AnchorsView) -> dict[Any, Any]:
        return {self.image: view.image, self.point: view.point_text, self.hits: view.hits,
                self.model_table: view.model_table, self.paper_table: view.paper_table, self.border: view.border_text}


def build() -> AnchorsTab:
    look_for("look.anchors")
    image = image_view("anchors.click_image", main=True)
    with gr.Row(equal_height=False):
        point = gr.Markdown(elem_classes=["lens-callout"])
        hits = gr.Markdown(elem_classes=["lens-table", "lens-table-compact"])
    border = gr.Markdown(elem_classes=["lens-callout"])
    heading("anchors.model_config")
    model_table = gr.Markdown(elem_classes=["lens-table"])
    heading("anchors.paper_config")
    paper_table = gr.Markdown(elem_classes=["lens-table"])
    explanation("anchors.explain")
    return AnchorsTab(image, point, hits, model_table, paper_table, border)


def wire(lens: Lens, a: AnchorsTab) -> dict[str, Callable[..., Any]]:
    """A click on the image: the anchors centred nearest that point."""
    @readable_errors("action.view", lens)
    def on_anchor_click(event: gr.SelectData, request: gr.Request) -> dict[Any, Any]:
        session = handlers.current_session(lens, session_id(request))
        x, y = original_point(session, event.index)
        session = handlers.set_options(lens, session_id(request), anchor_point=(x, y))
        return a.values(views.anchors_view(session))

    a.image.select(on_anchor_click, None, a.outputs, api_visibility="private")
    return {"anchor_click": on_anchor_click}
