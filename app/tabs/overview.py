"""Overview tab: the pipeline diagram with counts and timings, and the coordinate frames."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from app.strings import t
from app.tabs.common import MAIN, explanation, look_for
from app.texts import bind
from app.views import OverviewView


@dataclass
class OverviewTab:
    pipeline: gr.HTML
    frames: gr.HTML

    @property
    def outputs(self) -> list[Any]:
        return [self.pipeline, self.frames]

    def values(self, view: OverviewView) -> dict[Any, Any]:
        return {self.pipeline: view.pipeline_html, self.frames: view.frames_html}


def build() -> OverviewTab:
    look_for("look.overview")
    pipeline = gr.HTML(elem_id="lens-pipeline", elem_classes=[MAIN])
    bind(gr.Markdown, texts={"value": lambda: f"### {t('overview.frames')}\n{t('overview.frames.explain')}"})
    frames = gr.HTML(elem_id="lens-frames")
    explanation("overview.explain")
    return OverviewTab(pipeline, frames)
