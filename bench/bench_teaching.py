"""Teaching-view benchmark: how long each explanation takes once an image is captured.

    python -m bench.bench_teaching [--model demo | fasterrcnn_resnet50_fpn] [--size 800x1066] [--classes 91]
                                   [--repeat 5] [--device cpu] [--threads N]

"cold" = the first call for these settings (it builds the memo), "warm" = a repeat (memo hit). Random-init
weights for torchvision models (no download): their scores are near 1 / classes, so box_score_thresh is lowered
until the replay has detections to explain (printed). `--model demo` uses the bundled demo model on a sample scene.
Not part of the tests.
"""

from __future__ import annotations

import argparse
import platform
import statistics
from pathlib import Path

import numpy as np
import torch

from bench.timing import bench_model, clock, image_size, model_arguments
from inspectors import capture, roi_projection

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args = model_arguments(parser, model="demo", repeat=5).parse_args()
    inspected = bench_model(args)
    if args.model == "demo":
        image = ROOT / "sample_images/shapes_02.png"
    else:
        image = np.random.default_rng(0).integers(0, 256, (*image_size(args), 3), dtype=np.uint8)
    device = inspected.device
    capture(inspected, image)  # warm-up
    capture_s = clock(lambda: capture(inspected, image), device)
    trace = capture(inspected, image)

    thresholds: dict[str, float] = {}
    replay = trace.replay()
    for thresh in (0.05, 0.02, 0.015, 0.012):  # random-init heads score ~1/classes: find some detections
        if len(replay.detections):
            break
        thresholds = {"box_score_thresh": thresh}
        replay = trace.replay(**thresholds)

    rows: list[tuple[str, str, float]] = []
    med = statistics.median

    def record(name: str, fn, repeat: int = args.repeat, note: str = "") -> None:
        rows.append((name, note, med([clock(fn, device) for _ in range(repeat)])))

    # NMS walk-through: the biggest group of each stage, cold (fresh trace memo) and warm.
    rpn_group = max(replay.nms_groups("rpn"), key=lambda g: g.count)
    box_group = max(replay.nms_groups("box"), key=lambda g: g.count)
    for stage, group in (("rpn", rpn_group), ("box", box_group)):
        def cold(stage=stage, group=group):
            trace.cache.extras.clear()
            replay.nms_walkthrough(stage, group.group)

        record(f"nms_walkthrough {stage} cold", cold, note=f"{group.name}: {group.count} boxes")
        record(f"nms_walkthrough {stage} warm", lambda s=stage, g=group: replay.nms_walkthrough(s, g.group))
        walk = replay.nms_walkthrough(stage, group.group)
        record(f"all {len(walk)} frames {stage}", lambda w=walk: [w.frame(k) for k in range(len(w))], repeat=1)

    if len(replay.detections):
        record("explain(i)", lambda: replay.explain(0))
        record("provenance(i) cold", lambda: (trace.cache.extras.clear(), replay.provenance(0)),
               note="builds the RPN and box NMS lineage of every group")
        record("provenance(i) warm", lambda: replay.provenance(0))
    record("explain_proposal(k)", lambda: replay.explain_proposal(0))
    record("roi_projection (pure geometry)", lambda: roi_projection([52, 106, 117, 206], 1 / 32))
    box = trace.to_original(replay.proposals.boxes_resized[:1])[0].tolist()
    record("trace.roi_projection_walk", lambda: trace.roi_projection_walk(box))

    for kind in ("no_reg", "no_cls"):
        def cold_ablation(kind=kind):
            trace.cache.extras.clear()
            trace.ablation(kind, **thresholds)

        record(f"ablation {kind} cold", cold_ablation, repeat=max(1, args.repeat // 2),
               note="RPN filtering + RoI heads" + (" (heads cached per anchor)" if kind == "no_cls" else ""))
        record(f"ablation {kind} final-stage slider", lambda k=kind: trace.ablation(k, box_score_thresh=0.3))
    native = trace.native_proposals
    record("ablation boxes cold (model's proposals)", lambda: (trace.cache.extras.clear(),
                                                              trace.ablation(native, frame="resized")),
           repeat=max(1, args.repeat // 2), note=f"{len(native)} boxes")
    record("ablation boxes, 3 typed boxes", lambda: (trace.cache.extras.clear(),
                                                    trace.ablation([[10, 10, 120, 90], [40, 60, 200, 220],
                                                                    [0, 0, 300, 300]])))

    print(f"# {args.model}, image {trace.original_size} → resized {trace.resized_size}, device {device}, "
          f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} threads")
    print(f"# capture {capture_s * 1000:.0f} ms; replay counts {replay.counts} at {thresholds or 'model defaults'}")
    width = max(len(r[0]) for r in rows)
    for name, note, seconds in rows:
        print(f"{name:<{width}}  {seconds * 1000:9.1f} ms  {note}")


if __name__ == "__main__":
    main()
