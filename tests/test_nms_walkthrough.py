"""The NMS player shows a real NMS of this image: its inputs are what batched_nms saw, its decisions are ops.nms'."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torchvision.ops import batched_nms, nms

from inspectors import InputError, capture, load_model, nms_steps
from inspectors.rpn.filter import KEPT, REMOVED_TOP_N
from inspectors.teaching.nms_walkthrough import box_nms_inputs

SAMPLE = "sample_images/shapes_02.png"


@pytest.fixture(scope="module")
def demo_trace():
    from conftest import ROOT

    return capture(load_model("demo", device="cpu"), ROOT / SAMPLE)


def tied_boxes(n: int, seed: int, levels: int = 4):
    """Overlapping boxes whose scores take only `levels` values, so most comparisons are ties."""
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) * 100
    wh = torch.rand(n, 2, generator=g) * 50 + 5
    scores = torch.floor(torch.rand(n, generator=g) * levels) / levels
    return torch.cat([xy, xy + wh], dim=1), scores


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("threshold", [0.3, 0.5])
def test_nms_steps_visit_tied_scores_in_torchvisions_order(seed, threshold):
    boxes, scores = tied_boxes(300, seed)
    assert len(torch.unique(scores)) <= 4
    assert [s.kept for s in nms_steps(boxes, scores, threshold)] == nms(boxes, scores, threshold).tolist()


def test_all_equal_scores_keep_what_ops_nms_keeps():
    boxes, _ = tied_boxes(200, 3)
    scores = torch.full((200,), 0.5)
    assert [s.kept for s in nms_steps(boxes, scores, 0.4)] == nms(boxes, scores, 0.4).tolist()


def test_an_iou_equal_to_the_float32_threshold_is_judged_as_the_kernel_judges_it():
    # IoU of these two boxes is float32(0.3) = 0.30000001…, which is above the double 0.3 the kernel compares with.
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 3.0]])
    scores = torch.tensor([1.0, 0.5])
    assert nms(boxes, scores, 0.3).tolist() == [0]
    assert [s.kept for s in nms_steps(boxes, scores, 0.3)] == [0]


def rpn_survivors(replay, level: int) -> set[int]:
    cands = replay.rpn_candidates
    alive = ((cands.fate == KEPT) | (cands.fate == REMOVED_TOP_N)) & (cands.candidate_levels == level)
    return set(torch.nonzero(alive).flatten().tolist())


@pytest.mark.parametrize("settings", [{}, {"rpn_pre_nms_top_n": 100, "rpn_nms_thresh": 0.5}])
def test_rpn_walkthrough_is_the_rpn_nms_of_each_level(demo_trace, settings):
    replay = demo_trace.replay(**settings)
    groups = replay.nms_groups("rpn")
    assert [g.name for g in groups] == [info.name for info in demo_trace.levels]
    assert sum(g.count for g in groups) == len(replay.pre_nms)
    for group in groups:
        walk = replay.nms_walkthrough("rpn", group.group)
        assert (walk.stage, walk.group, walk.threshold) == ("rpn", group.group, replay.settings["rpn_nms_thresh"])
        assert len(walk.scores) == group.count > 0
        assert torch.equal(walk.kept, nms(walk.nms_boxes, walk.scores, walk.threshold))
        assert set(walk.source[walk.kept].tolist()) == rpn_survivors(replay, group.group)
        cands = replay.rpn_candidates
        assert torch.equal(walk.boxes, cands.candidate_boxes[walk.source])
        assert torch.equal(walk.anchor_index, cands.candidate_anchor[walk.source])
        torch.testing.assert_close(walk.boxes_original, demo_trace.to_original(walk.boxes))
    # 100 boxes per level: batched_nms shifts each level's boxes apart (the coordinate trick) and the walk-through
    # compares the shifted coordinates; with 1000 per level it runs nms per level on the boxes as they are.
    shifted = not torch.equal(walk.nms_boxes, walk.boxes)
    assert shifted == ("rpn_pre_nms_top_n" in settings)


@pytest.mark.parametrize("settings", [{}, {"box_score_thresh": 0.01, "box_nms_thresh": 0.3}])
def test_box_walkthrough_is_the_per_class_nms(demo_trace, settings):
    replay = demo_trace.replay(box_detections_per_img=1000, **settings)
    dets = replay.detections
    inputs = box_nms_inputs(replay)
    # What the replay's own batched_nms kept, over all classes at once.
    everything = set(inputs.source[batched_nms(inputs.boxes, inputs.scores, inputs.labels,
                                               replay.settings["box_nms_thresh"])].tolist())
    classes = len(demo_trace.categories) - 1
    for group in replay.nms_groups("box"):
        walk = replay.nms_walkthrough("box", group.group)
        assert walk.name == demo_trace.categories[group.group]
        assert torch.equal(walk.kept, nms(walk.nms_boxes, walk.scores, walk.threshold))
        kept = walk.source[walk.kept]
        mine = dets.labels == group.group
        # The replay's detections of this class are exactly the kept boxes (no per-image cap here).
        assert set(kept.tolist()) == set((dets.proposal_index[mine] * classes + group.group - 1).tolist())
        assert set(kept.tolist()) == {s for s in everything if (s % classes) + 1 == group.group}
        assert torch.equal(walk.proposal_index, walk.source // classes)
        assert torch.equal(walk.anchor_index, replay.proposals.anchor_index[walk.proposal_index])
        assert bool((walk.scores > replay.settings["box_score_thresh"]).all())


def test_frames_tell_the_story_step_by_step(demo_trace):
    walk = demo_trace.replay().nms_walkthrough("rpn", 3)
    n = len(walk.scores)
    assert torch.equal(walk.scores[walk.order], walk.scores.sort(descending=True, stable=True)[0])
    previous_kept: tuple = ()
    for k in range(len(walk)):
        frame = walk.frame(k)
        assert frame.queue[0] == frame.kept == walk.steps[k].kept
        assert set(frame.queue_after) == set(frame.queue) - {frame.kept} - set(frame.suppressed)
        assert frame.kept_so_far == previous_kept + (frame.kept,)
        assert sorted(frame.kept_so_far + frame.suppressed_so_far + frame.queue_after) == list(range(n))
        assert all(iou > walk.threshold for iou in frame.ious)
        for j, iou in zip(frame.suppressed, frame.ious):
            assert walk.suppressor[j] == frame.kept and walk.suppressor_iou[j] == pytest.approx(iou)
            assert walk.scores[j] <= walk.scores[frame.kept]
        previous_kept = frame.kept_so_far
    assert walk.frame(len(walk) - 1).queue_after == ()
    assert list(previous_kept) == walk.kept.tolist()
    with pytest.raises(IndexError):
        walk.frame(len(walk))


def test_a_new_threshold_restarts_the_walk(demo_trace):
    strict = demo_trace.replay(rpn_nms_thresh=0.3).nms_walkthrough("rpn", 2)
    loose = demo_trace.replay(rpn_nms_thresh=0.9).nms_walkthrough("rpn", 2)
    assert (strict.threshold, loose.threshold) == (0.3, 0.9)
    assert len(strict.kept) < len(loose.kept)


def test_tied_objectness_through_the_whole_pipeline(demo_trace):
    # Objectness rounded to one decimal: hundreds of candidates per level share a score. The walk-through must
    # keep what the replay's batched_nms kept (replay uses torchvision's own ops on this trace).
    tied = dataclasses.replace(demo_trace, objectness=torch.round(demo_trace.objectness * 2) / 2)
    replay = tied.replay(rpn_pre_nms_top_n=300)
    scores = replay.pre_nms.scores
    assert len(torch.unique(scores)) < len(scores) / 10
    for level in range(len(tied.levels)):
        walk = replay.nms_walkthrough("rpn", level)
        assert torch.equal(walk.kept, nms(walk.nms_boxes, walk.scores, walk.threshold))
        assert set(walk.source[walk.kept].tolist()) == rpn_survivors(replay, level)


def test_unknown_stages_and_groups_are_input_errors(demo_trace):
    replay = demo_trace.replay()
    with pytest.raises(InputError) as err:
        replay.nms_walkthrough("roi", 0)
    assert err.value.code == "nms.unknown_stage"
    for stage, group in (("rpn", 5), ("rpn", -1), ("box", 0), ("box", 4), ("box", 1.5)):
        with pytest.raises(InputError) as err:
            replay.nms_walkthrough(stage, group)
        assert err.value.code == "nms.unknown_group"
