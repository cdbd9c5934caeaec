from __future__ import annotations

import torch
from conftest import noise_image, random_model

from inspectors import capture
from inspectors.rpn.anchors import count_inside


def test_model_anchor_summary_counts_every_anchor(mobilenet_trace):
    summary = mobilenet_trace.anchor_summary("model")
    assert sum(level.total for level in summary) == mobilenet_trace.anchors.shape[0]
    for level, info in zip(summary, mobilenet_trace.levels):
        assert level.total == info.grid[0] * info.grid[1] * level.per_location
        assert 0 < level.inside < level.total
        assert level.per_location == len(level.sizes) * len(level.aspect_ratios)


def test_paper_configuration_is_nine_anchors_on_one_stride_16_map():
    trace = capture(random_model("fasterrcnn_mobilenet_v3_large_320_fpn"), noise_image(600, 1000))
    (paper,) = trace.anchor_summary("paper")
    h, w = trace.resized_size
    assert paper.per_location == 9 and paper.stride == (16, 16)
    assert paper.grid == (-(-h // 16), -(-w // 16))
    assert paper.total == paper.grid[0] * paper.grid[1] * 9
    assert paper.inside < paper.total  # the big anchors near the border cross it


def test_anchors_at_a_point_are_centred_near_it(mobilenet_trace):
    trace = mobilenet_trace
    hits = trace.anchors_at(230.0, 150.0)
    assert len(hits) == sum(info.anchors_per_location for info in trace.levels)
    for hit in hits:
        info = trace.levels[hit.level]
        x1, y1, x2, y2 = hit.box
        assert abs((x1 + x2) / 2 - 230.0) <= info.stride[1] / trace.scale[1] / 2 + 1
        assert abs((y1 + y2) / 2 - 150.0) <= info.stride[0] / trace.scale[0] / 2 + 1
        assert torch.equal(trace.anchors[hit.index], torch.tensor(hit.box_resized))
        w, h = hit.box_resized[2] - hit.box_resized[0], hit.box_resized[3] - hit.box_resized[1]
        assert abs(h / w - hit.aspect_ratio) < 0.15
        assert abs((w * h) ** 0.5 - hit.size) <= 0.1 * hit.size + 1


def test_count_inside():
    anchors = torch.tensor([[0.0, 0, 10, 10], [-1, 0, 5, 5], [5, 5, 21, 9]])
    assert count_inside(anchors, (20, 20)) == 1
