"""TIDE's error types for one image (Bolya et al., ECCV 2020; the `tidecv` tool), as pure numpy.

Every false positive gets one type, tested in the tool's order (tidecv/quantify.py, TIDERun._eval_image), with
foreground IoU t_f = 0.5 and background IoU t_b = 0.1:
    loc   right class, t_b ≤ IoU ≤ t_f with an object of that class (would be right if localised better)
    cls   IoU ≥ t_f with an object of another class (would be right with the right class)
    dupe  IoU ≥ t_f with an object of its class that a higher-scoring detection already matched
    bkg   IoU ≤ t_b with every object (fired on background)
    both  anything else (wrong class and poorly localised; the tool's OtherError, shown as "Both")
An object no detection matched is a miss unless a loc or cls error points at it (then fixing that error would
find it, so TIDE does not count it twice). True positives and ignored detections come from COCO's matching
(inspectors.evaluation.matching) rather than TIDE's own greedy pass; the two agree except for ties and crowd regions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

TIDE_TYPES = ("cls", "loc", "both", "dupe", "bkg", "miss")
TIDE_FOREGROUND_IOU = 0.5
TIDE_BACKGROUND_IOU = 0.1


@dataclass(frozen=True)
class TideError:
    kind: str  # one of TIDE_TYPES
    detection: Optional[int]  # index of the false positive (None for a miss)
    gt: Optional[int]  # the object it concerns (loc / cls / dupe: the object it overlaps; miss: the missed one)
    iou: float  # the IoU behind the decision (0 for a miss)


def classify_errors(
    ious: np.ndarray,
    det_labels: np.ndarray,
    det_scores: np.ndarray,
    det_false_positive: np.ndarray,
    gt_labels: np.ndarray,
    gt_matched: np.ndarray,
    *,
    foreground_iou: float = TIDE_FOREGROUND_IOU,
    background_iou: float = TIDE_BACKGROUND_IOU,
) -> list[TideError]:
    """TIDE types of the false positives (in descending score order) and then of the missed objects.

    `ious` is (D, G) between detections and the objects to find (ignore regions left out), `det_false_positive`
    marks detections that COCO's matching counted as false positives, `gt_matched` objects that a detection
    matched (true positives) at `foreground_iou`."""
    ious = np.asarray(ious, dtype=np.float64).reshape(len(det_labels), len(gt_labels))
    same = np.asarray(det_labels).reshape(-1, 1) == np.asarray(gt_labels).reshape(1, -1)
    used = np.asarray(gt_matched, dtype=bool).reshape(1, -1)
    cls_iou = ious * same
    noncls_iou = ious * ~same
    used_cls_iou = ious * same * used
    usable = np.zeros(len(gt_labels), dtype=bool)
    errors: list[TideError] = []
    order = np.argsort(-np.asarray(det_scores, dtype=np.float64), kind="mergesort")
    for d in order:
        if not det_false_positive[d]:
            continue
        if len(gt_labels) == 0:
            errors.append(TideError("bkg", int(d), None, 0.0))
            continue
        g = int(cls_iou[d].argmax())
        if background_iou <= cls_iou[d, g] <= foreground_iou:
            usable[g] |= not used[0, g]
            errors.append(TideError("loc", int(d), g, float(cls_iou[d, g])))
            continue
        g = int(noncls_iou[d].argmax())
        if noncls_iou[d, g] >= foreground_iou:
            usable[g] |= not used[0, g]
            errors.append(TideError("cls", int(d), g, float(noncls_iou[d, g])))
            continue
        g = int(used_cls_iou[d].argmax())
        if used_cls_iou[d, g] >= foreground_iou:
            errors.append(TideError("dupe", int(d), g, float(used_cls_iou[d, g])))
            continue
        g = int(ious[d].argmax())
        if ious[d, g] <= background_iou:
            errors.append(TideError("bkg", int(d), None, float(ious[d, g])))
            continue
        errors.append(TideError("both", int(d), g, float(ious[d, g])))
    for g in range(len(gt_labels)):
        if not used[0, g] and not usable[g]:
            errors.append(TideError("miss", None, g, 0.0))
    return errors


def count_errors(errors: list[TideError]) -> dict[str, int]:
    counts = {kind: 0 for kind in TIDE_TYPES}
    for e in errors:
        counts[e.kind] += 1
    return counts
