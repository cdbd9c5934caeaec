"""Dataset tab: capture a validation set once, then tune all seven thresholds on it with COCO metrics.

Its events (wire): capture (named endpoint /capture_dataset), evaluate at the tab's seven sliders (named endpoint
/evaluate_dataset, every view), cancel, sweep and apply. A slider move on the page updates in two steps: first
what sits beside the sliders (the metrics, per-class AP; the proposal recall only when an RPN slider moved), then
what lies below them (the PR curves, TIDE, the worst images, the diagnosis views), so that the first numbers are
not kept waiting by the rest (each Plotly figure costs the page ~50–100 ms to draw again). Opening a worst image
spans tabs and is wired in app.ui."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import gradio as gr

import inspectors
from app import handlers, views
from app.events import keyed_by_thresholds, readable_errors, session_id
from app.figures import dataset as dataset_figs
from app.handlers import Lens, UserError
from app.strings import current_language, engine_error_text, t
from app.tabs import dataset_diagnosis
from app.tabs.common import explanation, look_for
from app.tabs.controls import SLIDER_RANGES, checked_by_handler
from app.texts import bind, heading
from app.views import DatasetView
from inspectors.core.thresholds import RPN_KEYS, THRESHOLD_KEYS
from inspectors.dataset.sweep import METRICS, sweep

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
    diagnosis: dataset_diagnosis.DiagnosisTab | None = None
    api_trigger: gr.Button | None = None   # the named endpoint /evaluate_dataset (every view, for scripts)
    summary_panel: gr.Accordion | None = None   # the JSON summary's (filled on a slider move only while open)

    @property
    def slider_list(self) -> list[gr.Slider]:
        return [self.sliders[key] for key in THRESHOLD_KEYS]

    @property
    def outputs(self) -> list[Any]:
        """What an evaluation updates, in API order: the JSON summary first."""
        return [self.summary, self.status, self.metrics, self.per_class, self.pr, self.proposals, self.tide,
                self.worst]

    @property
    def first_outputs(self) -> list[Any]:
        """What a slider move updates first: the numbers beside the sliders (the proposal recall: an RPN move)."""
        return [self.summary, self.status, self.metrics, self.per_class, self.proposals]

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
    diagnosis = dataset_diagnosis.build(sliders)  # the diagnosis views (a slider move updates them: wire below)
    with bind(gr.Accordion, texts={"label": "ds.summary"}, open=False) as summary_panel:
        summary = gr.JSON(label="dataset_summary", show_label=False)
    api_trigger = gr.Button(visible=False)
    assert set(SWEEP_METRICS) <= set(METRICS)
    return DatasetTab(source, demo_count, images, annotations, capture, status, sliders, metrics, per_class, pr,
                      proposals, tide, worst, sweep_metric, sweep_run, sweep_apply, sweep_result, summary,
                      cancel=cancel, diagnosis=diagnosis, api_trigger=api_trigger, summary_panel=summary_panel)


# ---- events -------------------------------------------------------------------------------------------------------
def wire(lens: Lens, d: DatasetTab, page: Any) -> dict[str, Callable[..., Any]]:
    """Capture a dataset with the page's model (`page.controls.model`, registry wire_page), evaluate it at the
    tab's seven sliders, sweep for the best settings."""

    def status_of(dataset_: Any) -> str:
        return t("ds.captured", name=Path(str(dataset_.path)).name, images=len(dataset_),
                 model=dataset_.model_name, folder=str(dataset_.path))

    def show(request: gr.Request, dataset_: Any, metrics: Any, thresholds: dict[str, Any]) -> dict[Any, Any]:
        view = views.dataset_view(dataset_, metrics, thresholds, status_of(dataset_))
        lens.datasets.remember(session_id(request), worst=view.worst_names,
                               shown=(str(dataset_.path), _rpn_key(thresholds)))
        return d.values(view)

    @readable_errors("action.dataset", lens)
    def on_capture(source: str, demo_count: float, images: str | None, annotations: str | None, model_name: str,
                   request: gr.Request, progress: gr.Progress = gr.Progress(track_tqdm=True)) -> dict[Any, Any]:
        dataset_ = handlers.capture_dataset(lens, session_id(request), source, demo_count, images, annotations,
                                            model_name, progress=lambda fraction, text: progress(fraction, desc=text))
        thresholds = dataset_.defaults
        _, metrics, used = handlers.evaluate_dataset(lens, session_id(request), thresholds)
        values = show(request, dataset_, metrics, used)
        values.update(d.slider_values(used, dataset_.ranges))
        return values

    # Not in the "model" group: this event only waits for a background job (app.jobs) that gives the model to
    # interactive events between its images, so an /inspect never queues behind a whole capture. No Gradio limit
    # here: the jobs themselves are limited (one per session, --capture-jobs per server, refused with a message).
    d.capture.click(on_capture, [d.source, d.demo_count, d.images, d.annotations, page.controls.model],
                    [*d.outputs, *d.slider_list], api_name="capture_dataset", concurrency_id="capture",
                    concurrency_limit=None)

    def on_cancel_capture(request: gr.Request) -> dict[Any, Any]:
        return {d.status: handlers.cancel_capture(lens, session_id(request))}

    if d.cancel is not None:   # queue=False: a cancel must not wait behind anything
        d.cancel.click(on_cancel_capture, None, [d.status], api_visibility="private", queue=False)

    @readable_errors("action.dataset", lens)
    def on_evaluate(values: Mapping[str, float], request: gr.Request) -> dict[Any, Any]:
        dataset_, metrics, used = handlers.evaluate_dataset(lens, session_id(request), values)
        return show(request, dataset_, metrics, used)

    evaluate = keyed_by_thresholds(THRESHOLD_KEYS, on_evaluate)
    if d.api_trigger is not None:   # scripts: every view, as the endpoint always returned them
        d.api_trigger.click(evaluate, d.slider_list, d.outputs, api_name="evaluate_dataset")

    def summary_of(dataset_: Any, metrics: Any, thresholds: dict[str, Any]) -> dict[str, Any]:
        return {"images": len(dataset_), "model": dataset_.model_name, "settings": dict(thresholds),
                "metrics": metrics.to_dict()}

    @readable_errors("action.dataset", lens)
    def on_move(values: Mapping[str, float], request: gr.Request) -> dict[Any, Any]:
        """A slider released, first step: the numbers beside the sliders. The JSON summary (every image's AP,
        counts and TIDE errors: ~120 kB at 500 images, and its per-image parts cost more than the evaluation) only
        while its panel is open; the proposal recall only when an RPN setting changed."""
        sid = session_id(request)
        dataset_, metrics, used = handlers.evaluate_dataset(lens, sid, values)
        shown = (str(dataset_.path), _rpn_key(used))
        before = lens.datasets.recall(sid, "shown")
        lens.datasets.remember(sid, shown=shown)
        return {d.summary: summary_of(dataset_, metrics, used) if lens.datasets.recall(sid, "summary_open")
                else gr.skip(),
                d.status: gr.skip() if before is not None and before[0] == shown[0] else status_of(dataset_),
                d.metrics: dataset_figs.metrics_markdown(metrics, len(dataset_)),
                d.per_class: dataset_figs.per_class_figure(metrics),
                d.proposals: gr.skip() if before == shown else dataset_figs.proposal_figure(metrics)}

    @readable_errors("action.dataset", lens)
    def on_summary_open(values: Mapping[str, float], request: gr.Request) -> dict[Any, Any]:
        lens.datasets.remember(session_id(request), summary_open=True)
        if lens.datasets.get(session_id(request)) is None:   # nothing captured yet
            return {d.summary: gr.skip()}
        dataset_, metrics, used = handlers.evaluate_dataset(lens, session_id(request), values)
        return {d.summary: summary_of(dataset_, metrics, used)}

    def on_summary_close(request: gr.Request) -> None:
        lens.datasets.remember(session_id(request), summary_open=False)

    summary_open = keyed_by_thresholds(THRESHOLD_KEYS, on_summary_open)
    if d.summary_panel is not None:
        d.summary_panel.expand(summary_open, d.slider_list, [d.summary], api_visibility="private",
                               trigger_mode="always_last")
        d.summary_panel.collapse(on_summary_close, None, None, api_visibility="private", queue=False)

    below = [d.pr, d.tide, d.worst, *(d.diagnosis.outputs if d.diagnosis is not None else [])]

    @readable_errors("action.dataset", lens)
    def on_move_below(values: Mapping[str, float], request: gr.Request) -> dict[Any, Any]:
        """Second step: the PR curves, TIDE, the worst images and the diagnosis views (evaluate() is memoised:
        no second run)."""
        iou = values.get("iou", 0.5)
        dataset_, metrics, used = handlers.evaluate_dataset(lens, session_id(request),
                                                            {k: values[k] for k in THRESHOLD_KEYS})
        gallery, names = dataset_figs.worst_gallery(dataset_, metrics, used)
        lens.datasets.remember(session_id(request), worst=names)
        out = {d.pr: dataset_figs.pr_figure(metrics), d.tide: dataset_figs.tide_markdown(metrics), d.worst: gallery}
        if d.diagnosis is not None:
            anchors_for = (str(dataset_.path), current_language())   # the anchor fit: once per capture and language
            fresh = lens.datasets.recall(session_id(request), "anchors_shown") != anchors_for
            try:
                out.update(dataset_diagnosis.moved_values(d.diagnosis, dataset_, used, float(iou), anchors=fresh))
            except inspectors.InputError as error:
                raise UserError(engine_error_text(error)) from None
            lens.datasets.remember(session_id(request), anchors_shown=anchors_for)
        return out

    iou_inputs = [d.diagnosis.iou] if d.diagnosis is not None else []
    # Quiet (no loading status on ~20 outputs, app.gradio_adapter.quiet_progress): the slider itself shows the move.
    move = keyed_by_thresholds(THRESHOLD_KEYS, on_move)
    move_below = keyed_by_thresholds((*(["iou"] if iou_inputs else []), *THRESHOLD_KEYS), on_move_below)
    gr.on([slider.release for slider in d.slider_list], move, d.slider_list, d.first_outputs,
          api_visibility="private", trigger_mode="always_last", show_progress="hidden", show_progress_on=[]).then(
        move_below, [*iou_inputs, *d.slider_list], below, api_visibility="private", show_progress="hidden",
        show_progress_on=[])

    @readable_errors("action.dataset", lens)
    def on_sweep(metric: str, *args: Any) -> dict[Any, Any]:
        *numbers, request = args
        dataset_ = handlers.dataset_of(lens, session_id(request))
        fixed = handlers.normalize_thresholds(dict(zip(THRESHOLD_KEYS, numbers)))
        try:
            result = sweep(dataset_, metric, fixed=fixed)
        except inspectors.InputError as error:
            raise UserError(engine_error_text(error)) from None
        lens.datasets.remember(session_id(request), sweep=result)
        return {d.sweep_result: dataset_figs.sweep_markdown(result, dataset_.model_name)}

    d.sweep_run.click(on_sweep, [d.sweep_metric, *d.slider_list], [d.sweep_result], api_visibility="private")

    @readable_errors("action.dataset", lens)
    def on_apply(request: gr.Request) -> dict[Any, Any]:
        result = lens.datasets.recall(session_id(request), "sweep")
        if result is None:
            raise UserError(t("ds.sweep_none"))
        dataset_, metrics, used = handlers.evaluate_dataset(lens, session_id(request), result.best)
        values = show(request, dataset_, metrics, used)
        values.update(d.slider_values(used, dataset_.ranges))
        return values

    d.sweep_apply.click(on_apply, None, [*d.outputs, *d.slider_list], api_visibility="private")
    return {"capture_dataset": on_capture, "cancel_capture": on_cancel_capture, "evaluate_dataset": evaluate,
            "dataset_move": move, "dataset_move_below": move_below, "dataset_summary_open": summary_open,
            "dataset_summary_close": on_summary_close,
            "sweep": on_sweep, "apply_sweep": on_apply}


def _rpn_key(thresholds: Mapping[str, float]) -> tuple[float, ...]:
    return tuple(float(thresholds[key]) for key in RPN_KEYS)
