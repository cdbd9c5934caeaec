"""RCNN Lens engine: capture a torchvision Faster R-CNN once, replay every later stage exactly.

UI-free: imports torch/torchvision/numpy/PIL only, so it works in notebooks and tests.
"""

from inspectors.ablation import Ablation, ablation
from inspectors.anchors import AnchorHit, AnchorLevelSummary
from inspectors.box_coding import DecodeStep
from inspectors.box_story import AnchorInfo, BoxStory, ProposalStory, explain, explain_proposal
from inspectors.capture import capture
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
from inspectors.nms_walkthrough import NmsFrame, NmsGroup, NmsWalkthrough, nms_groups, nms_walkthrough
from inspectors.provenance import CandidateFate, DetectionProvenance, Suppression, provenance
from inspectors.replay import Proposals, Replay
from inspectors.roi_pooling import RoiComparison, RoiPoolingView, compare_roi_pooling
from inspectors.roi_projection import ArticleProjection, RoiProjection, RoiProjectionWalk, roi_projection
from inspectors.rpn_filter import FilterStep
from inspectors.snapshot import ModelSnapshot
from inspectors.thresholds import THRESHOLD_KEYS, THRESHOLDS, ThresholdSpec, constructor_kwargs
from inspectors.trace import Detections, LevelInfo, MapInfo, Trace

__all__ = [
    "Ablation",
    "AnchorHit",
    "AnchorInfo",
    "AnchorLevelSummary",
    "ArticleProjection",
    "BoxStory",
    "CandidateFate",
    "DecodeStep",
    "DetectionProvenance",
    "Detections",
    "FilterStep",
    "InputError",
    "InspectedModel",
    "LensError",
    "LevelInfo",
    "MODEL_NAMES",
    "MapInfo",
    "ModelLoadError",
    "ModelSnapshot",
    "Normalization",
    "NmsFrame",
    "NmsGroup",
    "NmsStep",
    "NmsWalkthrough",
    "ProposalStory",
    "Proposals",
    "Replay",
    "RoiComparison",
    "RoiPoolingView",
    "RoiProjection",
    "RoiProjectionWalk",
    "Suppression",
    "THRESHOLDS",
    "THRESHOLD_KEYS",
    "TRAINED_FROM",
    "ThresholdSpec",
    "Trace",
    "ablation",
    "capture",
    "compare_roi_pooling",
    "constructor_kwargs",
    "explain",
    "explain_proposal",
    "load_image",
    "load_model",
    "model_lock",
    "nms_groups",
    "nms_steps",
    "nms_walkthrough",
    "provenance",
    "read_labels_file",
    "roi_projection",
]
