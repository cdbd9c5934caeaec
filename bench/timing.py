"""What the bench scripts share: one wall-clock measurement (the GPU's queue drained before and after), the
command-line options every engine benchmark takes, and the model they build from them.

Run the scripts as modules from the repository root (`python -m bench.bench_engine`), or after `pip install -e .`.
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

import torch

from inspectors import InspectedModel, load_model


def clock(fn: Callable[[], object], device: torch.device) -> float:
    """Seconds `fn()` takes; on CUDA the clock starts and stops on a synchronised device."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def model_arguments(parser: argparse.ArgumentParser, *, model: str, repeat: int) -> argparse.ArgumentParser:
    """--model, --size, --classes, --repeat, --device and --threads, as every engine benchmark takes them."""
    parser.add_argument("--model", default=model)
    parser.add_argument("--size", default="800x1066", help="H x W of the random test image (torchvision models)")
    parser.add_argument("--classes", type=int, default=91)
    parser.add_argument("--repeat", type=int, default=repeat)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    return parser


def bench_model(args: argparse.Namespace) -> InspectedModel:
    """The model the options name: the demo model, or a torchvision builder at random init with --classes classes
    (timings depend on the weights only through how many boxes pass each filter). Applies --threads."""
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.model == "demo":
        return load_model("demo", device=args.device)
    categories = ["__background__", *(f"c{i}" for i in range(1, args.classes))]
    return load_model(args.model, weights=None, categories=categories, device=args.device)


def image_size(args: argparse.Namespace) -> tuple[int, int]:
    h, w = (int(v) for v in args.size.lower().split("x"))
    return h, w
