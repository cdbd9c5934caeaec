"""TIDE's error breakdown over a dataset: how many errors of each type, and how much AP50 fixing them would gain.

Each image's false positives and misses are typed by inspectors.evaluation.tide.classify_errors (the single-image
engine's TIDE, fed from COCO's matching at IoU 0.5, area "all", 100 detections per class). ΔAP of a type follows
TIDE's oracles (Bolya et al., ECCV 2020) as its authors compute them (tidecv's fix_main_errors, not progressive):
fix every error of that type, recompute AP50, subtract the AP50 as it is, and report max(that, 0).
    cls, loc   the detection becomes a true positive (cls: of its object's class) if it is the one best error of its
               object; otherwise it is dropped. TIDE keeps ONE best error per object, shared by the classification
               and the localisation fix (tidecv/errors/error.py, BestGTMatch: the highest-scoring cls or loc error
               that points at an object no detection matched): fixing "cls" drops a cls error whose object's best
               error is a loc error, and the other way round. An object that a true positive already matched takes
               no fix (the error is dropped).
    both, dupe, bkg   the detection is dropped
    miss  the missed object no longer counts
AP50 is COCO's (101-point interpolated precision at IoU 0.5, averaged over classes with ground truth), computed
with the same vectorised accumulation as the metrics, so "fixed" and "as it is" are measured the same way. Two of
tidecv's choices are not followed, because they are float artefacts rather than the method: tidecv's recall grid is
[x / 100 for x in range(101)] where COCO's is linspace(0, 1, 101) (they differ in the last bit at some points, so a
recall of exactly 7/100 can fall on either side), and tidecv re-inserts fixed errors before the true positives at
equal scores (its dict order), where COCO orders equal scores by image. tidecv also averages over classes that have
detections but no ground truth (AP 0); COCO leaves those out, and so does this.
"""

from __future__ import annotations

import numpy as np

from inspectors.evaluation.coco_accumulate import segment_precision
from inspectors.evaluation.coco_matching import DetectionSet, GroundTruthArrays, Matches, box_iou_xywh
from inspectors.evaluation.tide import TIDE_TYPES, classify_errors


def tide_breakdown(dets: DetectionSet, gts: GroundTruthArrays, matches: Matches, num_classes: int,
                   num_images: int) -> tuple[dict[str, dict[str, float]], list[dict[str, int]]]:
    """({type: {"count": errors, "dap": ΔAP50}} for TIDE's six types, each image's error counts)."""
    kept = matches.det  # detections COCO evaluates (100 per image and class), in (image, class, score) order
    image = dets.image[kept]
    category = dets.category[kept]
    score = dets.score[kept]
    matched = matches.gt[0, 0]  # IoU 0.5, area all
    ignored = matches.det_ignored[0, 0]
    tp = (matched >= 0) & ~ignored
    fp = (matched < 0) & ~ignored
    objects = ~gts.iscrowd  # TIDE looks at the objects; crowd regions only silence detections
    gt_used = np.zeros(len(gts), dtype=bool)
    gt_used[matched[tp]] = True

    kind = np.full(len(kept), "", dtype=object)  # TIDE type of each false positive
    target = np.full(len(kept), -1, dtype=np.int64)  # the object a cls / loc / dupe error points at
    missed = []
    per_image = [{kind_name: 0 for kind_name in TIDE_TYPES} for _ in range(num_images)]
    det_start = np.searchsorted(image, np.arange(num_images + 1))  # kept detections are sorted by image
    gt_order = np.argsort(gts.image, kind="stable")
    gt_start = np.searchsorted(gts.image[gt_order], np.arange(num_images + 1))
    for i in range(num_images):
        d = np.arange(det_start[i], det_start[i + 1])
        g = gt_order[gt_start[i]:gt_start[i + 1]]
        g = g[objects[g]]
        if not len(d) and not len(g):
            continue
        ious = box_iou_xywh(np.repeat(dets.bbox[kept[d]], len(g), axis=0), np.tile(gts.bbox[g], (len(d), 1)),
                            np.zeros(len(d) * len(g), dtype=bool)).reshape(len(d), len(g))
        errors = classify_errors(ious, category[d], score[d], fp[d], gts.category[g], gt_used[g])
        for error in errors:
            per_image[i][error.kind] += 1
            if error.detection is None:
                missed.append(int(g[error.gt]))
            else:
                kind[d[error.detection]] = error.kind
                if error.gt is not None:
                    target[d[error.detection]] = int(g[error.gt])

    counted = ~matches.gt_ignored[0]
    npig = np.bincount(gts.category[counted], minlength=num_classes)
    base = _ap50(category, score, image, tp, fp, npig, num_classes)
    out = {}
    for error_type in TIDE_TYPES:
        count = len(missed) if error_type == "miss" else int((kind == error_type).sum())
        if error_type == "miss":
            fixed_npig = npig - np.bincount(gts.category[np.array(missed, dtype=np.int64)], minlength=num_classes)
            fixed = _ap50(category, score, image, tp, fp, fixed_npig, num_classes)
        else:
            fixed = _ap50(*_fix(error_type, kind, target, category, score, image, tp, fp, gts, gt_used), npig,
                          num_classes)
        out[error_type] = {"count": count, "dap": max(fixed - base, 0.0) if base >= 0 and fixed >= 0 else 0.0}
    return out, per_image


def _fix(error_type: str, kind: np.ndarray, target: np.ndarray, category: np.ndarray, score: np.ndarray,
         image: np.ndarray, tp: np.ndarray, fp: np.ndarray, gts: GroundTruthArrays, gt_used: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The detections with every error of `error_type` fixed by TIDE's oracle."""
    keep = np.ones(len(kind), dtype=bool)
    tp, fp, category = tp.copy(), fp.copy(), category.copy()
    chosen = np.flatnonzero(kind == error_type)
    if error_type in ("cls", "loc"):
        # TIDE's one best error per object, over the cls AND loc errors pointing at it (highest score; ties: the
        # first in TIDE's order, score descending inside an image)
        either = np.flatnonzero(((kind == "cls") | (kind == "loc")) & (target >= 0))
        best: dict[int, int] = {}
        for d in either[np.lexsort((either, -score[either]))]:
            g = int(target[d])
            if not gt_used[g] and g not in best:
                best[g] = int(d)
        for d in chosen:
            g = int(target[d])
            if gt_used[g] or best.get(g) != int(d):
                keep[d] = False
                continue
            category[d] = gts.category[g]
            tp[d], fp[d] = True, False
    else:
        keep[chosen] = False
    return category[keep], score[keep], image[keep], tp[keep], fp[keep]


def _ap50(category: np.ndarray, score: np.ndarray, image: np.ndarray, tp: np.ndarray, fp: np.ndarray,
          npig: np.ndarray, num_classes: int) -> float:
    """COCO's AP at IoU 0.5 (area all) of detections marked tp / fp (neither: ignored), -1 without ground truth."""
    rank = np.arange(len(score))  # ties between images keep image order, inside an image the current order
    order = np.lexsort((rank, image, -score, category))
    precision, _, _ = segment_precision(tp[order][None], fp[order][None], category[order], npig[None], score[order],
                                num_classes)
    valid = precision[precision > -1]
    return float(valid.mean()) if valid.size else -1.0
