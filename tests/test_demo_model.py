"""The embedded demo detector: architecture, committed weights + metrics, offline loading, sample scenes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.ops import box_iou

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from inspectors.core import demo_model  # noqa: E402
from inspectors.core.demo_model import (  # noqa: E402
    DEMO_CATEGORIES,
    DEMO_METRICS,
    DEMO_WEIGHTS,
    build_demo_model,
    load_demo_model,
)

SAMPLES = ROOT / "sample_images"


@pytest.fixture(scope="module")
def demo():
    return load_demo_model()


def test_categories():
    assert DEMO_CATEGORIES == ["__background__", "circle", "rectangle", "triangle"]


def test_architecture_keeps_resnet50_fpn_stage_structure():
    m = build_demo_model().eval()
    assert m.transform.min_size == (384,) and m.transform.max_size == 640
    x = torch.rand(1, 3, 384, 384)
    body = m.backbone.body(x)
    assert list(body) == ["0", "1", "2", "3"]
    assert [tuple(v.shape[-2:]) for v in body.values()] == [(96, 96), (48, 48), (24, 24), (12, 12)]
    feats = m.backbone(x)
    assert list(feats) == ["0", "1", "2", "3", "pool"]
    assert [tuple(v.shape[-2:]) for v in feats.values()] == [(96, 96), (48, 48), (24, 24), (12, 12), (6, 6)]
    assert {v.shape[1] for v in feats.values()} == {m.backbone.out_channels}
    assert m.roi_heads.box_roi_pool.featmap_names == ["0", "1", "2", "3"]
    ag = m.rpn.anchor_generator
    assert len(ag.sizes) == 5 and ag.num_anchors_per_location() == [3] * 5
    assert m.roi_heads.box_predictor.cls_score.out_features == len(DEMO_CATEGORIES)
    assert m.roi_heads.score_thresh == demo_model.DEMO_CONFIG["box_score_thresh"]
    assert m.roi_heads.nms_thresh == demo_model.DEMO_CONFIG["box_nms_thresh"]


def test_weights_committed_small_and_fp16():
    assert DEMO_WEIGHTS.is_file(), DEMO_WEIGHTS
    assert DEMO_WEIGHTS.stat().st_size <= 15 * 1024 * 1024
    sd = torch.load(DEMO_WEIGHTS, map_location="cpu", weights_only=True)
    floats = [v for v in sd.values() if torch.is_floating_point(v)]
    assert floats and all(v.dtype == torch.float16 for v in floats)


def test_load_gives_an_fp32_model_in_eval_mode(demo):
    """Loading is timed in bench/, not here: a wall-clock limit in a test fails on a busy machine, not a bug."""
    m = load_demo_model()
    assert not m.training
    assert all(p.dtype == torch.float32 for p in m.parameters())


def test_metrics_file_reports_the_acceptance_numbers():
    m = json.loads(DEMO_METRICS.read_text())
    assert m["categories"] == DEMO_CATEGORIES
    ev = m["evaluation"]
    ind, ood = ev["in_distribution"], ev["out_of_distribution"]
    assert ind["mAP@0.5"] >= 0.90
    assert 0.0 <= ind["mAP@[.5:.95]"] <= ind["mAP@0.5"]
    assert ood["num_images"] > 0 and "mAP@0.5" in ood and "mAP@[.5:.95]" in ood
    assert "command" in m["training"]


def _scenes():
    gt = json.loads((SAMPLES / "shapes_annotations.json").read_text())
    names = {c["id"]: c["name"] for c in gt["categories"]}
    assert [names[i] for i in sorted(names)] == DEMO_CATEGORIES[1:]
    for im in gt["images"]:
        anns = [a for a in gt["annotations"] if a["image_id"] == im["id"]]
        yield im, anns


def test_sample_scenes_have_ground_truth():
    scenes = list(_scenes())
    assert len(scenes) >= 4
    for im, anns in scenes:
        path = SAMPLES / im["file_name"]
        assert path.is_file()
        with Image.open(path) as img:
            assert img.size == (im["width"], im["height"])
        assert 2 <= len(anns) <= 10


def test_demo_model_finds_every_object_in_the_sample_scenes(demo):
    for im, anns in _scenes():
        img = np.asarray(Image.open(SAMPLES / im["file_name"]).convert("RGB"))
        x = torch.from_numpy(img.copy()).permute(2, 0, 1).float() / 255
        with torch.inference_mode():
            out = demo([x])[0]
        keep = out["scores"] >= 0.5
        boxes, labels, scores = out["boxes"][keep], out["labels"][keep], out["scores"][keep]
        gt_boxes = torch.tensor([[a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2],
                                  a["bbox"][1] + a["bbox"][3]] for a in anns], dtype=torch.float32)
        gt_labels = torch.tensor([a["category_id"] for a in anns])
        iou = box_iou(boxes, gt_boxes) if len(boxes) else torch.zeros(0, len(anns))
        taken = torch.zeros(len(anns), dtype=torch.bool)
        fps = 0
        for d in torch.argsort(scores, descending=True).tolist():
            ok = (iou[d] >= 0.5) & (gt_labels == labels[d]) & ~taken
            if ok.any():
                taken[torch.where(ok, iou[d], torch.tensor(-1.0)).argmax()] = True
            else:
                fps += 1
        missed = [(DEMO_CATEGORIES[int(gt_labels[g])], gt_boxes[g].tolist()) for g in torch.nonzero(~taken).flatten()]
        assert not missed, f"{im['file_name']}: missed {missed}"
        assert fps <= 1, f"{im['file_name']}: {fps} false positives at score >= 0.5"


def test_photographs_and_readme():
    readme = (SAMPLES / "README.md").read_text()
    photos = [p for p in SAMPLES.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg")
              and not p.name.startswith("shapes_")]
    assert len(photos) >= 4
    for p in photos:
        assert p.name in readme
    for p in SAMPLES.glob("shapes_*.png"):
        assert p.name in readme or "shapes_*.png" in readme
    assert "CC0" in readme and "public domain" in readme.lower()
