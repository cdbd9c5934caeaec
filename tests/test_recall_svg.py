"""The Ground-truth tab's recall chart (inline SVG) draws the report's recall curves: every marker is a point of
the report's curves (x and recall), every curve a polyline through its points, in both languages."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.figures.ground_truth import recall_svg
from app.strings import t, use_language
from inspectors import capture, load_annotations, load_model

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def report():
    trace = capture(load_model("demo", device="cpu"), ROOT / "sample_images" / "shapes_02.png")
    gt = load_annotations(ROOT / "sample_images" / "shapes_annotations.json", image="shapes_02.png")
    return trace.ground_truth(gt, rpn_nms_thresh=0.6)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_markers_are_the_reports_recall_values(report, language):
    with use_language(language):
        svg = recall_svg(report)
        names = {t("gt.all_sizes"), t("gt.at_iou", iou=0.5), t("gt.at_iou", iou=0.7)}
        title = t("gt.recall_iou", proposals=report.recall_vs_iou.proposals)
    drawn = re.findall(r"<circle [^>]*><title>([^<]*): ([^ ]*) → ([^<]*)</title>", svg)
    by_name: dict[str, list[tuple[str, str]]] = {}
    for name, x, y in drawn:
        by_name.setdefault(name, []).append((x, y))
    assert set(by_name) == names
    curve, vs = report.recall_vs_iou, report.recall_vs_proposals
    with use_language(language):
        expected = {t("gt.all_sizes"): [(f"{float(x):g}", f"{float(y):.3f}")
                                        for x, y in zip(curve.iou_thresholds, curve.recall)]}
        for iou in (0.5, 0.7):
            expected[t("gt.at_iou", iou=iou)] = [(f"{c:g}", f"{float(y):.3f}")
                                                 for c, y in zip(vs.counts, vs.recall_at(iou))]
    assert by_name == expected
    assert title in svg and svg.count("<polyline") == 3 + sum(1 for n in curve.objects_by_size.values() if n)
