"""One eval forward of a torchvision Faster R-CNN with forward hooks: every stage's tensors, captured once.

Nothing is recomputed here: even the decoded anchors are the RPN's own box coder's output, kept as it is made
(torchvision computes them from the RPN head's outputs; hooks cannot see them), so that replay starts from exactly
the numbers the model used.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Union

import numpy as np
import torch
from torch import nn
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.rpn import concat_box_prediction_layers

from inspectors.core.images import ImageInput, check_fits_model, load_image, to_model_input
from inspectors.core.models import InspectedModel, model_lock
from inspectors.core.snapshot import ModelSnapshot, snapshot_model
from inspectors.core.trace import LevelInfo, Trace, level_names, stride_of

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
    "roi_heads.mask_roi_pool",  # Mask R-CNN only: absent modules are not hooked
    "roi_heads.mask_head",
    "roi_heads.mask_predictor",
    "roi_heads",
)


def capture(model: Union[InspectedModel, FasterRCNN], image: ImageInput) -> Trace:
    """Run `model` once on `image` with hooks and return the frozen Trace of every stage."""
    inspected = as_inspected(model)
    net = inspected.model
    device = next(net.parameters()).device
    rgb = load_image(image)

    outputs: dict[str, Any] = {}
    clock = _StageClock(device)
    # The model is shared (sessions, threads): while our hooks are on it, nothing else may run its modules, and
    # the hooks keep only what this thread computes. See inspectors.core.models.model_lock.
    with model_lock(net):
        config = snapshot_model(net)
        check_fits_model(int(rgb.shape[0]), int(rgb.shape[1]), config.transform)
        tensor = to_model_input(rgb).to(device)
        was_training = net.training
        net.eval()
        try:
            with _hooks(net, outputs, clock, threading.get_ident()), torch.inference_mode():
                clock.start()
                detections = net([tensor])[0]
                clock.stop()
            lone_differs = _probe_lone_mask_batch(net, outputs.get("roi_heads.mask_roi_pool"),
                                                  outputs.get("roi_heads.mask_predictor"))
        finally:
            net.train(was_training)
    trace = _build_trace(inspected, config, rgb, outputs, detections, clock.timings())
    trace.mask_lone_batch_differs = lone_differs
    return trace


def _probe_lone_mask_batch(net: nn.Module, pooled: Any, logits: Any) -> Union[bool, None]:
    """Whether the mask head (and predictor) give a box alone other numbers than the same box among others: the
    model's own batch's first row against that box run alone (or, when the model had one detection, against it run
    as a pair). After the capture's forward, without its hooks; None without a mask branch or detections."""
    if not isinstance(pooled, torch.Tensor) or not isinstance(logits, torch.Tensor) or pooled.shape[0] == 0:
        return None
    heads: Any = net.roi_heads
    with torch.inference_mode():
        if pooled.shape[0] > 1:
            return not torch.equal(heads.mask_predictor(heads.mask_head(pooled[:1]))[0], logits[0])
        paired = heads.mask_predictor(heads.mask_head(pooled[:1].repeat(2, 1, 1, 1)))
        return not torch.equal(paired[0], logits[0])


def as_inspected(model: Union[InspectedModel, FasterRCNN]) -> InspectedModel:
    """An InspectedModel as given, or a bare torchvision FasterRCNN wrapped with numbered class names."""
    if isinstance(model, InspectedModel):
        return model
    if isinstance(model, FasterRCNN):
        device = next(model.parameters()).device
        num_classes = model.roi_heads.box_predictor.cls_score.out_features
        categories = ["__background__", *(f"class_{i}" for i in range(1, num_classes))]
        return InspectedModel(model=model, name=type(model).__name__, categories=categories, device=device)
    raise TypeError(f"capture() takes an InspectedModel or a torchvision FasterRCNN, not {type(model).__name__}.")


class _StageClock:
    """Wall-clock per stage; on CUDA each reading waits for the queued kernels so stages are not smeared."""

    def __init__(self, device: torch.device) -> None:
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
        out: dict[str, float] = {}
        for stage, _ in _TIMED:
            if f"{stage}:start" in self.marks and f"{stage}:end" in self.marks:
                out[stage] = self.marks[f"{stage}:end"] - self.marks[f"{stage}:start"]
        if "roi_heads:end" in self.marks:
            out["postprocess"] = self.marks["forward:end"] - self.marks["roi_heads:end"]
        return out


@contextmanager
def _hooks(net: nn.Module, outputs: dict[str, Any], clock: _StageClock, thread: int) -> Iterator[None]:
    modules = dict(net.named_modules())
    handles = []
    try:
        for stage, path in _TIMED:
            if path in modules:
                handles.append(modules[path].register_forward_pre_hook(_pre_timer(clock, stage, thread)))
                handles.append(modules[path].register_forward_hook(_post_timer(clock, stage, thread)))
        for path in _CAPTURED:
            if path in modules:
                handles.append(modules[path].register_forward_hook(_keeper(outputs, path, thread)))
        with _recording_rpn_decode(net, outputs, thread):
            yield
    finally:
        for handle in handles:
            handle.remove()


@contextmanager
def _recording_rpn_decode(net: nn.Module, outputs: dict[str, Any], thread: int) -> Iterator[None]:
    """Keep what the RPN's box coder decodes (every anchor with its deltas: the proposals before filtering), so that
    the trace holds the model's own decoded anchors instead of computing them a second time. The box coder is no
    module (no hook): its `decode` is wrapped on this instance while the capture holds the model's lock."""
    coder = getattr(getattr(net, "rpn", None), "box_coder", None)
    if coder is None or "decode" in vars(coder):
        yield
        return
    original = coder.decode

    def decode(rel_codes: torch.Tensor, boxes: list[torch.Tensor]) -> torch.Tensor:
        decoded = original(rel_codes, boxes)
        if threading.get_ident() == thread and "rpn.decode" not in outputs:
            outputs["rpn.decode"] = decoded
        return decoded

    coder.decode = decode
    try:
        yield
    finally:
        del coder.decode


# Each hook records only calls made by the capturing thread: even code that ignored the model lock could not
# put its outputs into this trace.
_PreHook = Callable[[nn.Module, tuple[Any, ...]], None]
_PostHook = Callable[[nn.Module, tuple[Any, ...], Any], None]  # a module's output: whatever its forward returns


def _pre_timer(clock: _StageClock, stage: str, thread: int) -> _PreHook:
    def hook(module: nn.Module, args: tuple[Any, ...]) -> None:
        if threading.get_ident() == thread:
            clock.mark(f"{stage}:start")

    return hook


def _post_timer(clock: _StageClock, stage: str, thread: int) -> _PostHook:
    def hook(module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        if threading.get_ident() == thread:
            clock.mark(f"{stage}:end")

    return hook


def _keeper(outputs: dict[str, Any], path: str, thread: int) -> _PostHook:
    def hook(module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        if threading.get_ident() == thread:
            if path == "roi_heads":
                # GeneralizedRCNNTransform.postprocess then writes the original-frame boxes (and pasted masks) into
                # these very dicts: keep the RoI heads' own values, in the resized frame, in copies.
                output = ([dict(result) for result in output[0]], output[1])
            outputs[path] = output

    return hook


def _build_trace(
    inspected: InspectedModel,
    config: ModelSnapshot,
    rgb: np.ndarray,
    outputs: dict[str, Any],
    detections: dict[str, torch.Tensor],
    timings: dict[str, float],
) -> Trace:
    image_list, _ = outputs["transform"]
    resized_h, resized_w = (int(s) for s in image_list.image_sizes[0])
    padded_h, padded_w = (int(s) for s in image_list.tensors.shape[-2:])
    resized_size, padded_size = (resized_h, resized_w), (padded_h, padded_w)
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
        decoded = outputs.get("rpn.decode")  # the RPN's own decode of these deltas (_recording_rpn_decode)
        if decoded is None or decoded.shape[0] != deltas.shape[0]:
            decoded = config.rpn_box_coder.build().decode(deltas.detach(), [anchors])
        decoded = decoded.view(1, -1, 4)[0]
    class_logits, box_regression = outputs["roi_heads.box_predictor"]
    native_proposals = outputs["rpn"][0][0]
    pooled = outputs.get("roi_heads.box_roi_pool")
    native_resized = outputs["roi_heads"][0][0]
    mask_pooled, mask_features = outputs.get("roi_heads.mask_roi_pool"), outputs.get("roi_heads.mask_head")
    mask_logits = None
    if config.mask is not None and "roi_heads.mask_predictor" in outputs:
        # What maskrcnn_inference keeps of the predictor's output: each detection's own class.
        logits = outputs["roi_heads.mask_predictor"]
        labels = native_resized["labels"]
        mask_logits = logits[torch.arange(logits.shape[0], device=labels.device), labels]
        # The pasted masks are replay's to give (trace.replay().masks): kept here they would dwarf the trace.
        detections = {k: v for k, v in detections.items() if k != "masks"}
    fpn_features = _named(features, padded_size, "P")
    anchors_per_location = [int(o.shape[1]) for o in objectness_per_level]
    return Trace(
        model=inspected,
        image=rgb,
        original_size=(int(rgb.shape[0]), int(rgb.shape[1])),
        resized_size=resized_size,
        padded_size=padded_size,
        body_features=_named(body, padded_size, "C") if body is not None else OrderedDict(),
        fpn_raw=features,
        fpn_features=fpn_features,
        anchors=anchors,
        anchors_per_location=anchors_per_location,
        num_anchors_per_level=num_anchors_per_level,
        objectness=objectness.reshape(-1),
        rpn_deltas=deltas,
        decoded_anchors=decoded,
        native_proposals=native_proposals,
        roi_pooled_shape=tuple(pooled.shape) if pooled is not None else None,
        roi_features=outputs.get("roi_heads.box_head"),
        class_logits=class_logits,
        box_regression=box_regression,
        native_detections_resized={k: v for k, v in native_resized.items() if k != "masks"},
        native_detections=detections,
        timings=timings,
        config=config,
        levels=_levels(config, fpn_features, padded_size, anchors_per_location, num_anchors_per_level),
        model_name=inspected.name,
        category_names=tuple(inspected.categories),
        mask_pooled_shape=tuple(mask_pooled.shape) if isinstance(mask_pooled, torch.Tensor) else None,
        mask_features_shape=tuple(mask_features.shape) if isinstance(mask_features, torch.Tensor) else None,
        mask_logits=mask_logits,
    )


def _levels(config: ModelSnapshot, fpn_features: "OrderedDict[str, torch.Tensor]", padded_size: tuple[int, int],
            anchors_per_location: list[int], num_anchors_per_level: list[int]) -> list[LevelInfo]:
    infos: list[LevelInfo] = []
    start = 0
    for i, (name, fmap) in enumerate(fpn_features.items()):
        grid = (int(fmap.shape[-2]), int(fmap.shape[-1]))
        infos.append(
            LevelInfo(
                index=i,
                name=name,
                stride=stride_of(padded_size, grid),  # AnchorGenerator's own rule, per axis
                grid=grid,
                anchors_per_location=anchors_per_location[i],
                sizes=config.anchor_sizes[i],
                aspect_ratios=config.aspect_ratios[i],
                start=start,
                count=num_anchors_per_level[i],
            )
        )
        start += num_anchors_per_level[i]
    return infos


def _named(maps: "OrderedDict[str, torch.Tensor]", padded_size: tuple[int, int], prefix: str
           ) -> "OrderedDict[str, torch.Tensor]":
    """Name each map by its stride: 'C2' for stride 4, 'P6' for stride 64, as the FPN paper does."""
    names = level_names([(int(m.shape[-2]), int(m.shape[-1])) for m in maps.values()], padded_size, prefix)
    return OrderedDict((name, m[0]) for name, m in zip(names, maps.values()))
