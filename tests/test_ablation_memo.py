"""The no_reg ablation keeps the RoI heads' answer per anchor box (a box is its anchor clipped to the image), so an RPN
slider move runs the heads only for anchors it has not sent them before; its detections stay those of the heads
run on all its proposals at once (the same tolerance as the ablation's own test against torchvision)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from inspectors import capture, load_model
from inspectors.roi.box_head import run_box_head
from inspectors.roi.postprocess import BoxSettings, box_candidates, select_detections

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow]   # ~10 s: one capture, a dozen RoI-head runs


@pytest.fixture(scope="module")
def trace():
    return capture(load_model("demo", device="cpu"), ROOT / "sample_images" / "shapes_02.png")


def all_at_once(trace, result):
    """The heads on all of the ablation's proposals in one batch, then the final stage at its settings."""
    boxes = result.proposals.boxes_resized
    logits, deltas = run_box_head(trace, boxes)
    candidates = box_candidates(logits, deltas, boxes, trace.resized_size, trace.config.roi_box_coder.build())
    settings = result.settings
    return select_detections(candidates, BoxSettings(float(settings["box_score_thresh"]),
                                                     float(settings["box_nms_thresh"]),
                                                     int(settings["box_detections_per_img"])))


def test_an_rpn_move_runs_the_heads_only_for_new_anchor_boxes(trace):
    trace.cache.clear()
    first = trace.ablation("no_reg", rpn_nms_thresh=0.7)
    assert first.heads_computed == len(first.proposals) > 0
    seen = set(first.proposals.anchor_index.tolist())
    for nms in (0.6, 0.5, 0.8, 0.6, 0.7):
        result = trace.ablation("no_reg", rpn_nms_thresh=nms, box_score_thresh=0.05)
        new = set(result.proposals.anchor_index.tolist()) - seen
        assert result.heads_computed == len(new)   # only the anchors no earlier move sent
        seen |= new
        post = all_at_once(trace, result)
        detections = result.detections
        assert len(detections) == len(post.scores) > 0
        assert torch.equal(detections.labels, post.labels)
        torch.testing.assert_close(detections.boxes_resized, post.boxes, rtol=0, atol=1e-4)
        torch.testing.assert_close(detections.scores, post.scores, rtol=0, atol=1e-5)
    # (0.6 and 0.7 were seen before: their stages are memoised, nothing ran)
    assert trace.ablation("no_reg", rpn_nms_thresh=0.6).heads_computed == 0


def test_the_cache_is_counted_in_the_traces_bytes(trace):
    trace.cache.clear()
    before = trace.nbytes()
    trace.ablation("no_reg", rpn_nms_thresh=0.65)
    assert trace.nbytes() > before
