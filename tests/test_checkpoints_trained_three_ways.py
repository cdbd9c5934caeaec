"""A user's checkpoint loads into exactly the model their training code ran, however the training started.

The three common recipes, each made here with torchvision's own builder (weights pre-placed in the test's hub cache,
so nothing downloads):
- fine-tuned from COCO weights (`weights=...`): FrozenBatchNorm2d, eps 0 (torchvision's overwrite_eps);
- fine-tuned from an ImageNet backbone only (`weights_backbone=...`): FrozenBatchNorm2d, eps 1e-5;
- trained from scratch (neither): BatchNorm2d, eps 1e-5, with num_batches_tracked in its state dict.
Small running variances (as real ImageNet statistics have) make the eps visible in the output.
"""

from __future__ import annotations

import pytest
import torch
from conftest import noise_image
from torchvision.models import ResNet50_Weights
from torchvision.models.detection import FasterRCNN_ResNet50_FPN_Weights, fasterrcnn_resnet50_fpn
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor

from inspectors import ModelLoadError, capture, load_model
from inspectors.core.images import to_model_input
from inspectors.core.models import build_pretrained_architecture, hub_checkpoint_path

pytestmark = [pytest.mark.slow]

NAME = "fasterrcnn_resnet50_fpn"
CLASSES = ["salmon", "tuna"]


def _small_variances(state: dict, seed: int) -> dict:
    """Running variances of 1e-4…1e-3 with gamma = √var (activations keep their scale), so that eps 0 vs 1e-5
    changes every layer's output by up to a few percent, as with real ImageNet statistics."""
    generator = torch.Generator().manual_seed(seed)
    out = dict(state)
    for key, value in state.items():
        if key.endswith("running_var") and key.startswith(("backbone.body.", "layer", "conv", "bn")):
            var = torch.rand(value.shape, generator=generator) * 9e-4 + 1e-4
            out[key] = var
            out[key[: -len("running_var")] + "weight"] = var.sqrt()
    return out


def _place(url: str, state: dict) -> None:
    path = hub_checkpoint_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)


def _coco_finetune():
    torch.manual_seed(0)
    _place(FasterRCNN_ResNet50_FPN_Weights.COCO_V1.url,
           _small_variances(build_pretrained_architecture(NAME, 91).state_dict(), 1))
    model = fasterrcnn_resnet50_fpn(weights=FasterRCNN_ResNet50_FPN_Weights.COCO_V1, weights_backbone=None)
    model.roi_heads.box_predictor = FastRCNNPredictor(1024, len(CLASSES) + 1)
    return model


def _imagenet_finetune():
    from torchvision.models import resnet50

    torch.manual_seed(0)
    _place(ResNet50_Weights.IMAGENET1K_V1.url, _small_variances(resnet50().state_dict(), 2))
    return fasterrcnn_resnet50_fpn(weights=None, weights_backbone=ResNet50_Weights.IMAGENET1K_V1,
                                   num_classes=len(CLASSES) + 1)


def _from_scratch():
    torch.manual_seed(0)
    model = fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=len(CLASSES) + 1)
    model.load_state_dict(_small_variances(model.state_dict(), 3))
    return model


# (recipe, how the user saved it, trained_from given to the loader, normalisation expected)
RECIPES = [
    (_coco_finetune, "plain", "auto", ("FrozenBatchNorm2d", 0.0, "coco", "assumed")),
    (_imagenet_finetune, "lightning", "imagenet", ("FrozenBatchNorm2d", 1e-5, "imagenet", "given")),
    (_from_scratch, "ddp", "auto", ("BatchNorm2d", 1e-5, "scratch", "checkpoint")),
]


def _save(model, how: str, path) -> None:
    state = model.state_dict()
    if how == "lightning":
        torch.save({"state_dict": {f"model.{k}": v for k, v in state.items()}, "epoch": 3}, path)
    elif how == "ddp":
        torch.save({"model": {f"module.{k}": v for k, v in state.items()}, "optimizer": {}}, path)
    else:
        torch.save(state, path)


@pytest.mark.parametrize("recipe, how, trained_from, expected", RECIPES, ids=["coco", "imagenet", "scratch"])
def test_checkpoints_trained_each_way_give_the_users_own_detections(tmp_path, recipe, how, trained_from, expected):
    users_model = recipe().eval()
    path = tmp_path / "fish.pth"
    _save(users_model, how, path)
    image = noise_image(200, 260, seed=7)
    with torch.inference_mode():
        theirs = users_model([to_model_input(image)])[0]

    inspected = load_model(NAME, checkpoint=path, categories=CLASSES, device="cpu", trained_from=trained_from)
    norm = inspected.normalization
    assert (norm.layer, norm.eps, norm.trained_from, norm.decided_by) == expected
    ours = capture(inspected, image).native_detections
    assert ours["boxes"].shape == theirs["boxes"].shape and len(theirs["boxes"]) > 0
    torch.testing.assert_close(ours["boxes"], theirs["boxes"], rtol=0, atol=1e-4)
    torch.testing.assert_close(ours["scores"], theirs["scores"], rtol=0, atol=1e-5)
    assert torch.equal(ours["labels"], theirs["labels"])


def test_the_wrong_assumption_would_show_different_features(tmp_path):
    """Why the option exists: an ImageNet-started checkpoint read with COCO's eps 0 computes other maps."""
    path = tmp_path / "fish.pth"
    _save(_imagenet_finetune().eval(), "plain", path)
    x = torch.rand(1, 3, 128, 160, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        right = load_model(NAME, checkpoint=path, device="cpu", trained_from="imagenet").model.backbone.body(x)["3"]
        wrong = load_model(NAME, checkpoint=path, device="cpu", trained_from="coco").model.backbone.body(x)["3"]
    assert (right - wrong).abs().max() > 1e-3 * right.abs().max()


def test_what_the_state_dict_tells_overrides_nothing_silently(tmp_path):
    path = tmp_path / "scratch.pth"
    _save(_from_scratch(), "plain", path)
    with pytest.raises(ModelLoadError) as err:
        load_model(NAME, checkpoint=path, device="cpu", trained_from="coco")
    assert err.value.code == "checkpoint.norm_conflict" and "num_batches_tracked" in str(err.value)
