"""The funnel follows each object through every stage; "detected" means exactly "has a true-positive match"."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torchvision.ops import batched_nms, box_iou

from inspectors import FUNNEL_STAGES as STAGES
from inspectors import BatchedNmsDecisions, GroundTruth, InputError, capture, load_annotations, load_model
from inspectors.evaluation.matching import box_iou_xyxy
from inspectors.rpn.filter import KEPT, REMOVED_NMS, REMOVED_TOP_N

ROOT = Path(__file__).resolve().parents[1]
ANNOTATIONS = ROOT / "sample_images" / "shapes_annotations.json"
SCENES = ["shapes_02.png", "shapes_04.png", "shapes_12.png", "shapes_14.png", "shapes_31.png", "shapes_32.png",
          "shapes_ood_07.png", "shapes_ood_18.png"]


@pytest.fixture(scope="module")
def demo():
    return load_model("demo", device="cpu")


@pytest.fixture(scope="module")
def scene(demo):
    trace = capture(demo, ROOT / "sample_images" / "shapes_02.png")
    return trace, load_annotations(ANNOTATIONS, image="shapes_02.png")


def assert_lost_at_is_consistent(report):
    t = report.iou_threshold
    matches = report.evaluation.object_match(t)
    for record in report.funnel:
        assert record.detected == (matches[record.index] >= 0), "detected exactly when it has a TP match"
        assert set(record.best_iou) == set(STAGES)
        if record.detected:
            assert record.best_iou["matched"] >= t and record.detection == matches[record.index]
            continue
        assert record.best_iou["matched"] == 0.0
        lost = STAGES.index(record.lost_at)
        assert all(record.best_iou[s] < t for s in STAGES[lost:]), "no box reaches t from the stage it was lost at"
        if lost > 0:
            assert record.best_iou[STAGES[lost - 1]] >= t, "…and the stage before still had one"


@pytest.mark.parametrize("name", SCENES)
def test_on_the_demo_scenes_every_object_the_model_finds_is_detected(demo, name):
    trace = capture(demo, ROOT / "sample_images" / name)
    report = trace.ground_truth(load_annotations(ANNOTATIONS, image=name))
    assert len(report.funnel) == len(report.gt) > 0
    assert [r.index for r in report.funnel] == list(range(len(report.gt)))
    assert_lost_at_is_consistent(report)
    assert sum(r.detected for r in report.funnel) == report.tp == len(report.gt)
    for record in report.funnel:  # the last stages are the detections COCO's matching saw
        det = report.replay.detections
        assert record.best_iou["detections_per_img"] >= record.best_iou["matched"]
        assert det.labels[record.detection] == record.label
    np.testing.assert_array_equal(  # the funnel's proposal stage is what proposal recall counts
        report.recall_vs_iou.recall,
        [np.mean([r.best_iou["post_nms_top_n"] >= t for r in report.funnel])
         for t in report.recall_vs_iou.iou_thresholds])


def test_post_nms_top_n_of_one_loses_the_other_objects_there(scene):
    trace, gt = scene
    report = trace.ground_truth(gt, rpn_post_nms_top_n=1)
    assert_lost_at_is_consistent(report)
    lost = [r.lost_at for r in report.funnel]
    assert lost.count("post_nms_top_n") >= len(gt) - 1
    assert all(r.best_iou["rpn_nms"] >= 0.5 for r in report.funnel), "before the cut every object was covered"


def test_pre_nms_top_n_of_one_loses_objects_at_the_per_level_top_k(scene):
    trace, gt = scene
    report = trace.ground_truth(gt, rpn_pre_nms_top_n=1)
    assert_lost_at_is_consistent(report)
    assert [r.lost_at for r in report.funnel].count("top_k") >= len(gt) - len(trace.levels)


def test_a_box_smaller_than_any_anchor_can_match_is_lost_at_the_anchors(scene):
    trace, gt = scene
    tiny = GroundTruth.from_boxes(np.concatenate([gt.boxes, [[370, 370, 373, 373]]]), (*gt.names, "circle"))
    report = trace.ground_truth(tiny)
    assert_lost_at_is_consistent(report)
    record = report.funnel[-1]
    assert record.lost_at == "anchors" and max(record.best_iou.values()) < 0.5
    assert report.anchor_analysis.objects[-1].low_quality_only
    assert all(r.detected for r in report.funnel[:-1]), "the other objects are still found"


def test_a_detection_score_threshold_of_099_loses_objects_at_the_score_stage(scene):
    trace, gt = scene
    report = trace.ground_truth(gt, box_score_thresh=0.99)
    assert_lost_at_is_consistent(report)
    candidates = report.replay.box_candidates
    num_fg = len(trace.categories) - 1
    for record in report.funnel:
        if record.lost_at != "box_score":
            continue
        # brute force: no box of the object's class above 0.99 overlaps it by 0.5
        of_class = (candidates.labels == record.label) & (candidates.scores > 0.99)
        boxes = trace.to_original(candidates.boxes[of_class]).numpy()
        assert (box_iou_xyxy(boxes, np.array([record.box]))[:, 0] < 0.5).all()
        assert record.best_iou["roi_head"] >= 0.5
        head = record.head
        assert head is not None and 0 <= head.true_class_prob <= 1 and head.preferred_prob >= head.true_class_prob
        assert record.best["roi_head"].index % num_fg == record.label - 1
    assert [r.lost_at for r in report.funnel].count("box_score") >= 1


def test_one_detection_per_image_loses_the_others_at_that_stage(scene):
    trace, gt = scene
    report = trace.ground_truth(gt, box_detections_per_img=1)
    assert_lost_at_is_consistent(report)
    assert report.tp == 1 and [r.lost_at for r in report.funnel].count("detections_per_img") == len(gt) - 1


def test_the_iou_threshold_of_the_funnel_is_settable(scene):
    trace, gt = scene
    strict = trace.ground_truth(gt, iou_threshold=0.9)
    assert_lost_at_is_consistent(strict)
    assert sum(r.detected for r in strict.funnel) < len(gt)
    assert strict.tp == len(gt), "TP / FP / FN stay at IoU 0.5"


def test_rpn_nms_says_which_proposal_removed_an_objects_best_candidate(scene):
    trace, gt = scene
    report = trace.ground_truth(gt, rpn_nms_thresh=0.3)
    fate = report.replay.rpn_candidates.fate
    levels = report.replay.rpn_candidates.candidate_levels
    scores = report.replay.rpn_candidates.candidate_scores
    found = 0
    for record in report.funnel:
        s = record.rpn_nms
        if s is None:
            continue
        found += 1
        assert s.removed == record.best["rpn_score"].index and fate[s.removed] == REMOVED_NMS
        assert int(fate[s.by]) in (KEPT, REMOVED_TOP_N) and levels[s.by] == levels[s.removed]
        assert scores[s.by] >= scores[s.removed] and s.iou > 0.3
    assert found > 0


def simulate_batched_nms(boxes, scores, idxs, threshold):
    """Greedy NMS per group, visiting by a stable descending sort: who removed whom."""
    order = scores.sort(stable=True, descending=True)[1].tolist()
    iou = box_iou(boxes, boxes)
    done = torch.zeros(len(scores), dtype=torch.bool)
    removed_by, kept = {}, []
    for i in order:
        if done[i]:
            continue
        kept.append(i)
        done[i] = True
        hit = torch.nonzero(~done & (idxs == idxs[i]) & (iou[i] > threshold)).flatten()
        done[hit] = True
        removed_by.update({int(j): i for j in hit})
    return sorted(kept), removed_by


@pytest.mark.parametrize("count", [300, 1500])  # both of torchvision's batched_nms code paths
def test_batched_nms_decisions_equal_a_greedy_simulation(count):
    g = torch.Generator().manual_seed(count)
    xy = torch.rand(count, 2, generator=g) * 300
    boxes = torch.cat([xy, xy + 10 + torch.rand(count, 2, generator=g) * 60], 1)
    scores = (torch.rand(count, generator=g) * 20).round() / 20  # many ties: the order must be torchvision's
    idxs = torch.randint(0, 3, (count,), generator=g)
    keep = batched_nms(boxes, scores, idxs, 0.5)
    kept, removed_by = simulate_batched_nms(boxes, scores, idxs, 0.5)
    assert sorted(keep.tolist()) == kept
    decisions = BatchedNmsDecisions(boxes, scores, idxs, 0.5, keep)
    assert all(decisions.suppressor(i) is None for i in kept)
    assert {j: decisions.suppressor(j)[0] for j in removed_by} == removed_by


def test_the_final_stage_reuses_the_memoised_rpn_part(scene, monkeypatch):
    import inspectors.ground_truth.report as ground_truth_module

    trace, gt = scene
    trace.ground_truth(gt)
    calls = []
    original = ground_truth_module.rpn_stages
    monkeypatch.setattr(ground_truth_module, "rpn_stages", lambda *a: calls.append(1) or original(*a))
    for value in (0.2, 0.4, 0.6):
        report = trace.ground_truth(gt, box_score_thresh=value, box_nms_thresh=value)
        assert not report.replay.heads_rerun
    assert calls == []
    trace.ground_truth(gt, rpn_nms_thresh=0.55)
    assert calls == [1]


def test_the_summary_is_json_with_funnel_match_recall_ar_and_counts(scene):
    trace, gt = scene
    summary = json.loads(json.dumps(trace.ground_truth(gt).to_dict()))
    assert summary["stages"] == list(STAGES)
    assert len(summary["objects"]) == len(gt)
    first = summary["objects"][0]
    assert set(first["best_iou"]) == set(STAGES) and first["detected"] and first["detection"] is not None
    assert {"tp", "fp", "fn", "ap", "ap50", "ar", "recall_vs_iou", "recall_vs_proposals", "losses", "errors",
            "anchor_labels"} <= set(summary)
    assert set(summary["ar"]) == {"AR@100", "AR@1000"}


def test_ground_truth_is_checked_against_the_image_and_the_model(scene):
    trace, _ = scene
    wrong_size = load_annotations({"images": [{"id": 1, "file_name": "x.png", "width": 640, "height": 480}],
                                   "annotations": [], "categories": []})
    with pytest.raises(InputError) as info:
        trace.ground_truth(wrong_size)
    assert info.value.code == "annotations.size_mismatch"
    mixed = GroundTruth.from_boxes([[10, 10, 60, 60], [100, 100, 200, 200]], ["circle", "giraffe"])
    report = trace.ground_truth(mixed)
    assert len(report.funnel) == 1 and report.gt.categories_unknown == ("giraffe",)
    assert [w.code for w in report.warnings] == ["annotations.unknown_names"]
    with pytest.raises(TypeError):
        trace.ground_truth({"boxes": []})
    with pytest.raises(InputError) as info:
        trace.ground_truth(mixed, iou_threshold=1.5)
    assert info.value.code == "threshold.out_of_range" and "iou_threshold" in str(info.value)
    with pytest.raises(InputError):
        trace.ground_truth(mixed, box_score_thresh=2.0)  # thresholds are checked as replay checks them


def test_the_funnels_nms_removers_are_a_greedy_nms_simulations(scene):
    """The funnel names, for an object's best box removed by an NMS, the box that removed it: an independent greedy
    simulation on the same inputs (the RPN's by level, the final stage's by class) names the same one."""
    from inspectors.teaching.nms_walkthrough import box_nms_inputs

    trace, gt = scene
    report = trace.ground_truth(gt, rpn_nms_thresh=0.3, box_nms_thresh=0.3)
    replay = report.replay
    filtered = replay.rpn_candidates
    pre = filtered.pre_nms
    _, rpn_by = simulate_batched_nms(filtered.candidate_boxes[pre], filtered.candidate_scores[pre],
                                     filtered.candidate_levels[pre], 0.3)
    rpn_by = {int(pre[j]): int(pre[i]) for j, i in rpn_by.items()}
    inputs = box_nms_inputs(replay)
    _, box_by = simulate_batched_nms(inputs.boxes, inputs.scores, inputs.labels, 0.3)
    box_by = {int(inputs.source[j]): int(inputs.source[i]) for j, i in box_by.items()}
    position = {int(c): k for k, c in enumerate(inputs.source)}
    seen = 0
    for record in report.funnel:
        if record.rpn_nms is not None:
            assert rpn_by[record.rpn_nms.removed] == record.rpn_nms.by
            seen += 1
        if record.box_nms is not None:
            removed, by = record.box_nms.removed, record.box_nms.by
            assert box_by[removed] == by
            # The IoU NMS computed: on the coordinates batched_nms handed to nms (offset by class), in float32.
            a, b = inputs.nms_boxes[position[removed]], inputs.nms_boxes[position[by]]
            iou = float(box_iou(a[None], b[None])[0, 0])
            assert record.box_nms.iou == pytest.approx(iou, rel=1e-6)
            seen += 1
    assert seen >= 2
