"""The Masks tab's view on the server: the viewer's payload (decoded here as the browser decodes it) is replay's
binary masks at every slider step; it follows the final-stage sliders and keeps the followed detection; a model
without masks says which models have them; both languages render."""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

from app import handlers
from app.config import sample_image_paths
from app.figures.masks import mask_models, masks_view
from app.strings import use_language
from app.testing import make_lens
from inspectors.core import demo_model

pytestmark = [pytest.mark.slow]  # two demo captures (~3 s each on the shared machine)


@pytest.fixture(scope="module")
def lens(tmp_path_factory: pytest.TempPathFactory):
    patch = pytest.MonkeyPatch()
    if not demo_model.DEMO_MASK_WEIGHTS.is_file():   # until the trained mask head is committed: a fixed random one
        torch.manual_seed(0)
        state = {k: v for k, v in demo_model.build_demo_mask_model().state_dict().items()
                 if k.startswith("roi_heads.mask_")}
        path = Path(tmp_path_factory.mktemp("mask_head")) / "random_maskhead.pt"
        torch.save(state, path)
        patch.setattr(demo_model, "DEMO_MASK_WEIGHTS", path)
    yield make_lens()
    patch.undo()


def _decoded(viewer: str, image_size: tuple[int, int], k: int) -> list[np.ndarray]:
    """What masks.js draws at slider step k: each detection's levels inflated, > k, placed at its region."""
    data = json.loads(viewer)
    height, width = image_size
    assert (data["height"], data["width"]) == (height, width)
    out = []
    for d in data["detections"]:
        x0, y0, x1, y1 = d["region"]
        levels = np.frombuffer(zlib.decompress(base64.b64decode(d["levels"])), dtype=np.uint8)
        full = np.zeros((height, width), dtype=bool)
        full[y0:y1, x0:x1] = levels.reshape(y1 - y0, x1 - x0) > k
        out.append(full)
    return out


def test_the_payload_is_replays_binary_masks_at_every_step_and_follows_the_sliders(lens) -> None:
    session = handlers.inspect_image(lens, "masks-tab", sample_image_paths()[0], "demo_mask")
    view = masks_view(session)
    assert view.has_masks and not view.notice and view.chosen == 0
    assert len(view.choices) == len(session.replay.detections) > 0
    for k in (0, 25, 50, 90):
        drawn = _decoded(view.viewer, session.trace.original_size, k)
        expected = session.replay.binary_masks(k / 100)
        assert len(drawn) == len(expected)
        assert all(np.array_equal(d, e[0].numpy()) for d, e in zip(drawn, expected)), k
    # Follow the third detection; a stricter score keeps it (if it survives) and drops others.
    key = session.replay.mask_keys()[2]
    session = handlers.set_options(lens, "masks-tab", mask_detection=key, mask_threshold=0.3)
    score = float(session.replay.detections.scores[2]) - 1e-4
    session, _ = handlers.rethreshold(lens, "masks-tab", {**session.thresholds, "box_score_thresh": score})
    view = masks_view(session)
    assert len(json.loads(view.viewer)["detections"]) == len(session.replay.detections) == 3
    assert view.chosen == session.replay.mask_keys().index(key) == 2
    assert json.loads(view.viewer)["threshold"] == 0.3 and "0.30" in view.steps
    with use_language("ko"):
        korean = masks_view(session)
    assert "마스크 셀" in korean.misplacement and "임곗값" in korean.steps


def test_a_model_without_masks_says_which_models_have_them(lens) -> None:
    session = handlers.inspect_image(lens, "boxes-only", sample_image_paths()[0], "demo")
    view = masks_view(session)
    assert not view.has_masks and view.choices == [] and json.loads(view.viewer)["detections"] == []
    assert set(mask_models()) >= {"demo_mask", "maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_v2"}
    assert all(name in view.notice for name in mask_models())
    with use_language("ko"):
        assert "마스크 브랜치가 없습니다" in masks_view(session).notice
