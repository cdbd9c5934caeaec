"""One image of a dataset capture as a unit of work, and the function every engine runs on it.

The in-process engine (inspectors.dataset.capture) and the Ray actors (inspectors.dataset.ray) both turn an
ImageTask into a record's bytes with capture_record, so both write the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from inspectors.core.errors import InputError
from inspectors.core.images import load_image
from inspectors.core.models import InspectedModel
from inspectors.dataset.annotations import ImageGroundTruth
from inspectors.dataset.record import record_bytes, record_from_trace
from inspectors.pipeline.capture import capture


@dataclass(frozen=True)
class ImageTask:
    """One image to capture: everything a worker needs, picklable (the Ray engine ships these)."""

    index: int
    path: str
    ground_truth: ImageGroundTruth
    record: str  # file name inside records/
    mask_floor: Optional[float] = None  # Mask R-CNN: store the masks of boxes scoring above this (dataset.masks)


def capture_record(model: InspectedModel, task: ImageTask, max_pre_nms_top_n: int) -> bytes:
    """One image → its record's bytes (the same function in every engine)."""
    rgb = load_image(task.path)
    gt = task.ground_truth
    if (rgb.shape[1], rgb.shape[0]) != (gt.width, gt.height):
        raise InputError("dataset.size_mismatch", name=Path(task.path).name, width=rgb.shape[1],
                         height=rgb.shape[0], ann_width=gt.width, ann_height=gt.height)
    trace = capture(model, rgb)
    return record_bytes(record_from_trace(trace, max_pre_nms_top_n, gt, task.mask_floor))
