"""Anchor labels are the RPN's own training rule: equal to model.rpn.assign_targets_to_anchors, for every model."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest import noise_image, random_model

from inspectors import GroundTruth, capture, load_annotations, load_model

ROOT = Path(__file__).resolve().parents[1]
BUILDERS = [
    "fasterrcnn_resnet50_fpn",
    "fasterrcnn_resnet50_fpn_v2",
    "fasterrcnn_mobilenet_v3_large_fpn",
    "fasterrcnn_mobilenet_v3_large_320_fpn",
]
OBJECTS = [[12, 30, 150, 140], [160, 40, 300, 290], [5, 200, 40, 260], [250, 10, 262, 22], [100, 100, 180, 160]]


def small_input(inspected):
    """Keep the big builders fast (a smaller input, fewer RoIs for v2's conv box head): the anchors' count
    changes, not the rule under test."""
    t = inspected.model.transform
    if max(t.min_size) > 400:
        t.min_size, t.max_size = (352,), 512
    inspected.model.rpn._post_nms_top_n["testing"] = 100
    return inspected


def native_labels(trace, gt):
    boxes = trace.to_resized(torch.as_tensor(gt.boxes, dtype=torch.float32))
    rpn = trace.model.model.rpn
    labels, _ = rpn.assign_targets_to_anchors([trace.anchors], [{"boxes": boxes}])
    return labels[0]


@pytest.mark.parametrize("name", BUILDERS)
def test_anchor_labels_equal_torchvisions_for_every_builder(name):
    inspected = small_input(random_model(name, seed=2))
    trace = capture(inspected, noise_image(300, 320, seed=2))
    gt = GroundTruth.from_boxes(OBJECTS, ["cat", "dog", "cat", "dog", "cat"])
    report = trace.ground_truth(gt)
    labels = report.anchor_labels
    assert labels.shape == (trace.anchors.shape[0],) and labels.dtype == torch.float32
    assert torch.equal(labels, native_labels(trace, gt))
    counts = report.anchor_analysis.counts
    assert counts["positive"] > 0 and counts["negative"] > 0 and counts["ignored"] > 0
    assert sum(c.positive + c.negative + c.ignored for c in report.anchor_analysis.per_level) == labels.numel()


def test_anchor_labels_of_the_demo_model_on_its_scenes():
    model = load_model("demo", device="cpu")
    for name in ("shapes_02.png", "shapes_31.png"):
        trace = capture(model, ROOT / "sample_images" / name)
        gt = load_annotations(ROOT / "sample_images" / "shapes_annotations.json", image=name)
        report = trace.ground_truth(gt)
        assert torch.equal(report.anchor_labels, native_labels(trace, report.gt))
        a = report.anchor_analysis
        for obj in a.objects:  # every object gets at least its best anchor (low-quality rule)
            assert obj.positives >= 1
            assert report.anchor_labels[obj.best_anchor] == 1
            assert trace.decode_anchor(obj.best_anchor) == (obj.level, obj.y, obj.x, obj.shape)
            assert obj.low_quality_only == (obj.best_iou < a.fg_iou)


def test_an_object_no_anchor_fits_gets_positives_only_through_the_low_quality_rule():
    model = load_model("demo", device="cpu")
    trace = capture(model, ROOT / "sample_images" / "shapes_02.png")
    # A 200×14 sliver: no anchor shape (16…256 px, ratios ½, 1, 2) overlaps it by IoU 0.7.
    gt = GroundTruth.from_boxes([[100, 300, 300, 314], [50, 50, 114, 114]], ["rectangle", "circle"])
    a = trace.ground_truth(gt).anchor_analysis
    assert a.low_quality_objects == [0]
    assert a.objects[0].best_iou < 0.7 <= a.objects[1].best_iou
    assert a.objects[0].positives >= 1


def test_sampled_anchors_are_seeded_and_leave_the_global_rng_alone():
    model = load_model("demo", device="cpu")
    trace = capture(model, ROOT / "sample_images" / "shapes_04.png")
    gt = load_annotations(ROOT / "sample_images" / "shapes_annotations.json", image="shapes_04.png")
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    a = trace.ground_truth(gt, seed=5).anchor_analysis
    assert torch.equal(torch.rand(3), before), "the global RNG is untouched"
    b = trace.ground_truth(gt, seed=6).anchor_analysis
    assert a.sampled_positive.numel() + a.sampled_negative.numel() == a.batch_size_per_image
    assert (a.labels[a.sampled_positive] == 1).all() and (a.labels[a.sampled_negative] == 0).all()
    assert not torch.equal(a.sampled_negative, b.sampled_negative), "another seed samples other negatives"
    again = trace.ground_truth(gt, seed=5).anchor_analysis
    assert torch.equal(again.sampled_negative, a.sampled_negative)


def test_the_papers_border_rule_ignores_anchors_crossing_the_image():
    model = load_model("demo", device="cpu")
    trace = capture(model, ROOT / "sample_images" / "shapes_02.png")
    # An object at the corner: its best anchors cross the border.
    gt = GroundTruth.from_boxes([[0, 0, 60, 60], [150, 150, 230, 230]], ["circle", "circle"])
    a = trace.ground_truth(gt).anchor_analysis
    border = a.border
    h, w = trace.resized_size
    anchors = trace.anchors
    crossing = (anchors[:, 0] < 0) | (anchors[:, 1] < 0) | (anchors[:, 2] > w) | (anchors[:, 3] > h)
    assert border.crossing == int(crossing.sum()) > 0 and border.inside + border.crossing == anchors.shape[0]
    assert (border.labels[crossing] == -1).all()
    assert border.positives_lost == int(((a.labels == 1) & crossing).sum())
    # Inside the image the paper's rule is torchvision's matcher run on the inside anchors only.
    inside = ~crossing
    boxes = trace.to_resized(torch.as_tensor(gt.boxes, dtype=torch.float32))
    native, _ = trace.model.model.rpn.assign_targets_to_anchors([anchors[inside]], [{"boxes": boxes}])
    assert torch.equal(border.labels[inside], native[0])
