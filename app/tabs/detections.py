"""Detections tab: final boxes with labels and scores, a table, per-class counts, the JSON summary.

The boxes are drawn by the box viewer (app/viewer.py), which applies the detection-score, detection-NMS and
detections-per-image sliders in the browser while they are dragged, exactly as replay would."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import gradio as gr

from app import handlers, views
from app.events import original_point, readable_errors, session_id
from app.figures import story as story_figs
from app.figures.detections import table_headers
from app.handlers import Lens
from app.session_cache import Session
from app.tabs.common import explanation, frame, image_view, look_for, table
from app.texts import bind, heading, markdown
from app.viewer import viewer
from app.views import DetectionsView, StoryView


@dataclass
class DetectionsTab:
    image: gr.HTML   # the box viewer (data-view="detections"); .select follows the clicked detection
    table: gr.Dataframe
    counts: gr.HTML
    steps: gr.Markdown
    follow: gr.Dropdown
    story_image: gr.Image
    story: gr.Markdown
    suppressed: gr.Markdown
    goto: dict[str, gr.Button]   # tab id -> button that shows the followed detection there

    @property
    def outputs(self) -> list[Any]:
        return [*self.basic_outputs, *self.story_outputs]

    @property
    def basic_outputs(self) -> list[Any]:
        return [self.image, self.table, self.counts, self.steps]

    @property
    def story_outputs(self) -> list[Any]:
        return [self.follow, self.story_image, self.story, self.suppressed]

    def values(self, view: DetectionsView, story: StoryView) -> dict[Any, Any]:
        return {**self.basic_values(view), **self.story_values(story)}

    def basic_values(self, view: DetectionsView) -> dict[Any, Any]:
        """What /inspect and /rethreshold return (the table and the counts per class too)."""
        return {self.image: view.viewer,
                self.table: frame(view.rows, table_headers()), self.counts: view.counts_html,
                self.steps: view.steps}

    def page_values(self, view: DetectionsView) -> dict[Any, Any]:
        """What the page's events send: on the page the viewer draws the table and the counts per class itself,
        from what it shows (the hidden twins are for scripts)."""
        return {**self.basic_values(view), self.table: gr.skip(), self.counts: gr.skip()}

    def story_values(self, story: StoryView) -> dict[Any, Any]:
        return {self.follow: gr.update(choices=story.choices, value=story.chosen),
                self.story_image: story.image, self.story: story.story, self.suppressed: story.suppressed}


GOTO_TABS = ("anchors", "proposals", "nms", "roi")


def build() -> DetectionsTab:
    look_for("look.detections")
    explanation("detections.explain")
    # Picture first, as wide as the other tabs' main pictures; the table and the counts per class below it.
    # The viewer draws the detections' table and their counts per class beside the image (they follow the sliders
    # while dragging); the Dataframe and the HTML here are what /inspect and /rethreshold return to scripts.
    image = viewer("detections", elem_id="lens-detections-image")
    detections_table = table(table_headers, label_key="detections.table", max_height=430,
                             column_widths=["27%", "16%", "42%", "15%"])
    detections_table.visible = False
    counts = gr.HTML(visible=False)
    heading("detections.steps")
    steps = gr.Markdown(elem_classes=["lens-table"])
    heading("story.title", level=3)
    explanation("story.explain")
    with gr.Row(equal_height=True):
        follow = bind(gr.Dropdown, texts={"label": "story.detection"}, choices=[], interactive=True, scale=3,
                      elem_id="lens-follow")
        markdown("story.goto", elem_classes=["lens-goto-label"])
        goto = {tab: bind(gr.Button, texts={"value": f"tab.{tab}"}, size="sm", scale=1, elem_id=f"lens-goto-{tab}")
                for tab in GOTO_TABS}
    with gr.Row(equal_height=False):
        with gr.Column(scale=2):
            story_image = image_view(("story.title", {}), height=420, elem_id="lens-story-image")
            suppressed = gr.Markdown(elem_classes=["lens-callout"])
        with gr.Column(scale=3):
            story = gr.Markdown(elem_classes=["lens-table", "lens-story"], elem_id="lens-story")
    return DetectionsTab(image, detections_table, counts, steps, follow, story_image, story, suppressed, goto)


def wire_follow(lens: Lens, d: DetectionsTab, page: Any) -> dict[str, Callable[..., Any]]:
    """Follow one detection through every stage (the dropdown, or a click on a box in the viewer): its story here,
    the breadcrumb, and the Anchors, RoI and NMS tabs' views of it; the buttons jump to a tab that shows it.
    `page`: the page layout (app.ui.Layout: .tab(id), .breadcrumb, .tabs)."""
    anchors, roi, nms = page.tab("anchors"), page.tab("roi"), page.tab("nms")
    outputs = [*d.story_outputs, page.breadcrumb, *anchors.outputs, *roi.outputs, *nms.outputs]

    def followed(session: Session) -> dict[Any, Any]:
        return {**d.story_values(views.story_view(session)), page.breadcrumb: views.breadcrumb_html(session),
                **anchors.values(views.anchors_view(session)), **roi.values(views.roi_view(session)),
                **nms.values(views.nms_view(session))}

    @readable_errors("action.view", lens)
    def on_follow(index: int | None, request: gr.Request) -> dict[Any, Any]:
        return followed(handlers.follow_detection(lens, session_id(request), None if index is None else int(index)))

    @readable_errors("action.view", lens)
    def on_detection_click(event: gr.SelectData, request: gr.Request) -> dict[Any, Any]:
        session = handlers.current_session(lens, session_id(request))
        x, y = original_point(session, event.index)
        index = story_figs.detection_at(session.replay.detections, x, y)
        return followed(handlers.follow_detection(lens, session_id(request), index))

    d.follow.input(on_follow, [d.follow], outputs, api_visibility="private", trigger_mode="always_last")
    d.image.select(on_detection_click, None, outputs, api_visibility="private")
    for tab, button in d.goto.items():
        button.click(lambda tab=tab: gr.Tabs(selected=tab), None, [page.tabs], api_visibility="private",
                     queue=False)
    return {"follow": on_follow, "detection_click": on_detection_click}
