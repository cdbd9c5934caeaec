"""RCNN Lens engine: capture a torchvision Faster R-CNN once, replay every later stage exactly.

UI-free: imports torch/torchvision/numpy/PIL only, so it works in notebooks and tests.
"""

from inspectors.anchors import AnchorHit, AnchorLevelSummary
from inspectors.capture import capture
from inspectors.dataset import DatasetCapture, ImageReplay
from inspectors.dataset_capture import capture_dataset
from inspectors.dataset_metrics import DatasetMetrics
from inspectors.demo_dataset import demo_dataset
from inspectors.errors import InputError, LensError
from inspectors.images import load_image
from inspectors.models import (
    MODEL_NAMES,
    TRAINED_FROM,
    InspectedModel,
    ModelLoadError,
    Normalization,
    load_model,
    model_lock,
    read_labels_file,
)
from inspectors.nms import NmsStep, nms_steps
from inspectors.replay import Proposals, Replay
from inspectors.roi_pooling import RoiComparison, RoiPoolingView, compare_roi_pooling
from inspectors.rpn_filter import FilterStep
from inspectors.snapshot import ModelSnapshot
from inspectors.thresholds import THRESHOLD_KEYS, THRESHOLDS, ThresholdSpec, constructor_kwargs
from inspectors.trace import Detections, LevelInfo, MapInfo, Trace

__all__ = [
    "AnchorHit",
    "AnchorLevelSummary",
    "DatasetCapture",
    "DatasetMetrics",
    "Detections",
    "FilterStep",
    "ImageReplay",
    "InputError",
    "InspectedModel",
    "LensError",
    "LevelInfo",
    "MODEL_NAMES",
    "MapInfo",
    "ModelLoadError",
    "ModelSnapshot",
    "Normalization",
    "NmsStep",
    "Proposals",
    "Replay",
    "RoiComparison",
    "RoiPoolingView",
    "THRESHOLDS",
    "THRESHOLD_KEYS",
    "TRAINED_FROM",
    "ThresholdSpec",
    "Trace",
    "capture",
    "capture_dataset",
    "compare_roi_pooling",
    "constructor_kwargs",
    "demo_dataset",
    "load_image",
    "load_model",
    "model_lock",
    "nms_steps",
    "read_labels_file",
]
