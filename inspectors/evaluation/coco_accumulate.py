"""COCOeval.accumulate and summarize on vectorised matches: precision / recall arrays with COCOeval's layout.

`precision[T, R, K, A, M]`, `recall[T, K, A, M]`, `scores[T, R, K, A, M]`, -1 where a class has no ground truth
(that is not ignored) — the arrays pycocotools puts in `COCOeval.eval`, computed with the same float operations
(tp / npig, tp / (tp + fp + eps), the right-to-left precision envelope, the first index reaching each recall
threshold), per class segment at once instead of in Python loops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from inspectors.evaluation.coco_matching import AREA_RANGES, IOU_THRESHOLDS, RECALL_THRESHOLDS, DetectionSet, Matches

MAX_DETS = (1, 10, 100)
_EPS = np.spacing(1)


@dataclass
class Accumulated:
    precision: np.ndarray  # (T, R, K, A, M)
    recall: np.ndarray  # (T, K, A, M)
    scores: np.ndarray  # (T, R, K, A, M)


def accumulate(matches: Matches, dets: DetectionSet, gt_category: np.ndarray, num_classes: int,
               max_dets: tuple[int, ...] = MAX_DETS) -> Accumulated:
    """COCOeval.accumulate, class by class on the flat score-ordered detections, from the candidates alone.

    A class's detections are one contiguous run of COCOeval's order. COCOeval's precision at recall threshold r
    is read at a true positive (see _cell_rows), where it is k / (fp + k + eps) with k its rank among the row's
    true positives and fp the false positives before it — the detections before it that are neither true positives
    nor ignored. Only candidates (coco_matching: the detections that can match) are true positives or matched to an
    ignored object; any other detection is ignored exactly when its area is outside the range. So the false
    positives before a true positive are counted from a running count of the detections outside each area range
    (one per area, not per IoU threshold) corrected at the candidates, and the work per (area · IoU threshold) row
    is over the candidates, not over every detection."""
    T, R, K, A, M = len(IOU_THRESHOLDS), len(RECALL_THRESHOLDS), num_classes, len(AREA_RANGES), len(max_dets)
    precision = -np.ones((T, R, K, A, M))
    recall = -np.ones((T, K, A, M))
    scores = -np.ones((T, R, K, A, M))
    n = len(matches.det)
    category = dets.category[matches.det]
    score = dets.score[matches.det]
    npig = np.stack([np.bincount(gt_category[~ig], minlength=K) for ig in matches.gt_ignored])  # (A, K)
    rows_npig = np.repeat(npig, T, axis=0)  # (A*T, K): row = area · T + threshold
    rows = A * T
    # per candidate and row: a true positive; matched (to any object); matched to an ignored object
    cand = matches.candidate
    cand_matched = (matches.candidate_gt >= 0).reshape(rows, -1)
    cand_ign = cand_matched & matches.candidate_ignored.reshape(rows, -1)
    cand_tp = cand_matched & ~cand_ign
    cand_out = np.repeat(matches.outside[:, cand], T, axis=0)  # (rows, C)
    # what a candidate changes in the count of ignored detections, relative to "ignored iff outside the range"
    cand_w = cand_ign.astype(np.int32) - (cand_matched & cand_out)
    # COCOeval's order: by class, then score descending, ties by image then rank — the matches' own order
    # (image, class, rank), so two stable sorts give it
    full = _coco_order(category, score)
    # per (class, row) cell: the true-positive count each recall threshold asks for, the objects that count
    need_cells = _needed_counts(np.maximum(rows_npig, 1)).transpose(1, 0, 2).reshape(K * rows, R)
    npig_cells = rows_npig.T.reshape(-1)
    counted = npig_cells > 0
    is_cand = np.zeros(n, dtype=bool)
    is_cand[cand] = True
    column = np.zeros(n, dtype=np.int64)
    column[cand] = np.arange(len(cand))
    top_rank = int(matches.rank.max(initial=-1))
    previous: Optional[tuple[int, int]] = None  # (maxDets column, detections kept) of the last maxDets computed
    for m, max_det in enumerate(max_dets):
        order = full if top_rank < max_det else full[matches.rank[full] < max_det]
        if previous is not None and previous[1] == len(order):  # the same detections: the same numbers
            precision[..., m] = precision[..., previous[0]]
            scores[..., m] = scores[..., previous[0]]
            recall[..., m] = recall[..., previous[0]]
            continue
        previous = (m, len(order))
        cat = category[order]
        bounds = np.searchsorted(cat, np.arange(K + 1))
        # candidates kept at this maxDets, in COCOeval's order
        p = np.flatnonzero(is_cand[order])  # positions of the candidates kept, increasing
        by_pos = column[order[p]]  # their columns in the candidate arrays
        tp_c = cand_tp[:, by_pos]
        # running counts with a leading 0: x_cum[:, j] counts columns before j
        w_cum = _cumsum0(cand_w[:, by_pos]).reshape(-1)  # (rows, C' + 1), flat
        width_w = len(p) + 1
        out_cum = _cumsum0(matches.outside[:, order]).reshape(-1)  # (A, nd_all + 1): outside the range before
        width_o = len(order) + 1
        cbounds = np.searchsorted(p, bounds)  # each class's candidates: cbounds[k]:cbounds[k + 1]
        # every true positive, by (class, row, position): class by class, row after row
        parts = [np.nonzero(tp_c[:, int(cbounds[k]):int(cbounds[k + 1])]) for k in range(K)]
        t_class = np.repeat(np.arange(K), [len(r) for r, _ in parts])
        t_row = np.concatenate([r for r, _ in parts]) if K else np.zeros(0, dtype=np.int64)
        t_col = np.concatenate([c for _, c in parts]) + cbounds[t_class] if K else np.zeros(0, dtype=np.int64)
        t_cell = t_class * rows + t_row
        found = np.bincount(t_cell, minlength=K * rows)
        rank = np.arange(1, len(t_cell) + 1) - (np.cumsum(found) - found)[t_cell]  # the rank-th of its cell
        t_pos = p[t_col]  # position in COCOeval's order
        start = bounds[t_class]  # the class's first position
        # detections of the class before it: true positives, ignored ones, and the false positives
        w_at = t_row * width_w
        o_at = (t_row // T) * width_o
        ignored_before = ((out_cum.take(o_at + t_pos) - out_cum.take(o_at + start))
                          + (w_cum.take(w_at + t_col) - w_cum.take(w_at + cbounds[t_class])))
        fp_before = (t_pos - start) - (rank - 1) - ignored_before
        first_position = np.repeat(bounds[:-1], rows)  # per cell: its class's first detection
        p_c, s_c, r_c = _cell_rows(t_cell, found, t_pos, rank, fp_before, score[order], first_position,
                                   need_cells, npig_cells)
        has_dets = np.repeat(np.diff(bounds) > 0, rows)  # a class without detections: 0 where it counts
        p_c = np.where(counted[:, None], np.where(has_dets[:, None], p_c, 0.0), -1.0)
        s_c = np.where(counted[:, None], np.where(has_dets[:, None], s_c, 0.0), -1.0)
        r_c = np.where(counted, np.where(has_dets, r_c, 0.0), -1.0)
        precision[:, :, :, :, m] = p_c.reshape(K, A, T, R).transpose(2, 3, 0, 1)
        scores[:, :, :, :, m] = s_c.reshape(K, A, T, R).transpose(2, 3, 0, 1)
        recall[:, :, :, m] = r_c.reshape(K, A, T).transpose(2, 0, 1)
    return Accumulated(precision, recall, scores)


def _coco_order(category: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Indices by (class, decreasing score, index): two stable sorts, or — when every score is a float32 ≥ 0 (the
    model's) — one sort of unique integer keys (class, score bits inverted, index), the same order."""
    n = len(score)
    single = score.astype(np.float32)
    bits = single.view(np.int32).astype(np.int64)  # a float32 with the sign bit clear: its bits grow with it
    if (n < 2**25 and int(category.max(initial=0)) < 2**6 and int(category.min(initial=0)) >= 0
            and bool(np.all(single == score)) and bool(np.all(bits >= 0))):
        keys = (category.astype(np.int64) << 56) | ((np.int64(2**31 - 1) - bits) << 25) | np.arange(n)
        return np.sort(keys) & np.int64(2**25 - 1)
    by_score = np.argsort(-score, kind="stable")
    return by_score[np.argsort(category[by_score], kind="stable")]


def _cell_rows(t_cell: np.ndarray, found: np.ndarray, t_pos: np.ndarray, rank: np.ndarray, fp_before: np.ndarray,
               score: np.ndarray, first_position: np.ndarray, need: np.ndarray, npig: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision (cells, R), scores (cells, R) and recall (cells,) of (class, area · IoU threshold) cells from their
    true positives, cell after cell and by rank inside a cell: `t_cell`, `found` (true positives per cell), `t_pos`
    (position in COCOeval's order), `rank` (it is the rank-th true positive of its cell) and `fp_before` (false
    positives of its class before it); `score` the detection scores in COCOeval's order, `first_position` each
    cell's class's first position, `need` (cells, R) the true-positive count each recall threshold asks for.

    COCOeval's precision at recall threshold r is the largest precision at or after the first position whose count
    reaches need[r] — the need-th true positive (the first position when need is 0). Precision falls between true
    positives (fp grows, tp does not), so that largest value is taken at a true positive: the largest of the
    precisions k / (fp before it + k + eps) of the cell's true positives from the need-th on. need grows with r,
    so the cell's true positives fall in blocks between consecutive need-th ones: one maximum per block
    (reduceat), then a right-to-left running maximum over the blocks answers every recall threshold."""
    cells, num_r = need.shape
    cell_start = np.cumsum(found) - found
    total = len(t_cell)
    k = rank.astype(float)
    pr = k / (fp_before.astype(float) + k + _EPS)  # COCOeval: tp / (fp + tp + eps)
    first = np.maximum(need - 1, 0)  # (cells, R) the true positive (0-based, in its cell) each threshold starts at
    reached = (need <= found[:, None]) | (need == 0)
    start = cell_start[:, None] + np.minimum(first, found[:, None])  # block starts, non-decreasing along R
    flat = start.reshape(-1)
    end = np.append(flat[1:], total)  # a block ends where the next starts (a cell's last block at its end)
    end.reshape(cells, num_r)[:, -1] = cell_start + found
    block = np.full(flat.shape, -np.inf)
    if total:
        maxima = np.maximum.reduceat(np.append(pr, -np.inf), flat)
        block = np.where(flat < end, maxima, -np.inf)
    envelope = np.maximum.accumulate(block.reshape(cells, num_r)[:, ::-1], axis=1)[:, ::-1]
    value = np.where(np.isfinite(envelope), envelope, 0.0)  # cells without a true positive: precision 0
    position = np.where(need == 0, first_position[:, None],
                        t_pos[np.minimum(start, max(total - 1, 0))] if total else first_position[:, None])
    precision = np.where(reached, value, 0.0)
    scores = np.where(reached, score[np.minimum(position, max(len(score) - 1, 0))] if len(score) else 0.0, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = found / npig.astype(float)
    return precision, scores, recall


def _cumsum0(values: np.ndarray) -> np.ndarray:
    """Running sums along the last axis with a leading 0: out[..., j] = values[..., :j].sum(-1) (exact integers;
    counts of detections, far below 2**31)."""
    out = np.zeros(values.shape[:-1] + (values.shape[-1] + 1,), dtype=np.int32)
    np.cumsum(values, axis=-1, dtype=np.int32, out=out[..., 1:])
    return out


def segment_precision(tps: np.ndarray, fps: np.ndarray, seg: np.ndarray, npig: np.ndarray, score: np.ndarray,
              num_segments: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """COCOeval.accumulate's inner loop for many (row, segment) cells at once.

    Rows are (area, IoU threshold) pairs, segments classes (or (image, class) pairs); detections are sorted by
    segment, then as COCOeval orders them. `npig` is (rows, segments). Returns precision (rows, R, S), recall
    (rows, S), scores (rows, R, S); cells with npig == 0 stay -1, as COCOeval leaves classes without ground truth."""
    tps = np.asarray(tps, dtype=bool)
    rows, R = tps.shape[0], len(RECALL_THRESHOLDS)
    precision = -np.ones((rows, R, num_segments))
    recall = -np.ones((rows, num_segments))
    scores = -np.ones((rows, R, num_segments))
    counted = npig > 0  # (rows, S)
    precision[:, :, :] = np.where(counted[:, None, :], 0.0, -1.0)
    scores[:, :, :] = precision
    recall[:, :] = np.where(counted, 0.0, -1.0)
    starts = np.searchsorted(seg, np.arange(num_segments), side="left")
    lengths = np.searchsorted(seg, np.arange(num_segments), side="right") - starts
    present = np.flatnonzero(counted.any(axis=0) & (lengths > 0))
    if not len(present):
        return precision, recall, scores
    # Segment-wise cumulative sums (exact integers), then COCOeval's float divisions.
    tp_cum = np.cumsum(tps, axis=1)
    fp_cum = np.cumsum(fps, axis=1)
    # Segments padded to a common width, in buckets of similar length (powers of two) so padding stays small.
    bucket = np.ceil(np.log2(lengths[present])).astype(np.int64)
    for b in np.unique(bucket):
        chosen = present[bucket == b]
        p, r, sc = _padded(tps, tp_cum, fp_cum, starts[chosen], lengths[chosen], npig[:, chosen], score)
        valid = counted[:, chosen]  # (rows, S')
        precision[:, :, chosen] = np.where(valid[:, :, None], p, -1.0).transpose(0, 2, 1)
        scores[:, :, chosen] = np.where(valid[:, :, None], sc, -1.0).transpose(0, 2, 1)
        recall[:, chosen] = np.where(valid, r, -1.0)
    return precision, recall, scores


def _padded(tps: np.ndarray, tp_cum: np.ndarray, fp_cum: np.ndarray, first_pos: np.ndarray, length: np.ndarray,
            npig: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision (rows, S', R), recall (rows, S'), scores (rows, S', R) of segments starting at `first_pos` with
    `length` detections, computed on arrays padded to the longest of them."""
    rows = tp_cum.shape[0]
    before_tp = np.where(first_pos > 0, tp_cum[:, np.maximum(first_pos - 1, 0)], 0)  # (rows, S')
    before_fp = np.where(first_pos > 0, fp_cum[:, np.maximum(first_pos - 1, 0)], 0)
    width = int(length.max())
    pos = np.arange(width)
    inside = pos[None, :] < length[:, None]  # (S', W)
    index = np.minimum(first_pos[:, None] + pos[None, :], tp_cum.shape[1] - 1)
    counts = tp_cum[:, index] - before_tp[:, :, None]  # (rows, S', W) integers
    tp = counts.astype(float)
    fp = (fp_cum[:, index] - before_fp[:, :, None]).astype(float)
    segments = np.arange(len(first_pos))
    with np.errstate(divide="ignore", invalid="ignore"):
        last_recall = tp[:, segments, length - 1] / npig.astype(float)
    pr = np.where(inside[None], tp / (fp + tp + _EPS), 0.0)
    envelope = np.maximum.accumulate(pr[:, :, ::-1], axis=2)[:, :, ::-1]  # COCOeval's right-to-left max
    # First position whose recall tp / npig reaches each threshold: the smallest count `need` with
    # need / npig >= threshold (the same float division); the count first reaches k at the k-th true positive.
    need = _needed_counts(np.maximum(npig, 1))  # (rows, S', R)
    total = counts[:, segments, length - 1]  # (rows, S') true positives in the segment
    top = int(total.max(initial=0))
    steps = tps[:, index] & inside[None]  # where the count goes up: a true positive (what its cumsum counts)
    row_of, seg_of, position = np.nonzero(steps)
    reach = np.zeros((rows, len(first_pos), top + 1), dtype=np.int64)  # position where the count first is k
    reach[row_of, seg_of, counts[row_of, seg_of, position]] = position
    reached = need <= total[:, :, None]
    first = np.take_along_axis(reach, np.minimum(need, top), axis=2)
    q = np.where(reached, np.take_along_axis(envelope, first, axis=2), 0.0)
    ss = np.where(reached, score[np.minimum(first_pos[None, :, None] + first, len(score) - 1)], 0.0)
    return q, last_recall, ss


def _needed_counts(npig: np.ndarray) -> np.ndarray:
    """(..., R): the smallest integer n with n / npig >= recall threshold, in float64 as COCOeval divides."""
    values, inverse = np.unique(npig, return_inverse=True)  # a few distinct counts: work on those
    n = values.astype(float)[:, None]
    guess = np.ceil(RECALL_THRESHOLDS * n)
    need = guess + 1
    for candidate in (guess + 1, guess, guess - 1):
        need = np.where((candidate >= 0) & (candidate / n >= RECALL_THRESHOLDS), candidate, need)
    return need.astype(np.int64)[inverse.reshape(npig.shape)]


def summarize(acc: Accumulated, max_dets: tuple[int, ...] = MAX_DETS) -> dict[str, float]:
    """COCOeval.summarize's twelve numbers, by name."""
    def mean(values: np.ndarray) -> float:
        valid = values[values > -1]
        return float(np.mean(valid)) if valid.size else -1.0

    area = {name: i for i, (name, _, _) in enumerate(AREA_RANGES)}
    top = len(max_dets) - 1
    p, r = acc.precision, acc.recall
    t50, t75 = (int(np.where(IOU_THRESHOLDS == v)[0][0]) for v in (0.5, 0.75))
    return {
        "ap": mean(p[:, :, :, area["all"], top]),
        "ap50": mean(p[t50, :, :, area["all"], top]),
        "ap75": mean(p[t75, :, :, area["all"], top]),
        "ap_small": mean(p[:, :, :, area["small"], top]),
        "ap_medium": mean(p[:, :, :, area["medium"], top]),
        "ap_large": mean(p[:, :, :, area["large"], top]),
        "ar1": mean(r[:, :, area["all"], 0]),
        "ar10": mean(r[:, :, area["all"], 1]),
        "ar100": mean(r[:, :, area["all"], top]),
        "ar_small": mean(r[:, :, area["small"], top]),
        "ar_medium": mean(r[:, :, area["medium"], top]),
        "ar_large": mean(r[:, :, area["large"], top]),
    }


class ScoreSlider:
    """COCOeval's accumulate at any score threshold above the one the detections were made at, from one matching.

    COCO's matching is greedy in score order inside each (image, class), so raising the score threshold keeps a
    prefix of each group's score-ordered detections, their matches do not change, and each class's detections in
    COCOeval's order (score descending) lose a suffix. Built once: every class segment's precision at every
    position, the position where each recall threshold is first reached (the need-th true positive), and the
    precision envelope of the blocks between those positions. A threshold then costs one pass counting each
    class's kept detections (torchvision's rule: score > threshold, compared in float32 as the model compares it)
    and, per (IoU, area, class) row, a suffix maximum over the 101 recall blocks — no matching, no sort.
    `at(s)` returns COCO's twelve numbers, equal to COCOeval on the detections with score > s.
    """

    def __init__(self, matches: Matches, dets: DetectionSet, gt_category: np.ndarray, num_classes: int,
                 max_dets: tuple[int, ...] = MAX_DETS, base_settings: dict | None = None) -> None:
        self.settings = dict(base_settings or {})
        self.max_dets = tuple(max_dets)
        self.num_classes = K = num_classes
        T, A = len(IOU_THRESHOLDS), len(AREA_RANGES)
        self.shape = (T, A)
        npig = np.stack([np.bincount(gt_category[~ig], minlength=K) for ig in matches.gt_ignored])  # (A, K)
        self.npig = np.repeat(npig, T, axis=0)  # (A*T, K)
        need = _needed_counts(np.maximum(self.npig, 1))  # (rows, K, R)
        category = dets.category[matches.det]
        score = dets.score[matches.det]
        image = dets.image[matches.det]
        self._parts = []
        for max_det in self.max_dets:
            sel = np.flatnonzero(matches.rank < max_det)
            order = sel[np.lexsort((matches.rank[sel], image[sel], -score[sel], category[sel]))]
            cat = category[order]
            tps = (matches.gt[:, :, order] >= 0).reshape(A * T, -1)
            ign = matches.det_ignored[:, :, order].reshape(A * T, -1)
            tp, fp = tps & ~ign, ~tps & ~ign
            start = np.searchsorted(cat, np.arange(K), side="left")
            end = np.searchsorted(cat, np.arange(K), side="right")
            tp_c, fp_c = np.cumsum(tp, axis=1), np.cumsum(fp, axis=1)
            n = len(order)
            first = np.maximum(start - 1, 0)
            base_tp = np.where(start > 0, tp_c[:, first] if n else 0, 0)  # (rows, K)
            base_fp = np.where(start > 0, fp_c[:, first] if n else 0, 0)
            local_tp = tp_c - base_tp[:, cat] if n else tp_c
            local_fp = fp_c - base_fp[:, cat] if n else fp_c
            tpf, fpf = local_tp.astype(float), local_fp.astype(float)
            pr = tpf / (fpf + tpf + _EPS)
            # f[row, k, r]: where class k reaches its need-th true positive (need 0: its start; its end if never)
            rows = tp.shape[0]
            f = np.empty((rows, K, len(RECALL_THRESHOLDS)), dtype=np.int64)
            for row in range(rows):
                # positions of true positives, with their local count; the need-th one per (class, r)
                pos = np.flatnonzero(tp[row])
                key = cat[pos] * (n + 1) + local_tp[row, pos]  # increasing
                want = np.arange(K)[:, None] * (n + 1) + need[row]
                hit = np.searchsorted(key, want)
                ok = (hit < len(key)) & (key[np.minimum(hit, max(len(key) - 1, 0))] == want) if len(key) else \
                    np.zeros(want.shape, dtype=bool)
                f[row] = np.where(need[row] == 0, start[:, None],
                                  np.where(ok, pos[np.minimum(hit, max(len(pos) - 1, 0))] if len(pos) else 0,
                                           end[:, None]))
            # blocks between consecutive f (per row, class): their precision maximum, and the running maximum
            # inside each block from its start (for a prefix ending inside the block).
            f_next = np.concatenate([f[:, :, 1:], np.broadcast_to(end[None, :, None], (rows, K, 1))], axis=2)
            blk = np.full(f.shape, -np.inf)
            # the running maximum restarted at each block, exactly: on the ranks of the values (one sort for every
            # row), offset by the block id so that no maximum crosses a block start
            values, rank = np.unique(pr, return_inverse=True)
            rank = rank.reshape(pr.shape)
            width = len(values) + 1
            block = np.zeros(pr.shape, dtype=np.int64)
            for row in range(rows):
                starts = np.unique(f[row].reshape(-1))
                starts = starts[starts < n]
                block[row] = np.searchsorted(starts, np.arange(n), side="right")  # 0 = before every start
            pm = values[np.maximum.accumulate(block * width + rank, axis=1) - block * width] if n else pr
            last = np.minimum(f_next, end[None, :, None]) - 1
            valid = f < np.minimum(f_next, end[None, :, None])
            if n:
                blk = np.where(valid, np.take_along_axis(pm, np.clip(last, 0, n - 1).reshape(rows, -1), axis=1)
                               .reshape(f.shape), -np.inf)
            self._parts.append(dict(cat=cat, score32=score[order].astype(np.float32), start=start, end=end,
                                    local_tp=local_tp.astype(np.int32), pm=pm, blk=blk, f=f,
                                    score=score[order]))

    def accumulate_at(self, score_thresh: float) -> Accumulated:
        T, A = self.shape
        K, R = self.num_classes, len(RECALL_THRESHOLDS)
        M = len(self.max_dets)
        precision = -np.ones((T, R, K, A, M))
        recall = -np.ones((T, K, A, M))
        scores = -np.ones((T, R, K, A, M))
        counted = self.npig > 0  # (rows, K)
        thr = np.float32(score_thresh)
        for m, part in enumerate(self._parts):
            kept = np.bincount(part["cat"][part["score32"] > thr], minlength=K)
            e = part["start"] + kept  # (K,) end of each class's kept prefix
            f, blk, pm = part["f"], part["blk"], part["pm"]
            reached = f < e[None, :, None]  # (rows, K, R)
            kstar = reached.sum(axis=2)  # blocks started inside the prefix
            last_pos = np.maximum(e - 1, 0)
            partial = pm[:, last_pos] if pm.shape[1] else np.zeros((pm.shape[0], K))  # (rows, K)
            r_idx = np.arange(R)
            inner = np.where(r_idx[None, None, :] < (kstar - 1)[:, :, None], blk, -np.inf)
            suffix = np.maximum.accumulate(inner[:, :, ::-1], axis=2)[:, :, ::-1]
            q = np.where(reached, np.maximum(suffix, partial[:, :, None]), 0.0)
            ss = np.where(reached, part["score"][np.minimum(f, max(len(part["score"]) - 1, 0))]
                          if len(part["score"]) else 0.0, 0.0)
            tp_end = np.where(kept > 0, part["local_tp"][:, last_pos] if pm.shape[1] else 0, 0)  # (rows, K)
            with np.errstate(divide="ignore", invalid="ignore"):
                rc = tp_end / self.npig.astype(float)
            q = np.where(counted[:, :, None], q, -1.0)
            ss = np.where(counted[:, :, None], ss, -1.0)
            rc = np.where(counted, rc, -1.0)
            precision[:, :, :, :, m] = q.reshape(A, T, K, R).transpose(1, 3, 2, 0)
            scores[:, :, :, :, m] = ss.reshape(A, T, K, R).transpose(1, 3, 2, 0)
            recall[:, :, :, m] = rc.reshape(A, T, K).transpose(1, 2, 0)
        return Accumulated(precision, recall, scores)

    def at(self, score_thresh: float) -> dict[str, float]:
        """COCO's twelve numbers for the detections with score > score_thresh."""
        return summarize(self.accumulate_at(score_thresh), self.max_dets)
