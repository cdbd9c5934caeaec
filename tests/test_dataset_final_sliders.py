"""The box-NMS and detections-per-image sliders on a dataset reuse what they can (the score filter and each image's
whole NMS result, memoised on the batch; per-image AP computed only when read) and still give the same bits as the
per-image replay and the eager computation, whatever order the sliders move in."""

from __future__ import annotations

import numpy as np
import pytest

from inspectors.dataset.store import xyxy_to_xywh
from inspectors.evaluation.metrics import detection_metrics

pytestmark = [pytest.mark.slow, pytest.mark.dataset]

# One score threshold, the NMS and detections-per-image sliders moved back and forth: the later moves are cut from
# the memoised NMS results.
MOVES = [
    {"box_score_thresh": 0.02, "box_nms_thresh": 0.5, "box_detections_per_img": 100},
    {"box_score_thresh": 0.02, "box_nms_thresh": 0.5, "box_detections_per_img": 3},
    {"box_score_thresh": 0.02, "box_nms_thresh": 0.3, "box_detections_per_img": 1},
    {"box_score_thresh": 0.02, "box_nms_thresh": 0.5, "box_detections_per_img": 2},
    {"box_score_thresh": 0.02, "box_nms_thresh": 0.3, "box_detections_per_img": 300},
    {"box_score_thresh": 0.02, "box_nms_thresh": 0.5, "box_detections_per_img": 7},
]


def test_nms_and_per_image_moves_equal_each_images_replay(demo_capture):
    dataset = demo_capture
    for settings in MOVES:
        found = dataset.detection_set(**settings)
        for index in range(len(dataset)):
            det = dataset.replay(index, **settings).detections
            classes = dataset.evaluated_class(det.labels.numpy())
            kept = classes >= 0
            mine = found.image == index
            assert np.array_equal(found.bbox[mine], xyxy_to_xywh(det.boxes.numpy()[kept])), (settings, index)
            assert np.array_equal(found.score[mine], det.scores.numpy()[kept].astype(np.float64))
            assert np.array_equal(found.category[mine], classes[kept])
        if settings["box_detections_per_img"] == 1:
            assert np.bincount(found.image).max(initial=0) <= 1


def test_per_image_ap_is_computed_when_read_and_equals_the_eager_one(demo_capture):
    dataset = demo_capture
    for settings in MOVES[:3]:
        metrics = dataset.evaluate(**settings)
        eager = detection_metrics(dataset.detection_set(**settings), dataset.ground_truth(), dataset.class_names,
                                  dataset.names)[2]
        assert metrics.ap == eager["ap"] and metrics.per_class == eager["per_class"]
        assert metrics.per_image == eager["per_image"]  # the same computation on the same matches: exact
        assert list(metrics.per_image) == list(dataset.names)
        assert metrics.to_dict()["per_image"] == pytest.approx(eager["per_image"], abs=1e-6)
        assert set(metrics.tide_per_image) == set(dataset.names)
    fresh = dataset.evaluate(box_score_thresh=0.03, box_nms_thresh=0.45)
    assert "per_image" not in vars(fresh)  # not computed by the evaluation itself
    assert fresh.per_image == detection_metrics(dataset.detection_set(box_score_thresh=0.03, box_nms_thresh=0.45),
                                                dataset.ground_truth(), dataset.class_names,
                                                dataset.names)[2]["per_image"]
