"""One wall-clock measurement, with the GPU's queue drained before and after (shared by the bench scripts)."""

from __future__ import annotations

import time
from typing import Callable

import torch


def clock(fn: Callable[[], object], device: torch.device) -> float:
    """Seconds `fn()` takes; on CUDA the clock starts and stops on a synchronised device."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start
