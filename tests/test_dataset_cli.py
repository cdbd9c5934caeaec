"""The dataset command line, scripted: capture 12 demo scenes, evaluate, sweep, write the HTML report — and the
report opens in headless Chromium offline, with no console errors, and its score slider changes the mAP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reports.dataset_cli import main

pytestmark = [pytest.mark.slow, pytest.mark.dataset]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("RCNN_LENS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    out = folder / "capture"
    assert main(["capture", str(out), "--demo", "12", "--demo-root", str(folder / "demo"), "--threads", "1",
                 "--quiet"]) == 0
    return out


def test_evaluate_prints_a_table_and_json(captured, capsys):
    assert main(["evaluate", str(captured), "--box-score-thresh", "0.3", "--worst", "2"]) == 0
    text = capsys.readouterr().out
    assert "AP @[IoU=0.50:0.95]" in text and "AR@1000" in text and "worst 2 images" in text
    assert main(["evaluate", str(captured), "--box-score-thresh", "0.3", "--json",
                 "--export-detections", str(captured.parent / "dets.json")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["settings"]["box_score_thresh"] == 0.3 and 0 < data["ap"] <= 1
    assert len(data["per_image"]) == 12 and set(data["tide"]) >= {"cls", "loc", "bkg", "miss"}
    detections = json.loads((captured.parent / "dets.json").read_text())
    assert len(detections) == data["counts"]["detections"]


def test_sweep_gives_constructor_arguments(captured, capsys):
    assert main(["sweep", str(captured), "--metric", "f1_50", "--grid", "box_score_thresh=0.1,0.5,0.8",
                 "box_nms_thresh=0.4,0.6", "--json", "--quiet"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["rows"]) == 6
    assert data["best_value"] == max(row["value"] for row in data["rows"]) >= data["baseline_value"]
    assert data["constructor_kwargs"]["box_score_thresh"] == data["best"]["box_score_thresh"]


def test_user_errors_are_one_line_and_status_2(captured, capsys, tmp_path):
    assert main(["evaluate", str(captured), "--box-score-thresh", "1.5"]) == 2
    assert "box_score_thresh = 1.5 is outside" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "nothing")]) == 2
    assert "No dataset capture" in capsys.readouterr().err


def test_report_opens_offline_in_chromium_and_its_slider_moves_the_map(captured, tmp_path):
    report = tmp_path / "report.html"
    run = subprocess.run([sys.executable, "lens_dataset.py", "report", str(captured), "--out", str(report),
                          "--worst", "4", "--box-score-thresh", "0.05", "--quiet"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    page_text = report.read_text()
    assert "https://" not in page_text.split("<body>", 1)[1].split("plotly")[0]  # nothing to fetch
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise AssertionError(f"no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    playwright_api = pytest.importorskip("playwright.sync_api")
    problems, requests = [], []
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
                else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        page.goto(report.as_uri())
        page.wait_for_function("document.querySelectorAll('.plotly-graph-div .main-svg').length >= 6")
        assert page.locator(".card img").count() == 4
        assert page.locator(".card details").count() == 4  # the demo model's funnels
        before = page.inner_text("#score-ap")
        page.eval_on_selector("#score-slider", "e => { e.value = 16; e.dispatchEvent(new Event('input')); }")
        assert page.inner_text("#score-value") == "0.80"
        after = page.inner_text("#score-ap")
        assert after != before and float(after) < float(before)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dataset_report.png"), full_page=True)
        browser.close()
    assert not problems, problems
    assert not requests, requests


def test_capture_passes_how_the_checkpoint_was_trained_to_the_loader(tmp_path, capsys):
    """A from-scratch checkpoint (BatchNorm counters) captured as if fine-tuned from COCO is refused before any
    image is captured: the flag reaches the loader, which knows the normalisation cannot be frozen."""
    import torch
    from torchvision.models.detection import fasterrcnn_resnet50_fpn

    checkpoint = tmp_path / "scratch.pth"
    torch.save(fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=3).state_dict(), checkpoint)
    out = tmp_path / "capture"
    argv = ["capture", str(out), "--demo", "2", "--demo-root", str(tmp_path / "demo"), "--quiet",
            "--model", "fasterrcnn_resnet50_fpn", "--checkpoint", str(checkpoint), "--trained-from", "coco"]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "num_batches_tracked" in error and len(error.strip().splitlines()) == 1
    assert not (out / "records").exists()
