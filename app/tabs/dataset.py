"""Dataset tab: capture a validation set once, then tune all seven thresholds on it with COCO metrics."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from app.tabs import dataset_diagnosis
from app.tabs.common import explanation, look_for
from app.tabs.controls import SLIDER_RANGES, checked_by_handler
from app.texts import bind, heading
from app.views import DatasetView
from inspectors.core.thresholds import THRESHOLD_KEYS
from inspectors.dataset.sweep import METRICS

SWEEP_METRICS = ("ap", "ap50", "f1_50", "ar100", "AR@1000")   # the ones worth maximising from the UI


@dataclass
class DatasetTab:
    source: gr.Radio
    demo_count: gr.Number
    images: gr.Textbox
    annotations: gr.Textbox
    capture: gr.Button
    status: gr.Markdown
    sliders: dict[str, gr.Slider]
    metrics: gr.Markdown
    per_class: gr.Plot
    pr: gr.Plot
    proposals: gr.Plot
    tide: gr.Markdown
    worst: gr.Gallery
    sweep_metric: gr.Dropdown
    sweep_run: gr.Button
    sweep_apply: gr.Button
    sweep_result: gr.Markdown
    summary: gr.JSON
    cancel: gr.Button | None = None   # stops this session's background capture (app.jobs) between two images

    @property
    def slider_list(self) -> list[gr.Slider]:
        return [self.sliders[key] for key in THRESHOLD_KEYS]

    @property
    def outputs(self) -> list[Any]:
        """What an evaluation updates, in API order: the JSON summary first."""
        return [self.summary, self.status, self.metrics, self.per_class, self.pr, self.proposals, self.tide,
                self.worst]

    def values(self, view: DatasetView) -> dict[Any, Any]:
        return {self.summary: view.summary, self.status: view.status, self.metrics: view.metrics,
                self.per_class: view.per_class, self.pr: view.pr, self.proposals: view.proposals,
                self.tide: view.tide, self.worst: view.worst}

    def slider_values(self, thresholds: dict[str, float], ranges: dict[str, list[float]] | None) -> dict[Any, Any]:
        """The sliders at `thresholds`, with the capture's ranges (its largest pre-NMS top-n, …)."""
        updates = {}
        for key, slider in self.sliders.items():
            low, high = (ranges or {}).get(key, SLIDER_RANGES[key][:2])
            updates[slider] = gr.update(value=thresholds[key], minimum=low, maximum=max(high, thresholds[key]))
        return updates


def build() -> DatasetTab:
    look_for("look.dataset")
    explanation("ds.explain")
    with gr.Row(equal_height=True):
        source = bind(gr.Radio, texts={"label": "ds.source",
                                       "choices": [("ds.source.demo", "demo"), ("ds.source.folder", "folder")]},
                      value="demo", scale=2, elem_id="lens-ds-source")
        demo_count = bind(gr.Number, texts={"label": "ds.demo_count"}, value=24, minimum=1, maximum=2000,
                          precision=0, scale=1, elem_id="lens-ds-count")
        images = bind(gr.Textbox, texts={"label": "ds.images"}, scale=2, max_lines=1, elem_id="lens-ds-images")
        annotations = bind(gr.Textbox, texts={"label": "ds.annotations"}, scale=2, max_lines=1,
                           elem_id="lens-ds-annotations")
        capture = bind(gr.Button, texts={"value": "ds.capture"}, variant="primary", scale=1, elem_id="lens-ds-capture")
        cancel = bind(gr.Button, texts={"value": "ds.cancel"}, variant="stop", scale=0, size="sm",
                      elem_id="lens-ds-cancel")
    status = bind(gr.Markdown, texts={"value": "ds.none"}, elem_classes=["lens-callout"], elem_id="lens-ds-status")
    heading("ds.thresholds")
    sliders: dict[str, gr.Slider] = {}
    with gr.Row():
        for key in THRESHOLD_KEYS:
            low, high, step, value = SLIDER_RANGES[key]
            sliders[key] = checked_by_handler(bind(gr.Slider, low, high, texts={"label": f"th.{key}"}, value=value,
                                                   step=step, min_width=240,
                                                   elem_id=f"lens-ds-{key.replace('_', '-')}"))
    with gr.Row(equal_height=False):
        with gr.Column(scale=2):
            metrics = gr.Markdown(elem_classes=["lens-table"], elem_id="lens-ds-metrics")
        with gr.Column(scale=3):
            per_class = gr.Plot(show_label=False)
    with gr.Row(equal_height=False):
        pr = gr.Plot(show_label=False)
        proposals = gr.Plot(show_label=False)
    heading("ds.tide_title")
    tide = gr.Markdown(elem_classes=["lens-table"])
    heading("ds.worst")
    worst = gr.Gallery(columns=4, height=380, object_fit="contain", allow_preview=False, format="jpeg",
                       show_label=False, elem_id="lens-ds-worst")
    heading("ds.sweep_title")
    with gr.Row(equal_height=True):
        sweep_metric = bind(gr.Dropdown, texts={"label": "ds.sweep_metric",
                                                "choices": [(f"ds.metric.{m}", m) for m in SWEEP_METRICS]},
                            value="f1_50", scale=2)
        sweep_run = bind(gr.Button, texts={"value": "ds.sweep_run"}, scale=1, elem_id="lens-ds-sweep")
        sweep_apply = bind(gr.Button, texts={"value": "ds.sweep_apply"}, scale=1, elem_id="lens-ds-apply")
    sweep_result = gr.Markdown(elem_id="lens-ds-sweep-result")
    dataset_diagnosis.build(sliders)  # the diagnosis views, wired to these sliders
    with bind(gr.Accordion, texts={"label": "ds.summary"}, open=False):
        summary = gr.JSON(label="dataset_summary", show_label=False)
    assert set(SWEEP_METRICS) <= set(METRICS)
    return DatasetTab(source, demo_count, images, annotations, capture, status, sliders, metrics, per_class, pr,
                      proposals, tide, worst, sweep_metric, sweep_run, sweep_apply, sweep_result, summary,
                      cancel=cancel)
