"""Dataset segm metrics: record bytes per image with and without masks, capture time, and what each slider costs
for `DatasetCapture.evaluate(...).segm` (issue 17, "Ground truth and dataset mode").

    python -m bench.bench_segm [--n 20] [--root /tmp/bench_segm]

The first `--n` scenes of the demo dataset (384 px) are captured twice: with the demo (boxes only) and with
demo_mask (its committed mask head when the file exists, else the demo's box weights and a seeded random mask head:
the same architecture, cost and number of stored pairs, which only the box head's scores decide). Then the segm
metrics are read at a sequence of settings, each timed once (a slider move is one evaluation), and pycocotools'
COCOeval segm runs on the same detections for comparison (time, and that the numbers are equal).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import os
import platform
import shutil
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from inspectors import InspectedModel, load_model
from inspectors.core import demo_model
from inspectors.dataset.capture import capture_dataset
from inspectors.dataset.demo import demo_dataset


def mask_model() -> tuple[InspectedModel, str]:
    if demo_model.DEMO_MASK_WEIGHTS.is_file():
        return load_model("demo_mask"), "demo_mask (trained mask head)"
    torch.manual_seed(0)
    net = demo_model.build_demo_mask_model(len(demo_model.DEMO_CATEGORIES))
    net.load_state_dict(demo_model.load_demo_state_dict(), strict=False)
    return InspectedModel(model=net.eval(), name="demo_mask", categories=list(demo_model.DEMO_CATEGORIES),
                          device=torch.device("cpu"), source="seeded mask head"), "demo_mask (seeded mask head)"


def timed(f: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = f()
    return value, (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--root", default="/tmp/bench_segm")
    args = parser.parse_args()
    root = Path(args.root)
    images, annotations = demo_dataset(args.n, root=root / "demo")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch threads "
          f"{torch.get_num_threads()}; {args.n} demo scenes of 384 px")
    masked, name = mask_model()
    captures = {}
    for label, model in (("demo (boxes)", load_model("demo")), (name, masked)):
        folder = root / "captures" / label.split(" ")[0]
        shutil.rmtree(folder, ignore_errors=True)
        start = time.perf_counter()
        dataset = capture_dataset(model, images, annotations, folder, progress=False)
        seconds = time.perf_counter() - start
        sizes = [entry["bytes"] for entry in dataset.manifest["images"]]
        print(f"{label}: capture {seconds / args.n:.2f} s per image; record bytes per image mean "
              f"{statistics.mean(sizes) / 1e6:.3f} MB, median {statistics.median(sizes) / 1e6:.3f}, "
              f"min {min(sizes) / 1e6:.3f}, max {max(sizes) / 1e6:.3f}")
        if dataset.has_masks:
            records = [dataset.record(i) for i in range(len(dataset))]
            pairs = [len(r.mask_row) for r in records]
            mask_bytes = [r.mask_logits.nbytes + r.mask_row.nbytes + r.mask_label.nbytes for r in records]
            print(f"  masks: {statistics.mean(pairs):.0f} stored (candidate, class) pairs per image "
                  f"({min(pairs)}–{max(pairs)}), {statistics.mean(mask_bytes) / 1e6:.3f} MB per image, "
                  f"floor {dataset.mask_score_floor:g}")
        captures[label] = dataset
    dataset = captures[name]
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("box metrics, defaults", lambda: dataset.evaluate().ap),
        ("segm, defaults, mask 0.5 (first read)", lambda: dataset.evaluate().segm.ap),
        ("segm, mask threshold 0.4", lambda: dataset.evaluate(mask_thresh=0.4).segm.ap),
        ("segm, mask threshold 0.6", lambda: dataset.evaluate(mask_thresh=0.6).segm.ap),
        ("segm, score 0.3 (box + segm)", lambda: dataset.evaluate(box_score_thresh=0.3).segm.ap),
        ("segm, score 0.5 (box + segm)", lambda: dataset.evaluate(box_score_thresh=0.5).segm.ap),
        ("segm, class NMS 0.6 (box + segm)", lambda: dataset.evaluate(box_nms_thresh=0.6).segm.ap),
        ("segm, RPN post-NMS top-n 300 (box + segm)", lambda: dataset.evaluate(rpn_post_nms_top_n=300).segm.ap),
        ("segm, defaults again (memo)", lambda: dataset.evaluate().segm.ap),
    ]
    for label, step in steps:
        value, ms = timed(step)
        print(f"  {label}: {ms:.0f} ms (AP {value:.4f})")
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    results = dataset.segm_results(0.5)
    truth = json.loads(Path(annotations).read_text())
    start = time.perf_counter()
    coco = COCO()
    coco.dataset = copy.deepcopy(truth)
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
        evaluator = COCOeval(coco, coco.loadRes(results), "segm")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    ms = (time.perf_counter() - start) * 1000
    ours = np.array(list(dataset.evaluate().segm.summary.values()))
    print(f"  pycocotools COCOeval segm on the same {len(results)} detections (RLEs given): {ms:.0f} ms, "
          f"equal: {bool(np.array_equal(ours, evaluator.stats))}")


if __name__ == "__main__":
    main()
