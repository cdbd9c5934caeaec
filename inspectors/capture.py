"""One eval forward of a torchvision Faster R-CNN with forward hooks: every stage's tensors, captured once.

Nothing is recomputed here except what torchvision itself computes from the captured head outputs (the decoded
anchors), with the model's own box coder, so that replay starts from exactly the numbers the model used.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Iterator, Union

import torch
from torch import nn
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.rpn import concat_box_prediction_layers

from inspectors.images import ImageInput, load_image, to_model_input
from inspectors.models import InspectedModel
from inspectors.trace import Trace, level_names

# Timed stages: (name, module path). Each stage runs from its module's forward-pre-hook to its forward-hook;
# "postprocess" is the rest of GeneralizedRCNN.forward after the RoI heads (boxes back to the original frame).
_TIMED = (
    ("transform", "transform"),
    ("backbone_body", "backbone.body"),
    ("fpn", "backbone.fpn"),
    ("rpn", "rpn"),
    ("roi_heads", "roi_heads"),
)
# Module outputs kept for the trace.
_CAPTURED = (
    "transform",
    "backbone.body",
    "backbone.fpn",
    "backbone",
    "rpn.head",
    "rpn.anchor_generator",
    "rpn",
    "roi_heads.box_roi_pool",
    "roi_heads.box_head",
    "roi_heads.box_predictor",
    "roi_heads",
)


def capture(model: Union[InspectedModel, FasterRCNN], image: ImageInput) -> Trace:
    """Run `model` once on `image` with hooks and return the frozen Trace of every stage."""
    if isinstance(model, InspectedModel):
        inspected = model
    elif isinstance(model, FasterRCNN):
        device = next(model.parameters()).device
        num_classes = model.roi_heads.box_predictor.cls_score.out_features
        categories = ["__background__", *(f"class_{i}" for i in range(1, num_classes))]
        inspected = InspectedModel(model=model, name=type(model).__name__, categories=categories, device=device)
    else:
        raise TypeError(f"capture() takes an InspectedModel or a torchvision FasterRCNN, not {type(model).__name__}.")
    net = inspected.model
    device = next(net.parameters()).device
    rgb = load_image(image)
    tensor = to_model_input(rgb).to(device)

    outputs: dict[str, Any] = {}
    clock = _StageClock(device)
    was_training = net.training
    net.eval()
    try:
        with _hooks(net, outputs, clock), torch.inference_mode():
            clock.start()
            detections = net([tensor])[0]
            clock.stop()
    finally:
        net.train(was_training)
    return _build_trace(inspected, rgb, outputs, detections, clock.timings())


class _StageClock:
    """Wall-clock per stage; on CUDA each reading waits for the queued kernels so stages are not smeared."""

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"
        self.marks: dict[str, float] = {}

    def now(self) -> float:
        if self.cuda:
            torch.cuda.synchronize()
        return time.perf_counter()

    def mark(self, key: str) -> None:
        self.marks[key] = self.now()

    def start(self) -> None:
        self.mark("forward:start")

    def stop(self) -> None:
        self.mark("forward:end")

    def timings(self) -> dict[str, float]:
        out = {}
        for stage, _ in _TIMED:
            if f"{stage}:start" in self.marks and f"{stage}:end" in self.marks:
                out[stage] = self.marks[f"{stage}:end"] - self.marks[f"{stage}:start"]
        if "roi_heads:end" in self.marks:
            out["postprocess"] = self.marks["forward:end"] - self.marks["roi_heads:end"]
        return out


@contextmanager
def _hooks(net: nn.Module, outputs: dict[str, Any], clock: _StageClock) -> Iterator[None]:
    modules = dict(net.named_modules())
    handles = []
    try:
        for stage, path in _TIMED:
            if path in modules:
                handles.append(modules[path].register_forward_pre_hook(_pre_timer(clock, stage)))
                handles.append(modules[path].register_forward_hook(_post_timer(clock, stage)))
        for path in _CAPTURED:
            if path in modules:
                handles.append(modules[path].register_forward_hook(_keeper(outputs, path)))
        yield
    finally:
        for handle in handles:
            handle.remove()


def _pre_timer(clock: _StageClock, stage: str):
    def hook(module, args):
        clock.mark(f"{stage}:start")

    return hook


def _post_timer(clock: _StageClock, stage: str):
    def hook(module, args, output):
        clock.mark(f"{stage}:end")

    return hook


def _keeper(outputs: dict[str, Any], path: str):
    def hook(module, args, output):
        outputs[path] = output

    return hook


def _build_trace(
    inspected: InspectedModel,
    rgb,
    outputs: dict[str, Any],
    detections: dict[str, torch.Tensor],
    timings: dict[str, float],
) -> Trace:
    net = inspected.model
    image_list, _ = outputs["transform"]
    resized_size = tuple(int(s) for s in image_list.image_sizes[0])
    padded_size = tuple(int(s) for s in image_list.tensors.shape[-2:])
    features: OrderedDict[str, torch.Tensor] = outputs["backbone"]
    if isinstance(features, torch.Tensor):  # a backbone without FPN returns one map
        features = OrderedDict([("0", features)])
    body = outputs.get("backbone.body")
    if isinstance(body, torch.Tensor):
        body = OrderedDict([("0", body)])

    objectness_per_level, deltas_per_level = outputs["rpn.head"]
    anchors = outputs["rpn.anchor_generator"][0]
    num_anchors_per_level = [int(o[0].numel()) for o in objectness_per_level]
    with torch.inference_mode():
        # torchvision's RegionProposalNetwork.forward, step for step, for the one image.
        objectness, deltas = concat_box_prediction_layers(objectness_per_level, deltas_per_level)
        decoded = net.rpn.box_coder.decode(deltas.detach(), [anchors]).view(1, -1, 4)[0]
    class_logits, box_regression = outputs["roi_heads.box_predictor"]
    native_proposals = outputs["rpn"][0][0]
    pooled = outputs.get("roi_heads.box_roi_pool")
    return Trace(
        model=inspected,
        image=rgb,
        original_size=(int(rgb.shape[0]), int(rgb.shape[1])),
        resized_size=resized_size,  # type: ignore[arg-type]
        padded_size=padded_size,  # type: ignore[arg-type]
        body_features=_named(body, padded_size, "C") if body is not None else OrderedDict(),
        fpn_raw=features,
        fpn_features=_named(features, padded_size, "P"),
        anchors=anchors,
        anchors_per_location=[int(o.shape[1]) for o in objectness_per_level],
        num_anchors_per_level=num_anchors_per_level,
        objectness=objectness.reshape(-1),
        rpn_deltas=deltas,
        decoded_anchors=decoded,
        native_proposals=native_proposals,
        roi_pooled_shape=tuple(pooled.shape) if pooled is not None else None,
        roi_features=outputs.get("roi_heads.box_head"),
        class_logits=class_logits,
        box_regression=box_regression,
        native_detections_resized=outputs["roi_heads"][0][0],
        native_detections=detections,
        timings=timings,
    )


def _named(maps: "OrderedDict[str, torch.Tensor]", padded_size: tuple[int, int], prefix: str):
    """Name each map by its stride: 'C2' for stride 4, 'P6' for stride 64, as the FPN paper does."""
    names = level_names([tuple(m.shape[-2:]) for m in maps.values()], padded_size, prefix)
    return OrderedDict((name, m[0]) for name, m in zip(names, maps.values()))
