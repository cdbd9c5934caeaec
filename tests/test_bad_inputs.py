"""A corpus of bad input, tried as a new user would: every one gets a readable answer and the server keeps answering.

Images, model names and threshold values go through the real server (gradio_client); labels files and checkpoints
through the handler the custom-checkpoint panel calls (that event is not part of the public API).
"""
from __future__ import annotations

import io
import json
import pickle
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import torch
from gradio_client import Client, handle_file
from PIL import Image

from app import handlers
from app.handlers import UserError
from app.testing import example_image, make_lens

DEFAULTS = {"rpn_pre_nms_top_n": 1000, "rpn_nms_thresh": 0.7, "rpn_post_nms_top_n": 1000, "rpn_score_thresh": 0.0,
            "box_score_thresh": 0.05, "box_nms_thresh": 0.5, "box_detections_per_img": 100}


def assert_readable(message: str) -> None:
    """One or two sentences a person can act on: no traceback, no bare exception class, no file-system path of
    Gradio's temp folder, no unescaped HTML."""
    assert message and len(message) < 700, message
    for marker in ("Traceback", 'File "', "NoneType", "object has no attribute", "<img", "<script", "/tmp/gradio"):
        assert marker not in message, message
    assert not message.split(":")[0].strip().endswith(("Error", "Exception")) or " " in message.split(":")[0], message


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _sample_bytes() -> bytes:
    return Path(example_image("/tmp")).read_bytes()


def _jpeg(image: Image.Image, **kwargs: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", **kwargs)
    return out.getvalue()


def _exif_rotated() -> bytes:
    image = Image.new("RGB", (120, 60), (200, 30, 30))
    exif = image.getexif()
    exif[274] = 6  # rotate 90° on display
    return _jpeg(image, exif=exif)


def _gif() -> bytes:
    frames = [Image.new("P", (80, 60), i * 40) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    return out.getvalue()


def _tiff_pages() -> bytes:
    out = io.BytesIO()
    pages = [Image.new("RGB", (64, 48), (i * 60, 0, 0)) for i in range(2)]
    pages[0].save(out, format="TIFF", save_all=True, append_images=pages[1:])
    return out.getvalue()


def _float_with_nan() -> bytes:
    values = np.random.default_rng(0).random((64, 64), dtype=np.float32)
    values[10:20, 10:20] = np.nan
    out = io.BytesIO()
    Image.fromarray(values, "F").save(out, format="TIFF")
    return out.getvalue()


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "hello")
    return out.getvalue()


def _cmyk() -> bytes:
    return _jpeg(Image.new("CMYK", (90, 70), (0, 120, 200, 10)))


def _palette_transparent() -> bytes:
    image = Image.new("P", (90, 70), 3)
    image.info["transparency"] = 3
    return _png(image)


# (name, file name, bytes) — images a person might upload; "ok" cases must give a sensible result, the rest a
# readable error.
IMAGES: list[tuple[str, str, Callable[[], bytes], bool]] = [
    ("zero bytes", "empty.png", lambda: b"", False),
    ("text named .png", "notes.png", lambda: b"just some text\n" * 20, False),
    ("html named .jpg", "page.jpg", lambda: b"<html><body>hi</body></html>", False),
    ("truncated png", "cut.png", lambda: _sample_bytes()[:5000], False),
    ("truncated jpeg", "cut.jpg", lambda: _jpeg(Image.new("RGB", (300, 300), (9, 99, 200)))[:400], False),
    ("png signature then garbage", "garbage.png", lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, False),
    ("1x1 pixel", "dot.png", lambda: _png(Image.new("RGB", (1, 1))), False),
    ("1x500 line", "line.png", lambda: _png(Image.new("RGB", (1, 500))), False),
    ("50000x2 strip", "strip.png", lambda: _png(Image.new("L", (50000, 2))), False),
    ("2x50000 strip", "tall.png", lambda: _png(Image.new("L", (2, 50000))), False),
    ("30000x30000 valid but huge", "huge.png", lambda: _png(Image.new("1", (30000, 30000))), False),
    ("svg", "drawing.svg", lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', False),
    ("pdf", "paper.pdf", lambda: b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", False),
    ("zip named .png", "photos.png", _zip, False),
    ("script in the file name", "<img src=x onerror=alert(1)>.png", lambda: b"not an image", False),
    ("over the upload cap", "big.png", lambda: b"\x00" * (21 * 1024 * 1024), False),
    ("animated gif", "anim.gif", _gif, True),
    ("16-bit grey png", "deep.png", lambda: _png(Image.fromarray(np.arange(120 * 90, dtype=np.uint16)
                                                                 .reshape(90, 120) * 7, "I;16")), True),
    ("palette with transparency", "palette.png", _palette_transparent, True),
    ("cmyk jpeg", "print.jpg", _cmyk, True),
    ("fully transparent rgba", "clear.png", lambda: _png(Image.new("RGBA", (80, 60), (0, 0, 0, 0))), True),
    ("exif rotated jpeg", "phone.jpg", _exif_rotated, True),
    ("multi-page tiff", "scan.tif", _tiff_pages, True),
    ("float tiff with NaN", "nan.tif", _float_with_nan, True),
    ("bmp", "old.bmp", lambda: (lambda o: (Image.new("RGB", (70, 50), 5).save(o, "BMP"), o.getvalue())[1])(
        io.BytesIO()), True),
    ("webp", "web.webp", lambda: (lambda o: (Image.new("RGB", (70, 50), 9).save(o, "WEBP"), o.getvalue())[1])(
        io.BytesIO()), True),
    ("all black", "black.png", lambda: _png(Image.new("RGB", (200, 150))), True),
]

THRESHOLD_CASES = [
    ("negative count", {"rpn_post_nms_top_n": -3}, r"Post-NMS top-n.*-3.*1"),
    ("zero count", {"rpn_pre_nms_top_n": 0}, r"Pre-NMS top-n.*0"),
    ("fractional count", {"box_detections_per_img": 10.5}, r"whole number"),
    ("text", {"rpn_nms_thresh": "abc"}, r"RPN NMS IoU.*number"),
    ("missing", {"box_nms_thresh": None}, r"Missing.*Detection NMS IoU"),
    ("IoU above 1", {"box_nms_thresh": 1.5}, r"Detection NMS IoU.*1.5"),
    ("negative score", {"rpn_score_thresh": -0.2}, r"RPN score.*-0.2"),
    ("absurd count", {"box_detections_per_img": 10**12}, r"Detections per image"),
    ("boolean", {"rpn_pre_nms_top_n": True}, r"Pre-NMS top-n.*number"),
    ("list", {"box_score_thresh": [0.5]}, r"Detection score.*number"),
]


@pytest.fixture(scope="module")
def client(app_url: str) -> Client:
    return Client(app_url, verbose=False)


@pytest.fixture(scope="module")
def good_image(tmp_path_factory: pytest.TempPathFactory) -> str:
    return example_image(tmp_path_factory.mktemp("good"))


def _error_of(call: Callable[[], Any]) -> str | None:
    try:
        call()
    except Exception as error:   # gradio_client raises AppError with the server's message
        return str(error)
    return None


@pytest.mark.parametrize("name, file_name, make, sensible", IMAGES, ids=[case[0] for case in IMAGES])
def test_uploads(client: Client, tmp_path: Path, name: str, file_name: str, make: Callable[[], bytes],
                 sensible: bool) -> None:
    path = tmp_path / file_name
    path.write_bytes(make())
    result: dict[str, Any] = {}

    def call() -> None:
        result["summary"] = client.predict(handle_file(str(path)), "demo", api_name="/inspect")[0]

    error = _error_of(call)
    if sensible:
        assert error is None, f"{name}: {error}"
        assert result["summary"]["image_size"]["width"] >= 2
    else:
        assert error is not None, f"{name} was accepted"
        assert_readable(error)


@pytest.mark.parametrize("name, change, expected", THRESHOLD_CASES, ids=[case[0] for case in THRESHOLD_CASES])
def test_threshold_values(client: Client, good_image: str, name: str, change: dict, expected: str) -> None:
    import re

    client.predict(handle_file(good_image), "demo", api_name="/inspect")
    values = {**DEFAULTS, **change}
    error = _error_of(lambda: client.predict(*values.values(), api_name="/rethreshold"))
    assert error is not None and re.search(expected, error), error
    assert_readable(error)


@pytest.mark.parametrize("model", ["yolo", "", "custom: someone else's · 0123abcd"])
def test_model_names(client: Client, good_image: str, model: str) -> None:
    error = _error_of(lambda: client.predict(handle_file(good_image), model, api_name="/inspect"))
    assert error is not None and "Unknown model" in error
    assert_readable(error)


def test_rethreshold_before_any_image(app_url: str) -> None:
    error = _error_of(lambda: Client(app_url, verbose=False).predict(*DEFAULTS.values(), api_name="/rethreshold"))
    assert error is not None and "Inspect an image first" in error


# --- labels files and checkpoints (the custom-checkpoint panel's handler) ----------------------------------------

ARCH = "fasterrcnn_mobilenet_v3_large_320_fpn"


def _state(classes: int = 3, arch: str = ARCH) -> dict:
    from inspectors.core.models import build_pretrained_architecture

    torch.manual_seed(0)
    return build_pretrained_architecture(arch, classes, "scratch").state_dict()


def _demo_state() -> dict:
    from inspectors.core.demo_model import build_demo_model

    return build_demo_model().state_dict()


class _Exploit:
    def __reduce__(self):
        return (eval, ("__import__('pathlib').Path('/tmp/rcnn-lens-pwned').touch()",))


def _torch_bytes(obj: Any) -> bytes:
    out = io.BytesIO()
    torch.save(obj, out)
    return out.getvalue()


CHECKPOINTS: list[tuple[str, Callable[[], bytes], Callable[[], bytes] | None, str]] = [
    ("code-running pickle", lambda: pickle.dumps({"model": _Exploit()}), None, "can be loaded safely"),
    ("zero bytes", lambda: b"", None, "not a PyTorch state dict"),
    ("text named .pth", lambda: b"weights go here", None, "not a PyTorch state dict"),
    ("truncated", lambda: _torch_bytes(_state())[:100_000], None, "not a PyTorch state dict"),
    ("another architecture", lambda: _torch_bytes(_demo_state()), None, "does not fit"),
    ("a classifier, not a detector", lambda: _torch_bytes({"fc.weight": torch.zeros(10, 5)}), None,
     "not a Faster R-CNN"),
    ("no tensors", lambda: _torch_bytes({"epoch": 3, "lr": 0.1}), None, "not a Faster R-CNN"),
    ("labels that do not fit", lambda: _torch_bytes(_state(classes=3)), lambda: b"a\nb\nc\nd\ne\n",
     "5 names but the checkpoint predicts 3"),
    ("binary labels", lambda: _torch_bytes(_state()), lambda: b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8 text"),
    ("latin-1 labels", lambda: _torch_bytes(_state()), lambda: "caf\xe9\nthé\n".encode("latin-1"), "not UTF-8"),
    ("empty labels", lambda: _torch_bytes(_state()), lambda: b"\n\n", "no class names"),
    ("trained-from that contradicts the file", lambda: _torch_bytes(_state()), None, "num_batches_tracked"),
]


@pytest.mark.parametrize("name, checkpoint, labels, expected", CHECKPOINTS, ids=[c[0] for c in CHECKPOINTS])
def test_checkpoints_and_labels(tmp_path: Path, name: str, checkpoint: Callable[[], bytes],
                                labels: Callable[[], bytes] | None, expected: str) -> None:
    lens = make_lens()
    path = tmp_path / "model.pth"
    path.write_bytes(checkpoint())
    labels_path = None
    if labels is not None:
        labels_path = tmp_path / "labels.txt"
        labels_path.write_bytes(labels())
    trained_from = "coco" if name.startswith("trained-from") else "auto"
    with pytest.raises(UserError) as err:
        handlers.register_custom_model(lens, "s", ARCH, str(path), str(labels_path) if labels_path else None,
                                       trained_from)
    assert expected in str(err.value), str(err.value)
    assert_readable(str(err.value))
    assert not Path("/tmp/rcnn-lens-pwned").exists()
    assert lens.store.choices("s") == lens.store.choices()


def test_the_server_still_answers_after_the_corpus(client: Client, good_image: str) -> None:
    summary = client.predict(handle_file(good_image), "demo", api_name="/inspect")[0]
    assert summary["counts"]["detections"] > 0
    json.dumps(summary)
