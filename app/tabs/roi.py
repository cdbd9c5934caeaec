"""RoI pooling tab: pick a proposal; its level and why; RoIPool cells vs RoIAlign points; the two 7×7 outputs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import gradio as gr

from app import handlers, views
from app.events import original_point, readable_errors, session_id
from app.figures.projection import parse_box
from app.figures.roi import choice_indices, proposal_at
from app.handlers import Lens, UserError
from app.strings import t
from app.tabs.common import explanation, image_view, look_for
from app.texts import bind, heading
from app.views import RoiView


@dataclass
class RoiTab:
    proposal: gr.Dropdown
    channel: gr.Slider
    image: gr.Image
    assignment: gr.Markdown
    feature: gr.Plot
    outputs_plot: gr.Plot
    box: gr.Textbox
    projection: gr.Markdown
    projection_plot: gr.Plot
    article: gr.Markdown
    article_plot: gr.Plot

    @property
    def outputs(self) -> list[Any]:
        return [self.proposal, self.image, self.assignment, self.feature, self.outputs_plot, self.channel,
                self.projection, self.projection_plot, self.article, self.article_plot]

    @property
    def parts(self) -> dict[str, list[Any]]:
        """The outputs by the part of views.roi_keys they show: a slider move that leaves a part's key as it was
        leaves those outputs as they are on the page."""
        return {"choices": [self.proposal], "image": [self.image], "assignment": [self.assignment],
                "figures": [self.feature, self.outputs_plot, self.projection, self.projection_plot],
                "article": [self.channel, self.article, self.article_plot]}

    def values(self, view: RoiView) -> dict[Any, Any]:
        return {self.proposal: gr.update(choices=view.choices, value=view.chosen), self.image: view.image,
                self.assignment: view.assignment, self.feature: view.feature_figure,
                self.outputs_plot: view.outputs_figure, self.channel: gr.update(maximum=view.max_channel),
                self.projection: view.projection, self.projection_plot: view.projection_figure,
                self.article: view.article, self.article_plot: view.article_figure}


def build() -> RoiTab:
    look_for("look.roi")
    with gr.Row():
        proposal = bind(gr.Dropdown, texts={"label": "roi.proposal"}, choices=[], interactive=True, scale=3)
        channel = bind(gr.Slider, 0, 255, texts={"label": "roi.channel"}, value=0, step=1, scale=2)
    image = image_view("roi.click_image", main=True)
    assignment = gr.Markdown(elem_classes=["lens-callout"])
    feature = gr.Plot(show_label=False)
    outputs_plot = gr.Plot(show_label=False)
    explanation("roi.explain")
    heading("proj.title", level=3)
    explanation("proj.explain")
    box = bind(gr.Textbox, texts={"label": "proj.box", "placeholder": "proj.box.placeholder"}, max_lines=1,
               elem_id="lens-roi-box")
    projection, projection_plot = _table_beside_figure("proj.this_image", "lens-projection")
    article, article_plot = _table_beside_figure("proj.article_title", "lens-article")
    return RoiTab(proposal, channel, image, assignment, feature, outputs_plot, box, projection, projection_plot,
                  article, article_plot)


def _table_beside_figure(title: str, elem_id: str) -> tuple[gr.Markdown, gr.Plot]:
    """A titled table of numbers with its figure to the right (the projection walk, the article's example)."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            heading(title)
            table = gr.Markdown(elem_classes=["lens-table"], elem_id=elem_id)
        with gr.Column(scale=2):
            figure = gr.Plot(show_label=False)
    return table, figure


def wire(lens: Lens, r: RoiTab) -> dict[str, Callable[..., Any]]:
    """Choose a proposal (list or a click on the image), a channel, or type a box of one's own."""
    @readable_errors("action.view", lens)
    def on_roi_choice(index: int | None, channel: float, request: gr.Request) -> dict[Any, Any]:
        session = handlers.set_options(lens, session_id(request), roi_proposal=None if index is None else int(index),
                                       roi_channel=int(channel))
        return r.values(views.roi_view(session))

    gr.on([r.proposal.input, r.channel.release], on_roi_choice, [r.proposal, r.channel], r.outputs,
          api_visibility="private", trigger_mode="always_last")

    @readable_errors("action.view", lens)
    def on_roi_click(event: gr.SelectData, request: gr.Request) -> dict[Any, Any]:
        session = handlers.current_session(lens, session_id(request))
        x, y = original_point(session, event.index)
        proposals_ = session.replay.proposals
        index = proposal_at(proposals_, x, y, choice_indices(proposals_))
        session = handlers.set_options(lens, session_id(request), roi_proposal=index)
        return r.values(views.roi_view(session))

    r.image.select(on_roi_click, None, r.outputs, api_visibility="private")

    @readable_errors("action.view", lens)
    def on_roi_box(text: str, request: gr.Request) -> dict[Any, Any]:
        try:
            box = parse_box(text or "")
        except ValueError:
            raise UserError(t("proj.bad_box")) from None
        session = handlers.set_options(lens, session_id(request), roi_box=box)
        return r.values(views.roi_view(session))

    r.box.submit(on_roi_box, [r.box], r.outputs, api_visibility="private")
    r.box.blur(on_roi_box, [r.box], r.outputs, api_visibility="private")
    return {"roi_choice": on_roi_choice, "roi_click": on_roi_click, "roi_box": on_roi_box}
