"""Smoke tests for the demo detector's training pipeline (generator, training script, evaluation)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from inspectors.dataset import scenes as ss

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow]


def test_generator_is_seeded_and_valid():
    a, b = ss.make_scene(5, 3, "train", 384), ss.make_scene(5, 3, "train", 384)
    assert np.array_equal(np.asarray(a.image), np.asarray(b.image))
    assert np.array_equal(a.boxes, b.boxes)
    c = ss.make_scene(5, 4, "train", 384)
    assert not np.array_equal(np.asarray(a.image), np.asarray(c.image))
    for style in ("train", "val", "ood"):
        for i in range(3):
            sc = ss.make_scene(1, i, style, 384)
            w, h = sc.image.size
            assert sc.image.mode == "RGB"
            assert 2 <= len(sc.objects) <= 10
            bx = sc.boxes
            assert (bx[:, 0] >= 0).all() and (bx[:, 1] >= 0).all()
            assert (bx[:, 2] <= w).all() and (bx[:, 3] <= h).all()
            assert (bx[:, 2] > bx[:, 0]).all() and (bx[:, 3] > bx[:, 1]).all()
            assert set(sc.labels.tolist()) <= {1, 2, 3}


def test_coco_export_loads_in_pycocotools(tmp_path):
    from pycocotools.coco import COCO

    path = ss.write_dataset(str(tmp_path), num=2, seed=0, style="val", size=128)
    coco = COCO(path)
    assert len(coco.getImgIds()) == 2
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ss.CLASSES
    assert len(coco.getAnnIds()) >= 4


def test_training_script_two_iterations(tmp_path):
    from inspectors.core.demo_model import build_demo_model, load_demo_model
    from training import train_demo

    threads = torch.get_num_threads()
    out = tmp_path / "run"
    try:
        metrics = train_demo.main([
            "--out", str(out), "--iters", "2", "--batch-size", "2", "--image-size", "128",
            "--train-min-sizes", "128", "--warmup", "1", "--workers", "0", "--eval-num", "2",
            "--threads", str(threads), "--no-progress", "--log-every", "1", "--export-dir", str(tmp_path / "export"),
        ])
    finally:
        torch.set_num_threads(threads)
    assert metrics["training"]["iterations"] == 2
    w = tmp_path / "export" / train_demo.WEIGHTS_NAME
    assert w.is_file() and (out / "checkpoint.pt").is_file()
    m = json.loads((tmp_path / "export" / train_demo.METRICS_NAME).read_text())
    for key in ("in_distribution", "out_of_distribution"):
        assert "mAP@0.5" in m["evaluation"][key] and "mAP@[.5:.95]" in m["evaluation"][key]
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in log] == [1, 2] and all(np.isfinite(r["loss"]) for r in log)
    model = load_demo_model(w)
    assert not model.training
    assert set(model.state_dict()) == set(build_demo_model().state_dict())
