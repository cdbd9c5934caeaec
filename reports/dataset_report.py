"""A self-contained HTML report of a dataset capture: metrics, curves, errors, the worst images and their funnels.

One file that opens offline in any browser: plotly.js, the images (PNG) and the data are inlined, nothing is
fetched. A score slider in the page switches between metrics precomputed at a grid of detection score thresholds.
Built from inspectors.dataset.views (plain data) with plotly; the engine itself never imports plotly.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from inspectors.core.models import InspectedModel
from inspectors.dataset.store import DatasetCapture
from inspectors.dataset.sweep import SweepResult
from inspectors.dataset.views import (
    class_rows,
    image_overlay,
    metrics_by_score,
    pr_curves,
    proposal_curves,
    summary_rows,
    tide_rows,
    worst_images,
)

SCORE_GRID = tuple(round(v, 2) for v in np.arange(0.0, 0.951, 0.05))
FUNNEL_STAGES = ("top_k", "rpn_nms", "post_nms_top_n", "roi_head", "box_score", "box_nms", "matched")
_PLOT_CONFIG = {"displaylogo": False, "responsive": True}

_CSS = """
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1200px; color: #222; }
h1 { margin-bottom: 4px; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; }
table { border-collapse: collapse; margin: 8px 0; } td, th { padding: 3px 10px; border-bottom: 1px solid #eee; }
th { text-align: left; background: #f6f6f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.meta { color: #555; } .grid { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 10px; width: 560px; }
.card img { width: 100%; image-rendering: auto; } code, pre { background: #f4f4f4; padding: 2px 4px; }
pre { white-space: pre-wrap; } #score-slider { width: 320px; }
.legend span { display: inline-block; margin-right: 14px; } .swatch { width: 12px; height: 12px; }
"""

_SLIDER_JS = """
(function () {
  const rows = JSON.parse(document.getElementById('score-data').textContent);
  const slider = document.getElementById('score-slider');
  const keys = ['ap', 'ap50', 'ap75', 'ar100', 'detections', 'tp50', 'fp50', 'fn50', 'precision50', 'recall50',
                'f1_50'];
  const counts = new Set(['detections', 'tp50', 'fp50', 'fn50']);
  function show() {
    const row = rows[Number(slider.value)];
    document.getElementById('score-value').textContent = row.box_score_thresh.toFixed(2);
    for (const key of keys) {
      const value = row[key];
      document.getElementById('score-' + key).textContent =
        counts.has(key) ? String(Math.round(value)) : value.toFixed(4);
    }
  }
  slider.addEventListener('input', show);
  show();
})();
"""


def write_report(dataset: DatasetCapture, out: Union[str, Path], *, worst: int = 12,
                 model: Optional[InspectedModel] = None, sweep: Optional[SweepResult] = None,
                 progress: bool = True, mask_thresh: float = 0.5, **thresholds: Any) -> Path:
    """Write the report of `dataset` at `thresholds` to `out`. With `model` (the one the capture was made with),
    the worst images also get their ground-truth funnels (one forward each). A Mask R-CNN capture also gets its
    mask metrics (COCO segm) with the masks binarised at `mask_thresh`."""
    from tqdm.auto import tqdm

    steps = tqdm(total=4 + (1 if model is not None else 0), desc="report", unit="step", disable=not progress)
    settings = dataset.settings(**thresholds)
    metrics = dataset.evaluate(mask_thresh=mask_thresh, **settings)
    steps.update(1)
    fixed = {k: v for k, v in settings.items() if k != "box_score_thresh"}
    by_score = metrics_by_score(dataset, SCORE_GRID, **fixed)
    steps.update(1)
    figures = _figures(metrics, by_score)
    steps.update(1)
    worst_rows = worst_images(metrics, worst)
    funnels = {}
    if model is not None:
        funnels = _funnels(dataset, model, [row["name"] for row in worst_rows], settings)
        steps.update(1)
    cards = [_image_card(dataset, row, funnels.get(row["name"]), settings) for row in worst_rows]
    diagnosis = diagnosis_html(dataset, settings)
    steps.update(1)
    steps.close()

    start = min(range(len(SCORE_GRID)), key=lambda i: abs(SCORE_GRID[i] - settings["box_score_thresh"]))
    page = _page(dataset, metrics, settings, figures, cards, by_score, start, sweep, with_funnels=model is not None)
    page = page.replace("<h2>Worst images</h2>", diagnosis + "\n<h2>Worst images</h2>", 1)
    scores_title = "<h2>Detection score threshold</h2>"
    page = page.replace(scores_title, segm_html(metrics) + "\n" + scores_title, 1)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


def segm_html(metrics: Any) -> str:
    """The mask metrics (COCOeval iouType="segm") of a Mask R-CNN capture; why they are missing when they are."""
    segm = metrics.segm
    if segm is None:
        note = getattr(metrics, "segm_note", None)
        if note is None:
            return ""
        return f'<h2>Mask metrics (segm)</h2><p class="meta">Not computed: {html.escape(note)}.</p>'
    rows = "".join(f'<tr><td>{html.escape(label)}</td><td class="num" id="segm-{key}">{value:.4f}</td></tr>'
                   for key, label, value in summary_rows(segm))
    classes = "".join(f'<tr><td>{html.escape(name)}</td><td class="num">{segm.per_class[name]:.4f}</td>'
                      f'<td class="num">{segm.per_class_ap50[name]:.4f}</td></tr>' for name in segm.class_names)
    return (f"<h2>Mask metrics (COCO segm, mask threshold {segm.mask_thresh:g})</h2>"
            f'<p class="meta">The same detections, matched by mask IoU; a mask pixel counts when its probability is '
            f"above {segm.mask_thresh:g}.</p>"
            f'<div class="grid"><table id="segm"><tr><th>mask metric</th><th>value</th></tr>{rows}</table>'
            f"<table><tr><th>class</th><th>mask AP</th><th>mask AP50</th></tr>{classes}</table></div>")


# ---- figures ------------------------------------------------------------------------------------------------------
def _figures(metrics, by_score: list[dict[str, float]]) -> dict[str, str]:
    figs = {}
    rows = class_rows(metrics)
    bars = go.Figure()
    bars.add_bar(name="AP@[.5:.95]", x=[r["class"] for r in rows], y=[max(r["ap"], 0) for r in rows])
    bars.add_bar(name="AP@0.5", x=[r["class"] for r in rows], y=[max(r["ap50"], 0) for r in rows])
    bars.update_layout(barmode="group", yaxis=dict(range=[0, 1], title="AP"), height=360, margin=dict(t=30))
    figs["classes"] = bars

    pr = go.Figure()
    for iou, dash in ((0.5, "solid"), (0.75, "dash")):
        for name, (recall, precision) in pr_curves(metrics, iou).items():
            pr.add_scatter(x=recall, y=precision, mode="lines", name=f"{name} @ IoU {iou}", line=dict(dash=dash))
    pr.update_layout(xaxis=dict(title="recall", range=[0, 1]), yaxis=dict(title="precision", range=[0, 1.02]),
                     height=420, margin=dict(t=30))
    figs["pr"] = pr

    tide = tide_rows(metrics)
    if tide:
        errors = go.Figure()
        errors.add_bar(x=[r["type"] for r in tide], y=[r["dap"] for r in tide],
                       text=[f"{r['count']} errors" for r in tide], textposition="outside")
        errors.update_layout(height=360, margin=dict(t=30), yaxis=dict(title="ΔAP50 if all fixed"))
        figs["tide"] = errors

    curves = proposal_curves(metrics)
    recall = go.Figure()
    for area, values in curves["ar_by_count"].items():
        recall.add_scatter(x=curves["counts"], y=[max(v, 0) for v in values], mode="lines+markers", name=f"AR {area}")
    recall.update_layout(xaxis=dict(title="proposals per image", type="log"), yaxis=dict(title="AR", range=[0, 1]),
                         height=360, margin=dict(t=30))
    figs["proposals"] = recall
    by_iou = go.Figure()
    for count, values in curves["recall_by_iou"].items():
        by_iou.add_scatter(x=curves["iou_thresholds"], y=[max(v, 0) for v in values], mode="lines+markers",
                           name=f"{count} proposals")
    by_iou.update_layout(xaxis=dict(title="IoU threshold"), yaxis=dict(title="recall", range=[0, 1]), height=360,
                         margin=dict(t=30))
    figs["proposals_iou"] = by_iou

    score = go.Figure()
    for key in ("ap", "ap50", "ar100", "precision50", "recall50", "f1_50"):
        score.add_scatter(x=[r["box_score_thresh"] for r in by_score], y=[max(r[key], 0) for r in by_score],
                          mode="lines+markers", name=key)
    score.update_layout(xaxis=dict(title="box_score_thresh"), yaxis=dict(range=[0, 1]), height=380,
                        margin=dict(t=30))
    figs["score"] = score
    return {name: fig.to_html(full_html=False, include_plotlyjs=False, config=_PLOT_CONFIG)
            for name, fig in figs.items()}


# ---- the worst images ---------------------------------------------------------------------------------------------
def _funnels(dataset: DatasetCapture, model: InspectedModel, names: Sequence[str], settings: dict
             ) -> dict[str, list[dict[str, Any]]]:
    """Each image's ground-truth funnel (inspectors.ground_truth.report): one capture per image."""
    from inspectors import capture
    from inspectors.dataset.manifest import check_same_model, model_identity

    check_same_model(dataset.path, dataset.manifest, model_identity(model))
    out = {}
    for name in names:
        trace = capture(model, dataset.image_path(name))
        report = trace.ground_truth(dataset.image_ground_truth(name), **settings)
        out[name] = [record.to_dict() for record in report.funnel]
    return out


def _image_card(dataset: DatasetCapture, row: dict[str, Any], funnel: Optional[list[dict]], settings: dict) -> str:
    overlay = image_overlay(dataset, row["name"], min_score=max(0.3, settings["box_score_thresh"]), **settings)
    buffer = io.BytesIO()
    Image.fromarray(overlay).save(buffer, format="PNG", optimize=True)
    png = base64.b64encode(buffer.getvalue()).decode()
    ap = "no objects" if row["ap"] < 0 else f"AP {row['ap']:.3f}"
    tide = row.get("tide") or {}
    tide_text = ", ".join(f"{k} {v}" for k, v in tide.items() if v) or "none"
    parts = [f'<div class="card" data-image="{html.escape(row["name"])}">',
             f"<b>{html.escape(row['name'])}</b> — {ap}; {row['objects']} objects, {row['detections']} detections, "
             f"TP {row['tp50']} / FP {row['fp50']} / missed {row['missed50']} at IoU 0.5",
             f'<img alt="{html.escape(row["name"])}" src="data:image/png;base64,{png}">',
             f"<div>TIDE errors: {html.escape(tide_text)}</div>"]
    if funnel is not None:
        head = "".join(f"<th>{s}</th>" for s in FUNNEL_STAGES)
        body = []
        for obj in funnel:
            lost = "detected" if obj["detected"] else f"lost at {obj['lost_at']}"
            cells = "".join(f'<td class="num">{obj["best_iou"].get(s, 0):.2f}</td>' for s in FUNNEL_STAGES)
            body.append(f"<tr><td>{obj['index']}</td><td>{html.escape(obj['name'])}</td><td>{lost}</td>{cells}</tr>")
        parts.append("<details><summary>Funnel: best IoU of each object per stage</summary><table>"
                     f"<tr><th>#</th><th>class</th><th>fate</th>{head}</tr>{''.join(body)}</table></details>")
    parts.append("</div>")
    return "\n".join(parts)


# ---- the page -----------------------------------------------------------------------------------------------------
def _page(dataset: DatasetCapture, metrics, settings: dict, figures: dict[str, str], cards: list[str],
          by_score: list[dict[str, float]], start: int, sweep: Optional[SweepResult], with_funnels: bool) -> str:
    from plotly.offline import get_plotlyjs

    manifest = dataset.manifest
    info = manifest["dataset"]
    summary = "".join(f'<tr><td>{html.escape(label)}</td><td class="num" id="summary-{key}">{value:.4f}</td></tr>'
                      for key, label, value in summary_rows(metrics))
    proposal = "".join(f'<tr><td>{html.escape(k)}</td><td class="num">{v:.4f}</td></tr>'
                       for k, v in metrics.proposal_ar.items())
    classes = "".join(f'<tr><td>{html.escape(r["class"])}</td><td class="num">{r["ap"]:.4f}</td>'
                      f'<td class="num">{r["ap50"]:.4f}</td></tr>' for r in class_rows(metrics))
    tide = "".join(f'<tr><td>{r["type"]}</td><td class="num">{r["count"]}</td><td class="num">{r["dap"]:+.4f}</td></tr>'
                   for r in tide_rows(metrics))
    settings_text = ", ".join(f"{k} = {v}" for k, v in settings.items())
    score_cells = "".join(f'<tr><td>{label}</td><td class="num" id="score-{key}"></td></tr>' for key, label in (
        ("ap", "AP @[.50:.95]"), ("ap50", "AP @0.50"), ("ap75", "AP @0.75"), ("ar100", "AR @100"),
        ("detections", "detections"), ("tp50", "true positives @0.5"), ("fp50", "false positives @0.5"),
        ("fn50", "missed @0.5"), ("precision50", "precision @0.5"), ("recall50", "recall @0.5"),
        ("f1_50", "F1 @0.5")))
    sweep_html = ""
    if sweep is not None:
        kwargs = ", ".join(f"{k}={v!r}" for k, v in sweep.constructor_kwargs.items())
        sweep_html = (f"<h2>Tuned thresholds</h2><p>Best {html.escape(sweep.metric)} = {sweep.best_value:.4f} "
                      f"(model's settings: {sweep.baseline_value:.4f}) over {len(sweep.rows)} settings; changed: "
                      f"{html.escape(str(sweep.changed))}.</p><pre>fasterrcnn_...(..., {html.escape(kwargs)})</pre>")
    funnel_note = ("Each card's funnel shows, per object, the best IoU any box reached at each stage."
                   if with_funnels else "Funnels need the model: run the report with --model.")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>RCNN Lens — dataset report</title>
<style>{_CSS}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head><body>
<h1>RCNN Lens — dataset report</h1>
<p class="meta">Model <b>{html.escape(manifest["model"]["name"])}</b> · {len(dataset)} images
({html.escape(info["source"])} annotations, {len(dataset.class_names)} classes:
{html.escape(", ".join(dataset.class_names))})
· capture {html.escape(manifest["created"])} · thresholds: {html.escape(settings_text)}</p>
<h2>COCO metrics</h2>
<div class="grid"><table id="summary"><tr><th>metric</th><th>value</th></tr>{summary}</table>
<table><tr><th>proposal recall</th><th>value</th></tr>{proposal}</table>
<table><tr><th>class</th><th>AP</th><th>AP50</th></tr>{classes}</table></div>
<h2>Detection score threshold</h2>
<p>Move the slider: the metrics at each score threshold (the other thresholds as above).</p>
<p><input type="range" id="score-slider" min="0" max="{len(by_score) - 1}" step="1" value="{start}">
box_score_thresh = <b id="score-value"></b></p>
<table id="score-table">{score_cells}</table>
<script type="application/json" id="score-data">{json.dumps(by_score)}</script>
<script>{_SLIDER_JS}</script>
{figures["score"]}
<h2>Per-class AP</h2>{figures["classes"]}
<h2>Precision–recall (COCO's interpolated precision)</h2>{figures["pr"]}
<h2>TIDE errors</h2>
<table><tr><th>type</th><th>count</th><th>ΔAP50 if fixed</th></tr>{tide}</table>
{figures.get("tide", "")}
<h2>Proposal recall (COCO AR, classes pooled)</h2>{figures["proposals"]}{figures["proposals_iou"]}
{sweep_html}
<h2>Worst images</h2>
<p class="legend"><span style="color:#28b446">■ ground truth</span>
<span style="color:#286ee6">■ true positive</span>
<span style="color:#e63228">■ false positive</span><span style="color:#969696">■ on a crowd region</span>
(detections drawn from score 0.30). {funnel_note}</p>
<div class="grid">{"".join(cards)}</div>
</body></html>
"""


# ---- diagnosis: confusion matrix, operating points, where objects are lost, anchor fit, two captures ----------------
def _table(head: Sequence[str], rows: Sequence[Sequence[Any]], cls: str = "") -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f'<td class="num">{v:.4f}</td>'
        if isinstance(v, (int, np.integer)):
            return f'<td class="num">{int(v)}</td>'
        return f"<td>{html.escape(str(v))}</td>"

    return (f'<table class="{cls}"><tr>' + "".join(f"<th>{html.escape(str(h))}</th>" for h in head) + "</tr>"
            + "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows) + "</table>")


def diagnosis_html(dataset: DatasetCapture, settings: dict, iou: float = 0.5) -> str:
    """The four single-capture views as HTML sections, each stating the thresholds that made it."""
    settings_text = html.escape(", ".join(f"{k} = {v}" for k, v in settings.items()))
    made = f'<p class="meta">Made at IoU {iou:g} and {settings_text}.</p>'
    cm = dataset.confusion_matrix(iou=iou, **settings)
    confusion = _table(["true \\ predicted", *cm.labels],
                       [[name, *[int(v) for v in row]] for name, row in zip(cm.labels, cm.matrix)], "confusion")
    op = dataset.operating_points(iou=iou, **settings)
    rows = []
    for name, curve in op.curves.items():
        c, f1, p, r = curve.best()
        rows.append([name, "—" if c is None else c, f1, p, r, curve.precision_at_recall(0.5)])
    applied = op.apply()
    operating = (_table(["class", "F1-optimal confidence", "F1", "precision", "recall", "precision at recall 0.5"],
                        rows)
                 + f"<p>With these per-class thresholds: AP {applied.ap_before:.4f} → {applied.ap_after:.4f}, "
                   f"F1 at IoU 0.5 {applied.f1_before:.4f} → {applied.f1_after:.4f}. {html.escape(applied.why)}</p>"
                 + f"<pre>{html.escape(op.code())}</pre>")
    fs = dataset.funnel_summary(iou=iou, **settings)
    recovered = fs.recovered_recall
    funnel = _table(["stage", "objects lost there", "recall if its slider were most permissive"],
                    [[stage or "found", n, recovered.get(stage, "—") if stage else fs.recall]
                     for stage, n in fs.lost.items()])
    by_class = fs.table("class")
    stages = [s for s in fs.lost]
    funnel += _table(["class", *[s or "found" for s in stages]],
                     [[c, *[row.get(s, 0) for s in stages]] for c, row in by_class.items()])
    fit = dataset.anchor_fit()
    suggestion = fit.suggest()
    groups = [[f"{kind}: {name}", v["objects"], v["share_fg"], v["share_low_quality_only"], v["mean_best_iou"]]
              for kind, g in fit.by_group().items() for name, v in g.items() if v["objects"]]
    anchors = (f"<p>{len(fit.best_iou)} ground-truth boxes (model frame). Best anchor IoU ≥ {fit.fg_threshold:g}: "
               f"{fit.share_fg:.1%}; a positive anchor only through the low-quality rule: "
               f"{fit.share_low_quality_only:.1%}. Suggested anchors would reach {suggestion.share_fg:.1%}; new "
               f"anchors mean retraining the RPN.</p>"
               + _table(["group", "objects", f"share ≥ {fit.fg_threshold:g}", "low-quality only", "mean best IoU"],
                        groups) + f"<pre>{html.escape(suggestion.code)}</pre>")
    return (f"<h2>Confusion matrix</h2>{made}<p>Rows: the true class; columns: the predicted one; background last "
            f"(missed objects, detections of nothing).</p>{confusion}"
            f"<h2>Operating points per class</h2>{made}{operating}"
            f"<h2>Where objects are lost</h2>{made}{funnel}"
            f"<h2>Do the anchors fit?</h2><p class=\"meta\">Independent of the thresholds.</p>{anchors}")


def write_comparison_report(a: DatasetCapture, b: DatasetCapture, result: Any, out: Union[str, Path]) -> Path:
    """Two captures side by side: every metric with B − A and its bootstrap interval, per class, per funnel
    stage, and the images that changed most (both pictures)."""
    rows = [[name, result.a[name], result.b[name], result.delta[name],
             f"[{result.ci[name][0]:+.4f}, {result.ci[name][1]:+.4f}]" if name in result.ci else ""]
            for name in result.delta]
    classes = [[c, d, f"[{result.per_class_ci[c][0]:+.4f}, {result.per_class_ci[c][1]:+.4f}]"]
               for c, d in result.per_class_delta.items()]
    stages = [[s or "found", d] for s, d in result.lost_delta.items()]
    cards = []
    for change in result.changed_images:
        pictures = []
        for capture, settings in ((a, result.settings_a), (b, result.settings_b)):
            overlay = image_overlay(capture, change["image"], min_score=max(0.3, settings["box_score_thresh"]),
                                    **settings)
            buffer = io.BytesIO()
            Image.fromarray(overlay).save(buffer, format="PNG", optimize=True)
            pictures.append(f'<img alt="" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">')
        cards.append(f'<div class="card"><b>{html.escape(change["image"])}</b> AP {change["ap_a"]:.3f} → '
                     f'{change["ap_b"]:.3f} ({change["delta"]:+.3f})<div class="grid">{"".join(pictures)}</div></div>')
    text_a = html.escape(", ".join(f"{k} = {v}" for k, v in result.settings_a.items()))
    text_b = html.escape(", ".join(f"{k} = {v}" for k, v in result.settings_b.items()))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>RCNN Lens — two captures</title><style>{_CSS}</style></head><body>
<h1>RCNN Lens — two captures side by side</h1>
<p class="meta">A: {html.escape(result.names[0])} at {text_a}<br>B: {html.escape(result.names[1])} at {text_b}</p>
<h2>Metrics</h2><p>B − A, with a 95 % bootstrap interval over images ({result.draws} draws, the same images for
both).</p>{_table(["metric", "A", "B", "B − A", "95 % CI"], rows)}
<h2>Per class AP</h2>{_table(["class", "B − A", "95 % CI"], classes)}
<h2>Objects lost per funnel stage</h2>{_table(["stage", "B − A"], stages)}
<h2>Images that changed most</h2><div class="grid">{"".join(cards)}</div>
</body></html>
"""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out
