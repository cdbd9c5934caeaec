"""Mask R-CNN capture overhead and final-stage slider cost, with and without masks (issue 17's engine part).

    python bench/bench_mask_replay.py [--reps 2] [--size 800]

maskrcnn_resnet50_fpn at random init (no COCO weights offline) with the box score threshold at 0 so that the model
keeps its 100 detections (COCO weights would also give up to 100): the mask branch runs for 100 boxes, as on a busy
COCO image. Plain `model(images)` and `capture` are interleaved, each timed `--reps` times; medians and the fastest
runs are printed (on a shared machine the fastest run is the least disturbed).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from inspectors import capture, load_model
from inspectors.core.images import to_model_input


def _image(height: int, width: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    for _ in range(12):
        y, x = rng.integers(0, height - 80), rng.integers(0, width - 80)
        img[y : y + rng.integers(40, height // 2), x : x + rng.integers(40, width // 2)] = rng.integers(0, 256, 3)
    return img


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--size", type=int, default=800)
    args = parser.parse_args()
    torch.manual_seed(0)
    inspected = load_model("maskrcnn_resnet50_fpn", weights=None, device="cpu")
    net = inspected.model
    net.roi_heads.score_thresh = 0.0
    image = _image(args.size, args.size * 4 // 3)
    tensor = to_model_input(image)
    with torch.inference_mode():
        net([tensor])  # warm-up
    plain, captured = [], []
    trace = None
    for _ in range(args.reps):
        start = time.perf_counter()
        with torch.inference_mode():
            out = net([tensor])[0]
        plain.append(time.perf_counter() - start)
        start = time.perf_counter()
        trace = capture(inspected, image)
        captured.append(time.perf_counter() - start)
    assert trace is not None
    p, c = statistics.median(plain), statistics.median(captured)
    print(f"image {image.shape[1]}x{image.shape[0]}, detections {len(out['boxes'])}, threads {torch.get_num_threads()}")
    print(f"plain model(images): median {p:.2f} s, capture: median {c:.2f} s, ratio {c / p:.3f}; "
          f"fastest {min(plain):.2f} s vs {min(captured):.2f} s, ratio {min(captured) / min(plain):.3f}")
    print("runs:", [round(v, 2) for v in plain], [round(v, 2) for v in captured])
    print(f"trace bytes: {trace.nbytes() / 2**20:.1f} MiB (mask logits {trace.mask_logits.nbytes / 2**20:.2f} MiB)")

    _ = trace.replay().masks  # the defaults' masks, seeded from the capture
    rows = []
    # Final-stage slider moves: score (only removes boxes: every mask cached) and NMS (new boxes: mask head runs).
    for settings in ({"box_score_thresh": 0.0105}, {"box_score_thresh": 0.011}, {"box_nms_thresh": 0.6},
                     {"box_nms_thresh": 0.7}, {"box_nms_thresh": 0.4}):
        start = time.perf_counter()
        r = trace.replay(**settings)
        without = time.perf_counter() - start
        start = time.perf_counter()
        masks = r.masks
        with_masks = without + time.perf_counter() - start
        start = time.perf_counter()
        r.binary_masks(0.6)
        binarise = time.perf_counter() - start
        rows.append((settings, len(r.detections), r.masks_computed, without, with_masks, binarise))
        assert masks is not None
    for settings, n, computed, without, with_masks, binarise in rows:
        print(f"{settings}: {n} detections, mask head ran for {computed}; replay {without * 1000:.0f} ms, "
              f"with masks {with_masks * 1000:.0f} ms ({with_masks / without:.1f}x), "
              f"binary_masks {binarise * 1000:.0f} ms")


if __name__ == "__main__":
    main()
