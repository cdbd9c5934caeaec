"""The Dataset tab in Chromium after a capture and a slider move, at 1440×900, 1280×720 and 1024×768, in English
and Korean: no text overflows its box or breaks inside a number, no plot texts overlap, the worst images' captions
are distinct and shown whole, the diagnosis views follow the move (second step), and a full-page screenshot of each
goes to tests/artifacts/dataset/ (look at them). One capture and one move per language; the page is then checked at
each size."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from layout_probe import (
    CHROMIUM_ARGS,
    LANGUAGES,
    PLOT_OVERLAPS_JS,
    PLOTS_STILL_JS,
    SIZES,
    TEXT_PROBLEMS_JS,
    open_tab,
    settle,
    wait_for_inspected,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.dataset]

CHROMIUM = os.environ.get("RCNN_LENS_CHROMIUM", "/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
SHOTS = Path(__file__).resolve().parent / "artifacts" / "dataset"
SCENES = 12

CAPTIONS_JS = """() => [...document.querySelectorAll('#lens-ds-worst .caption-label')].map(e => ({
  text: e.innerText.trim(), whole: e.scrollWidth <= e.clientWidth + 1 && e.scrollHeight <= e.clientHeight + 1}))"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def changed(page: Any, selector: str, before: str) -> None:
    page.wait_for_function("([sel, old]) => { const e = document.querySelector(sel);"
                           " return e && e.innerText.trim() !== '' && e.innerText !== old; }", arg=[selector, before])


def map_of(metrics: str) -> float:
    """The metrics table's AP @[.5:.95] (the first number after it, in either language)."""
    return float(re.search(r"AP @\[\.5:\.95\]\D*?(\d+\.\d+)", metrics).group(1))


def size_problems(page: Any) -> list[str]:
    """What the layout check finds on the Dataset tab as it is now shown."""
    problems = [f"{p['kind']} {p['text']!r}" for p in page.evaluate(TEXT_PROBLEMS_JS)]
    problems += [f"plot texts overlap: {a!r} / {b!r}" for a, b in page.evaluate(PLOT_OVERLAPS_JS)]
    captions = page.evaluate(CAPTIONS_JS)
    if not captions:
        return [*problems, "no worst images shown"]
    problems += [f"caption cut: {c['text']!r}" for c in captions if not c["whole"]]
    texts = [c["text"] for c in captions]
    if len(set(texts)) != len(texts):
        problems.append(f"captions not distinct: {texts}")
    return problems


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_dataset_tab_after_a_move_is_legible(browser: Any, app_url: str, language: str) -> None:
    """One capture and one move per language; then the tab is checked at each of the three sizes."""
    context = browser.new_context(viewport={"width": SIZES[0][0], "height": SIZES[0][1]}, locale=LANGUAGES[language])
    page = context.new_page()
    page.set_default_timeout(180_000)
    problems: list[str] = []
    try:
        page.goto(app_url)
        wait_for_inspected(page)
        open_tab(page, "dataset")
        page.locator("#lens-ds-count input").fill(str(SCENES))
        page.locator("#lens-ds-capture").click()
        page.wait_for_function("(n) => new RegExp(`\\\\b${n}\\\\b`).test("
                               "document.querySelector('#lens-ds-status')?.innerText || '')", arg=SCENES)
        page.wait_for_function("() => /AP/.test(document.querySelector('#lens-ds-metrics')?.innerText || '')")
        page.wait_for_timeout(500)   # the capture's reply also re-ranges the sliders
        metrics, funnel = (page.locator(s).inner_text() for s in ("#lens-ds-metrics", "#lens-dsd-funnel"))
        track = page.locator("#lens-ds-box-score-thresh input[type=range]")
        track.scroll_into_view_if_needed()
        box = track.bounding_box()
        page.mouse.click(box["x"] + 8 + (box["width"] - 16) * 0.6, box["y"] + box["height"] / 2)
        changed(page, "#lens-ds-metrics", metrics)   # first step
        assert float(page.locator("#lens-ds-box-score-thresh input[type=number]").input_value()) > 0.2
        assert map_of(page.locator("#lens-ds-metrics").inner_text()) != map_of(metrics)   # another mAP
        changed(page, "#lens-dsd-funnel", funnel)    # second step: the diagnosis follows the move
        page.locator("#lens-ds-worst img").first.wait_for(state="visible")
        SHOTS.mkdir(parents=True, exist_ok=True)
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_function(PLOTS_STILL_JS)
            settle(page)
            page.screenshot(path=str(SHOTS / f"{language}_{width}x{height}.png"), full_page=True)
            problems += [f"{width}×{height}: {p}" for p in size_problems(page)]
    finally:
        context.close()
    assert not problems, "\n".join(problems)
