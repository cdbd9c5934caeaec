"""Feature pyramid tab: C/P maps as heatmaps and overlays, with shapes and strides."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import gradio as gr

from app import handlers, views
from app.events import readable_errors, session_id
from app.figures.features import MODES
from app.handlers import Lens
from app.tabs.common import MAIN, explanation, look_for
from app.texts import bind
from app.views import FeaturesView


@dataclass
class FeaturesTab:
    family: gr.Dropdown
    mode: gr.Dropdown
    channel: gr.Slider
    heatmaps: gr.Plot
    overlays: gr.Gallery
    shapes: gr.Markdown
    note: gr.Markdown

    @property
    def controls(self) -> list[Any]:
        return [self.family, self.mode, self.channel]

    @property
    def outputs(self) -> list[Any]:
        return [self.heatmaps, self.overlays, self.shapes, self.note, self.channel]

    def values(self, view: FeaturesView) -> dict[Any, Any]:
        return {self.heatmaps: view.heatmaps, self.overlays: view.overlays,
                self.shapes: view.shapes, self.note: view.note, self.channel: gr.update(maximum=view.max_channel)}


def build() -> FeaturesTab:
    look_for("look.features")
    with gr.Row():
        family = bind(gr.Dropdown, texts={"choices": [("features.family.body", "body"),
                                                      ("features.family.fpn", "fpn")],
                                          "label": "features.family"}, value="fpn", scale=2)
        mode = bind(gr.Dropdown, texts={"choices": [(f"features.mode.{m}", m) for m in MODES],
                                        "label": "features.mode"},
                    value="mean", scale=2)
        channel = bind(gr.Slider, 0, 255, texts={"label": "features.channel"}, value=0, step=1, scale=2)
    heatmaps = bind(gr.Plot, texts={"label": "features.heatmaps"}, elem_classes=[MAIN, "lens-main-plot"])
    note = gr.Markdown()
    overlays = bind(gr.Gallery, texts={"label": "features.overlays"}, columns=5, height=300, object_fit="contain",
                    format="jpeg", allow_preview=True)
    shapes = gr.Markdown(elem_classes=["lens-table"])
    explanation("features.explain")
    return FeaturesTab(family, mode, channel, heatmaps, overlays, shapes, note)


def wire(lens: Lens, f: FeaturesTab) -> dict[str, Callable[..., Any]]:
    """The family, mode and channel of the feature maps shown."""
    @readable_errors("action.view", lens)
    def on_features(family: str, mode: str, channel: float, request: gr.Request) -> dict[Any, Any]:
        session = handlers.set_options(lens, session_id(request), features_family=family, features_mode=mode,
                                       features_channel=int(channel))
        return f.values(views.features_view(session))

    gr.on([f.family.change, f.mode.change, f.channel.release], on_features, f.controls, f.outputs,
          api_visibility="private", trigger_mode="always_last")
    return {"features": on_features}
