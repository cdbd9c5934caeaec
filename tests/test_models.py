"""Model loading: offline COCO weights from the hub cache, clear errors, and users' own checkpoints."""

from __future__ import annotations

import pytest
import torch
from conftest import noise_image
from torchvision.models.detection import FasterRCNN_MobileNet_V3_Large_320_FPN_Weights
from torchvision.ops.misc import FrozenBatchNorm2d

from inspectors import ModelLoadError, capture, load_model
from inspectors.core.models import build_pretrained_architecture, hub_checkpoint_path

NAME = "fasterrcnn_mobilenet_v3_large_320_fpn"
WEIGHTS = FasterRCNN_MobileNet_V3_Large_320_FPN_Weights.DEFAULT


def test_weights_in_the_hub_cache_load_offline_with_coco_names(_isolated_torch_home):
    path = hub_checkpoint_path(WEIGHTS.url)
    assert str(path).startswith(str(_isolated_torch_home))
    torch.manual_seed(0)
    reference = build_pretrained_architecture(NAME, num_classes=91)
    path.parent.mkdir(parents=True)
    torch.save(reference.state_dict(), path)

    inspected = load_model(NAME, device="cpu")
    assert inspected.categories[:2] == ["__background__", "person"] and len(inspected.categories) == 91
    loaded = inspected.model.state_dict()
    assert all(torch.equal(v, loaded[k]) for k, v in reference.state_dict().items())


def test_missing_weights_name_the_file_and_the_folder(monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    with pytest.raises(ModelLoadError) as err:
        load_model(NAME, device="cpu")
    message = str(err.value)
    path = hub_checkpoint_path(WEIGHTS.url)
    assert path.name in message and str(path.parent) in message and "network is unreachable" in message


def test_unknown_model_name():
    with pytest.raises(ModelLoadError, match="Unknown model"):
        load_model("yolo", weights=None)


def train_like_a_user(num_classes: int):
    """A user's fine-tuning script: torchvision's own builder with an ImageNet backbone and a new head.

    The backbone file is pre-placed in the (test) hub cache, so the real builder runs its pretrained code path
    (FrozenBatchNorm2d) without a download; the model we load must match it exactly.
    """
    from torchvision.models import MobileNet_V3_Large_Weights, mobilenet_v3_large
    from torchvision.models.detection import fasterrcnn_mobilenet_v3_large_320_fpn

    backbone_weights = MobileNet_V3_Large_Weights.DEFAULT
    path = hub_checkpoint_path(backbone_weights.url)
    if not path.is_file():
        torch.manual_seed(2)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(mobilenet_v3_large().state_dict(), path)
    torch.manual_seed(1)
    return fasterrcnn_mobilenet_v3_large_320_fpn(weights_backbone=backbone_weights, num_classes=num_classes)


@pytest.mark.slow
def test_custom_checkpoint_round_trips(tmp_path):
    model = train_like_a_user(num_classes=6).eval()
    path = tmp_path / "fish.pth"
    torch.save({"model": model.state_dict(), "epoch": 12}, path)
    labels = tmp_path / "labels.txt"
    labels.write_text("salmon\ntuna\ncod\neel\nray\n")

    inspected = load_model(NAME, checkpoint=path, categories=labels, device="cpu")
    assert inspected.categories == ["__background__", "salmon", "tuna", "cod", "eel", "ray"]
    assert any(isinstance(m, FrozenBatchNorm2d) for m in inspected.model.backbone.body.modules())
    image = noise_image(240, 320, seed=4)
    trace = capture(inspected, image)
    from inspectors.core.images import to_model_input

    with torch.inference_mode():
        expected = model([to_model_input(image)])[0]
    torch.testing.assert_close(trace.detections.boxes, expected["boxes"])
    assert torch.equal(trace.detections.labels, expected["labels"])


def test_checkpoint_without_labels_gets_numbered_classes(tmp_path):
    path = tmp_path / "plain.pth"
    torch.save(train_like_a_user(num_classes=4).state_dict(), path)
    assert load_model(NAME, checkpoint=path, device="cpu").categories == [
        "__background__", "class_1", "class_2", "class_3"]


def test_checkpoint_for_another_architecture_names_the_keys(tmp_path):
    state = train_like_a_user(num_classes=5).state_dict()
    state["roi_heads.box_head.fc6.weight"] = state["roi_heads.box_head.fc6.weight"][:, :100]
    del state["rpn.head.conv.0.0.weight"]
    state["backbone.extra.weight"] = torch.zeros(1)
    path = tmp_path / "wrong.pth"
    torch.save(state, path)
    with pytest.raises(ModelLoadError) as err:
        load_model(NAME, checkpoint=path, device="cpu")
    message = str(err.value)
    assert "rpn.head.conv.0.0.weight" in message
    assert "backbone.extra.weight" in message
    assert "roi_heads.box_head.fc6.weight" in message


def test_labels_that_do_not_fit_the_checkpoint(tmp_path):
    path = tmp_path / "five.pth"
    torch.save(train_like_a_user(num_classes=5).state_dict(), path)
    with pytest.raises(ModelLoadError, match="4 names"):
        load_model(NAME, checkpoint=path, categories=["a", "b"], device="cpu")


def test_not_a_checkpoint(tmp_path):
    path = tmp_path / "junk.pth"
    path.write_bytes(b"\x00\x01 not a pickle")
    with pytest.raises(ModelLoadError, match="not a PyTorch state dict"):
        load_model(NAME, checkpoint=path, device="cpu")


def test_weights_with_nan_or_infinity_are_refused_naming_the_first_tensor(tmp_path):
    """A diverged training run saves NaN weights: they would load, then fail deep inside a capture."""
    state = train_like_a_user(num_classes=3).state_dict()
    state["rpn.head.cls_logits.weight"][0, :3] = float("nan")
    state["roi_heads.box_predictor.bbox_pred.bias"][1] = float("inf")
    path = tmp_path / "diverged.pth"
    torch.save(state, path)
    with pytest.raises(ModelLoadError) as err:
        load_model(NAME, checkpoint=path, device="cpu")
    assert err.value.code == "checkpoint.non_finite"
    message = str(err.value)  # the RPN comes before the RoI heads in a state dict
    assert "3 non-finite values" in message and "rpn.head.cls_logits.weight" in message and "1 more" in message
