"""The paper's RPN ablations on this image: torchvision's own RPN filtering and RoI heads, fed by hand, agree."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import torch
from torchvision.ops import clip_boxes_to_image

from inspectors import Detections, InputError, capture, load_model, model_lock
from inspectors.teaching.ablation import random_scores


@pytest.fixture(scope="module")
def demo_trace():
    from conftest import ROOT

    return capture(load_model("demo", device="cpu"), ROOT / "sample_images/shapes_02.png")


@contextmanager
def counting(module):
    calls = []
    handle = module.register_forward_hook(lambda *args: calls.append(1))
    try:
        yield calls
    finally:
        handle.remove()


def by_hand(trace, boxes, logits, post_nms_top_n=None):
    """Torchvision's own RegionProposalNetwork.filter_proposals and RoIHeads.forward on the given boxes and
    objectness logits (all anchors), then the transform's postprocess back to the original frame."""
    net = trace.model.model
    saved = dict(net.rpn._post_nms_top_n)
    with model_lock(net), torch.inference_mode():
        assert not net.training
        try:
            if post_nms_top_n is not None:
                net.rpn._post_nms_top_n["testing"] = post_nms_top_n
            proposals, _ = net.rpn.filter_proposals(boxes.reshape(1, -1, 4), logits.reshape(1, -1),
                                                    [trace.resized_size], trace.num_anchors_per_level)
        finally:
            net.rpn._post_nms_top_n = saved
        detections, _ = net.roi_heads(trace.fpn_raw, proposals, [trace.resized_size])
        detections = net.transform.postprocess(detections, [trace.resized_size], [trace.original_size])
    return proposals[0], detections[0]


def assert_same(ours: Detections, theirs: dict, atol: float = 1e-5) -> None:
    assert len(ours) == theirs["boxes"].shape[0] > 0
    torch.testing.assert_close(ours.boxes, theirs["boxes"], rtol=0, atol=atol)
    torch.testing.assert_close(ours.scores, theirs["scores"], rtol=0, atol=atol / 10)
    assert torch.equal(ours.labels, theirs["labels"])


@pytest.mark.parametrize("fixture, settings", [("demo_trace", {}), ("mobilenet_trace", {"rpn_post_nms_top_n": 300})])
def test_no_reg_is_the_rpn_on_its_anchors(fixture, settings, request):
    trace = request.getfixturevalue(fixture)
    result = trace.ablation("no_reg", **settings)  # the demo at the model's own settings
    proposals, detections = by_hand(trace, trace.anchors, trace.objectness, settings.get("rpn_post_nms_top_n"))
    assert torch.equal(result.proposals.boxes_resized, proposals)
    assert_same(result.detections, detections)
    # Each proposal is its anchor, only clipped to the image: nothing was regressed.
    anchors = trace.anchors[result.proposals.anchor_index]
    assert torch.equal(result.proposals.boxes_resized, clip_boxes_to_image(anchors, trace.resized_size))
    assert result.kind == "no_reg" and result.seed is None
    assert bool((result.detections.proposal_index < len(result.proposals)).all())
    torch.testing.assert_close(result.detections.boxes, trace.to_original(result.detections.boxes_resized))


def test_no_cls_ranks_by_a_seeded_random_order(demo_trace):
    trace = demo_trace
    result = trace.ablation("no_cls", seed=7)
    u = random_scores(trace, 7)
    assert sorted((u * len(u) - 0.5).round().long().tolist()) == list(range(len(u)))  # a permutation of ranks
    logits = torch.log(u / (1 - u)).float()
    proposals, detections = by_hand(trace, trace.decoded_anchors, logits)
    assert torch.equal(result.proposals.boxes_resized, proposals)
    assert_same(result.detections, detections)
    torch.testing.assert_close(result.proposals.scores.double(), u[result.proposals.anchor_index], atol=1e-6, rtol=0)
    assert result.seed == 7 and torch.equal(result.random_scores, u)
    again = trace.ablation("no_cls", seed=7)
    assert torch.equal(again.proposals.anchor_index, result.proposals.anchor_index)
    other = trace.ablation("no_cls", seed=8)
    assert not torch.equal(other.proposals.anchor_index, result.proposals.anchor_index)
    # With few proposals the random ranking shows: the model's top-100 proposals find more than 100 random ones.
    scored = trace.replay(rpn_post_nms_top_n=100).detections
    random = trace.ablation("no_cls", seed=7, rpn_post_nms_top_n=100).detections
    assert len(random) < len(scored)


def test_bring_your_own_rois_with_the_models_proposals_is_the_model(demo_trace, mobilenet_trace):
    for trace in (demo_trace, mobilenet_trace):
        exact = trace.ablation(trace.native_proposals, frame="resized")
        assert len(exact.detections) == len(trace.native_detections["boxes"]) > 0
        assert torch.equal(exact.detections.boxes, trace.native_detections["boxes"])
        assert torch.equal(exact.detections.scores, trace.native_detections["scores"])
        assert torch.equal(exact.detections.labels, trace.native_detections["labels"])
        # Given in original pixels, the boxes go through resize_boxes and back: equal up to float rounding.
        original = trace.ablation(trace.to_original(trace.native_proposals).tolist())
        assert_same(original.detections, trace.native_detections, atol=1e-3)
        assert bool((original.proposals.anchor_index == -1).all()) and bool(original.proposals.scores.isnan().all())


def test_ablations_never_run_the_backbone(demo_trace):
    trace = demo_trace
    trace.cache.clear()
    net = trace.model.model
    with counting(net.backbone) as backbone, counting(net.roi_heads.box_head) as heads:
        first = trace.ablation("no_reg", rpn_nms_thresh=0.55)
        trace.ablation("no_cls", seed=3)
        trace.ablation([[10, 10, 100, 100], [50, 60, 200, 220]])
        runs = len(heads)
        again = trace.ablation("no_reg", rpn_nms_thresh=0.55, box_score_thresh=0.3)  # final stage only
    assert backbone == [] and runs >= 3 and len(heads) == runs
    assert first.heads_computed == len(first.proposals) and again.heads_computed == 0
    assert bool((again.detections.scores > 0.3).all())


def test_user_boxes_give_detections_with_lineage(demo_trace):
    boxes = [[60, 40, 160, 140], [200, 200, 260, 300], [0, 0, 384, 384]]
    result = demo_trace.ablation(boxes, box_score_thresh=0.0, box_nms_thresh=1.0)
    assert result.kind == "boxes" and len(result.proposals) == 3 and result.rpn_steps == []
    assert torch.equal(result.proposals.boxes, torch.tensor(boxes, dtype=torch.float32))
    # No NMS, no threshold: every (box, class) pair comes out once.
    assert len(result.detections) == 3 * (len(demo_trace.categories) - 1)
    assert sorted(result.detections.proposal_index.tolist()) == sorted([0, 1, 2] * 3)


@pytest.mark.parametrize("kind, code", [
    ("no_something", "ablation.unknown_kind"),
    ("", "ablation.unknown_kind"),
    ([], "ablation.no_boxes"),
    ([[1, 2, 3]], "ablation.boxes_shape"),
    ([[[1, 2, 3, 4]]], "ablation.boxes_shape"),
    ([[10, 10, float("nan"), 40]], "ablation.box_not_finite"),
    ([[10, 10, 50, 40], [30, 30, 20, 40]], "ablation.box_empty"),
    ([[10, 10, 10, 40]], "ablation.box_empty"),
    ([[400, 10, 500, 40]], "ablation.box_outside"),
    ([["a", "b", "c", "d"]], "ablation.unknown_kind"),
])
def test_invalid_kinds_and_boxes_are_input_errors(demo_trace, kind, code):
    with pytest.raises(InputError) as err:
        demo_trace.ablation(kind)
    assert err.value.code == code


def test_invalid_options_are_input_errors(demo_trace):
    with pytest.raises(InputError) as err:
        demo_trace.ablation("no_cls", seed="x")
    assert err.value.code == "ablation.bad_seed"
    with pytest.raises(InputError) as err:
        demo_trace.ablation([[0, 0, 10, 10]], frame="feature")
    assert err.value.code == "frame.unknown"
    with pytest.raises(InputError) as err:
        demo_trace.ablation("no_reg", rpn_nms_thresh=2.0)
    assert err.value.code == "threshold.out_of_range"
    with pytest.raises(TypeError):
        demo_trace.ablation("no_reg", nms=0.5)
