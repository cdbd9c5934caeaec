"""RoIPool/RoIAlign explanations rebuilt independently (numpy) must reproduce torchvision's ops."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from inspectors import compare_roi_pooling


def pool_from_cells(feature: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """RoIPool by hand: the max over each bin's cells (0 for an empty bin, as the kernel does)."""
    oh, ow = bins.shape[:2]
    out = np.zeros((feature.shape[0], oh, ow), dtype=np.float32)
    for ph in range(oh):
        for pw in range(ow):
            x0, y0, x1, y1 = bins[ph, pw]
            if x1 > x0 and y1 > y0:
                out[:, ph, pw] = feature[:, y0:y1, x0:x1].max(axis=(1, 2))
    return out


def bilinear(feature: np.ndarray, x: float, y: float) -> np.ndarray:
    """Bilinear interpolation with the out-of-range rules of torchvision's roi_align kernel."""
    _, height, width = feature.shape
    if y < -1.0 or y > height or x < -1.0 or x > width:
        return np.zeros(feature.shape[0])
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    if y0 >= height - 1:
        y0 = y1 = height - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= width - 1:
        x0 = x1 = width - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    return ((1 - ly) * (1 - lx) * feature[:, y0, x0] + (1 - ly) * lx * feature[:, y0, x1]
            + ly * (1 - lx) * feature[:, y1, x0] + ly * lx * feature[:, y1, x1])


def align_from_points(feature: np.ndarray, points: np.ndarray) -> np.ndarray:
    oh, ow, n, _ = points.shape
    out = np.zeros((feature.shape[0], oh, ow))
    for ph in range(oh):
        for pw in range(ow):
            out[:, ph, pw] = np.mean([bilinear(feature, *points[ph, pw, k]) for k in range(n)], axis=0)
    return out


def random_boxes(rng, count: int, size: float):
    boxes = []
    for _ in range(count):
        x1, y1 = rng.uniform(-20, size), rng.uniform(-20, size)
        boxes.append([x1, y1, x1 + rng.uniform(0.5, size), y1 + rng.uniform(0.5, size)])
    return boxes


@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("scale", [1 / 4, 1 / 16, 1 / 61])
def test_explanations_reproduce_the_ops(scale, aligned):
    rng = np.random.default_rng(int(1 / scale) + aligned)
    feature = torch.from_numpy(rng.standard_normal((4, 23, 31)).astype(np.float32))  # seeded: the same every run
    f = feature.numpy()
    for box in random_boxes(rng, 12, 31 / scale):
        cmp = compare_roi_pooling(feature, box, scale, output_size=7, sampling_ratio=2, aligned=aligned)
        np.testing.assert_allclose(pool_from_cells(f, cmp.pool_cells.bins), cmp.pool.numpy(), atol=1e-5)
        # roi_align sums its bilinear samples in float32, the rebuild in float64: a few float32 ulps apart.
        np.testing.assert_allclose(align_from_points(f, cmp.align_points.feature), cmp.align.numpy(), rtol=1e-5,
                                   atol=1e-5)
        assert cmp.align_points.feature.shape == (7, 7, 4, 2)


def test_pool_cells_show_the_quantisation():
    cmp = compare_roi_pooling(torch.randn(1, 50, 50), [13.0, 21.0, 91.0, 70.0], 1 / 8)
    # 13/8 = 1.625 → 2, 21/8 = 2.625 → 3, 91/8 = 11.375 → 11, 70/8 = 8.75 → 9
    assert cmp.pool_cells.roi == (2, 3, 11, 9)
    bins = cmp.pool_cells.bins
    assert bins[0, 0, 0] == 2 and bins[0, 0, 1] == 3 and bins[-1, -1, 2] == 12 and bins[-1, -1, 3] == 10
    # Align points stay continuous: the first sample sits a quarter bin in from the box corner.
    first = cmp.align_points.feature[0, 0, 0]
    assert first[0] == pytest.approx(13 / 8 + (78 / 8 / 7) / 4)
    np.testing.assert_allclose(cmp.align_points.image[0, 0, 0], first * 8)


def test_trace_roi_pooling_matches_the_model_pooler(mobilenet_trace):
    trace = mobilenet_trace
    replay = trace.replay()
    pooler = trace.model.model.roi_heads.box_roi_pool
    for k in (0, 5, 40):
        box = replay.proposals.boxes[k]
        view = trace.roi_pooling(box)
        with torch.inference_mode():
            pooled = pooler(trace.fpn_raw, [replay.proposals.boxes_resized[k : k + 1]], [trace.resized_size])[0]
        torch.testing.assert_close(view.comparison.align, pooled, atol=1e-5, rtol=0)
        assert "→ " + view.level_name in view.reason
        assert view.spatial_scale in pooler.scales


@pytest.mark.slow
def test_fpn_level_choice_follows_box_size():
    from conftest import noise_image, random_model

    from inspectors import capture

    trace = capture(random_model("fasterrcnn_resnet50_fpn"), noise_image(100, 100))
    # Resized to 800×800: sqrt(area) 112 → P3, 224 → P4, 448 → P5, 20 → P2 (clamped).
    names = [trace.roi_pooling([0, 0, s, s], frame="resized").level_name for s in (20, 112, 224, 448)]
    assert names == ["P2", "P3", "P4", "P5"]
