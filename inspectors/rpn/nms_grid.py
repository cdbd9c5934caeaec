"""Greedy NMS at many IoU thresholds in one pass, deciding exactly what `torchvision.ops.nms` decides at each.

A dataset's RPN NMS slider would otherwise cost one NMS run per image and new threshold (seconds over a validation
set). The capture runs this once per image for every step of the slider, and stores one bit per candidate and step.

Why it equals the kernel (torchvision/csrc/ops/cpu/nms_kernel.cpp): the boxes are visited in the order the kernel
visits them (a stable descending sort of the scores: tied boxes in index order); the IoU of two boxes is computed
with the kernel's float32 operations in the kernel's order — max/min of the corners, w = max(0, xx2 − xx1), inter = w·h,
inter / (area_i + area_j − inter) — and compared as the kernel compares it, `ovr > threshold` with the threshold a
double. For threshold k a box is kept when no box kept before it overlaps it by more than threshold k: all the
thresholds' greedy passes run side by side as bits of one integer per box.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import torch
from torch import Tensor

MAX_THRESHOLDS = 31  # one int32 per box (the sign bit unused)


def slider_grid(key: str, model_value: Optional[float] = None) -> tuple[float, ...]:
    """The values a threshold's slider can take (its steps from THRESHOLDS), and the model's own value."""
    from inspectors.core.thresholds import SPECS

    spec = SPECS[key]
    steps = int(round((spec.slider_high - spec.slider_low) / spec.step))
    values = [round(spec.slider_low + k * spec.step, 10) for k in range(steps + 1)]
    if model_value is not None and threshold_index(values, model_value) is None:
        values.append(float(model_value))
    return tuple(values[:MAX_THRESHOLDS])


def nms_keep_bits(boxes: Tensor, scores: Tensor, thresholds: Sequence[float]) -> Tensor:
    """(N,) int32: bit k is set when `ops.nms(boxes, scores, thresholds[k])` keeps the box (CPU, float32)."""
    values = np.asarray([float(t) for t in thresholds], dtype=np.float64)
    if values.size > MAX_THRESHOLDS:
        raise ValueError(f"at most {MAX_THRESHOLDS} thresholds, got {values.size}")
    n = int(boxes.shape[0])
    if n == 0:
        return torch.zeros(0, dtype=torch.int32)
    # The kernel's visiting order: its sort of the scores keeps tied boxes in index order (a stable sort; Python's
    # default, unstable sort orders ties differently).
    order = torch.sort(scores, dim=0, descending=True, stable=True)[1]
    b = boxes[order].to(torch.float32).numpy()
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    areas = (x2 - x1) * (y2 - y1)
    ascending = np.argsort(values, kind="stable")
    sorted_values = values[ascending]
    # prefix[c]: the bits of the c smallest thresholds — those that an IoU above exactly c of them exceeds
    prefix = np.concatenate([[0], np.cumsum(np.int64(1) << ascending.astype(np.int64))]).astype(np.int64)
    full = int(prefix[-1])
    i, j = _overlapping_pairs(x1, y1, x2, y2)
    # Their IoU, exactly as the kernel computes it (max/min and + are symmetric in i and j), and the thresholds
    # it exceeds.
    w = np.maximum(np.float32(0), np.minimum(x2[i], x2[j]) - np.maximum(x1[i], x1[j]))
    h = np.maximum(np.float32(0), np.minimum(y2[i], y2[j]) - np.maximum(y1[i], y1[j]))
    inter = w * h
    ovr = inter / (areas[i] + areas[j] - inter)  # float32
    exceeded = np.searchsorted(sorted_values, ovr.astype(np.float64), side="left")  # thresholds below ovr
    exceeded[np.isnan(ovr)] = 0  # NaN > t is false for every t
    suppress = prefix[exceeded]
    useful = suppress != 0
    i, j, suppress = i[useful], j[useful], suppress[useful]
    by_row = np.argsort(i, kind="stable")
    rows, cols, suppress = i[by_row], j[by_row], suppress[by_row]
    # The greedy passes, all thresholds at once: box r suppresses c at the thresholds where r is kept. Plain
    # Python over the few overlapping pairs is faster here than numpy calls per box.
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if rows.size else np.zeros(0, dtype=np.int64)
    ends = np.r_[starts[1:], rows.size]
    removed = [0] * n
    col_list, suppress_list = cols.tolist(), suppress.tolist()
    for r, begin, end in zip(rows[starts].tolist(), starts.tolist(), ends.tolist()):
        bits = full & ~removed[r]
        if bits:
            for k in range(begin, end):
                removed[col_list[k]] |= suppress_list[k] & bits
    kept = full & ~np.asarray(removed, dtype=np.int64)
    out = torch.zeros(n, dtype=torch.int32)
    out[order] = torch.from_numpy(kept.astype(np.int32))
    return out


def threshold_index(thresholds: Sequence[float] | np.ndarray, value: float) -> Optional[int]:
    """The k for which thresholds[k] decides every float32 IoU as `value` does (`ovr > t` in double), or None.

    Slider values arrive as 0.6500000000000001 as often as 0.65: both make the same decisions when no float32
    number lies between them."""
    value = float(value)
    for k, t in enumerate(thresholds):
        low, high = sorted((float(t), value))
        largest = np.float32(high)  # the largest float32 ≤ high
        if float(largest) > high:
            largest = np.nextafter(largest, np.float32(-np.inf))
        if float(largest) <= low:
            return k
    return None


def _overlapping_pairs(x1: np.ndarray, y1: np.ndarray, x2: np.ndarray, y2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i < j) whose x ranges overlap and whose y ranges overlap, by a sweep over x (no N×N matrix):
    a superset of the pairs with a positive intersection, which the caller computes exactly."""
    n = x1.shape[0]
    by_x = np.argsort(x1, kind="stable")
    x1s, x2s = x1[by_x], x2[by_x]
    # After sorting by x1, the boxes that start before box p ends follow p contiguously.
    ends = np.searchsorted(x1s, x2s, side="left")
    counts = np.maximum(ends - np.arange(1, n + 1), 0)
    total = int(counts.sum())
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    p = np.repeat(np.arange(n), counts)
    q = p + 1 + (np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts))
    a, b = by_x[p], by_x[q]
    # (The x ranges overlap by construction; boxes of zero width have no intersection, dropped by the caller.)
    y_overlap = (y1[a] < y2[b]) & (y1[b] < y2[a])
    a, b = a[y_overlap], b[y_overlap]
    return np.minimum(a, b), np.maximum(a, b)
