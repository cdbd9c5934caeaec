"""The Ground-truth tab's object picture on the box viewer (data-view="ground_truth"), in Chromium: after each
slider release, the boxes drawn (read back through data-box, data-role, data-stage, data-label, data-score and
data-iou) are the ground-truth report's boxes for the picked object — its ground truth, its best anchor, decoded
anchor, proposal after the RPN, RoI-head box and matched detection — at that setting; hovering a box shows its
numbers with the report's IoU; the viewer is the tab's main picture (top half, >= 55 % of the width)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import pytest
from conftest import wait_until_settled
from layout_probe import main_picture

from app import handlers, views
from app.drawing import GROUND_TRUTH_COLOR, hex_color
from app.figures.ground_truth import DRAWN_STAGES, STAGE_ROLES
from app.testing import make_lens, serve

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = os.environ.get("RCNN_LENS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

SCENE = Path(__file__).resolve().parents[1] / "sample_images" / "shapes_02.png"   # brings its ground truth
VIEW = "[data-view=ground_truth]"
REFERENCE = "gt-viewer-reference"
READ_BOXES = """(view) => [...document.querySelectorAll(view + ' rect.lens-viewer-box')]
  .map(e => ({rank: Number(e.dataset.rank), box: e.dataset.box.split(',').map(Number), role: e.dataset.role,
              stage: e.dataset.stage, label: e.dataset.label, color: e.getAttribute('stroke'),
              score: e.dataset.score === undefined ? null : Number(e.dataset.score),
              iou: e.dataset.iou === undefined ? null : Number(e.dataset.iou)}))
  .sort((a, b) => a.rank - b.rank)"""
# True once the drawn boxes are `expected` (a list of [x1, y1, x2, y2] in rank order), number for number.
DRAWN_ARE = """([view, expected]) => {
  const drawn = [...document.querySelectorAll(view + ' rect.lens-viewer-box')]
    .sort((a, b) => Number(a.dataset.rank) - Number(b.dataset.rank)).map(e => e.dataset.box.split(',').map(Number));
  return drawn.length === expected.length && drawn.every((b, i) => b.every((v, j) => v === expected[i][j]));
}"""


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, Any]]:
    lens = make_lens()
    demo, url = serve(lens)
    # The same image through the same handler and model object, in this process: the report the page's session has.
    handlers.inspect_image(lens, REFERENCE, SCENE, "demo")
    try:
        yield url, lens
    finally:
        demo.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open(browser: Any, url: str, width: int, height: int) -> Any:
    """A page of this size with the scene inspected, on the Ground-truth tab, its viewer drawn."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(90_000)
    page.goto(url)
    page.locator("#lens-image input[type=file]").set_input_files(str(SCENE))
    page.wait_for_function("() => /\\d/.test(document.querySelector('#lens-detections-count')?.innerText || '')")
    wait_until_settled(page, ["#lens-detections-count", "#lens-status"], polling_ms=700)
    page.locator("button[role=tab][data-tab-id=gt]").click()
    page.wait_for_selector(f"{VIEW} rect.lens-viewer-box", state="attached")
    return page


@pytest.fixture(scope="module")
def page(browser: Any, served: tuple[str, Any]) -> Iterator[Any]:
    page = _open(browser, served[0], 1440, 900)
    yield page
    page.close()


def _settings(page: Any) -> dict[str, float]:
    values = {}
    for key in handlers.THRESHOLD_KEYS:
        value = float(page.locator(f"#lens-{key.replace('_', '-')} input[type=range]").evaluate("e => e.value"))
        values[key] = int(value) if key.endswith(("top_n", "per_img")) else value
    return values


def _release(page: Any, key: str, value: float) -> None:
    """Type the value into the slider's box and leave it: the slider's release goes to the server."""
    number = page.locator(f"#lens-{key.replace('_', '-')} input[type=number]")
    number.scroll_into_view_if_needed()
    number.fill(f"{value:g}")
    number.press("Tab")


def _expected(lens: Any, settings: dict[str, float], gt_iou: float) -> tuple[Any, list[dict[str, Any]]]:
    """The report's boxes for the object the tab picks (the first one lost, else the first), at these settings."""
    session, _ = handlers.rethreshold(lens, REFERENCE, settings)
    session = handlers.set_options(lens, REFERENCE, gt_iou=gt_iou)
    report = views.gt_report(session)
    record = report.funnel[views.ground_truth_view(session).object_chosen]
    boxes = [{"box": list(record.box), "role": "gt", "stage": "gt", "label": record.name,
              "color": hex_color(GROUND_TRUTH_COLOR), "score": None, "iou": None}]
    for stage, color in DRAWN_STAGES.items():
        best = record.best[stage]
        if best.box is not None:
            boxes.append({"box": list(best.box), "role": STAGE_ROLES[stage], "stage": stage, "label": record.name,
                          "color": hex_color(color), "iou": best.iou,
                          "score": record.detection_score if stage == "matched" else None})
    return record, boxes


def _check(page: Any, lens: Any, gt_iou: float) -> list[dict[str, Any]]:
    settings = _settings(page)
    record, expected = _expected(lens, settings, gt_iou)
    page.wait_for_function(DRAWN_ARE, arg=[VIEW, [b["box"] for b in expected]], timeout=30_000)
    drawn = page.evaluate(READ_BOXES, VIEW)
    assert [d.pop("rank") for d in drawn] == list(range(len(expected)))
    assert drawn == expected, (settings, gt_iou)
    assert {d["role"] for d in drawn} <= {"gt", "anchor", "proposal", "detection"}
    # Every box's hover: what it is, its class, the matched detection's score, the report's IoU with the object.
    tips = page.evaluate("""(view) => [...document.querySelectorAll(view + ' rect.lens-viewer-box')]
      .sort((a, b) => Number(a.dataset.rank) - Number(b.dataset.rank)).map(box => {
        box.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
        const text = document.querySelector(view + ' .lens-viewer-tip').textContent;
        box.dispatchEvent(new MouseEvent('mouseout', {bubbles: true}));
        return text; })""", VIEW)
    for box, tip in zip(expected, tips):
        assert record.name in tip
        if box["iou"] is not None:
            assert f"IoU with the object {box['iou']:.2f}" in tip, tip
        if box["score"] is not None:
            assert f"detection score {box['score']:.3f}" in tip, tip
    return expected


def test_the_object_picture_draws_the_reports_boxes_at_every_release(page: Any, served: tuple[str, Any]) -> None:
    _, lens = served
    seen = [_check(page, lens, 0.5)]
    for key, value in (("box_score_thresh", 0.99), ("rpn_post_nms_top_n", 5), ("rpn_nms_thresh", 0.4)):
        _release(page, key, value)
        seen.append(_check(page, lens, 0.5))
    # The tab's own IoU threshold moves which detection counts as matched (and may pick another object).
    _release(page, "box_score_thresh", 0.05)
    seen.append(_check(page, lens, 0.5))
    iou = page.locator("#lens-gt-iou input[type=number]")
    iou.fill("0.9")
    iou.press("Tab")
    seen.append(_check(page, lens, 0.9))
    # The settings drew different boxes (the check compared more than one picture).
    assert len({repr(boxes) for boxes in seen}) >= 3


def test_hovering_a_box_shows_the_reports_iou(page: Any) -> None:
    drawn = page.evaluate(READ_BOXES, VIEW)
    # The smallest box other than the ground truth is drawn on top: the pointer at its centre hovers it.
    area = lambda d: (d["box"][2] - d["box"][0]) * (d["box"][3] - d["box"][1])  # noqa: E731
    target = min((d for d in drawn if d["role"] != "gt"), key=area)
    rect = page.locator(f"{VIEW} rect.lens-viewer-box[data-rank='{target['rank']}']")
    rect.scroll_into_view_if_needed()
    box = rect.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tip = page.locator(f"{VIEW} .lens-viewer-tip")
    tip.wait_for(state="visible")
    hovered = page.evaluate(f"() => Number(document.querySelector('{VIEW} .lens-viewer-hover').dataset.rank)")
    shown = next(d for d in drawn if d["rank"] == hovered)
    assert shown["iou"] is not None and f"{shown['iou']:.2f}" in tip.inner_text()
    page.mouse.move(2, 2)


def test_the_viewer_is_the_tabs_main_picture(page: Any) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    picture = main_picture(page)
    assert picture["top"] <= 900 / 2 and picture["width"] >= 0.55 * 1440, picture
    # … and it is the viewer's photo: the picture the layout check measures is this viewer's image.
    mine = page.evaluate(f"() => {{ const r = document.querySelector('{VIEW} img.lens-viewer-img')"
                         ".getBoundingClientRect(); return [r.top + window.scrollY, r.left, r.width]; }")
    assert picture["tag"] == "IMG" and mine == [picture["top"], picture["left"], picture["width"]], (picture, mine)



def test_in_the_projector_layout_the_viewer_comes_first_and_large(browser: Any, served: tuple[str, Any]) -> None:
    """1024×768 in the projector layout (the tightest: the tab's own sliders above the picture)."""
    page = _open(browser, served[0], 1024, 768)
    try:
        page.locator("#lens-layout label").nth(1).click()
        page.wait_for_function("() => document.body.classList.contains('lens-projector')")
        page.evaluate("window.scrollTo(0, 0)")
        picture = main_picture(page)
        assert picture["top"] <= 768 / 2 and picture["width"] >= 0.70 * 1024, picture
        assert page.locator(f"{VIEW} rect.lens-viewer-box").count() >= 2
    finally:
        page.evaluate("() => localStorage.removeItem('rcnn-lens-layout')")
        page.close()
