"""Builds the Blocks and wires every event in one place. Handlers and views do the work; this maps them onto
components, turns UserError into gr.Error, and keeps the server alive on unexpected errors."""
from __future__ import annotations

import functools
import html
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import gradio as gr

from app import handlers, views
from app.config import INSPECT_CONCURRENCY, AppConfig, byte_size, is_local_only, sample_image_paths, upload_cap
from app.dataset_store import DatasetStore
from app.events import keyed_by_thresholds, readable_errors, session_id
from app.gradio_adapter import cheap_skips, quiet_progress
from app.handlers import THRESHOLD_KEYS, Lens, UserError
from app.model_store import ModelSpec, ModelStore
from app.session_cache import Session, SessionCache
from app.strings import LANGUAGE_NAMES, default_language, t, use_language
from app.tabs import (
    anchors,
    controls,
    dataset,
    detections,
    features,
    ground_truth,
    nms,
    objectness,
    overview,
    proposals,
    registry,
    roi,
)
from app.texts import TextRegistry, bind, collecting
from app.viewer import FINAL_STAGE_KEYS, wire_sliders
from inspectors.core.thresholds import RPN_KEYS

log = logging.getLogger("rcnn_lens")


@dataclass
class Layout:
    controls: controls.Controls
    status: gr.Markdown
    detections_count: gr.Markdown
    summary: gr.JSON
    overview: overview.OverviewTab
    features: features.FeaturesTab
    anchors: anchors.AnchorsTab
    objectness: objectness.ObjectnessTab
    proposals: proposals.ProposalsTab
    roi: roi.RoiTab
    detections: detections.DetectionsTab
    language: gr.Radio
    nms: nms.NmsTab
    tabs: gr.Tabs
    breadcrumb: gr.HTML
    tab_items: dict[str, gr.Tab]
    ground_truth: ground_truth.GroundTruthTab
    strips: dict[str, dict[str, gr.Slider]]   # tab id -> the sliders folded into it (projector layout)
    projector: gr.Radio
    dataset: dataset.DatasetTab

    built: dict[str, Any] = field(default_factory=dict)   # registry id -> the built tab (every tab, new ones too)
    summary_panel: gr.Accordion | None = None   # the JSON summary's panel: the summary is computed while it is open

    def tab(self, tab_id: str) -> Any:
        """The built tab of a registry id."""
        return self.built[tab_id]

    @property
    def strip_sliders(self) -> list[gr.Slider]:
        return [slider for strip in self.strips.values() for slider in strip.values()]

    def all_slider_values(self, thresholds: dict[str, float]) -> dict[Any, Any]:
        """Every threshold slider (the panel's and the tabs' strips) at these thresholds."""
        values = self.controls.slider_values(thresholds)
        for strip in self.strips.values():
            values.update(controls.strip_values(strip, thresholds))
        return values


def create_lens(config: AppConfig) -> Lens:
    store = ModelStore(device=config.device)
    if config.checkpoint:
        store.register(startup_model_name(config),
                       ModelSpec(config.model, config.checkpoint, config.labels, config.trained_from))
    # Dataset folders on the server: only while the app is served to this machine alone.
    datasets = DatasetStore(allow_server_paths=is_local_only(config.host) and not config.share,
                            capture_jobs=config.capture_jobs, quota_bytes=config.capture_quota)
    return Lens(store=store, cache=SessionCache(config.max_sessions, config.max_cache_bytes), datasets=datasets)


def startup_model_name(config: AppConfig) -> str:
    """The model choice selected at start: --model, or the custom checkpoint built from it."""
    if config.checkpoint:
        return f"custom: {Path(config.checkpoint).stem}"
    return config.model


def build_app(config: AppConfig, lens: Lens | None = None) -> gr.Blocks:
    lens = lens or create_lens(config)
    # delete_cache: drawn images pile up in Gradio's temp folder during a long class; drop those older than 2 h.
    with gr.Blocks(title=t("app.title"), analytics_enabled=False, delete_cache=(3600, 7200)) as demo, \
            collecting() as texts:
        layout = _build_layout(lens, config)
        event_functions = _wire(demo, lens, layout, config)
        event_functions.update(_wire_page_settings(demo, lens, layout, texts))
        quiet_progress(demo, _spinners(layout))
    cheap_skips(demo)   # an RPN slider's event lists ~70 outputs and changes the open tab's few
    demo.lens = lens                          # for tests and benchmarks
    demo.layout = layout                      # the components, by tab (tests)
    demo.event_functions = event_functions    # the wrapped handlers, callable without a browser
    demo.texts = texts                        # every translatable component (the language switch's outputs)
    return demo


def _spinners(layout: Layout) -> dict[str, list[Any]]:
    """The long runs that show progress, and where: everything else updates without loading-status traffic."""
    inspecting = [layout.status]
    return {"on_inspect": inspecting, "on_inspect_auto": inspecting, "on_annotations": inspecting,
            "on_open_worst": inspecting, "on_custom_load": [layout.controls.custom_status],
            "on_capture": [layout.dataset.status], "on_sweep": [layout.dataset.sweep_result]}


def _build_layout(lens: Lens, config: AppConfig) -> Layout:
    # The panel (image, model, the seven sliders, custom checkpoint) in a collapsible sidebar: the tabs get the width.
    with gr.Sidebar(open=True, width=330, elem_id="lens-sidebar"):
        bind(gr.Markdown, texts={"value": "app.subtitle"}, elem_id="lens-subtitle")
        # What is inspected (model, size, timings): beside the image it describes.
        status = bind(gr.Markdown, texts={"value": "status.empty"}, label=t("api.status"), elem_id="lens-status")
        panel = controls.build(lens.store.choices(), startup_model_name(config), sample_image_paths())
    with gr.Column(elem_id="lens-right"):
        # One line: title, how many detections, the two page switches.
        with gr.Row(elem_id="lens-header", equal_height=True):
            bind(gr.Markdown, texts={"value": lambda: f"# {t('app.title')}"}, elem_id="lens-title")
            detections_count = gr.Markdown("", label=t("api.detections_count"), elem_id="lens-detections-count")
            with gr.Row(elem_id="lens-switches"):
                language = gr.Radio([(name, code) for code, name in LANGUAGE_NAMES.items()],
                                    value=default_language(), show_label=False, elem_id="lens-language",
                                    container=False, min_width=160)
                projector = bind(gr.Radio, texts={"choices": [("layout.desktop", "desktop"),
                                                              ("layout.projector", "projector")]},
                                 value="desktop", show_label=False, elem_id="lens-layout", container=False,
                                 min_width=200)
        breadcrumb = gr.HTML(elem_id="lens-breadcrumb")
        tab_items: dict[str, gr.Tab] = {}
        strips: dict[str, dict[str, gr.Slider]] = {}
        built: dict[str, Any] = {}
        with gr.Tabs(elem_id="lens-tabs", overflow_behavior="wrap") as tabs:
            for spec in registry.TABS:   # the page's tabs, from the one table
                with bind(gr.Tab, texts={"label": spec.label_key}, id=spec.id) as tab_items[spec.id]:
                    if spec.reads:
                        strips[spec.id] = controls.threshold_strip(spec.reads)
                    built[spec.id] = spec.build()
                    if spec.id == "detections":   # the API's JSON summary, folded under the detections
                        with bind(gr.Accordion, texts={"label": "detections.summary"}, open=False) as summary_panel:
                            summary = gr.JSON(label=t("api.summary"), show_label=False, elem_id="lens-summary")
    return Layout(controls=panel, status=status, detections_count=detections_count, summary=summary,
                  overview=built["overview"], features=built["features"], anchors=built["anchors"],
                  objectness=built["objectness"], proposals=built["proposals"], roi=built["roi"],
                  detections=built["detections"], language=language, nms=built["nms"], tabs=tabs,
                  breadcrumb=breadcrumb, tab_items=tab_items,
                  ground_truth=built["gt"], strips=strips, projector=projector, dataset=built["dataset"],
                  built=built, summary_panel=summary_panel)


# --- what each event updates -------------------------------------------------------------------------------------

def _threshold_values(layout: Layout, session: Session, before: Mapping[str, float] | None = None, *,
                      for_api: bool = False, shown: Mapping[str, Any] | None = None) -> dict[Any, Any]:
    """Everything that depends on the thresholds and is on screen: the header (status, count, breadcrumb) and the
    open tab's views; the hidden tabs' views are skipped and computed when their tab opens (_wire_tab_selection),
    and so are the hidden tabs' strip sliders. `before`: the thresholds before this event; a strip slider whose
    value did not change is left alone (each update costs the page a re-render). `for_api`: what the named
    endpoints return (/rethreshold's outputs as scripts know them): the summary, the overview and the detections
    always, the other tabs' heavier views only for the open tab. `shown`: the open tab's part keys before the move
    (registry.tab_keys): a part whose key is the same after it is left as it is on the page."""
    status = views.status_view(session)
    values = {layout.status: status.markdown, layout.detections_count: status.detections_count,
              layout.breadcrumb: views.breadcrumb_html(session)}
    current = session.options.current_tab
    if for_api:
        detections_view = views.detections_view(session)
        values.update({layout.summary: detections_view.summary, **layout.overview.values(views.overview_view(session)),
                       **layout.detections.basic_values(detections_view)})
        values.update(_strip_values(layout, session.thresholds, before))
        tab_views = _tab_views(layout)
    else:
        values.update(_strip_values(layout, session.thresholds, before, only=current))
        tab_views = _page_views(layout)
    rpn_unchanged = before is not None and all(before.get(key) == session.thresholds[key] for key in RPN_KEYS)
    for tab_id, (outputs, compute) in tab_views.items():
        if tab_id == current and not (rpn_unchanged and tab_id in RPN_ONLY_VIEWS and not for_api):
            values.update(compute(session))
            if shown and not for_api:
                values.update(_unchanged_parts(layout.tab(tab_id), shown, registry.tab_keys(session)))
        else:
            values.update({component: gr.skip() for component in outputs if component not in values})
    if before is not None and not for_api:   # a slider move: what no threshold changes stays as it is
        values.update({component: gr.skip() for component in layout.ground_truth.fixed_outputs})
    return values


def _unchanged_parts(tab: Any, before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[Any, Any]:
    """gr.skip() for the outputs of a tab's parts (tab.parts) whose key is the same before and after a move."""
    parts = getattr(tab, "parts", {})
    return {component: gr.skip() for name, key in after.items()
            if name in parts and name in before and before[name] == key for component in parts[name]}


def _strip_values(layout: Layout, thresholds: Mapping[str, float], before: Mapping[str, float] | None,
                  only: str | None = None) -> dict[Any, Any]:
    """The projector strips' sliders at `thresholds`; those whose value is as `before` are skipped, and with `only`
    (a tab id) every other tab's strip too (a tab's strip is set when the tab opens)."""
    values: dict[Any, Any] = {}
    for tab_id, strip in layout.strips.items():
        for key, slider in strip.items():
            unchanged = before is not None and before.get(key) == thresholds[key]
            hidden = only is not None and tab_id != only
            values[slider] = gr.skip() if unchanged or hidden else controls.strip_values({key: slider}, thresholds)[
                slider]
    return values


def _tab_views(layout: Layout) -> dict[str, tuple[list[Any], Callable[[Session], dict[Any, Any]]]]:
    """Tab id -> (its threshold-dependent outputs, how to compute them for a session), in page order (the order of
    /rethreshold's outputs): the registry's tabs that declare `refresh`, and the others listed here."""
    listed = {
        "proposals": (layout.proposals.outputs, lambda s: layout.proposals.values(views.proposals_view(s))),
        "nms": (layout.nms.outputs, lambda s: layout.nms.values(views.nms_view(s))),
        "roi": (layout.roi.outputs, lambda s: layout.roi.values(views.roi_view(s))),
        "detections": (layout.detections.story_outputs,
                       lambda s: layout.detections.story_values(views.story_view(s))),
        "gt": (layout.ground_truth.outputs, lambda s: layout.ground_truth.values(views.ground_truth_view(s))),
    }
    for spec in registry.TABS:
        if spec.refresh is not None:
            listed[spec.id] = (layout.tab(spec.id).outputs, functools.partial(spec.refresh, layout.tab(spec.id)))
    # /rethreshold's outputs keep the order gradio_client scripts know; a new tab's come after them.
    order = [*REFRESH_API_ORDER, *(spec.id for spec in registry.TABS if spec.id not in REFRESH_API_ORDER)]
    return {tab_id: listed[tab_id] for tab_id in order if tab_id in listed}


REFRESH_API_ORDER = ("proposals", "nms", "roi", "detections", "ablations", "gt")
# Tabs whose threshold-dependent view reads only the RPN's result (and the tab's own options, which its own controls
# redraw): a final-stage slider leaves them as they are.
RPN_ONLY_VIEWS = frozenset({"roi"})


def _page_views(layout: Layout) -> dict[str, tuple[list[Any], Callable[[Session], dict[Any, Any]]]]:
    """Tab id -> (its threshold-dependent outputs on the page, how to compute them): _tab_views, plus the Overview's
    pipeline and the Detections tab's viewer, table, counts and (while its panel is open) JSON summary. The page's
    events compute only the open tab's; a tab computes its own when it opens."""
    d = layout.detections

    def detections(session: Session) -> dict[Any, Any]:
        view = views.detections_view(session)
        values = {**d.page_values(view), **d.story_values(views.story_view(session))}
        values[layout.summary] = view.summary if session.options.summary_open else gr.skip()
        return values

    page = {"overview": (layout.overview.outputs, lambda s: layout.overview.values(views.overview_view(s))),
            **_tab_views(layout)}
    page["detections"] = ([*d.basic_outputs, *d.story_outputs, layout.summary], detections)
    return page


def _proposal_components(layout: Layout) -> list[Any]:
    return [component for outputs, _ in _tab_views(layout).values() for component in outputs]


def _threshold_outputs(layout: Layout) -> list[Any]:
    """What /rethreshold returns, in API order: the JSON summary first."""
    return list(dict.fromkeys([layout.summary, layout.status, layout.detections_count, *layout.overview.outputs,
                               *layout.detections.basic_outputs, layout.breadcrumb, *_proposal_components(layout),
                               *layout.strip_sliders]))


def _inspect_outputs(layout: Layout) -> list[Any]:
    """What /inspect returns, in API order: everything /rethreshold returns, the other tabs, the sliders."""
    return [*_threshold_outputs(layout), *layout.features.outputs, *layout.anchors.outputs,
            *layout.objectness.outputs, *layout.controls.slider_list]


def _image_views(layout: Layout) -> dict[str, tuple[list[Any], Callable[[Session], dict[Any, Any]]]]:
    """Tab id -> (its outputs, how to compute them) for the tabs of the image's own heavier views (feature maps,
    objectness heatmaps): computed when the tab is the one showing, else when it opens (_wire_tab_selection)."""
    return {
        "features": (layout.features.outputs, lambda s: layout.features.values(views.features_view(s))),
        "objectness": (layout.objectness.outputs, lambda s: layout.objectness.values(views.objectness_view(s))),
    }


def _all_values(layout: Layout, session: Session) -> dict[Any, Any]:
    """What an inspect shows, built outside the model's lock and only for what the page shows: /inspect's outputs
    stay the same, the hidden tabs' heavier views are skipped (16 uploads at once share two cores)."""
    values = _threshold_values(layout, session)
    values.update(layout.anchors.values(views.anchors_view(session)))
    for tab_id, (outputs, compute) in _image_views(layout).items():
        if tab_id == session.options.current_tab:
            values.update(compute(session))
        else:
            values.update({component: gr.skip() for component in outputs})
    values.update(layout.all_slider_values(session.thresholds))
    return values


def check_upload_size(path: str | None, cap: str, flag: str, what_key: str) -> None:
    """Refuse a file above its cap with a message that names the flag raising it (Gradio's own limit is the larger
    of the two caps, so that a checkpoint is not held to the image cap)."""
    if not path or not Path(path).is_file():
        return
    size, limit = Path(path).stat().st_size, byte_size(cap)
    if size > limit:
        raise UserError(t("error.file_too_large", name=Path(path).name, size=_megabytes(size), cap=_megabytes(limit),
                          what=t(what_key), flag=flag))


def _megabytes(size: int) -> str:
    return f"{size / 1024**2:,.0f} MB" if size < 1024**3 else f"{size / 1024**3:,.1f} GB"


def _inspected(lens: Lens, config: AppConfig, image: str | None, model_name: str, annotations: str | None,
               request: gr.Request, progress: gr.Progress) -> Session:
    """The session after an Inspect: the upload's size checked, the model run once (progress shown)."""
    check_upload_size(image, config.max_file_size, "--max-file-size", "upload.image")
    return handlers.inspect_image(lens, session_id(request), image, model_name,
                                  progress=lambda fraction, text: progress(fraction, desc=text),
                                  annotations=annotations)


def _wire(demo: gr.Blocks, lens: Lens, layout: Layout, config: AppConfig) -> dict[str, Callable[..., Any]]:
    c = layout.controls
    threshold_outputs = _threshold_outputs(layout)
    all_outputs = _inspect_outputs(layout)

    @readable_errors("action.inspect", lens)
    def on_inspect(image: str | None, model_name: str, annotations: str | None = None,
                   request: gr.Request = None,  # type: ignore[assignment]  # Gradio passes it
                   progress: gr.Progress = gr.Progress(track_tqdm=True)) -> dict[Any, Any]:
        return _all_values(layout, _inspected(lens, config, image, model_name, annotations, request, progress))

    def on_inspect_auto(image: str | None, model_name: str, annotations: str | None = None,
                        request: gr.Request = None,  # type: ignore[assignment]
                        progress: gr.Progress = gr.Progress(track_tqdm=True)) -> dict[Any, Any]:
        """Upload, example click, model or annotation change. A failure here is a toast, not an error badge on
        every view: the previous result stays on screen and stays valid."""
        unchanged = {component: gr.skip() for component in all_outputs}
        if not image:   # cleared image: leave the views as they are
            return unchanged
        shown = lens.cache.get(session_id(request))
        if shown is not None and shown.model_key == model_name and Path(image).is_file() and \
                shown.image_key == handlers.file_digest(image):
            return unchanged   # already on screen (the first screen's sample, set by the page's load event)
        try:
            return on_inspect(image, model_name, annotations, request, progress)
        except gr.Error as error:
            gr.Warning(error.message, duration=None, title=t("error.title"))
            return unchanged

    inputs = [c.image, c.model, c.annotations]
    # The inspect family has a concurrency group of its own, INSPECT_CONCURRENCY wide, not the "model" group of one:
    # the engine holds the model's lock only for the forward pass (inspectors.pipeline.capture), so several uploads
    # overlap one's forward with another's replay and views, and a background dataset capture (app.jobs) never
    # holds a slot here. The limit bounds the traces in flight (memory) and the CPU contention on a small server.
    # Each inspect is followed by the count and status in the session's language at that moment: a language switch
    # during an inspect is answered first, and the inspect's reply, worded when it started, would otherwise stay.
    recount, recount_outputs = _recount(lens, layout), [layout.status, layout.detections_count]
    c.inspect.click(on_inspect, inputs, all_outputs, api_visibility="private", concurrency_id="inspect",
                    concurrency_limit=INSPECT_CONCURRENCY).then(recount, None, recount_outputs,
                                                                api_visibility="private", queue=False)
    c.image.change(on_inspect_auto, inputs, all_outputs, api_visibility="private", concurrency_id="inspect",
                   concurrency_limit=INSPECT_CONCURRENCY, trigger_mode="always_last").then(
        recount, None, recount_outputs, api_visibility="private", queue=False)
    def on_annotations(image: str | None, model_name: str, annotations: str | None = None,
                       request: gr.Request = None,  # type: ignore[assignment]
                       progress: gr.Progress = gr.Progress(track_tqdm=True)) -> dict[Any, Any]:
        """A new (or removed) annotation file: the image's ground truth is that file (or none, or the sample's)."""
        if not image:
            return {component: gr.skip() for component in all_outputs}
        try:
            session = handlers.inspect_image(lens, session_id(request), image, model_name, annotations=annotations,
                                             keep_gt=False)
        except UserError as error:
            gr.Warning(html.escape(str(error), quote=False), duration=None, title=t("error.title"))
            return {component: gr.skip() for component in all_outputs}
        return _all_values(layout, session)

    c.annotations.change(readable_errors("action.inspect", lens)(on_annotations), inputs, all_outputs,
                         api_visibility="private", concurrency_id="inspect",
                         concurrency_limit=INSPECT_CONCURRENCY, trigger_mode="always_last").then(
        recount, None, recount_outputs, api_visibility="private", queue=False)
    c.model.change(on_inspect_auto, inputs, all_outputs, api_visibility="private", concurrency_id="inspect",
                   concurrency_limit=INSPECT_CONCURRENCY, trigger_mode="always_last").then(
        recount, None, recount_outputs, api_visibility="private", queue=False)

    @readable_errors("action.rethreshold", lens)
    def on_rethreshold(values: Mapping[str, float], request: gr.Request) -> dict[Any, Any]:
        """The seven sliders, keyed by the threshold table's names (API: one number per threshold, in order)."""
        session = handlers.current_session(lens, session_id(request))
        before, shown = dict(session.thresholds), registry.tab_keys(session)
        session, _ = handlers.rethreshold(lens, session_id(request), values)
        return _threshold_values(layout, session, before, shown=shown)

    on_rethreshold = keyed_by_thresholds(THRESHOLD_KEYS, on_rethreshold)

    gr.on([slider.release for slider in c.slider_list], on_rethreshold, c.slider_list, threshold_outputs,
          api_visibility="private", trigger_mode="always_last", show_progress="minimal")

    def strip_event(keys: tuple[str, ...]) -> Callable[..., dict[Any, Any]]:
        """A projector strip's sliders (some of the seven, keyed by name); the panel's sliders follow."""
        @readable_errors("action.rethreshold", lens)
        def on_strip(moved: Mapping[str, float], request: gr.Request) -> dict[Any, Any]:
            session = handlers.current_session(lens, session_id(request))
            before, shown = dict(session.thresholds), registry.tab_keys(session)
            session, _ = handlers.rethreshold(lens, session_id(request), {**session.thresholds, **moved})
            result = _threshold_values(layout, session, before, shown=shown)
            result.update(c.slider_values(session.thresholds))
            return result
        return keyed_by_thresholds(keys, on_strip)

    strip_events: dict[str, Callable[..., Any]] = {}
    for tab_id, strip in layout.strips.items():
        sliders = list(strip.values())
        strip_events[f"strip_{tab_id}"] = strip_event(tuple(strip))
        gr.on([slider.release for slider in sliders], strip_events[f"strip_{tab_id}"], sliders,
              threshold_outputs + c.slider_list, api_visibility="private", trigger_mode="always_last",
              show_progress="minimal")
    # While a final-stage slider is dragged, the box viewers apply it in the browser (no server round trip).
    wire_sliders({key: [c.sliders[key], *(strip[key] for strip in layout.strips.values() if key in strip)]
                  for key in FINAL_STAGE_KEYS})

    @readable_errors("action.rethreshold", lens)
    def on_reset(request: gr.Request) -> dict[Any, Any]:
        session = handlers.reset_thresholds(lens, session_id(request))
        values = _threshold_values(layout, session)
        values.update(c.slider_values(session.thresholds))
        return values

    c.reset.click(on_reset, None, threshold_outputs + c.slider_list, api_visibility="private")
    _wire_named_api(lens, layout, config)

    @readable_errors("action.inspect", lens)
    def on_custom_load(architecture: str, checkpoint: str | None, labels: str | None, trained_from: str,
                       request: gr.Request, progress: gr.Progress = gr.Progress(track_tqdm=True)) -> dict[Any, Any]:
        sid = session_id(request)
        check_upload_size(checkpoint, config.max_checkpoint_size, "--max-checkpoint-size", "upload.checkpoint")
        name = handlers.register_custom_model(lens, sid, architecture, checkpoint, labels, trained_from)
        model = lens.store.get(name, sid)
        status = t("input.custom.loaded", name=name, classes=len(model.categories) - 1)
        status += "\n\n" + views.normalization_text(model.normalization)
        return {c.model: gr.update(choices=controls.model_choices(lens.store.choices(sid)), value=name),
                c.custom_status: status}

    c.custom_load.click(on_custom_load, [c.custom_arch, c.custom_checkpoint, c.custom_labels, c.custom_trained_from],
                        [c.model, c.custom_status], api_visibility="private", concurrency_id="model")

    return {"inspect": on_inspect, "rethreshold": on_rethreshold, "reset_thresholds": on_reset, **strip_events,
            "recount": recount,
            **_wire_tab_controls(lens, layout)}


def _recount(lens: Lens, layout: Layout) -> Callable[..., dict[Any, Any]]:
    """The status and the detection count in the session's language now (nothing before an inspect)."""
    @readable_errors("action.view", lens)
    def recount(request: gr.Request) -> dict[Any, Any]:
        session = lens.cache.get(session_id(request))
        if session is None:
            return {layout.status: gr.skip(), layout.detections_count: gr.skip()}
        status = views.status_view(session)
        return {layout.status: status.markdown, layout.detections_count: status.detections_count}
    return recount


def _wire_named_api(lens: Lens, layout: Layout, config: AppConfig) -> None:
    """/inspect, /rethreshold and /reset_thresholds as gradio_client scripts call them: the same inputs and outputs
    as before the page drew detections with the box viewer (an HTML component). The page's own events are private;
    these twins, on hidden triggers, return the detections as a picture at the viewer's place, and every tab's
    views (the page skips the hidden tabs' heavier ones)."""
    c = layout.controls
    # Each box viewer of the page -> (the picture scripts get in its place, how to draw it for a session).
    twins: dict[Any, tuple[Any, Callable[[Session], Any]]] = {
        layout.detections.image: (gr.Image(visible=False, label=t("tab.detections"), format="png", interactive=False),
                                  lambda s: views.detections_view(s).image),
        layout.proposals.post_nms: (gr.Image(visible=False, label=t("proposals.post_nms", shown="", total=""),
                                             format="png", interactive=False),
                                    lambda s: views.proposals_view(s).post_nms_image),
        # The Ground-truth tab's recall chart is SVG on the page; scripts keep their plotly figure.
        layout.ground_truth.recall: (gr.Plot(visible=False, show_label=False),
                                     lambda s: views.ground_truth_view(s).recall_figure),
        # … and its funnel is an HTML table; scripts keep the Dataframe (a pandas Styler).
        layout.ground_truth.funnel: (gr.Dataframe(visible=False, interactive=False),
                                     lambda s: views.ground_truth_view(s).funnel_frame),
        # … and its object's picture is on the box viewer; scripts keep the drawn image (a JPEG, as before).
        layout.ground_truth.object_image: (gr.Image(visible=False, label=t("gt.funnel_title"), format="jpeg",
                                                    interactive=False),
                                           lambda s: views.ground_truth_view(s).object_image),
    }

    def for_scripts(outputs: list[Any]) -> list[Any]:
        return [twins[component][0] if component in twins else component for component in outputs]

    def with_picture(values: dict[Any, Any], session: Session) -> dict[Any, Any]:
        out = {key: value for key, value in values.items() if key not in twins}
        for component, (picture, draw) in twins.items():
            shown = values.get(component)
            skipped = component is not layout.detections.image and (
                shown is None or (isinstance(shown, dict) and shown.get("__type__") == "update" and len(shown) == 1))
            out[picture] = gr.skip() if skipped else draw(session)
        return out

    @readable_errors("action.inspect", lens)
    def inspect(image: str | None, model_name: str, annotations: str | None = None,
                request: gr.Request = None,  # type: ignore[assignment]  # Gradio passes it
                progress: gr.Progress = gr.Progress(track_tqdm=True)) -> dict[Any, Any]:
        session = _inspected(lens, config, image, model_name, annotations, request, progress)
        values = _threshold_values(layout, session, for_api=True)
        values.update(layout.anchors.values(views.anchors_view(session)))
        for _, compute in _image_views(layout).values():
            values.update(compute(session))
        values.update(layout.all_slider_values(session.thresholds))
        return with_picture(values, session)

    @readable_errors("action.rethreshold", lens)
    def rethreshold(values: Mapping[str, float], request: gr.Request) -> dict[Any, Any]:
        session, _ = handlers.rethreshold(lens, session_id(request), values)
        return with_picture(_threshold_values(layout, session, for_api=True), session)

    @readable_errors("action.rethreshold", lens)
    def reset_thresholds(request: gr.Request) -> dict[Any, Any]:
        session = handlers.reset_thresholds(lens, session_id(request))
        values = _threshold_values(layout, session, for_api=True)
        values.update(c.slider_values(session.thresholds))
        return with_picture(values, session)

    triggers = [gr.Button(visible=False) for _ in range(3)]
    triggers[0].click(inspect, [c.image, c.model, c.annotations], for_scripts(_inspect_outputs(layout)),
                      api_name="inspect", concurrency_id="inspect", concurrency_limit=INSPECT_CONCURRENCY)
    triggers[1].click(keyed_by_thresholds(THRESHOLD_KEYS, rethreshold), c.slider_list,
                      for_scripts(_threshold_outputs(layout)), api_name="rethreshold", trigger_mode="always_last")
    triggers[2].click(reset_thresholds, None, for_scripts(_threshold_outputs(layout) + c.slider_list),
                      api_name="reset_thresholds")


def _wire_tab_controls(lens: Lens, layout: Layout) -> dict[str, Callable[..., Any]]:
    """The events that span tabs, and the tabs' own (registry.TabSpec.wire, .wire_page)."""
    return {**_wire_tab_selection(lens, layout), **_wire_registered(lens, layout),
            **_wire_summary_panel(lens, layout),
            **_wire_dataset(lens, layout)}


def _wire_registered(lens: Lens, layout: Layout) -> dict[str, Callable[..., Any]]:
    """The events of the tabs that wire themselves (registry.TabSpec.wire)."""
    functions: dict[str, Callable[..., Any]] = {}
    for spec in registry.TABS:
        if spec.wire is not None:
            functions.update(spec.wire(lens, layout.tab(spec.id)))
        if spec.wire_page is not None:
            functions.update(spec.wire_page(lens, layout.tab(spec.id), layout))
    return functions


def _wire_dataset(lens: Lens, layout: Layout) -> dict[str, Callable[..., Any]]:
    """Open one of the Dataset tab's worst images in the other tabs (it spans tabs; the tab's own events, the named
    endpoints capture_dataset and evaluate_dataset among them, are wired by app.tabs.dataset)."""
    d, c = layout.dataset, layout.controls
    open_outputs = list(dict.fromkeys([*_inspect_outputs(layout), c.image, layout.tabs]))

    @readable_errors("action.inspect", lens)
    def on_open_worst(event: gr.SelectData, request: gr.Request,
                      progress: gr.Progress = gr.Progress(track_tqdm=True)) -> dict[Any, Any]:
        names = lens.datasets.recall(session_id(request), "worst") or []
        if not 0 <= event.index < len(names):
            raise UserError(t("ds.none"))
        session = handlers.open_dataset_image(lens, session_id(request), names[event.index])
        session.options.current_tab = "gt"
        lens.prefs.set(session_id(request), "tab", "gt")
        values = _all_values(layout, session)
        values[c.image] = str(handlers.dataset_of(lens, session_id(request)).image_path(names[event.index]))
        values[layout.tabs] = gr.Tabs(selected="gt")
        return values

    d.worst.select(on_open_worst, None, open_outputs, api_visibility="private", concurrency_id="model").then(
        _recount(lens, layout), None, [layout.status, layout.detections_count], api_visibility="private", queue=False)
    return {"open_worst": on_open_worst}


def _wire_tab_selection(lens: Lens, layout: Layout) -> dict[str, Callable[..., Any]]:
    """Remember which tab a session shows; a tab whose view depends on the thresholds is computed when it opens."""
    functions: dict[str, Callable[..., Any]] = {}
    tab_views = {**_image_views(layout), **_page_views(layout)}
    for tab_id, tab in layout.tab_items.items():
        outputs, compute = tab_views.get(tab_id, ([], None))
        strip = layout.strips.get(tab_id, {})
        if strip:   # a tab's strip follows the thresholds while it is hidden only when it opens
            outputs = [*outputs, *strip.values()]
            compute = _with_strip(compute, strip)

        @readable_errors("action.view", lens)
        def on_select(request: gr.Request, tab_id: str = tab_id, compute: Any = compute,
                      outputs: list[Any] = outputs) -> Any:
            session = lens.cache.get(session_id(request))
            lens.prefs.set(session_id(request), "tab", tab_id)   # a first inspect still running reads it
            if session is None:   # nothing inspected yet: just remember the tab
                return {component: gr.skip() for component in outputs} if outputs else None
            session.options.current_tab = tab_id
            return compute(session) if compute else None

        tab.select(on_select, None, outputs or None, api_visibility="private", trigger_mode="always_last")
        functions[f"select_{tab_id}"] = on_select
    return functions


def _wire_summary_panel(lens: Lens, layout: Layout) -> dict[str, Callable[..., Any]]:
    """The JSON summary (with the ground-truth report's figures) is computed while its panel is open only."""
    panel = layout.summary_panel
    assert panel is not None

    @readable_errors("action.view", lens)
    def on_summary_open(request: gr.Request) -> dict[Any, Any]:
        if lens.cache.get(session_id(request)) is None:   # nothing inspected yet
            return {layout.summary: gr.skip()}
        session = handlers.set_options(lens, session_id(request), summary_open=True)
        return {layout.summary: views.detections_view(session).summary}

    @readable_errors("action.view", lens)
    def on_summary_close(request: gr.Request) -> None:
        if lens.cache.get(session_id(request)) is not None:
            handlers.set_options(lens, session_id(request), summary_open=False)

    panel.expand(on_summary_open, None, [layout.summary], api_visibility="private", trigger_mode="always_last")
    panel.collapse(on_summary_close, None, None, api_visibility="private", trigger_mode="always_last")
    return {"summary_open": on_summary_open, "summary_close": on_summary_close}


def _with_strip(compute: Callable[[Session], dict[Any, Any]] | None, strip: dict[str, gr.Slider]
                ) -> Callable[[Session], dict[Any, Any]]:
    """A tab's views (if any) and its strip's sliders at the session's thresholds."""
    def both(session: Session) -> dict[Any, Any]:
        values = compute(session) if compute is not None else {}
        values.update(controls.strip_values(strip, session.thresholds))
        return values
    return both


def _wire_page_settings(demo: gr.Blocks, lens: Lens, layout: Layout, texts: TextRegistry
                        ) -> dict[str, Callable[..., Any]]:
    """The language switch: every label, explanation and view in the chosen language, for this session only. The
    choice is remembered in the browser (localStorage) and re-applied when the page is opened again."""
    remembered = gr.BrowserState("", storage_key="rcnn-lens-language")   # "": this browser never chose
    views_outputs = _inspect_outputs(layout)
    c = layout.controls
    outputs = list(dict.fromkeys([*texts.components, c.model, *views_outputs, layout.language, remembered]))
    open_outputs = list(dict.fromkeys([*outputs, c.image]))

    def language_values(language: str, sid: str, session: Session | None) -> dict[Any, Any]:
        """Every translatable component in `language`, merged with the session's views (when it has some)."""
        with use_language(language):
            values: dict[Any, Any] = dict(texts.updates())
            values[c.model] = gr.update(choices=controls.model_choices(lens.store.choices(sid)),
                                        label=t("input.model"), info=t("input.model.info"))
            if session is not None:
                for component, value in _all_values(layout, session).items():
                    values[component] = _merged(values.get(component), value)
            values[layout.language] = gr.update(value=language)
            return values

    @readable_errors("action.language", lens)
    def on_language(language: str, request: gr.Request) -> dict[Any, Any]:
        if language not in LANGUAGE_NAMES:
            language = default_language()
        sid = session_id(request)
        lens.prefs.set(sid, "language", language)
        values = language_values(language, sid, lens.cache.get(sid))
        values[remembered] = language
        return values

    @readable_errors("action.inspect", lens)
    def on_open(remembered_language: str, model_name: str, request: gr.Request) -> dict[Any, Any]:
        """A page opens: in the language this browser chose before, else the browser's own (Accept-Language), and
        with a sample scene already inspected, so that the first screen shows the pipeline with real numbers."""
        sid = session_id(request)
        language = remembered_language if remembered_language in LANGUAGE_NAMES else \
            browser_language(getattr(request, "headers", None))
        lens.prefs.set(sid, "language", language)
        session = lens.cache.get(sid)
        values: dict[Any, Any] = {component: gr.skip() for component in open_outputs}
        samples = sample_image_paths()
        with use_language(language):
            if session is None and samples:
                try:
                    session = handlers.inspect_image(lens, sid, samples[0], model_name)
                    values[c.image] = samples[0]
                except UserError as error:   # e.g. a --model whose weights are missing: the page still opens
                    gr.Warning(html.escape(str(error), quote=False), duration=None, title=t("error.title"))
            if language != default_language():
                shown = values.get(c.image)
                values.update(language_values(language, sid, session))
                if isinstance(shown, str):   # the sample's path along with the image input's translated label
                    values[c.image] = _merged(values.get(c.image), shown)
            elif session is not None:
                values.update(_all_values(layout, session))
        return values

    # The projector layout is a page setting in the browser only (a CSS class, remembered in localStorage).
    layout.projector.input(None, [layout.projector], None, js=PROJECTOR_JS)
    demo.load(None, None, [layout.projector], js=PROJECTOR_ON_LOAD_JS)
    layout.language.input(on_language, [layout.language], outputs, api_visibility="private", queue=False)
    demo.load(on_open, [remembered, c.model], open_outputs, api_visibility="private", concurrency_id="model")
    return {"language": on_language, "open": on_open}


def browser_language(headers: Mapping[str, str] | None) -> str:
    """The first language of the browser's Accept-Language header that the page has (by preference), else the
    default: "ko-KR,ko;q=0.9,en;q=0.8" -> "ko"."""
    header = (headers or {}).get("accept-language", "") if headers is not None else ""
    ranked = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower().split("-")[0]))
    for _, _, code in sorted(ranked):
        if code in LANGUAGE_NAMES:
            return code
    return default_language()


# The sidebar folds away in the projector layout (each tab shows its own sliders) and on narrow screens; its
# toggle button stays at hand.
SIDEBAR_JS = """(open) => {
  const sidebar = document.querySelector('#lens-sidebar');
  const button = sidebar && sidebar.querySelector(':scope > .toggle-button');
  if (button && sidebar.classList.contains('open') !== open) button.click();
}"""
PROJECTOR_JS = """(layout) => {
  document.body.classList.toggle('lens-projector', layout === 'projector');
  try { localStorage.setItem('rcnn-lens-layout', layout); } catch (e) {}
  (SIDEBAR)(layout !== 'projector' && window.innerWidth >= 1200);
  // Plotly lays a figure out again only on a window resize: the content column changed width with the sidebar.
  for (const wait of [0, 400]) setTimeout(() => window.dispatchEvent(new Event('resize')), wait);
  return [];
}""".replace("SIDEBAR", SIDEBAR_JS)
PROJECTOR_ON_LOAD_JS = """() => {
  let layout = 'desktop';
  try { layout = localStorage.getItem('rcnn-lens-layout') || 'desktop'; } catch (e) {}
  document.body.classList.toggle('lens-projector', layout === 'projector');
  if (layout === 'projector' || window.innerWidth < 1200) (SIDEBAR)(false);
  // A hidden tab's figures keep the width they were drawn at; a window resize lays Plotly's out again once the
  // tab shows (after the layout or the sidebar changed the column's width).
  document.addEventListener('click', (event) => {
    if (event.target.closest && event.target.closest('button[role=tab]'))
      for (const wait of [60, 400]) setTimeout(() => window.dispatchEvent(new Event('resize')), wait);
  }, true);
  // A window made narrower than the sidebar leaves room for folds the sidebar away, as a narrow page opens.
  let wide = window.innerWidth >= 1200;
  window.addEventListener('resize', () => {
    if (wide && window.innerWidth < 1200) (SIDEBAR)(false);
    wide = window.innerWidth >= 1200;
  });
  return [layout];
}""".replace("SIDEBAR", SIDEBAR_JS)


def _merged(update: Any, value: Any) -> Any:
    """A component's language update (labels) combined with its view value (content; gr.skip() adds nothing)."""
    if update is None:
        return value
    merged = dict(update)
    if isinstance(value, dict) and value.get("__type__") == "update":
        merged.update({k: v for k, v in value.items() if k != "__type__"})
    else:
        merged["value"] = value
    return merged


def launch_options(config: AppConfig) -> dict[str, Any]:
    """Safe defaults: local bind, no share link, an upload cap, no monitoring endpoint, no server-side rendering,
    Gradio's own per-session state bounded (see AppConfig.gradio_sessions)."""
    from app.theme import CSS, theme

    return dict(server_name=config.host, server_port=config.port, share=config.share,
                max_file_size=upload_cap(config), enable_monitoring=False, show_error=True, ssr_mode=False,
                mcp_server=False, pwa=False, theme=theme(), css=CSS, auth=config.auth,
                auth_message=t("app.auth_message") if config.auth else None,
                state_session_capacity=config.gradio_sessions)


def launch(demo: gr.Blocks, config: AppConfig, **overrides: Any) -> Any:
    # One event at a time per concurrency group; a bounded queue: a burst beyond it is refused ("busy, try
    # again") instead of holding unbounded requests and memory.
    demo.queue(default_concurrency_limit=1, max_size=config.max_queue)
    return demo.launch(**{**launch_options(config), **overrides})
