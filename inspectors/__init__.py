"""RCNN Lens engine: capture a torchvision Faster R-CNN once, replay every later stage exactly.

UI-free: imports torch/torchvision/numpy/PIL only, so it works in notebooks and tests.
"""

from inspectors.ablation import Ablation, ablation
from inspectors.anchor_labels import AnchorLabels
from inspectors.anchors import AnchorHit, AnchorLevelSummary
from inspectors.annotations import GroundTruth, load_annotations, parse_annotations
from inspectors.box_coding import DecodeStep
from inspectors.box_story import AnchorInfo, BoxStory, ProposalStory, explain, explain_proposal
from inspectors.capture import capture
from inspectors.dataset import DatasetCapture, ImageReplay
from inspectors.dataset_capture import capture_dataset
from inspectors.dataset_metrics import DatasetMetrics
from inspectors.demo_dataset import demo_dataset
from inspectors.detection_eval import DetectionEvaluation
from inspectors.errors import InputError, LensError, LensWarning
from inspectors.funnel import STAGES as FUNNEL_STAGES
from inspectors.funnel import FunnelRecord
from inspectors.ground_truth import GroundTruthReport
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
from inspectors.losses import LOSS_NAMES, ImageLosses
from inspectors.matching import ImageMatch, match_image
from inspectors.nms import BatchedNmsDecisions, NmsStep, nms_steps
from inspectors.nms_walkthrough import NmsFrame, NmsGroup, NmsWalkthrough, nms_groups, nms_walkthrough
from inspectors.provenance import CandidateFate, DetectionProvenance, Suppression, provenance
from inspectors.proposal_recall import RecallCurve, RecallVsProposals
from inspectors.replay import Proposals, Replay
from inspectors.roi_pooling import RoiComparison, RoiPoolingView, compare_roi_pooling
from inspectors.roi_projection import ArticleProjection, RoiProjection, RoiProjectionWalk, roi_projection
from inspectors.rpn_filter import FilterStep
from inspectors.snapshot import ModelSnapshot
from inspectors.thresholds import THRESHOLD_KEYS, THRESHOLDS, ThresholdSpec, constructor_kwargs
from inspectors.tide import TIDE_TYPES, TideError
from inspectors.trace import Detections, LevelInfo, MapInfo, Trace

__all__ = [
    "Ablation",
    "AnchorHit",
    "AnchorInfo",
    "AnchorLabels",
    "AnchorLevelSummary",
    "ArticleProjection",
    "BatchedNmsDecisions",
    "BoxStory",
    "CandidateFate",
    "DecodeStep",
    "DatasetCapture",
    "DatasetMetrics",
    "DetectionEvaluation",
    "DetectionProvenance",
    "Detections",
    "FUNNEL_STAGES",
    "FilterStep",
    "FunnelRecord",
    "GroundTruth",
    "GroundTruthReport",
    "ImageLosses",
    "ImageMatch",
    "ImageReplay",
    "InputError",
    "InspectedModel",
    "LOSS_NAMES",
    "LensError",
    "LensWarning",
    "LevelInfo",
    "MODEL_NAMES",
    "MapInfo",
    "ModelLoadError",
    "ModelSnapshot",
    "NmsFrame",
    "NmsGroup",
    "NmsStep",
    "NmsWalkthrough",
    "Normalization",
    "ProposalStory",
    "Proposals",
    "RecallCurve",
    "RecallVsProposals",
    "Replay",
    "RoiComparison",
    "RoiPoolingView",
    "RoiProjection",
    "RoiProjectionWalk",
    "Suppression",
    "THRESHOLDS",
    "THRESHOLD_KEYS",
    "TIDE_TYPES",
    "TRAINED_FROM",
    "ThresholdSpec",
    "TideError",
    "Trace",
    "ablation",
    "capture",
    "capture_dataset",
    "compare_roi_pooling",
    "constructor_kwargs",
    "explain",
    "explain_proposal",
    "demo_dataset",
    "load_annotations",
    "load_image",
    "load_model",
    "match_image",
    "model_lock",
    "nms_groups",
    "nms_steps",
    "nms_walkthrough",
    "parse_annotations",
    "provenance",
    "read_labels_file",
    "roi_projection",
]
