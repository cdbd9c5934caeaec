"""What a dataset view shows, as plain data: tables, curves, the worst images, an image with its boxes drawn.

UI-free (numpy and PIL only): the HTML report (reports/dataset_report.py) and a UI tab build their figures from
these, with their own labels. Every number comes from DatasetMetrics; nothing is recomputed here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Sequence, Union

import numpy as np
from PIL import Image, ImageDraw

from inspectors.dataset.store import xyxy_to_xywh
from inspectors.evaluation.coco_matching import DetectionSet, GroundTruthArrays, match
from inspectors.evaluation.metrics import AREA_NAMES, DatasetMetrics

if TYPE_CHECKING:
    from inspectors.dataset.store import DatasetCapture  # noqa: F401

# The twelve COCO numbers in COCOeval.summarize's order, with COCO's own names.
SUMMARY_LABELS: tuple[tuple[str, str], ...] = (
    ("ap", "AP @[IoU=0.50:0.95]"), ("ap50", "AP @[IoU=0.50]"), ("ap75", "AP @[IoU=0.75]"),
    ("ap_small", "AP small"), ("ap_medium", "AP medium"), ("ap_large", "AP large"),
    ("ar1", "AR maxDets=1"), ("ar10", "AR maxDets=10"), ("ar100", "AR maxDets=100"),
    ("ar_small", "AR small"), ("ar_medium", "AR medium"), ("ar_large", "AR large"),
)
COLORS = {"gt": (40, 180, 70), "tp": (40, 110, 230), "fp": (230, 50, 40), "ignored": (150, 150, 150)}


def summary_rows(metrics: DatasetMetrics) -> list[tuple[str, str, float]]:
    """(key, COCO label, value) for the twelve summary numbers."""
    return [(key, label, float(getattr(metrics, key))) for key, label in SUMMARY_LABELS]


def class_rows(metrics: DatasetMetrics) -> list[dict[str, Any]]:
    """Per class: AP@[.5:.95] and AP@0.5 (-1: no ground truth)."""
    return [{"class": name, "ap": metrics.per_class[name], "ap50": metrics.per_class_ap50[name]}
            for name in metrics.class_names]


def pr_curves(metrics: DatasetMetrics, iou: float = 0.5, area: str = "all") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """class → (recall thresholds, interpolated precision) at IoU `iou`; classes without ground truth left out."""
    out = {}
    for name in metrics.class_names:
        recall, precision = metrics.pr_curve(name, iou, area)
        if (precision > -1).all():
            out[name] = (recall, precision)
    return out


def proposal_curves(metrics: DatasetMetrics) -> dict[str, Any]:
    """Proposal recall: AR vs number of proposals per area range, and recall vs IoU at 100 and 1000 proposals."""
    recall = metrics.proposal_recall
    by_count = {area: [recall.ar(c, area) for c in recall.counts] for area in AREA_NAMES}
    by_iou = {}
    for count in (100, 1000):
        if count in recall.counts:
            by_iou[count] = recall.recall[:, AREA_NAMES.index("all"), recall.counts.index(count)].tolist()
    return {"counts": list(recall.counts), "ar_by_count": by_count, "iou_thresholds": metrics.iou_thresholds.tolist(),
            "recall_by_iou": by_iou}


def tide_rows(metrics: DatasetMetrics) -> list[dict[str, Any]]:
    """TIDE's types with their counts and ΔAP50 (empty when TIDE is not available)."""
    tide = metrics.tide or {}
    return [{"type": kind, "count": int(v["count"]), "dap": float(v["dap"])} for kind, v in tide.items()]


def worst_images(metrics: DatasetMetrics, n: int = 12) -> list[dict[str, Any]]:
    """The n images with the lowest AP (images without ground truth last, by false positives), worst first."""
    def key(name: str) -> tuple:
        ap = metrics.per_image[name]
        counts = metrics.per_image_counts[name]
        return (ap < 0, ap, -counts["fp50"] - counts["missed50"], name)

    names = sorted(metrics.per_image, key=key)[:n]
    tide = metrics.tide_per_image or {}
    return [{"name": name, "ap": metrics.per_image[name], **metrics.per_image_counts[name],
             "tide": tide.get(name)} for name in names]


def image_overlay(dataset: "DatasetCapture", key: Union[int, str], *, max_side: Optional[int] = 640,
                  min_score: float = 0.0, **thresholds: Any) -> np.ndarray:
    """The image with its ground truth (green) and its detections at `thresholds`: true positives at IoU 0.5 in
    blue, false positives in red, detections on crowd regions in grey, each labelled with class and score.
    `min_score` only thins the drawing (the statuses are those of the full evaluation)."""
    replay = dataset.replay(key, **thresholds)
    status = detection_status(dataset, key, **thresholds)
    image = Image.open(dataset.image_path(key)).convert("RGB")
    scale = 1.0
    if max_side and max(image.size) > max_side:
        scale = max_side / max(image.size)
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(image)
    gt = replay.ground_truth
    for (x, y, w, h), crowd in zip(gt.bbox, gt.iscrowd):
        draw.rectangle([x * scale, y * scale, (x + w) * scale, (y + h) * scale],
                       outline=COLORS["ignored" if crowd else "gt"], width=2)
    det = replay.detections
    for box, name, score, state in zip(det.boxes.numpy(), det.names, det.scores.numpy(), status):
        if score < min_score:
            continue
        x0, y0, x1, y1 = (float(v) * scale for v in box)
        color = COLORS[state]
        draw.rectangle([x0, y0, x1, y1], outline=color, width=2)
        label = f"{name} {score:.2f}"
        draw.rectangle([x0, y0, x0 + 6 * len(label) + 4, y0 + 11], fill=color)
        draw.text((x0 + 2, y0), label, fill=(255, 255, 255))
    return np.asarray(image)


def detection_status(dataset: "DatasetCapture", key: Union[int, str], **thresholds: Any) -> list[str]:
    """Per detection of the image at `thresholds`: "tp" / "fp" at IoU 0.5 (COCO's matching, area all), "ignored"
    (on a crowd region), or "fp" for classes the dataset does not evaluate."""
    index = dataset.index_of(key)
    replay = dataset.replay(index, **thresholds)
    det = replay.detections
    classes = dataset.evaluated_class(det.labels.numpy())
    evaluated = np.flatnonzero(classes >= 0)
    gt = replay.ground_truth
    gt_class = dataset.category_class(gt.category_id)
    known = gt_class >= 0
    dets = DetectionSet(image=np.zeros(len(evaluated), np.int64), category=classes[evaluated],
                        bbox=xyxy_to_xywh(det.boxes.numpy()[evaluated]),
                        score=det.scores.numpy()[evaluated].astype(np.float64))
    gts = GroundTruthArrays(image=np.zeros(int(known.sum()), np.int64), category=gt_class[known],
                            bbox=gt.bbox[known], area=gt.area[known], iscrowd=gt.iscrowd[known])
    matches = match(dets, gts, max_det=10**9, iou_thresholds=np.array([0.5]), area_ranges=(("all", 0.0, 1e10),))
    status = ["fp"] * len(det)
    for d, gt_index, ignored in zip(matches.det, matches.gt[0, 0], matches.det_ignored[0, 0]):
        status[int(evaluated[d])] = "ignored" if ignored else ("tp" if gt_index >= 0 else "fp")
    return status


def metrics_by_score(dataset: "DatasetCapture", scores: Sequence[float], **fixed: Any) -> list[dict[str, float]]:
    """The summary numbers and the IoU-0.5 operating point at each detection score threshold."""
    rows = []
    for score in scores:
        m = dataset.evaluate(**{**fixed, "box_score_thresh": float(score)})
        rows.append({"box_score_thresh": float(score), **m.summary,
                     **{k: float(m.counts[k]) for k in ("detections", "tp50", "fp50", "fn50", "precision50",
                                                        "recall50", "f1_50")}})
    return rows
