"""The Proposals tab on the page's events: the post-NMS proposals go to the box viewer (the top-N slider is the
browser's while dragging); an RPN move that leaves the boxes entering NMS as they were (the NMS IoU, the post-NMS
top-n) leaves the pre-NMS picture and the level legend as they are on the page, and what it does send equals a
fresh view; a move of the pre-NMS top-n or the RPN score threshold redraws the pre-NMS picture."""
from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import gradio as gr
import numpy as np
import pytest

from app import views
from app.config import AppConfig
from app.handlers import THRESHOLD_KEYS
from app.testing import example_image, make_lens
from app.ui import build_app

pytestmark = [pytest.mark.slow]   # builds the page and inspects once (~10 s)


def skipped(value: Any) -> bool:
    return isinstance(value, dict) and value == gr.skip()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    demo = build_app(AppConfig(), make_lens())
    image = example_image(tmp_path_factory.mktemp("images"))
    demo.event_functions["inspect"](image, "demo", None, SimpleNamespace(session_hash="p"),
                                    progress=lambda *a, **k: None)
    demo.event_functions["select_proposals"](SimpleNamespace(session_hash="p"))
    return demo


def _move(demo: Any, **changes: float) -> dict[Any, Any]:
    values = {**demo.lens.cache.get("p").thresholds, **changes}
    return demo.event_functions["rethreshold"](*[values[key] for key in THRESHOLD_KEYS],
                                               SimpleNamespace(session_hash="p"))


def test_an_rpn_nms_move_leaves_the_pre_nms_picture_and_sends_the_new_proposals(demo: Any) -> None:
    p = demo.layout.proposals
    before = views.proposals_view(demo.lens.cache.get("p"))
    for nms, post in ((0.55, 1000), (0.8, 300)):
        moved = _move(demo, rpn_nms_thresh=nms, rpn_post_nms_top_n=post)
        assert skipped(moved[p.pre_nms]) and skipped(moved[p.legend])
        session = demo.lens.cache.get("p")
        fresh = views.proposals_view(session)
        assert np.array_equal(fresh.pre_nms_image, before.pre_nms_image)   # what the page keeps is still right
        assert moved[p.steps] == fresh.steps and moved[p.fate] == fresh.fate
        value = json.loads(moved[p.post_nms])
        assert value["mode"] == "proposals" and value["settings"]["top_n"] == session.options.proposals_top_n
        body = value["heavy"]["proposals"]   # a new RPN setting: its proposals come with the value
        assert np.array_equal(np.asarray(body["boxes"], dtype=np.float32).reshape(-1, 4),
                              session.replay.proposals.boxes.numpy())


@pytest.mark.parametrize("changes", [{"rpn_pre_nms_top_n": 300}, {"rpn_score_thresh": 0.3}])
def test_a_move_that_changes_what_enters_nms_redraws_the_pre_nms_picture(demo: Any, changes: dict[str, float]
                                                                          ) -> None:
    p = demo.layout.proposals
    moved = _move(demo, **changes)
    assert not skipped(moved[p.pre_nms]) and skipped(moved[p.legend])
    fresh = views.proposals_view(demo.lens.cache.get("p"))
    assert np.array_equal(moved[p.pre_nms]["value"], fresh.pre_nms_image)
    _move(demo, **{key: demo.lens.cache.get("p").trace.defaults[key] for key in changes})


def test_the_top_n_release_redraws_the_pre_nms_picture_and_the_viewer_takes_it(demo: Any) -> None:
    p = demo.layout.proposals
    values = demo.event_functions["top_n"](37, SimpleNamespace(session_hash="p"))
    assert json.loads(values[p.post_nms])["settings"] == {"top_n": 37}
    assert values[p.pre_nms]["label"].startswith("Before NMS: 37 of")
