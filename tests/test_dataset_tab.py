"""The Dataset tab's worst-image gallery drawn from the evaluation's own detections and matches equals the engine's
image_overlay (which replays each image) pixel for pixel, and the tab's slider event leaves what a move cannot
change as it is on the page."""
from __future__ import annotations

import numpy as np
import pytest

from app.figures import dataset as dataset_figs
from inspectors import DatasetCapture
from inspectors.dataset import views as dataset_views

pytestmark = [pytest.mark.slow, pytest.mark.dataset]

SETTINGS = [{}, {"box_score_thresh": 0.3}, {"box_score_thresh": 0.75}, {"box_score_thresh": 0.0},
            {"box_nms_thresh": 0.2, "box_score_thresh": 0.1}, {"box_detections_per_img": 3},
            {"rpn_nms_thresh": 0.5, "rpn_post_nms_top_n": 50}, {"box_nms_thresh": 0.9, "box_score_thresh": 0.01}]


@pytest.mark.parametrize("changes", SETTINGS)
def test_the_worst_images_equal_the_replayed_overlay(demo_capture, changes):
    ds = DatasetCapture.open(demo_capture.path)
    thresholds = ds.settings(**changes)
    ds.evaluate(**thresholds)
    names = list(ds.names)
    fast = dataset_figs.evaluated_overlays(ds, names, thresholds, max_side=360)
    drawn = 0
    for name, image in zip(names, fast):
        replayed = dataset_views.image_overlay(ds, name, max_side=360, **thresholds)
        assert image.shape == replayed.shape
        assert np.array_equal(image, replayed), name
        drawn += len(ds.replay(name, **thresholds).detections.scores)
    assert drawn > 0 or changes.get("box_score_thresh", 0) > 0.5


def test_a_class_the_dataset_lacks_falls_back_to_the_replay(demo_capture, monkeypatch):
    ds = DatasetCapture.open(demo_capture.path)
    thresholds = ds.settings(box_score_thresh=0.05)
    ds.evaluate(**thresholds)
    replayed = []
    real = dataset_views.image_overlay

    def counting(*args, **kwargs):
        replayed.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(dataset_views, "image_overlay", counting)
    dataset_figs.evaluated_overlays(ds, list(ds.names)[:2], thresholds)
    assert replayed == []   # every class evaluated, at most 100 per image: nothing replayed
    monkeypatch.setattr(ds, "evaluated_class", lambda labels: np.where(np.asarray(labels) == 1, -1,
                                                                       np.asarray(labels) - 1))
    dataset_figs.evaluated_overlays(ds, list(ds.names)[:2], thresholds)
    assert replayed == list(ds.names)[:2]
