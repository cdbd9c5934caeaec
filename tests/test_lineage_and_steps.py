"""Every detection traces back to a proposal and an anchor; every filter step accounts for what it removed."""

from __future__ import annotations

import torch
from torchvision.ops import box_iou

from inspectors.rpn.filter import KEPT, REMOVED_NMS, REMOVED_SCORE, REMOVED_SMALL, REMOVED_TOP_N


def test_rpn_steps_chain_and_count_what_they_removed(mobilenet_trace):
    replay = mobilenet_trace.replay(rpn_score_thresh=0.5, rpn_post_nms_top_n=40)
    steps = replay.rpn_steps
    assert [s.name for s in steps] == [
        "anchors", "per-level top-k", "clip + remove small", "score threshold", "NMS", "post-NMS top-n"]
    assert steps[0].before == mobilenet_trace.anchors.shape[0]
    for earlier, later in zip(steps, steps[1:]):
        assert later.before == earlier.after
    assert steps[-1].after == len(replay.proposals) == 40
    fate = replay.rpn_candidates.fate
    assert int((fate == REMOVED_SMALL).sum()) == steps[2].removed
    assert int((fate == REMOVED_SCORE).sum()) == steps[3].removed
    assert int((fate == REMOVED_NMS).sum()) == steps[4].removed
    assert int((fate == REMOVED_TOP_N).sum()) == steps[5].removed
    assert int((fate == KEPT).sum()) == 40
    assert len(replay.pre_nms) == steps[4].before
    for step in steps[1:]:
        assert len(replay.survivors(step.name)) == step.after
    assert torch.equal(replay.survivors("score threshold").boxes, replay.pre_nms.boxes)
    assert set(replay.survivors("post-NMS top-n").anchor_index.tolist()) == set(replay.proposals.anchor_index.tolist())
    assert bool((replay.pre_nms.scores >= 0.5).all())


def test_proposals_come_from_their_anchors(mobilenet_trace):
    trace = mobilenet_trace
    proposals = trace.replay().proposals
    # A proposal is its anchor's decoded box (clipped to the image) with its anchor's objectness.
    decoded = trace.decoded_anchors[proposals.anchor_index]
    h, w = trace.resized_size
    clipped = torch.stack([decoded[:, 0].clamp(0, w), decoded[:, 1].clamp(0, h),
                           decoded[:, 2].clamp(0, w), decoded[:, 3].clamp(0, h)], dim=1)
    torch.testing.assert_close(proposals.boxes_resized, clipped)
    torch.testing.assert_close(proposals.scores, torch.sigmoid(trace.objectness[proposals.anchor_index]))
    for k in range(0, len(proposals), 37):
        level, y, x, shape = trace.decode_anchor(int(proposals.anchor_index[k]))
        assert level == int(proposals.levels[k])
        info = trace.levels[level]
        anchor = trace.anchors[int(proposals.anchor_index[k])]
        centre = ((anchor[0] + anchor[2]) / 2, (anchor[1] + anchor[3]) / 2)
        assert abs(float(centre[0]) - x * info.stride[1]) <= 0.5
        assert abs(float(centre[1]) - y * info.stride[0]) <= 0.5


def test_each_detection_names_its_proposal(mobilenet_trace):
    replay = mobilenet_trace.replay(box_score_thresh=0.3)
    dets = replay.detections
    assert len(dets) > 0
    assert dets.proposal_index.max() < len(replay.proposals)
    # A detection is a refinement of its proposal: the two overlap far more than a random pairing would.
    source = replay.proposals.boxes_resized[dets.proposal_index]
    own = box_iou(dets.boxes_resized, source).diagonal()
    assert float(own.mean()) > 0.3
    assert dets.names == [mobilenet_trace.categories[int(i)] for i in dets.labels]
    steps = replay.box_steps
    assert steps[0].before == len(replay.proposals) * (len(mobilenet_trace.categories) - 1)
    assert steps[-1].after == len(dets)


def test_coordinate_frames_round_trip(mobilenet_trace):
    trace = mobilenet_trace
    assert trace.original_size == (300, 460)
    sy, sx = trace.scale
    assert abs(trace.resized_size[0] - 300 * sy) < 1 and abs(trace.resized_size[1] - 460 * sx) < 1
    assert all(p % 32 == 0 and p >= r for p, r in zip(trace.padded_size, trace.resized_size))
    boxes = torch.tensor([[10.0, 20.0, 200.0, 280.0]])
    torch.testing.assert_close(trace.to_original(trace.to_resized(boxes)), boxes)
    replay = trace.replay()
    torch.testing.assert_close(trace.to_original(replay.detections.boxes_resized), replay.detections.boxes)
    assert float(replay.detections.boxes[:, 2].max()) <= 460 + 1e-3
    assert float(replay.detections.boxes[:, 3].max()) <= 300 + 1e-3


def test_trace_memory_is_reported(mobilenet_trace):
    fpn_bytes = sum(f.numel() * f.element_size() for f in mobilenet_trace.fpn_features.values())
    assert mobilenet_trace.nbytes() > fpn_bytes
