"""The four losses torchvision trains Faster R-CNN with, for this image and its ground truth, from the trace.

What `model(images, targets)` returns in training mode with batch norm frozen (its modules kept in eval) and
`torch.manual_seed(seed)` just before — computed without running the backbone again:
    loss_objectness, loss_rpn_box_reg   RegionProposalNetwork.assign_targets_to_anchors → box_coder.encode →
                                        compute_loss, on the captured anchors, objectness and deltas
    loss_classifier, loss_box_reg       the training-mode proposals (RPN filtering at the TRAINING pre/post-NMS
                                        top-n) → RoIHeads.select_training_samples → the model's box_roi_pool,
                                        box_head, box_predictor (train mode, batch norm eval) on the captured FPN
                                        maps → fastrcnn_loss
The random draws happen in a training step's order (inspectors.ground_truth.training_step). Values only: no gradients.
Caveats, reported as coded warnings: a model that trains at several sizes (the losses are at the inspected size),
and dropout before the RoI heads (the replayed features are the inference ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.roi_heads import fastrcnn_loss
from torchvision.models.detection.rpn import RegionProposalNetwork

from inspectors.core.errors import LensWarning
from inspectors.core.models import model_lock
from inspectors.ground_truth.training_step import (
    consume_transform_draw,
    seeded_training_rng,
    training_roi_heads,
    training_rpn,
)
from inspectors.rpn.filter import RpnSettings, filter_proposals

if TYPE_CHECKING:
    from inspectors.core.trace import Trace

LOSS_NAMES = ("loss_objectness", "loss_rpn_box_reg", "loss_classifier", "loss_box_reg")


@dataclass
class ImageLosses:
    losses: dict[str, float]  # LOSS_NAMES → value
    seed: int
    rpn_sampled_positive: int
    rpn_sampled_negative: int
    training_proposals: int  # what the training-mode RPN hands the RoI heads (the objects are added to them)
    roi_sampled_positive: int
    roi_sampled_negative: int
    warnings: tuple[LensWarning, ...] = ()

    @property
    def total(self) -> float:
        return float(sum(self.losses.values()))


def image_losses(trace: "Trace", boxes_resized: Tensor, labels: Tensor, seed: int = 0) -> ImageLosses:
    """The training losses for the objects `boxes_resized` (resized frame, float32) of classes `labels`."""
    net = trace.model.model
    config = trace.config
    target = {"boxes": boxes_resized.to(torch.float32), "labels": labels.to(torch.int64)}
    rpn = training_rpn(config)
    heads = training_roi_heads(config)
    settings = RpnSettings(
        pre_nms_top_n=config.rpn_pre_nms_top_n_train,
        nms_thresh=float(config.thresholds["rpn_nms_thresh"]),
        post_nms_top_n=config.rpn_post_nms_top_n_train,
        score_thresh=float(config.thresholds["rpn_score_thresh"]),
        min_size=config.rpn_min_size,
    )
    with model_lock(net), torch.inference_mode(), seeded_training_rng(trace.device, seed):
        consume_transform_draw(trace)
        # RegionProposalNetwork.forward in training mode, from the captured head outputs.
        filtered = filter_proposals(trace.decoded_anchors, trace.objectness, trace.num_anchors_per_level,
                                    trace.resized_size, settings)
        proposals = filtered.candidate_boxes[filtered.keep]
        anchor_labels, matched_gt_boxes = rpn.assign_targets_to_anchors([trace.anchors], [target])
        regression_targets = rpn.box_coder.encode(matched_gt_boxes, [trace.anchors])
        positive, negative = _peek_sample(rpn, anchor_labels)
        loss_objectness, loss_rpn_box_reg = rpn.compute_loss(
            trace.objectness, trace.rpn_deltas, anchor_labels, regression_targets
        )
        # RoIHeads.forward in training mode.
        sampled, _, roi_labels, roi_targets = heads.select_training_samples([proposals], [target])
        class_logits, box_regression = _box_head_training_mode(net, trace, sampled)
        loss_classifier, loss_box_reg = fastrcnn_loss(class_logits, box_regression, roi_labels, roi_targets)
    values = {
        "loss_objectness": float(loss_objectness),
        "loss_rpn_box_reg": float(loss_rpn_box_reg),
        "loss_classifier": float(loss_classifier),
        "loss_box_reg": float(loss_box_reg),
    }
    roi_positive = int((roi_labels[0] > 0).sum())
    return ImageLosses(
        losses=values,
        seed=seed,
        rpn_sampled_positive=positive,
        rpn_sampled_negative=negative,
        training_proposals=int(proposals.shape[0]),
        roi_sampled_positive=roi_positive,
        roi_sampled_negative=int(roi_labels[0].numel()) - roi_positive,
        warnings=tuple(_caveats(trace, net)),
    )


def _peek_sample(rpn: RegionProposalNetwork, labels: list[Tensor]) -> tuple[int, int]:
    """How many anchors compute_loss is about to sample (from the label counts: no random draw)."""
    sampler = rpn.fg_bg_sampler
    lab = labels[0]
    num_pos = min(int((lab >= 1).sum()), int(sampler.batch_size_per_image * sampler.positive_fraction))
    num_neg = min(int((lab == 0).sum()), sampler.batch_size_per_image - num_pos)
    return num_pos, num_neg


def _box_head_training_mode(net: FasterRCNN, trace: "Trace", proposals: list[Tensor]) -> tuple[Tensor, Tensor]:
    """The model's box pooler, head and predictor in training mode with batch norm frozen; modes restored."""
    heads = net.roi_heads
    parts = [heads.box_roi_pool, heads.box_head, heads.box_predictor]
    saved = [(m, m.training) for part in parts for m in part.modules()]
    try:
        for part in parts:
            part.train()
            for m in part.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        features = heads.box_roi_pool(trace.fpn_raw, proposals, [trace.resized_size])
        features = heads.box_head(features)
        return heads.box_predictor(features)
    finally:
        for module, mode in saved:
            module.training = mode


def _caveats(trace: "Trace", net: FasterRCNN) -> list[LensWarning]:
    warnings: list[LensWarning] = []
    sizes = trace.config.transform.min_size
    if len(sizes) > 1 and not trace.config.transform.skip_resize:
        warnings.append(LensWarning("losses.multiscale", sizes=", ".join(map(str, sizes)), size=sizes[-1]))
    dropout_in = [name for name, part in (("the backbone", net.backbone), ("the RPN head", net.rpn.head))
                  if any(isinstance(m, nn.modules.dropout._DropoutNd) and m.p > 0 for m in part.modules())]
    if dropout_in:
        warnings.append(LensWarning("losses.dropout", where=" and ".join(dropout_in)))
    return warnings
