"""Provenance: each detection leads back to its proposal and anchor exactly; every removal names its cause."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
from torchvision.ops import clip_boxes_to_image

from inspectors import InputError, capture, load_model
from inspectors.rpn.filter import KEPT, REMOVED_NMS, REMOVED_TOP_N
from inspectors.teaching.nms_walkthrough import box_nms_inputs, box_stage_candidates
from inspectors.teaching.provenance import FATES, box_lineage, rpn_lineage


@pytest.fixture(scope="module")
def demo_trace():
    from conftest import ROOT

    return capture(load_model("demo", device="cpu"), ROOT / "sample_images/shapes_02.png")


def greedy_nms(boxes: np.ndarray, scores: np.ndarray, threshold: float) -> dict[int, int]:
    """An independent greedy NMS (float32 arithmetic as the CPU kernel): suppressed index → suppressor index."""
    boxes = boxes.astype(np.float32)
    order = np.argsort(-scores, kind="stable")
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    suppressor: dict[int, int] = {}
    done = np.zeros(len(boxes), dtype=bool)
    for a, i in enumerate(order):
        if done[i]:
            continue
        done[i] = True
        for j in order[a + 1 :]:
            if done[j]:
                continue
            w = max(np.float32(0), min(boxes[i, 2], boxes[j, 2]) - max(boxes[i, 0], boxes[j, 0]))
            h = max(np.float32(0), min(boxes[i, 3], boxes[j, 3]) - max(boxes[i, 1], boxes[j, 1]))
            inter = w * h
            if float(inter / (areas[i] + areas[j] - inter)) > threshold:
                done[j] = True
                suppressor[int(j)] = int(i)
    return suppressor


def test_every_detection_leads_to_its_proposal_and_anchor(demo_trace):
    trace = demo_trace
    replay = trace.replay(box_score_thresh=0.1)
    dets, proposals, cands = replay.detections, replay.proposals, replay.rpn_candidates
    assert len(dets) > 5
    for i in range(len(dets)):
        prov = replay.provenance(i)
        p = int(dets.proposal_index[i])
        assert prov.proposal_index == p and prov.label == int(dets.labels[i]) and prov.score == float(dets.scores[i])
        m = prov.rpn_candidate
        a = prov.anchor.index
        assert int(cands.keep[p]) == m and int(cands.candidate_anchor[m]) == a == int(proposals.anchor_index[p])
        assert int(cands.fate[m]) == KEPT
        assert (prov.anchor.level, *prov.anchor.cell, prov.anchor.shape) == trace.decode_anchor(a)
        assert prov.anchor.box == tuple(trace.anchors[a].tolist())
        # The anchor, moved by its own deltas and clipped, is the proposal; the proposal refined is the detection.
        assert torch.equal(clip_boxes_to_image(trace.decoded_anchors[a], trace.resized_size),
                           proposals.boxes_resized[p])
        assert torch.equal(prov.story.proposal, proposals.boxes_resized[p])
        assert torch.equal(prov.story.detection, dets.boxes_resized[i])
        # The page shows the score the RPN computed (one batched sigmoid): exactly that number. A one-element
        # sigmoid of the same logit may take another kernel (AVX-512 vs AVX2), so it agrees to a few ulp only.
        assert prov.objectness == float(proposals.scores[p])
        one = float(torch.sigmoid(trace.objectness[a : a + 1]))
        assert abs(prov.objectness - one) <= 4 * float(torch.finfo(torch.float32).eps) * one
        assert prov.box_candidate == p * (len(trace.categories) - 1) + prov.label - 1
        assert replay.box_fate(p, prov.label).detection_index == i


def test_who_suppressed_whom_agrees_with_an_independent_greedy_nms(demo_trace):
    replay = demo_trace.replay(rpn_nms_thresh=0.6, box_score_thresh=0.02)
    cands = replay.rpn_candidates
    lineage = rpn_lineage(replay)
    pre = replay.rpn_candidates.pre_nms
    for level in range(len(demo_trace.levels)):
        members = pre[cands.candidate_levels[pre] == level]
        # 1000 boxes per level: batched_nms runs nms per level on the boxes as they are.
        expected = greedy_nms(cands.candidate_boxes[members].numpy(), cands.candidate_scores[members].numpy(), 0.6)
        got = {j: int(lineage.suppressor[members[j]]) for j in range(len(members))
               if int(lineage.suppressor[members[j]]) >= 0}
        assert got == {j: int(members[i]) for j, i in expected.items()}
        assert set(members[list(expected)].tolist()) == set(torch.nonzero(
            (cands.fate == REMOVED_NMS) & (cands.candidate_levels == level)).flatten().tolist())
    inputs = box_nms_inputs(replay)
    box = box_lineage(replay)
    # Few boxes: batched_nms shifted each class by label × (largest coordinate + 1) before nms; so do we here.
    shifted = inputs.boxes + (inputs.labels.float() * (inputs.boxes.max() + 1))[:, None]
    assert torch.equal(shifted, inputs.nms_boxes)
    expected = greedy_nms(shifted.numpy(), inputs.scores.numpy(), replay.settings["box_nms_thresh"])
    got = {j: int(box.suppressor[s]) for j, s in enumerate(inputs.source.tolist()) if int(box.suppressor[s]) >= 0}
    assert got == {j: int(inputs.source[i]) for j, i in expected.items()}
    assert len(got) > 10


def test_every_suppressor_was_kept_and_ranked_before_its_victim(demo_trace):
    replay = demo_trace.replay(rpn_post_nms_top_n=300, box_score_thresh=0.02, box_detections_per_img=10)
    cands = replay.rpn_candidates
    for m in torch.nonzero(cands.fate == REMOVED_NMS).flatten().tolist()[::7]:
        fate = replay.rpn_fate(m)
        by = fate.suppressed_by
        assert fate.fate == "removed_nms" and by.suppressed == m and by.stage == "rpn"
        assert int(cands.fate[by.suppressor]) in (KEPT, REMOVED_TOP_N)  # it survived NMS
        assert by.group == int(cands.candidate_levels[m]) == int(cands.candidate_levels[by.suppressor])
        assert by.iou > by.threshold == 0.7
        assert (by.suppressor_score, -by.suppressor) > (by.suppressed_score, -m)  # higher, or tied and earlier
    fates = Counter()
    candidates = box_stage_candidates(replay)
    classes = len(demo_trace.categories) - 1
    for flat in range(len(candidates.scores)):
        fate = replay.box_fate(flat // classes, flat % classes + 1)
        fates[fate.fate] += 1
        if fate.fate == "removed_nms":
            by = fate.suppressed_by
            winner = replay.box_fate(by.suppressor // classes, by.suppressor % classes + 1)
            assert winner.fate in ("kept", "removed_top_n") and winner.label == fate.label == by.group
            assert (by.suppressor_score, -by.suppressor) > (by.suppressed_score, -flat)
            assert by.iou > by.threshold
    # Every candidate has exactly one fate, and the counts are the steps' own.
    steps = {s.name: s.removed for s in replay.box_steps}
    assert fates["removed_score"] == steps["score threshold"]
    assert fates["removed_small"] == steps["remove tiny boxes"]
    assert fates["removed_nms"] == steps["per-class NMS"]
    assert fates["removed_top_n"] == steps["detections per image"] > 0
    assert fates["kept"] == len(replay.detections) == 10
    assert set(fates) <= set(FATES)


def test_what_a_detection_suppressed(demo_trace):
    replay = demo_trace.replay()
    prov = replay.provenance(0)
    assert prov.rpn_suppressed and prov.box_suppressed
    for s in prov.rpn_suppressed:
        fate = replay.rpn_fate(s.suppressed)
        assert fate.fate == "removed_nms" and fate.suppressed_by.suppressor == prov.rpn_candidate
        assert s.iou == fate.suppressed_by.iou > s.threshold
    classes = len(demo_trace.categories) - 1
    for s in prov.box_suppressed:
        fate = replay.box_fate(s.suppressed // classes, s.suppressed % classes + 1)
        assert fate.fate == "removed_nms" and fate.suppressed_by.suppressor == prov.box_candidate
        assert fate.label == prov.label
    scores = [s.suppressed_score for s in prov.box_suppressed]
    assert scores == sorted(scores, reverse=True)


def test_anchors_that_never_became_candidates(demo_trace):
    replay = demo_trace.replay(rpn_pre_nms_top_n=50)
    cands = replay.rpn_candidates
    info = demo_trace.levels[0]
    level0 = set(cands.candidate_anchor[cands.candidate_levels == 0].tolist())
    outside = next(a for a in range(info.start, info.start + info.count) if a not in level0)
    fate = replay.anchor_fate(outside)
    assert fate.fate == "not_in_top_k" and fate.candidate == -1
    weakest_in = float(cands.candidate_scores[cands.candidate_levels == 0].min())
    assert fate.score <= weakest_in
    inside = int(cands.candidate_anchor[0])
    assert replay.anchor_fate(inside) == replay.rpn_fate(0)


def test_bad_candidates_are_input_errors(demo_trace):
    replay = demo_trace.replay()
    cases = [(lambda: replay.rpn_fate(10**6), "provenance.candidate_index"),
             (lambda: replay.anchor_fate(-1), "provenance.anchor_index"),
             (lambda: replay.box_fate(0, 0), "provenance.label"),
             (lambda: replay.box_fate(0, 4), "provenance.label"),
             (lambda: replay.box_fate(len(replay.proposals), 1), "explain.proposal_index"),
             (lambda: replay.provenance(len(replay.detections)), "explain.detection_index")]
    for call, code in cases:
        with pytest.raises(InputError) as err:
            call()
        assert err.value.code == code
