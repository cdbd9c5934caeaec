"""COCO's detection-to-ground-truth matching (pycocotools COCOeval.evaluateImg), vectorised over a whole dataset.

COCOeval matches each (image, class) on its own: detections by decreasing score (ties: input order), each takes the
still-free ground truth with the highest IoU ≥ the threshold (ties: the later one), preferring objects that are not
ignored (crowd, or outside the area range) over ignored ones; crowd regions can absorb any number of detections.
It is sequential in the detections of one group, so we walk the groups' detections rank by rank — all groups, all
IoU thresholds and all area ranges at once — and only for detections that overlap some object by at least the
lowest threshold (the others can match nothing). IoU is computed from [x, y, w, h] in float64 with pycocotools'
own formula, so the decisions are the same bit for bit.

With `pooled=True` the classes are ignored (COCOeval's useCats=0), as for proposal recall.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Optional, Sequence

import numpy as np

IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
RECALL_THRESHOLDS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
AreaRanges = Sequence[tuple[str, float, float]]  # (name, lowest area, highest area), as COCOeval's areaRng
AREA_RANGES: tuple[tuple[str, float, float], ...] = (
    ("all", 0.0, 1e5**2), ("small", 0.0, 32.0**2), ("medium", 32.0**2, 96.0**2), ("large", 96.0**2, 1e5**2),
)


@dataclass
class DetectionSet:
    """Detections of many images, concatenated (any order inside an image; ties keep this order)."""

    image: np.ndarray  # (D,) int64 image position (0..N-1, the evaluation's image order)
    category: np.ndarray  # (D,) int64 class index (0..K-1)
    bbox: np.ndarray  # (D, 4) float64 [x, y, w, h]
    score: np.ndarray  # (D,) float64
    # (D,) what the area ranges read, when not the box's: a segm result's mask area (pycocotools' loadRes)
    mask_area: Optional[np.ndarray] = None

    @property
    def area(self) -> np.ndarray:
        return self.bbox[:, 2] * self.bbox[:, 3] if self.mask_area is None else self.mask_area

    def __len__(self) -> int:
        return int(self.score.shape[0])


@dataclass
class GroundTruthArrays:
    """Ground truth of many images, concatenated in annotation order."""

    image: np.ndarray  # (G,) int64
    category: np.ndarray  # (G,) int64 class index
    bbox: np.ndarray  # (G, 4) float64 [x, y, w, h]
    area: np.ndarray  # (G,) float64 annotation area
    iscrowd: np.ndarray  # (G,) bool: ignore regions (crowd)

    def __len__(self) -> int:
        return int(self.image.shape[0])

    def ignored(self, area_ranges: AreaRanges = AREA_RANGES) -> np.ndarray:
        """(A, G): COCOeval's gtIgnore per area range (a crowd region, or an area outside the range)."""
        return np.stack([self.iscrowd | (self.area < lo) | (self.area > hi) for _, lo, hi in area_ranges])


@dataclass
class Matches:
    """COCOeval's evaluateImg results for every kept detection, in (image, class, score) order.

    Only detections that overlap some object by the lowest threshold can match; their results are stored
    (`candidate_*`), the rest are unmatched by construction. `gt` and `det_ignored` give the dense arrays."""

    det: np.ndarray  # (D',) index into the DetectionSet of each kept detection
    rank: np.ndarray  # (D',) its rank in its (image, class) group (0 = highest score)
    gt_ignored: np.ndarray  # (A, G) bool: COCOeval's gtIgnore
    max_iou: np.ndarray  # (D',) the detection's best IoU with an object of its group (0 if none)
    candidate: np.ndarray  # (C,) positions (into det) of the detections that can match
    candidate_gt: np.ndarray  # (A, T, C) the ground truth each matched (index into GroundTruthArrays), -1 if none
    candidate_ignored: np.ndarray  # (A, T, C) matched to an ignored object (crowd, or outside the area range)
    outside: np.ndarray  # (A, D') the detection's area is outside the range

    @cached_property
    def gt(self) -> np.ndarray:
        """(A, T, D') the matched ground truth of every kept detection, -1 if none."""
        out = np.full(self.outside.shape[:1] + self.candidate_gt.shape[1:2] + self.det.shape, -1, dtype=np.int64)
        out[:, :, self.candidate] = self.candidate_gt
        return out

    @cached_property
    def det_ignored(self) -> np.ndarray:
        """(A, T, D') COCOeval's dtIgnore: matched to an ignored object, or unmatched and outside the area range."""
        out = np.zeros(self.gt.shape, dtype=bool)
        out[:, :, self.candidate] = self.candidate_ignored
        return out | ((self.gt < 0) & self.outside[:, None, :])

    @property
    def matched(self) -> np.ndarray:
        return self.gt >= 0

    def at(self, area: int = 0, threshold: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(D',) `gt` and `det_ignored` at one (area range, IoU threshold), without building the dense arrays."""
        gt = np.full(len(self.det), -1, dtype=np.int64)
        gt[self.candidate] = self.candidate_gt[area, threshold]
        ignored = self.outside[area] & (gt < 0)
        ignored[self.candidate] |= self.candidate_ignored[area, threshold]
        return gt, ignored


def box_iou_xywh(dt: np.ndarray, gt: np.ndarray, crowd: np.ndarray) -> np.ndarray:
    """pycocotools' bbIou for pairs (row i of dt with row i of gt): the same float64 operations."""
    dx, dy, dw, dh = dt.T
    gx, gy, gw, gh = gt.T
    w = np.minimum(dw + dx, gw + gx) - np.maximum(dx, gx)
    h = np.minimum(dh + dy, gh + gy) - np.maximum(dy, gy)
    inter = w * h
    da, ga = dw * dh, gw * gh
    union = np.where(crowd, da, da + ga - inter)
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = inter / union
    return np.where((w > 0) & (h > 0), iou, 0.0)


def match(
    dets: DetectionSet,
    gts: GroundTruthArrays,
    *,
    max_det: int,
    pooled: bool = False,
    iou_thresholds: np.ndarray = IOU_THRESHOLDS,
    area_ranges: AreaRanges = AREA_RANGES,
    pair_iou: Optional[Callable[[np.ndarray, np.ndarray], np.ndarray]] = None,
) -> Matches:
    """COCOeval.evaluateImg for every (image, class). IoU is the boxes' (bbox) unless `pair_iou` is given:
    pair_iou(det, gt) returns the IoU of DetectionSet row det[i] with GroundTruthArrays row gt[i] (float64; segm:
    the masks' IoU, a crowd row divided by the detection's area), for pairs of the same image and class only."""
    prepared = prepare(dets, gts, max_det=max_det, pooled=pooled, iou_thresholds=iou_thresholds,
                       area_ranges=area_ranges, pair_iou=pair_iou)
    return prepared.matches(np.ones(len(prepared.candidate), dtype=bool))


@dataclass
class Prepared:
    """Everything of match() but the greedy matching itself: the kept detections in (group, rank) order, their
    IoUs with the objects of their group, and which of them can match (the candidates)."""

    gts: GroundTruthArrays
    det: np.ndarray  # (D',) as Matches.det
    rank: np.ndarray
    group: np.ndarray  # (D',) image · classes + class (image when pooled)
    gt_order: np.ndarray  # objects by (group, category, annotation order)
    gt_start: np.ndarray  # (D',) first object of the detection's group in gt_order
    gt_count: np.ndarray
    gt_ignored: np.ndarray  # (A, G)
    max_iou: np.ndarray
    candidate: np.ndarray  # (C,) positions into det
    iou: np.ndarray  # (C, width) the candidates' IoUs with their group's objects, -1 padded
    outside: np.ndarray  # (A, D')
    thresholds: np.ndarray  # the IoU thresholds as the greedy matching compares them

    def matches(self, solve: np.ndarray, known_gt: Optional[np.ndarray] = None,
                known_ignored: Optional[np.ndarray] = None) -> Matches:
        """The Matches, the greedy matching run for the candidates where `solve` and the others' results taken
        from `known_gt` / `known_ignored` (A, T, C) — e.g. the candidates of a group that are, from its first on,
        the same as in an earlier matching (only candidates can match, so the other detections of a group change
        nothing; and COCO matches a group's detections one after the other, so a later one changes nothing for an
        earlier one). `solve` must hold, in each group, all candidates after the first it holds."""
        num_areas, num_thresholds = self.gt_ignored.shape[0], len(self.thresholds)
        num_cand = len(self.candidate)
        if known_gt is None or known_ignored is None:
            candidate_gt = np.full((num_areas, num_thresholds, num_cand), -1, dtype=np.int64)
            candidate_ignored = np.zeros((num_areas, num_thresholds, num_cand), dtype=bool)
        else:
            candidate_gt, candidate_ignored = known_gt, known_ignored
        chosen = np.flatnonzero(solve)
        if len(chosen):
            sub_gt = np.full((num_areas, num_thresholds, len(chosen)), -1, dtype=np.int64)
            sub_ignored = np.zeros((num_areas, num_thresholds, len(chosen)), dtype=bool)
            cand = self.candidate[chosen]
            taken_before = None
            if len(chosen) < num_cand:  # objects taken by known candidates of the groups being solved
                cand_group = self.group[self.candidate]
                solving = np.zeros(int(cand_group.max()) + 1, dtype=bool)
                solving[cand_group[chosen]] = True
                prior = np.flatnonzero(~solve & solving[cand_group])
                row_p, col_p = np.nonzero(candidate_gt[:, :, prior].reshape(num_areas * num_thresholds, -1) >= 0)
                taken_before = (row_p, candidate_gt.reshape(num_areas * num_thresholds, -1)[row_p, prior[col_p]])
            greedy_match_sparse(self.group[cand], self.gt_start[cand], self.gt_count[cand], self.iou[chosen],
                                self.gt_order, self.gts.iscrowd, self.gt_ignored, self.thresholds, sub_gt,
                                sub_ignored, **({} if taken_before is None else {"taken_before": taken_before}))
            if len(chosen) == num_cand:
                candidate_gt, candidate_ignored = sub_gt, sub_ignored
            else:
                candidate_gt[:, :, chosen] = sub_gt
                candidate_ignored[:, :, chosen] = sub_ignored
        return Matches(det=self.det, rank=self.rank, gt_ignored=self.gt_ignored, max_iou=self.max_iou,
                       candidate=self.candidate, candidate_gt=candidate_gt, candidate_ignored=candidate_ignored,
                       outside=self.outside)


def prepare(
    dets: DetectionSet,
    gts: GroundTruthArrays,
    *,
    max_det: int,
    pooled: bool = False,
    iou_thresholds: np.ndarray = IOU_THRESHOLDS,
    area_ranges: AreaRanges = AREA_RANGES,
    pair_iou: Optional[Callable[[np.ndarray, np.ndarray], np.ndarray]] = None,
) -> Prepared:
    """match() up to the greedy matching (see Prepared)."""
    num_classes = 1 if pooled else int(max(dets.category.max(initial=-1), gts.category.max(initial=-1)) + 1)
    det_group = dets.image * num_classes + (0 if pooled else dets.category)
    gt_group = gts.image * num_classes + (0 if pooled else gts.category)

    # Detections by (group, decreasing score, input order); keep the first max_det of each group.
    order = _group_score_order(det_group, dets.score)
    group = det_group[order]
    first = np.concatenate([[True], group[1:] != group[:-1]]) if len(group) else np.zeros(0, bool)
    starts = np.flatnonzero(first)
    rank = np.arange(len(group)) - np.repeat(starts, np.diff(np.append(starts, len(group))))
    keep = rank < max_det
    det_index, rank, group = order[keep], rank[keep], group[keep]
    num_dets = len(det_index)

    # Ground truth by (group, category, annotation order): COCOeval's order (by category when pooled).
    gt_order = np.lexsort((np.arange(len(gts)), gts.category, gt_group))
    sorted_group = gt_group[gt_order]
    gt_start = np.searchsorted(sorted_group, group, side="left")
    gt_count = np.searchsorted(sorted_group, group, side="right") - gt_start

    gt_ignored = gts.ignored(area_ranges)
    max_iou = np.zeros(num_dets)
    candidate = np.zeros(0, dtype=np.int64)
    width = int(gt_count.max(initial=0))
    iou = np.zeros((0, max(width, 1)))
    if num_dets and width:
        # IoU of each kept detection with each object of its group (pairs grouped by detection).
        pair_det = np.repeat(np.arange(num_dets), gt_count)
        pair_pos = np.arange(len(pair_det)) - np.repeat(np.cumsum(gt_count) - gt_count, gt_count)
        pair_gt = gt_order[gt_start[pair_det] + pair_pos]
        if pair_iou is None:
            ious = box_iou_xywh(dets.bbox[det_index[pair_det]], gts.bbox[pair_gt], gts.iscrowd[pair_gt])
        else:
            ious = np.asarray(pair_iou(det_index[pair_det], pair_gt), dtype=np.float64).reshape(-1)
        with_gt = np.flatnonzero(gt_count > 0)
        max_iou[with_gt] = np.maximum.reduceat(ious, (np.cumsum(gt_count) - gt_count)[with_gt])
        max_iou = np.maximum(max_iou, 0.0)
        lowest = min(float(np.min(iou_thresholds)), 1 - 1e-10)
        candidate = np.flatnonzero(max_iou >= lowest)  # the only detections that can match anything
        if len(candidate):
            # Their IoUs, padded to (C, width) with -1 (never above a threshold).
            slot = np.full(num_dets, -1, dtype=np.int64)
            slot[candidate] = np.arange(len(candidate))
            mine = slot[pair_det] >= 0
            iou = np.full((len(candidate), width), -1.0)
            iou[slot[pair_det[mine]], pair_pos[mine]] = ious[mine]

    det_area = dets.area[det_index]
    outside = np.stack([(det_area < lo) | (det_area > hi) for _, lo, hi in area_ranges])
    return Prepared(gts=gts, det=det_index, rank=rank, group=group, gt_order=gt_order, gt_start=gt_start,
                    gt_count=gt_count, gt_ignored=gt_ignored, max_iou=max_iou, candidate=candidate, iou=iou,
                    outside=outside, thresholds=np.minimum(iou_thresholds, 1 - 1e-10))


def _group_score_order(group: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Indices by (group, decreasing score, input order). Detections usually come image after image, each image's
    by decreasing score (the model's order): then a stable sort by group is that order, checked; else a lexsort."""
    order = np.argsort(group, kind="stable")
    g, s = group[order], score[order]
    if bool(np.all((s[1:] <= s[:-1]) | (g[1:] != g[:-1]))):
        return order
    return np.lexsort((np.arange(len(group)), -score, group))


def greedy_match(cand_group: np.ndarray, cand_gt_start: np.ndarray, cand_gt_count: np.ndarray, iou: np.ndarray,
                 gt_order: np.ndarray, iscrowd: np.ndarray, gt_ignored: np.ndarray, thresholds: np.ndarray,
                 matched: np.ndarray, det_ignored: np.ndarray) -> None:
    """The sequential part: rank by rank over the candidate detections of every group at once. Candidates come in
    (group, score) order; results go to matched / det_ignored (A, T, C)."""
    width = iou.shape[1]
    new_group = np.concatenate([[True], cand_group[1:] != cand_group[:-1]])
    group_id = np.cumsum(new_group) - 1  # dense id of the candidate's group
    starts = np.flatnonzero(new_group)
    cand_rank = np.arange(len(cand_group)) - starts[group_id]

    # Per candidate group: its objects, padded (crowd flags, ignore flags per area, their global index).
    pos = np.arange(width)
    valid = pos[None, :] < cand_gt_count[starts][:, None]
    global_gt = np.where(valid, gt_order[np.minimum(cand_gt_start[starts][:, None] + pos[None, :],
                                                    len(gt_order) - 1)], 0)
    crowd = iscrowd[global_gt] & valid  # (Gc, W)
    ignored = np.transpose(gt_ignored[:, global_gt], (1, 0, 2))  # (Gc, A, W)
    num_areas, num_thresholds = gt_ignored.shape[0], len(thresholds)
    taken = np.zeros((len(starts), num_areas, num_thresholds, width), dtype=bool)
    thr = thresholds[None, None, :, None]

    by_rank = np.argsort(cand_rank, kind="stable")
    bounds = np.searchsorted(cand_rank[by_rank], np.arange(cand_rank.max() + 2))
    for r in range(len(bounds) - 1):
        sel = by_rank[bounds[r] : bounds[r + 1]]
        gid = group_id[sel]
        overlap = iou[sel][:, None, None, :]  # (n, 1, 1, W)
        free = ~taken[gid] | crowd[gid][:, None, None, :]
        ok = free & (overlap >= thr)  # (n, A, T, W)
        ign = ignored[gid][:, :, None, :]
        best_kept, has_kept = _last_argmax(np.where(ok & ~ign, overlap, -1.0))
        best_ign, has_ign = _last_argmax(np.where(ok & ign, overlap, -1.0))
        m = np.where(has_kept, best_kept, np.where(has_ign, best_ign, -1))  # (n, A, T)
        n_idx, a_idx, t_idx = np.nonzero(m >= 0)
        local = m[n_idx, a_idx, t_idx]
        taken[gid[n_idx], a_idx, t_idx, local] = True
        matched[a_idx, t_idx, sel[n_idx]] = global_gt[gid[n_idx], local]
        det_ignored[a_idx, t_idx, sel[n_idx]] = ignored[gid[n_idx], a_idx, local]


def _last_argmax(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the last maximum along the last axis, and whether that maximum is a real IoU (≥ 0)."""
    width = values.shape[-1]
    index = width - 1 - np.argmax(values[..., ::-1], axis=-1)
    return index, np.take_along_axis(values, index[..., None], axis=-1)[..., 0] >= 0


def greedy_match_sparse(cand_group: np.ndarray, cand_gt_start: np.ndarray, cand_gt_count: np.ndarray, iou: np.ndarray,
                        gt_order: np.ndarray, iscrowd: np.ndarray, gt_ignored: np.ndarray, thresholds: np.ndarray,
                        matched: np.ndarray, det_ignored: np.ndarray,
                        taken_before: Optional[tuple[np.ndarray, np.ndarray]] = None) -> None:
    """greedy_match's results (the same arguments), in rounds over the few (candidate, object) pairs above each
    threshold instead of rank by rank over padded rows. `taken_before` = (row, object): objects (global index)
    already taken at row area · T + threshold by earlier candidates of their group that are not among these (the
    greedy matching continued from there).

    At one (area, threshold) a candidate takes the best object still free among those it overlaps by the
    threshold (not-ignored first, ties to the later object; crowd regions are never used up). Its choice is final as
    soon as no earlier candidate of its group that is still open could take the same object: the earlier ones can
    only take objects away, and none of them can take this one. Each round settles those candidates for every
    (area, threshold) at once — at least the first open candidate of every group — marks their objects taken and
    drops the pairs that can no longer be chosen; a group's detections that overlap different objects settle in the
    first round."""
    num_areas, num_thresholds = gt_ignored.shape[0], len(thresholds)
    c_idx, w_idx = np.nonzero(iou >= np.min(thresholds))
    if not len(c_idx):
        return
    v = iou[c_idx, w_idx]
    by = np.lexsort((w_idx, v, c_idx))  # per candidate by IoU, ties by object position: the last is the best
    c_idx, w_idx, v = c_idx[by], w_idx[by], v[by]
    obj = gt_order[cand_gt_start[c_idx] + w_idx]  # global object index of each pair
    present = np.zeros(len(gt_order), dtype=bool)  # the objects of these pairs, by global index (np.unique's)
    present[obj] = True
    objects = np.flatnonzero(present)
    local_of = np.cumsum(present) - 1
    local_obj = local_of[obj]
    num_objects = len(objects)
    # Entries: (area·T + threshold, pair) where the pair's IoU reaches the threshold, by (row, candidate, pair).
    qualifies = v[None, :] >= thresholds[:, None]  # (T, P)
    t_e, p_e = np.nonzero(np.broadcast_to(qualifies[None], (num_areas, *qualifies.shape)).reshape(-1, len(v)))
    row_e = t_e  # row = area * T + threshold
    area_e = row_e // num_thresholds
    cand_e = c_idx[p_e]
    obj_e = local_obj[p_e]
    crowd_e = iscrowd[obj[p_e]]
    ign_e = gt_ignored[area_e, obj[p_e]]
    taken = np.zeros(num_areas * num_thresholds * num_objects, dtype=bool)
    if taken_before is not None and len(taken_before[0]):
        row_t, obj_t = taken_before
        known = present[obj_t]  # objects that none of these candidates overlaps do not matter
        taken[row_t[known] * num_objects + local_of[obj_t[known]]] = True
    num_cand = iou.shape[0]
    while len(p_e):
        free = crowd_e | ~taken[row_e * num_objects + obj_e]
        row_e, cand_e, obj_e, crowd_e, ign_e, p_e = (x[free] for x in (row_e, cand_e, obj_e, crowd_e, ign_e, p_e))
        if not len(p_e):
            break
        seg_key = row_e * num_cand + cand_e
        starts = np.flatnonzero(np.r_[True, seg_key[1:] != seg_key[:-1]])
        position = np.arange(len(p_e))
        best_kept = np.maximum.reduceat(np.where(~ign_e, position, -1), starts)
        best_ign = np.maximum.reduceat(np.where(ign_e, position, -1), starts)
        choice = np.where(best_kept >= 0, best_kept, best_ign)  # an entry per (row, candidate) segment
        # The first open candidate of the group claiming each (row, object) among its free non-crowd pairs.
        claim = np.full(num_areas * num_thresholds * num_objects, num_cand, dtype=np.int64)
        claimable = ~crowd_e
        np.minimum.at(claim, (row_e * num_objects + obj_e)[claimable], cand_e[claimable])
        settled = crowd_e[choice] | (claim[row_e[choice] * num_objects + obj_e[choice]] == cand_e[choice])
        done = choice[settled]
        row_d = row_e[done]
        matched.reshape(num_areas * num_thresholds, -1)[row_d, cand_e[done]] = obj[p_e[done]]
        det_ignored.reshape(num_areas * num_thresholds, -1)[row_d, cand_e[done]] = ign_e[done]
        taken[(row_d * num_objects + obj_e[done])[~crowd_e[done]]] = True
        open_seg = np.ones(len(starts), dtype=bool)
        open_seg[settled] = False
        keep = np.repeat(open_seg, np.diff(np.r_[starts, len(p_e)]))
        row_e, cand_e, obj_e, crowd_e, ign_e, p_e = (x[keep] for x in (row_e, cand_e, obj_e, crowd_e, ign_e, p_e))
