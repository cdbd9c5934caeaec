"""Train the mask branch of RCNN Lens' ``demo_mask`` model on the synthetic scenes, with the demo's box model frozen.

``demo_mask`` (``inspectors/core/demo_model.py``) is the demo Faster R-CNN plus torchvision's mask branch
(``MaskRCNNHeads`` + ``MaskRCNNPredictor``; its RoIAlign has no parameters). This script loads the committed box
weights, freezes everything but ``roi_heads.mask_head`` and ``roi_heads.mask_predictor`` (``requires_grad_(False)``,
and every BatchNorm, the backbone and the RPN stay in ``eval()`` so no running statistic ever changes), and
optimises torchvision's own ``loss_mask`` (``model(images, targets)`` in training mode: the RoI heads sample
proposals, and the mask loss is the per-pixel BCE of each positive proposal's 28x28 logits of its class against
the ground-truth mask RoIAligned to the proposal). The other losses are returned by torchvision but not
back-propagated (their parameters are frozen, so no graph is built through the backbone).

Targets carry ``masks`` (N,H,W) uint8 = ``Scene.masks`` (each object's visible pixels), flipped with the image
by ``training.train_demo.ShapesStream``. Stream, learning-rate schedule, checkpoints, ``--max-minutes`` budget
and ``--resume`` are train_demo's.

At the end the mask branch alone is stored as an fp16 state dict (``demo_shapes_maskhead.pt``, full-model key
names, so ``load_demo_mask_model`` merges it with the box file) and, unless ``--eval-num 0``, evaluated with
pycocotools (``segm`` and ``bbox``) by ``training.evaluate_demo``; results go to
``demo_shapes_mask_metrics.json``. Reproduce the committed file (2 CPU threads)::

    python -m training.train_demo_mask --out training/runs/demo_mask --export-dir inspectors/weights
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time

import numpy as np
import torch
from torch.utils.data import DataLoader

from inspectors.core.demo_model import (
    DEMO_CATEGORIES,
    DEMO_CONFIG,
    DEMO_MASK_CONFIG,
    DEMO_WEIGHTS,
    build_demo_mask_model,
    load_demo_state_dict,
)
from training.train_demo import ShapesStream, collate, lr_at, save_checkpoint

MASK_WEIGHTS_NAME = "demo_shapes_maskhead.pt"
MASK_METRICS_NAME = "demo_shapes_mask_metrics.json"
MASK_PREFIXES = ("roi_heads.mask_head.", "roi_heads.mask_predictor.")


def is_mask_key(name: str) -> bool:
    return name.startswith(MASK_PREFIXES)


def mask_state_dict(model, dtype=torch.float16) -> dict:
    """The mask branch's tensors only, under the full model's key names (fp16 for storage by default)."""
    return {k: (v.detach().to("cpu", dtype) if torch.is_floating_point(v) else v.detach().cpu())
            for k, v in model.state_dict().items() if is_mask_key(k)}


def prepare_model(box_weights=None, mask_init=None):
    """demo_mask with the box weights loaded and frozen; only the mask branch requires grad.

    Returns the model already in the training configuration (see :func:`set_train_mode`)."""
    model = build_demo_mask_model(len(DEMO_CATEGORIES))
    box_state = load_demo_state_dict(box_weights if box_weights is not None else DEMO_WEIGHTS)
    missing, unexpected = model.load_state_dict(box_state, strict=False)
    if unexpected or any(not is_mask_key(k) for k in missing):
        raise RuntimeError(f"box weights do not fit the demo architecture: missing={missing} unexpected={unexpected}")
    if mask_init is not None:
        model.load_state_dict(load_demo_state_dict(mask_init), strict=False)
    for name, p in model.named_parameters():
        p.requires_grad_(is_mask_key(name))
    set_train_mode(model)
    return model


def set_train_mode(model):
    """``model.train()`` for torchvision's training path (proposal sampling, losses), but the frozen parts in eval:
    the backbone (BatchNorm running stats never move), the RPN (test-time proposals, no RPN loss), every BatchNorm."""
    model.train()
    model.backbone.eval()
    model.rpn.eval()
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.eval()
    return model


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="Train the demo_mask model's mask branch (box model frozen).")
    ap.add_argument("--out", default="training/runs/demo_mask", help="run directory (checkpoints, log, weights)")
    ap.add_argument("--export-dir", default=None, help="also copy the mask weights + metrics JSON here")
    ap.add_argument("--box-weights", default=None, help="the frozen box model (default: the committed demo file)")
    ap.add_argument("--init-mask", default=None, help="start the mask branch from this file (fresh optimizer)")
    ap.add_argument("--iters", type=int, default=100000, help="max iterations (the time budget usually ends first)")
    ap.add_argument("--max-minutes", type=float, default=58.0, help="wall-clock training budget")
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--image-size", type=int, default=384)
    ap.add_argument("--train-min-sizes", default="288,320,352,384",
                    help="multi-scale training: the model transform picks one of these min sizes per batch")
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--final-lr-frac", type=float, default=0.02)
    ap.add_argument("--seed", type=int, default=2, help="training-stream seed (the box stages used 0 and 1)")
    ap.add_argument("--clutter-prob", type=float, default=0.35)
    ap.add_argument("--mask-rois-per-image", type=int, default=16,
                    help="positive proposals per image the mask loss sees: the RoI sampler draws 2x this many with "
                         "positive fraction 0.5 (torchvision's default 512 x 0.25 spends most time on near-duplicate "
                         "RoIs of the same objects; the box losses are not trained here)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=1, help="DataLoader worker processes rendering scenes")
    ap.add_argument("--device", default="cpu", help="cpu, or cuda when one is available")
    ap.add_argument("--ckpt-minutes", type=float, default=4.0)
    ap.add_argument("--resume", default=None, help="checkpoint.pt to continue from")
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
    device = torch.device(args.device)

    model = prepare_model(args.box_weights, args.init_mask).to(device)
    sampler = model.roi_heads.fg_bg_sampler  # training-time RoI sampling only; inference does not use it
    sampler.batch_size_per_image, sampler.positive_fraction = 2 * args.mask_rois_per_image, 0.5
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim > 1]
    no_decay = [p for p in params if p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    start_it, elapsed_before = 0, 0.0
    history: list = []
    if args.resume:
        ck = torch.load(args.resume, map_location=device, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        start_it, elapsed_before = ck["iteration"], ck["elapsed_s"]
        history = ck.get("history", [])
        torch.set_rng_state(ck["torch_rng"])
        print(f"resumed from {args.resume} at iteration {start_it} ({elapsed_before / 60:.1f} min)", flush=True)
    frozen_before = {k: v.detach().clone() for k, v in model.state_dict().items() if not is_mask_key(k)}

    budget_s = args.max_minutes * 60.0
    n_imgs = (args.iters - start_it) * args.batch_size
    ds = ShapesStream(args.seed, args.image_size, max(n_imgs, 0), start=start_it * args.batch_size,
                      clutter=args.clutter_prob, masks=True)
    dl = DataLoader(ds, batch_size=args.batch_size, shuffle=False, collate_fn=collate,
                    num_workers=args.workers, persistent_workers=False,
                    prefetch_factor=4 if args.workers > 0 else None)
    set_train_mode(model)
    eval_min_size = model.transform.min_size
    model.transform.min_size = tuple(int(v) for v in args.train_min_sizes.split(","))
    logf = open(os.path.join(args.out, "train_log.jsonl"), "a")
    t0 = time.time()
    last_ck = t0
    it = start_it
    ema = None
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
        images = [im.to(device) for im in images]
        targets = [{k: v.to(device) for k, v in t.items()} for t in targets]
        losses = model(images, targets)
        loss = losses["loss_mask"]
        opt.zero_grad(set_to_none=True)
        if torch.isfinite(loss):
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 10.0)
            opt.step()
        else:
            print(f"non-finite mask loss at iteration {it}", flush=True)
        it += 1
        lv = float(loss.detach())
        ema = lv if ema is None else 0.98 * ema + 0.02 * lv
        if it % args.log_every == 0:
            rec = {"iteration": it, "elapsed_s": round(elapsed_before + time.time() - t0, 1), "lr": lr,
                   "loss_mask": round(lv, 4), "ema_loss_mask": round(ema, 4)}
            logf.write(json.dumps(rec) + "\n")
            logf.flush()
            if it % (args.log_every * 10) == 0:
                history.append(rec)
                if not args.no_progress:
                    print(json.dumps(rec), flush=True)
        if time.time() - last_ck > args.ckpt_minutes * 60:
            save_checkpoint(args, model, opt, it, elapsed_before + time.time() - t0, history)
            torch.save(mask_state_dict(model), os.path.join(args.out, MASK_WEIGHTS_NAME))
            last_ck = time.time()
    model.transform.min_size = eval_min_size
    train_s = elapsed_before + (time.time() - t0)
    save_checkpoint(args, model, opt, it, train_s, history)
    unchanged = all(torch.equal(v, model.state_dict()[k]) for k, v in frozen_before.items())
    if not unchanged:
        raise RuntimeError("a frozen (box model) tensor changed during mask training")
    wpath = os.path.join(args.out, MASK_WEIGHTS_NAME)
    torch.save(mask_state_dict(model), wpath)
    print(f"stopped ({stop_reason}) after {it} iterations, {train_s / 60:.1f} min; mask weights -> {wpath} "
          f"({os.path.getsize(wpath) / 1e6:.3f} MB)", flush=True)

    n_mask = sum(p.numel() for n, p in model.named_parameters() if is_mask_key(n))
    metrics = {
        "model": "RCNN Lens demo_mask: the demo Faster R-CNN (frozen, committed box weights) + torchvision mask branch",
        "categories": DEMO_CATEGORIES,
        "architecture": {**DEMO_CONFIG, **DEMO_MASK_CONFIG},
        "num_parameters": sum(p.numel() for p in model.parameters()),
        "num_mask_branch_parameters": n_mask,
        "weights_file": MASK_WEIGHTS_NAME,
        "weights_bytes": os.path.getsize(wpath),
        "box_weights_file": os.path.basename(str(args.box_weights or DEMO_WEIGHTS)),
        "box_weights_bytes": os.path.getsize(args.box_weights or DEMO_WEIGHTS),
        "weights_dtype": "float16 (stored), loaded as float32; the mask file holds only roi_heads.mask_head.* and "
                         "roi_heads.mask_predictor.*",
        "training": {
            "command": "python -m training.train_demo_mask " + " ".join(argv if argv is not None else sys.argv[1:]),
            "args": vars(args),
            "iterations": it,
            "images_seen": it * args.batch_size,
            "train_minutes": round(train_s / 60, 2),
            "seconds_per_iteration": round(train_s / max(1, it), 3),
            "stop_reason": stop_reason,
            "trained": "mask branch only (roi_heads.mask_head + mask_predictor); backbone, RPN, box head frozen "
                       "(requires_grad False, backbone/RPN/BatchNorm in eval mode); frozen tensors verified unchanged",
            "loss": "torchvision loss_mask (BCE on 28x28, positive sampled proposals, GT masks RoIAligned)",
            "roi_sampler": {"batch_size_per_image": 2 * args.mask_rois_per_image, "positive_fraction": 0.5},
            "optimizer": "AdamW, linear warmup + cosine (progress = max(iter/iters, elapsed/budget)), "
                         "grad-norm clip 10",
            "data": "make_scene(seed, index, 'train', image_size, clutter) rendered on the fly, deterministic flips "
                    "of image, boxes and masks; masks = Scene.masks (visible pixels)",
            "final_ema_loss_mask": ema,
            "loss_history": history,
            "device": str(device),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs visible, shared with other jobs",
            "torch": torch.__version__,
            "torchvision": __import__("torchvision").__version__,
            "python": platform.python_version(),
            "threads": args.threads,
        },
    }
    mpath = os.path.join(args.out, MASK_METRICS_NAME)
    if args.eval_num > 0:
        from training.evaluate_demo import evaluate_all_mask

        model.eval()
        metrics["evaluation"] = evaluate_all_mask(model.cpu(), num=args.eval_num, seed=args.eval_seed,
                                                  size=args.image_size)
    with open(mpath, "w") as f:
        json.dump(metrics, f, indent=2)
    print(f"metrics -> {mpath}", flush=True)
    if args.export_dir:
        import shutil

        os.makedirs(args.export_dir, exist_ok=True)
        shutil.copy2(wpath, os.path.join(args.export_dir, MASK_WEIGHTS_NAME))
        shutil.copy2(mpath, os.path.join(args.export_dir, MASK_METRICS_NAME))
        print(f"exported to {args.export_dir}", flush=True)
    return metrics


if __name__ == "__main__":
    main()
