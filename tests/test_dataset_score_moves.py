"""The Dataset tab's score slider is the fast one: `evaluate()` at a higher box score threshold than an evaluation
already made (same other six thresholds) restricts that evaluation's matches and reads its ScoreSlider — no
matching, no accumulation — and its every number equals the plain evaluation's (a fresh capture object that has no
lower evaluation to start from) and pycocotools'."""

from __future__ import annotations

import contextlib
import copy
import io
import json

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from inspectors import DatasetCapture
from inspectors.dataset.operating_points import filter_per_class
from inspectors.dataset.score_moves import restrict
from inspectors.evaluation.coco_matching import match
from inspectors.evaluation.metrics import detection_metrics

pytestmark = [pytest.mark.slow, pytest.mark.dataset]

FIELDS = ("ap", "ap50", "ap75", "ap_small", "ap_medium", "ap_large", "ar1", "ar10", "ar100", "ar_small",
          "ar_medium", "ar_large", "per_class", "per_class_ap50", "counts", "per_image_counts", "proposal_ar")


def thresholds(dataset) -> list[float]:
    """Twelve score thresholds above the base: six of them exactly a detection's score (ties at the cut)."""
    scores = np.unique(dataset.detection_set(box_score_thresh=0.02).score.astype(np.float32))
    picks = [float(scores[int(q * (len(scores) - 1))]) for q in (0.1, 0.3, 0.5, 0.7, 0.9, 0.97)]
    return sorted(set(picks + [0.03, 0.05, 0.2, 0.45, 0.8, 0.99]))


def assert_same_metrics(fast, plain) -> None:
    for name in FIELDS:
        assert getattr(fast, name) == getattr(plain, name), name
    assert np.array_equal(fast.precision, plain.precision)
    assert np.array_equal(fast.recall, plain.recall)
    assert np.array_equal(fast.scores, plain.scores)
    assert fast.per_image == plain.per_image
    assert fast.tide == plain.tide


def test_score_moves_equal_the_plain_evaluation(demo_capture):
    moving = DatasetCapture.open(demo_capture.path)
    moving.evaluate(box_score_thresh=0.02, box_nms_thresh=0.45)  # the base: the lowest score seen
    used = 0
    for score in thresholds(moving):
        fast = moving.evaluate(box_score_thresh=score, box_nms_thresh=0.45)
        plain = DatasetCapture.open(demo_capture.path).evaluate(box_score_thresh=score, box_nms_thresh=0.45)
        assert_same_metrics(fast, plain)
        base = moving._score_moves.bases.peek(moving._score_moves._other(fast.settings))
        assert base is not None and base.score == 0.02  # higher scores never replace the base
        used += base.slider is not None
    assert used > 0  # the ScoreSlider answered
    lower = moving.evaluate(box_score_thresh=0.01, box_nms_thresh=0.45)  # below the base: plain, the new base
    assert moving._score_moves.bases.peek(moving._score_moves._other(lower.settings)).score == 0.01


def test_restricted_matches_equal_matching_again(demo_capture):
    dets = demo_capture.detection_set(box_score_thresh=0.0)
    gts = demo_capture.ground_truth()
    base = match(dets, gts, max_det=100)
    for score in (0.0, 0.05, 0.3, float(np.float32(np.median(dets.score)))):
        kept, matches = restrict(dets, base, score)
        assert np.array_equal(kept.score, dets.score[dets.score.astype(np.float32) > np.float32(score)])
        again = match(kept, gts, max_det=100)
        for name in ("det", "rank", "max_iou", "candidate", "candidate_gt", "candidate_ignored", "outside"):
            assert np.array_equal(getattr(matches, name), getattr(again, name)), name


def test_score_moves_equal_pycocotools(demo_capture):
    moving = DatasetCapture.open(demo_capture.path)
    moving.evaluate(box_score_thresh=0.02)
    gt = json.loads(open(moving.manifest["dataset"]["annotations"]).read())
    ids = {int(im["image_id"]) for im in moving.images}
    gt["images"] = [im for im in gt["images"] if im["id"] in ids]
    gt["annotations"] = [a for a in gt["annotations"] if a["image_id"] in ids]
    for score in thresholds(moving)[::2]:
        metrics = moving.evaluate(box_score_thresh=score)
        results = moving.coco_results(box_score_thresh=score)
        with contextlib.redirect_stdout(io.StringIO()):
            coco_gt = COCO()
            coco_gt.dataset = copy.deepcopy(gt)
            coco_gt.createIndex()
            ev = COCOeval(coco_gt, coco_gt.loadRes(results), "bbox")
            ev.params.catIds = list(moving.category_ids)
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        assert np.array_equal(metrics.precision, ev.eval["precision"]), score
        assert np.array_equal(metrics.recall, ev.eval["recall"])
        assert [metrics.ap, metrics.ap50, metrics.ar100] == [ev.stats[0], ev.stats[1], ev.stats[8]]


@pytest.mark.parametrize("settings", [{}, {"box_score_thresh": 0.2, "box_nms_thresh": 0.35}])
def test_per_class_thresholds_applied_equal_evaluating_the_filtered_detections(demo_capture, settings):
    """operating_points().apply() keeps the evaluation's matches for the detections the per-class thresholds keep
    (no matching again): equal to evaluating those detections from scratch."""
    ds = DatasetCapture.open(demo_capture.path)
    op = ds.operating_points(**settings)
    dets, gts = ds.detection_set(**settings), ds.ground_truth()
    classes, names = tuple(ds.class_names), tuple(ds.names)
    for thresholds in (None, {classes[0]: 0.5}, {name: 0.3 + 0.2 * k for k, name in enumerate(classes)}):
        applied = op.apply(thresholds)
        chosen = applied.thresholds
        before = detection_metrics(dets, gts, classes, names)[2]
        after = detection_metrics(filter_per_class(dets, classes, chosen), gts, classes, names)[2]
        assert (applied.ap_before, applied.ap50_before, applied.f1_before, applied.per_class_ap_before) == \
            (before["ap"], before["ap50"], before["counts"]["f1_50"], before["per_class"])
        assert (applied.ap_after, applied.ap50_after, applied.f1_after, applied.per_class_ap_after) == \
            (after["ap"], after["ap50"], after["counts"]["f1_50"], after["per_class"])


MATCH_FIELDS = ("det", "rank", "max_iou", "candidate", "candidate_gt", "candidate_ignored", "outside")


def test_nms_and_per_image_moves_match_only_the_images_that_changed(demo_capture):
    """A box-NMS or detections-per-image move re-matches only the images whose detections changed (the others keep
    the previous evaluation's matches): equal to matching every image again, and to the plain evaluation."""
    moving = DatasetCapture.open(demo_capture.path)
    gts = moving.ground_truth()
    moves = [{}, {"box_nms_thresh": 0.3}, {"box_nms_thresh": 0.3, "box_detections_per_img": 2},
             {"box_nms_thresh": 0.7, "box_detections_per_img": 2}, {"box_nms_thresh": 0.7},
             {"box_detections_per_img": 1}, {"box_nms_thresh": 0.05}, {"box_nms_thresh": 1.0}]
    for settings in moves:
        metrics = moving.evaluate(**settings)
        dets, matches = moving.matches(**settings)
        again = match(moving.detection_set(**settings), gts, max_det=100)
        for name in MATCH_FIELDS:
            assert np.array_equal(getattr(matches, name), getattr(again, name)), (settings, name)
        plain = DatasetCapture.open(demo_capture.path).evaluate(**settings)
        assert_same_metrics(metrics, plain)


@pytest.mark.parametrize("seed", range(6))
def test_rematching_changed_images_equals_matching_all(seed):
    """Random sets: images dropped, added, with one detection moved, re-scored, re-classed, or unchanged."""
    from test_dataset_fast_paths import as_arrays, random_coco

    from inspectors.dataset.score_moves import rematch_changed

    gt, results = random_coco(seed, images=20)
    rng = np.random.default_rng(seed)
    changed = []
    for r in results:
        roll = rng.random()
        if roll < 0.05:
            continue  # dropped
        r = dict(r, bbox=list(r["bbox"]))
        if roll < 0.1:
            r["bbox"][0] += 3.0
        elif roll < 0.15:
            r["score"] = float(np.float32(rng.random()))
        elif roll < 0.2:
            r["category_id"] = 1
        changed.append(r)
    changed += [{"image_id": 20, "category_id": 2, "bbox": [5.0, 5.0, 40.0, 40.0], "score": 0.7}]
    for first, second in ((results, changed), (changed, results), (results, results), (results, []), ([], results)):
        a, gts, _ = as_arrays(gt, sorted(first, key=lambda r: r["image_id"]))
        b, _, _ = as_arrays(gt, sorted(second, key=lambda r: r["image_id"]))
        for max_det in (100, 2):
            got = rematch_changed(a, match(a, gts, max_det=max_det), b, gts, max_det)
            want = match(b, gts, max_det=max_det)
            for name in MATCH_FIELDS:
                assert np.array_equal(getattr(got, name), getattr(want, name)), (seed, name, max_det)
