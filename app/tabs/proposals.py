"""Proposals tab: pre-NMS vs post-NMS boxes coloured by level, and what each RPN filter removed. The post-NMS
boxes are on the box viewer, which applies the top-N slider in the browser while it is dragged."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import gradio as gr

from app import handlers, views
from app.events import original_point, readable_errors, session_id
from app.figures import proposals as proposal_figs
from app.figures.roi import proposal_at
from app.handlers import Lens
from app.tabs.common import explanation, image_view, look_for
from app.texts import bind, heading
from app.viewer import viewer, wire_setting
from app.views import ProposalsView


@dataclass
class ProposalsTab:
    top_n: gr.Slider
    legend: gr.HTML
    pre_nms: gr.Image
    post_nms: gr.HTML   # the box viewer (data-view="proposals"): the first N proposals after the RPN's NMS
    steps: gr.Markdown
    fate: gr.Markdown

    @property
    def outputs(self) -> list[Any]:
        return [self.legend, self.pre_nms, self.post_nms, self.steps, self.fate]

    @property
    def parts(self) -> dict[str, list[Any]]:
        """The outputs by the part of views.proposals_keys they show: a slider move that leaves a part's key as it
        was leaves those outputs as they are on the page."""
        return {"legend": [self.legend], "pre_nms": [self.pre_nms]}

    def values(self, view: ProposalsView) -> dict[Any, Any]:
        return {self.legend: view.legend_html,
                self.pre_nms: gr.update(value=view.pre_nms_image, label=view.pre_nms_label),
                self.post_nms: view.viewer,
                self.steps: view.steps, self.fate: view.fate}


def build() -> ProposalsTab:
    look_for("look.proposals")
    top_n = bind(gr.Slider, 1, 1000, texts={"label": "proposals.top_n"}, value=100, step=1,
                 elem_id="lens-proposals-top-n")
    # One above the other, each as wide as the page allows: before NMS (click a box: what removed it), after NMS.
    pre_nms = image_view(("proposals.pre_nms", {"shown": "", "total": ""}), elem_id="lens-pre-nms-image", main=True)
    legend = gr.HTML()   # the level colours, between the two pictures
    # After NMS: the box viewer, which applies the top-N slider in the browser while it is dragged.
    post_nms = viewer("proposals", elem_id="lens-proposals-viewer")
    fate = gr.Markdown(elem_classes=["lens-callout"], elem_id="lens-fate")
    heading("proposals.steps")
    steps = gr.Markdown(elem_classes=["lens-table"])
    explanation("proposals.explain")
    return ProposalsTab(top_n, legend, pre_nms, post_nms, steps, fate)


def wire(lens: Lens, p: ProposalsTab) -> dict[str, Callable[..., Any]]:
    """The top-N slider (while dragging: the viewer alone, in the browser; released: the server keeps it and
    redraws the pre-NMS picture), and a click on a box before NMS: what removed it."""
    @readable_errors("action.view", lens)
    def on_top_n(top_n: float, request: gr.Request) -> dict[Any, Any]:
        session = handlers.set_options(lens, session_id(request), proposals_top_n=int(top_n))
        return p.values(views.proposals_view(session))

    @readable_errors("action.view", lens)
    def on_pre_nms_click(event: gr.SelectData, request: gr.Request) -> dict[Any, Any]:
        session = handlers.current_session(lens, session_id(request))
        x, y = original_point(session, event.index)
        pre = session.replay.pre_nms
        shown = proposal_figs.shown_indices(pre, session.options.proposals_top_n)
        k = proposal_at(pre, x, y, shown)
        candidate = None if k is None else int(session.replay.rpn_candidates.pre_nms[k])
        session = handlers.set_options(lens, session_id(request), fate_candidate=candidate)
        return p.values(views.proposals_view(session))

    wire_setting(p.top_n, "top_n")
    p.top_n.release(on_top_n, [p.top_n], p.outputs, api_visibility="private", trigger_mode="always_last")
    p.pre_nms.select(on_pre_nms_click, None, p.outputs, api_visibility="private")
    return {"top_n": on_top_n, "pre_nms_click": on_pre_nms_click}
