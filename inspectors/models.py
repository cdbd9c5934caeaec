"""The model registry: build a torchvision Faster R-CNN by name, with COCO weights, a user's checkpoint, or none.

Builders are torchvision's own. A user's fine-tuned checkpoint is loaded into the architecture that torchvision's
*pretrained* builder produces (FrozenBatchNorm2d in the backbone, with the same eps), because that is what a user's
training code ran when it started from `weights="DEFAULT"`; plain random init would use BatchNorm2d instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence, Union
from urllib.parse import urlparse

import torch
from torch import nn
from torchvision.models import detection
from torchvision.models.detection import FasterRCNN
from torchvision.ops.misc import FrozenBatchNorm2d

MODEL_NAMES: tuple[str, ...] = (
    "demo",
    "fasterrcnn_resnet50_fpn",
    "fasterrcnn_resnet50_fpn_v2",
    "fasterrcnn_mobilenet_v3_large_fpn",
    "fasterrcnn_mobilenet_v3_large_320_fpn",
)


@dataclass(frozen=True)
class _Spec:
    builder: Callable[..., FasterRCNN]
    weights_enum: type
    # How torchvision's pretrained builder normalises the backbone body: FrozenBatchNorm2d with this eps,
    # or None when it keeps BatchNorm2d (the v2 model).
    frozen_bn_eps: Optional[float]


_SPECS: dict[str, _Spec] = {
    # COCO_V1 weights are loaded with overwrite_eps(model, 0.0) by torchvision.
    "fasterrcnn_resnet50_fpn": _Spec(
        detection.fasterrcnn_resnet50_fpn, detection.FasterRCNN_ResNet50_FPN_Weights, 0.0
    ),
    "fasterrcnn_resnet50_fpn_v2": _Spec(
        detection.fasterrcnn_resnet50_fpn_v2, detection.FasterRCNN_ResNet50_FPN_V2_Weights, None
    ),
    "fasterrcnn_mobilenet_v3_large_fpn": _Spec(
        detection.fasterrcnn_mobilenet_v3_large_fpn, detection.FasterRCNN_MobileNet_V3_Large_FPN_Weights, 1e-5
    ),
    "fasterrcnn_mobilenet_v3_large_320_fpn": _Spec(
        detection.fasterrcnn_mobilenet_v3_large_320_fpn,
        detection.FasterRCNN_MobileNet_V3_Large_320_FPN_Weights,
        1e-5,
    ),
}


class ModelLoadError(RuntimeError):
    """A model could not be built or loaded; the message says why and what to do."""


@dataclass
class InspectedModel:
    model: FasterRCNN
    name: str
    categories: list[str]
    device: torch.device
    source: str = field(default="")  # where the weights came from, for display


def resolve_device(device: Union[str, torch.device]) -> torch.device:
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def load_model(
    name: str,
    *,
    weights: Optional[str] = "DEFAULT",
    checkpoint: Union[str, Path, None] = None,
    categories: Union[Sequence[str], str, Path, None] = None,
    device: Union[str, torch.device] = "auto",
) -> InspectedModel:
    """Build a Faster R-CNN by name and put it in eval mode on `device`.

    - `weights="DEFAULT"`: torchvision's COCO weights (downloaded into the torch hub cache; a file already there
      loads offline). `weights=None`: random init, also for the backbone (tests, development).
    - `checkpoint=path`: a fine-tuned state dict (plain or under "model"); `num_classes` is read from it and
      `categories` (a list, or a labels file with one name per line) names the classes.
    """
    target = resolve_device(device)
    if name == "demo":
        model, cats, source = _load_demo()
    elif name not in _SPECS:
        raise ModelLoadError(f"Unknown model {name!r}. Choose one of: {', '.join(MODEL_NAMES)}.")
    elif checkpoint is not None:
        model, cats, source = _load_checkpoint(name, Path(checkpoint), categories)
    elif weights is None:
        cats = _read_categories(categories) if categories is not None else None
        num_classes = len(cats) if cats else 91
        model = _SPECS[name].builder(weights=None, weights_backbone=None, num_classes=num_classes)
        cats = cats or _numbered_categories(num_classes)
        source = "random init"
    else:
        model, cats, source = _load_pretrained(name, weights)
    model.eval().to(target)
    return InspectedModel(model=model, name=name, categories=list(cats), device=target, source=source)


def _load_demo() -> tuple[FasterRCNN, list[str], str]:
    try:
        from inspectors import demo_model
    except ImportError as e:  # pragma: no cover - only while the demo model is not committed
        raise ModelLoadError(f"The demo model is not available in this checkout ({e}).") from None
    if not demo_model.DEMO_WEIGHTS.is_file():
        raise ModelLoadError(f"The demo model weights are missing: expected {demo_model.DEMO_WEIGHTS}.")
    return demo_model.load_demo_model(), list(demo_model.DEMO_CATEGORIES), str(demo_model.DEMO_WEIGHTS.name)


def hub_checkpoint_path(url: str) -> Path:
    """Where torch.hub looks for (and would download) the file behind `url`."""
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(urlparse(url).path)


def _load_pretrained(name: str, weights: str) -> tuple[FasterRCNN, list[str], str]:
    spec = _SPECS[name]
    try:
        weights_obj = spec.weights_enum.verify(weights)
    except (ValueError, KeyError, AttributeError):
        raise ModelLoadError(f"Unknown weights {weights!r} for {name}.") from None
    path = hub_checkpoint_path(weights_obj.url)
    try:
        model = spec.builder(weights=weights_obj, progress=True)
    except Exception as e:  # URLError, HTTPError, socket errors, a corrupt file...
        if path.is_file():
            reason = f"the file {path} exists but could not be loaded ({type(e).__name__}: {e})"
        else:
            reason = f"it could not be downloaded ({type(e).__name__}: {e})"
        raise ModelLoadError(
            f"COCO weights for {name} are not available: {reason}. To use them offline, download "
            f"{weights_obj.url} on a machine with internet and place the file as {path.name} in the folder "
            f"{path.parent} (TORCH_HOME / torch.hub cache)."
        ) from None
    return model, list(weights_obj.meta["categories"]), path.name


def build_pretrained_architecture(name: str, num_classes: int) -> FasterRCNN:
    """The architecture torchvision's pretrained builder makes, randomly initialised, with `num_classes`."""
    spec = _SPECS[name]
    model = spec.builder(weights=None, weights_backbone=None, num_classes=num_classes)
    if spec.frozen_bn_eps is not None:
        _freeze_batchnorm(model.backbone.body, spec.frozen_bn_eps)
    return model


def _freeze_batchnorm(module: nn.Module, eps: float) -> None:
    for child_name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d):
            frozen = FrozenBatchNorm2d(child.num_features, eps=eps)
            frozen.weight.copy_(child.weight.detach())
            frozen.bias.copy_(child.bias.detach())
            frozen.running_mean.copy_(child.running_mean)
            frozen.running_var.copy_(child.running_var)
            setattr(module, child_name, frozen)
        else:
            _freeze_batchnorm(child, eps)


def _load_checkpoint(
    name: str, path: Path, categories: Union[Sequence[str], str, Path, None]
) -> tuple[FasterRCNN, list[str], str]:
    if not path.is_file():
        raise ModelLoadError(f"No checkpoint file at {path}.")
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise ModelLoadError(f"{path.name} is not a loadable PyTorch state dict ({type(e).__name__}: {e}).") from None
    state = _unwrap_state_dict(raw, path)
    cls_key = "roi_heads.box_predictor.cls_score.weight"
    if cls_key not in state:
        raise ModelLoadError(f"{path.name} has no {cls_key}: it is not a Faster R-CNN state dict for {name}.")
    num_classes = int(state[cls_key].shape[0])
    model = build_pretrained_architecture(name, num_classes)
    _check_keys_and_shapes(model, state, path.name, name)
    model.load_state_dict(state)
    names = _read_categories(categories) if categories is not None else None
    return model, _fit_categories(names, num_classes), path.name


def _unwrap_state_dict(raw: object, path: Path) -> dict[str, torch.Tensor]:
    if isinstance(raw, dict) and isinstance(raw.get("model"), dict):
        raw = raw["model"]
    if not isinstance(raw, dict) or not all(isinstance(v, torch.Tensor) for v in raw.values()):
        raise ModelLoadError(f"{path.name} does not hold a state dict (a mapping of names to tensors).")
    # Checkpoints saved from DataParallel / DistributedDataParallel prefix every key with "module.".
    if raw and all(k.startswith("module.") for k in raw):
        raw = {k[len("module."):]: v for k, v in raw.items()}
    return dict(raw)


def _check_keys_and_shapes(model: nn.Module, state: dict[str, torch.Tensor], file_name: str, name: str) -> None:
    expected = model.state_dict()
    # FrozenBatchNorm2d has no num_batches_tracked; BatchNorm2d checkpoints carry it harmlessly.
    ignorable = {k for k in state if k.endswith("num_batches_tracked")}
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected) - ignorable)
    wrong_shape = sorted(
        f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(expected[k].shape)}"
        for k in set(state) & set(expected)
        if state[k].shape != expected[k].shape
    )
    if missing or unexpected or wrong_shape:
        parts = []
        for label, items in (("missing keys", missing), ("unexpected keys", unexpected), ("shape mismatches", wrong_shape)):
            if items:
                shown = ", ".join(items[:8]) + (f", … ({len(items)} in all)" if len(items) > 8 else "")
                parts.append(f"{label}: {shown}")
        raise ModelLoadError(f"{file_name} does not fit {name}. " + "; ".join(parts) + ".")


def _read_categories(categories: Union[Sequence[str], str, Path]) -> list[str]:
    if isinstance(categories, (str, Path)):
        path = Path(categories)
        if not path.is_file():
            raise ModelLoadError(f"No labels file at {path}.")
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        return [line.strip() for line in lines if line.strip()]
    return [str(c) for c in categories]


def _fit_categories(names: Optional[list[str]], num_classes: int) -> list[str]:
    """Index = label id with background at 0; a labels file may or may not list the background."""
    if names is None:
        return _numbered_categories(num_classes)
    if len(names) == num_classes - 1:
        return ["__background__", *names]
    if len(names) == num_classes:
        return names
    raise ModelLoadError(
        f"The labels list has {len(names)} names but the checkpoint predicts {num_classes} classes "
        f"(background included): give {num_classes - 1} names, one per line."
    )


def _numbered_categories(num_classes: int) -> list[str]:
    return ["__background__", *(f"class_{i}" for i in range(1, num_classes))]
