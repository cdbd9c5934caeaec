"""The dataset-mode command line: capture, evaluate, sweep, report.

    python lens_dataset.py demo --n 100                        # make the demo dataset (cached), print its paths
    python lens_dataset.py capture runs/val --demo 100         # capture the demo dataset with the demo model
    python lens_dataset.py capture runs/mine --images val/ --annotations val.json \\
        --model fasterrcnn_resnet50_fpn --checkpoint my.pth --labels labels.txt [--engine ray]
    python lens_dataset.py evaluate runs/val --box-score-thresh 0.3 --rpn-nms-thresh 0.6 [--json]
    python lens_dataset.py sweep runs/val --metric f1_50 [--grid box_score_thresh=0.1,0.3,0.5] [--json]
    python lens_dataset.py report runs/val --out report.html [--box-score-thresh 0.3] [--sweep-metric f1_50]
    python lens_dataset.py diagnose runs/val [--iou 0.5] [--view confusion operating funnel anchors] [--json]
    python lens_dataset.py compare runs/a runs/b [--box-score-thresh 0.3] [--b-box-score-thresh 0.5] [--json]
        [--html compare.html]

Errors a user can fix (a missing file, a wrong threshold, a capture made with another model) print one line and
exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Optional, Sequence

from inspectors.core.errors import LensError
from inspectors.core.models import TRAINED_FROM
from inspectors.core.thresholds import THRESHOLDS


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except LensError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


# ---- commands -----------------------------------------------------------------------------------------------------
def cmd_demo(args) -> None:
    from inspectors import demo_dataset

    images, annotations = demo_dataset(args.n, args.root, progress=not args.quiet)
    print(json.dumps({"images": str(images), "annotations": str(annotations)}))


def cmd_capture(args) -> None:
    from inspectors import capture_dataset

    if args.demo:
        from inspectors import demo_dataset

        images, annotations = demo_dataset(args.demo, args.demo_root, progress=not args.quiet)
    elif args.images and args.annotations:
        images, annotations = args.images, args.annotations
    else:
        raise SystemExit("capture needs --demo N, or --images and --annotations")
    model = _load_model(args)
    dataset = capture_dataset(model, images, annotations, args.out, engine=args.engine, progress=not args.quiet,
                              max_pre_nms_top_n=args.max_pre_nms_top_n, threads=args.threads,
                              ray_address=args.ray_address, num_workers=args.workers,
                              mask_score_floor=args.mask_score_floor)
    capture = dataset.manifest["capture"]
    print(f"captured {len(dataset)} images into {dataset.path} "
          f"({capture['record_bytes'] / len(dataset) / 1024:.0f} KiB per image; "
          f"{capture['runs'][-1]['images']} captured now in {capture['runs'][-1]['seconds']:.1f} s)")
    if dataset.has_masks:
        print(f"with masks: the mask logits of every box scoring above {dataset.mask_score_floor:g}")


def cmd_evaluate(args) -> None:
    from inspectors import DatasetCapture

    dataset = DatasetCapture.open(args.capture)
    metrics = dataset.evaluate(mask_thresh=args.mask_thresh, **_thresholds(args))
    if args.export_detections:
        Path(args.export_detections).write_text(json.dumps(dataset.coco_results(**metrics.settings)))
    if args.json:
        print(json.dumps(metrics.to_dict(), indent=1))
        return
    from inspectors.dataset.views import class_rows, summary_rows, tide_rows, worst_images

    print(f"{dataset.model_name} on {len(dataset)} images · "
          + ", ".join(f"{k}={v}" for k, v in metrics.settings.items()))
    for _, label, value in summary_rows(metrics):
        print(f"  {label:22s} {value:7.4f}")
    print("  proposals: " + "  ".join(f"{k} {v:.4f}" for k, v in metrics.proposal_ar.items()))
    c = metrics.counts
    print(f"  at IoU 0.5: {c['detections']} detections, TP {c['tp50']}, FP {c['fp50']}, missed {c['fn50']}, "
          f"precision {c['precision50']:.4f}, recall {c['recall50']:.4f}, F1 {c['f1_50']:.4f}")
    print("per class (AP, AP50): " + "; ".join(f"{r['class']} {r['ap']:.4f} {r['ap50']:.4f}"
                                              for r in class_rows(metrics)))
    print("TIDE (count, ΔAP50): " + "; ".join(f"{r['type']} {r['count']} {r['dap']:+.4f}" for r in tide_rows(metrics)))
    for line in segm_lines(metrics):
        print(line)
    if args.worst:
        print(f"worst {args.worst} images by AP:")
        for row in worst_images(metrics, args.worst):
            print(f"  {row['name']}: AP {row['ap']:.4f}, TP {row['tp50']}, FP {row['fp50']}, "
                  f"missed {row['missed50']}")


def segm_lines(metrics: Any) -> list[str]:
    """A Mask R-CNN capture's mask metrics (COCO segm), or why they are missing; nothing for a box model."""
    from inspectors.dataset.views import summary_rows

    segm = metrics.segm
    if segm is None:
        return [] if metrics.segm_note is None else [f"masks (segm): not computed: {metrics.segm_note}"]
    lines = [f"masks (COCO segm, mask threshold {segm.mask_thresh:g}):"]
    lines += [f"  {label:22s} {value:7.4f}" for _, label, value in summary_rows(segm)[:6]]
    lines.append("per class (mask AP, AP50): " + "; ".join(
        f"{name} {segm.per_class[name]:.4f} {segm.per_class_ap50[name]:.4f}" for name in segm.class_names))
    return lines


def cmd_sweep(args) -> None:
    from inspectors import DatasetCapture
    from inspectors.dataset.sweep import sweep

    dataset = DatasetCapture.open(args.capture)
    result = sweep(dataset, args.metric, grid=_grid(args.grid) if args.grid else None, fixed=_thresholds(args),
                   progress=not args.quiet)
    if args.json:
        print(json.dumps({"metric": result.metric, "best_value": result.best_value, "best": result.best,
                          "baseline_value": result.baseline_value, "changed": result.changed,
                          "constructor_kwargs": result.constructor_kwargs,
                          "rows": [{"settings": s, "value": v} for s, v in result.rows]}, indent=1))
        return
    print(f"best {result.metric} = {result.best_value:.4f} (the model's settings: {result.baseline_value:.4f}) "
          f"over {len(result.rows)} settings")
    print("changed: " + (", ".join(f"{k}={v}" for k, v in result.changed.items()) or "nothing"))
    print("as torchvision constructor arguments:")
    print("  " + ", ".join(f"{k}={v!r}" for k, v in result.constructor_kwargs.items()))


def cmd_report(args) -> None:
    from inspectors import DatasetCapture
    from reports.dataset_report import write_report

    dataset = DatasetCapture.open(args.capture)
    model = None
    if not args.no_funnels and (args.model or dataset.model_name == "demo"):
        model = _load_model(args, default=dataset.model_name)
    result = None
    if args.sweep_metric:
        from inspectors.dataset.sweep import sweep

        result = sweep(dataset, args.sweep_metric, fixed=_thresholds(args), progress=not args.quiet)
    out = write_report(dataset, args.out, worst=args.worst, model=model, sweep=result, progress=not args.quiet,
                       mask_thresh=args.mask_thresh, **_thresholds(args))
    print(f"wrote {out} ({out.stat().st_size / 2**20:.1f} MiB)")


DIAGNOSIS_VIEWS = ("confusion", "operating", "funnel", "anchors")


def cmd_diagnose(args) -> None:
    from inspectors import DatasetCapture

    dataset = DatasetCapture.open(args.capture)
    thresholds = _thresholds(args)
    views = args.view or list(DIAGNOSIS_VIEWS)
    out: dict[str, Any] = {"settings": dataset.settings(**thresholds), "iou": args.iou}
    if "confusion" in views:
        out["confusion"] = dataset.confusion_matrix(iou=args.iou, **thresholds)
    if "operating" in views:
        out["operating"] = dataset.operating_points(iou=args.iou, **thresholds)
    if "funnel" in views:
        out["funnel"] = dataset.funnel_summary(iou=args.iou, **thresholds)
    if "anchors" in views:
        out["anchors"] = dataset.anchor_fit()
    if args.json:
        print(json.dumps(_diagnosis_json(out), indent=1))
        return
    print(f"{dataset.model_name} on {len(dataset)} images · IoU {args.iou:g} · "
          + ", ".join(f"{k}={v}" for k, v in out["settings"].items()))
    for line in diagnosis_lines(out):
        print(line)


def _diagnosis_json(out: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {"settings": out["settings"], "iou": out["iou"]}
    if "confusion" in out:
        result["confusion"] = out["confusion"].to_dict()
    if "operating" in out:
        op = out["operating"]
        applied = op.apply()
        result["operating"] = {**op.to_dict(), "per_class_thresholds": {
            "thresholds": applied.thresholds, "ap_before": applied.ap_before, "ap_after": applied.ap_after,
            "f1_before": applied.f1_before, "f1_after": applied.f1_after, "why": applied.why}, "code": op.code()}
    if "funnel" in out:
        result["funnel"] = out["funnel"].to_dict()
    if "anchors" in out:
        fit = out["anchors"]
        suggestion = fit.suggest()
        result["anchors"] = {**fit.to_dict(), "suggestion": {
            "sizes": [list(s) for s in suggestion.sizes], "aspect_ratios": [list(r) for r in suggestion.aspect_ratios],
            "share_fg": suggestion.share_fg, "code": suggestion.code}}
    return result


def diagnosis_lines(out: dict[str, Any]) -> list[str]:
    """The views as text (what `diagnose` prints)."""
    lines: list[str] = []
    if "confusion" in out:
        cm = out["confusion"]
        width = max(len(n) for n in cm.labels) + 2
        lines.append(f"\nconfusion matrix at IoU > {cm.iou:g} (rows: true class, columns: predicted; background last)")
        lines.append(" " * width + "".join(f"{n[:10]:>11s}" for n in cm.labels))
        for name, row in zip(cm.labels, cm.matrix):
            lines.append(f"{name:<{width}s}" + "".join(f"{int(v):11d}" for v in row))
    if "operating" in out:
        op = out["operating"]
        lines.append(f"\noperating points at IoU {op.iou:g} (confidence that maximises F1; keep score ≥ it)")
        for name, curve in op.curves.items():
            c, f1, p, r = curve.best()
            lines.append(f"  {name:16s} " + ("no detection" if c is None else
                                            f"confidence {c:.4f}  F1 {f1:.4f}  precision {p:.4f}  recall {r:.4f}"))
        applied = op.apply()
        lines.append(f"  per-class thresholds: AP {applied.ap_before:.4f} → {applied.ap_after:.4f}, "
                     f"F1@0.5 {applied.f1_before:.4f} → {applied.f1_after:.4f}. {applied.why}")
        lines.append("  as code:")
        lines += ["    " + line for line in op.code().splitlines()]
    if "funnel" in out:
        fs = out["funnel"]
        lines.append(f"\nwhere objects are lost (IoU {fs.iou:g}; {len(fs.objects)} objects, recall {fs.recall:.4f})")
        recovered = fs.recovered_recall
        for stage, n in fs.lost.items():
            extra = f"   recall if its slider were most permissive: {recovered[stage]:.4f}" \
                if stage in recovered else ""
            lines.append(f"  {stage or 'found':20s} {n:6d}{extra}")
    if "anchors" in out:
        fit = out["anchors"]
        suggestion = fit.suggest()
        lines.append(f"\nanchor fit: {len(fit.best_iou)} boxes; best anchor IoU ≥ {fit.fg_threshold:g} for "
                     f"{fit.share_fg:.1%}, a positive anchor only through the low-quality rule for "
                     f"{fit.share_low_quality_only:.1%}")
        for kind, groups in fit.by_group().items():
            lines.append(f"  by {kind}: " + "; ".join(f"{g} {v['objects']} objects {v['share_fg']:.1%}"
                                                     for g, v in groups.items() if v["objects"]))
        lines.append(f"  suggested (k-means, 1 − IoU): would reach {suggestion.share_fg:.1%} (now {fit.share_fg:.1%});"
                     " new anchors mean retraining the RPN")
        lines += ["    " + line for line in suggestion.code.splitlines()]
    return lines


def cmd_compare(args) -> None:
    from inspectors import DatasetCapture, compare_captures

    a, b = DatasetCapture.open(args.a), DatasetCapture.open(args.b)
    thresholds = _thresholds(args)
    thresholds_b = {spec.key: getattr(args, "b_" + spec.key) for spec in THRESHOLDS
                    if getattr(args, "b_" + spec.key, None) is not None}
    result = compare_captures(a, b, draws=args.draws, thresholds_b=thresholds_b or None, **thresholds)
    if args.html:
        from reports.dataset_report import write_comparison_report

        path = write_comparison_report(a, b, result, args.html)
        print(f"wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), indent=1))
        return
    for line in comparison_lines(result):
        print(line)


def comparison_lines(result) -> list[str]:
    lines = [f"A = {result.names[0]} ({', '.join(f'{k}={v}' for k, v in result.settings_a.items())})",
             f"B = {result.names[1]} ({', '.join(f'{k}={v}' for k, v in result.settings_b.items())})",
             f"{'metric':14s} {'A':>9s} {'B':>9s} {'B − A':>9s}   95% CI over images ({result.draws} draws)"]
    for name, delta in result.delta.items():
        ci = result.ci.get(name)
        ci_text = f"[{ci[0]:+.4f}, {ci[1]:+.4f}]" if ci else ""
        lines.append(f"{name:14s} {result.a[name]:9.4f} {result.b[name]:9.4f} {delta:+9.4f}   {ci_text}")
    lines.append("per class AP: " + "; ".join(f"{c} {d:+.4f} [{result.per_class_ci[c][0]:+.4f}, "
                                              f"{result.per_class_ci[c][1]:+.4f}]"
                                              for c, d in result.per_class_delta.items()))
    lines.append("objects lost per stage, B − A: " + ", ".join(f"{s or 'found'} {d:+d}"
                                                               for s, d in result.lost_delta.items() if d))
    lines.append("images that changed most (AP A → B):")
    lines += [f"  {c['image']}: {c['ap_a']:.4f} → {c['ap_b']:.4f} ({c['delta']:+.4f})" for c in result.changed_images]
    return lines


# ---- arguments ----------------------------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lens_dataset.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="make the offline demo dataset (cached) and print its paths")
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--root", default=None, help="cache folder (default: $RCNN_LENS_CACHE or ~/.cache/rcnn-lens)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=cmd_demo)

    p = sub.add_parser("capture", help="capture a dataset once (resumable)")
    p.add_argument("out", help="the capture folder (new, or an unfinished capture to resume)")
    p.add_argument("--demo", type=int, default=0, metavar="N", help="the first N scenes of the demo dataset")
    p.add_argument("--demo-root", default=None)
    p.add_argument("--images", help="an image folder (searched recursively)")
    p.add_argument("--annotations", help="a COCO JSON file or a Pascal VOC folder")
    _model_arguments(p)
    p.add_argument("--engine", default="local", choices=("local", "ray"))
    p.add_argument("--ray-address", default=None, help="join a running Ray cluster (default: start a local one)")
    p.add_argument("--workers", type=int, default=None, help="Ray actors (default: CPUs / threads, or GPUs)")
    p.add_argument("--threads", type=int, default=None, help="intra-op threads per worker (default: torch's)")
    p.add_argument("--max-pre-nms-top-n", type=int, default=None,
                   help="the largest per-level pre-NMS top-n to replay (default: the model's; disk grows with it)")
    p.add_argument("--mask-score-floor", type=float, default=None,
                   help="Mask R-CNN: store the masks of boxes scoring above this (default min(0.05, the model's "
                        "score threshold)); segm metrics follow every score threshold at or above it")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=cmd_capture)

    p = sub.add_parser("evaluate", help="COCO metrics at given thresholds")
    p.add_argument("capture")
    _threshold_arguments(p)
    p.add_argument("--json", action="store_true", help="everything as JSON (curves, per image, TIDE)")
    p.add_argument("--worst", type=int, default=5, help="list the N worst images (0: none)")
    p.add_argument("--export-detections", metavar="FILE", help="also write the detections as COCO results JSON")
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser("sweep", help="the thresholds that maximise a metric")
    p.add_argument("capture")
    p.add_argument("--metric", default="ap", help="ap, ap50, ap75, ar100, f1_50, precision50, recall50, AR@1000, …")
    p.add_argument("--grid", nargs="*", metavar="NAME=V1,V2", help="the grid (default: score × box NMS)")
    _threshold_arguments(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=cmd_sweep)

    p = sub.add_parser("report", help="a self-contained HTML report")
    p.add_argument("capture")
    p.add_argument("--out", default="dataset_report.html")
    p.add_argument("--worst", type=int, default=12)
    p.add_argument("--sweep-metric", default=None, help="also sweep for this metric and show the tuned thresholds")
    p.add_argument("--no-funnels", action="store_true", help="do not run the model for the worst images' funnels")
    _model_arguments(p, required=False)
    _threshold_arguments(p)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=cmd_report)

    p = sub.add_parser("diagnose", help="confusion matrix, operating points, where objects are lost, anchor fit")
    p.add_argument("capture")
    p.add_argument("--iou", type=float, default=0.5, help="IoU that makes a match (confusion, operating, funnel)")
    p.add_argument("--view", nargs="*", choices=DIAGNOSIS_VIEWS, help="the views to show (default: all)")
    _threshold_arguments(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_diagnose)

    p = sub.add_parser("compare", help="two captures of the same dataset side by side (B − A, bootstrap CI)")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--draws", type=int, default=200, help="bootstrap draws over images")
    _threshold_arguments(p)
    for spec in THRESHOLDS:  # B at other settings (one capture at two settings: pass it twice)
        p.add_argument("--b-" + spec.key.replace("_", "-"), dest="b_" + spec.key, type=int if spec.integer else float,
                       default=None, help=f"{spec.key} for B only")
    p.add_argument("--json", action="store_true")
    p.add_argument("--html", metavar="FILE", help="also write the comparison as a self-contained HTML page")
    p.set_defaults(run=cmd_compare)
    return parser


def _model_arguments(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--model", default="demo" if required else None,
                   help="demo (default), fasterrcnn_resnet50_fpn, …" if required else
                   "the capture's model, for the funnels (default: demo captures only)")
    p.add_argument("--weights", default="DEFAULT", help="DEFAULT (COCO) or none (random init)")
    p.add_argument("--checkpoint", default=None, help="a fine-tuned state dict")
    p.add_argument("--labels", default=None, help="class names, one per line")
    p.add_argument("--trained-from", default="auto", choices=TRAINED_FROM,
                   help="how --checkpoint's training started (its backbone normalisation): coco, imagenet, scratch; "
                        "auto (default) reads BatchNorm counters from the checkpoint and otherwise assumes coco")
    p.add_argument("--device", default="auto")


def _threshold_arguments(p: argparse.ArgumentParser) -> None:
    for spec in THRESHOLDS:
        p.add_argument("--" + spec.key.replace("_", "-"), dest=spec.key, type=int if spec.integer else float,
                       default=None, help=f"{spec.help} (model default {spec.torchvision_default:g} in torchvision)")
    p.add_argument("--mask-thresh", type=float, default=0.5,
                   help="Mask R-CNN: a mask pixel counts when its probability is above this (default 0.5)")


def _thresholds(args) -> dict[str, Any]:
    return {spec.key: getattr(args, spec.key) for spec in THRESHOLDS if getattr(args, spec.key, None) is not None}


def _grid(items: Sequence[str]) -> dict[str, list[float]]:
    grid = {}
    for item in items:
        name, _, values = item.partition("=")
        grid[name.strip()] = [float(v) for v in values.split(",") if v.strip()]
    return grid


def _load_model(args, default: str = "demo"):
    from inspectors import load_model

    name = args.model or default
    weights = None if str(args.weights).lower() == "none" else args.weights
    return load_model(name, weights=weights, checkpoint=args.checkpoint, categories=args.labels,
                      device=args.device, trained_from=args.trained_from)
