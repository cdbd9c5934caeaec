"""Ground truth tab: where each object was lost (the funnel), TP/FP/FN and TIDE errors, proposal recall, the RPN's
anchor labels and the training losses of this image."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import gradio as gr

from app import handlers, views
from app.events import readable_errors, session_id
from app.handlers import Lens
from app.tabs.common import MAIN, explanation, image_view, look_for
from app.texts import bind, heading, markdown
from app.viewer import viewer
from app.views import GroundTruthView


@dataclass
class GroundTruthTab:
    source: gr.Markdown
    warnings: gr.Markdown
    summary: gr.Markdown
    iou: gr.Slider
    funnel: gr.HTML          # an HTML table (a Gradio Dataframe cost the browser ~90 ms per RPN release)
    object: gr.Dropdown
    object_image: gr.HTML    # the box viewer (data-view="ground_truth", static); scripts get a picture (hidden twin)
    object_text: gr.Markdown
    tide: gr.Markdown
    recall: gr.HTML          # the recall curves as SVG (a plotly chart costs the browser ~0.1-0.2 s per release)
    level: gr.Dropdown
    anchor_image: gr.Image
    anchor_text: gr.Markdown
    losses: gr.Markdown

    @property
    def outputs(self) -> list[Any]:
        return [self.source, self.warnings, self.summary, self.funnel, self.object, self.object_image,
                self.object_text, self.tide, self.recall, self.level, self.anchor_image, self.anchor_text,
                self.losses]

    @property
    def fixed_outputs(self) -> list[Any]:
        """The outputs no threshold changes (the annotations' source, the RPN's anchor labels for training): a
        slider move leaves them as they are."""
        return [self.source, self.level, self.anchor_image, self.anchor_text]

    @property
    def parts(self) -> dict[str, list[Any]]:
        """The outputs by the part of views.ground_truth_keys they show: a slider move that leaves a part's key as
        it was leaves those outputs as they are on the page."""
        return {"warnings": [self.warnings], "summary": [self.summary], "funnel": [self.funnel],
                "object": [self.object], "object_view": [self.object_image, self.object_text], "tide": [self.tide],
                "recall": [self.recall], "losses": [self.losses]}

    def values(self, view: GroundTruthView) -> dict[Any, Any]:
        return {self.source: view.source, self.warnings: view.warnings, self.summary: view.summary,
                self.funnel: view.funnel,
                self.object: gr.update(choices=view.object_choices, value=view.object_chosen),
                self.object_image: view.object_viewer, self.object_text: view.object_text, self.tide: view.tide,
                self.recall: view.recall, self.level: gr.update(choices=view.level_choices, value=view.level),
                self.anchor_image: view.anchor_image, self.anchor_text: view.anchor_text, self.losses: view.losses}


# A click on a funnel row picks that object (the Dataframe's row select, as the page had it).
FUNNEL_JS = """
element.addEventListener('click', (event) => {
  const row = event.target.closest('tr[data-row]');
  if (row) trigger('select', {index: [Number(row.dataset.row), 0], value: null});
});
"""
# Numbers and words are never broken; the table scrolls inside its box.
FUNNEL_CSS = """
.lens-funnel { max-height: 360px; overflow: auto; }
.lens-funnel table { border-collapse: collapse; width: max-content; min-width: 100%; }
.lens-funnel th, .lens-funnel td { white-space: nowrap; padding: 4px 10px; text-align: left;
                                   border: 1px solid var(--border-color-primary); }
.lens-funnel td.lens-num { text-align: right; font-variant-numeric: tabular-nums; }
.lens-funnel thead th { position: sticky; top: 0; background: var(--background-fill-secondary); }
.lens-funnel tbody tr { cursor: pointer; }
.lens-funnel tbody tr:hover td { outline: 2px solid var(--color-accent); outline-offset: -2px; }
"""


def build() -> GroundTruthTab:
    look_for("look.gt")
    with gr.Row(equal_height=True):
        object_ = bind(gr.Dropdown, texts={"label": "gt.object_select"}, choices=[], interactive=True,
                       elem_id="lens-gt-object", scale=3)
        iou = bind(gr.Slider, 0.1, 0.95, texts={"label": "gt.iou"}, value=0.5, step=0.05, elem_id="lens-gt-iou",
                   scale=2)
    # The picked object and its best boxes on the box viewer: each box a DOM element (data-box, data-role,
    # data-stage, data-label, data-score, data-iou) with its numbers on hover.
    object_image = viewer("ground_truth", elem_id="lens-gt-object-image", classes=[MAIN])
    object_text = gr.Markdown(elem_classes=["lens-callout"], elem_id="lens-gt-object-text")
    source = gr.Markdown(elem_classes=["lens-callout"], elem_id="lens-gt-source")
    warnings = gr.Markdown(elem_classes=["lens-note"])
    summary = gr.Markdown(elem_classes=["lens-table"], elem_id="lens-gt-summary")
    heading("gt.funnel_title", level=3)
    funnel = gr.HTML(value="", css_template=FUNNEL_CSS, js_on_load=FUNNEL_JS, elem_id="lens-gt-funnel")
    heading("gt.tide_title")
    tide = gr.Markdown(elem_classes=["lens-table"])
    heading("gt.recall_title", level=3)
    recall = gr.HTML(elem_id="lens-gt-recall")
    heading("gt.anchors_title", level=3)
    markdown("gt.anchor_legend", elem_classes=["lens-note"])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            level = bind(gr.Dropdown, texts={"label": "gt.anchor_level"}, choices=[], interactive=True)
            anchor_image = image_view("gt.anchors_title", height=440, elem_id="lens-gt-anchors")
        with gr.Column(scale=2):
            anchor_text = gr.Markdown(elem_classes=["lens-table"])
    heading("gt.losses_title", level=3)
    losses = gr.Markdown(elem_classes=["lens-table"], elem_id="lens-gt-losses")
    explanation("gt.explain")
    return GroundTruthTab(source, warnings, summary, iou, funnel, object_, object_image, object_text, tide, recall,
                          level, anchor_image, anchor_text, losses)


def wire(lens: Lens, g: GroundTruthTab) -> dict[str, Callable[..., Any]]:
    """Pick an object (list or a funnel row), the funnel's IoU threshold, the level of the anchor-label overlay."""
    def show(request: gr.Request, **changes: Any) -> dict[Any, Any]:
        session = handlers.set_options(lens, session_id(request), **changes)
        return g.values(views.ground_truth_view(session))

    @readable_errors("action.view", lens)
    def on_object(index: int | None, request: gr.Request) -> dict[Any, Any]:
        return show(request, gt_object=None if index is None else int(index))

    @readable_errors("action.view", lens)
    def on_row(event: gr.SelectData, request: gr.Request) -> dict[Any, Any]:
        row = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        return show(request, gt_object=int(row))

    @readable_errors("action.view", lens)
    def on_iou(iou: float, request: gr.Request) -> dict[Any, Any]:
        return show(request, gt_iou=min(0.95, max(0.05, float(iou))))

    @readable_errors("action.view", lens)
    def on_level(level: int | None, request: gr.Request) -> dict[Any, Any]:
        return show(request, anchor_label_level=None if level is None else int(level))

    g.object.input(on_object, [g.object], g.outputs, api_visibility="private", trigger_mode="always_last")
    g.funnel.select(on_row, None, g.outputs, api_visibility="private")
    g.iou.release(on_iou, [g.iou], g.outputs, api_visibility="private", trigger_mode="always_last")
    g.level.input(on_level, [g.level], g.outputs, api_visibility="private", trigger_mode="always_last")
    return {"gt_object": on_object, "gt_row": on_row, "gt_iou": on_iou, "gt_level": on_level}
