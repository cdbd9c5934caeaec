"""The final-stage payload the browser viewer filters: at any setting of the detection-score, detection-NMS and
detections-per-image sliders, its pure-Python twin (apply_final_stage, step for step the viewer's JavaScript)
selects exactly replay's detections — the same boxes, labels, scores, proposals, in the same order."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from inspectors import capture
from inspectors.roi.final_stage import apply_final_stage, final_stage_payload

pytestmark = [pytest.mark.slow]

SETTINGS = 24


def _assert_same(selection, detections, context):
    assert len(selection) == len(detections), context
    assert torch.equal(torch.from_numpy(selection.boxes), detections.boxes.to(torch.float32)), context
    assert torch.equal(torch.from_numpy(selection.scores), detections.scores), context
    assert torch.equal(torch.from_numpy(selection.labels), detections.labels), context
    assert torch.equal(torch.from_numpy(selection.proposal), detections.proposal_index), context


def _payload(trace, **rpn):
    replay = trace.replay(**rpn)
    return final_stage_payload(trace, replay.box_candidates, replay.proposals.levels)


def _check_random_settings(trace, payload, rpn, seed):
    rng = np.random.default_rng(seed)
    shown = 0
    for _ in range(SETTINGS):
        score = float(rng.choice(payload.score_grid[:60]))  # the useful part of the slider for these models
        nms = float(rng.choice(payload.nms_grid))
        per_image = int(rng.choice([1, 2, 3, 5, 10, 30, 100, 300]))
        replay = trace.replay(**rpn, box_score_thresh=score, box_nms_thresh=nms, box_detections_per_img=per_image)
        selection = apply_final_stage(payload, score, nms, per_image)
        _assert_same(selection, replay.detections, (rpn, score, nms, per_image))
        shown += len(selection)
    assert shown > 0  # the settings drew something to compare


@pytest.fixture(scope="module")
def demo_trace(demo_model, tmp_path_factory):
    from PIL import Image

    from app.testing import shapes_image

    path = shapes_image(tmp_path_factory.mktemp("final_stage") / "scene.png", seed=3)
    return capture(demo_model, np.asarray(Image.open(path).convert("RGB")))


@pytest.mark.parametrize("rpn", [{}, {"rpn_nms_thresh": 0.9, "rpn_post_nms_top_n": 2000}])
def test_demo_model_matches_replay(demo_trace, rpn):
    payload = _payload(demo_trace, **rpn)
    _check_random_settings(demo_trace, payload, rpn, seed=len(rpn))
    # The model's defaults give the model's own count.
    d = payload.defaults
    at_defaults = apply_final_stage(payload, d["box_score_thresh"], d["box_nms_thresh"],
                                    int(d["box_detections_per_img"]))
    if not rpn:
        assert len(at_defaults) == payload.model_count == len(demo_trace.detections)


def test_random_init_model_matches_replay(mobilenet_trace):
    # Scores near 1/3 for every class: thousands of candidates above the threshold, so both of batched_nms's
    # paths (the class shift up to 1000 boxes, class by class above) are exercised.
    payload = _payload(mobilenet_trace)
    assert any(r.max_coordinate is None for r in payload.regimes)
    assert any(r.max_coordinate is not None for r in payload.regimes)
    _check_random_settings(mobilenet_trace, payload, {}, seed=7)


def test_every_regime_and_tie_override_matches_replay(demo_trace, mobilenet_trace):
    """A score just inside each regime (each max coordinate of the class shift), and every score/NMS step at which
    torchvision's unstable sort orders tied scores differently from the ranking."""
    for trace in (demo_trace, mobilenet_trace):
        payload = _payload(trace)
        for regime in payload.regimes:
            if regime.max_coordinate is None:
                # Class by class (over 1000 boxes), tied scores are ordered by torch's unstable sort, which the
                # payload records for the slider's steps only: the highest step in this regime.
                inside = [s for s in payload.score_grid if np.float32(s) < np.float32(regime.above)]
                if not inside:
                    continue
                score = max(inside)
            else:
                score = float(np.nextafter(np.float32(regime.above), np.float32(0)))
            for nms in payload.nms_grid[::4]:
                replay = trace.replay(box_score_thresh=score, box_nms_thresh=nms, box_detections_per_img=300)
                _assert_same(apply_final_stage(payload, score, nms, 300), replay.detections, (score, nms))
        for (score, k), _ in list(payload.overrides.items())[:6]:
            nms = payload.nms_grid[k]
            replay = trace.replay(box_score_thresh=score, box_nms_thresh=nms, box_detections_per_img=300)
            _assert_same(apply_final_stage(payload, score, nms, 300), replay.detections, (score, nms))


def test_json_round_trip_keeps_every_float32(demo_trace):
    payload = _payload(demo_trace)
    data = json.loads(json.dumps(payload.to_json()))
    assert np.array_equal(np.asarray(data["boxes"], dtype=np.float32).reshape(-1, 4), payload.boxes)
    assert all(len(repr(v)) <= 16 for v in data["boxes"])  # shortest float32 decimals, not 17-digit doubles
    assert np.array_equal(np.asarray(data["scores"], dtype=np.float32), payload.scores)
    assert len(data["regimes"]) == len(payload.regimes)


def test_what_the_payload_cannot_decide_is_refused(demo_trace, mobilenet_trace):
    payload = _payload(demo_trace)
    with pytest.raises(ValueError):
        apply_final_stage(payload, 0.05, 0.52, 100)   # NMS off the slider's steps
    with pytest.raises(ValueError):
        apply_final_stage(payload, 0.05, 0.5, payload.max_detections + 1)
    many = _payload(mobilenet_trace)   # over 1000 boxes above a low score: class by class, ties
    low = max(s for s in many.score_grid if np.float32(s) < np.float32(many.regimes[-1].above))
    apply_final_stage(many, low, 0.5, 100)
    between = float(np.nextafter(np.float32(low), np.float32(1)))   # between the slider's steps, same regime
    assert np.float32(between) < np.float32(many.regimes[-1].above)
    with pytest.raises(ValueError):
        apply_final_stage(many, between, 0.5, 100)
