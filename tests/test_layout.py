"""The page's layout in Chromium: every tab, at 1440×900, 1280×720 and 1024×768, in English and Korean, desktop and
(at the two smaller sizes) projector.

After the first screen has inspected its sample scene, each tab's main picture starts in the top half of the
viewport and is at least 55 % of its width; no text element's content overflows its box (scrollWidth against
clientWidth), no number is rendered on two lines, no two plot texts overlap. A browser whose language is Korean
opens the page in Korean. Every problem of one size and language is reported at once.

Each tab's screen, as the check saw it, is saved to tests/artifacts/screens/<width>x<height>-<language>[-projector]/
(look at them before calling a page change done).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import pytest
from conftest import PLOTS_DRAWN_JS
from layout_probe import (
    CHROMIUM_ARGS,
    LANGUAGES,
    MAIN_PICTURE_JS,
    PLOT_OVERLAPS_JS,
    PLOTS_STILL_JS,
    SIZES,
    TABS,
    TEXT_PROBLEMS_JS,
    main_picture,
    open_tab,
    settle,
    wait_for_inspected,
)

from app.locales.ko import KO

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = os.environ.get("RCNN_LENS_CHROMIUM", "/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

# Tabs whose main picture exists once an image is inspected (the Dataset tab's needs a dataset capture).
PICTURE_TABS = tuple(tab for tab in TABS if tab != "dataset")
SCREENS = Path(__file__).resolve().parent / "artifacts" / "screens"


def _screenshot(page: Any, size: tuple[int, int], language: str, index: int, tab: str,
                projector: bool = False) -> None:
    """The tab's screen as the layout check saw it (the viewport: what a projector shows)."""
    folder = SCREENS / f"{size[0]}x{size[1]}-{language}{'-projector' if projector else ''}"
    folder.mkdir(parents=True, exist_ok=True)
    page.wait_for_function(PLOTS_DRAWN_JS)   # Plotly has laid out every figure on the tab
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(folder / f"{index + 1:02d}_{tab}.png"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _page(browser: Any, url: str, size: tuple[int, int], locale: str) -> Any:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(url)
    wait_for_inspected(page)
    return page


PROJECTOR_SIZES = ((1280, 720), (1024, 768))


def _tab_problems(page: Any, size: tuple[int, int], language: str, projector: bool) -> list[str]:
    """Every tab as the page shows it now: the main picture in the top half and wide enough (55 %; projector:
    70 %), no text broken or overflowing, no plot texts overlapping; each tab's screen saved."""
    width, height = size
    least = 0.70 if projector else 0.55
    problems: list[str] = []
    for index, tab in enumerate(TABS):
        open_tab(page, tab)
        if projector:   # the figures drawn on the desktop are laid out again at the projector's width
            page.wait_for_function(PLOTS_STILL_JS)
        if tab in PICTURE_TABS:
            try:
                picture = main_picture(page)
            except playwright_api.TimeoutError:
                problems.append(f"{tab}: no main picture shown within 60 s")
                continue
            if picture["top"] > height / 2:
                problems.append(f"{tab}: main picture starts at {picture['top']:.0f} px (> {height / 2:.0f})")
            if picture["width"] < least * width:
                problems.append(f"{tab}: main picture {picture['width']:.0f} px wide (< {least:.0%} of {width})")
        settle(page)
        problems += [f"{tab}: {p['kind']} {p['text']!r}" for p in page.evaluate(TEXT_PROBLEMS_JS)]
        problems += [f"{tab}: plot texts overlap {a!r} / {b!r}" for a, b in page.evaluate(PLOT_OVERLAPS_JS)]
        _screenshot(page, size, language, index, tab, projector)
    return [f"{'projector' if projector else 'desktop'} {problem}" for problem in problems]


@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_tab_shows_its_picture_first_and_no_text_breaks(browser: Any, app_url: str, size: tuple[int, int],
                                                              language: str) -> None:
    """The desktop layout, then (at the projector sizes, 1280×720 and 1024×768) the projector layout, where each tab
    carries its own sliders above its picture and the picture must be at least 70 % of the width."""
    page = _page(browser, app_url, size, LANGUAGES[language])
    try:
        problems = _tab_problems(page, size, language, projector=False)
        if size in PROJECTOR_SIZES:
            page.locator("#lens-layout label").nth(1).click()
            page.wait_for_function("() => document.body.classList.contains('lens-projector')")
            problems += _tab_problems(page, size, language, projector=True)
    finally:
        page.evaluate("() => localStorage.removeItem('rcnn-lens-layout')")   # the next page opens on the desktop
        page.context.close()
    assert not problems, (f"{len(problems)} layout problems at {size[0]}×{size[1]} ({language}):\n"
                          + "\n".join(problems))


def test_a_korean_browser_opens_in_korean_and_the_switch_is_remembered(browser: Any, app_url: str) -> None:
    page = _page(browser, app_url, (1280, 720), "ko-KR")
    try:
        overview = page.locator("button[role=tab][data-tab-id=overview]")
        page.wait_for_function("([el, text]) => el.innerText.trim() === text",
                               arg=[overview.element_handle(), KO["tab.overview"]])
        # The switch overrides the browser's language, and the page remembers the choice when opened again.
        page.locator("#lens-language label").filter(has_text="English").click()
        page.wait_for_function("(el) => el.innerText.trim() === 'Overview'", arg=overview.element_handle())
        page.reload()
        wait_for_inspected(page)
        overview = page.locator("button[role=tab][data-tab-id=overview]")
        page.wait_for_function("(el) => el.innerText.trim() === 'Overview'", arg=overview.element_handle())
        assert page.evaluate(MAIN_PICTURE_JS) is not None   # the first screen: a sample scene, inspected
    finally:
        page.context.close()
