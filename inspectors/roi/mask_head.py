"""The mask branch of a Mask R-CNN on the captured FPN maps: the one place replay runs the model's mask head.

torchvision's order, step for step (RoIHeads.forward in eval mode, maskrcnn_inference, then
GeneralizedRCNNTransform.postprocess):
    mask_roi_pool (RoIAlign 14×14 on the FPN level each final box maps to, resized frame)
    → mask_head → mask_predictor (28×28 logits per class) → the detection's own class → sigmoid
    → paste_masks_in_image on the boxes in original pixels (expand_masks' padding, the box expanded to match,
      resized bilinearly, clipped to the image; written into one output, see paste_masks).
The mask head's logits are cached per refined box (trace.cache.masks): a final detection's box is its RPN
candidate's regression for its class, so (anchor index, label) names it, and a slider runs the mask head only for
boxes it has not seen before. Runs hold the model's lock, as the box head's do; the backbone never runs here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor
from torch.nn import functional as F
from torchvision.models.detection.roi_heads import expand_boxes, expand_masks

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
    `boxes` (original pixels), (N, 1, H, W).

    torchvision's paste_masks_in_image step for step — expand_masks' padding, expand_boxes by the same scale, to
    int64, each mask resized bilinearly to its box (align_corners=False) and clipped to the image — with one
    difference in where the numbers go: each mask is written straight into its slice of one zeroed output instead
    of into its own zeroed image that is then stacked (the same values; one full-size copy fewer)."""
    spec = trace.config.mask
    padding = spec.paste_padding if spec is not None else 1
    im_h, im_w = trace.original_size
    with torch.inference_mode():
        padded, scale = expand_masks(probabilities, padding=padding)
        pixel_boxes = expand_boxes(boxes, scale).to(dtype=torch.int64)
        out = padded.new_zeros((padded.shape[0], 1, im_h, im_w))
        for i, box in enumerate(pixel_boxes.tolist()):
            _paste_one(padded[i, 0], box, out[i, 0])
        return out


def _paste_one(mask: Tensor, box: list[int], target: Tensor) -> None:
    """torchvision's paste_mask_in_image, writing into `target` (a zeroed H×W slice)."""
    im_h, im_w = int(target.shape[0]), int(target.shape[1])
    w = max(int(box[2] - box[0] + 1), 1)
    h = max(int(box[3] - box[1] + 1), 1)
    resized = F.interpolate(mask.expand((1, 1, -1, -1)), size=(h, w), mode="bilinear", align_corners=False)[0][0]
    x_0, x_1 = max(box[0], 0), min(box[2] + 1, im_w)
    y_0, y_1 = max(box[1], 0), min(box[3] + 1, im_h)
    target[y_0:y_1, x_0:x_1] = resized[(y_0 - box[1]) : (y_1 - box[1]), (x_0 - box[0]) : (x_1 - box[0])]
