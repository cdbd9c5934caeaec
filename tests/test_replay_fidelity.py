"""Replay must be the model: at default settings it equals the native output, elsewhere a real rerun."""

from __future__ import annotations

import pytest
import torch
from conftest import noise_image, random_model

from inspectors import capture
from inspectors.core.images import to_model_input

# The ResNet-50 builders run in the slow lane (a full-size backbone on CPU); the MobileNet ones in the fast lane.
BUILDERS = [
    pytest.param("fasterrcnn_resnet50_fpn", marks=pytest.mark.slow),
    pytest.param("fasterrcnn_resnet50_fpn_v2", marks=pytest.mark.slow),
    "fasterrcnn_mobilenet_v3_large_fpn",
    "fasterrcnn_mobilenet_v3_large_320_fpn",
]


def assert_same_detections(replayed, native: dict) -> None:
    assert len(replayed) == native["boxes"].shape[0]
    torch.testing.assert_close(replayed.boxes, native["boxes"], rtol=0, atol=1e-5)
    torch.testing.assert_close(replayed.scores, native["scores"], rtol=0, atol=1e-5)
    assert torch.equal(replayed.labels, native["labels"])


@pytest.mark.parametrize("name", BUILDERS)
def test_default_replay_equals_native_output(name):
    inspected = random_model(name, seed=3)
    trace = capture(inspected, noise_image(280, 410, seed=3))  # non-square, both sides change in resize
    replay = trace.replay()

    assert len(trace.detections) > 0, "the test must exercise real detections"
    assert_same_detections(replay.detections, trace.native_detections)
    assert torch.equal(replay.proposals.boxes_resized, trace.native_proposals)
    assert not replay.heads_rerun, "at the model's settings the captured RoI-head outputs are reused"
    assert trace.resized_size != trace.padded_size or trace.padded_size[0] % 32 == 0


def _rerun(model, image, **attrs):
    """Run the real model with the given thresholds set on it, then restore them."""
    rpn, heads = model.rpn, model.roi_heads
    saved = (dict(rpn._pre_nms_top_n), dict(rpn._post_nms_top_n), rpn.nms_thresh, rpn.score_thresh,
             heads.score_thresh, heads.nms_thresh, heads.detections_per_img)
    try:
        if "rpn_pre_nms_top_n" in attrs:
            rpn._pre_nms_top_n["testing"] = attrs["rpn_pre_nms_top_n"]
        if "rpn_post_nms_top_n" in attrs:
            rpn._post_nms_top_n["testing"] = attrs["rpn_post_nms_top_n"]
        rpn.nms_thresh = attrs.get("rpn_nms_thresh", rpn.nms_thresh)
        rpn.score_thresh = attrs.get("rpn_score_thresh", rpn.score_thresh)
        heads.score_thresh = attrs.get("box_score_thresh", heads.score_thresh)
        heads.nms_thresh = attrs.get("box_nms_thresh", heads.nms_thresh)
        heads.detections_per_img = attrs.get("box_detections_per_img", heads.detections_per_img)
        with torch.inference_mode():
            return model([to_model_input(image)])[0]
    finally:
        (rpn._pre_nms_top_n, rpn._post_nms_top_n, rpn.nms_thresh, rpn.score_thresh,
         heads.score_thresh, heads.nms_thresh, heads.detections_per_img) = saved


NON_DEFAULT_SETTINGS = [
    {"box_score_thresh": 0.34, "box_nms_thresh": 0.3, "box_detections_per_img": 7},  # final stage only
    {"rpn_pre_nms_top_n": 200, "rpn_nms_thresh": 0.5},  # RPN: heads must re-run
    {"rpn_post_nms_top_n": 120, "rpn_score_thresh": 0.49, "box_score_thresh": 0.2},
    {"rpn_pre_nms_top_n": 50, "rpn_post_nms_top_n": 40, "rpn_nms_thresh": 0.9, "box_nms_thresh": 0.8,
     "box_detections_per_img": 500},
]


@pytest.mark.parametrize("name", ["fasterrcnn_mobilenet_v3_large_fpn",
                                  pytest.param("fasterrcnn_resnet50_fpn", marks=pytest.mark.slow)])
def test_replay_at_other_settings_equals_a_real_rerun(name):
    inspected = random_model(name, seed=5)
    image = noise_image(330, 250, seed=5)
    trace = capture(inspected, image)
    for settings in NON_DEFAULT_SETTINGS:
        replay = trace.replay(**settings)
        rerun = _rerun(inspected.model, trace.image, **settings)
        assert_same_detections(replay.detections, rerun)
        assert replay.settings == {**trace.defaults, **settings}
    # The model is left exactly as configured.
    assert trace.replay().settings == trace.defaults


def test_rpn_settings_change_what_the_heads_see(mobilenet_trace):
    default = mobilenet_trace.replay()
    fewer = mobilenet_trace.replay(rpn_post_nms_top_n=25)
    assert len(fewer.proposals) == 25 < len(default.proposals)
    # The 25 are among the model's own proposals: their head outputs are looked up, not recomputed.
    assert not fewer.heads_rerun
    # A looser NMS lets new boxes through: only those go through the heads, once.
    looser = mobilenet_trace.replay(rpn_nms_thresh=0.95)
    assert 0 < looser.heads_computed < len(looser.proposals)
    assert mobilenet_trace.replay(rpn_nms_thresh=0.95, box_score_thresh=0.2).heads_computed == 0
    # Final-stage changes reuse the same proposals and the same head outputs.
    stricter = mobilenet_trace.replay(box_score_thresh=0.4)
    assert torch.equal(stricter.proposals.boxes, default.proposals.boxes)
    assert len(stricter.detections) < len(default.detections)


def test_unknown_threshold_is_refused(mobilenet_trace):
    with pytest.raises(TypeError, match="Unknown threshold"):
        mobilenet_trace.replay(score=0.3)
