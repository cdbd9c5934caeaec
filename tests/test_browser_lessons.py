"""Real-browser tests of the teaching and ground-truth views, in English and Korean, desktop and projector.

Debian's Chromium through Playwright: step the NMS player, follow one detection across the tabs, read the ground
truth funnel of a demo scene, switch the page to Korean. (Every tab's screenshot at three sizes, both languages and
the projector layout is saved by the layout check, tests/test_layout.py, into tests/artifacts/screens/.)
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest
from conftest import wait_until_settled
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, playwright_api

from app.locales.en import EN
from app.locales.ko import KO

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SCENE = Path(__file__).resolve().parents[1] / "sample_images" / "shapes_02.png"


@pytest.fixture(scope="module")
def browser(app_url: str) -> Iterator[object]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_scene(browser: object, url: str, width: int = 1600, height: int = 1000) -> object:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(90_000)
    page.goto(url)
    page.locator("#lens-image input[type=file]").set_input_files(str(SCENE))
    page.wait_for_function("() => /\\d+ detections/.test(document.querySelector('#lens-detections-count').innerText)")
    # The page opens with a sample already inspected, so the count shows before the upload's own inspect is in:
    # wait until what the inspect updates has settled, or a later step (a language switch) races with it.
    wait_until_settled(page, ["#lens-detections-count", "#lens-status"], polling_ms=700)
    return page


def open_tab(page: object, tab: str, table: dict[str, str] = EN) -> None:
    page.get_by_role("tab", name=table[f"tab.{tab}"], exact=True).click()
    page.locator("[role=tabpanel]:visible").first.wait_for(state="visible")


def text_of(page: object, selector: str) -> str:
    return page.locator(selector).first.inner_text()


def wait_text(page: object, selector: str, pattern: str) -> None:
    page.wait_for_function("([sel, pattern]) => { const e = document.querySelector(sel);"
                           " return e && new RegExp(pattern).test(e.innerText); }", arg=[selector, pattern])


def test_the_nms_player_steps_forward_and_back(browser: object, app_url: str) -> None:
    page = open_scene(browser, app_url)
    open_tab(page, "nms")
    wait_text(page, "#lens-nms-frame", r"Decision 1 of \d+")
    total = int(text_of(page, "#lens-nms-frame").split(" of ")[1].split()[0])
    assert total > 1
    page.locator("#lens-nms-forward").click()
    wait_text(page, "#lens-nms-frame", rf"Decision 2 of {total}")
    page.locator("#lens-nms-forward").click()
    wait_text(page, "#lens-nms-frame", rf"Decision 3 of {total}")
    page.locator("#lens-nms-back").click()
    wait_text(page, "#lens-nms-frame", rf"Decision 2 of {total}")
    # Play runs on a timer; pause stops it somewhere later.
    page.locator("#lens-nms-play").click()
    wait_text(page, "#lens-nms-frame", r"Decision ([4-9]|\d\d+) of")
    page.locator("#lens-nms-pause").click()
    page.screenshot(path=str(ARTIFACTS / "nms_player.png"))
    page.close()


def test_following_a_detection_shows_its_story_and_points_the_other_tabs_at_it(browser: object,
                                                                               app_url: str) -> None:
    page = open_scene(browser, app_url)
    open_tab(page, "detections")
    page.locator("#lens-follow input").click()
    page.get_by_role("option").nth(1).click()
    wait_text(page, "#lens-story", "1st refinement")
    story = text_of(page, "#lens-story")
    assert "(1, 1, 1, 1)" in story and "(10, 10, 5, 5)" in story   # the two box coders' weights
    wait_text(page, "#lens-breadcrumb", "anchor P")
    crumb = text_of(page, "#lens-breadcrumb")
    assert "detection #1" in crumb and "proposal #" in crumb
    page.screenshot(path=str(ARTIFACTS / "provenance.png"), full_page=True)
    page.locator("#lens-goto-nms").click()   # the NMS tab opens at the decision that kept its proposal
    wait_text(page, "#lens-nms-frame", r"Decision \d+ of")
    assert page.get_by_role("tab", name=EN["tab.nms"], exact=True).get_attribute("aria-selected") == "true"
    page.close()


def test_the_ground_truth_funnel_has_one_row_per_object(browser: object, app_url: str) -> None:
    annotations = json.loads((SCENE.parent / "shapes_annotations.json").read_text())
    image_id = next(i["id"] for i in annotations["images"] if i["file_name"] == SCENE.name)
    objects = sum(1 for a in annotations["annotations"] if a["image_id"] == image_id)
    page = open_scene(browser, app_url)
    open_tab(page, "gt")
    wait_text(page, "#lens-gt-source", "shapes_annotations.json")
    rows = page.locator("#lens-gt-funnel tbody tr")   # the funnel is an HTML table, one row per object
    rows.first.wait_for(state="visible")
    assert rows.count() == objects
    assert page.locator("#lens-gt-funnel tbody tr", has_text="detected").count() == objects
    assert "TP" in text_of(page, "#lens-gt-summary")
    rows.nth(2).get_by_text("0.", exact=False).first.click()   # a row picks the object drawn with its best boxes
    wait_text(page, "#lens-gt-object-text", "Object #2")
    page.screenshot(path=str(ARTIFACTS / "ground_truth.png"), full_page=True)
    page.close()


def test_switching_to_korean_relabels_the_page(browser: object, app_url: str) -> None:
    page = open_scene(browser, app_url)
    page.locator("#lens-language label", has_text="한국어").click()
    page.get_by_role("tab", name=KO["tab.overview"], exact=True).wait_for(state="visible")
    wait_text(page, "#lens-detections-count", r"검출 \d+개")
    assert page.get_by_text(KO["thresholds.title"], exact=True).first.is_visible()
    open_tab(page, "detections", KO)
    page.get_by_text(KO["look.detections"].replace("**", "")[:20], exact=False).first.wait_for(state="visible")
    page.locator("#lens-language label", has_text="English").click()
    page.get_by_role("tab", name=EN["tab.overview"], exact=True).wait_for(state="visible")
    page.close()
