"""Two captures of the same dataset side by side (two checkpoints, two recipes, or one model at two settings):
every metric with its difference b − a, a bootstrap confidence interval over images, per class, per funnel stage,
and the images that changed most.

The differences are those of the two evaluations (`a.evaluate(**thresholds)`, `b.evaluate(**thresholds)`). The
interval resamples images with replacement (the same draw for both captures, so their pairing is kept) and
recomputes AP, AP50, AP75, AR@100 and F1 at IoU 0.5 on each draw. Matching is per (image, class), so a drawn
image's matches are its matches in the full evaluation; a draw only changes how many times each image counts.
Each draw is then COCO's accumulation with those counts as weights (runs of an image's copies have the same
precision envelope, so the weighted sums give COCO's values on the resampled set up to the order of equal
scores across images).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from inspectors.core.errors import InputError
from inspectors.evaluation.coco_accumulate import MAX_DETS
from inspectors.evaluation.coco_matching import (
    IOU_THRESHOLDS,
    RECALL_THRESHOLDS,
    DetectionSet,
    GroundTruthArrays,
    match,
)

if TYPE_CHECKING:
    from inspectors.dataset.store import DatasetCapture

CI_METRICS = ("ap", "ap50", "ap75", "ar100", "f1_50")
BOOTSTRAP_DRAWS = 200


@dataclass
class Comparison:
    delta: dict[str, float]  # metric name (as DatasetMetrics names them) → b − a
    ci: dict[str, tuple[float, float]]  # metric name → 95 % bootstrap interval of b − a
    a: dict[str, float]
    b: dict[str, float]
    per_class_delta: dict[str, float]  # class → AP difference
    per_class_ci: dict[str, tuple[float, float]]
    lost_delta: dict[Optional[str], int]  # funnel stage → objects lost there in b − in a
    changed_images: list[dict[str, Any]]  # the images whose AP changed most: name, ap_a, ap_b, delta
    settings_a: dict[str, float]
    settings_b: dict[str, float]
    draws: int
    names: tuple[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"names": list(self.names), "settings_a": self.settings_a, "settings_b": self.settings_b,
                "delta": self.delta, "ci": {k: list(v) for k, v in self.ci.items()}, "a": self.a, "b": self.b,
                "per_class_delta": self.per_class_delta,
                "per_class_ci": {k: list(v) for k, v in self.per_class_ci.items()},
                "lost_delta": {str(k): v for k, v in self.lost_delta.items()},
                "changed_images": self.changed_images, "draws": self.draws}


def compare_captures(a: "DatasetCapture", b: "DatasetCapture", *, draws: int = BOOTSTRAP_DRAWS, seed: int = 0,
                     top: int = 8, thresholds_b: Optional[dict[str, float]] = None,
                     **thresholds: Any) -> Comparison:
    """b − a at `thresholds` (each capture's own model values for what is not given; `thresholds_b` overrides
    them for b, to compare one capture at two settings)."""
    if tuple(a.names) != tuple(b.names):
        raise InputError("dataset.compare_different_images", a=str(a.path), b=str(b.path))
    if tuple(a.class_names) != tuple(b.class_names):
        raise InputError("dataset.compare_different_classes", a=str(a.path), b=str(b.path))
    th_b = {**thresholds, **(thresholds_b or {})}
    ma, mb = a.evaluate(**thresholds), b.evaluate(**th_b)
    names = sorted(set(ma.summary) | set(ma.counts) | set(ma.proposal_ar))
    va = {n: float(ma.metric(n)) for n in names}
    vb = {n: float(mb.metric(n)) for n in names}
    delta = {n: vb[n] - va[n] for n in names}
    per_class_delta = {c: mb.per_class[c] - ma.per_class[c] for c in ma.per_class}

    weights = np.random.default_rng(seed).multinomial(len(a), np.full(len(a), 1.0 / len(a)), size=draws) \
        if len(a) else np.zeros((draws, 0))
    gts = a.ground_truth()
    sa = _Weighted(a.detection_set(**thresholds), gts, len(a.class_names))
    sb = _Weighted(b.detection_set(**th_b), b.ground_truth(), len(b.class_names))
    da = np.array([sa.values(w) for w in weights])  # (draws, metrics + classes)
    db = np.array([sb.values(w) for w in weights])
    diff = db - da
    with np.errstate(invalid="ignore"):
        low, high = np.nanpercentile(diff, 2.5, axis=0), np.nanpercentile(diff, 97.5, axis=0)
    ci = {name: (float(low[i]), float(high[i])) for i, name in enumerate(CI_METRICS)}
    per_class_ci = {name: (float(low[len(CI_METRICS) + k]), float(high[len(CI_METRICS) + k]))
                    for k, name in enumerate(a.class_names)}

    fa, fb = a.funnel_summary(**thresholds), b.funnel_summary(**th_b)
    lost_delta = {s: fb.lost.get(s, 0) - fa.lost.get(s, 0) for s in dict.fromkeys([*fa.lost, *fb.lost])}
    changes: list[dict[str, Any]] = []
    for name in a.names:
        pa, pb = ma.per_image[name], mb.per_image[name]
        if pa < 0 and pb < 0:
            continue
        changes.append({"image": name, "ap_a": pa, "ap_b": pb, "delta": pb - pa,
                        "counts_a": ma.per_image_counts[name], "counts_b": mb.per_image_counts[name]})
    changes.sort(key=lambda c: (-abs(c["delta"]), c["image"]))
    return Comparison(delta=delta, ci=ci, a=va, b=vb, per_class_delta=per_class_delta, per_class_ci=per_class_ci,
                      lost_delta=lost_delta, changed_images=changes[:top], settings_a=dict(ma.settings),
                      settings_b=dict(mb.settings), draws=draws, names=(str(a.path), str(b.path)))


class _Weighted:
    """COCO's AP / AR (area all, 100 detections) and F1 at IoU 0.5 with a weight per image."""

    def __init__(self, dets: DetectionSet, gts: GroundTruthArrays, num_classes: int) -> None:
        matches = match(dets, gts, max_det=MAX_DETS[-1])
        self.num_classes = num_classes
        order = np.lexsort((matches.rank, dets.image[matches.det], -dets.score[matches.det],
                            dets.category[matches.det]))
        gt = matches.gt[0][:, order]  # (T, D) area "all"
        ign = matches.det_ignored[0][:, order]
        self.tp = (gt >= 0) & ~ign
        self.fp = (gt < 0) & ~ign
        self.image = dets.image[matches.det][order]
        self.category = dets.category[matches.det][order]
        counted = ~matches.gt_ignored[0]
        self.gt_image, self.gt_category = gts.image[counted], gts.category[counted]
        self.start = np.searchsorted(self.category, np.arange(num_classes))
        self.end = np.searchsorted(self.category, np.arange(num_classes), side="right")

    def values(self, weight: np.ndarray) -> list[float]:
        k = self.num_classes
        w = weight[self.image].astype(float)
        npig = np.bincount(self.gt_category, weights=weight[self.gt_image], minlength=k)
        tp_c = np.cumsum(self.tp * w, axis=1)
        fp_c = np.cumsum(self.fp * w, axis=1)
        before = np.where(self.start > 0, self.start - 1, 0)
        base_tp = np.where(self.start > 0, tp_c[:, before], 0.0)  # (T, K)
        base_fp = np.where(self.start > 0, fp_c[:, before], 0.0)
        seg = self.category
        tp = tp_c - base_tp[:, seg]
        fp = fp_c - base_fp[:, seg]
        pr = tp / (tp + fp + np.spacing(1))
        # right-to-left envelope inside each class (offsets keep classes apart)
        num_t = tp.shape[0]
        env = np.maximum.accumulate((pr + 2.0 * (k - seg))[:, ::-1], axis=1)[:, ::-1] - 2.0 * (k - seg)
        rec = tp / np.maximum(npig[seg], 1e-12)
        key = rec + 2.0 * seg  # increasing inside a class; classes apart
        ap = np.full((num_t, k), np.nan)
        ar = np.full((num_t, k), np.nan)
        for t in range(num_t):
            pos = np.searchsorted(key[t], (2.0 * np.arange(k))[:, None] + RECALL_THRESHOLDS[None, :], side="left")
            inside = pos < self.end[:, None]
            q = np.where(inside, env[t, np.minimum(pos, max(len(seg) - 1, 0))], 0.0) if len(seg) else \
                np.zeros((k, len(RECALL_THRESHOLDS)))
            ap[t] = q.mean(axis=1)
            last = np.where(self.end > self.start, tp[t, np.maximum(self.end - 1, 0)] if len(seg) else 0.0, 0.0)
            ar[t] = last / np.maximum(npig, 1e-12)
        valid = npig > 0
        ap[:, ~valid] = np.nan
        ar[:, ~valid] = np.nan
        t50, t75 = (int(np.flatnonzero(np.isclose(IOU_THRESHOLDS, v))[0]) for v in (0.5, 0.75))
        n_tp = float((self.tp[t50] * w).sum())
        n_fp = float((self.fp[t50] * w).sum())
        n_obj = float(npig.sum())
        p = n_tp / (n_tp + n_fp) if n_tp + n_fp else 0.0
        r = n_tp / n_obj if n_obj else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        with np.errstate(invalid="ignore"):
            out = [np.nanmean(ap), np.nanmean(ap[t50]), np.nanmean(ap[t75]), np.nanmean(ar), f1]
            out += list(np.nanmean(ap, axis=0))
        return [float(v) for v in out]
