"""Capture leaves no trace on the model or the input, and records every stage."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from conftest import noise_image

from inspectors import capture


def _hook_count(model: torch.nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def test_capture_leaves_model_and_input_unchanged(mobilenet):
    model = mobilenet.model
    model.train()  # capture must switch to eval and switch back
    before = copy.deepcopy(model.state_dict())
    image = noise_image(200, 260, seed=7)
    image_copy = image.copy()
    trace = capture(mobilenet, image)
    assert model.training
    model.eval()
    assert _hook_count(model) == 0
    assert np.array_equal(image, image_copy)
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert set(trace.timings) == {"transform", "backbone_body", "fpn", "rpn", "roi_heads", "postprocess"}
    assert all(t >= 0 for t in trace.timings.values())


def test_hooks_are_removed_when_the_forward_fails(mobilenet):
    model = mobilenet.model
    original = model.roi_heads.forward

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    model.roi_heads.forward = broken
    try:
        with pytest.raises(RuntimeError, match="boom"):
            capture(mobilenet, noise_image(120, 150))
    finally:
        model.roi_heads.forward = original
    assert _hook_count(model) == 0


def test_capture_accepts_a_bare_torchvision_model(mobilenet):
    trace = capture(mobilenet.model, noise_image(150, 200, seed=2))
    assert trace.categories[0] == "__background__" and len(trace.categories) == 3
    assert len(trace.replay().detections) == len(trace.detections)


def test_trace_holds_every_stage(mobilenet_trace):
    trace = mobilenet_trace
    assert list(trace.fpn_features)[-1] == "P6"  # the max-pool level
    assert len(trace.levels) == len(trace.fpn_features)
    assert sum(info.count for info in trace.levels) == trace.anchors.shape[0] == trace.objectness.shape[0]
    for info, fmap in zip(trace.levels, trace.fpn_features.values()):
        assert info.grid == tuple(fmap.shape[-2:])
        assert info.count == info.grid[0] * info.grid[1] * info.anchors_per_location
        assert trace.objectness_map(info.index).shape == (info.anchors_per_location, *info.grid)
    assert trace.class_logits.shape[0] == trace.native_proposals.shape[0] == trace.box_regression.shape[0]
    assert trace.roi_features is not None and trace.roi_features.shape[0] == trace.native_proposals.shape[0]
    assert trace.image.shape == (300, 460, 3)


@pytest.mark.slow
def test_resnet_body_gives_c2_to_c5_and_fpn_p2_to_p6():
    from conftest import random_model

    trace = capture(random_model("fasterrcnn_resnet50_fpn"), noise_image(100, 140))
    assert list(trace.body_features) == ["C2", "C3", "C4", "C5"]
    assert list(trace.fpn_features) == ["P2", "P3", "P4", "P5", "P6"]
    assert [info.stride for info in trace.levels][:4] == [(4, 4), (8, 8), (16, 16), (32, 32)]
    # torchvision's AnchorGenerator uses padded size // grid: P6 of an 800×1120 input is 13×18 cells, so its
    # anchors sit every 61×62 px, not 64. The trace reports the stride the model really used.
    assert trace.padded_size == (800, 1120)
    assert trace.levels[4].grid == (13, 18) and trace.levels[4].stride == (61, 62)
