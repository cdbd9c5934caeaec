"""Engine benchmark: what capture costs over a plain forward, and how fast replay answers a slider.

    python -m bench.bench_engine [--model fasterrcnn_resnet50_fpn] [--size 800x1066] [--repeat 5] [--device cpu]

Random-init weights: the timings depend on the weights only through how many boxes pass each filter (the counts
line says how many did). The final stage works on proposals × (classes − 1) candidates, so the 91-class COCO head
is the heavy case. `--model demo` uses the bundled demo model. Not part of the tests.
"""

from __future__ import annotations

import argparse
import platform
import statistics

import numpy as np
import torch

from bench.timing import bench_model, clock, image_size, model_arguments
from inspectors import capture
from inspectors.core.images import to_model_input


def timed(fn, repeat: int, device: torch.device) -> list[float]:
    return [clock(fn, device) for _ in range(repeat)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args = model_arguments(parser, model="fasterrcnn_resnet50_fpn", repeat=5).parse_args()
    h, w = image_size(args)
    inspected = bench_model(args)
    device = inspected.device
    image = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    tensor = to_model_input(image).to(device)

    def plain():
        with torch.inference_mode():
            inspected.model([tensor])

    plain()  # warm-up (allocator, lazy pooler scales, cuDNN autotune)
    capture(inspected, image)
    # Interleave so both see the same machine state.
    plain_t, capture_t = [], []
    for _ in range(args.repeat):
        plain_t += timed(plain, 1, device)
        capture_t += timed(lambda: capture(inspected, image), 1, device)
    # An RPN slider's first move on a fresh trace: the RoI heads run for every proposal not seen before (the
    # per-candidate cache starts with the capture's own proposals). Each repetition gets its own trace.
    def first_rpn_move() -> list[float]:
        fresh = capture(inspected, image)
        return timed(lambda: fresh.replay(rpn_nms_thresh=0.6), 1, device)

    first_rpn_t = [t for _ in range(args.repeat) for t in first_rpn_move()]
    trace = capture(inspected, image)
    captured_bytes = trace.nbytes()

    thresholds = iter(np.linspace(0.05, 0.6, 10_000))
    final_t = timed(lambda: trace.replay(box_score_thresh=float(next(thresholds))), max(args.repeat, 20), device)
    # Then the slider keeps moving over values already visited: the proposals' head outputs are cached.
    nms_values = [0.5, 0.6, 0.7, 0.8, 0.9]
    for value in nms_values:
        trace.replay(rpn_nms_thresh=value)
    cycle = iter(nms_values * 100)
    rpn_t = timed(lambda: trace.replay(rpn_nms_thresh=float(next(cycle))), args.repeat * 2, device)

    med = statistics.median
    counts = trace.replay().counts
    print(f"machine : {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}, device {device}"
          + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""))
    print(f"model   : {args.model} ({args.classes if args.model != 'demo' else 4} classes), image {h}x{w} "
          f"→ resized {trace.resized_size}, padded {trace.padded_size}")
    print(f"counts  : {counts}")
    rows = [
        ("plain model(images)", med(plain_t), ""),
        ("capture()", med(capture_t), f"ratio {med(capture_t) / med(plain_t):.3f} (goal ≤ 1.10)"),
        ("replay, final stage only", med(final_t), "goal ≤ 30 ms on CPU"),
        ("replay, RPN slider, first move", med(first_rpn_t),
         f"{med(first_rpn_t) / med(plain_t):.3f} × plain forward (RoI heads for the new proposals)"),
        ("replay, RPN slider, visited values", med(rpn_t),
         f"{med(rpn_t) / med(plain_t):.3f} × plain forward (RoI-head outputs cached per candidate)"),
    ]
    for name, seconds, note in rows:
        print(f"{name:32s} {seconds * 1000:9.1f} ms   {note}")
    print(f"{'trace memory, as captured':32s} {captured_bytes / 2**20:9.1f} MiB  goal ≤ 200 MB")
    print(f"{'… after the RPN slider moved':32s} {trace.nbytes() / 2**20:9.1f} MiB  "
          f"(+ cached RoI-head outputs of {len(trace.cache.heads)} "
          f"candidates)")
    print("capture stage timings (ms): "
          + ", ".join(f"{k} {v * 1000:.0f}" for k, v in trace.timings.items()))


if __name__ == "__main__":
    main()
