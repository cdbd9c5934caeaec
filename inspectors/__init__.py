"""RCNN Lens engine: capture a torchvision Faster R-CNN once, replay every later stage exactly.

UI-free: imports torch/torchvision/numpy/PIL only, so it works in notebooks and tests.
"""

from inspectors.anchors import AnchorHit, AnchorLevelSummary
from inspectors.capture import capture
from inspectors.images import load_image
from inspectors.models import MODEL_NAMES, InspectedModel, ModelLoadError, load_model
from inspectors.nms import NmsStep, nms_steps
from inspectors.replay import THRESHOLD_KEYS, Proposals, Replay
from inspectors.roi_pooling import RoiComparison, RoiPoolingView, compare_roi_pooling
from inspectors.rpn_filter import FilterStep
from inspectors.trace import Detections, LevelInfo, Trace

__all__ = [
    "AnchorHit",
    "AnchorLevelSummary",
    "Detections",
    "FilterStep",
    "InspectedModel",
    "LevelInfo",
    "MODEL_NAMES",
    "ModelLoadError",
    "NmsStep",
    "Proposals",
    "Replay",
    "RoiComparison",
    "RoiPoolingView",
    "THRESHOLD_KEYS",
    "Trace",
    "capture",
    "compare_roi_pooling",
    "load_image",
    "load_model",
    "nms_steps",
]
