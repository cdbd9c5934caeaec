"""RCNN Lens' embedded demo detector: a small Faster R-CNN trained by the project on synthetic shapes.

It keeps the stage structure of ``fasterrcnn_resnet50_fpn`` so every view of the app works the same way:

* body: a slim torchvision-``ResNet`` (same module names: conv1/bn1/relu/maxpool/layer1..layer4) with
  ``BasicBlock`` x ``[1, 1, 1, 1]`` and widths ``32, 64, 128, 256`` (a half-width "ResNet-10"; BatchNorm
  trained from scratch, in eval mode a plain per-channel affine) returning C2..C5 as ``"0".."3"``;
* FPN (torchvision ``BackboneWithFPN``, 64 channels) + ``LastLevelMaxPool`` -> ``"0","1","2","3","pool"``
  = P2..P6 with strides 4, 8, 16, 32, 64;
* RPN: one anchor size per level ``16, 32, 64, 128, 256`` x aspect ratios ``0.5, 1, 2``;
* RoI heads: ``MultiScaleRoIAlign(["0","1","2","3"], 7, 2)`` -> ``TwoMLPHead(64*7*7, 256)`` -> 4 classes.

Images are resized with ``min_size=384, max_size=640`` (a 384x384 image is not rescaled).
Only torch / torchvision / stdlib are imported here. Training code lives in ``training/``.
"""
from __future__ import annotations

import pathlib
from typing import Sequence

import torch
from torch import Tensor, nn
from torchvision.models.detection import FasterRCNN, MaskRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.models.resnet import BasicBlock, ResNet
from torchvision.ops import MultiScaleRoIAlign
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

DEMO_CATEGORIES: list[str] = ["__background__", "circle", "rectangle", "triangle"]
_WEIGHTS_DIR = pathlib.Path(__file__).resolve().parents[1] / "weights"
DEMO_WEIGHTS: pathlib.Path = _WEIGHTS_DIR / "demo_shapes_fasterrcnn.pt"
DEMO_METRICS: pathlib.Path = _WEIGHTS_DIR / "demo_shapes_metrics.json"
# The mask head of "demo_mask": trained on the same synthetic scenes with the box model frozen, so demo_mask's boxes
# are the demo's boxes exactly; its weights are the mask branch only.
DEMO_MASK_WEIGHTS: pathlib.Path = _WEIGHTS_DIR / "demo_shapes_maskhead.pt"
DEMO_MASK_METRICS: pathlib.Path = _WEIGHTS_DIR / "demo_shapes_mask_metrics.json"

# Architecture / inference settings (the values the committed metrics were measured with).
DEMO_CONFIG: dict = {
    "resnet_block": "BasicBlock",
    "resnet_layers": [1, 1, 1, 1],
    "resnet_widths": [32, 64, 128, 256],
    "fpn_channels": 64,
    "representation_size": 256,
    "anchor_sizes": [[16], [32], [64], [128], [256]],
    "aspect_ratios": [0.5, 1.0, 2.0],
    "min_size": 384,
    "max_size": 640,
    "rpn_pre_nms_top_n_train": 1000,
    "rpn_post_nms_top_n_train": 500,
    "rpn_pre_nms_top_n_test": 1000,
    "rpn_post_nms_top_n_test": 1000,
    "rpn_nms_thresh": 0.7,
    "rpn_score_thresh": 0.0,
    "rpn_batch_size_per_image": 256,
    "box_batch_size_per_image": 256,
    "box_score_thresh": 0.05,
    "box_nms_thresh": 0.5,
    "box_detections_per_img": 100,
}


# The mask branch (torchvision's MaskRCNN layout at the demo's width): RoIAlign 14×14 on P2..P5 → four 3×3 convs
# → a 2× transposed conv → one 28×28 mask per class.
DEMO_MASK_CONFIG: dict = {
    "mask_roi_output_size": 14,
    "mask_roi_sampling_ratio": 2,
    "mask_head_layers": [64, 64, 64, 64],
    "mask_head_dilation": 1,
    "mask_predictor_channels": 64,
}


class SlimResNet(ResNet):
    """torchvision ``ResNet`` with configurable stage widths (module names as in resnet18/50), no classifier."""

    def __init__(
        self,
        layers: Sequence[int] = (1, 1, 1, 1),
        widths: Sequence[int] = (32, 64, 128, 256),
        zero_init_residual: bool = True,
    ) -> None:
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = widths[0]
        self.dilation = 1
        self.groups = 1
        self.base_width = 64
        self.conv1 = nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(BasicBlock, widths[0], layers[0])
        self.layer2 = self._make_layer(BasicBlock, widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(BasicBlock, widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(BasicBlock, widths[3], layers[3], stride=2)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, BasicBlock):
                    nn.init.constant_(m.bn2.weight, 0)

    def forward(self, x: Tensor) -> Tensor:  # C5 (the detector uses the FPN wrapper, which reads the stages directly)
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


def build_demo_backbone() -> BackboneWithFPN:
    cfg = DEMO_CONFIG
    body = SlimResNet(tuple(cfg["resnet_layers"]), tuple(cfg["resnet_widths"]))
    return BackboneWithFPN(
        body,
        return_layers={"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"},
        in_channels_list=list(cfg["resnet_widths"]),
        out_channels=cfg["fpn_channels"],
        extra_blocks=LastLevelMaxPool(),
    )


def _demo_kwargs(num_classes: int) -> dict:
    """The keyword arguments FasterRCNN / MaskRCNN take for the demo architecture (fresh modules each call)."""
    cfg = DEMO_CONFIG
    backbone = build_demo_backbone()
    anchor_generator = AnchorGenerator(
        sizes=tuple(tuple(s) for s in cfg["anchor_sizes"]),
        aspect_ratios=(tuple(cfg["aspect_ratios"]),) * len(cfg["anchor_sizes"]),
    )
    roi_pool = MultiScaleRoIAlign(featmap_names=["0", "1", "2", "3"], output_size=7, sampling_ratio=2)
    c = cfg["fpn_channels"]
    rep = cfg["representation_size"]
    return dict(
        backbone=backbone,
        num_classes=None,
        min_size=cfg["min_size"],
        max_size=cfg["max_size"],
        rpn_anchor_generator=anchor_generator,
        rpn_pre_nms_top_n_train=cfg["rpn_pre_nms_top_n_train"],
        rpn_pre_nms_top_n_test=cfg["rpn_pre_nms_top_n_test"],
        rpn_post_nms_top_n_train=cfg["rpn_post_nms_top_n_train"],
        rpn_post_nms_top_n_test=cfg["rpn_post_nms_top_n_test"],
        rpn_nms_thresh=cfg["rpn_nms_thresh"],
        rpn_score_thresh=cfg["rpn_score_thresh"],
        rpn_batch_size_per_image=cfg["rpn_batch_size_per_image"],
        box_roi_pool=roi_pool,
        box_head=TwoMLPHead(c * 7 * 7, rep),
        box_predictor=FastRCNNPredictor(rep, num_classes),
        box_score_thresh=cfg["box_score_thresh"],
        box_nms_thresh=cfg["box_nms_thresh"],
        box_detections_per_img=cfg["box_detections_per_img"],
        box_batch_size_per_image=cfg["box_batch_size_per_image"],
    )


def build_demo_model(num_classes: int = 4) -> FasterRCNN:
    """The demo architecture, randomly initialised (no weights are read)."""
    return FasterRCNN(**_demo_kwargs(num_classes))


def build_demo_mask_model(num_classes: int = 4) -> MaskRCNN:
    """The demo architecture with torchvision's mask branch (DEMO_MASK_CONFIG), randomly initialised."""
    m = DEMO_MASK_CONFIG
    c = DEMO_CONFIG["fpn_channels"]
    mask_roi_pool = MultiScaleRoIAlign(featmap_names=["0", "1", "2", "3"], output_size=m["mask_roi_output_size"],
                                       sampling_ratio=m["mask_roi_sampling_ratio"])
    return MaskRCNN(
        **_demo_kwargs(num_classes),
        mask_roi_pool=mask_roi_pool,
        mask_head=MaskRCNNHeads(c, list(m["mask_head_layers"]), m["mask_head_dilation"]),
        mask_predictor=MaskRCNNPredictor(m["mask_head_layers"][-1], m["mask_predictor_channels"], num_classes),
    )


def load_demo_state_dict(path: str | pathlib.Path | None = None) -> dict:
    """Read the committed (fp16) weights and return an fp32 state dict."""
    path = pathlib.Path(path) if path is not None else DEMO_WEIGHTS
    if not path.is_file():
        raise FileNotFoundError(f"demo weights not found: {path}")
    obj = torch.load(path, map_location="cpu", weights_only=True)
    sd = obj.get("model", obj) if isinstance(obj, dict) else obj
    return {k: (v.float() if torch.is_floating_point(v) else v) for k, v in sd.items()}


def load_demo_model(path: str | pathlib.Path | None = None) -> FasterRCNN:
    """Build the demo architecture, load the committed weights (fp16 -> fp32) and switch to eval mode."""
    model = build_demo_model(len(DEMO_CATEGORIES))
    model.load_state_dict(load_demo_state_dict(path))
    return model.eval()


def load_demo_mask_model(mask_path: str | pathlib.Path | None = None) -> MaskRCNN:
    """The demo's committed box weights plus the committed mask branch (DEMO_MASK_WEIGHTS), in eval mode."""
    model = build_demo_mask_model(len(DEMO_CATEGORIES))
    state = load_demo_state_dict()
    state.update(load_demo_state_dict(mask_path if mask_path is not None else DEMO_MASK_WEIGHTS))
    model.load_state_dict(state)
    return model.eval()
