"""The box viewer in Chromium: dragging the final-stage sliders redraws the detections in the browser on every
input event, with no request to the server, and what is drawn (read back through data-box, data-label and
data-score inside data-view="detections") is replay's detections at the slider's value — the same boxes, labels,
scores and order."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
import torch
from conftest import wait_until_settled

from app import handlers
from app.testing import example_image, make_lens, serve

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = os.environ.get("RCNN_LENS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

VIEW = "[data-view=detections]"
READ_BOXES = """(view) => [...document.querySelectorAll(view + ' rect.lens-viewer-box')]
  .map(e => [Number(e.dataset.rank), e.dataset.box, e.dataset.label, e.dataset.score])
  .sort((a, b) => a[0] - b[0])"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any, str]]:
    lens = make_lens()
    demo, url = serve(lens)
    image = example_image(tmp_path_factory.mktemp("viewer"))
    # The same image through the same handler and model object, in this process: the trace the page's session has.
    trace = handlers.inspect_image(lens, "viewer-test-reference", image, "demo").trace
    try:
        yield url, trace, image
    finally:
        demo.close()


@pytest.fixture(scope="module")
def page(served: tuple[str, Any, str]) -> Iterator[Any]:
    url, _, image = served
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(90_000)
        page.goto(url)
        page.locator("#lens-image input[type=file]").set_input_files(image)
        # Another tab first, until the upload's events are in: the viewer then mounts late, after an event already
        # updated it (Gradio renders a tab's components when the tab opens).
        page.get_by_role("tab", name="Proposals").click()
        page.wait_for_function("() => /\\d/.test(document.querySelector('#lens-detections-count')?.innerText || '')")
        wait_until_settled(page, ["#lens-detections-count", "#lens-status"], polling_ms=500)
        page.get_by_role("tab", name="Detections").click()
        page.wait_for_selector(f"{VIEW} rect.lens-viewer-box", state="attached")
        yield page
        browser.close()


def _slider(page: Any, key: str) -> Any:
    return page.locator(f"#lens-{key.replace('_', '-')} input[type=range]")


def _value(page: Any, key: str) -> float:
    return float(_slider(page, key).evaluate("e => e.value"))


def _assert_drawn_is_replay(page: Any, trace: Any, settings: dict[str, float]) -> int:
    drawn = page.evaluate(READ_BOXES, VIEW)
    detections = trace.replay(**settings).detections
    assert [rank for rank, *_ in drawn] == list(range(len(drawn)))
    assert len(drawn) == len(detections), settings
    boxes = np.asarray([[np.float32(v) for v in box.split(",")] for _, box, _, _ in drawn],
                       dtype=np.float32).reshape(-1, 4)
    scores = np.asarray([np.float32(score) for *_, score in drawn], dtype=np.float32)
    assert torch.equal(torch.from_numpy(boxes), detections.boxes.to(torch.float32)), settings
    assert torch.equal(torch.from_numpy(scores), detections.scores), settings
    assert [label for _, _, label, _ in drawn] == list(detections.names), settings
    # The table beside the image lists the same detections, in order (drawn by the viewer from what it shows).
    rows = page.evaluate("(view) => [...document.querySelectorAll(view + ' tr[data-row]')]"
                         ".map(r => [...r.cells].map(c => c.innerText.trim()))", VIEW)
    assert [row[0] for row in rows] == list(detections.names), settings
    assert [row[1] for row in rows] == [f"{float(s):.3f}" for s in detections.scores], settings
    assert [row[3] for row in rows] == [str(int(p)) for p in detections.proposal_index], settings
    return len(drawn)


def _settings(page: Any) -> dict[str, float]:
    return {"box_score_thresh": _value(page, "box_score_thresh"), "box_nms_thresh": _value(page, "box_nms_thresh"),
            "box_detections_per_img": int(_value(page, "box_detections_per_img"))}


def test_dragging_the_final_stage_sliders_draws_replay_at_every_step(page: Any, served: tuple[str, Any, str]) -> None:
    _, trace, _ = served
    # Let the events of the upload and the tab switch (its lazy views) finish: no request for a second.
    page.evaluate("""() => new Promise((done) => { let last = performance.now();
        new PerformanceObserver(() => { last = performance.now(); }).observe({type: 'resource', buffered: false});
        const check = () => performance.now() - last > 1000 ? done() : setTimeout(check, 100); check(); })""")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    compared, drawn_counts = 0, set()

    # The detection-score slider, dragged (pointer held down) from 0 to about 0.6 in 24 moves.
    track = _slider(page, "box_score_thresh")
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 1, y)
    page.mouse.down()
    for i in range(24):
        page.mouse.move(box["x"] + box["width"] * (0.01 + 0.025 * i), y)
        settings = _settings(page)
        page.wait_for_function("([view, drawn]) => document.querySelector(view).dataset.settings === drawn",
                               arg=[VIEW, "|".join(f"{v:g}" for v in settings.values())])
        drawn_counts.add(_assert_drawn_is_replay(page, trace, settings))
        compared += 1
    assert not [url for url in requests if "queue/join" in url], "a drag must not call the server"
    page.mouse.up()

    # The NMS and detections-per-image sliders, moved with the keyboard (each key press is one input event).
    for key, presses in (("box_nms_thresh", ["ArrowLeft"] * 6 + ["ArrowRight"] * 9),
                         ("box_detections_per_img", ["Home"] + ["ArrowRight"] * 4)):
        slider = _slider(page, key)
        slider.focus()
        for press in presses:
            before = page.evaluate("(view) => document.querySelector(view).dataset.drawn", VIEW)
            slider.press(press)
            page.wait_for_function("([view, old]) => document.querySelector(view).dataset.drawn !== old",
                                   arg=[VIEW, before])
            drawn_counts.add(_assert_drawn_is_replay(page, trace, _settings(page)))
            compared += 1
    assert compared >= 20 and len(drawn_counts) >= 4  # many settings, and they drew different sets


def test_the_count_at_the_models_defaults_stays_visible(page: Any, served: tuple[str, Any, str]) -> None:
    _, trace, _ = served
    text = page.locator(f"{VIEW} .lens-viewer-count").inner_text()
    assert f"returns {len(trace.detections)}" in text


def _click_track(page: Any, key: str, fraction: float) -> None:
    track = _slider(page, key)
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    page.mouse.click(box["x"] + 8 + (box["width"] - 16) * fraction, box["y"] + box["height"] / 2)


def test_an_rpn_release_draws_the_servers_detections_before_the_payload_comes(
        page: Any, served: tuple[str, Any, str]) -> None:
    """The reply to an RPN release carries replay's detections at the new setting, drawn at once; the payload for
    the new setting comes later (when the page is idle, or when a final-stage slider moves)."""
    _, trace, _ = served
    state = "window.lensViewers.detections.state"
    before = page.evaluate(f"() => {state}.payloadKey")
    _click_track(page, "rpn_nms_thresh", 0.3)
    without_payload = page.wait_for_function(
        f"(old) => {{ const s = {state}; return s.payloadKey !== old && s.data && s.data.payload_key === s.payloadKey "
        "? {p: s.p === null, detections: Array.isArray(s.data.detections)} : null; }", arg=before,
        polling="raf").json_value()
    assert without_payload == {"p": True, "detections": True}
    rpn = {"rpn_nms_thresh": _value(page, "rpn_nms_thresh")}
    assert rpn["rpn_nms_thresh"] != trace.defaults["rpn_nms_thresh"]
    page.wait_for_function("([view, drawn]) => document.querySelector(view).dataset.settings === drawn",
                           arg=[VIEW, "|".join(f"{v:g}" for v in _settings(page).values())])
    _assert_drawn_is_replay(page, trace, {**rpn, **_settings(page)})
    page.wait_for_function(f"() => {state}.p !== null")   # and then the payload, without a slider move
    _assert_drawn_is_replay(page, trace, {**rpn, **_settings(page)})


def test_a_new_rpn_setting_brings_its_payload_and_a_viewer_without_it_asks_for_it(
        page: Any, served: tuple[str, Any, str]) -> None:
    _, trace, _ = served
    key_now = "(view) => window.lensViewers.detections.state.payloadKey"
    before = page.evaluate(key_now, VIEW)
    _click_track(page, "rpn_nms_thresh", 0.9)   # released: the server replays the RPN and sends a new payload
    page.wait_for_function(f"([view, old]) => ({key_now})(view) !== old && "
                           "window.lensViewers.detections.state.p !== null", arg=[VIEW, before])
    rpn = {"rpn_nms_thresh": _value(page, "rpn_nms_thresh")}
    assert rpn["rpn_nms_thresh"] != trace.defaults["rpn_nms_thresh"]
    page.wait_for_function("([view, drawn]) => document.querySelector(view).dataset.settings === drawn",
                           arg=[VIEW, "|".join(f"{v:g}" for v in _settings(page).values())])
    _assert_drawn_is_replay(page, trace, {**rpn, **_settings(page)})

    # Forget the payload in the page; the next release sends only the settings (the server sent the payload to
    # this page already), so the viewer must fetch it by key, and then draw replay again.
    fetches = page.evaluate("() => window.lensViewers.detections.state.fetches || 0")
    page.evaluate("() => { window.__lensHeavy.clear(); const s = window.lensViewers.detections.state;"
                  " s.p = null; s.payloadKey = null; }")
    _click_track(page, "box_score_thresh", 0.15)
    settings = _settings(page)
    page.wait_for_function("([view, drawn]) => window.lensViewers.detections.state.p !== null && "
                           "document.querySelector(view).dataset.settings === drawn",
                           arg=[VIEW, "|".join(f"{v:g}" for v in settings.values())])
    _assert_drawn_is_replay(page, trace, {**rpn, **settings})
    assert page.evaluate("() => window.lensViewers.detections.state.fetches") == fetches + 1


def test_hover_tells_the_numbers_click_follows_and_labels_stay_legible(page: Any) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    page.evaluate("() => document.body.classList.add('lens-projector')")
    try:
        page.get_by_role("tab", name="Detections").click()
        strongest = page.locator(f"{VIEW} rect.lens-viewer-box[data-rank='0']")
        strongest.scroll_into_view_if_needed()
        strongest.hover(force=True)
        tip = page.locator(f"{VIEW} .lens-viewer-tip").inner_text()
        assert strongest.get_attribute("data-label") in tip and "RoI #" in tip and "FPN" in tip
        assert page.evaluate(f"() => document.querySelector('{VIEW} tr[data-row=\"0\"]').style.outline") != ""
        sizes = page.evaluate(f"""() => [...document.querySelectorAll('{VIEW} .lens-viewer-label')]
                                  .map(e => parseFloat(getComputedStyle(e).fontSize))""")
        assert sizes and min(sizes) >= 14 and len(sizes) <= 8
        before = page.locator("#lens-follow input").input_value()
        box = strongest.bounding_box()
        # On its left edge (inside it, the strongest box is drawn on top), at a height inside the viewport: in the
        # projector layout the picture can be taller than the screen.
        y = min(max(box["y"] + box["height"] / 2, box["y"] + 3, 5), box["y"] + box["height"] - 3, 715)
        page.mouse.click(box["x"] + 3, y)
        page.wait_for_function("([sel, old]) => document.querySelector(sel).value !== old",
                               arg=["#lens-follow input", before])
        assert page.locator("#lens-follow input").input_value().startswith("#0")
    finally:
        page.evaluate("() => document.body.classList.remove('lens-projector')")
        page.set_viewport_size({"width": 1600, "height": 1000})


def test_a_setting_off_the_sliders_steps_draws_the_servers_detections(page: Any, served: tuple[str, Any, str]) -> None:
    """An NMS IoU typed into the slider's box (0.52: no step of the slider) is not in the payload: the viewer waits
    for the server's reply and draws the detections it carries — replay's, at 0.52."""
    _, trace, _ = served
    number = page.locator("#lens-box-nms-thresh input[type=number]")
    number.scroll_into_view_if_needed()
    number.fill("0.52")
    number.press("Tab")   # blur: the slider's release goes to the server
    settings = {**_settings(page), "box_nms_thresh": 0.52}
    page.wait_for_function("([view, drawn]) => document.querySelector(view).dataset.settings === drawn && "
                           "document.querySelector(view).dataset.exact === 'true'",
                           arg=[VIEW, "|".join(f"{v:g}" for v in settings.values())])
    rpn = {"rpn_nms_thresh": _value(page, "rpn_nms_thresh")}
    _assert_drawn_is_replay(page, trace, {**rpn, **settings})


# --- the Proposals tab's top-N view on the same viewer ---------------------------------------------------------------

PROPOSALS = "[data-view=proposals]"
READ_PROPOSALS = """(view) => [...document.querySelectorAll(view + ' rect.lens-viewer-box')]
  .map(e => [Number(e.dataset.rank), e.dataset.box, e.dataset.score, Number(e.dataset.level)])
  .sort((a, b) => a[0] - b[0])"""


def _page_thresholds(page: Any) -> dict[str, float]:
    from inspectors.core.thresholds import THRESHOLD_KEYS

    return {key: _value(page, key) for key in THRESHOLD_KEYS}


def _assert_drawn_are_first_proposals(page: Any, trace: Any, thresholds: dict[str, float], top_n: int) -> int:
    drawn = page.evaluate(READ_PROPOSALS, PROPOSALS)
    proposals = trace.replay(**thresholds).proposals
    n = min(top_n, len(proposals))
    assert [rank for rank, *_ in drawn] == list(range(n)), top_n
    boxes = np.asarray([[np.float32(v) for v in box.split(",")] for _, box, _, _ in drawn],
                       dtype=np.float32).reshape(-1, 4)
    scores = np.asarray([np.float32(score) for _, _, score, _ in drawn], dtype=np.float32)
    assert torch.equal(torch.from_numpy(boxes), proposals.boxes[:n].to(torch.float32)), top_n
    assert torch.equal(torch.from_numpy(scores), proposals.scores[:n].to(torch.float32)), top_n
    assert [level for *_, level in drawn] == proposals.levels[:n].tolist(), top_n
    return n


def test_dragging_top_n_draws_the_engines_first_n_proposals(page: Any, served: tuple[str, Any, str]) -> None:
    """The Proposals tab's viewer draws the engine's first N proposals after the RPN's NMS (boxes in original
    pixels, objectness, level, in the engine's order) at every top-N the slider passes while dragged, with no
    request to the server; hovering a box tells its rank, objectness and level."""
    _, trace, _ = served
    page.get_by_role("tab", name="Proposals").click()
    page.wait_for_selector(f"{PROPOSALS} rect.lens-viewer-box", state="attached")
    thresholds = _page_thresholds(page)
    page.evaluate("""() => new Promise((done) => { let last = performance.now();
        new PerformanceObserver(() => { last = performance.now(); }).observe({type: 'resource', buffered: false});
        const check = () => performance.now() - last > 1000 ? done() : setTimeout(check, 100); check(); })""")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    track = page.locator("#lens-proposals-top-n input[type=range]")
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 1, y)
    page.mouse.down()
    compared = set()
    for i in range(24):
        page.mouse.move(box["x"] + box["width"] * (0.005 + 0.03 * i), y)
        top_n = int(float(track.evaluate("e => e.value")))
        page.wait_for_function("([view, drawn]) => document.querySelector(view).dataset.settings === drawn",
                               arg=[PROPOSALS, str(top_n)])
        compared.add(_assert_drawn_are_first_proposals(page, trace, thresholds, top_n))
    assert not [url for url in requests if "queue/join" in url], "a drag must not call the server"
    page.mouse.up()
    assert len(compared) >= 20
    # The image came with the page's first viewer value (its viewers share it by key): this viewer shows it too.
    assert page.evaluate(f"() => document.querySelector('{PROPOSALS} img').src").startswith("data:image/jpeg")
    strongest = page.locator(f"{PROPOSALS} rect.lens-viewer-box[data-rank='0']")
    strongest.hover(force=True)
    tip = page.locator(f"{PROPOSALS} .lens-viewer-tip").inner_text()
    assert "objectness" in tip and "FPN level" in tip and "proposal 1" in tip
    page.get_by_role("tab", name="Detections").click()
