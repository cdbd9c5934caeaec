"""The Dataset tab's diagnosis views: the values the events return equal the engine's results and state their
thresholds; clicking a confusion-matrix cell lists that cell's images. The browser test clicks a cell in Chromium
and sees its images."""

from __future__ import annotations

import gradio as gr
import numpy as np
import pytest

from app.strings import use_language
from app.tabs import dataset_diagnosis
from inspectors import DatasetCapture
from inspectors.core.thresholds import THRESHOLD_KEYS

pytestmark = [pytest.mark.slow, pytest.mark.dataset]


def _tab() -> dataset_diagnosis.DiagnosisTab:
    with gr.Blocks():
        sliders = {key: gr.Slider(0, 3000, value=0) for key in THRESHOLD_KEYS}
        return dataset_diagnosis.build(sliders)


def test_the_views_follow_the_thresholds_and_a_cell_lists_its_images(demo_capture):
    ds = DatasetCapture.open(demo_capture.path)
    tab = _tab()
    with use_language("en"):
        values = dataset_diagnosis.diagnosis_values(tab, ds, {"box_score_thresh": 0.4}, 0.5)
    cm = ds.confusion_matrix(iou=0.5, box_score_thresh=0.4)
    table = values[tab.confusion_table]["value"]
    assert [row[1:] for row in table] == cm.matrix.tolist()
    assert np.array_equal(np.asarray(values[tab.confusion].data[0].z), cm.matrix)
    for component in (tab.operating_text, tab.funnel):
        assert "box_score_thresh = 0.4" in values[component]  # each view says which thresholds made it
    assert "box_score_thresh = 0.4" in values[tab.confusion].layout.annotations[0].text   # (its note)
    assert "PER_CLASS_THRESHOLD" in values[tab.operating_text]
    assert "AnchorGenerator(sizes=" in values[tab.anchors]
    t, p = np.unravel_index(int(np.argmax(cm.matrix)), cm.matrix.shape)
    with use_language("en"):
        cell = dataset_diagnosis.cell_values(tab, ds, {"box_score_thresh": 0.4}, 0.5, int(t), int(p))
    expected = cm.cell(int(t), int(p)).images
    assert [name for _, name in cell[tab.cell_images]["value"]] == expected[:dataset_diagnosis.CELL_IMAGES]
    assert f"{int(cm.matrix[t, p])} boxes" in cell[tab.cell_title]


@pytest.mark.browser
def test_clicking_a_confusion_matrix_cell_shows_its_images(app_url):
    from test_browser import CHROMIUM, CHROMIUM_ARGS, playwright_api
    from test_browser_lessons import open_tab, wait_text

    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(180_000)
        page.goto(app_url)
        open_tab(page, "dataset")
        page.locator("#lens-ds-count input").fill("4")
        page.locator("#lens-ds-capture").click()
        wait_text(page, "#lens-ds-status", "4 images captured")
        page.locator("#lens-dsd-refresh").click()
        wait_text(page, "#lens-dsd-funnel", "box_score_thresh")
        # the first row's diagonal cell (a class taken for itself)
        cell = page.locator("#lens-dsd-confusion-table [data-testid=cell-0-1]")  # the first class taken for itself
        cell.scroll_into_view_if_needed()
        count = int(cell.inner_text().strip())
        cell.click()
        wait_text(page, "#lens-dsd-cell-title", r"boxes in \d+ images")
        assert f"{count} boxes" in page.locator("#lens-dsd-cell-title").inner_text()
        if count:
            page.locator("#lens-dsd-cell-images img").first.wait_for(state="visible")
            assert page.locator("#lens-dsd-cell-images img").count() >= 1
        browser.close()


def test_a_slider_move_leaves_the_recovered_recall_for_show_the_diagnosis(demo_capture):
    """On a slider move the funnel's counts follow (the same as with the recovered column); the recall with each
    stage relaxed (seven more evaluations) waits for "Show the diagnosis", and the note says so."""
    ds = DatasetCapture.open(demo_capture.path)
    tab = _tab()
    with use_language("en"):
        moved = dataset_diagnosis.diagnosis_values(tab, ds, {"box_nms_thresh": 0.35}, 0.5, recovered=False)
    fs = ds.funnel_summary(iou=0.5, box_nms_thresh=0.35)
    assert "_recovery" not in vars(fs)  # the slider move ran no relaxed evaluation
    with use_language("en"):
        shown = dataset_diagnosis.diagnosis_values(tab, ds, {"box_nms_thresh": 0.35}, 0.5)
    assert "_recovery" in vars(fs)
    assert "Show the diagnosis" in moved[tab.funnel] and "Show the diagnosis" not in shown[tab.funnel]
    lost_rows = [line.split("|")[1:3] for line in moved[tab.funnel].splitlines() if line.startswith("| ")]
    assert lost_rows == [line.split("|")[1:3] for line in shown[tab.funnel].splitlines() if line.startswith("| ")]
    assert f"| {fs.recovered_recall['box_nms']:.3f} |" in shown[tab.funnel]
