"""The diagnosis views in the CLI (`diagnose`, `compare A B`) and in the HTML reports, each stating its thresholds."""

from __future__ import annotations

import json

import pytest

from inspectors import DatasetCapture, compare_captures
from reports.dataset_cli import main
from reports.dataset_report import diagnosis_html, write_comparison_report

pytestmark = [pytest.mark.slow, pytest.mark.dataset]


def test_diagnose_prints_every_view_and_json_equal_to_the_engine(demo_capture, capsys):
    path = str(demo_capture.path)
    assert main(["diagnose", path, "--box-score-thresh", "0.3"]) == 0
    text = capsys.readouterr().out
    for words in ("confusion matrix at IoU > 0.5", "operating points", "where objects are lost", "anchor fit",
                  "box_score_thresh=0.3", "PER_CLASS_THRESHOLD", "AnchorGenerator(sizes="):
        assert words in text, words
    assert main(["diagnose", path, "--box-score-thresh", "0.3", "--iou", "0.6", "--json",
                 "--view", "confusion", "funnel"]) == 0
    out = json.loads(capsys.readouterr().out)
    ds = DatasetCapture.open(path)
    assert out["settings"] == ds.settings(box_score_thresh=0.3) and out["iou"] == 0.6
    assert out["confusion"]["matrix"] == ds.confusion_matrix(iou=0.6, box_score_thresh=0.3).matrix.tolist()
    assert out["funnel"]["lost"] == {("found" if k is None else k): v
                                     for k, v in ds.funnel_summary(iou=0.6, box_score_thresh=0.3).lost.items()}
    assert "operating" not in out and "anchors" not in out


def test_compare_prints_differences_json_and_html(demo_capture, capsys, tmp_path):
    path = str(demo_capture.path)
    page = tmp_path / "compare.html"
    assert main(["compare", path, path, "--b-box-score-thresh", "0.5", "--draws", "30", "--json",
                 "--html", str(page)]) == 0
    out = json.loads(capsys.readouterr().out)
    ds = DatasetCapture.open(path)
    assert out["delta"]["ap"] == ds.evaluate(box_score_thresh=0.5).ap - ds.evaluate().ap
    assert out["settings_b"]["box_score_thresh"] == 0.5
    html = page.read_text()
    assert "B − A" in html and "box_score_thresh = 0.5" in html and html.count("<img") >= 2
    assert main(["compare", path, path, "--draws", "10"]) == 0
    assert "95% CI over images" in capsys.readouterr().out


def test_report_sections_state_their_thresholds(demo_capture, tmp_path):
    ds = DatasetCapture.open(demo_capture.path)
    settings = ds.settings(box_nms_thresh=0.4)
    section = diagnosis_html(ds, settings)
    for title in ("Confusion matrix", "Operating points per class", "Where objects are lost", "Do the anchors fit?"):
        assert f"<h2>{title}</h2>" in section
    assert section.count("box_nms_thresh = 0.4") >= 3
    result = compare_captures(ds, ds, draws=5)
    page = write_comparison_report(ds, ds, result, tmp_path / "c.html").read_text()
    assert "Per class AP" in page
