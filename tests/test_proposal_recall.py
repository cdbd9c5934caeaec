"""Proposal recall equals a brute-force count; AR@100/AR@1000 equal pycocotools' COCOeval with useCats=0."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest
from conftest import noise_image, random_model
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from inspectors import GroundTruth, capture, load_annotations, load_model
from inspectors.evaluation.matching import xyxy_to_xywh
from inspectors.ground_truth.proposal_recall import PROPOSAL_COUNTS, RECALL_IOU_THRESHOLDS

ROOT = Path(__file__).resolve().parents[1]


def brute_force_recall(proposals: np.ndarray, objects: np.ndarray, thresholds) -> np.ndarray:
    """For each threshold, the fraction of objects that at least one proposal overlaps by IoU ≥ threshold."""
    out = []
    for t in thresholds:
        covered = 0
        for g in objects:
            for p in proposals:
                iw = min(p[2], g[2]) - max(p[0], g[0])
                ih = min(p[3], g[3]) - max(p[1], g[1])
                if iw <= 0 or ih <= 0:
                    continue
                inter = iw * ih
                union = (p[2] - p[0]) * (p[3] - p[1]) + (g[2] - g[0]) * (g[3] - g[1]) - inter
                if inter / union >= t:
                    covered += 1
                    break
        out.append(covered / len(objects))
    return np.array(out)


@pytest.fixture(scope="module")
def demo():
    return load_model("demo", device="cpu")


def test_recall_vs_iou_at_the_current_top_n_equals_a_brute_force_count(demo):
    trace = capture(demo, ROOT / "sample_images" / "shapes_32.png")
    gt = load_annotations(ROOT / "sample_images" / "shapes_annotations.json", image="shapes_32.png")
    for settings in ({}, {"rpn_post_nms_top_n": 20}, {"rpn_post_nms_top_n": 3, "rpn_nms_thresh": 0.5}):
        report = trace.ground_truth(gt, **settings)
        proposals = report.replay.proposals.boxes.numpy().astype(np.float64)
        expected = brute_force_recall(proposals, report.gt.boxes, RECALL_IOU_THRESHOLDS)
        np.testing.assert_allclose(report.recall_vs_iou.recall, expected, rtol=0, atol=1e-12)
        assert report.recall_vs_iou.proposals == len(proposals)
    assert report.recall_vs_iou.recall[0] < 1.0, "three proposals cannot cover every object: the test can fail"


def test_recall_vs_number_of_proposals_is_the_replay_at_that_top_n(demo):
    trace = capture(demo, ROOT / "sample_images" / "shapes_12.png")
    gt = load_annotations(ROOT / "sample_images" / "shapes_annotations.json", image="shapes_12.png")
    curves = trace.ground_truth(gt).recall_vs_proposals
    assert curves.counts == PROPOSAL_COUNTS
    sizes = np.array(["small" if a < 32**2 else "medium" if a < 96**2 else "large" for a in gt.object_areas])
    for n, curve in zip(curves.counts, curves.curves):
        proposals = trace.replay(rpn_post_nms_top_n=n).proposals.boxes.numpy().astype(np.float64)
        assert curve.proposals == len(proposals)
        np.testing.assert_allclose(curve.recall, brute_force_recall(proposals, gt.boxes, RECALL_IOU_THRESHOLDS),
                                   rtol=0, atol=1e-12)
        for size in ("small", "medium", "large"):
            if (sizes == size).any():
                expected = brute_force_recall(proposals, gt.boxes[sizes == size], RECALL_IOU_THRESHOLDS)
                np.testing.assert_allclose(curve.by_size[size], expected, rtol=0, atol=1e-12)
            else:
                assert np.isnan(curve.by_size[size]).all()
    assert curves.curves[0].recall[0] < curves.curves[-1].recall[0], "10 proposals find fewer objects than 2000"


def cocoeval_proposals(gt: GroundTruth, boxes: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """COCOeval(useCats=0) stats with maxDets [1, 100, 1000] on proposals as detections of one category."""
    gx, px = xyxy_to_xywh(gt.boxes), xyxy_to_xywh(boxes)
    anns = [{"id": i + 1, "image_id": 1, "category_id": int(gt.labels[i]), "bbox": gx[i].tolist(),
             "area": float(gt.object_areas[i]), "iscrowd": 0} for i in range(len(gt))]
    ix = xyxy_to_xywh(gt.ignore_boxes)
    anns += [{"id": len(anns) + j + 1, "image_id": 1, "category_id": int(gt.ignore_labels[j]), "bbox": ix[j].tolist(),
              "area": float(ix[j, 2] * ix[j, 3]), "iscrowd": 1} for j in range(len(ix))]
    with contextlib.redirect_stdout(io.StringIO()):
        c = COCO()
        c.dataset = {"images": [{"id": 1}], "categories": [{"id": k} for k in range(1, 4)], "annotations": anns}
        c.createIndex()
        d = c.loadRes([{"image_id": 1, "category_id": 1, "bbox": px[i].tolist(), "score": float(scores[i])}
                       for i in range(len(px))])
        e = COCOeval(c, d, "bbox")
        e.params.useCats = 0
        e.params.maxDets = [1, 100, 1000]
        e.evaluate()
        e.accumulate()
        e.summarize()
    return e.stats


def check_ar(trace, gt):
    report = trace.ground_truth(gt)
    wide = trace.replay(rpn_post_nms_top_n=max(PROPOSAL_COUNTS)).proposals
    stats = cocoeval_proposals(report.gt, wide.boxes.numpy().astype(np.float64), wide.scores.numpy())
    assert report.ar["AR@100"] == pytest.approx(stats[7], abs=1e-12)
    assert report.ar["AR@1000"] == pytest.approx(stats[8], abs=1e-12)
    for size, stat in zip(("small", "medium", "large"), stats[9:12]):
        assert report.ar_by_size[size]["AR@1000"] == pytest.approx(stat, abs=1e-12)
    return report


def test_average_recall_equals_cocoeval_on_the_demo_scene(demo):
    trace = capture(demo, ROOT / "sample_images" / "shapes_04.png")
    gt = load_annotations(ROOT / "sample_images" / "shapes_annotations.json", image="shapes_04.png")
    report = check_ar(trace, gt)
    assert 0 < report.ar["AR@100"] <= report.ar["AR@1000"] <= 1


def test_average_recall_equals_cocoeval_with_crowd_regions_and_a_random_model():
    inspected = random_model("fasterrcnn_mobilenet_v3_large_320_fpn", seed=4)
    trace = capture(inspected, noise_image(320, 400, seed=4))
    gt = GroundTruth.from_boxes(
        [[20, 30, 120, 90], [200, 50, 380, 300], [10, 250, 40, 300], [150, 150, 220, 230], [300, 10, 330, 40]],
        ["cat", "dog", "cat", "dog", "cat"], ignore_boxes=[[0, 0, 160, 160]], ignore_names=["dog"])
    report = check_ar(trace, gt)
    assert report.ar["AR@1000"] > 0
