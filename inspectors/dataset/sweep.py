"""Find the thresholds that maximise a metric on a dataset capture: a grid search that is all replay.

Final-stage settings (score, NMS, detections per image) only re-run postprocessing and the matching, so a grid of
a few dozen points over hundreds of images takes seconds; RPN settings can be swept too (each new RPN NMS
threshold costs one NMS run per image). The best setting comes back as thresholds and as the keyword arguments of
torchvision's FasterRCNN constructor, to paste into training or deployment code.

AP-type metrics reward keeping low-score detections (COCO's AP ranks them), so a sweep on AP tends to pick the
lowest score threshold; to choose a deployment score threshold, sweep an operating-point metric such as f1_50.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence

from inspectors.core.errors import InputError
from inspectors.core.thresholds import HEAD_KEYS, RPN_KEYS, constructor_kwargs

if TYPE_CHECKING:
    from inspectors.dataset.store import DatasetCapture

METRICS: tuple[str, ...] = (
    "ap", "ap50", "ap75", "ap_small", "ap_medium", "ap_large", "ar1", "ar10", "ar100", "ar_small", "ar_medium",
    "ar_large", "f1_50", "precision50", "recall50", "AR@100", "AR@1000",
)
DEFAULT_GRID: dict[str, tuple[float, ...]] = {
    # from torchvision's default up: at 0 every (proposal, class) pair enters NMS, which is slow and rarely wanted
    "box_score_thresh": (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
    "box_nms_thresh": (0.3, 0.4, 0.5, 0.6, 0.7),
}


@dataclass
class SweepResult:
    metric: str
    best: dict[str, float]  # all seven thresholds
    best_value: float
    baseline: dict[str, float]  # the capture's defaults (the model's settings)
    baseline_value: float
    rows: list[tuple[dict[str, float], float]]  # every grid point (the thresholds it changed) and its value

    @property
    def constructor_kwargs(self) -> dict[str, float | int]:
        """The best thresholds as FasterRCNN(...) keyword arguments."""
        return constructor_kwargs(self.best)

    @property
    def changed(self) -> dict[str, float]:
        """The thresholds where the best setting differs from the model's."""
        return {k: v for k, v in self.best.items() if self.baseline.get(k) != v}


def sweep(dataset: "DatasetCapture", metric: str = "ap", grid: Optional[Mapping[str, Sequence[float]]] = None,
          fixed: Optional[Mapping[str, Any]] = None, progress: bool = False) -> SweepResult:
    """Evaluate every combination of `grid` (threshold name → values; default: score × box NMS), the other
    thresholds at `fixed` or the capture's defaults, and return the one with the highest `metric`.

    RPN thresholds in the grid form the outer loop, so each RPN setting is replayed once."""
    if metric not in METRICS:
        raise InputError("dataset.unknown_metric", name=metric, choices=", ".join(METRICS))
    grid = dict(DEFAULT_GRID if grid is None else grid)
    fixed = dict(fixed or {})
    for name, values in grid.items():  # check names and ranges before the work
        for value in values:
            dataset.settings(**{**fixed, name: value})
    rpn = [k for k in RPN_KEYS if k in grid]
    head = [k for k in HEAD_KEYS if k in grid]
    points = [dict(zip(rpn + head, values))
              for values in itertools.product(*(grid[k] for k in rpn), *(grid[k] for k in head))]
    from tqdm.auto import tqdm

    rows = []
    for point in tqdm(points, desc=f"sweep {metric}", unit="setting", disable=not progress):
        rows.append((point, dataset.evaluate(**{**fixed, **point}).metric(metric)))
    best_point, best_value = max(rows, key=lambda row: row[1])  # ties: the first in grid order
    baseline = dataset.settings(**fixed)
    return SweepResult(
        metric=metric,
        best=dataset.settings(**{**fixed, **best_point}),
        best_value=best_value,
        baseline=baseline,
        baseline_value=dataset.evaluate(**fixed).metric(metric),
        rows=rows,
    )
