"""The mask branch of a Mask R-CNN on the captured FPN maps: the one place replay runs the model's mask head.

torchvision's order, step for step (RoIHeads.forward in eval mode, maskrcnn_inference, then
GeneralizedRCNNTransform.postprocess):
    mask_roi_pool (RoIAlign 14×14 on the FPN level each final box maps to, resized frame)
    → mask_head → mask_predictor (28×28 logits per class) → the detection's own class → sigmoid
    → paste_masks_in_image on the boxes in original pixels (expand_masks' padding, the box expanded to match,
      resized bilinearly, clipped to the image).
The mask head's logits are cached per refined box (trace.cache.masks): a final detection's box is its RPN
candidate's regression for its class, so (anchor index, label) names it, and a slider runs the mask head only for
boxes it has not seen before. Runs hold the model's lock, as the box head's do; the backbone never runs here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor
from torchvision.models.detection.roi_heads import paste_masks_in_image

from inspectors.core.models import model_lock

if TYPE_CHECKING:
    from inspectors.core.trace import Trace

MaskKey = tuple[int, int]  # (anchor index of the RPN candidate, label): one refined box


def run_mask_head(trace: "Trace", boxes: Tensor) -> Tensor:
    """The mask predictor's logits (N, classes, 28, 28) for `boxes` (resized frame), on the captured FPN maps."""
    spec = trace.config.mask
    if spec is None:
        raise ValueError(f"{trace.model_name} has no mask branch: it is not a Mask R-CNN.")
    if boxes.shape[0] == 0:
        return boxes.new_zeros((0, spec.num_classes, *spec.resolution))
    net = trace.model.model
    heads = net.roi_heads
    with model_lock(net), torch.inference_mode():
        features = heads.mask_roi_pool(trace.fpn_raw, [boxes], [trace.resized_size])
        features = heads.mask_head(features)
        return heads.mask_predictor(features)


def mask_logits_for_boxes(trace: "Trace", keys: list[MaskKey], boxes: Tensor, labels: Tensor) -> tuple[Tensor, int]:
    """The 28×28 logits of each box's own class, (N, 28, 28), running the mask head only for keys not cached yet.
    Returns the logits and how many boxes the mask head ran for now."""
    spec = trace.config.mask
    if spec is None:
        raise ValueError(f"{trace.model_name} has no mask branch: it is not a Mask R-CNN.")
    if not keys:
        return boxes.new_zeros((0, *spec.resolution)), 0
    cache = trace.cache
    with cache.lock:
        masks = cache.masks
        todo = masks.missing(keys)
        if todo:
            index = torch.tensor(todo, dtype=torch.int64, device=boxes.device)
            logits = run_mask_head(trace, boxes[index])
            own = logits[torch.arange(len(todo), device=boxes.device), labels[index]]
            masks.add([keys[i] for i in todo], own)
            masks.computed += len(todo)
        return masks.get(keys), len(todo)


def mask_probabilities(logits: Tensor) -> Tensor:
    """maskrcnn_inference: sigmoid of each detection's own class, (N, 1, 28, 28)."""
    return logits.sigmoid()[:, None]


def paste_masks(trace: "Trace", probabilities: Tensor, boxes: Tensor) -> Tensor:
    """GeneralizedRCNNTransform.postprocess: the (N, 1, 28, 28) probabilities pasted into the original image at
    `boxes` (original pixels), with torchvision's paste_masks_in_image and its expand_masks padding: (N, 1, H, W)."""
    spec = trace.config.mask
    padding = spec.paste_padding if spec is not None else 1
    with torch.inference_mode():
        return paste_masks_in_image(probabilities, boxes, trace.original_size, padding=padding)
