"""COCO metrics of a dataset at one setting of the thresholds, from detections and ground truth arrays.

`DatasetMetrics` holds what COCOeval reports (the twelve summary numbers, the precision / recall arrays), per-class
and per-image AP, proposal recall with COCO's rules on the RPN's proposals (classes pooled, useCats=0), and counts
at IoU 0.5 that a threshold sweep or a gallery can sort by. Values are on COCOeval's 0–1 scale, and -1 where
COCOeval has no value (a class or an image without ground truth that counts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from inspectors.core.json_values import json_safe
from inspectors.evaluation.coco_accumulate import MAX_DETS, Accumulated, accumulate, segment_precision, summarize
from inspectors.evaluation.coco_matching import (
    AREA_RANGES,
    IOU_THRESHOLDS,
    RECALL_THRESHOLDS,
    DetectionSet,
    GroundTruthArrays,
    Matches,
    match,
)
from inspectors.evaluation.masks import Rle, mask_iou
from inspectors.evaluation.masks import area as mask_area

PROPOSAL_MAX_DETS = (100, 1000)  # COCO's proposal metrics: AR@100, AR@1000
PROPOSAL_COUNTS = (1, 10, 20, 50, 100, 200, 300, 500, 700, 1000)  # the recall-vs-number-of-proposals curve
AREA_NAMES = tuple(name for name, _, _ in AREA_RANGES)


@dataclass
class ProposalRecall:
    """COCO recall of the proposals (useCats=0): recall[t, a, c] at IoU t, area range a, the first counts[c]
    proposals of each image; -1 where no object counts."""

    recall: np.ndarray  # (T, A, C)
    counts: tuple[int, ...]
    num_objects: np.ndarray  # (A,) objects that count per area range

    def ar(self, count: int, area: str = "all") -> float:
        values = self.recall[:, AREA_NAMES.index(area), self.counts.index(count)]
        valid = values[values > -1]
        return float(np.mean(valid)) if valid.size else -1.0


@dataclass
class DatasetMetrics:
    settings: dict[str, float]
    ap: float
    ap50: float
    ap75: float
    ap_small: float
    ap_medium: float
    ap_large: float
    ar1: float
    ar10: float
    ar100: float
    ar_small: float
    ar_medium: float
    ar_large: float
    per_class: dict[str, float]  # class name → AP@[.5:.95] (-1: no ground truth)
    per_class_ap50: dict[str, float]
    proposal_ar: dict[str, float]  # "AR@100", "AR@1000", "AR_small@1000", …
    proposal_recall: ProposalRecall
    precision: np.ndarray  # (T, R, K, A, M) as COCOeval.eval["precision"]
    recall: np.ndarray  # (T, K, A, M)
    scores: np.ndarray  # (T, R, K, A, M)
    class_names: tuple[str, ...]
    counts: dict[str, float]  # detections, objects, and tp / fp / fn / precision / recall / f1 at IoU 0.5
    per_image_counts: dict[str, dict[str, int]]  # image name → detections, tp50, fp50, missed50
    iou_thresholds: np.ndarray = field(default_factory=lambda: IOU_THRESHOLDS.copy())
    recall_thresholds: np.ndarray = field(default_factory=lambda: RECALL_THRESHOLDS.copy())
    _tide: Optional[Callable[[], tuple[dict, list]]] = field(default=None, repr=False)
    # image name → AP@[.5:.95] on that image alone (-1: no ground truth): a dict, or a callable giving it on first read
    _per_image: Union[dict[str, float], Callable[[], dict[str, float]], None] = field(default=None, repr=False)
    # Mask R-CNN: the segm metrics at the evaluation's mask threshold (a value, or a callable giving it on first read)
    _segm: Union["SegmMetrics", Callable[[], Optional["SegmMetrics"]], None] = field(default=None, repr=False)
    segm_note: Optional[str] = None  # why there are no segm metrics for a mask model (e.g. annotations without masks)

    @cached_property
    def segm(self) -> Optional["SegmMetrics"]:
        """COCOeval's segm metrics (iouType="segm": mask IoU, mask areas) of the same detections with their masks
        binarised at `segm.mask_thresh`; None for a model without masks (or annotations without them: segm_note).
        Computed on first read, so a slider move that does not read it does not pay it."""
        return self._segm() if callable(self._segm) else self._segm

    @cached_property
    def per_image(self) -> dict[str, float]:
        """Image name → AP@[.5:.95] on that image alone (-1: no ground truth). Computed on first access (one
        accumulation over every (image, class) cell), so a slider move that does not read it does not pay it."""
        return self._per_image() if callable(self._per_image) else dict(self._per_image or {})

    @cached_property
    def _tide_result(self) -> Optional[tuple[dict, list]]:
        return self._tide() if self._tide is not None else None

    @property
    def tide(self) -> Optional[dict[str, dict[str, float]]]:
        """TIDE's error breakdown: type ("cls", "loc", "both", "dupe", "bkg", "miss") → {"count": errors,
        "dap": the AP50 gained by fixing them all}. Computed on first access (a pass over the images)."""
        return None if self._tide_result is None else self._tide_result[0]

    @property
    def tide_per_image(self) -> Optional[dict[str, dict[str, int]]]:
        """Image name → its TIDE error counts."""
        return None if self._tide_result is None else dict(zip(self.per_image_counts, self._tide_result[1]))

    def pr_curve(self, class_name: str, iou: float = 0.5, area: str = "all", max_dets: int = 100
                 ) -> tuple[np.ndarray, np.ndarray]:
        """(recall thresholds, interpolated precision) of one class, as COCOeval computes them (-1: no GT)."""
        t = int(np.flatnonzero(np.isclose(self.iou_thresholds, iou))[0])
        k = self.class_names.index(class_name)
        m = MAX_DETS.index(max_dets)
        return self.recall_thresholds, self.precision[t, :, k, AREA_NAMES.index(area), m]

    @property
    def summary(self) -> dict[str, float]:
        names = ("ap", "ap50", "ap75", "ap_small", "ap_medium", "ap_large", "ar1", "ar10", "ar100", "ar_small",
                 "ar_medium", "ar_large")
        return {name: getattr(self, name) for name in names}

    def metric(self, name: str) -> float:
        """A number by name: a summary key, a proposal_ar key, or a key of `counts` (e.g. "f1_50")."""
        if name in self.summary:
            return self.summary[name]
        if name in self.proposal_ar:
            return self.proposal_ar[name]
        return float(self.counts[name])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (no arrays except the PR curves at IoU 0.5 and 0.75; NaN → None)."""
        curves: dict[str, Any] = {}
        for name in self.class_names:
            for iou in (0.5, 0.75):
                _, p = self.pr_curve(name, iou)
                curves.setdefault(name, {})[f"{iou:.2f}"] = [round(float(v), 6) for v in p]
        return json_safe({
            "settings": self.settings, **self.summary, "per_class": self.per_class,
            "per_class_ap50": self.per_class_ap50, "per_image": self.per_image, "proposal_ar": self.proposal_ar,
            "counts": self.counts, "per_image_counts": self.per_image_counts, "tide": self.tide,
            "tide_per_image": self.tide_per_image,
            "recall_thresholds": [round(float(v), 2) for v in self.recall_thresholds], "pr_curves": curves,
            "segm": None if self.segm is None else self.segm.to_dict(), "segm_note": self.segm_note,
        })


SUMMARY_NAMES = ("ap", "ap50", "ap75", "ap_small", "ap_medium", "ap_large", "ar1", "ar10", "ar100", "ar_small",
                 "ar_medium", "ar_large")


@dataclass
class SegmMetrics:
    """COCOeval with iouType="segm" on the detections' binary masks (mask > mask_thresh): the twelve summary
    numbers on COCOeval's 0–1 scale (-1 where COCOeval has none), per class, and the precision / recall arrays."""

    mask_thresh: float
    ap: float
    ap50: float
    ap75: float
    ap_small: float
    ap_medium: float
    ap_large: float
    ar1: float
    ar10: float
    ar100: float
    ar_small: float
    ar_medium: float
    ar_large: float
    per_class: dict[str, float]
    per_class_ap50: dict[str, float]
    class_names: tuple[str, ...]
    counts: dict[str, float]  # detections, objects, tp50 / fp50 / fn50 / precision50 / recall50 / f1_50 (mask IoU)
    precision: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))  # (T, R, K, A, M)
    recall: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))  # (T, K, A, M)

    @property
    def summary(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in SUMMARY_NAMES}

    def to_dict(self) -> dict[str, Any]:
        return json_safe({"mask_thresh": self.mask_thresh, **self.summary, "per_class": self.per_class,
                          "per_class_ap50": self.per_class_ap50, "counts": self.counts})


def mask_pair_iou(det_masks: Sequence[Rle], gt_masks: Sequence[Rle], dets: DetectionSet, gts: GroundTruthArrays
                  ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The pair IoU that coco_matching.match asks for, from masks: det_masks[i] is DetectionSet row i's mask and
    gt_masks[j] GroundTruthArrays row j's (RLEs of the same image's size). One pycocotools iou call per image."""
    def pair_iou(det: np.ndarray, gt: np.ndarray) -> np.ndarray:
        out = np.zeros(len(det), dtype=np.float64)
        image = gts.image[gt]
        for i in np.unique(image):
            sel = np.flatnonzero(image == i)
            ud, d_pos = np.unique(det[sel], return_inverse=True)
            ug, g_pos = np.unique(gt[sel], return_inverse=True)
            table = mask_iou([det_masks[int(k)] for k in ud], [gt_masks[int(k)] for k in ug], gts.iscrowd[ug])
            out[sel] = table[d_pos.reshape(-1), g_pos.reshape(-1)]
        return out

    return pair_iou


def segm_metrics(dets: DetectionSet, gts: GroundTruthArrays, det_masks: Sequence[Rle], gt_masks: Sequence[Rle],
                 class_names: tuple[str, ...], image_names: tuple[str, ...], mask_thresh: float) -> SegmMetrics:
    """COCOeval(iouType="segm") of detections whose masks are `det_masks` (one RLE per DetectionSet row) against
    objects whose masks are `gt_masks` (one per GroundTruthArrays row; `gts.area` is the annotation's area, as
    COCOeval reads it). A detection's area is its mask's pixel count (pycocotools' loadRes for segm results)."""
    if len(det_masks) != len(dets) or len(gt_masks) != len(gts):
        raise ValueError(f"{len(det_masks)} masks for {len(dets)} detections, {len(gt_masks)} for {len(gts)} objects")
    with_areas = DetectionSet(image=dets.image, category=dets.category, bbox=dets.bbox, score=dets.score,
                              mask_area=mask_area(det_masks))
    num_classes = len(class_names)
    matches = match(with_areas, gts, max_det=MAX_DETS[-1],
                    pair_iou=mask_pair_iou(det_masks, gt_masks, with_areas, gts))
    acc = accumulate(matches, with_areas, gts.category, num_classes)
    stats = summarize(acc)
    p_all = acc.precision[:, :, :, 0, -1]
    counts, _ = _counts_at_50(matches, with_areas, gts, len(image_names))
    return SegmMetrics(
        mask_thresh=float(mask_thresh), **stats,
        per_class={name: _mean_valid(p_all[:, :, k]) for k, name in enumerate(class_names)},
        per_class_ap50={name: _mean_valid(p_all[0, :, k]) for k, name in enumerate(class_names)},
        class_names=tuple(class_names), counts=counts, precision=acc.precision, recall=acc.recall,
    )


# ---- computing them ----------------------------------------------------------------------------------------------
def detection_metrics(dets: DetectionSet, gts: GroundTruthArrays, class_names: tuple[str, ...],
                      image_names: tuple[str, ...], per_image: bool = True, *,
                      known: Optional[tuple[Matches, Optional[Accumulated]]] = None
                      ) -> tuple[Matches, Accumulated, dict[str, Any]]:
    """COCOeval (bbox, maxDets 1/10/100, all four area ranges) plus counts at IoU 0.5, and per-image AP unless
    `per_image` is False (then compute it later with `per_image_ap` on the same matches). `known`: the matches of
    these detections (and their accumulation) when the caller has them already (a score move, see
    dataset.score_moves)."""
    num_classes, num_images = len(class_names), len(image_names)
    matches = known[0] if known is not None else match(dets, gts, max_det=MAX_DETS[-1])
    known_acc = known[1] if known is not None else None
    acc = known_acc if known_acc is not None else accumulate(matches, dets, gts.category, num_classes)
    stats = summarize(acc)
    p_all = acc.precision[:, :, :, 0, -1]
    per_class = {name: _mean_valid(p_all[:, :, k]) for k, name in enumerate(class_names)}
    per_class_ap50 = {name: _mean_valid(p_all[0, :, k]) for k, name in enumerate(class_names)}
    counts, per_image_counts = _counts_at_50(matches, dets, gts, num_images)
    return matches, acc, {
        **stats, "per_class": per_class, "per_class_ap50": per_class_ap50,
        **({"per_image": per_image_ap(matches, dets, gts, num_classes, image_names)} if per_image else {}),
        "counts": counts,
        "per_image_counts": dict(zip(image_names, per_image_counts)),
    }


def _mean_valid(values: np.ndarray) -> float:
    valid = values[values > -1]
    return float(np.mean(valid)) if valid.size else -1.0


def per_image_ap(matches: Matches, dets: DetectionSet, gts: GroundTruthArrays, num_classes: int,
                 image_names: tuple[str, ...]) -> dict[str, float]:
    """Image name → COCOeval's AP with imgIds=[that image] (area all, 100 detections), for every image at once."""
    num_images = len(image_names)
    segment = dets.image[matches.det] * num_classes + dets.category[matches.det]  # matches are in this order
    counted = ~matches.gt_ignored[0]
    npig = np.bincount(gts.image[counted] * num_classes + gts.category[counted], minlength=num_images * num_classes)
    tps = matches.gt[0] >= 0
    ign = matches.det_ignored[0]
    rows_npig = np.repeat(npig[None, :], tps.shape[0], axis=0)
    precision, _, _ = segment_precision(tps & ~ign, ~tps & ~ign, segment, rows_npig, dets.score[matches.det],
                                        num_images * num_classes)
    sums = precision.sum(axis=(0, 1)).reshape(num_images, num_classes)
    valid = (npig > 0).reshape(num_images, num_classes)
    cells = precision.shape[0] * precision.shape[1]
    total = np.where(valid, sums, 0.0).sum(axis=1)
    n = valid.sum(axis=1)
    return {name: float(total[i] / (n[i] * cells)) if n[i] else -1.0 for i, name in enumerate(image_names)}


def _counts_at_50(matches: Matches, dets: DetectionSet, gts: GroundTruthArrays, num_images: int
                  ) -> tuple[dict[str, float], list[dict[str, int]]]:
    """True / false positives and missed objects at IoU 0.5 (area all, 100 detections per class), dataset-wide and
    per image: the operating point of the current score threshold."""
    matched, ignored = matches.at(0, 0)
    tp = (matched >= 0) & ~ignored
    fp = (matched < 0) & ~ignored
    image = dets.image[matches.det]
    counted = ~matches.gt_ignored[0]
    objects = np.bincount(gts.image[counted], minlength=num_images)
    tp_img = np.bincount(image[tp], minlength=num_images)
    fp_img = np.bincount(image[fp], minlength=num_images)
    det_img = np.bincount(image, minlength=num_images)
    n_tp, n_fp, n_obj = int(tp.sum()), int(fp.sum()), int(counted.sum())
    precision = n_tp / (n_tp + n_fp) if n_tp + n_fp else 0.0
    recall = n_tp / n_obj if n_obj else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    counts = {"detections": int(len(matches.det)), "objects": n_obj, "tp50": n_tp, "fp50": n_fp,
              "fn50": n_obj - n_tp, "precision50": precision, "recall50": recall, "f1_50": f1}
    per_image = [{"detections": d, "objects": o, "tp50": t, "fp50": f, "missed50": o - t}
                 for d, o, t, f in zip(det_img.tolist(), objects.tolist(), tp_img.tolist(), fp_img.tolist())]
    return counts, per_image


def proposal_recall(proposals: DetectionSet, gts: GroundTruthArrays, counts: tuple[int, ...] = PROPOSAL_COUNTS
                    ) -> ProposalRecall:
    """COCO recall of class-agnostic proposals (COCOeval with useCats=0), at several numbers of proposals."""
    matches = match(proposals, gts, max_det=max(counts), pooled=True)
    counted = ~matches.gt_ignored  # (A, G)
    num_objects = counted.sum(axis=1)
    found_by = (matches.candidate_gt >= 0) & ~matches.candidate_ignored  # (A, T, C): only candidates can match
    rank = matches.rank[matches.candidate]
    recall = -np.ones((len(IOU_THRESHOLDS), len(AREA_RANGES), len(counts)))
    for c, count in enumerate(counts):
        found = found_by[:, :, rank < count].sum(axis=2).astype(float)  # (A, T)
        for a in range(len(AREA_RANGES)):
            if num_objects[a]:
                recall[:, a, c] = found[a] / num_objects[a]
    return ProposalRecall(recall=recall, counts=tuple(counts), num_objects=num_objects)


def proposal_ar(recall: ProposalRecall) -> dict[str, float]:
    out = {}
    for count in PROPOSAL_MAX_DETS:
        if count in recall.counts:
            out[f"AR@{count}"] = recall.ar(count)
            for area in AREA_NAMES[1:]:
                out[f"AR_{area}@{count}"] = recall.ar(count, area)
    return out
