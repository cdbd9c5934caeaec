"""The model registry: build a torchvision Faster R-CNN or Mask R-CNN by name, with COCO weights, a user's
checkpoint, or none. The Mask R-CNN builders share every recipe (wrappers, trained_from) with the Faster R-CNN ones.

Builders are torchvision's own. A user's fine-tuned checkpoint is loaded into the architecture that torchvision's
*pretrained* builder produces (FrozenBatchNorm2d in the backbone, with the same eps), because that is what a user's
training code ran when it started from `weights="DEFAULT"`; plain random init would use BatchNorm2d instead.
"""

from __future__ import annotations

import os
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Union
from urllib.parse import urlparse

import torch
from torch import nn
from torchvision.models import WeightsEnum, detection
from torchvision.models.detection import FasterRCNN
from torchvision.ops.misc import FrozenBatchNorm2d

from inspectors.core.errors import LensError

MODEL_NAMES: tuple[str, ...] = (
    "demo",
    "demo_mask",
    "fasterrcnn_resnet50_fpn",
    "fasterrcnn_resnet50_fpn_v2",
    "fasterrcnn_mobilenet_v3_large_fpn",
    "fasterrcnn_mobilenet_v3_large_320_fpn",
    "maskrcnn_resnet50_fpn",
    "maskrcnn_resnet50_fpn_v2",
)


@dataclass(frozen=True)
class _Spec:
    builder: Callable[..., FasterRCNN]
    weights_enum: type[WeightsEnum]
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
    # Mask R-CNN: the Faster R-CNN above plus a mask branch; torchvision normalises its backbone the same way.
    "maskrcnn_resnet50_fpn": _Spec(detection.maskrcnn_resnet50_fpn, detection.MaskRCNN_ResNet50_FPN_Weights, 0.0),
    "maskrcnn_resnet50_fpn_v2": _Spec(
        detection.maskrcnn_resnet50_fpn_v2, detection.MaskRCNN_ResNet50_FPN_V2_Weights, None
    ),
}


class ModelLoadError(LensError, RuntimeError):
    """A model could not be built or loaded; the message (a template in inspectors.core.errors) says why and what
    to do."""


# How a checkpoint's backbone was trained decides its normalisation layers (what torchvision's builders make):
TRAINED_FROM = ("auto", "coco", "imagenet", "scratch")


@dataclass(frozen=True)
class Normalization:
    """The normalisation layers of the backbone body as loaded, and how that was decided."""

    layer: str  # "FrozenBatchNorm2d" or "BatchNorm2d"
    eps: float
    trained_from: str  # "coco" (fine-tuned from COCO weights), "imagenet" (from an ImageNet backbone), "scratch"
    decided_by: str  # "checkpoint" (its keys tell), "assumed" (the default guess), "given" (the caller said)


@dataclass
class InspectedModel:
    _counted_by_owner = True  # a model's bytes are not a trace's

    model: FasterRCNN
    name: str
    categories: list[str]
    device: torch.device
    source: str = field(default="")  # where the weights came from, for display
    normalization: Optional[Normalization] = None  # set for user checkpoints

    @property
    def lock(self) -> "threading.RLock":
        return model_lock(self.model)


_LOCKS: "weakref.WeakKeyDictionary[nn.Module, threading.RLock]" = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def model_lock(net: nn.Module) -> "threading.RLock":
    """The one lock of a model object. Whatever runs its modules (a capture with hooks, an RoI-head rerun, a loss)
    holds it, so no run can land in another's hooks or see another's train/eval switch, whichever session asks."""
    with _LOCKS_GUARD:
        lock = _LOCKS.get(net)
        if lock is None:
            lock = _LOCKS[net] = threading.RLock()
        return lock


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
    trained_from: str = "auto",
) -> InspectedModel:
    """Build a Faster R-CNN or Mask R-CNN by name and put it in eval mode on `device`.

    - `weights="DEFAULT"`: torchvision's COCO weights (downloaded into the torch hub cache; a file already there
      loads offline). `weights=None`: random init, also for the backbone (tests, development).
    - `checkpoint=path`: a fine-tuned state dict (plain, under "model" or "state_dict", with "module." or
      "model." prefixes); `num_classes` is read from it and `categories` (a list, or a labels file with one name
      per line) names the classes.
    - `trained_from` (checkpoints only) says how the checkpoint's training started, which decides the backbone's
      normalisation: "coco" (from COCO weights: FrozenBatchNorm2d, eps 0 for fasterrcnn_resnet50_fpn), "imagenet"
      (from an ImageNet backbone: FrozenBatchNorm2d, eps 1e-5), "scratch" (BatchNorm2d). "auto": a checkpoint
      with BatchNorm counters (num_batches_tracked) is "scratch", any other is assumed "coco".
    """
    target = resolve_device(device)
    if trained_from not in TRAINED_FROM:
        raise ModelLoadError("model.trained_from", value=trained_from, choices=", ".join(TRAINED_FROM))
    normalization = None
    if name in ("demo", "demo_mask"):
        if checkpoint is not None:
            raise ModelLoadError("model.demo_checkpoint", architectures=", ".join(_SPECS))
        model, cats, source = _load_demo(with_masks=name == "demo_mask")
    elif name not in _SPECS:
        raise ModelLoadError("model.unknown", name=name, choices=", ".join(MODEL_NAMES))
    elif checkpoint is not None:
        model, cats, source, normalization = _load_checkpoint(name, Path(checkpoint), categories, trained_from)
    elif weights is None:
        given = _read_categories(categories) if categories is not None else None
        num_classes = len(given) if given else 91
        model = _SPECS[name].builder(weights=None, weights_backbone=None, num_classes=num_classes)
        cats = given or _numbered_categories(num_classes)
        source = "random init"
    else:
        model, cats, source = _load_pretrained(name, weights)
    model.eval().to(target)
    return InspectedModel(model=model, name=name, categories=list(cats), device=target, source=source,
                          normalization=normalization)


def _load_demo(with_masks: bool = False) -> tuple[FasterRCNN, list[str], str]:
    """The embedded demo detector; `with_masks`: "demo_mask", the same box weights plus the trained mask branch."""
    try:
        from inspectors.core import demo_model
    except ImportError as e:  # pragma: no cover - only while the demo model is not committed
        raise ModelLoadError("model.demo_missing", reason=str(e)) from None
    needed = [demo_model.DEMO_WEIGHTS] + ([demo_model.DEMO_MASK_WEIGHTS] if with_masks else [])
    for path in needed:
        if not path.is_file():
            raise ModelLoadError("model.demo_missing", reason=f"expected {path}")
    cats = list(demo_model.DEMO_CATEGORIES)
    if with_masks:
        source = f"{demo_model.DEMO_WEIGHTS.name} + {demo_model.DEMO_MASK_WEIGHTS.name}"
        return demo_model.load_demo_mask_model(), cats, source
    return demo_model.load_demo_model(), cats, str(demo_model.DEMO_WEIGHTS.name)


def hub_checkpoint_path(url: str) -> Path:
    """Where torch.hub looks for (and would download) the file behind `url`."""
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(urlparse(url).path)


def _load_pretrained(name: str, weights: str) -> tuple[FasterRCNN, list[str], str]:
    spec = _SPECS[name]
    try:
        weights_obj = spec.weights_enum.verify(weights)
    except (ValueError, KeyError, AttributeError):
        raise ModelLoadError("model.unknown_weights", weights=weights, name=name) from None
    path = hub_checkpoint_path(weights_obj.url)
    try:
        model = spec.builder(weights=weights_obj, progress=True)
    except Exception as e:  # URLError, HTTPError, socket errors, a corrupt file...
        code = "model.weights_corrupt" if path.is_file() else "model.weights_unavailable"
        raise ModelLoadError(code, name=name, path=str(path), file=path.name, folder=str(path.parent),
                             url=weights_obj.url, reason=f"{type(e).__name__}: {e}") from None
    return model, list(weights_obj.meta["categories"]), path.name


def build_pretrained_architecture(name: str, num_classes: int, trained_from: str = "coco") -> FasterRCNN:
    """The architecture torchvision's builder makes for a training run that started `trained_from`, randomly
    initialised, with `num_classes`: "coco" (weights=...), "imagenet" (weights_backbone=...) or "scratch"."""
    spec = _SPECS[name]
    model = spec.builder(weights=None, weights_backbone=None, num_classes=num_classes)
    eps = _frozen_eps(name, trained_from)
    if eps is not None:
        _freeze_batchnorm(model.backbone.body, eps)
    return model


def _frozen_eps(name: str, trained_from: str) -> Optional[float]:
    """eps of the body's FrozenBatchNorm2d layers, or None when the builder keeps BatchNorm2d."""
    spec = _SPECS[name]
    if spec.frozen_bn_eps is None or trained_from == "scratch":
        return None  # the v2 model always keeps BatchNorm2d; from scratch every builder does
    # Only COCO weights are loaded with overwrite_eps(model, 0.0); an ImageNet backbone keeps the default 1e-5.
    return spec.frozen_bn_eps if trained_from == "coco" else 1e-5


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
    name: str, path: Path, categories: Union[Sequence[str], str, Path, None], trained_from: str
) -> tuple[FasterRCNN, list[str], str, Normalization]:
    if not path.is_file():
        raise ModelLoadError("checkpoint.missing", path=str(path))
    # Read the labels first: a bad labels file is cheaper to report than a large checkpoint is to load.
    names = _read_categories(categories) if categories is not None else None
    try:
        # weights_only: a checkpoint is data; a pickle that would run code on load is refused, never executed.
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        reason = _short_reason(e)
        raise ModelLoadError("checkpoint.unreadable", name=path.name, reason=f"{type(e).__name__}: {reason}") from None
    state = _unwrap_state_dict(raw, path)
    _check_finite(state, path.name)
    num_classes = int(state[_CLS_KEY].shape[0])
    normalization = _decide_normalization(name, state, trained_from, path.name)
    model = build_pretrained_architecture(name, num_classes, normalization.trained_from)
    _check_keys_and_shapes(model, state, path.name, name)
    expected = model.state_dict()
    model.load_state_dict({k: v for k, v in state.items() if k in expected}, strict=False)
    return model, _fit_categories(names, num_classes), path.name, normalization


def _check_finite(state: dict[str, Any], name: str) -> None:
    """Refuse weights with NaN or infinity (a diverged training run): they load, then every capture would fail deep
    inside torchvision. Names the first such tensor, in the checkpoint's order, and how many more there are."""
    bad = [key for key, value in state.items()
           if isinstance(value, torch.Tensor) and value.is_floating_point() and not bool(torch.isfinite(value).all())]
    if bad:
        count = int((~torch.isfinite(state[bad[0]])).sum())
        more = f" (and {len(bad) - 1} more tensors)" if len(bad) > 1 else ""
        raise ModelLoadError("checkpoint.non_finite", name=name, tensor=bad[0], count=count, more=more)


def _short_reason(error: Exception) -> str:
    """The informative part of torch.load's error: for weights_only refusals, what the unpickler objected to."""
    text = str(error).strip()
    if "WeightsUnpickler error:" in text:
        text = text.split("WeightsUnpickler error:", 1)[1].strip()
    first = text.splitlines()[0] if text else type(error).__name__
    return first[:240]


_CLS_KEY = "roi_heads.box_predictor.cls_score.weight"
_STATE_DICT_KEYS = ("model", "state_dict", "model_state_dict", "model_state", "net", "weights")


def _unwrap_state_dict(raw: object, path: Path) -> dict[str, torch.Tensor]:
    """The Faster R-CNN state dict inside what people save: plain, {"model": …}, {"state_dict": …} (Lightning,
    keys prefixed "model."), DataParallel / DDP ("module."), or any nesting of these."""
    for _ in range(3):  # {"state_dict": {"model": ...}} and the like
        if isinstance(raw, dict) and not any(isinstance(k, str) and k.endswith(_CLS_KEY) for k in raw):
            inner = next((raw[k] for k in _STATE_DICT_KEYS if isinstance(raw.get(k), dict)), None)
            if inner is None:
                break
            raw = inner
    if not isinstance(raw, dict) or not raw:
        raise ModelLoadError("checkpoint.not_state_dict", name=path.name)
    cls_keys = [k for k in raw if isinstance(k, str) and k.endswith(_CLS_KEY)]
    if not cls_keys:
        raise ModelLoadError("checkpoint.not_faster_rcnn", name=path.name, key=_CLS_KEY)
    prefix = min(cls_keys, key=len)[: -len(_CLS_KEY)]  # "", "module.", "model.", "model.module.", ...
    state = {k[len(prefix):]: v for k, v in raw.items() if isinstance(k, str) and k.startswith(prefix)}
    bad = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise ModelLoadError("checkpoint.not_state_dict", name=path.name)
    return state


def _decide_normalization(name: str, state: dict[str, torch.Tensor], trained_from: str, file_name: str
                          ) -> Normalization:
    has_counters = any(k.startswith("backbone.body.") and k.endswith("num_batches_tracked") for k in state)
    if _SPECS[name].frozen_bn_eps is None:  # fasterrcnn_resnet50_fpn_v2: BatchNorm2d however it was trained
        return Normalization("BatchNorm2d", 1e-5, trained_from if trained_from != "auto" else "scratch", "checkpoint")
    if has_counters and trained_from in ("coco", "imagenet"):
        raise ModelLoadError("checkpoint.norm_conflict", name=file_name, given=trained_from)
    if not has_counters and trained_from == "scratch":
        raise ModelLoadError("checkpoint.norm_conflict_scratch", name=file_name)
    if has_counters:
        return Normalization("BatchNorm2d", 1e-5, "scratch", "checkpoint" if trained_from == "auto" else "given")
    chosen = "coco" if trained_from == "auto" else trained_from
    eps = _frozen_eps(name, chosen)
    return Normalization("FrozenBatchNorm2d", float(eps if eps is not None else 1e-5), chosen,
                         "assumed" if trained_from == "auto" else "given")


def _check_keys_and_shapes(model: nn.Module, state: dict[str, torch.Tensor], file_name: str, name: str) -> None:
    expected = model.state_dict()
    # BatchNorm counters are bookkeeping, not weights: never a reason to refuse a checkpoint.
    ignorable = {k for k in set(state) | set(expected) if k.endswith("num_batches_tracked")}
    missing = sorted(set(expected) - set(state) - ignorable)
    unexpected = sorted(set(state) - set(expected) - ignorable)
    wrong_shape = sorted(
        f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(expected[k].shape)}"
        for k in set(state) & set(expected)
        if state[k].shape != expected[k].shape
    )
    if missing or unexpected or wrong_shape:
        parts = []
        groups = (("missing keys", missing), ("unexpected keys", unexpected), ("shape mismatches", wrong_shape))
        for label, items in groups:
            if items:
                shown = ", ".join(items[:3]) + (f", … ({len(items)} in all)" if len(items) > 3 else "")
                parts.append(f"{label}: {shown}")
        details = "; ".join(parts)
        fits = [other for other in _SPECS if other != name and _fits(other, state)]
        if fits:
            raise ModelLoadError("checkpoint.other_architecture", name=file_name, architecture=name,
                                 fits=", ".join(fits), details=details)
        raise ModelLoadError("checkpoint.mismatch", name=file_name, architecture=name, details=details)


def _fits(name: str, state: dict[str, torch.Tensor]) -> bool:
    """Whether `state` has exactly the keys and shapes of architecture `name` (built on the meta device: free)."""
    num_classes = int(state[_CLS_KEY].shape[0])
    with torch.device("meta"):
        expected = _SPECS[name].builder(weights=None, weights_backbone=None, num_classes=num_classes).state_dict()
    keys = {k for k in expected if not k.endswith("num_batches_tracked")}
    given = {k for k in state if not k.endswith("num_batches_tracked")}
    return keys == given and all(state[k].shape == expected[k].shape for k in keys)


def read_labels_file(path: Union[str, Path]) -> list[str]:
    """Class names from a UTF-8 text file, one per line (blank lines skipped); InputError-coded ModelLoadError
    for a missing, binary, non-UTF-8 or empty file."""
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError("labels.missing", path=str(path))
    data = path.read_bytes()
    try:
        if b"\x00" in data:
            raise UnicodeDecodeError("utf-8", data, data.index(b"\x00"), data.index(b"\x00") + 1, "NUL byte")
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ModelLoadError("labels.not_text", name=path.name) from None
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if not names:
        raise ModelLoadError("labels.empty", name=path.name)
    return names


def _read_categories(categories: Union[Sequence[str], str, Path]) -> list[str]:
    if isinstance(categories, (str, Path)):
        return read_labels_file(categories)
    return [str(c) for c in categories]


def _fit_categories(names: Optional[list[str]], num_classes: int) -> list[str]:
    """Index = label id with background at 0; a labels file may or may not list the background."""
    if names is None:
        return _numbered_categories(num_classes)
    if len(names) == num_classes - 1:
        return ["__background__", *names]
    if len(names) == num_classes:
        return names
    raise ModelLoadError("labels.count", names=len(names), classes=num_classes, expected=num_classes - 1)


def _numbered_categories(num_classes: int) -> list[str]:
    return ["__background__", *(f"class_{i}" for i in range(1, num_classes))]
