"""Teaching-view benchmark: how long each explanation takes once an image is captured.

    python bench/bench_teaching.py [--model demo | fasterrcnn_resnet50_fpn] [--size 800x1066] [--classes 91]
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
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inspectors import capture, load_model, roi_projection  # noqa: E402
from timing import clock  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="demo")
    parser.add_argument("--size", default="800x1066", help="H x W of the random test image (torchvision models)")
    parser.add_argument("--classes", type=int, default=91)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    if args.model == "demo":
        inspected = load_model("demo", device=args.device)
        image = ROOT / "sample_images/shapes_02.png"
    else:
        categories = ["__background__", *(f"c{i}" for i in range(1, args.classes))]
        inspected = load_model(args.model, weights=None, categories=categories, device=args.device)
        h, w = (int(v) for v in args.size.lower().split("x"))
        image = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
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
