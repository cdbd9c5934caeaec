"""The page's threshold events compute only what is on screen (the open tab, the header), the named API twins
return every output as before, and an inspect's count follows a language switch made while it ran."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import gradio as gr
import pytest

from app.config import AppConfig
from app.testing import example_image, make_lens
from app.ui import build_app

pytestmark = [pytest.mark.slow]   # ~15 s: builds the page and inspects four times

SKIP = gr.skip()


def skipped(value: Any) -> bool:
    return isinstance(value, dict) and value == SKIP


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    demo = build_app(AppConfig(), make_lens())
    image = example_image(tmp_path_factory.mktemp("images"))
    demo.event_functions["inspect"](image, "demo", None, SimpleNamespace(session_hash="page"),
                                    progress=lambda *a, **k: None)
    return demo


def _move(demo: Any, sid: str, **changes: float) -> dict[Any, Any]:
    session = demo.lens.cache.get(sid)
    values = {**session.thresholds, **changes}
    from app.handlers import THRESHOLD_KEYS

    return demo.event_functions["rethreshold"](*[values[key] for key in THRESHOLD_KEYS],
                                               SimpleNamespace(session_hash=sid))


def test_an_rpn_move_computes_the_header_and_the_open_tab_only(demo: Any) -> None:
    layout, session = demo.layout, demo.lens.cache.get("page")
    demo.event_functions["select_overview"](SimpleNamespace(session_hash="page"))
    values = _move(demo, "page", rpn_nms_thresh=0.6)
    assert not skipped(values[layout.detections_count]) and not skipped(values[layout.status])
    assert all(not skipped(values[c]) for c in layout.overview.outputs)
    hidden = [layout.summary, *layout.detections.basic_outputs, *layout.proposals.outputs, *layout.roi.outputs,
              *layout.ground_truth.outputs, *layout.nms.outputs]
    assert all(skipped(values[c]) for c in hidden)
    # Strip sliders of hidden tabs wait until their tab opens; opening it sets them (and computes its views).
    assert all(skipped(values[s]) for s in layout.strip_sliders)
    opened = demo.event_functions["select_proposals"](SimpleNamespace(session_hash="page"))
    assert opened[layout.strips["proposals"]["rpn_nms_thresh"]] == pytest.approx(0.6)
    assert all(not skipped(opened[c]) for c in layout.proposals.outputs)
    assert session.options.current_tab == "proposals"


def test_the_json_summary_is_computed_only_while_its_panel_is_open(demo: Any) -> None:
    layout, request = demo.layout, SimpleNamespace(session_hash="page")
    demo.event_functions["select_detections"](request)
    closed = _move(demo, "page", box_score_thresh=0.3)
    assert skipped(closed[layout.summary]) and not skipped(closed[layout.detections.image])
    opened = demo.event_functions["summary_open"](request)[layout.summary]
    assert opened["settings"]["box_score_thresh"] == pytest.approx(0.3) and "ground_truth" in opened
    moved = _move(demo, "page", box_score_thresh=0.4)[layout.summary]
    assert moved["settings"]["box_score_thresh"] == pytest.approx(0.4)
    assert len(moved["detections"]) == len(demo.lens.cache.get("page").replay.detections)
    demo.event_functions["summary_close"](request)
    assert skipped(_move(demo, "page", box_score_thresh=0.5)[layout.summary])


def test_a_final_stage_move_leaves_the_roi_view_as_it_is(demo: Any) -> None:
    layout, request = demo.layout, SimpleNamespace(session_hash="page")
    demo.event_functions["select_roi"](request)
    final_stage = _move(demo, "page", box_score_thresh=0.2)
    assert all(skipped(final_stage[c]) for c in layout.roi.outputs)
    rpn = _move(demo, "page", rpn_nms_thresh=0.65)
    # An RPN move re-sends the parts whose inputs changed (the proposals drawn); the chosen proposal's figures only
    # when its box did (tests/test_release_parts.py checks the page against a fresh view).
    assert not skipped(rpn[layout.roi.image]) and not skipped(rpn[layout.roi.proposal])


def test_an_inspect_is_followed_by_its_count_in_the_language_of_that_moment(demo: Any) -> None:
    """A language switch answered while an inspect runs: the inspect's reply (worded when it started) comes last,
    and the recount chained after it words the count in the language chosen meanwhile."""
    layout, lens = demo.layout, demo.lens
    request = SimpleNamespace(session_hash="race")
    image = example_image("/tmp")
    english = demo.event_functions["inspect"](image, "demo", None, request, progress=lambda *a, **k: None)
    lens.prefs.set("race", "language", "ko")   # the switch, answered before the inspect's reply arrives
    recounted = demo.event_functions["recount"](request)
    count = len(lens.cache.get("race").replay.detections)
    from app.strings import t, use_language

    with use_language("en"):
        assert english[layout.detections_count] == t("status.detections", count=count)
    with use_language("ko"):
        assert recounted[layout.detections_count] == t("status.detections", count=count)
    assert recounted[layout.detections_count] != english[layout.detections_count]
    # Every inspect of the page is followed by the recount (a .then on the same listener).
    recounts = {fn.trigger_after for fn in demo.fns.values() if fn.name == "recount"}
    inspects = {fn._id for fn in demo.fns.values()
                if fn.name in ("on_inspect", "on_inspect_auto", "on_annotations", "on_open_worst")}
    assert len(inspects) == 5 and inspects <= recounts


def test_a_tab_opened_during_the_first_inspect_gets_its_views_from_that_inspect(demo: Any) -> None:
    """The first screen's inspect runs while someone opens the Detections tab: the tab is recorded, and the inspect
    computes that tab's views (else the viewer stayed empty until the next event)."""
    layout, request = demo.layout, SimpleNamespace(session_hash="early")
    assert demo.event_functions["select_detections"](request) is not None   # no session yet: skips only
    values = demo.event_functions["inspect"](example_image("/tmp"), "demo", None, request,
                                             progress=lambda *a, **k: None)
    assert demo.lens.cache.get("early").options.current_tab == "detections"
    assert not skipped(values[layout.detections.image]) and "payload_key" in values[layout.detections.image]


def test_a_slider_move_leaves_what_no_threshold_changes_on_the_ground_truth_tab(demo: Any) -> None:
    layout, request = demo.layout, SimpleNamespace(session_hash="page")
    opened = demo.event_functions["select_gt"](request)
    assert all(not skipped(opened[c]) for c in layout.ground_truth.outputs)
    moved = _move(demo, "page", rpn_nms_thresh=0.55)
    fixed = layout.ground_truth.fixed_outputs
    assert all(skipped(moved[c]) for c in fixed)
    # The rest is re-sent where its inputs changed (the funnel's cells at another RPN NMS); a part whose inputs the
    # move left as they were is skipped too (tests/test_release_parts.py checks the page against a fresh view).
    assert not skipped(moved[layout.ground_truth.funnel]) and not skipped(moved[layout.ground_truth.summary])
    # The anchor labels are those the RPN's training rule gives: the same at any threshold.
    session = demo.lens.cache.get("page")
    from app import views

    before = views.ground_truth_view(session)
    _move(demo, "page", rpn_nms_thresh=0.8, box_score_thresh=0.6)
    after = views.ground_truth_view(session)
    assert after.anchor_text == before.anchor_text and after.source == before.source
    assert (after.anchor_image == before.anchor_image).all() and after.level_choices == before.level_choices
