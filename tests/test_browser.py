"""Real-browser test: headless Chromium (Debian's package) driven by Playwright.

Uploads an image, waits for the detections, moves the detection-score slider and checks that the number of
detections shown changes; then saves a screenshot of every tab into tests/artifacts/ (1600×1000, projector-like).
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterator

import pytest
from conftest import PLOTS_DRAWN_JS

from app.strings import t
from app.testing import example_image

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = os.environ.get("RCNN_LENS_CHROMIUM", "/usr/bin/chromium")
if os.environ.get("CI"):
    # In CI a missing browser is a broken install, not a reason to skip: .ci/run installs both.
    import playwright.sync_api as playwright_api

    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: .ci/run should have installed it"
else:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
TABS = ("overview", "features", "anchors", "objectness", "proposals", "roi", "detections")
COUNT = "#lens-detections-count [data-testid=markdown]"
# "12 detections" in the active language, as a JS regex source.
COUNT_PATTERN = re.escape(t("status.detections", count="<N>")).replace("<N>", r"(\d+)")


@pytest.fixture(scope="module")
def page(app_url: str) -> Iterator[object]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(90_000)
        page.goto(app_url)
        yield page
        browser.close()


def _count(page: object) -> int:
    match = re.search(COUNT_PATTERN, page.locator(COUNT).inner_text())
    return int(match.group(1)) if match else -1


def _wait_for_count_change(page: object, old_text: str) -> None:
    page.wait_for_function("([sel, pattern, old]) => { const e = document.querySelector(sel);"
                           " return e && new RegExp(pattern).test(e.innerText) && e.innerText !== old; }",
                           arg=[COUNT, COUNT_PATTERN, old_text])


def test_upload_slide_and_screenshot_every_tab(page: object, tmp_path: Path) -> None:
    image = example_image(tmp_path)
    page.locator("#lens-image input[type=file]").set_input_files(image)
    _wait_for_count_change(page, "")
    before_text = page.locator(COUNT).inner_text()
    before = _count(page)
    assert before > 0, before_text

    # Drag the detection-score slider to its right end (1.0): no detection scores above it.
    track = page.locator("#lens-box-score-thresh input[type=range]")
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    page.mouse.click(box["x"] + box["width"] - 1, box["y"] + box["height"] / 2)
    _wait_for_count_change(page, before_text)
    after = _count(page)
    assert after != before and after == 0

    # Back to the model's defaults, so that the screenshots show real detections.
    after_text = page.locator(COUNT).inner_text()
    page.locator("#lens-reset").click()   # Playwright scrolls buttons into view itself
    _wait_for_count_change(page, after_text)
    assert _count(page) == before

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    for tab in TABS:
        page.get_by_role("tab", name=t(f"tab.{tab}")).click()
        panel = page.locator(f"#{tab}-tab, [role=tabpanel]:visible").first
        panel.wait_for(state="visible")
        # Every tab shows at least one drawn image, plot or diagram once the data is there.
        page.wait_for_function(
            "() => [...document.querySelectorAll('[role=tabpanel]')].some(p => p.offsetParent !== null && "
            "p.querySelector('img[src], .js-plotly-plot, .lens-pipeline'))")
        page.wait_for_function(PLOTS_DRAWN_JS)   # Plotly has laid out every figure on the tab
        path = ARTIFACTS / f"tab_{TABS.index(tab) + 1}_{tab}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 20_000


def test_clicking_the_anchor_image_moves_the_point(page: object) -> None:
    """The Anchors tab's image is clickable (.select): the anchors shown follow the clicked point."""
    page.get_by_role("tab", name=t("tab.anchors")).click()
    callout = page.locator("[role=tabpanel]:visible .block.lens-callout").first
    callout.wait_for(state="visible")
    before = callout.inner_text()
    image = page.locator("[role=tabpanel]:visible img").first
    box = image.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.8)
    page.wait_for_function("([el, old]) => el.innerText !== old", arg=[callout.element_handle(), before])
    assert callout.inner_text() != before


def test_a_model_that_cannot_load_shows_a_readable_message_and_keeps_the_views(page: object) -> None:
    """The COCO weights are not here: choosing one says so (the engine's message) and the last result stays."""
    count_before = page.locator(COUNT).inner_text()
    page.locator("#lens-model input").click()
    page.get_by_role("option", name="fasterrcnn_resnet50_fpn", exact=True).click()
    toast = page.get_by_text("could not be loaded", exact=False).first
    toast.wait_for(state="visible")
    assert "Traceback" not in toast.inner_text()
    page.screenshot(path=str(ARTIFACTS / "model_load_error.png"))
    assert page.locator(COUNT).inner_text() == count_before
