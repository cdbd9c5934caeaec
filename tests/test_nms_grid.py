"""NMS at every step of a slider in one pass decides, threshold by threshold, exactly what torchvision.ops.nms
decides — on overlapping clusters, tied scores, duplicate, touching and zero-area boxes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchvision.ops import nms

from inspectors.rpn.nms_grid import MAX_THRESHOLDS, nms_keep_bits, slider_grid, threshold_index

STEPS = [round(0.05 * k, 2) for k in range(1, 21)]
ODD = [0.0, 0.123456, 1 / 3, 0.5, 0.7000000000000001, 0.99, 1.0]


def _kept(boxes: torch.Tensor, scores: torch.Tensor, threshold: float) -> torch.Tensor:
    mask = torch.zeros(boxes.shape[0], dtype=torch.bool)
    mask[nms(boxes, scores, threshold)] = True
    return mask


def _cluttered(seed: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Boxes in a few tight clusters (as an RPN's candidates are) plus exact copies, shared edges, zero-area
    boxes; scores with ties."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 400, (max(1, n // 40), 2))
    c = centres[rng.integers(0, len(centres), n)] + rng.normal(0, 6, (n, 2))
    wh = rng.uniform(4, 80, (n, 2)) * rng.choice([0.5, 1.0, 2.0], (n, 1))
    boxes = np.concatenate([c - wh / 2, c + wh / 2], axis=1).astype(np.float32)
    copies = np.arange(0, n - 1, 17)
    boxes[copies] = boxes[copies + 1]  # exact duplicates
    boxes[5::23, 2] = boxes[5::23, 0]  # zero width
    neighbours = np.arange(7, n, 29)
    boxes[neighbours, 0] = boxes[neighbours - 1, 2]  # sharing an edge with the box before
    scores = rng.uniform(0, 1, n).astype(np.float32)
    scores[::7] = scores[0]  # ties
    scores = np.round(scores, 2)  # many more ties
    return torch.from_numpy(boxes), torch.from_numpy(scores.astype(np.float32))


@pytest.mark.parametrize("seed", range(12))
def test_every_threshold_keeps_what_ops_nms_keeps(seed):
    boxes, scores = _cluttered(seed, [1, 2, 30, 300, 1000, 2500][seed % 6])
    for thresholds in (STEPS, ODD):
        bits = nms_keep_bits(boxes, scores, thresholds)
        assert bits.dtype == torch.int32 and bits.shape == (boxes.shape[0],)
        for k, threshold in enumerate(thresholds):
            assert torch.equal(((bits >> k) & 1).bool(), _kept(boxes, scores, threshold)), (seed, threshold)


def test_iou_exactly_at_a_threshold_is_not_suppressed():
    # IoU of these two boxes is exactly 0.5 in float32: ops.nms keeps both at 0.5 (it suppresses on ovr > t).
    boxes = torch.tensor([[0.0, 0.0, 2.0, 1.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 4.0, 1.0]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    bits = nms_keep_bits(boxes, scores, [0.25, 0.5, 0.49])
    for k, threshold in enumerate([0.25, 0.5, 0.49]):
        assert torch.equal(((bits >> k) & 1).bool(), _kept(boxes, scores, threshold))
    assert bool((bits[1] >> 1) & 1)  # kept at 0.5


def test_no_boxes_and_too_many_thresholds():
    assert nms_keep_bits(torch.zeros(0, 4), torch.zeros(0), STEPS).numel() == 0
    with pytest.raises(ValueError):
        nms_keep_bits(torch.zeros(1, 4), torch.zeros(1), [0.5] * (MAX_THRESHOLDS + 1))


def test_a_slider_value_finds_its_step_only_when_it_decides_the_same():
    grid = slider_grid("rpn_nms_thresh", 0.7)
    assert grid == tuple(STEPS)                         # 0.7 is a step already
    assert threshold_index(grid, 0.6500000000000001) == grid.index(0.65)   # as the browser sends 0.05 + 12 × 0.05
    assert threshold_index(grid, 0.65) == grid.index(0.65)
    assert threshold_index(grid, 0.6500001) is None     # a float32 IoU lies between 0.65 and this value
    assert threshold_index(grid, 0.63) is None
    assert slider_grid("rpn_nms_thresh", 0.66)[-1] == 0.66   # a model's own value off the steps is added
