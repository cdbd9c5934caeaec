"""An RPN slider's release sends only the parts of the open tab that change (app/ui.py _unchanged_parts, the tabs'
`parts`, views.tab_keys) and rebuilds nothing that a memo keeps (Session.view_memo): what the page shows after any
sequence of moves, in both directions and mixed with the tab's own controls, equals the tab's view built afresh."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import gradio as gr
import numpy as np
import plotly.graph_objects as go
import pytest

from app.config import AppConfig
from app.handlers import THRESHOLD_KEYS
from app.testing import example_image, make_lens
from app.ui import build_app

pytestmark = [pytest.mark.slow]   # builds the page, inspects once, ~40 slider moves

SKIP = gr.skip()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    demo = build_app(AppConfig(), make_lens())
    image = example_image(tmp_path_factory.mktemp("images"))
    demo.event_functions["inspect"](image, "demo", None, SimpleNamespace(session_hash="parts"),
                                    progress=lambda *a, **k: None)
    return demo


def comparable(value: Any) -> Any:
    """A value as the page receives it, in a form == compares fully (figures as JSON, images as bytes)."""
    if isinstance(value, go.Figure):
        return ("figure", value.to_json())
    if isinstance(value, np.ndarray):
        return ("array", value.shape, str(value.dtype), value.tobytes())
    if isinstance(value, dict):
        return {key: comparable(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [comparable(v) for v in value]
    if hasattr(value, "to_html"):    # a pandas Styler (the funnel's coloured cells)
        return ("styler", value.set_uuid("page").to_html())   # (its own uuid is random)
    if hasattr(value, "to_json") and hasattr(value, "columns"):   # a DataFrame
        return ("frame", value.to_json())
    return value


class Page:
    """What the browser shows per component: the last value an event sent it (gr.skip() leaves it as it was)."""

    def __init__(self) -> None:
        self.shown: dict[Any, Any] = {}
        self.sent = 0
        self.skipped = 0

    def apply(self, values: dict[Any, Any] | None) -> None:
        for component, value in (values or {}).items():
            if isinstance(value, dict) and value == SKIP:
                self.skipped += 1
                continue
            self.sent += 1
            self.shown[component] = comparable(value)


def move(demo: Any, sid: str, **changes: float) -> dict[Any, Any]:
    session = demo.lens.cache.get(sid)
    values = {**session.thresholds, **changes}
    return demo.event_functions["rethreshold"](*[values[key] for key in THRESHOLD_KEYS],
                                               SimpleNamespace(session_hash=sid))


def fresh(demo: Any, sid: str, tab_id: str) -> dict[Any, Any]:
    """The open tab's outputs built from nothing (the views' memo emptied first)."""
    session = demo.lens.cache.get(sid)
    session.view_memo.clear()
    values = demo.event_functions[f"select_{tab_id}"](SimpleNamespace(session_hash=sid))
    return {component: comparable(value) for component, value in values.items()
            if not (isinstance(value, dict) and value == SKIP)}


def assert_page_is_fresh(demo: Any, page: Page, sid: str, tab_id: str) -> None:
    expected = fresh(demo, sid, tab_id)
    for component in demo.layout.tab(tab_id).outputs:
        if component in expected:
            assert page.shown.get(component) == expected[component], (tab_id, component)


RPN_MOVES = [dict(rpn_nms_thresh=0.6), dict(rpn_nms_thresh=0.5), dict(rpn_nms_thresh=0.6),
             dict(rpn_nms_thresh=0.7), dict(rpn_post_nms_top_n=60), dict(rpn_nms_thresh=0.55),
             dict(rpn_post_nms_top_n=1000), dict(box_score_thresh=0.3), dict(rpn_nms_thresh=0.7),
             dict(box_score_thresh=0.05)]


def test_roi_tab_after_rpn_moves_and_its_own_controls_equals_a_fresh_view(demo: Any) -> None:
    sid, layout, request = "parts", demo.layout, SimpleNamespace(session_hash="parts")
    page = Page()
    page.apply(demo.event_functions["select_roi"](request))
    roi = layout.roi
    figures = set(roi.parts["figures"])
    figure_skips = 0
    for step, changes in enumerate(RPN_MOVES):
        values = move(demo, sid, **changes)
        figure_skips += sum(1 for c in figures if isinstance(values[c], dict) and values[c] == SKIP)
        page.apply(values)
        assert_page_is_fresh(demo, page, sid, "roi")
        if step == 3:   # the tab's own controls between moves: another channel, another proposal, a typed box
            page.apply(demo.event_functions["roi_choice"](2, 5, request))
            assert_page_is_fresh(demo, page, sid, "roi")
        if step == 6:
            page.apply(demo.event_functions["roi_box"]("10, 12, 90, 80", request))
            assert_page_is_fresh(demo, page, sid, "roi")
    # The moves that keep the pooled box (the best proposal survives every NMS) did not re-send its figures.
    assert figure_skips >= len(figures) * 4


def test_ground_truth_tab_after_moves_and_its_own_controls_equals_a_fresh_view(demo: Any) -> None:
    sid, layout, request = "parts", demo.layout, SimpleNamespace(session_hash="parts")
    assert demo.lens.cache.get(sid).gt is not None, "the sample scene brings its ground truth"
    page = Page()
    page.apply(demo.event_functions["select_gt"](request))
    parts = layout.ground_truth.parts
    skipped_parts: set[str] = set()
    for step, changes in enumerate(RPN_MOVES):
        values = move(demo, sid, **changes)
        skipped_parts |= {name for name, outputs in parts.items()
                          if all(isinstance(values[c], dict) and values[c] == SKIP for c in outputs)}
        page.apply(values)
        assert_page_is_fresh(demo, page, sid, "gt")
        if step == 2:   # the tab's own controls between moves: another object, another funnel IoU
            page.apply(demo.event_functions["gt_object"](1, request))
            assert_page_is_fresh(demo, page, sid, "gt")
        if step == 5:
            page.apply(demo.event_functions["gt_iou"](0.7, request))
            assert_page_is_fresh(demo, page, sid, "gt")
    # The losses (no threshold changes them) were never re-sent; the funnel and the object's story were left as they
    # were by the moves that did not change them.
    assert {"losses", "funnel", "warnings"} <= skipped_parts, skipped_parts


@pytest.mark.parametrize("kind", ["no_reg", "no_cls", "boxes"])
def test_ablations_tab_after_moves_and_its_own_controls_equals_a_fresh_view(demo: Any, kind: str) -> None:
    sid, layout, request = "parts", demo.layout, SimpleNamespace(session_hash="parts")
    page = Page()
    page.apply(demo.event_functions["select_ablations"](request))
    page.apply(demo.event_functions["ablation_kind"](kind, 0, request))
    if kind == "boxes":
        page.apply(demo.event_functions["ablation_boxes"]("20, 20, 120, 140\n60, 50, 200, 180", request))
    assert_page_is_fresh(demo, page, sid, "ablations")
    for step, changes in enumerate(RPN_MOVES):
        page.apply(move(demo, sid, **changes))
        assert_page_is_fresh(demo, page, sid, "ablations")
        if step == 4:   # the tab's own control between moves: another seed
            page.apply(demo.event_functions["ablation_kind"](kind, 3, request))
            assert_page_is_fresh(demo, page, sid, "ablations")
    if kind == "boxes":   # no RPN threshold reaches boxes one brings: only final-stage moves re-send the result
        page.sent = 0
        page.apply(move(demo, sid, rpn_nms_thresh=0.5))
        assert layout.tab("ablations").ablation_image not in {c for c, v in move(demo, sid, rpn_nms_thresh=0.6).items()
                                                       if not (isinstance(v, dict) and v == SKIP)}
