"""The Ground-truth tab's object picture on the box viewer, on the server: the viewer's value carries exactly the
boxes the drawn picture (gt_figs.object_image) draws, from the report (ground truth, best anchor, decoded anchor,
proposal, RoI-head box, matched detection; the report's IoUs, the matched detection's score), for every object at
several settings; scripts' /inspect and /rethreshold still return the drawn picture at its place (a hidden twin)."""
from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import gradio as gr
import numpy as np
import pytest

from app import views
from app.config import AppConfig
from app.figures import ground_truth as gt_figs
from app.handlers import THRESHOLD_KEYS
from app.locales.en import EN
from app.testing import example_image, make_lens
from app.ui import build_app

pytestmark = [pytest.mark.slow]   # builds the page and inspects the sample scene (~10 s)

SID = "gt-viewer"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    demo = build_app(AppConfig(), make_lens())
    image = example_image(tmp_path_factory.mktemp("images"))
    demo.event_functions["inspect"](image, "demo", None, SimpleNamespace(session_hash=SID),
                                    progress=lambda *a, **k: None)
    assert demo.lens.cache.get(SID).gt is not None, "the sample scene brings its ground truth"
    return demo


def _move(demo: Any, **changes: float) -> dict[Any, Any]:
    session = demo.lens.cache.get(SID)
    values = {**session.thresholds, **changes}
    return demo.event_functions["rethreshold"](*[values[key] for key in THRESHOLD_KEYS],
                                               SimpleNamespace(session_hash=SID))


@pytest.mark.parametrize("changes", [{}, {"box_score_thresh": 0.99}, {"rpn_post_nms_top_n": 5},
                                     {"rpn_nms_thresh": 0.4, "box_score_thresh": 0.5}])
def test_the_viewer_value_holds_the_reports_boxes_for_every_object(demo: Any, changes: dict[str, float]) -> None:
    request = SimpleNamespace(session_hash=SID)
    _move(demo, **changes)
    session = demo.lens.cache.get(SID)
    report = views.gt_report(session)
    trace = session.trace
    for index, record in enumerate(report.funnel):
        value = json.loads(gt_figs.object_viewer(trace, report, index))
        assert value["mode"] == "static" and value["image_size"] == [trace.original_size[1], trace.original_size[0]]
        boxes = value["boxes"]
        assert boxes[0]["role"] == "gt" and boxes[0]["box"] == list(record.box) and boxes[0]["iou"] is None
        drawn = [(stage, best) for stage, best in ((s, record.best[s]) for s in gt_figs.DRAWN_STAGES)
                 if best.box is not None]
        assert [b["stage"] for b in boxes[1:]] == [stage for stage, _ in drawn]
        for box, (stage, best) in zip(boxes[1:], drawn):
            assert box["box"] == list(best.box) and box["iou"] == best.iou and box["label"] == record.name
            assert box["role"] == gt_figs.STAGE_ROLES[stage]
            assert box["score"] == (record.detection_score if stage == "matched" else None)
        assert {b["role"] for b in boxes} <= {"gt", "anchor", "proposal", "detection"}
    # The page's value is the picked object's.
    shown = demo.event_functions["select_gt"](request)[demo.layout.ground_truth.object_image]
    view = views.ground_truth_view(session)
    assert shown == gt_figs.object_viewer(trace, report, view.object_chosen)
    _move(demo, **{key: float(session.trace.defaults[key]) for key in changes})


def test_scripts_still_get_the_drawn_picture(demo: Any) -> None:
    request = SimpleNamespace(session_hash=SID)
    demo.event_functions["select_gt"](request)   # the open tab: /rethreshold computes its views
    api = next(fn for fn in demo.fns.values() if fn.api_name == "rethreshold")
    twins = [block for block in api.outputs if isinstance(block, gr.Image) and block.label == EN["gt.funnel_title"]]
    assert len(twins) == 1 and twins[0] not in demo.layout.ground_truth.outputs
    assert demo.layout.ground_truth.object_image not in api.outputs
    session = demo.lens.cache.get(SID)
    values = api.fn(*[session.thresholds[key] for key in THRESHOLD_KEYS], request)
    report = views.gt_report(session)
    chosen = views.ground_truth_view(session).object_chosen
    assert np.array_equal(values[twins[0]], gt_figs.object_image(session.trace, report, chosen))
