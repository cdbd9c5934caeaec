"""Dataset mode with masks: a Mask R-CNN capture stores the masks' logits, its replayed masks equal the single-image
replay's (hence torchvision's) exactly, and `evaluate(..., mask_thresh=...).segm` equals pycocotools'
COCOeval(iouType="segm") on the same detections at default and non-default thresholds and several mask thresholds.
A box-only capture is unchanged (no mask arrays, segm None).

Model: the demo architecture with its mask head (trained weights when present, else the demo's box weights and a
seeded random mask head). Data: four small synthetic scenes (160–200 px), one annotation in four a crowd region.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from inspectors import capture, load_model
from inspectors.core.demo_model import DEMO_CATEGORIES, DEMO_MASK_WEIGHTS, build_demo_mask_model, load_demo_state_dict
from inspectors.core.errors import InputError
from inspectors.core.models import InspectedModel
from inspectors.dataset.capture import capture_dataset
from inspectors.dataset.record import read_record
from inspectors.dataset.scenes import coco_dict, make_scene
from inspectors.dataset.store import DatasetCapture

pytestmark = [pytest.mark.slow, pytest.mark.dataset]  # two captures of a few scenes: ~60 s on the shared machine

SIZES = (160, 192, 176, 200)


@pytest.fixture(scope="module")
def mask_model():
    if DEMO_MASK_WEIGHTS.is_file():
        return load_model("demo_mask")
    torch.manual_seed(0)
    model = build_demo_mask_model(len(DEMO_CATEGORIES))
    model.load_state_dict(load_demo_state_dict(), strict=False)
    return InspectedModel(model=model.eval(), name="demo_mask", categories=list(DEMO_CATEGORIES),
                          device=torch.device("cpu"), source="demo box weights + seeded mask head")


@pytest.fixture(scope="module")
def dataset_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("segm")
    (root / "images").mkdir()
    scenes = [make_scene(23, i, "val", size) for i, size in enumerate(SIZES)]
    names = [f"s{i}.png" for i in range(len(scenes))]
    for scene, name in zip(scenes, names):
        scene.image.save(root / "images" / name)
    coco = coco_dict(scenes, names)
    for k, ann in enumerate(coco["annotations"]):
        if k % 4 == 3:
            ann["iscrowd"] = 1
    (root / "annotations.json").write_text(json.dumps(coco))
    return root, scenes, coco


@pytest.fixture(scope="module")
def mask_capture(mask_model, dataset_files):
    root, _, _ = dataset_files
    return capture_dataset(mask_model, root / "images", root / "annotations.json", root / "capture", progress=False)


def _pycocotools(coco_gt, results):
    coco = COCO()
    coco.dataset = copy.deepcopy(coco_gt)
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
        evaluator = COCOeval(coco, coco.loadRes(copy.deepcopy(results)), "segm")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator


SETTINGS = [
    ({}, 0.5),
    ({}, 0.3),
    ({"box_score_thresh": 0.3, "box_nms_thresh": 0.6}, 0.5),
    ({"box_score_thresh": 0.12, "box_detections_per_img": 7}, 0.65),
    ({"rpn_post_nms_top_n": 150, "rpn_nms_thresh": 0.6, "rpn_pre_nms_top_n": 300}, 0.4),
]


@pytest.mark.parametrize("thresholds, mask_thresh", SETTINGS)
def test_segm_metrics_equal_pycocotools(mask_capture, dataset_files, thresholds, mask_thresh):
    _, _, coco = dataset_files
    metrics = mask_capture.evaluate(mask_thresh=mask_thresh, **thresholds)
    segm = metrics.segm
    assert segm is not None and segm.mask_thresh == mask_thresh and metrics.segm_note is None
    results = mask_capture.segm_results(mask_thresh, **thresholds)
    assert len(results) == len(mask_capture.detection_set(**thresholds))
    oracle = _pycocotools(coco, results)
    assert np.array_equal(np.array(list(segm.summary.values())), oracle.stats)
    assert np.array_equal(segm.precision, oracle.eval["precision"])
    assert np.array_equal(segm.recall, oracle.eval["recall"])
    for name in ("ap", "ap50", "ap75", "ap_small", "ap_medium", "ap_large"):
        assert isinstance(getattr(segm, name), float)
    assert metrics.to_dict()["segm"]["ap"] == pytest.approx(segm.ap)
    # the box metrics are those of the same setting without masks
    assert metrics.ap == mask_capture.evaluate(**thresholds).ap


def test_the_mask_threshold_moves_the_segm_metrics(mask_capture):
    values = {t: mask_capture.evaluate(mask_thresh=t).segm.ap for t in (0.2, 0.5, 0.8)}
    assert len(set(values.values())) > 1, values
    assert mask_capture.evaluate(mask_thresh=0.5).segm is mask_capture.evaluate(mask_thresh=0.5).segm  # memoised


def test_replayed_masks_equal_the_single_image_replay(mask_capture, mask_model, dataset_files):
    _, scenes, _ = dataset_files
    settings = [{}, {"box_score_thresh": 0.2, "rpn_nms_thresh": 0.5}, {"box_nms_thresh": 0.3,
                                                                      "rpn_post_nms_top_n": 100},
                {"box_detections_per_img": 1}]  # one detection: the model runs its mask head on one box
    compared = 0
    for i, scene in enumerate(scenes):
        trace = capture(mask_model, np.asarray(scene.image))
        for thresholds in settings:
            mine, theirs = mask_capture.replay(i, **thresholds), trace.replay(**thresholds)
            assert torch.equal(mine.detections.boxes, theirs.detections.boxes)
            assert torch.equal(mine.mask_probs, theirs.mask_probs)
            assert torch.equal(mine.masks, theirs.masks)
            assert torch.equal(mine.binary_masks(0.35), theirs.binary_masks(0.35))
            compared += len(mine.detections)
    assert compared > 20


def test_what_the_capture_stores_for_masks(mask_capture):
    floor = mask_capture.mask_score_floor
    assert mask_capture.has_masks and floor == pytest.approx(min(0.05, mask_capture.model_defaults["box_score_thresh"]))
    assert mask_capture.manifest["masks"] == {"score_floor": floor}
    for i in range(len(mask_capture)):
        path = mask_capture.path / "records" / mask_capture.images[i]["record"]
        record = read_record(path)
        assert record.mask_logits.dtype == np.float32 and record.mask_logits.shape[1:] == (28, 28)
        keys = record.mask_row.astype(np.int64) * len(mask_capture.categories) + record.mask_label
        assert np.all(np.diff(keys) > 0)  # sorted, one per (row, label)
        assert record.ground_truth.masks is not None and len(record.ground_truth.masks) == len(record.ground_truth)
        # every (row, class) that scores above the floor has its mask: any detection at a threshold ≥ floor does
        logits = torch.from_numpy(record.class_logits)
        scores = torch.softmax(logits, -1)[:, 1:]
        above = set(zip(*[a.tolist() for a in torch.nonzero(scores > floor, as_tuple=True)]))
        stored = set(zip(record.mask_row.tolist(), (record.mask_label - 1).tolist()))
        assert len(above - stored) <= 0.02 * len(above)  # only tiny boxes (never detections) are left out


def test_mask_threshold_validation_and_the_floor(mask_capture):
    for bad in (-0.01, 1.01, "0.5", None):
        with pytest.raises(InputError) as caught:
            mask_capture.evaluate(mask_thresh=bad)
        assert caught.value.code == "mask.threshold"
    below = mask_capture.evaluate(box_score_thresh=0.01)
    assert below.segm is None and "floor" in below.segm_note
    assert below.ap > -1  # the box metrics are there as always
    with pytest.raises(InputError) as caught:
        mask_capture.segm_detections(0.5, box_score_thresh=0.01)
    assert caught.value.code == "dataset.masks_below_floor"


def test_without_mask_annotations_segm_says_why(mask_model, dataset_files, tmp_path):
    root, _, coco = dataset_files
    boxes_only = copy.deepcopy(coco)
    for ann in boxes_only["annotations"]:
        ann.pop("segmentation")
    (tmp_path / "boxes.json").write_text(json.dumps(boxes_only))
    # a capture of two images only, to stay quick
    files = [root / "images" / "s0.png", root / "images" / "s2.png"]
    capture_ = capture_dataset(mask_model, files, tmp_path / "boxes.json", tmp_path / "capture", progress=False)
    metrics = capture_.evaluate()
    assert metrics.segm is None and "segmentation" in metrics.segm_note


def test_a_box_only_capture_is_unchanged(dataset_files, tmp_path):
    root, _, _ = dataset_files
    files = [root / "images" / "s0.png", root / "images" / "s1.png"]
    boxes = capture_dataset(load_model("demo"), files, root / "annotations.json", tmp_path / "capture", progress=False)
    assert not boxes.has_masks and boxes.manifest["masks"] is None and boxes.mask_score_floor is None
    metrics = boxes.evaluate(mask_thresh=0.7)
    assert metrics.segm is None and metrics.segm_note is None
    record = read_record(boxes.path / "records" / boxes.images[0]["record"])
    assert record.mask_logits is None and record.mask_row is None
    assert boxes.replay(0).masks is None
    reopened = DatasetCapture.open(boxes.path)
    assert reopened.evaluate().ap == metrics.ap


def test_one_image_of_the_capture_carries_its_masks_to_the_single_image_engine(mask_capture, mask_model,
                                                                                dataset_files):
    _, scenes, _ = dataset_files
    gt = mask_capture.image_ground_truth(1)
    assert gt.has_masks
    report = capture(mask_model, np.asarray(scenes[1].image)).ground_truth(gt, mask_thresh=0.4)
    assert report.masks is not None and report.stages[-1] == "mask"


def test_the_cli_and_the_html_report_carry_the_mask_metrics(mask_capture, tmp_path, capsys):
    from reports.dataset_cli import main
    from reports.dataset_report import write_report

    assert main(["evaluate", str(mask_capture.path), "--mask-thresh", "0.4", "--box-score-thresh", "0.2",
                 "--worst", "0"]) == 0
    text = capsys.readouterr().out
    segm = mask_capture.evaluate(mask_thresh=0.4, box_score_thresh=0.2).segm
    assert "masks (COCO segm, mask threshold 0.4)" in text and f"{segm.ap:7.4f}" in text
    assert main(["evaluate", str(mask_capture.path), "--mask-thresh", "1.4"]) == 2
    out = write_report(mask_capture, tmp_path / "report.html", worst=1, progress=False, mask_thresh=0.4)
    page = out.read_text()
    assert "Mask metrics (COCO segm, mask threshold 0.4)" in page
    assert f'id="segm-ap">{mask_capture.evaluate(mask_thresh=0.4).segm.ap:.4f}' in page


def test_an_image_with_more_boxes_than_a_record_keeps_raises_its_own_floor(mask_model, dataset_files, tmp_path,
                                                                              monkeypatch):
    from inspectors.dataset import masks as dataset_masks

    root, scenes, coco = dataset_files
    monkeypatch.setattr(dataset_masks, "MAX_MASK_PAIRS", 40)
    files = [root / "images" / "s0.png", root / "images" / "s3.png"]
    capped = capture_dataset(mask_model, files, root / "annotations.json", tmp_path / "capture", progress=False)
    floors = [read_record(capped.path / "records" / e["record"]).mask_floor for e in capped.images]
    assert [e["mask_floor"] for e in capped.images] == floors
    assert max(floors) > 0.05 and capped.mask_score_floor == max(floors)
    for e in capped.images:
        record = read_record(capped.path / "records" / e["record"])
        assert len(record.mask_row) <= 40
    # below the raised floor: the box metrics, no segm (and why); replayed boxes, masks refused
    low = capped.evaluate()
    assert low.segm is None and "floor" in low.segm_note and low.ap > -1
    busiest = int(np.argmax(floors))
    replay = capped.replay(busiest)
    assert len(replay.detections) > 0
    with pytest.raises(InputError) as caught:
        _ = replay.masks
    assert caught.value.code == "dataset.masks_below_floor"
    # at the floor: exact again
    at_floor = {"box_score_thresh": float(np.float32(capped.mask_score_floor))}
    segm = capped.evaluate(mask_thresh=0.5, **at_floor).segm
    assert segm is not None
    names = {Path(f).name for f in files}
    subset = dict(coco, images=[i for i in coco["images"] if i["file_name"] in names])
    ids = {i["id"] for i in subset["images"]}
    subset["annotations"] = [a for a in coco["annotations"] if a["image_id"] in ids]
    oracle = _pycocotools(subset, capped.segm_results(0.5, **at_floor))
    assert np.array_equal(np.array(list(segm.summary.values())), oracle.stats)
    trace = capture(mask_model, np.asarray(scenes[3].image))
    index = capped.index_of("s3.png")
    assert torch.equal(capped.replay(index, **at_floor).masks, trace.replay(**at_floor).masks)
