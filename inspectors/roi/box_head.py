"""The RoI heads on the captured FPN maps: the one place replay and the analyses run the model's box head.

Runs hold the model's lock (inspectors.core.models.model_lock), so a rerun in one session can never land in another
session's capture hooks, and MultiScaleRoIAlign's per-forward state is never shared mid-run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor

from inspectors.core.models import model_lock

if TYPE_CHECKING:
    from inspectors.core.trace import Trace


def run_box_head(trace: "Trace", boxes: Tensor) -> tuple[Tensor, Tensor]:
    """Class logits (N, K) and box regression (N, 4K) of the model's RoI heads for `boxes` (resized frame)."""
    num_classes = int(trace.class_logits.shape[-1])
    if boxes.shape[0] == 0:
        empty = trace.class_logits.new_zeros
        return empty((0, num_classes)), empty((0, 4 * num_classes))
    net = trace.model.model
    heads = net.roi_heads
    with model_lock(net), torch.inference_mode():
        features = heads.box_roi_pool(trace.fpn_raw, [boxes], [trace.resized_size])
        features = heads.box_head(features)
        class_logits, box_regression = heads.box_predictor(features)
    return class_logits, box_regression


def head_outputs_for_candidates(trace: "Trace", anchors: Tensor, boxes: Tensor) -> tuple[Tensor, Tensor, int]:
    """RoI-head outputs for RPN candidates (anchor indices and their clipped boxes), running the heads only for
    candidates not cached yet. Returns (class_logits, box_regression, how many were computed now)."""
    cache = trace.cache
    with cache.lock:
        heads = cache.heads
        todo = heads.missing(anchors)
        if todo.numel():
            logits, deltas = run_box_head(trace, boxes[todo])
            heads.add(anchors[todo], logits, deltas)
            heads.computed += int(todo.numel())
        class_logits, box_regression = heads.get(anchors)
    return class_logits, box_regression, int(todo.numel())
