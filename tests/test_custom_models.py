"""Custom checkpoints in a shared app: each session keeps what it loaded, under names that never collide."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from app import handlers
from app.handlers import UserError
from app.testing import example_image, make_lens

ARCH = "fasterrcnn_mobilenet_v3_large_320_fpn"


def _checkpoint(folder: Path, seed: int, trained_from: str = "scratch") -> Path:
    from inspectors.core.models import build_pretrained_architecture

    torch.manual_seed(seed)
    model = build_pretrained_architecture(ARCH, 3, trained_from)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "model.pth"
    torch.save(model.state_dict(), path)
    return path


def _weights(lens, name: str, session: str) -> torch.Tensor:
    return lens.store.get(name, session).model.roi_heads.box_predictor.cls_score.weight


def test_two_people_with_a_model_pth_each_keep_their_own(tmp_path: Path) -> None:
    lens = make_lens()
    alice = handlers.register_custom_model(lens, "alice", ARCH, str(_checkpoint(tmp_path / "a", seed=1)), None)
    bob = handlers.register_custom_model(lens, "bob", ARCH, str(_checkpoint(tmp_path / "b", seed=2)), None)
    assert alice != bob and alice.startswith("custom: model") and bob.startswith("custom: model")
    assert alice in lens.store.choices("alice") and alice not in lens.store.choices("bob")
    assert bob in lens.store.choices("bob") and bob not in lens.store.choices("alice")
    assert not torch.equal(_weights(lens, alice, "alice"), _weights(lens, bob, "bob"))
    with pytest.raises(UserError, match="Unknown model"):
        handlers.get_model(lens, alice, "bob")


def test_a_model_evicted_from_memory_reloads_after_the_upload_is_gone(tmp_path: Path) -> None:
    lens = make_lens()
    upload = _checkpoint(tmp_path / "gradio-temp", seed=3)
    name = handlers.register_custom_model(lens, "s", ARCH, str(upload), None)
    before = _weights(lens, name, "s").clone()
    upload.unlink()  # Gradio's cache cleanup deletes uploads after two hours
    lens.store._loaded.clear()  # evicted from the memory cache (as max_models does)
    assert torch.equal(_weights(lens, name, "s"), before)
    session = handlers.inspect_image(lens, "s", example_image(tmp_path), name)
    assert session.trace.model_name == ARCH


def test_a_failed_load_keeps_the_earlier_good_model_of_the_same_name(tmp_path: Path) -> None:
    lens = make_lens()
    good = handlers.register_custom_model(lens, "s", ARCH, str(_checkpoint(tmp_path / "good", seed=4)), None)
    broken = tmp_path / "bad" / "model.pth"
    broken.parent.mkdir()
    broken.write_bytes(b"\x00 not a checkpoint")
    with pytest.raises(UserError, match="could not be loaded.*model.pth is not a PyTorch state dict"):
        handlers.register_custom_model(lens, "s", ARCH, str(broken), None)
    assert good in lens.store.choices("s")
    assert handlers.get_model(lens, good, "s") is lens.store.get(good, "s")


def test_the_same_file_from_two_sessions_is_one_model_in_memory(tmp_path: Path) -> None:
    lens = make_lens()
    path = _checkpoint(tmp_path, seed=5)
    first = handlers.register_custom_model(lens, "s1", ARCH, str(path), None)
    second = handlers.register_custom_model(lens, "s2", ARCH, str(path), None)
    assert first == second
    assert lens.store.get(first, "s1") is lens.store.get(second, "s2")


def test_the_normalisation_assumed_is_stated(tmp_path: Path) -> None:
    from app.views import normalization_text

    lens = make_lens()
    path = _checkpoint(tmp_path, seed=6, trained_from="imagenet")
    name = handlers.register_custom_model(lens, "s", ARCH, str(path), None, "imagenet")
    text = normalization_text(lens.store.get(name, "s").normalization)
    assert "FrozenBatchNorm2d" in text and "ImageNet" in text
