"""RoI projection: the cells the walk-through names are the cells torchvision's roi_pool really reads."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchvision.ops import roi_pool

from inspectors import InputError, roi_projection


def test_the_article_example_reproduces_and_torchvision_differs_where_it_should():
    p = roi_projection([52, 106, 117, 206], 1 / 32)
    assert p.projected == (1.625, 3.3125, 3.65625, 6.4375)
    assert p.cells == (2, 3, 4, 6)
    # The article reads the rounded numbers as corners …
    assert p.article.corners == (2, 3, 4, 6)
    assert p.article.back_projected == (64.0, 96.0, 128.0, 192.0)
    assert p.article.error_px == (12.0, -10.0, 11.0, -14.0)
    # … roi_pool reads cells 2…4 × 3…6 inclusive: one more cell on the right and at the bottom.
    assert p.roi_cells == (3, 4)
    assert p.back_projected == (64.0, 96.0, 160.0, 224.0)
    assert p.inclusive_back_projected == p.back_projected
    assert p.error_px == (12.0, -10.0, 43.0, 18.0)
    assert p.differs_from_article and not p.bins_overshoot and not p.clipped


def test_rounding_is_half_away_from_zero_in_float32():
    # 2.5 → 3 and -2.5 → -3 (std::round), where Python and numpy round to even.
    p = roi_projection([20, -20, 20, 28], 1 / 8)
    assert p.projected == (2.5, -2.5, 2.5, 3.5)
    assert p.cells == (3, -3, 3, 4)


def cell_index_map(height: int, width: int) -> torch.Tensor:
    """A map whose channels encode each cell's position, so a max over a bin reveals the bin's cell range."""
    ys, xs = torch.meshgrid(torch.arange(height, dtype=torch.float32), torch.arange(width, dtype=torch.float32),
                            indexing="ij")
    return torch.stack([xs + 1, width - xs, ys + 1, height - ys])  # all ≥ 1: an empty bin pools to 0


def pooled_ranges(feature: torch.Tensor, box, scale: float, output_size: int):
    """Per bin, the [x_start, y_start, x_end, y_end) cell range roi_pool read (None for an empty bin)."""
    _, height, width = feature.shape
    out = roi_pool(feature[None], [torch.tensor([box], dtype=torch.float32)], output_size, scale)[0]
    ranges = {}
    for ph in range(output_size):
        for pw in range(output_size):
            v = out[:, ph, pw]
            if float(v[0]) == 0:
                ranges[ph, pw] = None
            else:
                ranges[ph, pw] = (int(width - v[1]), int(height - v[3]), int(v[0]), int(v[2]))
    return ranges


def random_boxes(rng, count: int, extent: float):
    """Half well inside the map, half anywhere (crossing its edges, off it, or with x2 < x1 as users may type)."""
    boxes = []
    for k in range(count):
        if k % 2:
            x1, y1 = rng.uniform(0, 0.5 * extent), rng.uniform(0, 0.5 * extent)
            w, h = rng.uniform(0, 0.3 * extent), rng.uniform(0, 0.3 * extent)
        else:
            x1, y1 = rng.uniform(-0.2 * extent, extent), rng.uniform(-0.2 * extent, extent)
            w, h = rng.uniform(-0.1 * extent, 0.8 * extent), rng.uniform(-0.1 * extent, 0.8 * extent)
        boxes.append([x1, y1, x1 + w, y1 + h])
    return boxes


@pytest.mark.parametrize("scale", [1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 61, 0.37])
@pytest.mark.parametrize("output_size", [7, 3])
def test_cells_are_roi_pools_own_cell_ranges(scale, output_size):
    height, width = 29, 37
    feature = cell_index_map(height, width)
    rng = np.random.default_rng(round(1 / scale) * 10 + output_size)
    inclusive_checked = 0
    for box in random_boxes(rng, 40, width / scale):
        p = roi_projection(box, scale, output_size=output_size, feature_size=(height, width))
        ranges = pooled_ranges(feature, box, scale, output_size)
        read = [r for r in ranges.values() if r is not None]
        for (ph, pw), r in ranges.items():
            x0, y0, x1, y1 = p.pool.bins[ph, pw]
            assert r == (None if (x1 <= x0 or y1 <= y0) else (x0, y0, x1, y1))
        if not read:  # entirely off the map: nothing pooled
            assert p.pooled_cells[0] >= p.pooled_cells[2] or p.pooled_cells[1] >= p.pooled_cells[3]
            continue
        union = (min(r[0] for r in read), min(r[1] for r in read), max(r[2] for r in read), max(r[3] for r in read))
        assert p.pooled_cells == union
        assert p.back_projected == tuple(c / scale for c in union)
        assert p.error_px == pytest.approx(tuple(b - float(np.float32(v)) for b, v in zip(p.back_projected, box)))
        x1, y1, x2, y2 = p.cells
        if not p.clipped and not p.bins_overshoot:
            # Inside the map, roi_pool reads exactly the inclusive range x1…x2, y1…y2 (one cell if degenerate).
            assert union == (x1, y1, x1 + max(x2 - x1 + 1, 1), y1 + max(y2 - y1 + 1, 1))
            inclusive_checked += 1
    assert inclusive_checked >= 10


def test_float32_bins_can_read_one_cell_past_the_inclusive_range():
    # 57 cells in 7 bins: float32(57 / 7) * 7 rounds up past 57, so the last bin ends one cell further.
    feature = cell_index_map(80, 80)
    p = roi_projection([0.0, 0.0, 56 * 4.0, 10 * 4.0], 1 / 4, feature_size=(80, 80))
    assert p.cells == (0, 0, 56, 10) and p.roi_cells == (57, 11)
    assert p.bins_overshoot and p.pooled_cells == (0, 0, 58, 11)
    read = [r for r in pooled_ranges(feature, [0.0, 0.0, 224.0, 40.0], 1 / 4, 7).values() if r]
    assert max(r[2] for r in read) == 58


def test_negative_and_degenerate_boxes_behave_as_roi_pool():
    feature = cell_index_map(10, 10)
    # Starts left of the map: cells -2…1, bins clipped at 0.
    p = roi_projection([-16.0, 8.0, 8.0, 40.0], 1 / 8, feature_size=(10, 10))
    assert p.cells == (-2, 1, 1, 5) and p.clipped and p.pooled_cells[0] == 0
    read = [r for r in pooled_ranges(feature, [-16.0, 8.0, 8.0, 40.0], 1 / 8, 7).values() if r]
    assert min(r[0] for r in read) == 0 and max(r[2] for r in read) == 2
    # x2 < x1: roi_pool still reads one column, x1's.
    p = roi_projection([40.0, 8.0, 10.0, 40.0], 1 / 8, feature_size=(10, 10))
    assert p.cells == (5, 1, 1, 5) and p.roi_cells == (1, 5)
    read = [r for r in pooled_ranges(feature, [40.0, 8.0, 10.0, 40.0], 1 / 8, 7).values() if r]
    assert {(r[0], r[2]) for r in read} == {(5, 6)}
    assert p.back_projected[0] == 40.0 and p.back_projected[2] == 48.0


def test_roialign_bins_stay_continuous_beside_roipools_cells():
    p = roi_projection([52, 106, 117, 206], 1 / 32)
    edges_x, edges_y = p.align_bin_edges_px
    assert edges_x[0] == pytest.approx(52) and edges_x[-1] == pytest.approx(117)
    assert edges_y[0] == pytest.approx(106) and edges_y[-1] == pytest.approx(206)
    assert np.allclose(np.diff(edges_x), (117 - 52) / 7)
    assert p.pool_bins_px.shape == (7, 7, 4)
    np.testing.assert_array_equal(p.pool_bins_px, p.pool.bins * 32)


def test_walk_from_original_pixels_through_the_level_and_back(mobilenet_trace):
    trace = mobilenet_trace
    box = [40.0, 30.0, 260.0, 200.0]
    walk = trace.roi_projection_walk(box)
    view = trace.roi_pooling(box)
    assert (walk.level, walk.level_name) == (view.level, view.level_name)
    assert walk.box_resized == pytest.approx(tuple(trace.to_resized(torch.tensor([box]))[0].tolist()))
    assert walk.stride == pytest.approx(1 / view.spatial_scale)
    p = walk.projection
    assert p.box == pytest.approx(walk.box_resized) and p.spatial_scale == view.spatial_scale
    assert p.feature_size == view.feature_shape[1:]
    assert walk.back_projected == pytest.approx(
        tuple(trace.to_original(torch.tensor([walk.back_projected_resized]))[0].tolist()))
    assert walk.error_px == pytest.approx(tuple(b - o for b, o in zip(walk.back_projected, box)), abs=1e-4)
    assert walk.error_px_resized == p.error_px
    # Rounding to whole cells never moves a side by more than one cell (plus the inclusive end).
    sx = trace.scale[1]
    assert max(abs(e) for e in walk.error_px) <= 2 * walk.stride / sx
    resized_walk = trace.roi_projection_walk(walk.box_resized, frame="resized")
    assert resized_walk.projection.cells == p.cells


def test_bad_boxes_and_scales_are_input_errors(mobilenet_trace):
    for box in ([1, 2, 3], [0, 0, float("nan"), 4], "box", [[1, 2, 3, 4], [1, 2, 3, 4]]):
        with pytest.raises(InputError) as err:
            roi_projection(box, 1 / 16)
        assert err.value.code == "roi.bad_box"
    for scale in (0, -0.5, float("inf"), "x"):
        with pytest.raises(InputError) as err:
            roi_projection([0, 0, 10, 10], scale)
        assert err.value.code == "roi.bad_scale"
    with pytest.raises(InputError) as err:
        mobilenet_trace.roi_projection_walk([0, 0, 10, 10], frame="feature")
    assert err.value.code == "frame.unknown"
