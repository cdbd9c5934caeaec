"""Dataset-mode benchmarks (not part of the tests).

    python -m bench.bench_dataset capture --n 500 --out bench/out/demo500 [--engine ray] [--threads 1]
        capture throughput (images/s), disk per image, peak memory (RSS) of the capturing process
    python -m bench.bench_dataset sliders --capture bench/out/demo500 [--moves 10]
        final-stage slider: metrics updated per move, next to pycocotools' own time on the same detections;
        RPN sliders: pre-NMS top-n, score, post-NMS top-n, NMS threshold (on the slider's steps and off them)
    python -m bench.bench_dataset disk --model fasterrcnn_resnet50_fpn --size 800 --n 3
        disk per image for a random-init torchvision model on noise images
    python -m bench.bench_dataset single [--model fasterrcnn_resnet50_fpn] [--size 800x1066]
        single image: an RPN slider's replay (first move, repeated move) relative to a plain forward
    python -m bench.bench_dataset diagnosis --capture bench/out/demo1000 [--replicate 5]
        the score slider without re-matching (build once, then each move), next to pycocotools and
        faster-coco-eval on the same detections (--replicate k: also on the capture's detections and ground truth
        repeated k times, k × the images); the confusion matrix, operating points (and per-class thresholds
        applied) and funnel summary after each final-stage move (box NMS, detections per image, box score)
    python -m bench.bench_dataset final --capture bench/out/demo1000 [--moves 7] [--no-oracles]
        box-NMS (on and off the slider's steps), detections-per-image and box-score slider moves (a full evaluate()
        each) next to pycocotools and faster-coco-eval on the same detections, and the largest difference
        (--no-oracles: ours only, with the load average)

Every timing is wall clock on this machine; the machine line says what it is.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import resource
import shutil
import statistics
import time
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from inspectors import DatasetCapture, capture, capture_dataset, demo_dataset, load_model


def machine() -> str:
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
            f"{torch.get_num_threads()} threads, load {os.getloadavg()[0]:.1f}")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler:
    """The largest resident memory seen while it runs (sampled every 0.1 s), so earlier peaks do not count."""

    def __init__(self) -> None:
        import threading

        self.peak = self.rss()
        self.start_rss = self.peak
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, self.rss())

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())

    @staticmethod
    def rss() -> int:
        """Resident memory now, in bytes (Linux /proc; resource's ru_maxrss is a lifetime peak)."""
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0


def cmd_capture(args) -> None:
    images, annotations = demo_dataset(args.n, args.data, progress=True)
    out = Path(args.out)
    if out.exists() and not args.resume:
        shutil.rmtree(out)
    model = load_model("demo", device="cpu")
    with RssSampler() as rss:
        start = time.perf_counter()
        dataset = capture_dataset(model, images, annotations, out, engine=args.engine, threads=args.threads,
                                  progress=True, num_workers=args.workers)
        seconds = time.perf_counter() - start
    record_bytes = dataset.manifest["capture"]["record_bytes"]
    print(json.dumps({
        "machine": machine(), "engine": args.engine, "threads": args.threads, "images": len(dataset),
        "seconds": round(seconds, 1), "images_per_s": round(len(dataset) / seconds, 2),
        "disk_per_image_kib": round(record_bytes / len(dataset) / 1024, 1),
        "rss_at_start_mib": round(rss.start_rss / 2**20, 1), "peak_rss_during_capture_mib": round(rss.peak / 2**20, 1),
        "note": "the Ray engine's workers are other processes: their memory is not in these RSS figures",
    }, indent=1))


def _pycocotools_time(dataset: DatasetCapture, settings: dict) -> tuple[float, float]:
    """pycocotools on the same detections: (seconds for evaluate + accumulate + summarize, its AP)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    gt = json.loads(Path(dataset.manifest["dataset"]["annotations"]).read_text())
    results = dataset.coco_results(**settings)
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = gt
        coco_gt.createIndex()
        start = time.perf_counter()
        coco_dt = coco_gt.loadRes(results)
        ev = COCOeval(coco_gt, coco_dt, "bbox")
        ev.params.imgIds = [int(im["image_id"]) for im in dataset.images]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        seconds = time.perf_counter() - start
    return seconds, float(ev.stats[0])


def cmd_sliders(args) -> None:
    torch.set_num_threads(args.threads)
    dataset = DatasetCapture.open(args.capture)
    print(f"machine: {machine()}; {len(dataset)} images, model {dataset.model_name}")
    start = time.perf_counter()
    dataset.evaluate()
    print(f"first evaluation (reads the records, RPN stage, NMS base): {time.perf_counter() - start:.2f} s")
    rows = []
    for value in np.linspace(0.06, 0.9, args.moves):
        settings = {"box_score_thresh": round(float(value), 4)}
        start = time.perf_counter()
        metrics = dataset.evaluate(**settings)
        ours = time.perf_counter() - start
        theirs, their_ap = _pycocotools_time(dataset, settings)
        rows.append((settings, ours, theirs, metrics.ap, their_ap))
        print(f"score {value:.3f}: ours {ours * 1000:6.0f} ms   pycocotools {theirs * 1000:6.0f} ms   "
              f"AP {metrics.ap:.6f} vs {their_ap:.6f}")
    for nms in (0.3, 0.45, 0.6, 0.75):
        start = time.perf_counter()
        dataset.evaluate(box_nms_thresh=nms)
        print(f"box NMS {nms}: ours {(time.perf_counter() - start) * 1000:6.0f} ms")
    med = statistics.median
    print(f"final-stage slider: median {med(r[1] for r in rows) * 1000:.0f} ms (goal ≤ 300), pycocotools "
          f"{med(r[2] for r in rows) * 1000:.0f} ms; max |AP difference| {max(abs(r[3] - r[4]) for r in rows):.2e}")

    for score in (0.05, 0.3):
        metrics = dataset.evaluate(box_score_thresh=score)
        start = time.perf_counter()
        _ = metrics.tide
        print(f"TIDE breakdown at score {score} (lazy, on first access): {(time.perf_counter() - start) * 1000:.0f} ms")
    from inspectors.dataset.sweep import sweep

    start = time.perf_counter()
    result = sweep(dataset, "f1_50")
    print(f"sweep of {len(result.rows)} final-stage settings (f1_50): {time.perf_counter() - start:.1f} s, best "
          f"{result.changed}")

    def timed(label: str, **settings) -> None:
        start = time.perf_counter()
        dataset.evaluate(**settings)
        print(f"{label:45s} {time.perf_counter() - start:6.2f} s")

    for post in (700, 300, 1000):
        timed(f"RPN post-NMS top-n {post}", rpn_post_nms_top_n=post)
    for pre in (800, 500, 300):
        timed(f"RPN pre-NMS top-n {pre}", rpn_pre_nms_top_n=pre)
    for score in (0.05, 0.2):
        timed(f"RPN score threshold {score}", rpn_score_thresh=score)
    for nms in (0.6, 0.8, 0.35):
        timed(f"RPN NMS {nms} (a slider step, decided at capture)", rpn_nms_thresh=nms)
    timed("RPN NMS 0.6 + pre-NMS 800", rpn_nms_thresh=0.6, rpn_pre_nms_top_n=800)
    timed("RPN NMS 0.63 (off the steps: one NMS per image)", rpn_nms_thresh=0.63)
    start = time.perf_counter()
    dataset.warm_rpn_nms([0.67])
    print(f"{'warming RPN NMS 0.67 (background work)':45s} {time.perf_counter() - start:6.2f} s")
    timed("RPN NMS 0.67 after warming", rpn_nms_thresh=0.67)
    print(f"peak RSS {peak_rss_mib():.0f} MiB")


def cmd_disk(args) -> None:
    from PIL import Image

    data = Path(args.out) / "images"
    data.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    coco = {"images": [], "annotations": [], "categories": []}
    torch.manual_seed(0)
    model = load_model(args.model, weights=None, device="cpu")
    coco["categories"] = [{"id": i, "name": n} for i, n in enumerate(model.categories) if i > 0]
    for i in range(args.n):
        img = rng.integers(0, 256, (args.size, int(args.size * 4 / 3), 3), dtype=np.uint8)
        Image.fromarray(img).save(data / f"noise_{i}.png")
        coco["images"].append({"id": i + 1, "file_name": f"noise_{i}.png", "width": img.shape[1],
                               "height": img.shape[0]})
    (Path(args.out) / "ann.json").write_text(json.dumps(coco))
    out = Path(args.out) / "capture"
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    dataset = capture_dataset(model, data, Path(args.out) / "ann.json", out, progress=True, threads=1)
    seconds = time.perf_counter() - start
    record = dataset.record(0)
    print(json.dumps({"machine": machine(), "model": args.model, "classes": len(model.categories),
                      "image": f"{args.size}x{int(args.size * 4 / 3)}", "resized": record.resized_size,
                      "candidates_per_image": int(record.anchor.shape[0]),
                      "disk_per_image_mib": round(dataset.manifest["capture"]["record_bytes"] / len(dataset) / 2**20,
                                                  2),
                      "seconds_per_image": round(seconds / len(dataset), 1)}, indent=1))


def cmd_single(args) -> None:
    if args.threads:
        torch.set_num_threads(args.threads)
    h, w = (int(v) for v in args.size.lower().split("x"))
    torch.manual_seed(0)
    categories = ["__background__", *(f"c{i}" for i in range(1, args.classes))]
    model = load_model(args.model, weights=None, categories=categories, device="cpu")
    image = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    from inspectors.core.images import to_model_input

    tensor = to_model_input(image)

    def plain() -> None:
        with torch.inference_mode():
            model.model([tensor])

    plain()
    plain_t = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        plain()
        plain_t.append(time.perf_counter() - start)
    forward = statistics.median(plain_t)
    first, repeated = [], []
    for i, nms in enumerate(np.linspace(0.55, 0.85, args.repeat)):
        trace = capture(model, image)  # a fresh trace: its per-candidate cache holds only the model's proposals
        start = time.perf_counter()
        first_replay = trace.replay(rpn_nms_thresh=float(nms))
        first.append(time.perf_counter() - start)
        trace.replay()  # move back
        start = time.perf_counter()
        trace.replay(rpn_nms_thresh=float(nms), box_score_thresh=0.051)  # the same RPN setting again: memoised
        repeated.append(time.perf_counter() - start)
        other = trace.replay(rpn_nms_thresh=float(nms) + 0.01)  # a nearby RPN setting: mostly cached heads
        if i == 0:
            print(f"heads computed: first move {first_replay.heads_computed} of {len(first_replay.proposals)} "
                  f"proposals, nearby move {other.heads_computed}")
    near = []
    for nms in np.linspace(0.56, 0.86, args.repeat):
        start = time.perf_counter()
        trace.replay(rpn_nms_thresh=float(nms))
        near.append(time.perf_counter() - start)
    med = statistics.median
    print(f"machine: {machine()}; model {args.model} random init, image {h}x{w}")
    print(f"plain forward                         {forward * 1000:8.1f} ms")
    print(f"RPN slider, first move (new boxes)    {med(first) * 1000:8.1f} ms = {med(first) / forward:.3f} × forward")
    print(f"RPN slider, moves near cached ones    {med(near) * 1000:8.1f} ms = {med(near) / forward:.3f} × forward")
    print(f"RPN setting seen before (memoised)    {med(repeated) * 1000:8.1f} ms = {med(repeated) / forward:.3f} × "
          f"forward")


def _coco_dicts(dets, gts, num_classes: int, num_images: int) -> tuple[dict, list]:
    gt = {"images": [{"id": i + 1, "width": 10**4, "height": 10**4} for i in range(num_images)],
          "categories": [{"id": k + 1} for k in range(num_classes)],
          "annotations": [{"id": j + 1, "image_id": int(gts.image[j]) + 1, "category_id": int(gts.category[j]) + 1,
                           "bbox": [float(v) for v in gts.bbox[j]], "area": float(gts.area[j]),
                           "iscrowd": int(gts.iscrowd[j])} for j in range(len(gts))]}
    results = [{"image_id": int(dets.image[d]) + 1, "category_id": int(dets.category[d]) + 1,
                "bbox": [float(v) for v in dets.bbox[d]], "score": float(dets.score[d])} for d in range(len(dets))]
    return gt, results


def _oracle_time(module: str, gt: dict, results: list, cpu: Optional[list] = None) -> tuple[float, list[float]]:
    """(seconds for loadRes + evaluate + accumulate + summarize, stats) of pycocotools or faster-coco-eval; the
    process CPU seconds appended to `cpu` if given."""
    import copy

    if module == "pycocotools":
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval as Eval
    else:
        from faster_coco_eval import COCO
        from faster_coco_eval import COCOeval_faster as Eval
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt)
        coco_gt.createIndex()
        results = copy.deepcopy(results)
        start, start_cpu = time.perf_counter(), time.process_time()
        ev = Eval(coco_gt, coco_gt.loadRes(results), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        seconds = time.perf_counter() - start
        if cpu is not None:
            cpu.append(time.process_time() - start_cpu)
    return seconds, [float(v) for v in ev.stats]


def _replicated(dets, gts, k: int, num_images: int):
    from inspectors.evaluation.coco_matching import DetectionSet, GroundTruthArrays

    offset = lambda image: np.concatenate([image + r * num_images for r in range(k)])  # noqa: E731
    return (DetectionSet(image=offset(dets.image), category=np.tile(dets.category, k),
                         bbox=np.tile(dets.bbox, (k, 1)), score=np.tile(dets.score, k)),
            GroundTruthArrays(image=offset(gts.image), category=np.tile(gts.category, k),
                              bbox=np.tile(gts.bbox, (k, 1)), area=np.tile(gts.area, k),
                              iscrowd=np.tile(gts.iscrowd, k)))


def opened_and_warm(args) -> DatasetCapture:
    """The capture at --capture, opened and evaluated once (records read, RPN stage built), with the machine."""
    torch.set_num_threads(args.threads)
    dataset = DatasetCapture.open(args.capture)
    print(f"machine: {machine()}; {len(dataset)} images, model {dataset.model_name}")
    start = time.perf_counter()
    dataset.evaluate()
    print(f"first evaluation (reads the records, RPN stage): {time.perf_counter() - start:.2f} s")
    return dataset


def cmd_diagnosis(args) -> None:
    from inspectors.evaluation.coco_accumulate import MAX_DETS, ScoreSlider
    from inspectors.evaluation.coco_matching import match

    dataset = opened_and_warm(args)
    n = len(dataset)
    med = statistics.median
    scores = [round(float(v), 4) for v in np.linspace(0.06, 0.9, args.moves)]

    def slider_rows(label: str, dets, gts, num_images: int) -> None:
        start = time.perf_counter()
        slider = ScoreSlider(match(dets, gts, max_det=MAX_DETS[-1]), dets, gts.category, len(dataset.class_names))
        build = time.perf_counter() - start
        ours, py, fast, worst = [], [], [], 0.0
        gt, results = _coco_dicts(dets, gts, len(dataset.class_names), num_images)
        for s in scores:
            start = time.perf_counter()
            values = slider.at(s)
            ours.append(time.perf_counter() - start)
            kept = [r for r in results if np.float32(r["score"]) > np.float32(s)]
            t_py, stats = _oracle_time("pycocotools", gt, kept)
            t_fast, _ = _oracle_time("faster_coco_eval", gt, kept)
            py.append(t_py)
            fast.append(t_fast)
            worst = max(worst, abs(values["ap"] - stats[0]), abs(values["ar100"] - stats[8]))
        print(f"{label}: score slider built once in {build:.2f} s ({len(dets)} detections at score 0); per move "
              f"median {med(ours) * 1000:.2f} ms (max {max(ours) * 1000:.2f}) over {len(scores)} thresholds; "
              f"pycocotools {med(py) * 1000:.0f} ms, faster-coco-eval {med(fast) * 1000:.0f} ms on the same "
              f"detections; max |AP or AR difference| vs pycocotools {worst:.1e}")

    base = dataset.detection_set(box_score_thresh=0.0)
    gts = dataset.ground_truth()
    slider_rows(f"{n} images", base, gts, n)
    if args.replicate > 1:
        dets_k, gts_k = _replicated(base, gts, args.replicate, n)
        slider_rows(f"{n * args.replicate} images ({n} demo scenes repeated {args.replicate}×)", dets_k, gts_k,
                    n * args.replicate)

    start = time.perf_counter()
    dataset.funnel_summary()
    print(f"{'funnel summary, first (per-image RPN part, memoised)':52s} {time.perf_counter() - start:8.2f} s")
    dataset.evaluate(box_nms_thresh=0.45)  # the first NMS move (the pairs are found on the next one)
    dataset.evaluate(box_nms_thresh=0.4)
    moves = {"box NMS": ("box_nms_thresh", (0.3, 0.35, 0.55, 0.6, 0.65)),
             "detections-per-image": ("box_detections_per_img", (20, 30, 40, 60, 80)),
             "box score": ("box_score_thresh", (0.1, 0.2, 0.3, 0.4, 0.5))}
    views = {"confusion matrix": lambda s: dataset.confusion_matrix(**s),
             "operating points": lambda s: dataset.operating_points(**s),
             "  + per-class thresholds applied (AP before/after)": lambda s: dataset.operating_points(**s).apply(),
             "funnel summary": lambda s: dataset.funnel_summary(**s)}
    for label, (key, values) in moves.items():
        times: dict[str, list[float]] = {name: [] for name in [*views, "all three (the tab's diagnosis views)"]}
        for v in values:
            dataset.evaluate(**{key: v})  # the slider's own evaluation (the tab's metrics) comes first
            total = 0.0
            for name, view in views.items():
                start = time.perf_counter()
                view({key: v})
                times[name].append(time.perf_counter() - start)
                total += times[name][-1]
            times["all three (the tab's diagnosis views)"].append(total)
        for name, values_s in times.items():
            print(f"{name} after a {label} move: median {med(values_s) * 1000:7.1f} ms  "
                  f"(max {max(values_s) * 1000:.1f}, {len(values_s)} moves)")
    start = time.perf_counter()
    dataset.anchor_fit()
    print(f"{'anchor fit (once per capture)':52s} {time.perf_counter() - start:8.2f} s")
    print(f"peak RSS {peak_rss_mib():.0f} MiB")


def cmd_final(args) -> None:
    """The final-stage sliders on a dataset, each move a full `evaluate()` at a setting not seen before (per-image
    AP and TIDE are computed only when read, so not here), next to pycocotools and faster-coco-eval evaluating the
    same detections (loadRes, evaluate, accumulate, summarize): the box-NMS slider on its steps (after the first
    move, which finds the overlapping pairs and decides every step) and off them, the detections-per-image slider,
    and the box-score slider (evaluate() from the lowest score's matches: no matching)."""
    from inspectors.rpn.nms_grid import slider_grid

    dataset = opened_and_warm(args)
    n = len(dataset)
    gts = dataset.ground_truth()
    med = statistics.median
    model_nms = dataset.defaults["box_nms_thresh"]
    steps = [v for v in slider_grid("box_nms_thresh") if 0.25 <= v <= 0.75 and abs(v - model_nms) > 1e-9]
    # opening evaluated the model's NMS threshold (one kernel call per image); the first move to another one finds
    # the overlapping pairs and decides every step of the slider at once
    start, start_cpu = time.perf_counter(), time.process_time()
    dataset.evaluate(box_nms_thresh=steps[0])
    print(f"first box-NMS move at this score threshold (finds the overlapping pairs, decides all "
          f"{len(slider_grid('box_nms_thresh'))} steps): {(time.perf_counter() - start) * 1000:.0f} ms, CPU "
          f"{(time.process_time() - start_cpu) * 1000:.0f} ms")
    start, start_cpu = time.perf_counter(), time.process_time()
    dataset.evaluate(box_nms_thresh=steps[1])
    print(f"second box-NMS move (a step: read from the bits): {(time.perf_counter() - start) * 1000:.0f} ms, CPU "
          f"{(time.process_time() - start_cpu) * 1000:.0f} ms")
    moves = {
        "box NMS slider, on its steps": ("box_nms_thresh", steps[2:2 + args.moves]),
        "box NMS slider, off its steps": ("box_nms_thresh", [round(v + 0.013, 3) for v in steps[:args.moves]]),
        "detections-per-image slider": ("box_detections_per_img",
                                        [int(v) for v in np.linspace(20, 90, args.moves)]),
        "box score slider (above the lowest seen)": ("box_score_thresh",
                                                     [round(float(v), 3) for v in np.linspace(0.1, 0.8, args.moves)]),
    }
    for label, (key, values) in moves.items():
        ours, py, fast, worst = [], [], [], 0.0
        cpu: dict[str, list] = {"ours": [], "py": [], "fast": []}
        for v in values:
            start, start_cpu = time.perf_counter(), time.process_time()
            metrics = dataset.evaluate(**{key: v})
            ours.append(time.perf_counter() - start)
            cpu["ours"].append(time.process_time() - start_cpu)
            if args.no_oracles:
                continue
            dets = dataset.detection_set(**{key: v})
            gt, results = _coco_dicts(dets, gts, len(dataset.class_names), n)
            t_py, stats = _oracle_time("pycocotools", gt, results, cpu["py"])
            t_fast, _ = _oracle_time("faster_coco_eval", gt, results, cpu["fast"])
            py.append(t_py)
            fast.append(t_fast)
            worst = max(worst, abs(metrics.ap - stats[0]), abs(metrics.ar100 - stats[8]))
        if args.no_oracles:
            print(f"{label} ({len(values)} moves, {key} {values[0]}…{values[-1]}): ours median "
                  f"{med(ours) * 1000:.1f} ms (min {min(ours) * 1000:.1f}, max {max(ours) * 1000:.1f}); process "
                  f"CPU time median {med(cpu['ours']) * 1000:.1f} ms; load {os.getloadavg()[0]:.1f}")
            continue
        print(f"{label} ({len(values)} moves, {key} {values[0]}…{values[-1]}): ours median "
              f"{med(ours) * 1000:.1f} ms (max {max(ours) * 1000:.1f}); pycocotools {med(py) * 1000:.0f} ms, "
              f"faster-coco-eval {med(fast) * 1000:.0f} ms on the same detections; "
              f"max |AP or AR@100 difference| vs pycocotools {worst:.1e}")
        print(f"    process CPU time, median: ours {med(cpu['ours']) * 1000:.1f} ms, pycocotools "
              f"{med(cpu['py']) * 1000:.0f} ms, faster-coco-eval {med(cpu['fast']) * 1000:.0f} ms")
    print(f"peak RSS {peak_rss_mib():.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("capture")
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--data", default=None, help="demo dataset cache folder (default: the user cache)")
    p.add_argument("--out", default="bench/out/demo500")
    p.add_argument("--engine", default="local", choices=("local", "ray"))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--workers", type=int, default=None, help="Ray actors")
    p = sub.add_parser("sliders")
    p.add_argument("--capture", default="bench/out/demo500")
    p.add_argument("--moves", type=int, default=10)
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads while replaying")
    p = sub.add_parser("disk")
    p.add_argument("--model", default="fasterrcnn_resnet50_fpn")
    p.add_argument("--size", type=int, default=800)
    p.add_argument("--n", type=int, default=3)
    p.add_argument("--out", default="bench/out/disk")
    p = sub.add_parser("single")
    p.add_argument("--model", default="fasterrcnn_resnet50_fpn")
    p.add_argument("--size", default="800x1066")
    p.add_argument("--classes", type=int, default=91)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--threads", type=int, default=0, help="torch intra-op threads (default: torch's)")
    p = sub.add_parser("diagnosis")
    p.add_argument("--capture", default="bench/out/demo1000")
    p.add_argument("--moves", type=int, default=12)
    p.add_argument("--replicate", type=int, default=1, help="also time the score slider on k copies of the set")
    p.add_argument("--threads", type=int, default=1)
    p = sub.add_parser("final")
    p.add_argument("--capture", default="bench/out/demo1000")
    p.add_argument("--moves", type=int, default=7)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no-oracles", action="store_true",
                   help="time our moves only (no pycocotools / faster-coco-eval between them): for iterating")
    args = parser.parse_args()
    {"capture": cmd_capture, "sliders": cmd_sliders, "disk": cmd_disk, "single": cmd_single,
     "diagnosis": cmd_diagnosis, "final": cmd_final}[args.command](args)


if __name__ == "__main__":
    main()
