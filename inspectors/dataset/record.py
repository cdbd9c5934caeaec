"""One image of a dataset capture: only what replay needs, compactly (no feature maps, no full Trace).

Per image we keep the RPN candidates that any RPN setting within the capture's range can use — the per-level
top-n anchors at the largest pre-NMS top-n the dataset's slider allows, in torchvision's order — with their decoded
clipped boxes (resized frame), objectness logits, levels and anchor indices, and the RoI heads' outputs (class
logits, box regression) for every one of them. Any RPN setting is then a lookup: the model never runs again.

Why the top-n at a smaller n is a prefix of the stored list, and when it is not: torchvision takes
`objectness.topk(n)` per level. With distinct logits the n largest, in decreasing order, are the first n of the
stored list. Tied logits have no defined order inside topk (it depends on n and on the algorithm topk picks), so
for each level we record `level_exact`, the largest n for which the prefix is guaranteed (the first n + 1 logits,
counting the best anchor not stored, strictly decrease). For a level where ties make a smaller n ambiguous we also
store every anchor's logit of that level and the anchors tied with the last stored one; replay then calls topk on
the level exactly as torchvision does. For n equal to the stored count the call is the capture's own call, so it
is exact as well.

Numbers are float32, as the model computed them; the ground truth of the image is stored with it, so a capture
is self-contained.

Mask R-CNN (inspectors.dataset.masks): also the mask predictor's 28×28 logits of its own class for every (stored
candidate, class) whose class score is above the capture's mask score floor — every box that can become a
detection at a score threshold ≥ the floor, whatever the other sliders — as float32, so that replayed masks are
the model's to the bit; and the objects' masks (compressed RLE counts). A box-only capture stores none of it.
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torchvision.ops import boxes as box_ops

from inspectors.dataset.annotations import ImageGroundTruth
from inspectors.dataset.masks import candidate_mask_logits
from inspectors.pipeline.replay import seed_with_captured_heads
from inspectors.roi.box_head import head_outputs_for_candidates
from inspectors.rpn.fast_proposals import nms_grid_bits
from inspectors.rpn.filter import top_n_per_level
from inspectors.rpn.nms_grid import slider_grid

if TYPE_CHECKING:
    from inspectors.core.trace import Trace

HEAD_CHUNK = 1000  # candidates per RoI-head run at capture (the size of the model's own batch of proposals)
_GT_FIELDS = ("bbox", "category_id", "area", "iscrowd", "ann_id")


@dataclass
class ImageRecord:
    image_id: int
    original_size: tuple[int, int]  # (H, W)
    resized_size: tuple[int, int]
    # RPN candidates, grouped by level: the top-n rows of each level in torchvision's order, then its extra rows
    anchor: np.ndarray  # (M,) int32 flat anchor index
    level: np.ndarray  # (M,) int8
    logit: np.ndarray  # (M,) float32 objectness logit
    box: np.ndarray  # (M, 4) float32 decoded and clipped, resized frame
    class_logits: np.ndarray  # (M, K) float32 RoI-head outputs for each candidate's box
    box_regression: np.ndarray  # (M, 4K) float32
    level_count: np.ndarray  # (L,) anchors per level
    level_top: np.ndarray  # (L,) stored top-n rows per level: min(max pre-NMS top-n, anchors of the level)
    level_rows: np.ndarray  # (L,) all rows of the level (top-n + extra anchors tied with the last one)
    level_exact: np.ndarray  # (L,) for n ≤ this, the level's top-n is the prefix of its stored rows
    ground_truth: ImageGroundTruth
    tie_logits: dict[int, np.ndarray] = field(default_factory=dict)  # level → every anchor's logit (ties only)
    # The RPN's NMS at every step of its slider, decided once at capture (fast_proposals.nms_grid_bits): bit k of
    # nms_bits[row] says whether NMS at nms_grid[k] keeps that row among all stored candidates.
    nms_grid: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (K,) float64
    nms_bits: np.ndarray | None = None  # (M,) int32
    nms_min_size: float = 0.0  # the RPN's min_size those decisions assumed
    nms_ordered: bool = True  # scores non-increasing inside every level (see fast_proposals.NmsBase)
    # Mask R-CNN (None for a box model): the own-class mask logits of every (row, label) that can be a detection at
    # a score threshold ≥ mask_floor (the capture's floor, or higher for this image: dataset.masks), sorted by
    # row × classes + label
    mask_row: np.ndarray | None = None  # (P,) int32 record row
    mask_label: np.ndarray | None = None  # (P,) int16 model label
    mask_logits: np.ndarray | None = None  # (P, 28, 28) float32
    mask_floor: float = float("nan")
    # the LONE_PAIRS best pairs' logits as the model computes a batch of one box (heads where that differs)
    mask_lone_row: np.ndarray | None = None
    mask_lone_label: np.ndarray | None = None
    mask_lone_logits: np.ndarray | None = None

    @property
    def num_anchors(self) -> int:
        return int(self.level_count.sum())

    @property
    def level_row_start(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.level_rows)[:-1]]).astype(np.int64)

    @property
    def level_anchor_start(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.level_count)[:-1]]).astype(np.int64)

    def nbytes(self) -> int:
        arrays = [self.anchor, self.level, self.logit, self.box, self.class_logits, self.box_regression,
                  *self.tie_logits.values(), *([] if self.nms_bits is None else [self.nms_bits]),
                  *[a for a in (self.mask_row, self.mask_label, self.mask_logits, self.mask_lone_row,
                                self.mask_lone_label, self.mask_lone_logits) if a is not None]]
        return int(sum(a.nbytes for a in arrays))


def record_from_trace(trace: "Trace", max_pre_nms_top_n: int, ground_truth: ImageGroundTruth,
                      mask_floor: float | None = None) -> ImageRecord:
    """Everything replay needs from one captured image, for every RPN setting with pre-NMS top-n ≤ the maximum
    (and, for a Mask R-CNN, every box's mask logits above `mask_floor`, see inspectors.dataset.masks)."""
    objectness = trace.objectness.reshape(-1)
    counts = list(trace.num_anchors_per_level)
    top = top_n_per_level(objectness, counts, max_pre_nms_top_n)  # the capture's own top-n call
    rows, levels, top_sizes, row_sizes, exact, ties = [], [], [], [], [], {}
    offset = start = 0
    for level, count in enumerate(counts):
        k = min(max_pre_nms_top_n, count)
        chosen = top[offset : offset + k]
        offset += k
        level_logits = objectness[start : start + count]
        values = objectness[chosen]
        rest = torch.ones(count, dtype=torch.bool, device=objectness.device)
        rest[chosen - start] = False
        best_rest = level_logits[rest].max().reshape(1) if bool(rest.any()) else values.new_full((1,), -float("inf"))
        sequence = torch.cat([values, best_rest])
        tied = torch.nonzero(sequence[:-1] == sequence[1:]).flatten()
        level_exact = int(tied[0]) if tied.numel() else k
        extra = chosen.new_zeros(0)
        if level_exact < k - 1:  # some n < k would cut through tied logits: keep what topk needs to decide
            ties[level] = level_logits.detach().cpu().numpy().astype(np.float32)
            extra = torch.nonzero(rest & (level_logits >= values[-1])).flatten() + start
        level_rows = torch.cat([chosen, extra])
        rows.append(level_rows)
        levels.append(torch.full((level_rows.numel(),), level, dtype=torch.int8))
        top_sizes.append(k)
        row_sizes.append(int(level_rows.numel()))
        exact.append(level_exact)
        start += count
    anchors = torch.cat(rows)
    boxes = box_ops.clip_boxes_to_image(trace.decoded_anchors[anchors], trace.resized_size)
    class_logits, box_regression = _head_outputs(trace, anchors, boxes)
    level_of_row = torch.cat(levels)
    starts = np.concatenate([[0], np.cumsum(row_sizes)[:-1]]).astype(np.int64)
    top_rows = torch.cat([torch.arange(int(b), int(b) + int(k)) for b, k in zip(starts, top_sizes)])
    grid = slider_grid("rpn_nms_thresh", trace.config.thresholds["rpn_nms_thresh"])
    min_size = float(trace.config.rpn_min_size)
    logits = objectness[anchors].detach().cpu().to(torch.float32)
    nms_bits, nms_ordered = nms_grid_bits(boxes.detach().cpu().to(torch.float32), logits, level_of_row.to(torch.int64),
                                          top_rows, trace.resized_size, min_size, grid)
    masks = None
    if trace.has_masks and mask_floor is not None:
        masks = candidate_mask_logits(trace, anchors, boxes, class_logits, box_regression, float(mask_floor))
    return ImageRecord(
        mask_row=None if masks is None else masks[0],
        mask_label=None if masks is None else masks[1],
        mask_logits=None if masks is None else masks[2],
        mask_floor=float("nan") if masks is None else masks[3],
        mask_lone_row=None if masks is None or masks[4] is None else masks[4][0],
        mask_lone_label=None if masks is None or masks[4] is None else masks[4][1],
        mask_lone_logits=None if masks is None or masks[4] is None else masks[4][2],
        image_id=int(ground_truth.image_id),
        original_size=tuple(int(s) for s in trace.original_size),  # type: ignore[arg-type]
        resized_size=tuple(int(s) for s in trace.resized_size),  # type: ignore[arg-type]
        anchor=anchors.cpu().numpy().astype(np.int32),
        level=level_of_row.numpy(),
        logit=objectness[anchors].cpu().numpy().astype(np.float32),
        box=boxes.cpu().numpy().astype(np.float32),
        class_logits=class_logits.cpu().numpy().astype(np.float32),
        box_regression=box_regression.cpu().numpy().astype(np.float32),
        level_count=np.array(counts, dtype=np.int64),
        level_top=np.array(top_sizes, dtype=np.int64),
        level_rows=np.array(row_sizes, dtype=np.int64),
        level_exact=np.array(exact, dtype=np.int64),
        ground_truth=ground_truth,
        tie_logits=ties,
        nms_grid=np.asarray(grid, dtype=np.float64),
        nms_bits=nms_bits.numpy(),
        nms_min_size=min_size,
        nms_ordered=nms_ordered,
    )


def _head_outputs(trace: "Trace", anchors: torch.Tensor, boxes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The RoI heads' outputs for every candidate, through the trace's per-candidate cache: the model's own
    proposals keep the outputs the capture recorded; the others run in chunks (bounded memory)."""
    seed_with_captured_heads(trace)
    for begin in range(0, anchors.numel(), HEAD_CHUNK):
        head_outputs_for_candidates(trace, anchors[begin : begin + HEAD_CHUNK], boxes[begin : begin + HEAD_CHUNK])
    return trace.cache.heads.get(anchors)


# ---- on disk: one uncompressed .npz per image, written atomically -------------------------------------------------
def record_bytes(record: ImageRecord) -> bytes:
    arrays: dict[str, Any] = {
        "image_id": np.array(record.image_id, dtype=np.int64),
        "original_size": np.array(record.original_size, dtype=np.int64),
        "resized_size": np.array(record.resized_size, dtype=np.int64),
        "anchor": record.anchor, "level": record.level, "logit": record.logit, "box": record.box,
        "class_logits": record.class_logits, "box_regression": record.box_regression,
        "level_count": record.level_count, "level_top": record.level_top, "level_rows": record.level_rows,
        "level_exact": record.level_exact,
        "gt_file_name": np.array(record.ground_truth.file_name),
        "gt_size": np.array([record.ground_truth.width, record.ground_truth.height], dtype=np.int64),
        "nms_grid": np.asarray(record.nms_grid, dtype=np.float64),
        "nms_min_size": np.array(record.nms_min_size, dtype=np.float64),
        "nms_ordered": np.array(record.nms_ordered),
    }
    if record.nms_bits is not None:
        arrays["nms_bits"] = record.nms_bits
    if record.mask_logits is not None:
        arrays.update(mask_row=record.mask_row, mask_label=record.mask_label, mask_logits=record.mask_logits,
                      mask_floor=np.array(record.mask_floor, dtype=np.float64))
        if record.mask_lone_logits is not None:
            arrays.update(mask_lone_row=record.mask_lone_row, mask_lone_label=record.mask_lone_label,
                          mask_lone_logits=record.mask_lone_logits)
    if record.ground_truth.masks is not None:
        counts = record.ground_truth.masks
        arrays["gt_mask_counts"] = np.frombuffer(b"".join(counts), dtype=np.uint8)
        arrays["gt_mask_ends"] = np.cumsum([len(c) for c in counts], dtype=np.int64)
    for name in _GT_FIELDS:
        arrays[f"gt_{name}"] = getattr(record.ground_truth, name)
    for level, logits in record.tie_logits.items():
        arrays[f"tie_logits_{level}"] = logits
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename: a record is whole or absent."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_record(path: Path) -> ImageRecord:
    """A record from its file; a torn or altered file raises ValueError (OSError when it is absent)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (zipfile.BadZipFile, EOFError, zlib.error) as error:
        raise ValueError(f"{path} is not a whole record ({error})") from error
    gt_width, gt_height = (int(v) for v in arrays["gt_size"])
    masks = None
    if "gt_mask_counts" in arrays:
        data, ends = arrays["gt_mask_counts"].tobytes(), arrays["gt_mask_ends"].tolist()
        masks = tuple(data[a:b] for a, b in zip([0] + ends[:-1], ends))
    ground_truth = ImageGroundTruth(
        image_id=int(arrays["image_id"]), file_name=str(arrays["gt_file_name"]), width=gt_width, height=gt_height,
        **{name: arrays[f"gt_{name}"] for name in _GT_FIELDS}, masks=masks,
    )
    return ImageRecord(
        image_id=int(arrays["image_id"]),
        original_size=tuple(int(v) for v in arrays["original_size"]),  # type: ignore[arg-type]
        resized_size=tuple(int(v) for v in arrays["resized_size"]),  # type: ignore[arg-type]
        anchor=arrays["anchor"], level=arrays["level"], logit=arrays["logit"], box=arrays["box"],
        class_logits=arrays["class_logits"], box_regression=arrays["box_regression"],
        level_count=arrays["level_count"], level_top=arrays["level_top"], level_rows=arrays["level_rows"],
        level_exact=arrays["level_exact"], ground_truth=ground_truth,
        tie_logits={int(n.rsplit("_", 1)[1]): arrays[n] for n in arrays if n.startswith("tie_logits_")},
        nms_grid=arrays["nms_grid"],
        nms_bits=arrays.get("nms_bits"),
        nms_min_size=float(arrays["nms_min_size"]),
        nms_ordered=bool(arrays["nms_ordered"]),
        mask_row=arrays.get("mask_row"),
        mask_label=arrays.get("mask_label"),
        mask_logits=arrays.get("mask_logits"),
        mask_floor=float(arrays["mask_floor"]) if "mask_floor" in arrays else float("nan"),
        mask_lone_row=arrays.get("mask_lone_row"),
        mask_lone_label=arrays.get("mask_lone_label"),
        mask_lone_logits=arrays.get("mask_lone_logits"),
    )


def is_whole_record(path: Path) -> bool:
    """A record file that a finished write left, byte for byte: a zip with its central directory whose every member
    matches its CRC-32 (a torn, truncated or bit-flipped file is not whole)."""
    try:
        with zipfile.ZipFile(path) as z:
            return "anchor.npy" in z.namelist() and z.testzip() is None
    except (OSError, zipfile.BadZipFile, EOFError, ValueError, zlib.error):
        return False
