"""Train RCNN Lens' demo Faster R-CNN (inspectors/demo_model.py) on seeded synthetic shapes, on CPU.

Scenes are rendered on the fly from ``(seed, index)`` by ``inspectors/dataset/scenes.py`` (an endless,
never-repeating stream), so there is no dataset to download or cache.  The learning rate follows a linear
warmup then a cosine decay driven by ``max(iteration / iters, elapsed / max_minutes)``, so a wall-clock
budget ends the schedule cleanly.  Checkpoints are written every ``--ckpt-minutes``; ``--resume`` continues.

At the end the weights are stored as an fp16 state dict (``demo_shapes_fasterrcnn.pt``) and, unless
``--eval-num 0``, evaluated with pycocotools on held-out in-distribution and out-of-distribution sets; the
training configuration and the results go to ``demo_shapes_metrics.json`` (see training/README.md).

Reproduce the committed demo weights (2 CPU threads)::

    python -m training.train_demo --out training/runs/demo --export-dir inspectors/weights
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import sys
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from inspectors.core.demo_model import DEMO_CATEGORIES, DEMO_CONFIG, build_demo_model
from inspectors.dataset.scenes import make_scene

WEIGHTS_NAME = "demo_shapes_fasterrcnn.pt"
METRICS_NAME = "demo_shapes_metrics.json"


def scene_to_tensors(scene, masks: bool = False):
    """Image (3,H,W) float in [0,1] and a torchvision target; ``masks=True`` adds ``masks`` (N,H,W) uint8, the
    visible pixels of each kept object (``Scene.masks``, same order as the boxes)."""
    img = torch.from_numpy(np.asarray(scene.image, dtype=np.uint8).copy()).permute(2, 0, 1).float().div_(255)
    boxes = torch.from_numpy(scene.boxes).float().reshape(-1, 4)
    labels = torch.from_numpy(scene.labels).long()
    keep = (boxes[:, 2] - boxes[:, 0] >= 1) & (boxes[:, 3] - boxes[:, 1] >= 1)
    tgt = {"boxes": boxes[keep], "labels": labels[keep]}
    if masks:
        tgt["masks"] = torch.from_numpy(scene.masks.astype(np.uint8))[keep]
    return img, tgt


def flip_code(idx: int) -> int:
    """The deterministic flip of stream item ``idx``: 1 horizontal, 2 vertical, 3 both, 0 none."""
    return (idx * 2654435761) % 4


def flip_sample(img, tgt, flip: int):
    """Flip the image and its target (boxes, and masks when present) together."""
    w, h = img.shape[2], img.shape[1]
    b = tgt["boxes"]
    m = tgt.get("masks")
    if flip in (1, 3):
        img = img.flip(2)
        b = torch.stack([w - b[:, 2], b[:, 1], w - b[:, 0], b[:, 3]], 1)
        m = m.flip(-1) if m is not None else None
    if flip in (2, 3):
        img = img.flip(1)
        b = torch.stack([b[:, 0], h - b[:, 3], b[:, 2], h - b[:, 1]], 1)
        m = m.flip(-2) if m is not None else None
    tgt = dict(tgt, boxes=b)
    if m is not None:
        tgt["masks"] = m
    return img, tgt


class ShapesStream(Dataset):
    """Scene ``i`` of the training stream = make_scene(seed, i, "train", size) plus a random flip
    (``masks=True``: the targets carry the objects' pixel masks, flipped with the image)."""

    def __init__(self, seed: int, size: int, length: int, start: int = 0, clutter: float = 0.0,
                 masks: bool = False):
        self.seed, self.size, self.length, self.start, self.clutter = seed, size, length, start, clutter
        self.masks = masks

    def __len__(self):
        return self.length

    def __getitem__(self, i):
        idx = self.start + i
        scene = make_scene(self.seed, idx, "train", self.size, clutter=self.clutter)
        img, tgt = scene_to_tensors(scene, masks=self.masks)
        return flip_sample(img, tgt, flip_code(idx))


def collate(batch):
    return tuple(zip(*batch))


def lr_at(it: int, progress: float, base: float, warmup: int, final_frac: float) -> float:
    warm = min(1.0, (it + 1) / max(1, warmup))
    cos = final_frac + (1 - final_frac) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return base * warm * cos


def save_fp16(model, path):
    sd = {k: (v.half() if torch.is_floating_point(v) else v) for k, v in model.state_dict().items()}
    torch.save(sd, path)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="Train the RCNN Lens demo detector on synthetic shapes (CPU).")
    ap.add_argument("--out", default="training/runs/demo", help="run directory (checkpoints, log, weights)")
    ap.add_argument("--export-dir", default=None, help="also copy final weights + metrics JSON here")
    ap.add_argument("--iters", type=int, default=100000, help="max iterations (the time budget usually ends first)")
    ap.add_argument("--max-minutes", type=float, default=45.0, help="wall-clock training budget")
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--image-size", type=int, default=384)
    ap.add_argument("--train-min-sizes", default="288,320,352,384",
                    help="multi-scale training: the model transform picks one of these min sizes per batch")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=150)
    ap.add_argument("--final-lr-frac", type=float, default=0.02)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=1, help="DataLoader worker processes rendering scenes")
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--resume", default=None, help="checkpoint.pt to continue from")
    ap.add_argument("--init-weights", default=None,
                    help="start from these weights (checkpoint.pt or fp16 file) with a fresh optimizer + schedule")
    ap.add_argument("--previous-metrics", default=None,
                    help="metrics JSON of the stage this run continues (--init-weights); its training section is "
                         "kept under training.previous_stages")
    ap.add_argument("--clutter-prob", type=float, default=0.0,
                    help="probability of non-shape clutter (blobs, fractal texture, scribbles) under the shapes")
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--eval-num", type=int, default=200, help="images per held-out eval set (0 = skip eval)")
    ap.add_argument("--eval-seed", type=int, default=1000)
    ap.add_argument("--no-progress", action="store_true")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)

    model = build_demo_model(len(DEMO_CATEGORIES))
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim > 1]
    no_decay = [p for p in params if p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    start_it, elapsed_before = 0, 0.0
    history = []
    if args.init_weights:
        from inspectors.core.demo_model import load_demo_state_dict

        model.load_state_dict(load_demo_state_dict(args.init_weights))
        print(f"initialised from {args.init_weights}", flush=True)
    if args.resume:
        ck = torch.load(args.resume, map_location="cpu", weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        start_it, elapsed_before = ck["iteration"], ck["elapsed_s"]
        history = ck.get("history", [])
        torch.set_rng_state(ck["torch_rng"])
        print(f"resumed from {args.resume} at iteration {start_it} ({elapsed_before / 60:.1f} min)", flush=True)

    budget_s = args.max_minutes * 60.0
    n_imgs = (args.iters - start_it) * args.batch_size
    ds = ShapesStream(args.seed, args.image_size, max(n_imgs, 0), start=start_it * args.batch_size,
                      clutter=args.clutter_prob)
    dl = DataLoader(ds, batch_size=args.batch_size, shuffle=False, collate_fn=collate,
                    num_workers=args.workers, persistent_workers=False,
                    prefetch_factor=4 if args.workers > 0 else None)
    model.train()
    eval_min_size = model.transform.min_size
    model.transform.min_size = tuple(int(v) for v in args.train_min_sizes.split(","))
    log_path = os.path.join(args.out, "train_log.jsonl")
    logf = open(log_path, "a")
    t0 = time.time()
    last_ck = t0
    it = start_it
    ema = None
    try:
        from tqdm import tqdm

        bar = tqdm(total=args.iters, initial=start_it, disable=args.no_progress, dynamic_ncols=True,
                   mininterval=5.0)
    except ImportError:  # pragma: no cover
        bar = None
    stop_reason = "iters"
    for images, targets in dl:
        elapsed = elapsed_before + (time.time() - t0)
        progress = max(it / args.iters, elapsed / budget_s)
        if progress >= 1.0:
            stop_reason = "time" if elapsed >= budget_s else "iters"
            break
        lr = lr_at(it, progress, args.lr, args.warmup, args.final_lr_frac)
        for g in opt.param_groups:
            g["lr"] = lr
        losses = model(list(images), list(targets))
        loss = sum(losses.values())
        if not torch.isfinite(loss):
            print(f"non-finite loss at iteration {it}: {({k: float(v) for k, v in losses.items()})}", flush=True)
            opt.zero_grad(set_to_none=True)
            it += 1
            continue
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 10.0)
        opt.step()
        it += 1
        lv = {k: float(v.detach()) for k, v in losses.items()}
        lv["loss"] = float(loss.detach())
        ema = lv if ema is None else {k: 0.95 * ema[k] + 0.05 * lv[k] for k in lv}
        if bar is not None:
            bar.update(1)
            if it % args.log_every == 0:
                bar.set_postfix(loss=f"{ema['loss']:.3f}", cls=f"{ema['loss_classifier']:.3f}",
                                box=f"{ema['loss_box_reg']:.3f}", obj=f"{ema['loss_objectness']:.3f}",
                                lr=f"{lr:.2e}")
        if it % args.log_every == 0:
            rec = {"iteration": it, "elapsed_s": round(elapsed_before + time.time() - t0, 1), "lr": lr,
                   **{k: round(v, 4) for k, v in lv.items()}, "ema_loss": round(ema["loss"], 4)}
            logf.write(json.dumps(rec) + "\n")
            logf.flush()
            if it % (args.log_every * 10) == 0:
                history.append(rec)
                if args.no_progress or bar is None:
                    print(json.dumps(rec), flush=True)
        if time.time() - last_ck > args.ckpt_minutes * 60:
            save_checkpoint(args, model, opt, it, elapsed_before + time.time() - t0, history)
            last_ck = time.time()
    if bar is not None:
        bar.close()
    model.transform.min_size = eval_min_size
    train_s = elapsed_before + (time.time() - t0)
    save_checkpoint(args, model, opt, it, train_s, history)
    wpath = os.path.join(args.out, WEIGHTS_NAME)
    save_fp16(model, wpath)
    print(f"stopped ({stop_reason}) after {it} iterations, {train_s / 60:.1f} min; weights -> {wpath} "
          f"({os.path.getsize(wpath) / 1e6:.2f} MB)", flush=True)

    metrics = {
        "model": "RCNN Lens demo Faster R-CNN (ResNet-10 BasicBlock [1,1,1,1] + FPN-64, P2-P6)",
        "categories": DEMO_CATEGORIES,
        "architecture": DEMO_CONFIG,
        "num_parameters": sum(p.numel() for p in model.parameters()),
        "weights_file": WEIGHTS_NAME,
        "weights_bytes": os.path.getsize(wpath),
        "weights_dtype": "float16 (stored), loaded as float32",
        "training": {
            "command": "python -m training.train_demo " + " ".join(argv if argv is not None else sys.argv[1:]),
            "args": vars(args),
            "iterations": it,
            "images_seen": it * args.batch_size,
            "train_minutes": round(train_s / 60, 2),
            "seconds_per_iteration": round(train_s / max(1, it - start_it if not args.resume else it), 3),
            "stop_reason": stop_reason,
            "optimizer": "AdamW, linear warmup + cosine (progress = max(iter/iters, elapsed/budget)), "
                         "grad-norm clip 10",
            "data": "synthetic_shapes.make_scene(seed, index, 'train', image_size), rendered on the fly, "
                    "deterministic flips",
            "final_ema_losses": ema,
            "loss_history": history,
            "torch": torch.__version__,
            "torchvision": __import__("torchvision").__version__,
            "python": platform.python_version(),
            "threads": args.threads,
        },
    }
    if args.previous_metrics:
        with open(args.previous_metrics) as f:
            add_previous_stages(metrics, json.load(f))
    if args.eval_num > 0:
        from training.evaluate_demo import evaluate_all

        model.eval()
        metrics["evaluation"] = evaluate_all(model, num=args.eval_num, seed=args.eval_seed,
                                             size=args.image_size)
    mpath = os.path.join(args.out, METRICS_NAME)
    with open(mpath, "w") as f:
        json.dump(metrics, f, indent=2)
    print(f"metrics -> {mpath}", flush=True)
    if args.export_dir:
        import shutil

        os.makedirs(args.export_dir, exist_ok=True)
        shutil.copy2(wpath, os.path.join(args.export_dir, WEIGHTS_NAME))
        shutil.copy2(mpath, os.path.join(args.export_dir, METRICS_NAME))
        print(f"exported to {args.export_dir}", flush=True)
    return metrics


def add_previous_stages(metrics: dict, previous: dict) -> dict:
    """Record the earlier training stage(s) (and their evaluation) inside ``metrics['training']``."""
    prev = dict(previous["training"])
    earlier = prev.pop("previous_stages", [])
    prev.pop("loss_history", None)
    if "evaluation" in previous:
        prev["evaluation_after_stage"] = {k: {kk: v[kk] for kk in ("mAP@0.5", "mAP@[.5:.95]")}
                                          for k, v in previous["evaluation"].items() if isinstance(v, dict)}
    metrics["training"]["previous_stages"] = earlier + [prev]
    metrics["training"]["total_train_minutes"] = round(
        metrics["training"]["train_minutes"] + sum(p["train_minutes"] for p in earlier + [prev]), 2)
    metrics["training"]["total_iterations"] = metrics["training"]["iterations"] + sum(
        p["iterations"] for p in earlier + [prev])
    return metrics


def save_checkpoint(args, model, opt, it, elapsed_s, history):
    path = os.path.join(args.out, "checkpoint.pt")
    tmp = path + ".tmp"
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "iteration": it,
                "elapsed_s": elapsed_s, "history": history, "torch_rng": torch.get_rng_state(),
                "args": vars(args)}, tmp)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
