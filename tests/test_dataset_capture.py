"""A dataset capture: compact records, a manifest that says what made it, resumable after an interruption, and
refusals (with coded messages) for what it cannot serve."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from inspectors import DatasetCapture, InputError, capture_dataset, load_model
from inspectors.dataset import capture as capture_module
from inspectors.dataset.manifest import FORMAT_VERSION

pytestmark = [pytest.mark.slow, pytest.mark.dataset]


def record_arrays(folder):
    """Every array of every record file of a capture, by (record, name)."""
    out = {}
    for path in sorted((folder / "records").glob("*.npz")):
        with np.load(path) as data:
            for name in data.files:
                out[(path.name, name)] = data[name]
    return out


def test_manifest_and_records(demo_capture, demo_model):
    dataset = demo_capture
    manifest = dataset.manifest
    assert manifest["complete"] and manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"]["name"] == "demo" and len(manifest["model"]["state_dict_sha256"]) == 64
    assert manifest["max_pre_nms_top_n"] == demo_model.model.rpn._pre_nms_top_n["testing"] == 1000
    assert manifest["ranges"]["rpn_pre_nms_top_n"] == [1, 1000]
    assert len(dataset) == 8 and len(list((dataset.path / "records").glob("*.npz"))) == 8
    record = dataset.record(0)
    # Only what replay needs: per-level top-n candidates with their RoI-head outputs; no feature maps.
    assert record.class_logits.shape == (record.anchor.shape[0], 4)
    assert record.box_regression.shape == (record.anchor.shape[0], 16)
    assert record.class_logits.dtype == np.float32 and record.box.dtype == np.float32
    assert list(record.level_top) == [min(1000, int(n)) for n in record.level_count]
    assert record.original_size == (384, 384) and len(record.ground_truth) > 0
    assert 100_000 < manifest["capture"]["record_bytes"] / len(dataset) < 1_000_000


def test_an_interrupted_capture_resumes_to_the_same_records(demo_capture, demo_model, demo_scenes, tmp_path,
                                                            monkeypatch):
    images, annotations = demo_scenes
    out = tmp_path / "resumed"
    written = []
    original = capture_module.write_atomically

    def interrupted(path, data):
        if len(written) == 3:
            raise KeyboardInterrupt  # the user pressed Ctrl-C after three images
        original(path, data)
        written.append(path)

    monkeypatch.setattr(capture_module, "write_atomically", interrupted)
    with pytest.raises(KeyboardInterrupt):
        capture_dataset(demo_model, images, annotations, out, progress=False, threads=1)
    assert len(list((out / "records").glob("*.npz"))) == 3
    with pytest.raises(InputError) as error:
        DatasetCapture.open(out)
    assert error.value.code == "dataset.incomplete" and "3 of 8" in str(error.value)
    (out / "records" / ".000005.npz.999.tmp").write_bytes(b"half a record")  # a write cut by a crash

    monkeypatch.setattr(capture_module, "write_atomically", original)
    resumed = capture_dataset(demo_model, images, annotations, out, progress=False, threads=1)
    runs = resumed.manifest["capture"]["runs"]
    assert [r["images"] for r in runs] == [5]  # only the missing five were captured
    assert not list((out / "records").glob(".*.tmp"))
    ours, reference = record_arrays(out), record_arrays(demo_capture.path)
    assert ours.keys() == reference.keys()
    for key in reference:
        assert np.array_equal(ours[key], reference[key]), key
    assert resumed.evaluate().ap == demo_capture.evaluate().ap


def test_a_capture_is_refused_for_another_model(demo_capture, demo_scenes):
    images, annotations = demo_scenes
    other = load_model("demo", device="cpu")
    with torch.no_grad():
        other.model.roi_heads.box_predictor.cls_score.bias[0] += 0.01
    with pytest.raises(InputError) as error:
        capture_dataset(other, images, annotations, demo_capture.path, progress=False)
    assert error.value.code == "dataset.other_model"
    with pytest.raises(InputError) as error:
        DatasetCapture.open(demo_capture.path, model=other)
    assert error.value.code == "dataset.other_model"


def test_a_capture_is_refused_for_other_images_or_annotations(demo_capture, demo_model, demo_scenes, tmp_path):
    images, annotations = demo_scenes
    gt = json.loads(annotations.read_text())
    gt["annotations"][0]["bbox"][0] += 1.0
    (tmp_path / "changed.json").write_text(json.dumps(gt))
    with pytest.raises(InputError) as error:
        capture_dataset(demo_model, images, tmp_path / "changed.json", demo_capture.path, progress=False)
    assert error.value.code == "dataset.other_dataset"
    with pytest.raises(InputError) as error:
        capture_dataset(demo_model, images, annotations, demo_capture.path, progress=False, max_pre_nms_top_n=500)
    assert error.value.code == "dataset.other_settings"


def test_a_capture_of_another_format_version_is_refused(demo_capture, demo_model, demo_scenes, tmp_path):
    copy = tmp_path / "old"
    shutil.copytree(demo_capture.path, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError) as error:
        DatasetCapture.open(copy)
    assert error.value.code == "dataset.format_version"
    with pytest.raises(InputError) as error:
        capture_dataset(demo_model, *demo_scenes, copy, progress=False)
    assert error.value.code == "dataset.format_version"


def test_a_folder_with_other_files_is_refused(demo_model, demo_scenes, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InputError) as error:
        capture_dataset(demo_model, *demo_scenes, tmp_path, progress=False)
    assert error.value.code == "dataset.not_empty"
    with pytest.raises(InputError) as error:
        DatasetCapture.open(tmp_path)
    assert error.value.code == "dataset.capture_missing"


def test_a_list_of_images_and_sizes_checked_before_any_work(demo_model, demo_scenes, tmp_path):
    images, annotations = demo_scenes
    files = sorted(images.glob("*.png"))[:2]
    dataset = capture_dataset(demo_model, files, annotations, tmp_path / "two", progress=False, threads=1)
    assert len(dataset) == 2 and dataset.manifest["dataset"]["num_missing_images"] == 6
    gt = json.loads(annotations.read_text())
    gt["images"][1]["width"] = 500
    (tmp_path / "wrong.json").write_text(json.dumps(gt))
    with pytest.raises(InputError) as error:
        capture_dataset(demo_model, images, tmp_path / "wrong.json", tmp_path / "wrong", progress=False)
    assert error.value.code == "dataset.size_mismatch"
    assert not (tmp_path / "wrong").exists()  # refused before writing anything


def test_unknown_engine_is_refused(demo_model, demo_scenes, tmp_path):
    with pytest.raises(InputError) as error:
        capture_dataset(demo_model, *demo_scenes, tmp_path / "x", engine="spark", progress=False)
    assert error.value.code == "dataset.unknown_engine"
