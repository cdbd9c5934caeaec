"""Ground-truth analysis benchmark: what `trace.ground_truth(gt)` costs on one image, cold and per slider.

    python -m bench.bench_ground_truth [--case demo|resnet50|both] [--repeat 20] [--device cpu] [--threads N]

Cases: the demo model on sample_images/shapes_02.png with its COCO ground truth (8 objects), and
fasterrcnn_resnet50_fpn with random init, 91 classes, one 800×1066 image and 10 made-up objects (random init:
the timings depend on the weights only through how many boxes pass each filter).

Rows: the capture (for scale); the first ground_truth() call (funnel with its memoised anchor and RPN parts,
TP/FP/FN, AP by pycocotools, TIDE, recall vs IoU); the parts computed on first use (anchor labels, recall vs
number of proposals with AR, the losses); their total; then the per-slider costs: a final-stage slider (score
threshold, the goal is ≤ 50 ms so the ground-truth tab stays live) and an RPN slider. Not part of the tests.
"""

from __future__ import annotations

import argparse
import platform
import statistics
from pathlib import Path

import numpy as np
import torch

from bench.timing import clock as timed
from inspectors import GroundTruth, capture, load_annotations, load_model

ROOT = Path(__file__).resolve().parents[1]


def case_demo(device: str):
    inspected = load_model("demo", device=device)
    image = ROOT / "sample_images" / "shapes_02.png"
    gt = load_annotations(ROOT / "sample_images" / "shapes_annotations.json", image=image)
    return "demo, shapes_02.png (384×384, 8 objects)", inspected, image, gt


def case_resnet50(device: str):
    torch.manual_seed(0)
    categories = ["__background__", *(f"c{i}" for i in range(1, 91))]
    inspected = load_model("fasterrcnn_resnet50_fpn", weights=None, categories=categories, device=device)
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (800, 1066, 3), dtype=np.uint8)
    xy = rng.uniform(0, 700, (10, 2))
    boxes = np.concatenate([xy, np.minimum(xy + rng.uniform(16, 300, (10, 2)), [1066, 800])], 1)
    gt = GroundTruth.from_boxes(boxes, [categories[int(c)] for c in rng.integers(1, 91, 10)])
    return "fasterrcnn_resnet50_fpn, random init, 91 classes, 800×1066, 10 objects", inspected, image, gt


def run(label, inspected, image, gt, repeat: int) -> None:
    device = inspected.device
    capture(inspected, image)  # warm-up
    rows: list[tuple[str, float]] = []
    trace = None

    def do_capture():
        nonlocal trace
        trace = capture(inspected, image)

    rows.append(("capture (one forward with hooks, for scale)", timed(do_capture, device)))
    report = None

    def first():
        nonlocal report
        report = trace.ground_truth(gt)

    rows.append(("first ground_truth(): funnel, TP/FP/FN, TIDE, recall vs IoU (AP on first use)", timed(first, device)))
    rows.append(("  + anchor labels (training rule, sampling, border rule)",
                 timed(lambda: report.anchor_analysis, device)))
    rows.append(("  + recall vs number of proposals, AR@100/1000", timed(lambda: report.recall_vs_proposals, device)))
    rows.append(("  + the four losses", timed(lambda: report.loss_details, device)))
    total = sum(t for _, t in rows[1:])
    values = iter(np.linspace(0.05, 0.6, 10_000))
    final = [timed(lambda: trace.ground_truth(gt, box_score_thresh=float(next(values))).ap, device)
             for _ in range(repeat)]
    final_no_ap = [timed(lambda: trace.ground_truth(gt, box_score_thresh=float(next(values))), device)
                   for _ in range(repeat)]
    nms_values = iter(np.linspace(0.5, 0.9, 10_000))
    rpn = [timed(lambda: trace.ground_truth(gt, rpn_nms_thresh=float(next(nms_values))), device)
           for _ in range(max(3, repeat // 4))]
    replay_only = iter(np.linspace(0.05, 0.6, 10_000))
    final_replay = [timed(lambda: trace.replay(box_score_thresh=float(next(replay_only))), device)
                    for _ in range(repeat)]

    med = statistics.median
    print(f"\n## {label}")
    print(f"objects: {len(report.gt)}, anchors: {trace.anchors.shape[0]}, proposals: {len(report.replay.proposals)}, "
          f"detections: {len(report.replay.detections)}, TP/FP/FN {report.tp}/{report.fp}/{report.fn}, "
          f"lost at: {report.lost}")
    print("| measurement | ms |")
    print("|---|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds * 1000:.0f} |")
    print(f"| total, everything for one image (cold) | {total * 1000:.0f} |")
    print(f"| final-stage slider: ground_truth(box_score_thresh=…) with its AP, median of {len(final)} "
          f"(goal ≤ 50) | {med(final) * 1000:.1f} (min {min(final) * 1000:.1f}, max {max(final) * 1000:.1f}) |")
    print(f"| … the same without AP (pycocotools runs on first use of .ap/.ap50), median | "
          f"{med(final_no_ap) * 1000:.1f} |")
    print(f"| … of which replay alone (the same slider without ground truth), median | "
          f"{med(final_replay) * 1000:.1f} |")
    print(f"| RPN slider: ground_truth(rpn_nms_thresh=…), median of {len(rpn)} | {med(rpn) * 1000:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=("demo", "resnet50", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} threads, device {args.device}")
    cases = {"demo": [case_demo], "resnet50": [case_resnet50], "both": [case_demo, case_resnet50]}[args.case]
    for make in cases:
        run(*make(args.device), repeat=args.repeat)


if __name__ == "__main__":
    main()
