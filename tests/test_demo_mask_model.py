"""demo_mask: the demo's box model plus a trained mask branch (committed weights, metrics, offline loading,
the segm evaluation pipeline, and the mask-only training script)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from inspectors.core.demo_model import (
    DEMO_MASK_METRICS,
    DEMO_MASK_WEIGHTS,
    DEMO_WEIGHTS,
    build_demo_mask_model,
    load_demo_mask_model,
    load_demo_state_dict,
)
from inspectors.core.models import load_model
from inspectors.dataset.scenes import coco_dict, make_scene
from training.evaluate_demo import coco_eval, mask_dets, predict
from training.train_demo import ShapesStream
from training.train_demo_mask import is_mask_key, prepare_model

pytestmark = [pytest.mark.slow]

MB = 1_000_000


def _tensor(image) -> torch.Tensor:
    return torch.from_numpy(np.asarray(image, dtype=np.uint8).copy()).permute(2, 0, 1).float() / 255


@pytest.fixture(scope="module")
def scene():
    return make_scene(1000, 3, "val", 384)


def test_demo_mask_loads_offline_and_keeps_the_demo_boxes(scene):
    mask_model, demo = load_model("demo_mask"), load_model("demo")
    assert mask_model.categories == demo.categories
    x = _tensor(scene.image)
    with torch.inference_mode():
        a, b = mask_model.model([x])[0], demo.model([x])[0]
    assert len(b["boxes"]) > 0
    for key in ("boxes", "labels", "scores"):  # the same weights and the same computation: exactly equal
        assert torch.equal(a[key], b[key]), key
    masks = a["masks"]
    assert masks.dtype == torch.float32 and masks.shape == (len(a["boxes"]), 1, *x.shape[1:])
    assert float(masks.min()) >= 0.0 and float(masks.max()) <= 1.0
    assert float(masks.max()) > 0.5  # some pixel is in a mask


def test_committed_mask_file_holds_only_the_mask_branch_in_fp16():
    sd = torch.load(DEMO_MASK_WEIGHTS, map_location="cpu", weights_only=True)
    model_keys = set(build_demo_mask_model().state_dict())
    expected = {k for k in model_keys if is_mask_key(k)}
    assert set(sd) == expected and expected
    assert all(v.dtype == torch.float16 for v in sd.values())
    assert DEMO_MASK_WEIGHTS.stat().st_size + DEMO_WEIGHTS.stat().st_size <= 15 * MB


def test_mask_metrics_json_reports_segm_on_both_sets():
    m = json.loads(DEMO_MASK_METRICS.read_text())
    assert m["weights_bytes"] == DEMO_MASK_WEIGHTS.stat().st_size
    assert m["box_weights_bytes"] == DEMO_WEIGHTS.stat().st_size
    ev = m["evaluation"]
    box_metrics = json.loads(DEMO_WEIGHTS.with_name("demo_shapes_metrics.json").read_text())["evaluation"]
    for key in ("in_distribution", "out_of_distribution"):
        assert ev[key]["num_images"] == box_metrics[key]["num_images"]
        assert ev[key]["mAP@0.5"] == pytest.approx(box_metrics[key]["mAP@0.5"], abs=1e-4)  # same box model
        segm = ev[key]["segm"]
        for k in ("mAP@[.5:.95]", "mAP@0.5", "mAP@0.75", "AP_small", "AP_medium", "AP_large"):
            assert 0.0 <= segm[k] <= 1.0, k
        assert segm["mAP@0.75"] <= segm["mAP@0.5"]
    assert ev["in_distribution"]["mAP@0.5"] >= 0.90
    assert ev["in_distribution"]["segm"]["mAP@0.5"] >= 0.80
    assert ev["out_of_distribution"]["segm"]["mAP@0.5"] >= 0.40
    same = ev["same_boxes_as_demo"]
    assert same["scenes_checked"] > 0 and same["scenes_with_identical_boxes_labels_scores"] == same["scenes_checked"]


def _segm_ap50(model, n: int = 6) -> float:
    scenes = [make_scene(1000, i, "val", 384) for i in range(n)]
    dets = []
    for i, sc in enumerate(scenes):
        dets += mask_dets(i + 1, predict(model, sc.image))
    return coco_eval(coco_dict(scenes, [f"{i}.png" for i in range(n)]), dets, "segm")["mAP@0.5"]


def test_committed_mask_head_segments_and_an_untrained_one_would_not():
    torch.manual_seed(0)
    trained = _segm_ap50(load_demo_mask_model())
    untrained = _segm_ap50(prepare_model().eval())  # the same boxes, a randomly initialised mask branch
    floor = 0.75
    assert trained >= floor
    assert untrained < floor, "the floor must reject an untrained head"


def test_segm_evaluation_is_pixel_exact():
    """The pipeline (model masks -> threshold -> RLE -> COCOeval segm) scores the ground-truth masks 1.0 and the
    same objects filled to their boxes lower (so it compares pixels, not boxes)."""
    scenes = [make_scene(1000, i, "val", 128) for i in range(3)]
    gt = coco_dict(scenes, ["a", "b", "c"])
    perfect, boxy = [], []
    for i, sc in enumerate(scenes):
        m = sc.masks.astype(np.float32)[:, None]
        filled = np.zeros_like(m)
        for k, (x1, y1, x2, y2) in enumerate(sc.boxes.round().astype(int)):
            filled[k, 0, y1:y2, x1:x2] = 1.0
        out = {"labels": sc.labels, "scores": np.linspace(0.9, 0.5, len(sc.labels))}
        perfect += mask_dets(i + 1, {**out, "masks": m})
        boxy += mask_dets(i + 1, {**out, "masks": filled})
    assert coco_eval(gt, perfect, "segm")["mAP@[.5:.95]"] == pytest.approx(1.0)
    assert coco_eval(gt, boxy, "segm")["mAP@[.5:.95]"] < 0.9


def test_training_stream_flips_masks_with_boxes():
    ds = ShapesStream(3, 128, 8, masks=True)
    for i in range(8):  # covers all four flips
        img, tgt = ds[i]
        m = tgt["masks"]
        assert m.dtype == torch.uint8 and m.shape == (len(tgt["boxes"]), *img.shape[1:])
        for k in range(len(m)):
            ys, xs = torch.nonzero(m[k], as_tuple=True)
            x1, y1, x2, y2 = tgt["boxes"][k].tolist()
            assert len(xs) > 0
            assert xs.min() >= np.floor(x1) and xs.max() < np.ceil(x2) + 1e-6
            assert ys.min() >= np.floor(y1) and ys.max() < np.ceil(y2) + 1e-6


def test_mask_training_smoke_changes_only_the_mask_branch(tmp_path):
    from training import train_demo_mask

    threads = torch.get_num_threads()
    out = tmp_path / "run"
    init = {k: v for k, v in build_demo_mask_model().state_dict().items() if is_mask_key(k)}
    torch.save(init, tmp_path / "init_mask.pt")
    try:
        metrics = train_demo_mask.main([
            "--out", str(out), "--init-mask", str(tmp_path / "init_mask.pt"),
            "--iters", "2", "--batch-size", "2", "--image-size", "128",
            "--train-min-sizes", "128", "--warmup", "1", "--workers", "0", "--eval-num", "0", "--lr", "1e-2",
            "--threads", str(threads), "--no-progress", "--log-every", "1", "--export-dir", str(tmp_path / "exp"),
        ])
    finally:
        torch.set_num_threads(threads)
    assert metrics["training"]["iterations"] == 2
    after = torch.load(out / "checkpoint.pt", map_location="cpu", weights_only=False)["model"]
    box = load_demo_state_dict(DEMO_WEIGHTS)
    for k, v in after.items():
        if is_mask_key(k):
            continue
        assert torch.equal(v, box[k]), k  # box weights and BatchNorm statistics untouched
    assert set(init) == {k for k in after if is_mask_key(k)}
    changed = [k for k in init if not torch.equal(after[k], init[k])]
    assert any(k.startswith("roi_heads.mask_head.") for k in changed)
    assert any(k.startswith("roi_heads.mask_predictor.") for k in changed)
    exported = torch.load(tmp_path / "exp" / "demo_shapes_maskhead.pt", map_location="cpu", weights_only=True)
    assert set(exported) == {k for k in after if is_mask_key(k)}
    assert json.loads((tmp_path / "exp" / "demo_shapes_mask_metrics.json").read_text())["training"]["iterations"] == 2
