"""A box-score slider move over a dataset without matching again: the page's score slider on the fast path.

COCO's matching is greedy in score order inside each (image, class), and raising the score threshold keeps a
prefix of each image's detections (torchvision filters by score before NMS, and NMS and the per-image cut only
look at higher-scored boxes first). So at a higher threshold the detections are the lower threshold's with score
above it, each keeps its match, and AP / AR / the precision curves come from the ScoreSlider built once on the
lower threshold's matches (coco_accumulate.ScoreSlider) — no matching, no accumulation.

The one thing that could break the prefix is float rounding: torchvision's batched NMS shifts each image's boxes by
its largest coordinate, which can change with the threshold. So the fast path is taken only when the detections
computed at the new threshold (detection_set, itself cut from the lower threshold's candidates and NMS; see
roi.batched_postprocess) are exactly the lower threshold's restricted to score > threshold; otherwise the plain
evaluation runs. Either way the numbers are the plain evaluation's (tests/test_dataset_score_moves.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Hashable, Optional

import numpy as np

from inspectors.core.lru import BoundedCache
from inspectors.core.thresholds import THRESHOLD_KEYS
from inspectors.evaluation.coco_accumulate import Accumulated, ScoreSlider
from inspectors.evaluation.coco_matching import DetectionSet, GroundTruthArrays, Matches, prepare

SCORE_BASES = 4  # settings of the other six sliders whose lowest-score evaluation is kept


@dataclass
class ScoreBase:
    """An evaluation at the lowest box score threshold seen for one setting of the other six thresholds."""

    score: float
    dets: DetectionSet
    matches: Matches
    num_classes: int
    gt_category: np.ndarray
    slider: Optional[ScoreSlider] = None

    def accumulated(self, score: float) -> Accumulated:
        if self.slider is None:  # built on the first move up from this base
            self.slider = ScoreSlider(self.matches, self.dets, self.gt_category, self.num_classes)
        return self.slider.accumulate_at(score)


def restrict(dets: DetectionSet, matches: Matches, score: float) -> tuple[DetectionSet, Matches]:
    """The detections with score > `score` (compared in float32, as the model compares them) and their matches."""
    return restrict_to(dets, matches, dets.score.astype(np.float32) > np.float32(score))


def restrict_to(dets: DetectionSet, matches: Matches, keep: np.ndarray) -> tuple[DetectionSet, Matches]:
    """The detections where `keep` and their matches, for a `keep` that keeps the highest-scored detections of
    every (image, class) (a score threshold, one per class or for all): COCO's matching visits a group's
    detections by decreasing score, so the ones kept take what they took before."""
    new_index = np.cumsum(keep) - 1
    kept = DetectionSet(image=dets.image[keep], category=dets.category[keep], bbox=dets.bbox[keep],
                        score=dets.score[keep])
    mine = keep[matches.det]  # positions (in the matches' order) still there
    new_position = np.cumsum(mine) - 1
    cand = mine[matches.candidate]
    return kept, Matches(det=new_index[matches.det[mine]], rank=matches.rank[mine], gt_ignored=matches.gt_ignored,
                         max_iou=matches.max_iou[mine], candidate=new_position[matches.candidate[cand]],
                         candidate_gt=matches.candidate_gt[:, :, cand],
                         candidate_ignored=matches.candidate_ignored[:, :, cand], outside=matches.outside[:, mine])


def rematch_changed(before: DetectionSet, matched: Matches, dets: DetectionSet, gts: GroundTruthArrays,
                    max_det: int) -> Matches:
    """match(dets, gts), knowing `matched` = match(before, gts): COCO matches each (image, class) on its own, so an
    image whose detections are the same as before keeps its matches, and only the others are matched again (a
    box-NMS or detections-per-image move changes a part of the images). Both sets are image after image."""
    num_images = int(max(before.image.max(initial=-1), dets.image.max(initial=-1))) + 1
    old_count = np.bincount(before.image, minlength=num_images)
    new_count = np.bincount(dets.image, minlength=num_images)
    old_start = np.cumsum(old_count) - old_count
    new_start = np.cumsum(new_count) - new_count
    same = old_count == new_count
    # rows of images with as many detections as before, aligned with their old rows: compared value by value
    aligned = same[dets.image]
    rows = np.flatnonzero(aligned)
    old_rows = old_start[dets.image[rows]] + (rows - new_start[dets.image[rows]])
    equal = ((before.category[old_rows] == dets.category[rows]) & (before.score[old_rows] == dets.score[rows])
             & (before.bbox[old_rows] == dets.bbox[rows]).all(axis=1))
    differs = np.bincount(dets.image[rows[~equal]], minlength=num_images) > 0
    unchanged = same & ~differs
    # the old matches of unchanged images, their detections renumbered
    kept = unchanged[before.image[matched.det]]
    kept_det = matched.det[kept]
    kept_new = new_start[before.image[kept_det]] + (kept_det - old_start[before.image[kept_det]])
    # the changed images matched again, but for the (image, class) groups whose candidates are as before
    changed_rows = np.flatnonzero(~unchanged[dets.image])
    changed = DetectionSet(image=dets.image[changed_rows], category=dets.category[changed_rows],
                           bbox=dets.bbox[changed_rows], score=dets.score[changed_rows])
    sub = _match_reusing_groups(before, matched, ~unchanged, changed, gts, max_det)
    det = np.concatenate([kept_new, changed_rows[sub.det]])
    group = dets.image[det] * (int(dets.category.max(initial=0)) + 1) + dets.category[det]
    order = np.argsort(group, kind="stable")  # each group lies in one part, in rank order: merge by group
    is_cand = np.zeros(len(det), dtype=bool)
    column = np.full(len(det), -1, dtype=np.int64)
    kept_cand = kept[matched.candidate]
    old_position = np.cumsum(kept) - 1
    first = old_position[matched.candidate[kept_cand]]
    second = len(kept_new) + sub.candidate
    is_cand[first], is_cand[second] = True, True
    column[first] = np.arange(len(first))
    column[second] = len(first) + np.arange(len(second))
    cand_gt = np.concatenate([matched.candidate_gt[:, :, kept_cand], sub.candidate_gt], axis=2)
    cand_ign = np.concatenate([matched.candidate_ignored[:, :, kept_cand], sub.candidate_ignored], axis=2)
    columns = column[order][is_cand[order]]
    return Matches(det=det[order], rank=np.concatenate([matched.rank[kept], sub.rank])[order],
                   gt_ignored=matched.gt_ignored,
                   max_iou=np.concatenate([matched.max_iou[kept], sub.max_iou])[order],
                   candidate=np.flatnonzero(is_cand[order]), candidate_gt=cand_gt[:, :, columns],
                   candidate_ignored=cand_ign[:, :, columns],
                   outside=np.concatenate([matched.outside[:, kept], sub.outside], axis=1)[:, order])


def _match_reusing_groups(before: DetectionSet, matched: Matches, changed_image: np.ndarray, dets: DetectionSet,
                          gts: GroundTruthArrays, max_det: int) -> Matches:
    """match(dets, gts) for detections of the images where `changed_image`, knowing `matched` = match(before, gts).

    Only candidates (detections overlapping an object of their group by the lowest IoU threshold) can match, and
    COCO matches each (image, class) group on its own, its detections one after the other by rank: the candidates
    of a group that are, from its first on, the same boxes as before (a box-NMS move mostly adds or removes boxes
    that overlap no object, or that come after the best ones) match as before, whatever the group's other
    detections. They take their old results; the greedy matching runs for the rest of each group only, from the
    objects those took."""
    prepared = prepare(dets, gts, max_det=max_det)
    num_classes = int(max(before.category.max(initial=-1), dets.category.max(initial=-1),
                          gts.category.max(initial=-1))) + 1
    num_groups = (len(changed_image) + 1) * num_classes
    old_cols = np.flatnonzero(changed_image[before.image[matched.det[matched.candidate]]])
    old_det = matched.det[matched.candidate[old_cols]]  # (group, rank) order, as the new candidates
    new_det = prepared.det[prepared.candidate]
    old_group = before.image[old_det] * num_classes + before.category[old_det]
    new_group = dets.image[new_det] * num_classes + dets.category[new_det]
    old_count = np.bincount(old_group, minlength=num_groups)
    new_count = np.bincount(new_group, minlength=num_groups)
    old_start = np.cumsum(old_count) - old_count
    new_start = np.cumsum(new_count) - new_count
    index = np.arange(len(new_det)) - new_start[new_group]  # the candidate's place in its group
    rows = np.flatnonzero(index < old_count[new_group])  # candidates with an old one at the same place
    old_rows = old_start[new_group[rows]] + index[rows]
    equal = np.zeros(len(new_det), dtype=bool)
    equal[rows] = ((before.bbox[old_det[old_rows]] == dets.bbox[new_det[rows]]).all(axis=1)
                   & (before.score[old_det[old_rows]] == dets.score[new_det[rows]]))
    # reused: every candidate of its group up to it is the same as before
    differ = np.cumsum(~equal)
    first = new_start[new_group]  # the first candidate of its group
    reused = differ - differ[first] + ~equal[first] == 0
    take = reused[rows]
    known_gt = np.full(matched.candidate_gt.shape[:2] + (len(new_det),), -1, dtype=np.int64)
    known_ignored = np.zeros(known_gt.shape, dtype=bool)
    known_gt[:, :, rows[take]] = matched.candidate_gt[:, :, old_cols[old_rows[take]]]
    known_ignored[:, :, rows[take]] = matched.candidate_ignored[:, :, old_cols[old_rows[take]]]
    return prepared.matches(~reused, known_gt, known_ignored)


def same_detections(a: DetectionSet, b: DetectionSet) -> bool:
    return (len(a) == len(b) and np.array_equal(a.image, b.image) and np.array_equal(a.category, b.category)
            and np.array_equal(a.score, b.score) and np.array_equal(a.bbox, b.bbox))


class ScoreMoves:
    """Per setting of the other six thresholds, the evaluation at the lowest score threshold seen: a later
    evaluation at a higher score threshold restricts its matches and reads the ScoreSlider."""

    def __init__(self) -> None:
        self.bases: BoundedCache[Hashable, ScoreBase] = BoundedCache(SCORE_BASES)
        # the last few evaluations' detections and matches, by the seven thresholds (DatasetCapture.matches)
        self.matches: BoundedCache[tuple, tuple[DetectionSet, Matches]] = BoundedCache(SCORE_BASES)

    @staticmethod
    def _other(settings: dict[str, Any]) -> Hashable:
        return tuple(settings[k] for k in THRESHOLD_KEYS if k != "box_score_thresh")

    def known(self, settings: dict[str, Any], dets: DetectionSet) -> Optional[tuple[Matches, Accumulated]]:
        """(matches, accumulation) of `dets` (the detections at `settings`) from a lower score threshold's
        evaluation, or None when there is none or the detections are not its prefix."""
        score = float(settings["box_score_thresh"])
        base = self.bases.get(self._other(settings))
        if base is None or not base.score < score:
            return None
        kept, matches = restrict(base.dets, base.matches, score)
        if not same_detections(kept, dets):
            return None
        return matches, base.accumulated(score)

    def previous(self, settings: dict[str, Any]) -> Optional[tuple[DetectionSet, Matches]]:
        """The last evaluation kept with the same RPN settings and box score threshold (another box-NMS or
        detections-per-image setting): most of its images have the same detections."""
        same = [k for k in THRESHOLD_KEYS if k not in ("box_nms_thresh", "box_detections_per_img")]
        for key in reversed(list(self.matches)):
            known = dict(zip(THRESHOLD_KEYS, key))
            if all(known[k] == settings[k] for k in same):
                return self.matches.peek(key)
        return None

    def remember(self, settings: dict[str, Any], dets: DetectionSet, matches: Matches, gts: GroundTruthArrays,
                 num_classes: int, plain: bool) -> None:
        """Keep the evaluation's matches; a plain one also as the base of its other six thresholds if its score
        threshold is the lowest."""
        self.matches.put(tuple(settings[k] for k in THRESHOLD_KEYS), (dets, matches))
        if not plain:
            return
        key = self._other(settings)
        score = float(settings["box_score_thresh"])
        base = self.bases.peek(key)
        if base is None or score < base.score:
            self.bases.put(key, ScoreBase(score, dets, matches, num_classes, gts.category))
