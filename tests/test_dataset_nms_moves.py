"""The box-NMS / detections-per-image slider's fast paths over a dataset, against the plain computations and
pycocotools:

- re-matching after a move keeps the results of every (image, class) group's candidates that are, from its first
  on, the same boxes as before, and runs the greedy matching for the rest of the group only, from the objects
  those took (score_moves._match_reusing_groups): equal to matching every detection again, on random sets built
  so that groups share a prefix and differ after it (duplicates added or removed after the best box, boxes far
  from every object, tied scores, crowd regions, all three area ranges);
- accumulate from the candidates (a running count of the detections outside each area range, corrected at the
  candidates) with its one-sort COCOeval order (float32 scores) and its two-sort fallback (any other score):
  equal to pycocotools' COCOeval.accumulate bit for bit;
- a sequence of box-NMS moves on the demo capture (on the slider's steps and off them), each equal to a fresh
  evaluation and to pycocotools.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from test_dataset_fast_paths import as_arrays, random_coco

from inspectors import DatasetCapture
from inspectors.dataset import score_moves
from inspectors.evaluation import coco_matching
from inspectors.evaluation.coco_accumulate import _coco_order, accumulate, summarize
from inspectors.evaluation.coco_matching import _group_score_order, match

pytestmark = [pytest.mark.slow, pytest.mark.dataset]
MATCH_FIELDS = ("det", "rank", "max_iou", "candidate", "candidate_gt", "candidate_ignored", "outside")


def moved(gt: dict, results: list, seed: int) -> list:
    """Another NMS setting's detections, as a box-NMS move changes them: lower-scored duplicates of objects added
    after the best box (or removed), boxes far from every object added or removed, a few groups reordered."""
    rng = np.random.default_rng(seed + 100)
    out = []
    for r in results:
        roll = rng.random()
        if roll < 0.12:
            continue  # suppressed at this setting
        out.append(dict(r, bbox=list(r["bbox"])))
        if roll > 0.8:  # a duplicate that the lower threshold had suppressed, scored lower (or tied)
            dx = float(rng.choice([0.0, 0.5, 2.0]))
            score = r["score"] if rng.random() < 0.3 else float(np.float32(r["score"] * rng.uniform(0.5, 1.0)))
            out.append(dict(r, bbox=[r["bbox"][0] + dx, r["bbox"][1], r["bbox"][2], r["bbox"][3]], score=score))
    for image in gt["images"]:
        if rng.random() < 0.3:  # far from every object
            out.append({"image_id": image["id"], "category_id": int(rng.integers(1, 4)),
                        "bbox": [390.0, 390.0, 5.0, 5.0], "score": float(np.float32(rng.random()))})
    return sorted(out, key=lambda r: r["image_id"])


@pytest.mark.parametrize("seed", range(8))
def test_rematching_reuses_the_unchanged_start_of_each_group_and_equals_matching_all(seed, monkeypatch):
    gt, results = random_coco(seed, images=25)
    results = sorted(results, key=lambda r: r["image_id"])
    second = moved(gt, results, seed)
    solved = []
    plain_sparse = coco_matching.greedy_match_sparse

    def counting(*args, **kwargs):
        solved.append(len(args[0]))
        return plain_sparse(*args, **kwargs)

    for first, then in ((results, second), (second, results), (second, moved(gt, second, seed + 1))):
        a, gts, _ = as_arrays(gt, first)
        b, _, _ = as_arrays(gt, then)
        assert gts.iscrowd.any()
        for max_det in (100, 3):
            before = match(a, gts, max_det=max_det)
            solved.clear()
            with monkeypatch.context() as m:
                m.setattr(coco_matching, "greedy_match_sparse", counting)
                got = score_moves.rematch_changed(a, before, b, gts, max_det)
            want = match(b, gts, max_det=max_det)
            for name in MATCH_FIELDS:
                assert np.array_equal(getattr(got, name), getattr(want, name)), (seed, name, max_det)
            if max_det == 100:
                assert 0 < sum(solved) < len(want.candidate)  # some candidates reused, some matched again


def test_greedy_matching_continued_from_taken_objects_equals_the_whole_group():
    """Matching a group's later candidates from the objects its earlier ones took = matching the whole group; and
    without those objects it would not be (the objects taken matter in these cases)."""
    gt, results = random_coco(3, images=30)
    dets, gts, _ = as_arrays(gt, sorted(results, key=lambda r: r["image_id"]))
    prepared = coco_matching.prepare(dets, gts, max_det=100)
    whole = prepared.matches(np.ones(len(prepared.candidate), dtype=bool))
    group = prepared.group[prepared.candidate]
    place = np.arange(len(group)) - np.searchsorted(group, group)
    for cut in (1, 2, 3):
        solve = place >= cut
        assert solve.any() and (~solve).any()
        known_gt = np.where(solve[None, None, :], -1, whole.candidate_gt)
        known_ignored = np.where(solve[None, None, :], False, whole.candidate_ignored)
        part = prepared.matches(solve, known_gt, known_ignored)
        assert np.array_equal(part.candidate_gt, whole.candidate_gt), cut
        assert np.array_equal(part.candidate_ignored, whole.candidate_ignored), cut
        chosen = np.flatnonzero(solve)
        alone = np.full(whole.candidate_gt.shape[:2] + (len(chosen),), -1, dtype=np.int64)
        cand = prepared.candidate[chosen]
        coco_matching.greedy_match_sparse(prepared.group[cand], prepared.gt_start[cand], prepared.gt_count[cand],
                                          prepared.iou[chosen], prepared.gt_order, gts.iscrowd, prepared.gt_ignored,
                                          prepared.thresholds, alone, np.zeros(alone.shape, dtype=bool))
        assert not np.array_equal(alone, whole.candidate_gt[:, :, chosen]), cut


def cocoeval(gt: dict, results: list, max_dets=(1, 10, 100)) -> COCOeval:
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt)
        coco_gt.createIndex()
        ev = COCOeval(coco_gt, coco_gt.loadRes(copy.deepcopy(results)), "bbox")
        ev.params.maxDets = list(max_dets)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("scores", ["float32", "float64", "ties"])
def test_accumulate_from_the_candidates_equals_pycocotools(seed, scores):
    gt, results = random_coco(seed, images=30)
    rng = np.random.default_rng(seed)
    for r in results:
        if scores == "float64":
            r["score"] = float(rng.random())  # not a float32: the two-sort order
        elif scores == "ties":
            r["score"] = float(rng.choice([0.0, 0.25, 0.5]))
    ev = cocoeval(gt, results)
    dets, gts, num_classes = as_arrays(gt, results)
    acc = accumulate(match(dets, gts, max_det=100), dets, gts.category, num_classes)
    assert np.array_equal(acc.precision, ev.eval["precision"])
    assert np.array_equal(acc.recall, ev.eval["recall"])
    assert np.array_equal(acc.scores, ev.eval["scores"])
    assert list(summarize(acc).values()) == list(ev.stats)
    ev3 = cocoeval(gt, results, max_dets=(1, 2, 3))
    acc3 = accumulate(match(dets, gts, max_det=3), dets, gts.category, num_classes, max_dets=(1, 2, 3))
    assert np.array_equal(acc3.precision, ev3.eval["precision"])
    assert np.array_equal(acc3.scores, ev3.eval["scores"])


def test_the_orders_equal_lexsort():
    rng = np.random.default_rng(0)
    for n in (0, 1, 7, 3000):
        for kind in ("float32", "float64", "ties", "signed zero"):
            score = rng.random(n)
            if kind == "float32":
                score = score.astype(np.float32).astype(np.float64)
            elif kind == "ties":
                score = np.round(score, 1)
            elif kind == "signed zero":
                score = rng.choice([-0.0, 0.0, 0.5], n)
            category = rng.integers(0, 5, n)
            want = np.lexsort((np.arange(n), -score, category))
            assert np.array_equal(_coco_order(category, score), want), (n, kind)
            group = np.sort(rng.integers(0, max(n // 3, 1), n))
            by_model = np.lexsort((-score, group))  # each group by decreasing score, as the model gives them
            for g, s in ((group, score), (group[by_model], score[by_model])):
                assert np.array_equal(_group_score_order(g, s), np.lexsort((np.arange(n), -s, g))), (n, kind)


def test_box_nms_moves_equal_a_fresh_evaluation_and_pycocotools(demo_capture):
    moving = DatasetCapture.open(demo_capture.path)
    gt = json.loads(open(moving.manifest["dataset"]["annotations"]).read())
    ids = {int(im["image_id"]) for im in moving.images}
    gt["images"] = [im for im in gt["images"] if im["id"] in ids]
    gt["annotations"] = [a for a in gt["annotations"] if a["image_id"] in ids]
    moves = [{"box_nms_thresh": v} for v in (0.3, 0.35, 0.4, 0.55, 0.6, 0.65, 0.7, 0.75, 0.513, 0.9, 0.05)]
    moves += [{"box_nms_thresh": 0.7, "box_detections_per_img": d} for d in (3, 1, 20)]
    for settings in moves:
        metrics = moving.evaluate(**settings)
        plain = DatasetCapture.open(demo_capture.path).evaluate(**settings)
        for name in ("ap", "ap50", "ar100", "per_class", "counts", "per_image_counts"):
            assert getattr(metrics, name) == getattr(plain, name), (settings, name)
        assert np.array_equal(metrics.precision, plain.precision)
        with contextlib.redirect_stdout(io.StringIO()):
            coco_gt = COCO()
            coco_gt.dataset = copy.deepcopy(gt)
            coco_gt.createIndex()
            ev = COCOeval(coco_gt, coco_gt.loadRes(moving.coco_results(**settings)), "bbox")
            ev.params.catIds = list(moving.category_ids)
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        assert np.array_equal(metrics.precision, ev.eval["precision"]), settings
        assert np.array_equal(metrics.recall, ev.eval["recall"])
        assert np.array_equal(metrics.scores, ev.eval["scores"])
        assert [metrics.summary[k] for k in metrics.summary] == list(ev.stats)
