"""Dataset evaluation equals pycocotools' COCOeval on the same detections — the precision / recall arrays, the
twelve summary numbers, per-class and per-image AP, proposal recall — at several settings and edge cases."""

from __future__ import annotations

import contextlib
import copy
import io
import json

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from inspectors import capture_dataset
from inspectors.evaluation.coco_accumulate import accumulate, summarize
from inspectors.evaluation.coco_matching import DetectionSet, GroundTruthArrays, match
from inspectors.evaluation.metrics import proposal_recall

pytestmark = [pytest.mark.slow, pytest.mark.dataset]

STAT_NAMES = ("ap", "ap50", "ap75", "ap_small", "ap_medium", "ap_large", "ar1", "ar10", "ar100", "ar_small",
              "ar_medium", "ar_large")


def cocoeval(gt: dict, results: list, **params) -> COCOeval:
    """pycocotools, silenced; an empty result list is evaluated too (loadRes refuses one)."""
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt)
        coco_gt.createIndex()
        if results:
            coco_dt = coco_gt.loadRes(copy.deepcopy(results))
        else:
            coco_dt = COCO()
            coco_dt.dataset = {"images": gt["images"], "categories": gt["categories"], "annotations": []}
            coco_dt.createIndex()
        ev = COCOeval(coco_gt, coco_dt, "bbox")
        for key, value in params.items():
            setattr(ev.params, key, value)
        ev.evaluate()
        ev.accumulate()
        if list(ev.params.maxDets) == [1, 10, 100]:
            ev.summarize()
    return ev


# ---- the matcher and accumulator on random sets -------------------------------------------------------------------
def random_set(seed: int, images: int = 25, classes: int = 3):
    """GT with crowd regions and varied areas, detections near objects (some with the wrong class) and far from
    them, tied scores, and one class with no ground truth."""
    rng = np.random.default_rng(seed)
    gt = {"images": [], "annotations": [], "categories": [{"id": k, "name": f"c{k}"} for k in range(1, classes + 2)]}
    results = []
    for i in range(1, images + 1):
        gt["images"].append({"id": i, "file_name": f"{i}.png", "width": 400, "height": 400})
        objects = []
        for _ in range(int(rng.integers(0, 8))):
            x, y = rng.uniform(0, 300, 2)
            w, h = rng.uniform(4, 160, 2)
            c = int(rng.integers(1, classes + 1))
            gt["annotations"].append({"id": len(gt["annotations"]) + 1, "image_id": i, "category_id": c,
                                      "bbox": [x, y, w, h], "area": float(w * h * rng.uniform(0.5, 1)),
                                      "iscrowd": int(rng.random() < 0.1)})
            objects.append((x, y, w, h, c))
        for _ in range(int(rng.integers(0, 30))):
            if objects and rng.random() < 0.7:
                x, y, w, h, c = objects[int(rng.integers(len(objects)))]
                dx, dy, dw, dh = rng.normal(0, 8, 4)
                box = [x + dx, y + dy, max(1.0, w + dw), max(1.0, h + dh)]
                if rng.random() < 0.2:
                    c = int(rng.integers(1, classes + 2))
            else:
                box = [*rng.uniform(0, 300, 2), *rng.uniform(4, 160, 2)]
                c = int(rng.integers(1, classes + 2))
            score = float(np.float32(rng.choice([0.5, 0.75, rng.random()])))
            results.append({"image_id": i, "category_id": c, "bbox": [float(v) for v in box], "score": score})
    return gt, results


def arrays(gt: dict, results: list, pooled: bool = False):
    cat_ids = sorted(c["id"] for c in gt["categories"])
    cls = {c: k for k, c in enumerate(cat_ids)}
    img = {im["id"]: n for n, im in enumerate(sorted(gt["images"], key=lambda im: im["id"]))}
    anns = gt["annotations"]
    dets = DetectionSet(
        image=np.array([img[d["image_id"]] for d in results], dtype=np.int64),
        category=np.array([0 if pooled else cls[d["category_id"]] for d in results], dtype=np.int64),
        bbox=np.array([d["bbox"] for d in results], dtype=np.float64).reshape(-1, 4),
        score=np.array([d["score"] for d in results], dtype=np.float64))
    gts = GroundTruthArrays(
        image=np.array([img[a["image_id"]] for a in anns], dtype=np.int64),
        category=np.array([cls[a["category_id"]] for a in anns], dtype=np.int64),
        bbox=np.array([a["bbox"] for a in anns], dtype=np.float64).reshape(-1, 4),
        area=np.array([a["area"] for a in anns], dtype=np.float64),
        iscrowd=np.array([bool(a["iscrowd"]) for a in anns]))
    return dets, gts, len(cat_ids)


@pytest.mark.parametrize("seed", range(4))
def test_matching_and_accumulation_equal_cocoeval_bit_for_bit(seed):
    gt, results = random_set(seed)
    ev = cocoeval(gt, results)
    dets, gts, num_classes = arrays(gt, results)
    acc = accumulate(match(dets, gts, max_det=100), dets, gts.category, num_classes)
    assert np.array_equal(acc.precision, ev.eval["precision"])
    assert np.array_equal(acc.recall, ev.eval["recall"])
    assert np.array_equal(acc.scores, ev.eval["scores"])
    assert list(summarize(acc).values()) == list(ev.stats)


def test_few_detections_per_image_as_cocoeval_cuts_them():
    gt, results = random_set(7)
    ev = cocoeval(gt, results, maxDets=[1, 3, 5])
    dets, gts, num_classes = arrays(gt, results)
    acc = accumulate(match(dets, gts, max_det=5), dets, gts.category, num_classes, max_dets=(1, 3, 5))
    assert np.array_equal(acc.precision, ev.eval["precision"])
    assert np.array_equal(acc.recall, ev.eval["recall"])


def test_class_agnostic_recall_equals_cocoeval_with_use_cats_0():
    gt, results = random_set(3, images=30)
    for r in results:
        r["category_id"] = 1
    ev = cocoeval(gt, results, useCats=0, maxDets=[5, 10, 100])
    dets, gts, _ = arrays(gt, results, pooled=True)
    recall = proposal_recall(dets, gts, counts=(5, 10, 100))
    assert np.array_equal(recall.recall, ev.eval["recall"][:, 0, :, :])


# ---- a dataset capture against pycocotools -------------------------------------------------------------------------
def captured_gt(dataset) -> dict:
    """The annotation file the capture was made from, restricted to the captured images."""
    gt = json.loads(open(dataset.manifest["dataset"]["annotations"]).read())
    ids = {int(im["image_id"]) for im in dataset.images}
    gt["images"] = [im for im in gt["images"] if im["id"] in ids]
    gt["annotations"] = [a for a in gt["annotations"] if a["image_id"] in ids]
    return gt


def assert_equals_pycocotools(dataset, **settings) -> None:
    metrics = dataset.evaluate(**settings)
    gt = captured_gt(dataset)
    results = dataset.coco_results(**settings)
    ev = cocoeval(gt, results, catIds=list(dataset.category_ids))
    assert np.array_equal(metrics.precision, ev.eval["precision"])
    assert np.array_equal(metrics.recall, ev.eval["recall"])
    for name, value in zip(STAT_NAMES, ev.stats):
        assert getattr(metrics, name) == pytest.approx(value, abs=1e-12), name
    for k, name in enumerate(dataset.class_names):
        p = ev.eval["precision"][:, :, k, 0, -1]
        assert metrics.per_class[name] == pytest.approx(float(np.mean(p[p > -1])) if (p > -1).any() else -1.0,
                                                        abs=1e-12)
    for entry in dataset.images:  # COCOeval on that image alone
        one = cocoeval(gt, results, catIds=list(dataset.category_ids), imgIds=[entry["image_id"]])
        assert metrics.per_image[entry["name"]] == pytest.approx(one.stats[0], abs=1e-9), entry["name"]
    proposals = dataset.proposal_set(**settings)
    proposal_results = [{"image_id": int(dataset.images[i]["image_id"]), "category_id": dataset.category_ids[0],
                         "bbox": [float(v) for v in b], "score": float(s)}
                        for i, b, s in zip(proposals.image, proposals.bbox, proposals.score)]
    ev = cocoeval(gt, proposal_results, useCats=0, maxDets=[100, 1000])
    for a, area in enumerate(("all", "small", "medium", "large")):
        for m, count in enumerate((100, 1000)):
            r = ev.eval["recall"][:, 0, a, m]
            expected = float(np.mean(r[r > -1])) if (r > -1).any() else -1.0
            key = f"AR@{count}" if area == "all" else f"AR_{area}@{count}"
            assert metrics.proposal_ar[key] == pytest.approx(expected, abs=1e-12), key


@pytest.mark.parametrize("settings", [
    {},
    {"box_score_thresh": 0.3, "box_nms_thresh": 0.3},
    {"box_score_thresh": 0.0, "box_detections_per_img": 400},  # > 100 per class: COCO's maxDets cut applies
    {"rpn_pre_nms_top_n": 300, "rpn_nms_thresh": 0.5, "rpn_post_nms_top_n": 200},
    {"rpn_score_thresh": 0.6, "box_detections_per_img": 3},
])
def test_dataset_evaluation_equals_pycocotools(demo_capture, settings):
    assert_equals_pycocotools(demo_capture, **settings)


def test_no_detections_at_all(demo_capture):
    metrics = demo_capture.evaluate(box_score_thresh=1.0)
    assert metrics.counts["detections"] == 0
    assert metrics.ap == 0.0 and metrics.ar100 == 0.0
    assert all(v == 0.0 for v in metrics.per_class.values())
    assert_equals_pycocotools(demo_capture, box_score_thresh=1.0)


def test_crowd_regions_classes_without_ground_truth_and_classes_the_model_lacks(demo_model, demo_scenes, tmp_path):
    images, annotations = demo_scenes
    gt = json.loads(annotations.read_text())
    gt["images"] = gt["images"][:4]
    gt["annotations"] = [a for a in gt["annotations"] if a["image_id"] <= 4]
    gt["annotations"] = [a for a in gt["annotations"] if a["category_id"] != 3]  # no triangle left
    for a in gt["annotations"][::3]:
        a["iscrowd"] = 1  # crowd regions absorb detections, count neither way
    gt["categories"].append({"id": 7, "name": "hexagon", "supercategory": "shape"})  # the model has no hexagon
    (tmp_path / "edge.json").write_text(json.dumps(gt))
    dataset = capture_dataset(demo_model, images, tmp_path / "edge.json", tmp_path / "capture", progress=False,
                              threads=1)
    assert len(dataset) == 4
    assert dataset.class_names == ("circle", "rectangle", "triangle")
    assert dataset.manifest["dataset"]["unmatched_categories"] == ["hexagon"]
    metrics = dataset.evaluate()
    assert metrics.per_class["triangle"] == -1.0  # detected, but no ground truth: COCOeval leaves it out
    assert metrics.ap > 0
    for settings in ({}, {"box_score_thresh": 0.01, "box_detections_per_img": 300}, {"rpn_nms_thresh": 0.9}):
        assert_equals_pycocotools(dataset, **settings)


def test_metrics_are_memoised_and_json_ready(demo_capture):
    first = demo_capture.evaluate(box_score_thresh=0.21)
    assert demo_capture.evaluate(box_score_thresh=0.21) is first
    data = json.loads(json.dumps(first.to_dict()))
    assert data["ap"] == first.ap and set(data["per_image"]) == set(demo_capture.names)
    recall, precision = first.pr_curve("circle", iou=0.5)
    assert recall.shape == precision.shape == (101,)
    assert first.counts["tp50"] + first.counts["fn50"] == first.counts["objects"]


def test_tide_breakdown_agrees_with_the_single_image_engine(demo_capture):
    """Per image, the dataset's TIDE types are what ground_truth.detection_eval gives for that image alone; the
    fixes can only help; every false positive at IoU 0.5 gets a type."""
    from inspectors.evaluation.tide import count_errors
    from inspectors.ground_truth.annotations import load_annotations
    from inspectors.ground_truth.detection_eval import evaluate_detections

    dataset = demo_capture
    for settings in ({}, {"box_score_thresh": 0.5}):
        metrics = dataset.evaluate(**settings)
        tide = metrics.tide
        assert set(tide) == {"cls", "loc", "both", "dupe", "bkg", "miss"}
        assert sum(tide[k]["count"] for k in ("cls", "loc", "both", "dupe", "bkg")) == metrics.counts["fp50"]
        assert tide["miss"]["count"] <= metrics.counts["fn50"]
        for kind in ("bkg", "dupe", "both", "miss"):
            assert tide[kind]["dap"] >= -1e-12, kind  # dropping false positives / uncounted misses cannot hurt
        for entry in dataset.images:
            gt = load_annotations(dataset.manifest["dataset"]["annotations"], image=entry["file_name"])
            det = dataset.replay(entry["name"], **settings).detections
            single = evaluate_detections(det.boxes.numpy(), det.scores.numpy(), det.labels.numpy(),
                                         gt.for_model(dataset.categories))
            assert metrics.tide_per_image[entry["name"]] == count_errors(single.errors), entry["name"]


@pytest.mark.parametrize("settings", [{}, {"rpn_post_nms_top_n": 300, "rpn_score_thresh": 0.3},
                                      {"rpn_pre_nms_top_n": 100, "rpn_nms_thresh": 0.9}])
def test_proposal_recall_from_stored_overlaps_equals_matching_the_proposals(demo_capture, settings):
    """The dataset's proposal recall reuses each stored candidate's IoUs; matching the proposals' boxes from
    scratch (COCOeval's rule, classes pooled) gives the same array."""
    metrics = demo_capture.evaluate(**settings)
    direct = proposal_recall(demo_capture.proposal_set(**settings), demo_capture.ground_truth())
    assert np.array_equal(metrics.proposal_recall.recall, direct.recall)


def test_warmed_rpn_nms_thresholds_give_the_same_metrics(demo_capture):
    cold = demo_capture.evaluate(rpn_nms_thresh=0.55, rpn_pre_nms_top_n=900)
    demo_capture.clear_cache()
    demo_capture.warm_rpn_nms([0.55])
    warm = demo_capture.evaluate(rpn_nms_thresh=0.55, rpn_pre_nms_top_n=900)
    assert warm is not cold and warm.ap == cold.ap and np.array_equal(warm.precision, cold.precision)
