"""Operating points per class: precision, recall and F1 against confidence, the confidence that maximises F1, and
what per-class confidence thresholds would give.

A confidence c keeps the detections with score ≥ c. Detections are matched to objects with COCO's matching at IoU
`iou` (area "all", every detection of the image and class evaluated, crowd regions silencing what they absorb),
which is greedy in score order: raising c removes a suffix of each (image, class) group's score-ordered list and
the matches of the boxes kept do not change. So one matching gives every point of every curve: walk the
detections by decreasing score, counting true and false positives, and read precision = TP / (TP + FP), recall =
TP / objects, F1 = 2PR / (P + R) at the end of each run of equal scores (detections of equal score are kept or
dropped together). The F1-optimal confidence of a class is the score at which F1 is largest (ties: the highest
such score, i.e. the fewest detections); "all" does the same with every class together.

AP and F1 answer different questions: AP averages precision over every recall level, i.e. over every confidence,
so it only ever loses from a threshold (dropping low-scoring true positives shortens the PR curve; dropping false
positives below the last true positive changes nothing). F1 is one point of the curve: a higher threshold that
drops many false positives raises it. `apply()` reports both for per-class thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

import numpy as np

from inspectors.evaluation.coco_matching import DetectionSet, GroundTruthArrays, match


@dataclass
class Curve:
    confidence: np.ndarray  # distinct scores, decreasing
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    objects: int

    def __getitem__(self, key: str) -> np.ndarray:  # curves["person"]["precision"]
        return getattr(self, key)

    def best(self) -> tuple[Optional[float], float, float, float]:
        """(confidence, F1, precision, recall) at the largest F1 (None when there is no detection)."""
        if not len(self.f1):
            return None, 0.0, 0.0, 0.0
        i = int(np.argmax(self.f1))  # first maximum = highest confidence
        return float(self.confidence[i]), float(self.f1[i]), float(self.precision[i]), float(self.recall[i])

    def precision_at_recall(self, recall: float) -> float:
        """The best precision at a recall ≥ `recall` (0 if never reached)."""
        ok = self.recall >= recall
        return float(self.precision[ok].max()) if ok.any() else 0.0


@dataclass
class PerClassThresholds:
    """What applying per-class confidence thresholds (a post-filter) gives, beside the detections as they are."""

    thresholds: dict[str, float]
    ap_before: float
    ap_after: float
    ap50_before: float
    ap50_after: float
    f1_before: float
    f1_after: float
    per_class_ap_before: dict[str, float]
    per_class_ap_after: dict[str, float]
    why: str = ("AP is computed over every confidence, so a threshold can only shorten the precision-recall curve: "
                "AP stays or falls. F1 is measured at one confidence, so dropping false positives raises it.")


@dataclass
class OperatingPoints:
    curves: dict[str, Curve]  # class name (and "all") → its curve
    best_f1_confidence: dict[str, Optional[float]]
    best_f1: dict[str, float]
    iou: float
    settings: dict[str, float]  # the seven thresholds that made the detections
    classes: tuple[str, ...]
    _apply: Optional[Callable[[Mapping[str, float]], PerClassThresholds]] = field(default=None, repr=False)

    def precision_at_recall(self, recall: float) -> dict[str, float]:
        return {name: curve.precision_at_recall(recall) for name, curve in self.curves.items()}

    def apply(self, thresholds: Optional[Mapping[str, float]] = None) -> PerClassThresholds:
        """AP and F1 before and after keeping only detections with score ≥ the class's threshold (default: the
        F1-optimal ones)."""
        if thresholds is None:
            thresholds = {k: v for k, v in self.best_f1_confidence.items() if k != "all" and v is not None}
        assert self._apply is not None
        return self._apply(thresholds)

    def code(self, thresholds: Optional[Mapping[str, float]] = None) -> str:
        """Python to paste after a torchvision detector: a per-class confidence filter (torchvision itself has one
        box_score_thresh for every class)."""
        if thresholds is None:
            thresholds = {k: v for k, v in self.best_f1_confidence.items() if k != "all" and v is not None}
        lines = [f"# per-class confidence thresholds (F1-optimal at IoU {self.iou:g}; made at "
                 + ", ".join(f"{k}={_fmt(v)}" for k, v in self.settings.items()) + ")",
                 "PER_CLASS_THRESHOLD = {"]
        lines += [f"    {name!r}: {float(value):.4f}," for name, value in thresholds.items()]
        lines += ["}", "", "", "def per_class_filter(output, categories):",
                  '    """Keep a torchvision detection only if its score reaches its class\'s threshold."""',
                  "    import torch",
                  "    names = [categories[int(i)] for i in output[\"labels\"]]",
                  "    keep = torch.tensor([s >= PER_CLASS_THRESHOLD.get(n, 0.0)",
                  "                         for s, n in zip(output[\"scores\"].tolist(), names)], dtype=torch.bool)",
                  "    return {k: v[keep] for k, v in output.items()}",
                  "", "# outputs = [per_class_filter(o, categories) for o in model(images)]"]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"iou": self.iou, "settings": self.settings, "best_f1_confidence": self.best_f1_confidence,
                "best_f1": self.best_f1}


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def evaluated_flags(dets: DetectionSet, gts: GroundTruthArrays, iou: float) -> tuple[np.ndarray, np.ndarray,
                                                                                      np.ndarray]:
    """(detection indices evaluated, true positive, false positive) with COCO's matching at `iou`, every
    detection of an (image, class) evaluated; ignored detections are neither."""
    matches = match(dets, gts, max_det=max(len(dets), 1), iou_thresholds=np.array([float(iou)]))
    matched = matches.gt[0, 0]
    ignored = matches.det_ignored[0, 0]
    return matches.det, (matched >= 0) & ~ignored, (matched < 0) & ~ignored


def curve_of(score: np.ndarray, tp: np.ndarray, fp: np.ndarray, objects: int) -> Curve:
    order = np.argsort(-score, kind="stable")
    s, t, f = score[order], tp[order].astype(np.int64), fp[order].astype(np.int64)
    counted = t + f > 0
    s, t, f = s[counted], t[counted], f[counted]
    if not len(s):
        z = np.zeros(0)
        return Curve(z, z, z, z, objects)
    ends = np.flatnonzero(np.append(s[1:] != s[:-1], True))  # last detection of each run of equal scores
    tp_c, fp_c = np.cumsum(t)[ends].astype(float), np.cumsum(f)[ends].astype(float)
    precision = tp_c / (tp_c + fp_c)
    recall = tp_c / objects if objects else np.zeros_like(tp_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return Curve(s[ends].astype(float), precision, recall, f1, objects)


def operating_points(dets: DetectionSet, gts: GroundTruthArrays, classes: tuple[str, ...], iou: float,
                     settings: dict[str, float],
                     apply: Optional[Callable[[Mapping[str, float]], PerClassThresholds]] = None) -> OperatingPoints:
    det, tp, fp = evaluated_flags(dets, gts, iou)
    category, score = dets.category[det], dets.score[det]
    counted = ~gts.iscrowd
    objects = np.bincount(gts.category[counted], minlength=len(classes))
    curves = {name: curve_of(score[category == k], tp[category == k], fp[category == k], int(objects[k]))
              for k, name in enumerate(classes)}
    curves["all"] = curve_of(score, tp, fp, int(objects.sum()))
    best = {name: curve.best() for name, curve in curves.items()}
    return OperatingPoints(curves=curves, best_f1_confidence={k: b[0] for k, b in best.items()},
                           best_f1={k: b[1] for k, b in best.items()}, iou=float(iou), settings=dict(settings),
                           classes=tuple(classes), _apply=apply)


def keep_per_class(dets: DetectionSet, classes: tuple[str, ...], thresholds: Mapping[str, float]) -> np.ndarray:
    """(D,) bool: the detection's score reaches its class's threshold (classes without one keep everything)."""
    unknown = set(thresholds) - set(classes)
    if unknown:
        raise KeyError(f"unknown class(es) {sorted(unknown)}; classes: {', '.join(classes)}")
    cut = np.array([float(thresholds.get(name, -np.inf)) for name in classes] or [0.0])
    return dets.score >= cut[dets.category] if len(dets) else np.zeros(0, dtype=bool)


def filter_per_class(dets: DetectionSet, classes: tuple[str, ...], thresholds: Mapping[str, float]) -> DetectionSet:
    keep = keep_per_class(dets, classes, thresholds)
    return DetectionSet(image=dets.image[keep], category=dets.category[keep], bbox=dets.bbox[keep],
                        score=dets.score[keep])
