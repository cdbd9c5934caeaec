"""Mask R-CNN: capture overhead, final-stage slider moves with and without masks, the mask-threshold slider.

    python -m bench.bench_mask_replay [--reps 5] [--size 800] [--models maskrcnn_resnet50_fpn,demo_mask]

Per model, three figures (issue 17's performance goals), each the median of `--reps` runs (the fastest beside it:
on a shared machine the fastest run is the least disturbed):
1. capture overhead: plain `model(images)` and `capture(model, image)` interleaved, ratio of medians (goal ≤ 1.10);
2. a final-stage (score) slider move with masks against the same move without: `trace.replay(box_score_thresh=s)`,
   then what a view of the masks reads — the pasted masks (box-sized), the binary masks at 0.5, the full float
   masks (N × H × W) — at a new score each run (goal ≤ 2×);
3. a mask-threshold move on one replay: `binary_masks(t)` and `rle_masks(t)` at a new t each run (goal ≤ 30 ms).
Beside them, the same numbers the way they were computed before the pastes were kept box-sized: torchvision's
paste_masks_in_image of the same probabilities (the full paste), `masks > t` on the full masks.

maskrcnn_resnet50_fpn runs at random init (no COCO weights offline) with the box score threshold at 0, so that it
keeps its 100 detections (COCO weights would also give up to 100 on a busy image): the mask branch runs for 100
boxes, as on a busy COCO image. demo_mask runs with its committed mask head when the file exists, else with the
demo's box weights and a seeded random mask head (the same architecture and cost), on a sample scene.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from PIL import Image
from torchvision.models.detection.roi_heads import paste_masks_in_image

from inspectors import InspectedModel, capture, load_model
from inspectors.core import demo_model
from inspectors.core.images import to_model_input

ROOT = Path(__file__).resolve().parents[1]


def _busy_image(height: int, width: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    for _ in range(12):
        y, x = rng.integers(0, height - 80), rng.integers(0, width - 80)
        img[y : y + rng.integers(40, height // 2), x : x + rng.integers(40, width // 2)] = rng.integers(0, 256, 3)
    return img


def _model(name: str) -> tuple[InspectedModel, str]:
    if name == "demo_mask":
        if demo_model.DEMO_MASK_WEIGHTS.is_file():
            return load_model("demo_mask", device="cpu"), "committed mask head"
        torch.manual_seed(0)
        net = demo_model.build_demo_mask_model()
        net.load_state_dict(demo_model.load_demo_state_dict(), strict=False)
        return (InspectedModel(model=net.eval(), name="demo_mask", categories=list(demo_model.DEMO_CATEGORIES),
                               device=torch.device("cpu"), source="seeded mask head"), "seeded random mask head")
    torch.manual_seed(0)
    inspected = load_model(name, weights=None, device="cpu")
    inspected.model.roi_heads.score_thresh = 0.0  # keep detections_per_img (100) detections
    return inspected, "random init, box_score_thresh 0"


def _image(name: str, size: int) -> np.ndarray:
    if name == "demo_mask":
        return np.asarray(Image.open(ROOT / "sample_images" / "shapes_02.png").convert("RGB"))
    return _busy_image(size, size * 4 // 3)


def _timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return time.perf_counter() - start, value


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:7.1f} ms (fastest {min(values) * 1000:6.1f})"


def bench_model(name: str, reps: int, size: int) -> None:
    inspected, how = _model(name)
    net = inspected.model
    image = _image(name, size)
    tensor = to_model_input(image)
    with torch.inference_mode():
        net([tensor])  # warm-up
    capture(inspected, image)

    # 1. capture overhead, interleaved
    plain, captured, outside = [], [], []
    trace = None
    out: dict[str, torch.Tensor] = {}
    for _ in range(reps):
        with torch.inference_mode():
            seconds, out = _timed(lambda: net([tensor])[0])
        plain.append(seconds)
        seconds, trace = _timed(lambda: capture(inspected, image))
        captured.append(seconds)
        outside.append(seconds - sum(trace.timings.values()))  # capture's own work: the run minus the model's stages
    assert trace is not None
    n = len(out["boxes"])
    print(f"\n== {name} ({how}), image {image.shape[1]}x{image.shape[0]}, {n} detections at its settings")
    ratio = statistics.median(captured) / statistics.median(plain)
    print(f"1. plain model(images) {_ms(plain)}; capture {_ms(captured)}; ratio of medians {ratio:.3f} "
          f"(of fastest {min(captured) / min(plain):.3f})")
    print(f"   runs (s): plain {[round(v, 2) for v in plain]}, capture {[round(v, 2) for v in captured]}")
    print(f"   capture's own work (the run minus the model's timed stages): {_ms(outside)} = "
          f"{statistics.median(outside) / statistics.median(plain) * 100:.1f} % of a plain run")

    # 2. final-stage (score) moves: a new score each run, each keeping a few boxes fewer
    default = trace.replay()
    _ = default.pasted_masks()  # the defaults' masks (seeded from the capture, pasted once)
    scores = default.detections.scores.sort().values.tolist()
    steps = [scores[min(len(scores) - 1, 2 * k + 1)] for k in range(reps)]
    rows: dict[str, list[float]] = {k: [] for k in ("replay", "pasted", "binary", "masks", "tv_paste", "kept")}
    for score in steps:
        seconds, moved = _timed(trace.replay, box_score_thresh=score)
        rows["replay"].append(seconds)
        rows["pasted"].append(_timed(moved.pasted_masks)[0])
        rows["binary"].append(_timed(moved.binary_masks, 0.5)[0])
        rows["masks"].append(_timed(getattr, moved, "masks")[0])
        rows["tv_paste"].append(_timed(paste_masks_in_image, moved.mask_probs, moved.detections.boxes,
                                       trace.original_size)[0])
        rows["kept"].append(len(moved.detections))
        assert moved.masks_computed == 0, "a score move only removes boxes: every mask is cached"
    replay_s = statistics.median(rows["replay"])

    def with_masks(*keys: str) -> str:  # the move's median plus the medians of what the masks add
        total = replay_s + sum(statistics.median(rows[k]) for k in keys)
        return f"{total * 1000:7.1f} ms ({total / replay_s:4.2f}x)"

    print(f"2. score move ({min(rows['kept'])}-{max(rows['kept'])} detections kept): replay {_ms(rows['replay'])}")
    print(f"   with the pasted masks (box-sized)        {with_masks('pasted')}  [their part {_ms(rows['pasted'])}]")
    print(f"   with the pasted + binary masks at 0.5    {with_masks('pasted', 'binary')}  "
          f"[binary {_ms(rows['binary'])}]")
    print(f"   with the full float masks (N,1,H,W) too  {with_masks('pasted', 'binary', 'masks')}  "
          f"[float {_ms(rows['masks'])}]")
    print(f"   before (torchvision's full paste of the same probabilities): {_ms(rows['tv_paste'])}, "
          f"{(replay_s + statistics.median(rows['tv_paste'])) / replay_s:.1f}x the move")

    # 3. mask-threshold moves on one replay (the default's, all its boxes)
    thresholds = [0.5 + 0.4 * ((k * 0.618) % 1.0 - 0.5) for k in range(reps)]
    binary, rle, old = [], [], []
    full = default.masks
    assert full is not None
    for t in thresholds:
        binary.append(_timed(default.binary_masks, t)[0])
        rle.append(_timed(default.rle_masks, t)[0])
        old.append(_timed(full.gt, t)[0])
    print(f"3. mask threshold ({len(default.detections)} detections): binary_masks {_ms(binary)}; "
          f"rle_masks {_ms(rle)}; before (masks > t on the full masks) {_ms(old)}")
    print(f"   trace bytes {trace.nbytes() / 2**20:.1f} MiB, of which pasted masks "
          f"{sum(p.values.nbytes for p in default.pasted_masks() or []) / 2**20:.1f} MiB for these detections")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--size", type=int, default=800)
    parser.add_argument("--models", default="maskrcnn_resnet50_fpn,demo_mask")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f} at start")
    for name in args.models.split(","):
        bench_model(name.strip(), args.reps, args.size)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
