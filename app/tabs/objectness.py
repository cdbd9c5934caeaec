"""RPN objectness tab: per-level maps (max over shapes), one level's per-shape maps, and an overlay."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import gradio as gr

from app import handlers, views
from app.events import readable_errors, session_id
from app.handlers import Lens
from app.tabs.common import MAIN, explanation, image_view, look_for
from app.texts import bind
from app.views import ObjectnessView


@dataclass
class ObjectnessTab:
    all_levels: gr.Plot
    level: gr.Dropdown
    per_shape: gr.Plot
    overlay: gr.Image
    summary: gr.Markdown

    @property
    def outputs(self) -> list[Any]:
        return [self.all_levels, self.summary, self.level, *self.level_outputs]

    @property
    def level_outputs(self) -> list[Any]:
        return [self.per_shape, self.overlay]

    def values(self, view: ObjectnessView) -> dict[Any, Any]:
        return {self.all_levels: view.all_levels, self.summary: view.summary,
                self.level: gr.update(choices=view.level_choices, value=view.level),
                **self.level_values(view)}

    def level_values(self, view: ObjectnessView) -> dict[Any, Any]:
        return {self.per_shape: view.per_shape,
                self.overlay: gr.update(value=view.overlay, label=view.overlay_label)}


def build() -> ObjectnessTab:
    look_for("look.objectness")
    all_levels = bind(gr.Plot, texts={"label": "objectness.all_levels"}, elem_classes=[MAIN, "lens-main-plot"])
    summary = gr.Markdown(elem_classes=["lens-table"])
    with gr.Row():
        with gr.Column(scale=3):
            level = bind(gr.Dropdown, texts={"label": "objectness.level"}, choices=[], interactive=True)
            per_shape = gr.Plot(show_label=False)
        with gr.Column(scale=2):
            overlay = image_view(("objectness.overlay", {"level": ""}), height=420)
    explanation("objectness.explain")
    return ObjectnessTab(all_levels, level, per_shape, overlay, summary)


def wire(lens: Lens, o: ObjectnessTab) -> dict[str, Callable[..., Any]]:
    """The pyramid level whose objectness is shown per anchor shape and over the image."""
    @readable_errors("action.view", lens)
    def on_objectness_level(level: int, request: gr.Request) -> dict[Any, Any]:
        session = handlers.set_options(lens, session_id(request), objectness_level=int(level or 0))
        return o.level_values(views.objectness_view(session))

    o.level.input(on_objectness_level, [o.level], o.level_outputs, api_visibility="private")
    return {"objectness_level": on_objectness_level}
