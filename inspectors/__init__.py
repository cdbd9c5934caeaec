"""RCNN Lens engine: capture a torchvision Faster R-CNN once, replay every later stage exactly.

UI-free: imports torch/torchvision/numpy/PIL only, so it works in notebooks and tests.
"""

import inspectors.conveniences  # noqa: F401  (binds trace.replay(...), r.explain(i), …)
from inspectors.core.box_coding import DecodeStep
from inspectors.core.errors import InputError, LensError, LensWarning
from inspectors.core.images import load_image
from inspectors.core.models import (
    MODEL_NAMES,
    TRAINED_FROM,
    InspectedModel,
    ModelLoadError,
    Normalization,
    load_model,
    model_lock,
    read_labels_file,
)
from inspectors.core.snapshot import MaskSpec, ModelSnapshot
from inspectors.core.thresholds import THRESHOLD_KEYS, THRESHOLDS, ThresholdSpec, constructor_kwargs
from inspectors.core.trace import AnchorPosition, Detections, LevelInfo, MapInfo, Trace
from inspectors.dataset.anchor_fit import AnchorFit, AnchorSuggestion
from inspectors.dataset.capture import capture_dataset
from inspectors.dataset.compare import Comparison, compare_captures
from inspectors.dataset.confusion import ConfusionMatrix
from inspectors.dataset.demo import demo_dataset
from inspectors.dataset.funnel_summary import FunnelSummary
from inspectors.dataset.operating_points import OperatingPoints
from inspectors.dataset.store import DatasetCapture, ImageReplay
from inspectors.evaluation.matching import ImageMatch, match_image
from inspectors.evaluation.metrics import DatasetMetrics
from inspectors.evaluation.tide import TIDE_TYPES, TideError
from inspectors.ground_truth.anchor_labels import AnchorLabels
from inspectors.ground_truth.annotations import GroundTruth, load_annotations, parse_annotations
from inspectors.ground_truth.detection_eval import DetectionEvaluation
from inspectors.ground_truth.funnel import STAGES as FUNNEL_STAGES
from inspectors.ground_truth.funnel import FunnelRecord
from inspectors.ground_truth.losses import LOSS_NAMES, ImageLosses
from inspectors.ground_truth.proposal_recall import RecallCurve, RecallVsProposals
from inspectors.ground_truth.report import GroundTruthReport
from inspectors.pipeline.capture import capture
from inspectors.pipeline.replay import Proposals, Replay
from inspectors.rpn.anchors import AnchorHit, AnchorLevelSummary
from inspectors.rpn.filter import FilterStep
from inspectors.teaching.ablation import Ablation, ablation
from inspectors.teaching.box_story import AnchorInfo, BoxStory, ProposalStory, explain, explain_proposal
from inspectors.teaching.nms import BatchedNmsDecisions, NmsStep, nms_steps
from inspectors.teaching.nms_walkthrough import NmsFrame, NmsGroup, NmsWalkthrough, nms_groups, nms_walkthrough
from inspectors.teaching.provenance import CandidateFate, DetectionProvenance, Suppression, provenance
from inspectors.teaching.roi_pooling import RoiComparison, RoiPoolingView, compare_roi_pooling
from inspectors.teaching.roi_projection import ArticleProjection, RoiProjection, RoiProjectionWalk, roi_projection

__all__ = [
    "Ablation",
    "AnchorFit",
    "AnchorHit",
    "AnchorSuggestion",
    "AnchorInfo",
    "AnchorLabels",
    "AnchorLevelSummary",
    "AnchorPosition",
    "ArticleProjection",
    "BatchedNmsDecisions",
    "BoxStory",
    "CandidateFate",
    "Comparison",
    "ConfusionMatrix",
    "DecodeStep",
    "DatasetCapture",
    "DatasetMetrics",
    "DetectionEvaluation",
    "DetectionProvenance",
    "Detections",
    "FUNNEL_STAGES",
    "FilterStep",
    "FunnelRecord",
    "FunnelSummary",
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
    "MaskSpec",
    "MapInfo",
    "ModelLoadError",
    "ModelSnapshot",
    "NmsFrame",
    "NmsGroup",
    "NmsStep",
    "NmsWalkthrough",
    "Normalization",
    "OperatingPoints",
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
    "compare_captures",
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
