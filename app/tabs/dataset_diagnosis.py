"""The Dataset tab's diagnosis views: confusion matrix (click a cell: its images and boxes), operating points per
class, where objects are lost, anchor fit, and this capture beside another one. Layout and wiring only: the numbers
come from DatasetCapture's diagnosis methods, the figures from app.figures.diagnosis.

Built inside the Dataset tab (app.tabs.dataset calls `build`), it wires its own events (the IoU slider, "Show the
diagnosis", a cell, the comparison), which read the session's dataset through the app's Lens (the Blocks carry it
as `demo.lens`; the request leads to it); a move of the tab's seven sliders updates the views after the metrics
(app.tabs.dataset chains `moved_values`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

import gradio as gr

from app.figures import diagnosis as figs
from app.strings import current_language, t, use_language
from app.texts import bind, heading
from inspectors.core.lru import BoundedCache
from inspectors.core.thresholds import THRESHOLD_KEYS

CELL_IMAGES = 12  # images shown for a clicked confusion-matrix cell
_ANCHORS: BoundedCache[tuple[Any, ...], str] = BoundedCache(8)   # (capture, language) -> the anchor-fit view


@dataclass
class DiagnosisTab:
    iou: gr.Slider
    refresh: gr.Button
    confusion: gr.Plot
    confusion_table: gr.Dataframe
    cell_title: gr.Markdown
    cell_images: gr.Gallery
    operating: gr.Plot
    operating_text: gr.Markdown
    funnel: gr.Markdown
    anchors: gr.Markdown
    other: gr.Textbox
    compare: gr.Button
    comparison: gr.Markdown

    @property
    def outputs(self) -> list[Any]:
        return [self.confusion, self.confusion_table, self.operating, self.operating_text, self.funnel, self.anchors]


def build(sliders: dict[str, gr.Slider]) -> DiagnosisTab:
    heading("dsd.title")
    bind(gr.Markdown, texts={"value": "dsd.explain"})
    with gr.Row(equal_height=True):
        iou = bind(gr.Slider, 0.05, 0.95, texts={"label": "dsd.iou"}, value=0.5, step=0.05, scale=3,
                   elem_id="lens-dsd-iou")
        refresh = bind(gr.Button, texts={"value": "dsd.refresh"}, scale=1, elem_id="lens-dsd-refresh")
    heading("dsd.confusion_title")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            confusion = gr.Plot(show_label=False, elem_id="lens-dsd-confusion")
        with gr.Column(scale=2):
            # (no wrapping: class names stay whole, the table scrolls inside itself when it is too wide)
            confusion_table = bind(gr.Dataframe, texts={"label": "dsd.cell_hint"}, interactive=False, wrap=False,
                                   elem_id="lens-dsd-confusion-table")
    cell_title = gr.Markdown(elem_id="lens-dsd-cell-title")
    # Shown once a cell is clicked (an empty gallery is a large blank box)
    cell_images = gr.Gallery(columns=4, height=300, object_fit="contain", allow_preview=False, format="jpeg",
                             show_label=False, visible=False, elem_id="lens-dsd-cell-images")
    heading("dsd.operating_title")
    with gr.Row(equal_height=False):
        operating = gr.Plot(show_label=False, elem_id="lens-dsd-operating")
        operating_text = gr.Markdown(elem_classes=["lens-table"], elem_id="lens-dsd-operating-text")
    heading("dsd.funnel_title")
    funnel = gr.Markdown(elem_classes=["lens-table"], elem_id="lens-dsd-funnel")
    heading("dsd.anchors_title")
    anchors = gr.Markdown(elem_classes=["lens-table"], elem_id="lens-dsd-anchors")
    heading("dsd.compare_title")
    with gr.Row(equal_height=True):
        other = bind(gr.Textbox, texts={"label": "dsd.compare_other"}, scale=3, max_lines=1,
                     elem_id="lens-dsd-other")
        compare = bind(gr.Button, texts={"value": "dsd.compare_run"}, scale=1, elem_id="lens-dsd-compare")
    comparison = gr.Markdown(elem_classes=["lens-table"], elem_id="lens-dsd-comparison")
    tab = DiagnosisTab(iou, refresh, confusion, confusion_table, cell_title, cell_images, operating, operating_text,
                       funnel, anchors, other, compare, comparison)
    _wire(tab, [sliders[key] for key in THRESHOLD_KEYS])
    return tab


# ---- views (pure functions of a dataset, its thresholds and the IoU) -------------------------------------------------
def made_at(settings: dict[str, float], iou: Optional[float] = None) -> str:
    values = ", ".join(f"{k} = {v:g}" for k, v in settings.items())
    return t("dsd.made_at_iou", iou=f"{iou:g}", values=values) if iou is not None else t("dsd.made_at", values=values)


def diagnosis_values(tab: DiagnosisTab, dataset: Any, thresholds: dict[str, float], iou: float,
                     recovered: bool = True, anchors: bool = True) -> dict[Any, Any]:
    """The diagnosis views at these thresholds. `recovered=False` (a slider move) leaves the funnel's last column
    (the recall with each stage's slider relaxed: seven more evaluations of the dataset, seconds on a large one)
    for "Show the diagnosis"; everything else follows the sliders. `anchors=False`: the anchor fit (which no
    threshold changes) is left as it is on the page."""
    settings = dataset.settings(**thresholds)
    cm = dataset.confusion_matrix(iou=iou, **settings)
    labels = [*cm.classes, t("dsd.background")]
    op = dataset.operating_points(iou=iou, **settings)
    rows = []
    for name, curve in op.curves.items():
        c, f1, p, r = curve.best()
        rows.append({"class": t("dsd.all") if name == "all" else name, "confidence": c, "f1": f1, "precision": p,
                     "recall": r})
    applied = op.apply()
    applied_text = t("dsd.applied", ap_before=f"{applied.ap_before:.4f}", ap_after=f"{applied.ap_after:.4f}",
                     f1_before=f"{applied.f1_before:.4f}", f1_after=f"{applied.f1_after:.4f}")
    fs = dataset.funnel_summary(iou=iou, **settings)
    return {
        tab.confusion: figs.confusion_figure(cm.matrix, labels, made_at(settings, iou), t("dsd.predicted"),
                                             t("dsd.true")),
        tab.confusion_table: gr.update(value=figs.confusion_rows(cm.matrix, labels),
                                       headers=[t("dsd.true_predicted"), *labels]),
        tab.operating: figs.operating_figure(op.curves, op.best_f1_confidence, made_at(settings, iou),
                                             t("dsd.confidence"), "F1"),
        tab.operating_text: figs.operating_markdown(
            rows, [t("dsd.col.class"), t("dsd.col.confidence"), "F1", t("dsd.col.precision"), t("dsd.col.recall")],
            made_at(settings, iou), applied_text + " " + t("dsd.ap_vs_f1"), op.code()),
        tab.funnel: figs.funnel_markdown(fs.lost, fs.recovered_recall if recovered else {},
                                         [t("dsd.col.stage"), t("dsd.col.lost"), t("dsd.col.recovered")],
                                         t("dsd.found"), made_at(settings, iou) + " " + t("dsd.funnel_note")
                                         + ("" if recovered else " " + t("dsd.recovered_later"))),
        tab.anchors: anchors_markdown(dataset) if anchors else gr.skip(),
    }


def anchors_markdown(dataset: Any) -> str:
    """Do the anchors fit: no threshold changes it, and its suggestion (k-means over every object, then the
    suggested anchors placed on every image) takes seconds on a large dataset, so it is made once per capture
    and language (a slider move then leaves it as it is on the page)."""
    def build() -> str:
        fit = dataset.anchor_fit()
        suggestion = fit.suggest()
        summary = t("dsd.anchor_summary", boxes=len(fit.best_iou), threshold=f"{fit.fg_threshold:g}",
                    share=f"{fit.share_fg:.1%}", low=f"{fit.share_low_quality_only:.1%}",
                    suggested=f"{suggestion.share_fg:.1%}")
        return figs.anchor_markdown(summary, fit.by_group(),
                                    [t("dsd.col.group"), t("dsd.col.objects"),
                                     t("dsd.col.share", threshold=f"{fit.fg_threshold:g}"), t("dsd.col.mean_iou")],
                                    suggestion.code)

    return _ANCHORS.get_or_build((str(dataset.path), len(dataset), dataset.model_name, current_language()), build)


def moved_values(tab: DiagnosisTab, dataset: Any, thresholds: dict[str, float], iou: float,
                 anchors: bool = True) -> dict[Any, Any]:
    """After a move of the Dataset tab's sliders (wired by app.tabs.dataset, after the metrics): the views, the
    funnel's "recovered" column left for "Show the diagnosis"; the anchor fit only if `anchors`."""
    return diagnosis_values(tab, dataset, thresholds, iou, recovered=False, anchors=anchors)


def cell_values(tab: DiagnosisTab, dataset: Any, thresholds: dict[str, float], iou: float, row: int,
                column: int) -> dict[Any, Any]:
    """The images and boxes of one cell (row: true class, column: predicted; the table's first column is the
    row's name)."""
    from inspectors.dataset.views import image_overlay

    settings = dataset.settings(**thresholds)
    cm = dataset.confusion_matrix(iou=iou, **settings)
    cell = cm.cell(row, column)
    labels = [*cm.classes, t("dsd.background")]
    images = [(image_overlay(dataset, name, min_score=settings["box_score_thresh"], **settings), name)
              for name in cell.images[:CELL_IMAGES]]
    title = t("dsd.cell", true=labels[row], predicted=labels[column], count=len(cell.items),
              images=len(cell.images), shown=len(images)) + " " + made_at(settings, iou)
    return {tab.cell_title: title, tab.cell_images: gr.update(value=images, visible=True)}


# ---- events -------------------------------------------------------------------------------------------------------
def _lens_and_session(request: gr.Request) -> tuple[Any, str]:
    blocks = request.request.app.get_blocks()  # type: ignore[union-attr]
    return blocks.lens, getattr(request, "session_hash", None) or "anonymous"


def _run(request: gr.Request, fn: Any) -> Any:
    from app import handlers

    lens, sid = _lens_and_session(request)
    with use_language(lambda: lens.prefs.get(sid, "language")):
        try:
            dataset = handlers.dataset_of(lens, sid)
            return fn(dataset)
        except handlers.UserError as error:
            raise gr.Error(str(error), print_exception=False) from None
        except Exception as error:  # an engine refusal (a threshold outside the capture's range, …)
            raise gr.Error(f"{type(error).__name__}: {str(error)[:300]}", print_exception=False) from None


def _thresholds(values: Sequence[Any]) -> dict[str, float]:
    from app import handlers

    return handlers.normalize_thresholds(dict(zip(THRESHOLD_KEYS, values)))


def _wire(tab: DiagnosisTab, slider_list: list[gr.Slider]) -> None:
    # Gradio hands the request only to a parameter annotated gr.Request: the seven thresholds are spelled out.
    def on_views(iou: float, rpn_pre_nms_top_n: float, rpn_nms_thresh: float, rpn_post_nms_top_n: float,
                 rpn_score_thresh: float, box_score_thresh: float, box_nms_thresh: float,
                 box_detections_per_img: float, request: gr.Request) -> dict[Any, Any]:
        values = (rpn_pre_nms_top_n, rpn_nms_thresh, rpn_post_nms_top_n, rpn_score_thresh, box_score_thresh,
                  box_nms_thresh, box_detections_per_img)
        return _run(request, lambda ds: diagnosis_values(tab, ds, _thresholds(values), float(iou)))

    gr.on([tab.iou.release, tab.refresh.click], on_views, [tab.iou, *slider_list], tab.outputs,
          trigger_mode="always_last", show_progress="minimal", api_visibility="private")

    def on_cell(event: gr.SelectData, iou: float, rpn_pre_nms_top_n: float, rpn_nms_thresh: float,
                rpn_post_nms_top_n: float, rpn_score_thresh: float, box_score_thresh: float, box_nms_thresh: float,
                box_detections_per_img: float, request: gr.Request) -> dict[Any, Any]:
        values = (rpn_pre_nms_top_n, rpn_nms_thresh, rpn_post_nms_top_n, rpn_score_thresh, box_score_thresh,
                  box_nms_thresh, box_detections_per_img)
        row, column = (event.index if isinstance(event.index, (list, tuple)) else (event.index, 1))
        if int(column) < 1:
            column = row + 1  # the row's name: show the diagonal cell
        return _run(request, lambda ds: cell_values(tab, ds, _thresholds(values), float(iou), int(row),
                                                    int(column) - 1))

    tab.confusion_table.select(on_cell, [tab.iou, *slider_list], [tab.cell_title, tab.cell_images],
                               api_visibility="private")

    def on_compare(path: str, iou: float, rpn_pre_nms_top_n: float, rpn_nms_thresh: float, rpn_post_nms_top_n: float,
                   rpn_score_thresh: float, box_score_thresh: float, box_nms_thresh: float,
                   box_detections_per_img: float, request: gr.Request) -> dict[Any, Any]:
        values = (rpn_pre_nms_top_n, rpn_nms_thresh, rpn_post_nms_top_n, rpn_score_thresh, box_score_thresh,
                  box_nms_thresh, box_detections_per_img)

        def compare(dataset: Any) -> dict[Any, Any]:
            from inspectors import DatasetCapture, compare_captures

            if not path or not str(path).strip():
                raise gr.Error(t("dsd.compare_missing"), print_exception=False)
            if not getattr(_lens_and_session(request)[0].datasets, "allow_server_paths", False):
                raise gr.Error(t("ds.server_paths_off"), print_exception=False)
            other = DatasetCapture.open(str(path).strip())
            result = compare_captures(dataset, other, draws=100, **_thresholds(values))
            made = t("dsd.compare_made", a=str(dataset.path), b=str(other.path)) + " " + \
                made_at(result.settings_a)
            return {tab.comparison: figs.comparison_markdown(
                result.delta, result.a, result.b, result.ci,
                [t("dsd.col.metric"), "A", "B", "B − A", t("dsd.col.ci")], made)}

        return _run(request, compare)

    tab.compare.click(on_compare, [tab.other, tab.iou, *slider_list], [tab.comparison], api_visibility="private")
