from __future__ import annotations

import pytest
import torch
from torchvision.ops import box_iou, nms

from inspectors import nms_steps


def random_boxes(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) * 200
    wh = torch.rand(n, 2, generator=g) * 80 + 5
    return torch.cat([xy, xy + wh], dim=1), torch.rand(n, generator=g)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
def test_kept_boxes_equal_torchvision_nms(seed, threshold):
    boxes, scores = random_boxes(150, seed)
    steps = nms_steps(boxes, scores, threshold)
    assert [s.kept for s in steps] == nms(boxes, scores, threshold).tolist()


def test_every_box_is_kept_or_suppressed_once_with_its_iou():
    boxes, scores = random_boxes(80, 11)
    steps = nms_steps(boxes, scores, 0.4)
    seen = [s.kept for s in steps] + [j for s in steps for j in s.suppressed]
    assert sorted(seen) == list(range(80))
    iou = box_iou(boxes, boxes)
    for step in steps:
        assert step.score == pytest.approx(float(scores[step.kept]))
        for j, value in zip(step.suppressed, step.ious):
            assert value == pytest.approx(float(iou[step.kept, j])) and value > 0.4
    assert [s.score for s in steps] == sorted((s.score for s in steps), reverse=True)
