"""What replay remembers between slider moves, owned by the Trace and counted in its bytes.

- HeadCache: the RoI head's outputs per RPN candidate. A candidate is an anchor whose decoded box survived the
  per-level top-k; its box (decoded, clipped) depends only on the anchor and the image, and the head's answer for a
  box depends only on that box and the FPN maps. So outputs are cached by anchor index and an RPN slider runs the
  heads only for candidates it has not seen before.
- MaskCache: the mask head's 28×28 logits per refined box, i.e. per (RPN candidate, class): a final detection's box
  is that candidate's regression for that class, so the pair names the box, and a slider that changes which boxes
  survive runs the mask head only for boxes it has not seen before.
- mask_pastes: each box's mask pasted into the image (box-sized, inspectors.roi.mask_head.PastedMask) per (box, whole
  pixel box), bounded by count and bytes, so that a final-stage slider pastes only boxes it has not pasted before.
- the RPN-stage memo: the last few RPN settings with their filtered proposals and decoded per-class candidates, so
  that a final-stage slider only re-runs postprocessing.
- `extras`: room for other analyses' memos (ground truth, explanations), counted like the rest.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Hashable

import numpy as np
import torch
from torch import Tensor

from inspectors.core.lru import BoundedCache

RPN_MEMO_SIZE = 4  # RPN settings remembered per trace
EXTRAS_SIZE = 16  # other analyses' memo entries per trace
MASK_PASTES_SIZE = 2048  # pasted masks kept per trace
MASK_PASTES_BYTES = 96 * 2**20  # … and their bytes (a 100-detection COCO image's pastes are ~10-40 MB)


class HeadCache:
    """RoI-head outputs (class logits, box regression) per anchor index, filled on demand."""

    def __init__(self, num_anchors: int, device: torch.device) -> None:
        self.row = torch.full((num_anchors,), -1, dtype=torch.int64, device=device)
        self.logits: Tensor | None = None  # (rows, classes)
        self.deltas: Tensor | None = None  # (rows, 4 * classes)
        self.computed = 0  # rows computed by replay (the rest came from the capture)
        self.seeded = False  # the captured outputs of the model's own proposals are in

    def __len__(self) -> int:
        return 0 if self.logits is None else int(self.logits.shape[0])

    def missing(self, anchors: Tensor) -> Tensor:
        """Positions in `anchors` with no cached outputs yet."""
        return torch.nonzero(self.row[anchors] < 0).flatten()

    def add(self, anchors: Tensor, logits: Tensor, deltas: Tensor) -> None:
        if anchors.numel() == 0:
            return
        start = len(self)
        self.logits = logits.clone() if self.logits is None else torch.cat([self.logits, logits])
        self.deltas = deltas.clone() if self.deltas is None else torch.cat([self.deltas, deltas])
        self.row[anchors] = torch.arange(start, start + anchors.numel(), device=self.row.device)

    def get(self, anchors: Tensor) -> tuple[Tensor, Tensor]:
        rows = self.row[anchors]
        if bool((rows < 0).any()):
            raise KeyError("some candidates have no cached RoI-head outputs")
        assert self.logits is not None and self.deltas is not None
        return self.logits[rows], self.deltas[rows]

    def nbytes(self) -> int:
        total = self.row.numel() * self.row.element_size()
        for t in (self.logits, self.deltas):
            if t is not None:
                total += t.numel() * t.element_size()
        return total


class MaskCache:
    """The mask predictor's logits of the detection's own class, (rows, 28, 28), per (anchor index, label)."""

    def __init__(self) -> None:
        self.row: dict[tuple[int, int], int] = {}
        self.logits: Tensor | None = None  # (rows, M, M)
        self.computed = 0  # rows computed by replay (the rest came from the capture)
        self.seeded = False  # the captured logits of the model's own detections are in

    def __len__(self) -> int:
        return 0 if self.logits is None else int(self.logits.shape[0])

    def missing(self, keys: list[tuple[int, int]]) -> list[int]:
        """Positions in `keys` with no cached logits yet (each new box once, even when listed twice)."""
        todo: list[int] = []
        new: set[tuple[int, int]] = set()
        for i, key in enumerate(keys):
            if key not in self.row and key not in new:
                new.add(key)
                todo.append(i)
        return todo

    def add(self, keys: list[tuple[int, int]], logits: Tensor) -> None:
        if not keys:
            return
        start = len(self)
        self.logits = logits.clone() if self.logits is None else torch.cat([self.logits, logits])
        for i, key in enumerate(keys):
            self.row[key] = start + i

    def get(self, keys: list[tuple[int, int]]) -> Tensor:
        missing = [k for k in keys if k not in self.row]
        if missing:
            raise KeyError(f"{len(missing)} boxes have no cached mask logits")
        assert self.logits is not None and keys, "ask for at least one cached box"
        rows = torch.tensor([self.row[k] for k in keys], dtype=torch.int64, device=self.logits.device)
        return self.logits[rows]

    def nbytes(self) -> int:
        # The key dict's Python objects are ~100 bytes per box: counted too, as they grow with the tensor.
        keys = len(self.row) * 100
        return keys + (0 if self.logits is None else self.logits.numel() * self.logits.element_size())


class ReplayCache:
    """Replay's memory for one trace; thread-safe, bounded, and counted by `nbytes()`."""

    def __init__(self, num_anchors: int, device: torch.device) -> None:
        self.heads = HeadCache(num_anchors, device)
        self.masks = MaskCache()
        # The mask head's logits of a replay's lone detection: a convolution over a batch of one box may take another
        # path than over N ≥ 2 boxes (the demo's 64-channel head does; the last bit differs), and the model runs
        # its mask head on its N detections in one batch.
        self.lone_masks = MaskCache()
        self.lock = threading.RLock()  # one lock for the head cache and both memos
        self.rpn: BoundedCache[Hashable, Any] = BoundedCache(RPN_MEMO_SIZE, lock=self.lock)
        self.extras: BoundedCache[Hashable, Any] = BoundedCache(EXTRAS_SIZE, lock=self.lock)
        self.mask_pastes: BoundedCache[Hashable, Any] = BoundedCache(
            MASK_PASTES_SIZE, lock=self.lock, weigh=count_bytes, max_weight=MASK_PASTES_BYTES)

    def rpn_stage(self, key: Hashable, build: Callable[[], Any]) -> tuple[Any, bool]:
        """The memoised RPN stage for `key`, and whether it was built just now."""
        with self.lock:
            built = key not in self.rpn
            return self.rpn.get_or_build(key, build), built

    def extra(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """Another analysis' memo entry (e.g. ("anchor_labels", gt_key)); least recently used goes first."""
        return self.extras.get_or_build(key, build)

    def clear(self) -> None:
        with self.lock:
            self.rpn.clear()
            self.extras.clear()
            self.mask_pastes.clear()

    def nbytes(self, seen: set[int] | None = None) -> int:
        """Bytes held here; `seen` (storages already counted, e.g. the trace's own) avoids counting twice."""
        with self.lock:
            memos = count_bytes(self.rpn.values() + self.extras.values() + self.mask_pastes.values(), seen)
            return self.heads.nbytes() + self.masks.nbytes() + self.lone_masks.nbytes() + memos


def count_bytes(value: Any, seen: set[int] | None = None) -> int:
    """Bytes of the tensors and arrays reachable from `value` (dataclasses, dicts, lists), shared storage once."""
    seen = set() if seen is None else seen
    if isinstance(value, Tensor):
        storage = value.untyped_storage()
        key = storage.data_ptr()
        if key in seen or value.device.type == "meta":
            return 0
        seen.add(key)
        return int(storage.nbytes())
    if isinstance(value, np.ndarray):
        base = value if value.base is None else value.base
        if id(base) in seen:
            return 0
        seen.add(id(base))
        return int(getattr(base, "nbytes", value.nbytes))
    if isinstance(value, dict):
        return sum(count_bytes(v, seen) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(count_bytes(v, seen) for v in value)
    if getattr(value, "_counted_by_owner", False):  # e.g. a Trace or a model: counted where it is owned
        return 0
    if hasattr(value, "__dataclass_fields__"):
        return sum(count_bytes(getattr(value, name), seen) for name in value.__dataclass_fields__)
    return 0
