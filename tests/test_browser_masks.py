"""The Masks tab in Chromium, served with demo_mask: the masks drawn over the first screen's scene are replay's
binary masks (pixel counts read back from the viewer), dragging the mask threshold redraws them in the browser
with no request to the server, and what is drawn then is replay's binary masks at the slider's value. Screenshots
of the tab at 1440×900 and 1024×768 in English and Korean go to tests/artifacts/ (looked at by a person).

Until the trained mask head is committed (inspectors/weights/demo_shapes_maskhead.pt), the test writes a mask head
at a fixed random init in its own folder and points the demo at it: every number is still the model's."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import pytest
import torch
from conftest import wait_until_settled
from layout_probe import MAIN_PICTURE_JS, TEXT_PROBLEMS_JS, open_tab, settle, wait_for_inspected

from app import handlers
from app.config import sample_image_paths
from app.figures.masks import detection_at
from app.testing import make_lens, serve
from inspectors.core import demo_model

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = os.environ.get("RCNN_LENS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
VIEW = "[data-view=masks]"
SLIDER = "#lens-mask-threshold input[type=range]"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    patch = pytest.MonkeyPatch()
    if not demo_model.DEMO_MASK_WEIGHTS.is_file():
        torch.manual_seed(0)
        state = {k: v for k, v in demo_model.build_demo_mask_model().state_dict().items()
                 if k.startswith("roi_heads.mask_")}
        path = tmp_path_factory.mktemp("mask_head") / "random_maskhead.pt"
        torch.save(state, path)
        patch.setattr(demo_model, "DEMO_MASK_WEIGHTS", path)
    lens = make_lens()
    demo, url = serve(lens, model="demo_mask")
    # The first screen's sample through the same handler and model object: the trace the page's session has.
    trace = handlers.inspect_image(lens, "masks-test-reference", sample_image_paths()[0], "demo_mask").trace
    assert trace.has_masks
    try:
        yield url, trace
    finally:
        demo.close()
        patch.undo()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open(browser: Any, url: str, size: tuple[int, int], locale: str) -> Any:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(url)
    wait_for_inspected(page)
    wait_until_settled(page, ["#lens-detections-count", "#lens-status"], polling_ms=500)
    open_tab(page, "masks")
    page.wait_for_function(f"() => document.querySelector('{VIEW}')?.dataset.ready === 'true'")
    return page


def _drawn(page: Any) -> tuple[float, int, list[int]]:
    return page.evaluate(f"""() => {{ const v = document.querySelector('{VIEW}');
        return [Number(v.dataset.threshold), Number(v.dataset.maskPixels),
                [...v.querySelectorAll('rect.lens-masks-box')].map(r => Number(r.dataset.pixels))]; }}""")


def _replay_pixels(trace: Any, threshold: float) -> list[int]:
    masks = trace.replay().binary_masks(threshold)
    return [int(m.sum()) for m in masks]


def test_dragging_the_mask_threshold_redraws_replays_masks_in_the_browser(browser: Any,
                                                                          served: tuple[str, Any]) -> None:
    url, trace = served
    page = _open(browser, url, (1440, 900), "en-US")
    try:
        threshold, total, per_mask = _drawn(page)
        assert threshold == 0.5 and len(per_mask) == len(trace.replay().detections) > 0
        assert per_mask == _replay_pixels(trace, 0.5) and total == sum(per_mask)
        # Let the tab's own events finish (no request for a second), then watch the network during the drag.
        page.evaluate("""() => new Promise((done) => { let last = performance.now();
            new PerformanceObserver(() => { last = performance.now(); }).observe({type: 'resource'});
            const check = () => performance.now() - last > 1000 ? done() : setTimeout(check, 100); check(); })""")
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        track = page.locator(SLIDER)
        track.scroll_into_view_if_needed()
        box = track.bounding_box()
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.5, y)
        page.mouse.down()
        seen = {}
        for fraction in (0.05, 0.2, 0.35, 0.65, 0.8, 0.95):
            page.mouse.move(box["x"] + box["width"] * fraction, y)
            value = float(track.evaluate("e => e.value"))
            page.wait_for_function(f"(v) => Number(document.querySelector('{VIEW}').dataset.threshold) === v",
                                   arg=value)
            drawn_threshold, drawn_total, drawn = _drawn(page)
            assert drawn == _replay_pixels(trace, value), value
            seen[value] = drawn_total
        assert not [u for u in requests if "queue/join" in u], "dragging the mask threshold must not call the server"
        page.mouse.up()
        # The masks changed with the threshold: fewer pixels as it rises.
        totals = [seen[v] for v in sorted(seen)]
        assert len(set(totals)) >= 3 and totals == sorted(totals, reverse=True), seen
        # The release reaches the server: the step-by-step panel's threshold step follows the slider.
        value = float(track.evaluate("e => e.value"))
        page.wait_for_function("(text) => document.querySelector('#lens-mask-steps').innerText.includes(text)",
                               arg=f"> {value:.2f}")
        # Clicking a box follows that detection (the smallest box under the click, as on the other tabs): a
        # detection other than the first whose centre picks itself.
        replay = trace.replay()
        boxes = replay.detections.boxes.tolist()
        rank = next(i for i, (x1, y1, x2, y2) in enumerate(boxes)
                    if i > 0 and detection_at(replay, (x1 + x2) / 2, (y1 + y2) / 2) == i)
        before = page.locator("#lens-mask-detection input").input_value()
        rect = page.locator(f"{VIEW} rect.lens-masks-box[data-rank='{rank}']")
        rect.scroll_into_view_if_needed()
        box = rect.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_function("([sel, old]) => document.querySelector(sel).value !== old",
                               arg=["#lens-mask-detection input", before])
        assert page.locator("#lens-mask-detection input").input_value().startswith(f"{rank + 1}.")
        page.wait_for_function(f"() => document.querySelector('{VIEW} rect.lens-masks-chosen')?.dataset.rank"
                               f" === '{rank}'")
    finally:
        page.context.close()


@pytest.mark.parametrize("language, locale", [("en", "en-US"), ("ko", "ko-KR")])
@pytest.mark.parametrize("size", [(1440, 900), (1024, 768)], ids=["1440x900", "1024x768"])
def test_masks_tab_screenshots_picture_first_and_legible(browser: Any, served: tuple[str, Any], size: tuple[int, int],
                                                         language: str, locale: str) -> None:
    url, _ = served
    page = _open(browser, url, size, locale)
    try:
        picture = page.evaluate(MAIN_PICTURE_JS)
        assert picture is not None
        assert picture["top"] <= size[1] / 2 and picture["width"] >= 0.55 * size[0], picture
        page.wait_for_selector("#lens-mask-misplacement-plot .js-plotly-plot")
        settle(page)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"masks_{language}_{size[0]}x{size[1]}.png"), full_page=True)
        problems = page.evaluate(TEXT_PROBLEMS_JS)
        assert not problems, problems
    finally:
        page.context.close()


def test_masks_tab_in_the_projector_layout(browser: Any, served: tuple[str, Any]) -> None:
    """Projector layout (large type, the final-stage sliders folded into the tab): the picture still comes first,
    the threshold still redraws in the browser."""
    url, trace = served
    page = _open(browser, url, (1280, 720), "ko-KR")
    try:
        page.locator("#lens-layout label").nth(1).click()
        page.wait_for_function("() => document.body.classList.contains('lens-projector')")
        settle(page)
        picture = page.evaluate(MAIN_PICTURE_JS)
        assert picture["top"] <= 360 and picture["width"] >= 0.55 * 1280, picture
        slider = page.locator(SLIDER)
        slider.focus()
        for _ in range(10):
            slider.press("ArrowRight")
        value = float(slider.evaluate("e => e.value"))
        page.wait_for_function(f"(v) => Number(document.querySelector('{VIEW}').dataset.threshold) === v", arg=value)
        assert value == pytest.approx(0.6) and _drawn(page)[2] == _replay_pixels(trace, value)
        # The key presses released the slider: the server's step-by-step panel follows it.
        page.wait_for_function("() => document.querySelector('#lens-mask-steps').innerText.includes('> 0.60')")
        page.wait_for_selector("#lens-mask-misplacement-plot .js-plotly-plot")
        settle(page)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "masks_ko_1280x720_projector.png"), full_page=True)
        assert not page.evaluate(TEXT_PROBLEMS_JS)
    finally:
        page.context.close()
