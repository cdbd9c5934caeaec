"""The box viewer's value on the server side: the heavy part (image and final-stage payload) goes to a page once
per capture and RPN setting, later values name it by key, and fetch_payload gives it back by key."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from app.figures.detections import detections_viewer
from app.viewer import FINAL_STAGE_KEYS, fetch_payload
from inspectors import capture
from inspectors.roi.final_stage import apply_final_stage, final_stage_payload

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def trace(demo_model, tmp_path_factory):
    from PIL import Image

    from app.testing import shapes_image

    path = shapes_image(tmp_path_factory.mktemp("viewer_value") / "scene.png", seed=5)
    return capture(demo_model, np.asarray(Image.open(path).convert("RGB")))


def test_heavy_once_per_page_then_by_key(trace):
    replay = trace.replay(box_score_thresh=0.3)
    page = SimpleNamespace()   # stands for a session object
    first = json.loads(detections_viewer(trace, replay, page=page))
    assert first["heavy"] is None   # not built yet: the page fetches it (which builds it)
    heavy = json.loads(fetch_payload(first["payload_key"]))
    # The image goes once to a page (shared by its viewers), then by key; fetch_payload gives it back by key.
    assert first["image"].startswith("data:image/jpeg;base64,") and fetch_payload(first["image_key"]) == first["image"]
    assert {key: first["settings"][key] for key in FINAL_STAGE_KEYS} == {key: replay.settings[key]
                                                                         for key in FINAL_STAGE_KEYS}
    again = json.loads(detections_viewer(trace, trace.replay(box_score_thresh=0.5), page=page))
    assert again["payload_key"] == first["payload_key"] and again["heavy"] is None   # same RPN setting
    assert again["image_key"] == first["image_key"] and "image" not in again
    other_page = json.loads(detections_viewer(trace, replay, page=SimpleNamespace()))
    assert other_page["heavy"] == heavy   # built now: sent whole to a page that has not had it
    new_rpn = json.loads(detections_viewer(trace, trace.replay(rpn_nms_thresh=0.6), page=page))
    assert new_rpn["payload_key"] != first["payload_key"]


def test_the_payload_sent_selects_what_replay_selects(trace):
    replay = trace.replay()
    value = json.loads(detections_viewer(trace, replay))
    payload = json.loads(fetch_payload(value["payload_key"]))["payload"]
    reference = final_stage_payload(trace, replay.box_candidates, replay.proposals.levels)
    assert np.array_equal(np.asarray(payload["boxes"], dtype=np.float32).reshape(-1, 4), reference.boxes)
    assert np.array_equal(np.asarray(payload["scores"], dtype=np.float32), reference.scores)
    for score, nms, k in ((0.05, 0.5, 100), (0.5, 0.3, 5), (0.0, 1.0, 300)):
        selection = apply_final_stage(reference, score, nms, k)
        detections = trace.replay(box_score_thresh=score, box_nms_thresh=nms, box_detections_per_img=k).detections
        assert np.array_equal(selection.boxes, detections.boxes.numpy())


def test_the_proposals_view_holds_the_engines_proposals_in_order(trace):
    """The Proposals viewer's value: every proposal after the RPN's NMS at the replay's RPN setting (original pixels,
    objectness and level, float32 exact, the engine's order), sent once per page; the top-N is the viewer's."""
    import torch

    from app.figures.proposals import proposals_viewer

    page = SimpleNamespace()
    for settings in ({}, {"rpn_nms_thresh": 0.5, "rpn_post_nms_top_n": 300}):
        replay = trace.replay(**settings)
        value = json.loads(proposals_viewer(trace, replay, 25, page=page))
        assert value["mode"] == "proposals" and value["settings"] == {"top_n": 25}
        body = value["heavy"]["proposals"]
        proposals = replay.proposals
        boxes = torch.from_numpy(np.asarray(body["boxes"], dtype=np.float32).reshape(-1, 4))
        assert torch.equal(boxes, proposals.boxes.to(torch.float32))
        assert torch.equal(torch.from_numpy(np.asarray(body["scores"], dtype=np.float32)), proposals.scores)
        assert body["levels"] == proposals.levels.tolist()
        again = json.loads(proposals_viewer(trace, replay, 50, page=page))
        assert again["heavy"] is None and again["payload_key"] == value["payload_key"]
        assert json.loads(fetch_payload(value["payload_key"])) == value["heavy"]
