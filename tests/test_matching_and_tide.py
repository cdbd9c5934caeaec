"""COCO matching in numpy equals pycocotools' COCOeval, and so does per-image AP; TIDE types follow the tool."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from inspectors import GroundTruth, capture, load_annotations, load_model
from inspectors.evaluation.matching import COCO_AREA_RANGES, COCO_IOU_THRESHOLDS, coco_iou, match_image, xyxy_to_xywh
from inspectors.evaluation.tide import classify_errors

ROOT = Path(__file__).resolve().parents[1]


def random_scene(rng, classes=3):
    g = int(rng.integers(0, 8))
    d = int(rng.integers(0, 40))
    xy = rng.uniform(0, 300, (g, 2))
    gt_boxes = np.concatenate([xy, xy + rng.uniform(5, 150, (g, 2))], 1)
    gt_labels = rng.integers(1, classes + 1, g)
    crowd = rng.uniform(size=g) < 0.2
    src = rng.integers(0, max(g, 1), d)
    base = gt_boxes[src] if g else rng.uniform(0, 300, (d, 4))
    det_boxes = base + rng.normal(0, 12, (d, 4))
    det_boxes[:, 2:] = np.maximum(det_boxes[:, 2:], det_boxes[:, :2] + 1)
    det_labels = np.where(rng.uniform(size=d) < 0.7, gt_labels[src] if g else 1, rng.integers(1, classes + 1, d))
    det_scores = np.round(rng.uniform(size=d), 2)  # rounded: ties must break as COCOeval breaks them
    areas = (gt_boxes[:, 2] - gt_boxes[:, 0]) * (gt_boxes[:, 3] - gt_boxes[:, 1]) * rng.uniform(0.4, 1, g)
    return gt_boxes, gt_labels, crowd, areas, det_boxes, det_scores, det_labels


def cocoeval(gt_boxes, gt_labels, crowd, areas, det_boxes, det_scores, det_labels, *, use_cats, max_dets,
             classes=3):
    gx, dx = xyxy_to_xywh(gt_boxes), xyxy_to_xywh(det_boxes)
    dataset = {
        "images": [{"id": 1}],
        "categories": [{"id": k} for k in range(1, classes + 1)],
        "annotations": [{"id": i + 1, "image_id": 1, "category_id": int(gt_labels[i]), "bbox": gx[i].tolist(),
                         "area": float(areas[i]), "iscrowd": int(crowd[i])} for i in range(len(gx))],
    }
    with contextlib.redirect_stdout(io.StringIO()):
        c = COCO()
        c.dataset = dataset
        c.createIndex()
        d = c.loadRes([{"image_id": 1, "category_id": int(det_labels[i]), "bbox": dx[i].tolist(),
                        "score": float(det_scores[i])} for i in range(len(dx))]) if len(dx) else None
        if d is None:
            d = COCO()
            d.dataset = {"images": [{"id": 1}], "categories": dataset["categories"], "annotations": []}
            d.createIndex()
        e = COCOeval(c, d, "bbox")
        e.params.useCats = int(use_cats)
        e.params.maxDets = [max_dets]
        e.evaluate()
    return e


def test_matching_equals_cocoeval_evaluateimg_on_random_scenes():
    rng = np.random.default_rng(11)
    checked = 0
    for trial in range(60):
        scene = random_scene(rng)
        gt_boxes, gt_labels, crowd, areas, det_boxes, det_scores, det_labels = scene
        use_cats, max_dets = bool(trial % 2), int(rng.choice([5, 10, 100]))
        e = cocoeval(*scene, use_cats=use_cats, max_dets=max_dets)
        cats = e.params.catIds if use_cats else [-1]
        for a, area_range in enumerate(COCO_AREA_RANGES.values()):
            ours = match_image(det_boxes, det_scores, det_labels, gt_boxes, gt_labels, crowd,
                               iou_thresholds=COCO_IOU_THRESHOLDS, use_cats=use_cats, max_dets=max_dets,
                               area_range=area_range, gt_areas=areas)
            for k in range(len(cats)):
                theirs = e.evalImgs[k * len(COCO_AREA_RANGES) + a]
                if theirs is None:
                    continue
                dets = np.array(theirs["dtIds"], dtype=np.int64) - 1
                gts = np.array(theirs["gtIds"], dtype=np.int64) - 1
                np.testing.assert_array_equal(ours.det_gt[:, dets], theirs["dtMatches"].astype(np.int64) - 1)
                np.testing.assert_array_equal(ours.det_ignored[:, dets], theirs["dtIgnore"].astype(bool))
                np.testing.assert_array_equal(ours.gt_det[:, gts], theirs["gtMatches"].astype(np.int64) - 1)
                np.testing.assert_array_equal(ours.gt_ignored[gts], theirs["gtIgnore"].astype(bool))
                assert ours.det_evaluated[dets].all()
                checked += len(dets)
    assert checked > 500


def test_iou_is_pycocotools_to_the_bit_crowd_included():
    rng = np.random.default_rng(2)
    d = np.concatenate([rng.uniform(0, 100, (30, 2)), rng.uniform(1, 80, (30, 2))], 1)
    g = np.concatenate([rng.uniform(0, 100, (9, 2)), rng.uniform(1, 80, (9, 2))], 1)
    crowd = np.arange(9) % 3 == 0
    np.testing.assert_array_equal(coco_iou(d, g, crowd), mask_utils.iou(d.tolist(), g.tolist(), crowd.tolist()))


def test_tide_types_follow_the_tool_order():
    objects = np.array([[0, 0, 100, 100], [200, 0, 300, 100], [0, 200, 100, 300]], dtype=float)
    labels = np.array([1, 1, 2])
    gt = GroundTruth.from_boxes(objects, ["a", "a", "b"]).for_model(["bg", "a", "b"])
    dets = np.array([
        [0, 0, 100, 100],      # 0: TP for object 0
        [2, 2, 100, 100],      # 1: duplicate of object 0 (already matched by det 0)
        [200, 0, 265, 100],    # 2: right class, IoU 0.65 with object 1 → TP ...
        [200, 0, 240, 100],    # 3: ... so this one (IoU 0.4 with object 1, same class) is a loc error
        [0, 200, 100, 300],    # 4: class 1 on object 2 (class 2): cls error
        [500, 500, 540, 540],  # 5: nowhere near anything: bkg
        [0, 230, 100, 330],    # 6: class 1, IoU 0.54 with object 2 of class 2 → cls
        [60, 200, 160, 300],   # 7: class 1, IoU 0.25 with object 2 (class 2), none with class 1 → both
    ], dtype=float)
    det_labels = np.array([1, 1, 1, 1, 1, 1, 1, 1])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
    m = match_image(dets, scores, det_labels, objects, labels)
    assert m.tp().tolist() == [True, False, True, False, False, False, False, False]
    errors = classify_errors(m.ious, det_labels, scores, m.fp(), labels, m.gt_det[0] >= 0)
    kinds = {e.detection: e.kind for e in errors if e.detection is not None}
    assert kinds == {1: "dupe", 3: "loc", 4: "cls", 5: "bkg", 6: "cls", 7: "both"}
    # object 2 was never found, but a cls error points at it: TIDE does not count it as a miss as well
    assert [e for e in errors if e.kind == "miss"] == []
    # without those detections it is a plain miss
    m2 = match_image(dets[:4], scores[:4], det_labels[:4], objects, labels)
    errors2 = classify_errors(m2.ious, det_labels[:4], scores[:4], m2.fp(), labels, m2.gt_det[0] >= 0)
    assert [(e.kind, e.gt) for e in errors2 if e.kind == "miss"] == [("miss", 2)]
    assert gt.labels.tolist() == labels.tolist()


@pytest.fixture(scope="module")
def demo_scene():
    model = load_model("demo", device="cpu")
    trace = capture(model, ROOT / "sample_images" / "shapes_ood_18.png")
    return trace, load_annotations(ROOT / "sample_images" / "shapes_annotations.json", image="shapes_ood_18.png")


@pytest.mark.parametrize("settings", [{}, {"box_score_thresh": 0.5}, {"box_nms_thresh": 0.8, "rpn_nms_thresh": 0.5}])
def test_per_image_ap_equals_a_standard_cocoeval_run(demo_scene, settings):
    """The report's AP (pycocotools with only the present categories) equals COCOeval with its default
    parameters, all categories, through COCO.loadRes — the standard evaluation of this one image."""
    trace, gt = demo_scene
    report = trace.ground_truth(gt, **settings)
    det = report.replay.detections
    data = {
        "images": [{"id": 1, "width": trace.original_size[1], "height": trace.original_size[0]}],
        "categories": [{"id": i, "name": n} for i, n in enumerate(trace.categories) if i > 0],
        "annotations": [{"id": i + 1, "image_id": 1, "category_id": int(c), "bbox": xyxy_to_xywh(b[None])[0].tolist(),
                         "area": float(a), "iscrowd": 0}
                        for i, (b, c, a) in enumerate(zip(report.gt.boxes, report.gt.labels, report.gt.object_areas))],
    }
    results = [{"image_id": 1, "category_id": int(c), "bbox": xyxy_to_xywh(b[None].astype(np.float64))[0].tolist(),
                "score": float(s)} for b, c, s in zip(det.boxes.numpy(), det.labels.numpy(), det.scores.numpy())]
    with contextlib.redirect_stdout(io.StringIO()):
        c = COCO()
        c.dataset = data
        c.createIndex()
        e = COCOeval(c, c.loadRes(results), "bbox")
        e.evaluate()
        e.accumulate()
        e.summarize()
    assert len(det) > 0 and report.ap is not None
    assert report.ap == pytest.approx(e.stats[0], abs=1e-12)
    assert report.ap50 == pytest.approx(e.stats[1], abs=1e-12)
    tp, fp, fn = report.tp, report.fp, report.fn
    assert tp + fn == len(report.gt) and tp + fp == len(det)


def test_per_image_ap_equals_pycocotools_on_random_scenes_ties_and_crowds_included():
    """The single-image AP comes from the one COCO evaluator of the project; pycocotools is the oracle."""
    from inspectors.ground_truth.detection_eval import coco_ap

    rng = np.random.default_rng(5)
    compared = 0
    for _ in range(40):
        scene = random_scene(rng)
        gt_boxes, gt_labels, crowd, areas, det_boxes, det_scores, det_labels = scene
        e = cocoeval(*scene, use_cats=True, max_dets=100)
        with contextlib.redirect_stdout(io.StringIO()):
            e.params.areaRng, e.params.areaRngLbl = [[0.0**2, 1e5**2]], ["all"]
            e.params.catIds = sorted({int(c) for c in np.concatenate([gt_labels, det_labels])}) or [1]
            e.evaluate()
            e.accumulate()
        precision = e.eval["precision"][:, :, :, 0, -1]
        valid, valid50 = precision[precision > -1], precision[0][precision[0] > -1]
        ap, ap50 = coco_ap(det_boxes, det_scores, det_labels, gt_boxes, gt_labels, crowd, areas)
        assert ap == (float(valid.mean()) if valid.size else None)
        assert ap50 == (float(valid50.mean()) if valid50.size else None)
        compared += ap is not None
    assert compared > 20
