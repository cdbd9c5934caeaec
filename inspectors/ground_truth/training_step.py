"""One training step of the model, as far as it can be replayed from a trace: its rules, its random draws.

torchvision's training code lives in methods of RegionProposalNetwork and RoIHeads (assign_targets_to_anchors,
compute_loss, select_training_samples …) that read their matcher, sampler and box coder from `self`. The builders
here make those objects without any modules, with the matchers, samplers and coders rebuilt from the trace's
snapshot, so the analyses call torchvision's own methods and a trace stays independent of later model changes.

Random draws happen in a training step in this order: the transform's choice of size (GeneralizedRCNNTransform
.torch_choice, one number even with a single min_size), the RPN's fg_bg_sampler, the RoI heads' fg_bg_sampler.
`seeded_training_rng` runs code on a seeded generator and restores the global RNG afterwards.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

import torch
from torchvision.models.detection.roi_heads import RoIHeads
from torchvision.models.detection.rpn import RegionProposalNetwork
from torchvision.models.detection.transform import GeneralizedRCNNTransform

if TYPE_CHECKING:
    from inspectors.core.snapshot import ModelSnapshot
    from inspectors.core.trace import Trace


@contextmanager
def seeded_training_rng(device: torch.device, seed: int) -> Iterator[None]:
    """torch.manual_seed(seed) for the body, with every generator it touches restored afterwards."""
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def consume_transform_draw(trace: "Trace") -> None:
    """Draw the random number GeneralizedRCNNTransform.resize draws in training mode (unless it skips resizing)."""
    spec = trace.config.transform
    if not spec.skip_resize:
        GeneralizedRCNNTransform.torch_choice(None, list(spec.min_size))


def training_rpn(config: "ModelSnapshot") -> RegionProposalNetwork:
    """A RegionProposalNetwork without anchor generator or head: its training methods with the snapshot's rules."""
    m, s = config.rpn_matcher, config.rpn_sampler
    rpn = RegionProposalNetwork(
        None, None, m.high, m.low, s.batch_size_per_image, s.positive_fraction,
        {"training": config.rpn_pre_nms_top_n_train, "testing": int(config.thresholds["rpn_pre_nms_top_n"])},
        {"training": config.rpn_post_nms_top_n_train, "testing": int(config.thresholds["rpn_post_nms_top_n"])},
        float(config.thresholds["rpn_nms_thresh"]), float(config.thresholds["rpn_score_thresh"]),
    )
    rpn.proposal_matcher = m.build()
    rpn.fg_bg_sampler = s.build()
    rpn.box_coder = config.rpn_box_coder.build()
    rpn.min_size = config.rpn_min_size
    return rpn


def training_roi_heads(config: "ModelSnapshot") -> RoIHeads:
    """RoIHeads without pooler, head or predictor: select_training_samples with the snapshot's rules."""
    m, s = config.roi_matcher, config.roi_sampler
    heads = RoIHeads(
        None, None, None, m.high, m.low, s.batch_size_per_image, s.positive_fraction,
        config.roi_box_coder.weights, float(config.thresholds["box_score_thresh"]),
        float(config.thresholds["box_nms_thresh"]), int(config.thresholds["box_detections_per_img"]),
    )
    heads.proposal_matcher = m.build()
    heads.fg_bg_sampler = s.build()
    heads.box_coder = config.roi_box_coder.build()
    return heads
