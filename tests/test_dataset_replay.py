"""A dataset record replays exactly what the single-image engine and the real model compute, at any setting
within the capture's range — and the evaluation's fast paths give the same bits as the per-image functions."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from conftest import noise_image, random_model
from PIL import Image
from test_replay_fidelity import _rerun

from inspectors import InputError, capture, capture_dataset
from inspectors.dataset.replay import candidate_rows, is_stored_prefix
from inspectors.dataset.store import xyxy_to_xywh
from inspectors.rpn.fast_proposals import nms_base, rpn_proposals, stored_nms_base
from inspectors.rpn.filter import RpnSettings, filter_candidates

pytestmark = [pytest.mark.slow, pytest.mark.dataset]

SETTINGS = [
    {},
    {"box_score_thresh": 0.34, "box_nms_thresh": 0.3, "box_detections_per_img": 7},
    {"rpn_pre_nms_top_n": 200, "rpn_nms_thresh": 0.5},
    {"rpn_post_nms_top_n": 120, "rpn_score_thresh": 0.49, "box_score_thresh": 0.2},
    {"rpn_pre_nms_top_n": 50, "rpn_post_nms_top_n": 40, "rpn_nms_thresh": 0.9, "box_nms_thresh": 0.8,
     "box_detections_per_img": 500},
    {"rpn_pre_nms_top_n": 600, "rpn_score_thresh": 0.1, "box_score_thresh": 0.0, "box_detections_per_img": 300},
]


@pytest.fixture()
def one_thread():
    """Captures in these tests run with one intra-op thread, like the dataset capture they are compared with."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


def _assert_same(replayed, reference) -> None:
    """Same detections: equal counts and labels, boxes and scores within 1e-5 (here they are in fact equal)."""
    boxes = reference["boxes"] if isinstance(reference, dict) else reference.boxes
    scores = reference["scores"] if isinstance(reference, dict) else reference.scores
    labels = reference["labels"] if isinstance(reference, dict) else reference.labels
    assert len(replayed) == boxes.shape[0]
    torch.testing.assert_close(replayed.boxes, boxes, rtol=0, atol=1e-5)
    torch.testing.assert_close(replayed.scores, scores, rtol=0, atol=1e-5)
    assert torch.equal(replayed.labels, labels)


def test_record_replay_equals_trace_replay_and_a_real_rerun(demo_capture, demo_model, one_thread):
    dataset = demo_capture
    for index in range(3):
        trace = capture(demo_model, dataset.image_path(index))
        for settings in SETTINGS:
            replayed = dataset.replay(index, **settings)
            single = trace.replay(**settings)
            assert torch.equal(replayed.stage.proposals_resized, single.proposals.boxes_resized)
            _assert_same(replayed.detections, single.detections)
            _assert_same(replayed.detections, _rerun(demo_model.model, trace.image, **settings))
            assert replayed.settings == single.settings
        assert len(dataset.replay(index).detections) > 0, "the test must see real detections"


def test_another_architecture_non_square_images(tmp_path, one_thread):
    """A random-init mobilenet FPN (another backbone and anchor set; the resize changes both sides) on non-square
    noise images."""
    mobilenet = random_model("fasterrcnn_mobilenet_v3_large_320_fpn", seed=4)
    folder = tmp_path / "images"
    folder.mkdir()
    images, annotations = [], []
    for i, (h, w) in enumerate([(300, 460), (410, 280)]):
        Image.fromarray(noise_image(h, w, seed=20 + i)).save(folder / f"noise_{i}.png")
        images.append({"id": i + 1, "file_name": f"noise_{i}.png", "width": w, "height": h})
        annotations.append({"id": i + 1, "image_id": i + 1, "category_id": 1, "bbox": [20, 30, 100, 80],
                            "area": 8000, "iscrowd": 0})
    coco = {"images": images, "annotations": annotations,
            "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]}
    (tmp_path / "ann.json").write_text(json.dumps(coco))
    dataset = capture_dataset(mobilenet, folder, tmp_path / "ann.json", tmp_path / "capture", progress=False,
                              threads=1, max_pre_nms_top_n=250)
    assert dataset.defaults["rpn_pre_nms_top_n"] == 150 and dataset.model_defaults["rpn_pre_nms_top_n"] == 150
    seen = 0
    for index in range(len(dataset)):
        trace = capture(mobilenet, dataset.image_path(index))
        for settings in ({}, {"rpn_pre_nms_top_n": 250, "rpn_post_nms_top_n": 300},
                         {"rpn_pre_nms_top_n": 120, "rpn_nms_thresh": 0.5, "rpn_score_thresh": 0.0},
                         {"rpn_pre_nms_top_n": 250, "rpn_post_nms_top_n": 90, "box_score_thresh": 0.2}):
            replayed = dataset.replay(index, **settings).detections
            _assert_same(replayed, _rerun(mobilenet.model, trace.image, **settings))
            seen += len(replayed)
    assert seen > 0


def test_tied_objectness_replays_as_torchvision_decides_it(demo_model, tmp_path, one_thread):
    """A flat image gives identical objectness logits to many anchors: the top-n of a level then cuts through
    ties, where topk's choice is not a prefix of a larger top-n. The record keeps what topk needs."""
    rgb = np.full((384, 384, 3), 128, dtype=np.uint8)
    rgb[150:230, 160:260] = (200, 40, 40)
    Image.fromarray(rgb).save(tmp_path / "flat.png")
    coco = {"images": [{"id": 1, "file_name": "flat.png", "width": 384, "height": 384}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 2, "bbox": [160, 150, 100, 80], "area": 8000,
                             "iscrowd": 0}],
            "categories": [{"id": 1, "name": "circle"}, {"id": 2, "name": "rectangle"},
                           {"id": 3, "name": "triangle"}]}
    (tmp_path / "flat.json").write_text(json.dumps(coco))
    dataset = capture_dataset(demo_model, [tmp_path / "flat.png"], tmp_path / "flat.json", tmp_path / "capture",
                              progress=False, threads=1)
    record = dataset.record(0)
    tied = [level for level in range(len(record.level_count)) if record.level_exact[level] < record.level_top[level]]
    assert record.tie_logits, "the flat image must produce tied logits inside a stored top-n"
    trace = capture(demo_model, tmp_path / "flat.png")
    cuts = set()
    for level in tied:  # pre-NMS top-n values that cut through this level's ties
        exact, top = int(record.level_exact[level]), int(record.level_top[level])
        cuts |= {n for n in (exact + 1, (exact + top) // 2, top - 1) if n >= 1 and not is_stored_prefix(record, n)}
    assert cuts
    for n in sorted(cuts):
        settings = {"rpn_pre_nms_top_n": n}
        replayed = dataset.replay(0, **settings)
        single = trace.replay(**settings)
        assert torch.equal(replayed.stage.filtered.candidate_anchor, single.rpn_candidates.candidate_anchor)
        assert torch.equal(replayed.stage.proposals_resized, single.proposals.boxes_resized)
        _assert_same(replayed.detections, _rerun(demo_model.model, trace.image, **settings))
        found = dataset.detection_set(**settings)  # the evaluation's batched path agrees on the tied cut too
        kept = dataset.evaluated_class(replayed.detections.labels.numpy()) >= 0
        assert np.array_equal(found.score, replayed.detections.scores.numpy()[kept].astype(np.float64))


def test_fast_proposals_equal_filter_candidates(demo_capture):
    dataset = demo_capture
    config = dataset.config
    for index in range(3):
        tensors = dataset._record_tensors(index)
        record = tensors.record
        bases = {}
        for pre in (1000, 300, 60):
            for thresh in (0.5, 0.95):
                for post in (1000, 30):
                    for score in (0.0, 0.3):
                        settings = RpnSettings(pre, thresh, post, score, config.rpn_min_size)
                        rows = candidate_rows(tensors, pre)
                        full = filter_candidates(tensors.anchor[rows], tensors.box[rows], tensors.logit[rows],
                                                 tensors.level[rows], record.num_anchors, record.resized_size,
                                                 settings)

                        def base(thresh=thresh, bases=bases, tensors=tensors, record=record):
                            if thresh not in bases:
                                bases[thresh] = nms_base(tensors.box, tensors.logit, tensors.level,
                                                         tensors.top_rows, record.resized_size, config.rpn_min_size,
                                                         thresh)
                            return bases[thresh]

                        position, scores = rpn_proposals(rows, tensors.box, tensors.logit, tensors.level,
                                                         record.resized_size, settings, base)
                        assert torch.equal(position, full.keep), (index, settings)
                        assert torch.equal(scores, full.candidate_scores[full.keep])


def test_the_captures_rpn_nms_decisions_equal_nms_at_every_slider_step(demo_capture):
    """The capture decides the RPN's NMS once for every step of its slider (and the model's own value); each is
    what running NMS on the stored candidates at that threshold decides."""
    dataset = demo_capture
    min_size = dataset.config.rpn_min_size
    for index in range(len(dataset)):
        tensors = dataset._record_tensors(index)
        record = tensors.record
        assert record.nms_bits is not None and len(record.nms_grid) == 20   # 0.05, 0.10, …, 1.0 (0.7 among them)
        for thresh in record.nms_grid:
            stored = stored_nms_base(record.nms_bits, record.nms_grid, record.nms_min_size, record.nms_ordered,
                                     min_size, float(thresh))
            computed = nms_base(tensors.box, tensors.logit, tensors.level, tensors.top_rows, record.resized_size,
                                min_size, float(thresh))
            assert torch.equal(stored.kept, computed.kept), (index, thresh)
            assert stored.ordered == computed.ordered
        assert stored_nms_base(record.nms_bits, record.nms_grid, record.nms_min_size, record.nms_ordered,
                               min_size, 0.63) is None   # off the grid: computed at replay


SWEEP = [
    {}, {"box_score_thresh": 0.0}, {"box_score_thresh": 0.01, "box_detections_per_img": 300},
    {"box_nms_thresh": 0.9, "box_score_thresh": 0.2}, {"rpn_pre_nms_top_n": 200},
    {"rpn_pre_nms_top_n": 300, "rpn_nms_thresh": 0.5}, {"rpn_post_nms_top_n": 120, "rpn_score_thresh": 0.49},
    {"rpn_pre_nms_top_n": 50, "rpn_post_nms_top_n": 40, "rpn_nms_thresh": 0.9}, {"rpn_nms_thresh": 1.0},
    {"rpn_nms_thresh": 0.3, "rpn_post_nms_top_n": 2000},
    {"rpn_nms_thresh": 0.6500000000000001},  # a slider step as the browser sends it: the capture's decisions
    {"rpn_nms_thresh": 0.63, "rpn_pre_nms_top_n": 400},  # off the slider's steps: NMS runs at replay
]


@pytest.mark.parametrize("settings", SWEEP)
def test_dataset_detections_equal_each_images_replay(demo_capture, settings):
    """The evaluation's batched path (detection_set, proposal_set) gives, image by image, the same bits as the
    per-image replay built from rpn_filter and box_postprocess."""
    dataset = demo_capture
    found = dataset.detection_set(**settings)
    proposals = dataset.proposal_set(**settings)
    for index in range(len(dataset)):
        replayed = dataset.replay(index, **settings)
        det = replayed.detections
        classes = dataset.evaluated_class(det.labels.numpy())
        kept = classes >= 0
        mine = found.image == index
        assert np.array_equal(found.bbox[mine], xyxy_to_xywh(det.boxes.numpy()[kept]))
        assert np.array_equal(found.score[mine], det.scores.numpy()[kept].astype(np.float64))
        assert np.array_equal(found.category[mine], classes[kept])
        mine = proposals.image == index
        assert np.array_equal(proposals.bbox[mine], xyxy_to_xywh(replayed.proposals.numpy()))
        assert np.array_equal(proposals.score[mine], replayed.stage.proposal_scores.numpy().astype(np.float64))


def test_settings_outside_the_capture_are_refused(demo_capture):
    with pytest.raises(InputError) as error:
        demo_capture.evaluate(rpn_pre_nms_top_n=demo_capture.max_pre_nms_top_n + 1)
    assert error.value.code == "dataset.pre_nms_above_capture"
    with pytest.raises(InputError) as error:
        demo_capture.evaluate(box_score_thresh=1.5)
    assert error.value.code == "threshold.out_of_range"
    with pytest.raises(TypeError, match="Unknown threshold"):
        demo_capture.evaluate(score=0.3)
