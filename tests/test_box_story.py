"""From anchor to box: every number of the story is the model's own box coder at work, read where it computed it."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torchvision.models.detection._utils import BoxCoder
from torchvision.ops import clip_boxes_to_image

from inspectors import InputError, capture, load_model
from inspectors.core.box_coding import decode_step, decode_terms
from inspectors.core.snapshot import BoxCoderSpec

CLIP = math.log(1000.0 / 16)


@pytest.fixture(scope="module")
def demo_trace():
    from conftest import ROOT

    return capture(load_model("demo", device="cpu"), ROOT / "sample_images/shapes_02.png")


def test_decode_terms_end_in_the_box_coders_own_output(demo_trace):
    trace = demo_trace
    rpn = decode_terms(trace.config.rpn_box_coder, trace.rpn_deltas, trace.anchors)
    assert torch.equal(rpn.boxes.reshape(-1, 4), trace.decoded_anchors)
    assert torch.equal(rpn.boxes, BoxCoder((1.0, 1.0, 1.0, 1.0), CLIP).decode(trace.rpn_deltas, [trace.anchors]))
    # The RoI head's decode of the captured outputs for the model's own proposals.
    head = decode_terms(trace.config.roi_box_coder, trace.box_regression, trace.native_proposals)
    coder = BoxCoder((10.0, 10.0, 5.0, 5.0), CLIP)
    assert torch.equal(head.boxes, coder.decode(trace.box_regression, [trace.native_proposals]))
    assert head.boxes.shape == (len(trace.native_proposals), len(trace.categories), 4)


def as32(v):
    return np.float32(v)


@pytest.mark.parametrize("settings", [{}, {"rpn_nms_thresh": 0.5, "box_score_thresh": 0.2}])
def test_every_detection_story_reproduces_the_replay(demo_trace, settings):
    trace = demo_trace
    replay = trace.replay(**settings)
    dets = replay.detections
    assert len(dets) > 3
    logits_all, regression_all = trace.cache.heads.get(replay.proposals.anchor_index)
    for i in range(len(dets)):
        story = replay.explain(i)
        p = int(dets.proposal_index[i])
        a = int(replay.proposals.anchor_index[p])
        label = int(dets.labels[i])
        assert story.proposal_index == p and story.detection_index == i and story.label == label
        assert torch.equal(story.anchor, trace.anchors[a])
        assert torch.equal(story.rpn_deltas, trace.rpn_deltas[a])
        assert torch.equal(story.proposal, replay.proposals.boxes_resized[p])
        assert torch.equal(story.head_deltas, regression_all[p, 4 * label : 4 * label + 4])
        assert torch.equal(story.detection, dets.boxes_resized[i])
        assert story.class_score == float(dets.scores[i])
        assert story.class_logit == float(logits_all[p, label])
        assert story.objectness == float(replay.proposals.scores[p])
        assert story.objectness_logit == float(trace.objectness[a])
        assert story.label_name == dets.names[i]
        assert (story.level, *story.cell, story.shape) == trace.decode_anchor(a)
        # The recomputed decode ends exactly in the replay's boxes.
        assert story.rpn.clipped == tuple(story.proposal.tolist())
        assert story.head.clipped == tuple(story.detection.tolist())
        assert story.head.reference == tuple(story.proposal.tolist())


def test_the_intermediate_numbers_follow_the_formulas(demo_trace):
    replay = demo_trace.replay()
    for i in (0, 3, len(replay.detections) - 1):
        story = replay.explain(i)
        for step, weights in ((story.rpn, (1.0, 1.0, 1.0, 1.0)), (story.head, (10.0, 10.0, 5.0, 5.0))):
            assert step.weights == weights and step.clip == pytest.approx(CLIP)
            x1, y1, x2, y2 = (as32(v) for v in step.reference)
            wa, ha = x2 - x1, y2 - y1
            xa, ya = x1 + as32(0.5) * wa, y1 + as32(0.5) * ha
            assert step.reference_size == (float(wa), float(ha)) and step.reference_centre == (float(xa), float(ya))
            scaled = tuple(float(as32(d) / as32(w)) for d, w in zip(step.deltas, weights))
            assert step.scaled == scaled
            assert step.clamped == step.scaled[2:] and step.clamp_hit == (False, False)
            x = as32(step.scaled[0]) * wa + xa
            y = as32(step.scaled[1]) * ha + ya
            assert step.centre == (float(x), float(y))
            w = float(np.exp(np.float64(step.clamped[0]))) * float(wa)
            h = float(np.exp(np.float64(step.clamped[1]))) * float(ha)
            assert step.size == pytest.approx((w, h), rel=1e-6)
            half_w, half_h = as32(0.5) * as32(step.size[0]), as32(0.5) * as32(step.size[1])
            assert step.decoded == (float(x - half_w), float(y - half_h), float(x + half_w), float(y + half_h))
            h_img, w_img = step.image_size
            assert step.clipped == tuple(float(min(max(v, 0.0), lim))
                                         for v, lim in zip(step.decoded, (w_img, h_img, w_img, h_img)))


def test_the_clamp_on_dw_dh_is_shown_when_it_bites():
    spec = BoxCoderSpec((10.0, 10.0, 5.0, 5.0), CLIP)
    reference = torch.tensor([[10.0, 20.0, 50.0, 40.0], [0.0, 0.0, 8.0, 8.0]])
    codes = torch.tensor([[1.0, -2.0, 30.0, 0.5], [0.0, 0.0, -40.0, 25.0]])
    terms = decode_terms(spec, codes, reference)
    assert torch.equal(terms.boxes, BoxCoder(spec.weights, spec.clip).decode(codes, [reference]))
    step = decode_step("box", spec, terms, codes, reference, 0, 0, (60, 60), lambda b: b * 2)
    assert step.scaled[2] == pytest.approx(6.0) and step.clamp_hit == (True, False)
    assert step.clamped[0] == pytest.approx(CLIP) and step.size[0] == pytest.approx(40.0 * 1000 / 16, rel=1e-5)
    assert step.clipped[2] == 60.0 and step.decoded[2] > 60.0 and step.clipped_changed
    assert step.clipped_original == tuple(2 * v for v in step.clipped)
    low = decode_step("box", spec, terms, codes, reference, 1, 0, (60, 60), lambda b: b)
    assert low.clamp_hit == (False, True) and low.clamped[0] == pytest.approx(-8.0)


def test_stories_in_the_original_frame(mobilenet_trace):
    trace = mobilenet_trace
    replay = trace.replay(box_score_thresh=0.3)
    assert trace.original_size != trace.resized_size and len(replay.detections) > 0
    story = replay.explain(0)
    info = story.anchor_info
    assert info.box == tuple(story.anchor.tolist())
    assert info.box_original == pytest.approx(tuple(trace.to_original(story.anchor[None])[0].tolist()))
    assert (info.width, info.height) == story.rpn.reference_size and info.centre == story.rpn.reference_centre
    level = trace.levels[info.level]
    assert (info.size, info.aspect_ratio) == level.shape_of(info.shape)
    assert info.stride == level.stride and info.level_name == level.name
    assert story.head.clipped_original == pytest.approx(tuple(replay.detections.boxes[0].tolist()), abs=1e-4)
    assert story.rpn.clipped_original == pytest.approx(
        tuple(replay.proposals.boxes[story.proposal_index].tolist()), abs=1e-4)


def test_a_proposal_story_is_the_rpn_half(demo_trace):
    replay = demo_trace.replay()
    for k in (0, 17, len(replay.proposals) - 1):
        story = replay.explain_proposal(k)
        a = int(replay.proposals.anchor_index[k])
        assert torch.equal(story.proposal, replay.proposals.boxes_resized[k])
        assert torch.equal(story.anchor, demo_trace.anchors[a])
        assert story.rpn.decoded == tuple(demo_trace.decoded_anchors[a].tolist())
        assert torch.equal(story.proposal, clip_boxes_to_image(demo_trace.decoded_anchors[a], demo_trace.resized_size))


def test_a_row_that_decodes_differently_alone_is_read_from_the_whole_batch(demo_trace, monkeypatch):
    from inspectors.teaching import box_story

    real, sizes = box_story.decode_terms, []

    def flaky(spec, codes, reference):
        terms = real(spec, codes, reference)
        sizes.append(reference.shape[0])
        if reference.shape[0] == 1:  # as if a kernel rounded a lone row differently from the batch
            terms.boxes = terms.boxes + 1e-3
        return terms

    monkeypatch.setattr(box_story, "decode_terms", flaky)
    replay = demo_trace.replay()
    story = replay.explain_proposal(5)
    a = int(replay.proposals.anchor_index[5])
    assert sizes == [1, len(demo_trace.anchors)]
    assert story.rpn.decoded == tuple(demo_trace.decoded_anchors[a].tolist())


def test_indices_out_of_range_are_input_errors(demo_trace):
    replay = demo_trace.replay()
    for bad in (len(replay.detections), -1, 1.5, "0"):
        with pytest.raises(InputError) as err:
            replay.explain(bad)
        assert err.value.code == "explain.detection_index"
    with pytest.raises(InputError) as err:
        replay.explain_proposal(len(replay.proposals))
    assert err.value.code == "explain.proposal_index"
