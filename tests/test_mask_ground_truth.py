"""Mask ground truth on one image: COCO polygons / RLE read as pycocotools reads them, mask IoU per object, the
funnel's mask stage, and the per-image segm AP equal to pycocotools' COCOeval(iouType="segm").

The oracle is pycocotools itself (COCO.annToRLE, mask.iou, COCOeval segm) on the same detections' binary masks
(replay.binary_masks, the model's own masks: test_mask_replay holds them equal to torchvision's). Model: the demo
architecture with its mask head (the trained one when its weights are in the checkout, else the demo's box weights
and a seeded random mask head: every number is still the model's). Scenes: small synthetic demo scenes, some
objects turned into crowd regions.
"""

from __future__ import annotations

import contextlib
import copy
import io

import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from inspectors import capture, load_annotations, load_model
from inspectors.core.demo_model import DEMO_CATEGORIES, DEMO_MASK_WEIGHTS, build_demo_mask_model, load_demo_state_dict
from inspectors.core.errors import InputError
from inspectors.core.models import InspectedModel
from inspectors.dataset.scenes import coco_dict, make_scene
from inspectors.evaluation.masks import MaskError, decode, encode, segmentation_rle
from inspectors.ground_truth.funnel import MASK_STAGES, STAGES

H, W = 40, 56


# ---- reading masks (fast) -----------------------------------------------------------------------------------------
def _coco(segmentations, height=H, width=W, crowd=None):
    anns = [{"id": k + 1, "image_id": 1, "category_id": 1, "bbox": [2, 2, 10, 10], "area": 100.0,
             "iscrowd": int(bool(crowd and crowd[k])), "segmentation": s} for k, s in enumerate(segmentations)]
    image = {"id": 1, "file_name": "a.png"}
    if height is not None:
        image.update(height=height, width=width)
    return {"images": [image], "annotations": anns, "categories": [{"id": 1, "name": "circle"}]}


def _oracle_rle(ann, height=H, width=W):
    coco = COCO()
    coco.dataset = {"images": [{"id": 1, "height": height, "width": width}], "annotations": [], "categories": []}
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco.annToRLE(copy.deepcopy(ann))


def test_polygons_and_both_rles_read_as_pycocotools_reads_them():
    rng = np.random.default_rng(1)
    blob = np.zeros((H, W), dtype=np.uint8)
    blob[5:30, 7:40] = rng.random((25, 33)) > 0.3
    compressed = mask_utils.encode(np.asfortranarray(blob))
    counts = [int(c) for c in _uncompressed_counts(blob)]
    polygons = [[3.5, 4, 20, 4.2, 18, 25.7, 5, 22], [30, 30, 50, 31, 40, 39]]
    segs = [polygons, {"size": [H, W], "counts": counts}, {"size": [H, W], "counts": compressed["counts"].decode()}]
    gt = load_annotations(_coco(segs))
    assert gt.has_masks and gt.masks_missing is None
    for ann, mine in zip(_coco(segs)["annotations"], gt.mask_rles()):
        assert np.array_equal(decode(mine), mask_utils.decode(_oracle_rle(ann)).astype(bool))
    assert np.array_equal(decode(gt.mask_rles()[1]), blob.astype(bool))


def _uncompressed_counts(mask):
    flat = mask.T.reshape(-1)  # column-major, as COCO's RLE
    changes = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], changes, [flat.size]])
    runs = np.diff(bounds).tolist()
    return ([0] if flat[0] else []) + runs


def test_polygons_without_a_declared_size_are_drawn_when_the_image_size_is_known():
    polygon = [[3, 4, 20, 4, 18, 25, 5, 22]]
    gt = load_annotations(_coco([polygon], height=None))
    assert gt.image_size is None and gt.has_masks
    with pytest.raises(ValueError):
        gt.mask_rles()
    fitted = gt.fit_to_image(H, W)
    ann = _coco([polygon])["annotations"][0]
    assert np.array_equal(decode(fitted.mask_rles()[0]), mask_utils.decode(_oracle_rle(ann)).astype(bool))


@pytest.mark.parametrize("segmentation, words", [
    ([[1, 2, 3, 4, 5]], "polygon 0"),
    ([[1, 2, 3, 4]], "polygon 0"),
    ([[1, 2, "x", 4, 5, 6]], "polygon 0"),
    ({"size": [H, W], "counts": [5, 7]}, "add up"),
    ({"size": [H, W], "counts": [5, -7, H * W + 2]}, "whole numbers"),
    ({"size": [H + 1, W], "counts": [(H + 1) * W]}, f"{W}×{H}"),
    ({"size": [H, W], "counts": "0?"}, "covers"),
    ({"size": [H, W], "counts": "\x7f\x7f"}, "alphabet"),
    ({"size": [H, W]}, "neither a list nor a string"),
    ({"size": "big", "counts": [H * W]}, "size"),
    ("not a mask", "neither polygons nor an RLE"),
])
def test_bad_mask_data_is_a_readable_input_error(segmentation, words):
    with pytest.raises(InputError) as caught:
        load_annotations(_coco([segmentation]))
    assert caught.value.code == "annotations.bad_mask"
    assert caught.value.params["id"] == 1
    assert words in str(caught.value)


def test_compressed_rle_check_reads_what_pycocotools_decodes():
    rng = np.random.default_rng(3)
    for _ in range(20):
        h, w = int(rng.integers(1, 30)), int(rng.integers(1, 30))
        m = (rng.random((h, w)) > rng.random()).astype(np.uint8)
        rle = mask_utils.encode(np.asfortranarray(m))
        mine = segmentation_rle({"size": [h, w], "counts": rle["counts"].decode()}, h, w)
        assert np.array_equal(decode(mine), m.astype(bool))
        with pytest.raises(MaskError):
            segmentation_rle({"size": [h, w + 1], "counts": rle["counts"]}, h, w + 1)
    assert np.array_equal(decode(encode(np.ones((1, 3, 4), bool))[0]), np.ones((3, 4), bool))


def test_voc_and_box_only_files_say_they_have_no_masks():
    voc = (b"<annotation><filename>a.png</filename><size><width>56</width><height>40</height></size>"
           b"<object><name>circle</name><bndbox><xmin>3</xmin><ymin>3</ymin><xmax>20</xmax><ymax>20</ymax>"
           b"</bndbox></object></annotation>")
    from inspectors import parse_annotations

    voc_gt = parse_annotations(voc, name="a.xml")
    assert voc_gt.masks_missing == "annotations.voc_no_masks"
    assert voc_gt.to_dict()["masks"] is False and voc_gt.to_dict()["masks_missing"] == "annotations.voc_no_masks"
    assert load_annotations(_coco([[]])).masks_missing == "annotations.no_masks"
    partial = _coco([[[3, 4, 20, 4, 18, 25]], []])
    assert load_annotations(partial).masks_missing == "annotations.some_without_masks"


# ---- one image with a mask model (slow) ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mask_model():
    if DEMO_MASK_WEIGHTS.is_file():
        return load_model("demo_mask")
    torch.manual_seed(0)
    model = build_demo_mask_model(len(DEMO_CATEGORIES))
    model.load_state_dict(load_demo_state_dict(), strict=False)
    return InspectedModel(model=model.eval(), name="demo_mask", categories=list(DEMO_CATEGORIES),
                          device=torch.device("cpu"), source="demo box weights + seeded mask head")


def _scene_coco(index, size, crowd_every=0):
    scene = make_scene(17, index, "val", size)
    coco = coco_dict([scene], [f"s{index}.png"])
    for k, ann in enumerate(coco["annotations"]):
        if crowd_every and k % crowd_every == crowd_every - 1:
            ann["iscrowd"] = 1
    return scene, coco


@pytest.fixture(scope="module")
def scenes(mask_model):
    out = []
    for index, size, crowd in ((0, 160, 0), (1, 192, 2), (2, 176, 3)):
        scene, coco = _scene_coco(index, size, crowd)
        out.append((capture(mask_model, np.asarray(scene.image)), coco))
    return out


def _pycocotools_segm(coco_gt, replay, categories, mask_thresh):
    coco = COCO()
    coco.dataset = copy.deepcopy(coco_gt)
    det = replay.detections
    binary = replay.binary_masks(mask_thresh)[:, 0].numpy()
    names = {c["name"]: c["id"] for c in coco_gt["categories"]}
    results = [{"image_id": coco_gt["images"][0]["id"], "category_id": names[categories[int(label)]],
                "segmentation": rle, "score": float(score)}
               for rle, label, score in zip(encode(binary), det.labels.tolist(), det.scores.tolist())
               if categories[int(label)] in names]
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
        if not results:
            return None, coco
        E = COCOeval(coco, coco.loadRes(results), "segm")
        E.evaluate()
        E.accumulate()
        E.summarize()
    return E.stats, coco


@pytest.mark.slow  # captures of a mask model: ~15 s on the shared machine
def test_per_image_segm_ap_and_mask_iou_equal_pycocotools(scenes, mask_model):
    rng = np.random.default_rng(5)
    categories = mask_model.categories
    checked = 0
    for trace, coco_gt in scenes:
        gt = load_annotations(coco_gt)
        for k in range(3):
            thresholds = {} if k == 0 else {"box_score_thresh": float(rng.uniform(0.05, 0.6)),
                                            "box_nms_thresh": float(rng.choice([0.3, 0.5, 0.7])),
                                            "rpn_post_nms_top_n": int(rng.choice([100, 300, 1000]))}
            mask_thresh = 0.5 if k == 0 else float(rng.uniform(0.2, 0.8))
            report = trace.ground_truth(gt, mask_thresh=mask_thresh, **thresholds)
            assert report.masks is not None and report.stages == MASK_STAGES
            stats, coco = _pycocotools_segm(coco_gt, report.replay, categories, mask_thresh)
            ours = (report.segm_ap, report.segm_ap50)
            expected = (None, None) if stats is None else tuple(None if v == -1 else v for v in stats[:2])
            assert ours == expected, (thresholds, mask_thresh)
            # mask IoU per object: its box-matched detection's binary mask against the object's, by pycocotools
            det_masks = encode(report.replay.binary_masks(mask_thresh)[:, 0].numpy())
            objects = [a for a in coco_gt["annotations"] if not a["iscrowd"]]
            for record, ann in zip(report.funnel, objects):
                assert record.object_id == ann["id"]
                if record.detection is None:
                    assert record.mask_iou is None and record.best_iou["mask"] == 0.0
                    assert record.lost_at in STAGES
                    continue
                expected_iou = mask_utils.iou([det_masks[record.detection]], [coco.annToRLE(ann)], [0])[0][0]
                assert record.mask_iou == expected_iou
                assert record.lost_at == (None if expected_iou >= report.iou_threshold else "mask")
                checked += 1
            d = report.to_dict(heavy=False)
            assert d["stages"] == list(MASK_STAGES) and d["masks"]["mask_thresh"] == mask_thresh
    assert checked >= 5


@pytest.mark.slow  # captures of a mask model: ~15 s on the shared machine
def test_mask_threshold_is_validated_and_changes_the_masks(scenes):
    trace, coco_gt = scenes[1]
    gt = load_annotations(coco_gt)
    for bad in (-0.1, 1.5, "half", True, float("nan")):
        with pytest.raises(InputError) as caught:
            trace.ground_truth(gt, mask_thresh=bad)
        assert caught.value.code == "mask.threshold"
    low, high = (trace.ground_truth(gt, mask_thresh=t) for t in (0.1, 0.9))
    assert any(m["counts"] != n["counts"] for m, n in zip(low.masks.detection_masks, high.masks.detection_masks))


@pytest.mark.slow  # captures of a mask model: ~15 s on the shared machine
def test_without_mask_ground_truth_or_without_a_mask_model_nothing_about_masks_changes(scenes):
    trace, coco_gt = scenes[0]
    boxes_only = copy.deepcopy(coco_gt)
    for ann in boxes_only["annotations"]:
        ann.pop("segmentation")
    report = trace.ground_truth(load_annotations(boxes_only))
    assert report.masks is None and report.stages == STAGES and report.segm_ap is None
    assert report.mask_note is not None and report.mask_note.code == "annotations.no_masks"
    assert "masks" not in report.to_dict(heavy=False)
    assert all("mask" not in r.best_iou for r in report.funnel)
    # a Faster R-CNN on ground truth with masks: the box funnel and report as before
    box_trace = capture(load_model("demo"), np.asarray(make_scene(17, 0, "val", 160).image))
    box_report = box_trace.ground_truth(load_annotations(coco_gt))
    assert box_report.masks is None and box_report.mask_note is None and box_report.stages == STAGES
    assert "masks" not in box_report.to_dict(heavy=False)



def test_mask_areas_of_more_than_255_masks():
    """pycocotools' area() fails above 255 masks at once under NumPy 2: areas are taken in chunks."""
    from inspectors.evaluation.masks import area

    masks = np.random.default_rng(0).random((600, 12, 9)) > 0.5
    assert np.array_equal(area(encode(masks)), masks.reshape(600, -1).sum(axis=1))


@pytest.mark.slow
def test_the_ground_truth_summary_shows_the_mask_ap(scenes):
    from app.figures.ground_truth import summary_markdown
    from app.strings import use_language

    trace, coco_gt = scenes[0]
    report = trace.ground_truth(load_annotations(coco_gt), mask_thresh=0.5)
    for language, words in (("en", "mask AP@0.5"), ("ko", "마스크 AP@0.5")):
        with use_language(language):
            text = summary_markdown(report)
        assert words in text and f"{report.segm_ap50:.3f}" in text
