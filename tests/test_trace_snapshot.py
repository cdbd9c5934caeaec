"""A Trace is a snapshot of what the model computed and how it was configured; its caches are counted."""

from __future__ import annotations

import pytest
import torch
from conftest import noise_image, random_model

from inspectors import capture


@pytest.mark.slow
def test_changing_the_model_after_capture_changes_no_trace():
    inspected = random_model("fasterrcnn_mobilenet_v3_large_320_fpn", seed=11)
    trace = capture(inspected, noise_image(240, 300, seed=11))
    defaults, levels = trace.defaults, [info for info in trace.levels]
    net = inspected.model
    net.rpn.nms_thresh, net.rpn.score_thresh = 0.1, 0.9
    net.rpn._post_nms_top_n["testing"] = 3
    net.roi_heads.score_thresh, net.roi_heads.nms_thresh, net.roi_heads.detections_per_img = 0.99, 0.01, 1
    net.rpn.anchor_generator.sizes = tuple((s[0] * 2,) for s in net.rpn.anchor_generator.sizes)
    net.rpn.min_size = 50.0
    net.roi_heads.box_coder.weights = (1.0, 1.0, 1.0, 1.0)

    assert trace.defaults == defaults and trace.levels == levels
    replay = trace.replay()
    assert torch.equal(replay.detections.boxes, trace.native_detections["boxes"])
    assert torch.equal(replay.proposals.boxes_resized, trace.native_proposals)
    # A slider that re-runs the heads still decodes with the box coder the model had at capture time.
    moved = trace.replay(rpn_nms_thresh=0.5)
    assert moved.settings["box_score_thresh"] == defaults["box_score_thresh"]


def test_replay_caches_are_counted_in_the_trace_bytes(mobilenet):
    trace = capture(mobilenet, noise_image(260, 330, seed=12))
    before = trace.nbytes()
    trace.replay()
    trace.replay(rpn_nms_thresh=0.45, rpn_pre_nms_top_n=300)  # new proposals: the heads run and are cached
    after = trace.nbytes()
    assert trace.cache.heads.computed > 0
    heads = trace.cache.heads
    assert after - before >= heads.logits[heads.computed:].numel() * 4
    assert after == trace.nbytes()  # stable when nothing changes


def test_the_replay_memo_is_bounded(mobilenet_trace):
    from inspectors.core.cache import RPN_MEMO_SIZE

    for top_n in range(10, 10 + 3 * RPN_MEMO_SIZE):
        mobilenet_trace.replay(rpn_post_nms_top_n=top_n)
    assert len(mobilenet_trace.cache.rpn) == RPN_MEMO_SIZE


@pytest.mark.slow
def test_strides_are_per_axis_as_the_anchor_generator_uses_them():
    """One source of truth: P6 of an 800×1120 input has 13×18 cells, i.e. stride (61, 62) as torchvision computes."""
    inspected = random_model("fasterrcnn_mobilenet_v3_large_fpn", seed=1)
    trace = capture(inspected, noise_image(400, 560, seed=1))
    assert trace.padded_size == (800, 1120)
    by_name = {info.name: info for info in trace.maps("fpn")}
    assert by_name["P6"].grid == (13, 18) and by_name["P6"].stride == (61, 62)
    assert [info.stride for info in trace.maps("fpn")] == [level.stride for level in trace.levels]
    for info in trace.maps("body"):
        assert info.stride == (trace.padded_size[0] // info.grid[0], trace.padded_size[1] // info.grid[1])
