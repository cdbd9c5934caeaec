"""Dataset diagnosis against outside oracles: the confusion matrix against supervision's, the F1-optimal
confidences against a brute-force sweep, the score slider against pycocotools (ties included), the dataset funnel
against the sum of single-image funnels and its recovered recall against evaluations at the relaxed settings, the
anchor fit against torchvision's own anchors and box_iou, and a comparison against two evaluations."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_dataset_eval import STAT_NAMES, arrays, cocoeval, random_set
from torchvision.models.detection.transform import resize_boxes
from torchvision.ops import box_iou

from inspectors import DatasetCapture, capture, compare_captures, load_image
from inspectors.dataset.compare import CI_METRICS
from inspectors.evaluation.coco_accumulate import ScoreSlider
from inspectors.evaluation.coco_matching import DetectionSet, match

pytestmark = [pytest.mark.slow, pytest.mark.dataset]

SETTINGS = [{}, {"box_score_thresh": 0.3, "box_nms_thresh": 0.3}, {"rpn_post_nms_top_n": 50,
                                                                  "box_detections_per_img": 5}]


# ---- confusion matrix = supervision's ------------------------------------------------------------------------
def _supervision_matrix(ds: DatasetCapture, iou: float, **settings) -> np.ndarray:
    import supervision as sv

    dets, gts = ds.detection_set(**settings), ds.ground_truth()
    predictions, targets = [], []
    for i in range(len(ds)):
        d = dets.image == i
        g = (gts.image == i) & ~gts.iscrowd
        xyxy_d = np.concatenate([dets.bbox[d, :2], dets.bbox[d, :2] + dets.bbox[d, 2:]], axis=1).reshape(-1, 4)
        xyxy_g = np.concatenate([gts.bbox[g, :2], gts.bbox[g, :2] + gts.bbox[g, 2:]], axis=1).reshape(-1, 4)
        predictions.append(sv.Detections(xyxy=xyxy_d.astype(np.float32), class_id=dets.category[d],
                                         confidence=dets.score[d].astype(np.float32)))
        targets.append(sv.Detections(xyxy=xyxy_g.astype(np.float32), class_id=gts.category[g]))
    cm = sv.ConfusionMatrix.from_detections(predictions, targets, list(ds.class_names), conf_threshold=0.0,
                                            iou_threshold=iou)
    return cm.matrix


@pytest.mark.parametrize("settings", SETTINGS)
@pytest.mark.parametrize("iou", [0.5, 0.3, 0.75])
def test_confusion_matrix_equals_supervision(demo_capture, settings, iou):
    ds = DatasetCapture.open(demo_capture.path)
    cm = ds.confusion_matrix(iou=iou, **settings)
    assert cm.matrix.shape == (len(ds.class_names) + 1,) * 2
    assert cm.classes == tuple(ds.class_names)
    assert np.array_equal(cm.matrix, _supervision_matrix(ds, iou, **settings))
    assert cm.settings == ds.settings(**settings)
    # every count is one listed item of its cell
    for t in range(len(cm.labels)):
        for p in range(len(cm.labels)):
            cell = cm.cell(t, p)
            assert len(cell.items) == cm.matrix[t, p]
            assert set(cell.images) == {item["image"] for item in cell.items}


def test_confusion_matrix_of_off_diagonal_and_background_cells():
    """A hand-made case: a wrong-class detection takes the object (off-diagonal), a far one is background."""
    from inspectors.dataset.confusion import confusion_matrix
    from inspectors.evaluation.coco_matching import GroundTruthArrays

    dets = DetectionSet(image=np.array([0, 0, 1]), category=np.array([1, 0, 0]),
                        bbox=np.array([[0, 0, 10, 10], [50, 50, 10, 10], [0, 0, 10, 10]], dtype=float),
                        score=np.array([0.9, 0.8, 0.7]))
    gts = GroundTruthArrays(image=np.array([0, 1]), category=np.array([0, 1]),
                            bbox=np.array([[0, 0, 10, 10], [100, 100, 5, 5]], dtype=float),
                            area=np.array([100.0, 25.0]), iscrowd=np.array([False, False]))
    cm = confusion_matrix(dets, gts, ("a", "b"), 0.5, {}, ("x", "y"))
    assert cm.matrix.tolist() == [[0, 1, 0], [0, 0, 1], [2, 0, 0]]
    assert cm.cell("a", "b").images == ["x"]


# ---- operating points = brute force --------------------------------------------------------------------------
def _brute_best(dets: DetectionSet, gts, k: int | None) -> float | None:
    objects = int((~gts.iscrowd & (True if k is None else gts.category == k)).sum())
    best, best_c = -1.0, None
    scores = dets.score if k is None else dets.score[dets.category == k]
    for c in sorted(set(scores.tolist()), reverse=True):
        keep = dets.score >= c
        sub = DetectionSet(dets.image[keep], dets.category[keep], dets.bbox[keep], dets.score[keep])
        m = match(sub, gts, max_det=len(sub) + 1, iou_thresholds=np.array([0.5]))
        cat = sub.category[m.det]
        mine = np.ones(len(m.det), bool) if k is None else cat == k
        tp = int((((m.gt[0, 0] >= 0) & ~m.det_ignored[0, 0]) & mine).sum())
        fp = int((((m.gt[0, 0] < 0) & ~m.det_ignored[0, 0]) & mine).sum())
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / objects if objects else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if f1 > best:  # strictly: ties keep the higher confidence
            best, best_c = f1, c
    return best_c


@pytest.mark.parametrize("settings", SETTINGS[:2])
def test_best_f1_confidence_equals_a_brute_force_sweep(demo_capture, settings):
    ds = DatasetCapture.open(demo_capture.path)
    op = ds.operating_points(**settings)
    dets, gts = ds.detection_set(**settings), ds.ground_truth()
    for k, name in enumerate(ds.class_names):
        assert op.best_f1_confidence[name] == _brute_best(dets, gts, k), name
        curve = op.curves[name]
        assert len(curve.confidence) == len(curve.precision) == len(curve.recall) == len(curve.f1)
    assert op.best_f1_confidence["all"] == _brute_best(dets, gts, None)
    assert op.settings == ds.settings(**settings)
    # per-class thresholds: AP never rises (a post-filter only shortens each PR curve); code names each class
    applied = op.apply()
    assert applied.ap_after <= applied.ap_before + 1e-12
    code = op.code()
    assert "PER_CLASS_THRESHOLD" in code and all(repr(n) in code for n in ds.class_names
                                                  if op.best_f1_confidence[n] is not None)
    namespace: dict = {}
    exec(code, namespace)  # it is valid Python
    out = {"boxes": torch.zeros((2, 4)), "scores": torch.tensor([0.99, 0.0]), "labels": torch.tensor([1, 1])}
    kept = namespace["per_class_filter"](out, ["__background__", *ds.class_names])
    assert kept["scores"].tolist() == pytest.approx([0.99])


# ---- the score slider = pycocotools at many thresholds, ties included ----------------------------------------
@pytest.mark.parametrize("seed", range(3))
def test_score_slider_equals_pycocotools_with_ties(seed):
    gt, results = random_set(seed)
    rng = np.random.default_rng(seed)
    for r in results:  # coarse scores: many ties, inside images and across them
        r["score"] = float(np.float32(round(float(rng.choice([r["score"], rng.random()])), 1)))
    dets, gts, k = arrays(gt, results)
    slider = ScoreSlider(match(dets, gts, max_det=100), dets, gts.category, k)
    thresholds = sorted({0.0, 0.05, 0.1, 0.2, 0.3, 0.45, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 0.95, 1.0}
                        | {float(s) for s in np.unique(dets.score)[:6]})
    assert len(thresholds) >= 10
    for s in thresholds:
        kept = [r for r in results if np.float32(r["score"]) > np.float32(s)]
        ev = cocoeval(gt, kept)
        acc = slider.accumulate_at(s)
        assert np.array_equal(acc.precision, ev.eval["precision"]), s
        assert np.array_equal(acc.recall, ev.eval["recall"]), s
        assert np.array_equal(acc.scores, ev.eval["scores"]), s
        values = slider.at(s)
        for name, value in zip(STAT_NAMES, ev.stats):
            assert values[name] == pytest.approx(value, abs=1e-12), (s, name)


def test_score_slider_on_a_capture_equals_evaluate(demo_capture):
    ds = DatasetCapture.open(demo_capture.path)
    slider = ds.score_slider(box_score_thresh=0.0)
    for s in (0.0, 0.05, 0.2, 0.5, 0.9):
        m = ds.evaluate(box_score_thresh=s)
        acc = slider.accumulate_at(s)
        assert np.array_equal(acc.precision, m.precision) and np.array_equal(acc.recall, m.recall)


# ---- funnel summary = sum of single-image funnels; recovered = evaluations ------------------------------------
FUNNEL_CASES = [
    (0.5, {"box_score_thresh": 0.5, "rpn_post_nms_top_n": 30, "box_detections_per_img": 4}),
    (0.7, {"rpn_pre_nms_top_n": 20, "rpn_nms_thresh": 0.3, "rpn_score_thresh": 0.3, "box_nms_thresh": 0.1}),
]


@pytest.mark.parametrize("iou,settings", FUNNEL_CASES)
def test_funnel_summary_equals_the_sum_of_single_image_funnels(demo_model, demo_capture, iou, settings):
    ds = DatasetCapture.open(demo_capture.path)
    summary = ds.funnel_summary(iou=iou, **settings)
    total: dict = {}
    with torch.inference_mode():
        for i in range(len(ds)):
            trace = capture(demo_model, load_image(ds.image_path(i)))
            report = trace.ground_truth(ds.image_ground_truth(i), iou_threshold=iou, **ds.settings(**settings))
            for stage, n in report.lost.items():
                total[stage] = total.get(stage, 0) + n
    assert summary.lost == total
    assert sum(summary.lost.values()) == len(summary.objects)
    assert summary.settings == ds.settings(**settings)
    # the recall that relaxing each stage gives is an evaluation at that setting
    assert len(summary.lost) >= 3  # several stages lose objects in these cases
    if iou == 0.5:
        assert summary.recall == ds.evaluate(**settings).counts["recall50"]
        for stage, recall in summary.recovered_recall.items():
            relaxed = summary.recovered_settings[stage]
            assert recall == ds.evaluate(**relaxed).counts["recall50"], stage
    else:
        assert summary.recall == ds.recall_at(iou, **settings)


# ---- anchor fit = torchvision's anchors and box_iou ------------------------------------------------------------
def test_anchor_fit_equals_torchvision_anchors_and_box_iou(demo_model, demo_capture):
    ds = DatasetCapture.open(demo_capture.path)
    fit = ds.anchor_fit()
    expected = []
    with torch.inference_mode():
        for i in sorted(range(len(ds)), key=lambda i: ds.names[i]):
            trace = capture(demo_model, load_image(ds.image_path(i)))
            gt = ds.record(i).ground_truth
            xywh = np.asarray(gt.bbox, dtype=np.float64).reshape(-1, 4)
            xyxy = torch.tensor(np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], 1), dtype=torch.float32)
            boxes = resize_boxes(xyxy, list(trace.original_size), list(trace.resized_size))
            if len(boxes):
                expected.append(box_iou(boxes, trace.anchors.cpu()).max(dim=1).values.numpy())
    expected = np.concatenate(expected).astype(np.float64)
    assert np.array_equal(fit.best_iou, expected)
    high = demo_model.model.rpn.proposal_matcher.high_threshold
    assert fit.fg_threshold == high
    assert fit.share_fg == float((expected >= high).mean())
    suggestion = fit.suggest(n_sizes=5, n_ratios=3)
    assert len(suggestion.sizes) == len(fit.sizes) and all(len(r) <= 3 for r in suggestion.aspect_ratios)
    assert 0.0 <= suggestion.share_fg <= 1.0 and "AnchorGenerator(sizes=" in suggestion.code


# ---- two captures side by side = two evaluations ---------------------------------------------------------------
def test_compare_captures_differences_are_two_evaluations(demo_capture):
    a = DatasetCapture.open(demo_capture.path)
    b = DatasetCapture.open(demo_capture.path)
    same = compare_captures(a, b)
    assert all(v == 0.0 for v in same.delta.values())
    result = compare_captures(a, b, draws=50, thresholds_b={"box_score_thresh": 0.6})
    ma, mb = a.evaluate(), b.evaluate(box_score_thresh=0.6)
    for name in ("ap", "ap50", "ar100", "f1_50", "AR@1000"):
        assert result.delta[name] == mb.metric(name) - ma.metric(name), name
    for name in CI_METRICS:
        low, high = result.ci[name]
        assert low <= high
    assert set(result.per_class_delta) == set(a.class_names)
