"""Input a person can get wrong is refused at the engine's boundary with a message that names the problem."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from inspectors import InputError, ModelLoadError, capture, load_model
from inspectors.core.images import MIN_RESIZED_SIDE
from inspectors.core.thresholds import SPECS, THRESHOLD_KEYS

# --- images -------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo():
    return load_model("demo", device="cpu")


@pytest.mark.parametrize("width, height", [(50000, 2), (2, 50000), (3000, 20)])
def test_images_too_elongated_for_the_model_are_refused_with_the_limit(demo, tmp_path, width, height):
    path = tmp_path / "strip.png"
    Image.new("RGB", (width, height), (120, 30, 200)).save(path)
    with pytest.raises(InputError) as err:
        capture(demo, path)
    assert err.value.code == "image.aspect_ratio"
    message = str(err.value)
    assert f"{width}×{height}" in message and "aspect ratio" in message
    limit = demo.model.transform.max_size / MIN_RESIZED_SIDE
    assert f"{limit:.0f}:1" in message


def test_the_most_elongated_accepted_image_runs(demo):
    max_size = demo.model.transform.max_size
    long_side = 2 * max_size
    short_side = math.ceil(long_side * MIN_RESIZED_SIDE / max_size) + 1  # resized short side just above the limit
    trace = capture(demo, np.full((short_side, long_side, 3), 90, dtype=np.uint8))
    assert min(trace.resized_size) >= MIN_RESIZED_SIDE


def _write_blank_png(path, width: int, height: int) -> None:
    """A valid 8-bit greyscale PNG of zeros, compressed a row at a time."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    packer = zlib.compressobj(1)
    row = bytes(width + 1)  # filter byte 0, then the pixels
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def test_a_valid_but_enormous_image_is_too_large_not_corrupt(tmp_path):
    from inspectors import load_image

    path = tmp_path / "huge.png"
    # A real, valid 30000×30000 PNG of one colour (a few hundred KB), streamed row by row: never 900 MB in memory.
    _write_blank_png(path, 30000, 30000)
    with pytest.raises(InputError) as err:
        load_image(path)
    assert err.value.code == "image.too_many_pixels"
    assert "too large" in str(err.value) and "30000×30000" in str(err.value)


# --- thresholds ---------------------------------------------------------------------------------------------------

BAD_VALUES = [
    ("rpn_pre_nms_top_n", -5, "out_of_range"),
    ("rpn_pre_nms_top_n", 0, "out_of_range"),
    ("rpn_pre_nms_top_n", 10.5, "not_integer"),
    ("rpn_post_nms_top_n", -3, "out_of_range"),
    ("rpn_post_nms_top_n", True, "not_a_number"),
    ("rpn_nms_thresh", float("nan"), "not_finite"),
    ("rpn_nms_thresh", 1.5, "out_of_range"),
    ("rpn_score_thresh", -0.1, "out_of_range"),
    ("rpn_score_thresh", "0.5", "not_a_number"),
    ("box_score_thresh", float("inf"), "not_finite"),
    ("box_nms_thresh", float("nan"), "not_finite"),
    ("box_nms_thresh", -1e-9, "out_of_range"),
    ("box_detections_per_img", 0, "out_of_range"),
    ("box_detections_per_img", [3], "not_a_number"),
]


@pytest.mark.parametrize("key, value, kind", BAD_VALUES)
def test_replay_refuses_bad_threshold_values_naming_the_parameter_and_range(mobilenet_trace, key, value, kind):
    with pytest.raises(ValueError) as err:
        mobilenet_trace.replay(**{key: value})
    assert isinstance(err.value, InputError) and err.value.code == f"threshold.{kind}"
    assert key in str(err.value)
    if kind == "out_of_range":
        spec = SPECS[key]
        assert str(int(spec.low) if spec.integer else spec.low) in str(err.value)


def test_every_threshold_is_validated(mobilenet_trace):
    for key in THRESHOLD_KEYS:
        with pytest.raises(InputError):
            mobilenet_trace.replay(**{key: float("nan")})


def test_a_negative_post_nms_top_n_no_longer_adds_proposals(mobilenet_trace):
    with pytest.raises(InputError):
        mobilenet_trace.replay(rpn_post_nms_top_n=-3)
    assert len(mobilenet_trace.replay(rpn_post_nms_top_n=1).proposals) == 1


def test_whole_floats_and_numpy_scalars_are_accepted_for_counts(mobilenet_trace):
    replay = mobilenet_trace.replay(rpn_post_nms_top_n=20.0, box_detections_per_img=np.int64(3),
                                    box_score_thresh=np.float32(0.2))
    assert len(replay.proposals) == 20 and len(replay.detections) <= 3
    assert isinstance(replay.settings["rpn_post_nms_top_n"], int)


# --- labels files and model choices ------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "sa\u00efd\nfish\n".encode("latin-1"),
                                     b"cat\x00dog\n"])
def test_a_labels_file_that_is_not_utf8_text_is_a_clear_error(tmp_path, content):
    path = tmp_path / "labels.txt"
    path.write_bytes(content)
    with pytest.raises(ModelLoadError) as err:
        load_model("fasterrcnn_mobilenet_v3_large_320_fpn", weights=None, categories=path, device="cpu")
    assert err.value.code == "labels.not_text" and "labels.txt" in str(err.value) and "UTF-8" in str(err.value)


def test_an_empty_labels_file_is_a_clear_error(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text("\n  \n")
    with pytest.raises(ModelLoadError, match="no class names"):
        load_model("fasterrcnn_mobilenet_v3_large_320_fpn", weights=None, categories=path, device="cpu")


def test_a_labels_file_with_a_bom_and_korean_names_reads(tmp_path):
    from inspectors import read_labels_file

    path = tmp_path / "labels.txt"
    path.write_bytes("\ufeff물고기\n고양이\r\n".encode("utf-8"))
    assert read_labels_file(path) == ["물고기", "고양이"]


def test_the_demo_model_refuses_a_checkpoint_instead_of_ignoring_it(tmp_path):
    path = tmp_path / "mine.pth"
    path.write_bytes(b"anything")
    with pytest.raises(ModelLoadError) as err:
        load_model("demo", checkpoint=path)
    assert err.value.code == "model.demo_checkpoint" and "fasterrcnn_resnet50_fpn" in str(err.value)


def test_a_pickle_that_would_run_code_on_load_is_refused_and_never_runs(tmp_path):
    import pickle

    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.pth"
    with open(path, "wb") as handle:
        pickle.dump({"model": Exploit()}, handle)
    with pytest.raises(ModelLoadError) as err:
        load_model("fasterrcnn_mobilenet_v3_large_320_fpn", checkpoint=path, device="cpu")
    assert err.value.code == "checkpoint.unreadable"
    assert not marker.exists()
