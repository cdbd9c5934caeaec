"""The Masks tab's engine: one detection through the mask branch, step by step, equal to the model's own modules;
RoIPool's misplacement equal to what roi_pool's cells and roi_align's sample points give on probe maps; the
quantised crops the browser thresholds equal to replay's binary masks at every slider step.

Model: the demo architecture with its trained box weights and a mask head at a fixed random init (every number is
still the model's; the trained mask head only changes which numbers). Same kernels on both sides are compared
exactly; a single-box rerun of the convolutions against the batched one within a stated tolerance.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torchvision.models.detection.roi_heads import maskrcnn_inference, paste_masks_in_image
from torchvision.ops import roi_align, roi_pool

from inspectors import capture, load_model
from inspectors.core.demo_model import build_demo_mask_model, load_demo_state_dict
from inspectors.teaching.mask_walkthrough import (
    THRESHOLD_STEPS,
    mask_crops,
    mask_walkthrough,
    misplacement,
    threshold_grid,
)
from inspectors.teaching.roi_pooling import roi_pooling_view

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow]  # a demo capture with masks and one without: ~12 s on the shared machine


@pytest.fixture(scope="module")
def trace():
    torch.manual_seed(0)
    model = build_demo_mask_model()
    model.load_state_dict(load_demo_state_dict(), strict=False)
    return capture(model.eval(), ROOT / "sample_images" / "shapes_02.png")


@pytest.fixture(scope="module")
def replay(trace):
    r = trace.replay()
    assert len(r.detections) >= 5
    return r


def _model_logits(trace, boxes_resized, labels, full=False):
    heads = trace.model.model.roi_heads
    with torch.inference_mode():
        pooled = heads.mask_roi_pool(trace.fpn_raw, [boxes_resized], [trace.resized_size])
        logits = heads.mask_predictor(heads.mask_head(pooled))
    return pooled, logits if full else logits[torch.arange(len(labels)), labels]


def test_each_step_is_the_models(trace, replay):
    det = replay.detections
    pooled_all, logits_all = _model_logits(trace, det.boxes_resized, det.labels)
    _, full = _model_logits(trace, det.boxes_resized, det.labels, full=True)
    probs_tv = maskrcnn_inference(full, [det.labels])[0]
    for i in range(len(det)):
        walk = mask_walkthrough(replay, i)
        # RoIAlign on the chosen level is the mask pooler's own output for this box (same kernel, per box).
        single, _ = _model_logits(trace, det.boxes_resized[i:i + 1], det.labels[i:i + 1])
        assert torch.equal(walk.pooled, single[0])
        assert torch.equal(walk.pooled, pooled_all[i])
        assert walk.pooled.shape[-2:] == trace.config.mask.pooler.output_size
        # The logits are the predictor's on the model's own batch of boxes (the capture's), exactly.
        assert torch.equal(walk.logits, logits_all[i])
        assert walk.logits.shape == (28, 28)
        assert torch.equal(walk.probabilities, replay.mask_probs[i, 0])
        # torchvision's own maskrcnn_inference (a sigmoid over every class of the batch) exactly; a one-mask
        # sigmoid (another vector length, another tail of the AVX-512 kernel) may differ by an ulp.
        assert torch.equal(walk.probabilities, probs_tv[i, 0])
        torch.testing.assert_close(walk.probabilities, walk.logits.sigmoid(), rtol=1e-6, atol=1e-7)
        # The paste: zero outside its region, the replay's (= torchvision's) mask inside it.
        x0, y0, x1, y1 = walk.paste.region
        full = torch.zeros(trace.original_size)
        full[y0:y1, x0:x1] = walk.paste.crop
        assert torch.equal(full, replay.masks[i, 0])
        assert walk.paste.padded.shape == (30, 30)
        assert walk.paste.scale == pytest.approx(30 / 28)
        ph, pw = walk.paste.size
        bx = walk.paste.pixel_box
        assert (ph, pw) == (bx[3] - bx[1] + 1, bx[2] - bx[0] + 1)
        assert torch.equal(walk.binary, walk.paste.crop > 0.5)
    tv = paste_masks_in_image(replay.mask_probs, det.boxes, trace.original_size, padding=1)
    assert torch.equal(tv, replay.masks)


def test_a_single_box_rerun_of_the_head_agrees(trace, replay):
    """The head on one box alone (another batch shape, maybe another conv kernel) agrees within 1e-4."""
    det = replay.detections
    walk = mask_walkthrough(replay, 2)
    _, single = _model_logits(trace, det.boxes_resized[2:3], det.labels[2:3])
    torch.testing.assert_close(single[0], walk.logits, rtol=0, atol=1e-4)


def test_a_replay_with_one_detection(trace):
    """One detection: the model runs its mask head on a batch of one; the walk takes the replay's logits for it."""
    r = trace.replay(box_detections_per_img=1)
    walk = mask_walkthrough(r, 0)
    assert torch.equal(walk.probabilities, r.mask_probs[0, 0])
    x0, y0, x1, y1 = walk.paste.region
    assert torch.equal(walk.paste.crop, r.masks[0, 0, y0:y1, x0:x1])
    _, full = _model_logits(trace, r.detections.boxes_resized, r.detections.labels, full=True)
    assert torch.equal(walk.probabilities, maskrcnn_inference(full, [r.detections.labels])[0][0, 0])


def test_threshold_and_level(trace, replay):
    walk = mask_walkthrough(replay, 0, threshold=0.3)
    x0, y0, x1, y1 = walk.paste.region
    binary = replay.binary_masks(0.3)[0, 0]
    assert torch.equal(walk.binary, binary[y0:y1, x0:x1])
    assert walk.pixels == int(binary.sum())
    # The level rule, k = ⌊4 + log2(√(wh)/224)⌋ clamped to the pooled levels, with the box in the resized frame.
    w, h = walk.pooling.choice.width, walk.pooling.choice.height
    k = min(max(math.floor(4 + math.log2(math.sqrt(w * h) / 224) + 1e-6), 2), 5)
    assert walk.pooling.choice.chosen == k
    assert walk.pooling.level == k - 2
    with pytest.raises(ValueError):
        mask_walkthrough(replay, 0, threshold=1.5)
    with pytest.raises(IndexError):
        mask_walkthrough(replay, len(replay.detections))


def _probe_pool_cells(height, width, box, scale, size):
    """roi_pool on ramps (x + 1 and −(x + 1), the same for y) reveals each bin's cell range; 0 = an empty bin."""
    ys, xs = torch.meshgrid(torch.arange(height, dtype=torch.float32), torch.arange(width, dtype=torch.float32),
                            indexing="ij")
    probe = torch.stack([xs + 1, -(xs + 1), ys + 1, -(ys + 1)])[None]
    out = roi_pool(probe, [torch.tensor([box], dtype=torch.float32)], size, scale)[0]
    empty = out[0] == 0
    x_start, x_last, y_start, y_last = -out[1] - 1, out[0] - 1, -out[3] - 1, out[2] - 1
    centres = torch.stack([(x_start + x_last) / 2, (y_start + y_last) / 2], -1).double().numpy()
    centres[empty.numpy()] = np.nan
    return centres


def _probe_align_centres(height, width, box, scale, size, sampling_ratio):
    """roi_align on coordinate ramps: bilinear interpolation of a ramp returns the mean sample position (the map is
    made large enough that no sample is clamped at the far edges)."""
    big_h, big_w = height * 2 + 8, width * 2 + 8
    ys, xs = torch.meshgrid(torch.arange(big_h, dtype=torch.float64), torch.arange(big_w, dtype=torch.float64),
                            indexing="ij")
    probe = torch.stack([xs, ys])[None]
    out = roi_align(probe, [torch.tensor([box], dtype=torch.float64)], size, scale, sampling_ratio, False)[0]
    return out.permute(1, 2, 0).numpy()


def _check_misplacement_against_probes(trace, box_resized, level_map_shape=None):
    spec = trace.config.mask
    view = roi_pooling_view(trace, box_resized, frame="resized", pooler=spec.pooler)
    m = misplacement(view, trace.original_size, trace.resized_size, spec.resolution)
    _, height, width = view.feature_shape
    size = spec.pooler.output_size[0]
    pool = _probe_pool_cells(height, width, list(box_resized), view.spatial_scale, size)
    align = _probe_align_centres(height, width, list(box_resized), view.spatial_scale, size,
                                 spec.pooler.sampling_ratio)
    np.testing.assert_array_equal(np.isnan(pool), np.isnan(m.pool_centres))
    np.testing.assert_allclose(m.pool_centres, pool, rtol=0, atol=0)
    np.testing.assert_allclose(m.align_centres, align, rtol=0, atol=1e-5)
    to = np.array([trace.original_size[1] / trace.resized_size[1], trace.original_size[0] / trace.resized_size[0]])
    expected = (pool - align) * to / view.spatial_scale
    np.testing.assert_allclose(m.offsets, expected, rtol=0, atol=1e-4)
    return m


def test_misplacement_equals_roi_pool_cells_and_roi_align_points(trace, replay):
    for i in range(len(replay.detections)):
        _check_misplacement_against_probes(trace, replay.detections.boxes_resized[i].tolist())
    # Boxes of every level, fractional corners, thin and tiny ones (RoIPool's empty bins), an edge box.
    rng = np.random.default_rng(0)
    h, w = trace.resized_size
    boxes = [[0.0, 0.0, 31.3, 7.7], [10.2, 20.9, 13.1, 22.4], [w - 50.5, h - 80.25, w - 0.5, h - 1.0]]
    for _ in range(20):
        x1, y1 = rng.uniform(0, w - 20), rng.uniform(0, h - 20)
        boxes.append([x1, y1, rng.uniform(x1 + 2, w), rng.uniform(y1 + 2, h)])
    for box in boxes:
        _check_misplacement_against_probes(trace, box)


def test_misplacement_reads_as_the_article(trace):
    """Seed 004's example at stride 32: the box [52, 106, 117, 206] rounds to cells [2, 3, 4, 6] → [64, 96, 128,
    192] back in pixels. On this trace the level and stride are the model's, so check the arithmetic directly."""
    spec = trace.config.mask
    box = [52.0, 106.0, 117.0, 206.0]
    view = roi_pooling_view(trace, box, frame="resized", pooler=spec.pooler)
    m = misplacement(view, trace.original_size, trace.resized_size, spec.resolution)
    stride = 1 / view.spatial_scale
    cells = [math.floor(v / stride + 0.5) for v in box]   # roi_pool's std::round: half away from zero
    assert m.pool_box == pytest.approx([c * stride for c in cells])
    assert m.mask_cell == pytest.approx(((117 - 52) / 28, (206 - 106) / 28))
    assert m.bin_size == pytest.approx(((117 - 52) / 14, (206 - 106) / 14))
    assert m.max_offset > 0


def test_crops_threshold_exactly_at_every_slider_step(trace, replay):
    crops = mask_crops(replay)
    assert len(crops) == len(replay.detections)
    grid = threshold_grid()
    assert grid[50].item() == np.float32(0.5)
    for k in (0, 1, 17, 33, 50, 71, 99, THRESHOLD_STEPS):
        expected = replay.binary_masks(k / THRESHOLD_STEPS)
        for i, crop in enumerate(crops):
            x0, y0, x1, y1 = crop.region
            full = torch.zeros(trace.original_size, dtype=torch.bool)
            full[y0:y1, x0:x1] = torch.from_numpy(crop.levels > k)
            assert torch.equal(full, expected[i, 0]), (k, i)
    assert crops[0].encoded()


def test_model_without_masks_is_refused():
    torch.manual_seed(0)
    model = load_model("demo")
    r = capture(model, ROOT / "sample_images" / "shapes_04.png").replay()
    assert mask_crops(r) == []
    with pytest.raises(ValueError, match="no mask branch"):
        mask_walkthrough(r, 0)
