"""The seven thresholds replay can change: one table that replay, the sliders, the API and dataset mode all read.

Each row says which stage a threshold re-runs, its valid range, a sensible slider range, the torchvision attribute
it mirrors and the FasterRCNN constructor argument that sets it. Adding a threshold means adding a row here (and a
step in replay that uses it).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from inspectors.core.errors import InputError

if TYPE_CHECKING:
    from torchvision.models.detection import FasterRCNN

_MAX_COUNT = 10_000_000  # far above any real top-n; keeps counts inside int32 on every device


@dataclass(frozen=True)
class ThresholdSpec:
    key: str
    stage: str  # "rpn": re-runs RPN filtering (and the RoI heads for new boxes); "roi_heads": postprocess only
    integer: bool
    low: float  # valid range, inclusive
    high: float
    slider_low: float  # a useful slider range (the slider grows when a model's default is above it)
    slider_high: float
    step: float
    torchvision_default: float  # FasterRCNN's own default (inference)
    attribute: str  # what it mirrors on a torchvision FasterRCNN (eval mode)
    constructor_arg: str  # the FasterRCNN(...) keyword that sets it
    help: str


THRESHOLDS: tuple[ThresholdSpec, ...] = (
    ThresholdSpec("rpn_pre_nms_top_n", "rpn", True, 1, _MAX_COUNT, 1, 3000, 1, 1000,
                  "rpn._pre_nms_top_n['testing']", "rpn_pre_nms_top_n_test",
                  "Keep the n highest-objectness anchors of each FPN level before NMS."),
    ThresholdSpec("rpn_nms_thresh", "rpn", False, 0.0, 1.0, 0.05, 1.0, 0.05, 0.7,
                  "rpn.nms_thresh", "rpn_nms_thresh",
                  "Proposals overlapping a better one of the same level by more than this IoU are removed."),
    ThresholdSpec("rpn_post_nms_top_n", "rpn", True, 1, _MAX_COUNT, 1, 3000, 1, 1000,
                  "rpn._post_nms_top_n['testing']", "rpn_post_nms_top_n_test",
                  "How many proposals (RoIs) go on to the RoI head."),
    ThresholdSpec("rpn_score_thresh", "rpn", False, 0.0, 1.0, 0.0, 1.0, 0.01, 0.0,
                  "rpn.score_thresh", "rpn_score_thresh",
                  "Drop proposals whose objectness probability is below this."),
    ThresholdSpec("box_score_thresh", "roi_heads", False, 0.0, 1.0, 0.0, 1.0, 0.01, 0.05,
                  "roi_heads.score_thresh", "box_score_thresh",
                  "Drop detections whose class score is not above this."),
    ThresholdSpec("box_nms_thresh", "roi_heads", False, 0.0, 1.0, 0.05, 1.0, 0.05, 0.5,
                  "roi_heads.nms_thresh", "box_nms_thresh",
                  "Per class: boxes overlapping a better one by more than this IoU are removed."),
    ThresholdSpec("box_detections_per_img", "roi_heads", True, 1, _MAX_COUNT, 1, 300, 1, 100,
                  "roi_heads.detections_per_img", "box_detections_per_img",
                  "Keep at most this many detections, best first."),
)
SPECS: dict[str, ThresholdSpec] = {spec.key: spec for spec in THRESHOLDS}
THRESHOLD_KEYS: tuple[str, ...] = tuple(spec.key for spec in THRESHOLDS)
RPN_KEYS: tuple[str, ...] = tuple(spec.key for spec in THRESHOLDS if spec.stage == "rpn")
HEAD_KEYS: tuple[str, ...] = tuple(spec.key for spec in THRESHOLDS if spec.stage == "roi_heads")


def check_threshold(key: str, value: Any) -> float | int:
    """`value` as the number replay uses for `key`, or InputError naming the threshold and its allowed range."""
    spec = SPECS[key]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # 0-d numpy / torch scalars
            return check_threshold(key, value.item())
        raise InputError("threshold.not_a_number", name=key, value=value)
    number = float(value)
    if not math.isfinite(number):
        raise InputError("threshold.not_finite", name=key, value=value)
    if spec.integer and not number.is_integer():
        raise InputError("threshold.not_integer", name=key, value=value)
    if not spec.low <= number <= spec.high:
        low, high = (int(spec.low), int(spec.high)) if spec.integer else (spec.low, spec.high)
        raise InputError("threshold.out_of_range", name=key, value=value, low=low, high=high)
    return int(number) if spec.integer else number


def check_thresholds(values: Mapping[str, Any]) -> dict[str, float | int]:
    """Validate a partial mapping of thresholds (None = leave at the default); unknown names are refused."""
    unknown = sorted(set(values) - set(THRESHOLD_KEYS))
    if unknown:
        raise InputError("threshold.unknown", names=", ".join(unknown), known=", ".join(THRESHOLD_KEYS))
    return {key: check_threshold(key, value) for key, value in values.items() if value is not None}


def read_thresholds(model: FasterRCNN) -> dict[str, float | int]:
    """The seven thresholds as a torchvision FasterRCNN is configured for inference (eval mode)."""
    rpn, heads = model.rpn, model.roi_heads
    return {
        "rpn_pre_nms_top_n": int(rpn._pre_nms_top_n["testing"]),
        "rpn_nms_thresh": float(rpn.nms_thresh),
        "rpn_post_nms_top_n": int(rpn._post_nms_top_n["testing"]),
        "rpn_score_thresh": float(rpn.score_thresh),
        "box_score_thresh": float(heads.score_thresh),
        "box_nms_thresh": float(heads.nms_thresh),
        "box_detections_per_img": int(heads.detections_per_img),
    }


def constructor_kwargs(values: Mapping[str, Any]) -> dict[str, float | int]:
    """Thresholds as FasterRCNN(...) / fasterrcnn_*(...) keyword arguments, e.g. to paste into training code."""
    checked = check_thresholds(values)
    return {SPECS[key].constructor_arg: checked[key] for key in THRESHOLD_KEYS if key in checked}
