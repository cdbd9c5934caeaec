"""The mask branch of a Mask R-CNN on the captured FPN maps: the one place replay runs the model's mask head.

torchvision's order, step for step (RoIHeads.forward in eval mode, maskrcnn_inference, then
GeneralizedRCNNTransform.postprocess):
    mask_roi_pool (RoIAlign 14×14 on the FPN level each final box maps to, resized frame)
    → mask_head → mask_predictor (28×28 logits per class) → the detection's own class → sigmoid
    → paste_masks_in_image on the boxes in original pixels (expand_masks' padding, the box expanded to match,
      resized bilinearly, clipped to the image; written into one output, see paste_masks).
The mask head's logits are cached per refined box (trace.cache.masks): a final detection's box is its RPN
candidate's regression for its class, so (anchor index, label) names it, and a slider runs the mask head only for
boxes it has not seen before. Runs hold the model's lock, as the box head's do; the backbone never runs here.

The paste is kept as what it writes: each detection's mask resized to its expanded box and clipped to the image
(a PastedMask, box-sized; the rest of that detection's (H, W) plane is exactly 0). A pasted mask depends only on
its probabilities and its whole-pixel expanded box, so it is cached per (box key, pixel box) (trace.cache.mask_pastes)
and a final-stage slider pastes only boxes not pasted before. The full (N, 1, H, W) tensor is built from them only
when it is asked for; binary masks and COCO RLEs are made from the pastes alone.

Exactness of the sigmoid: ATen's CPU kernels compute an elementwise op with SIMD over blocks of 2 × vector width
and the remainder of each thread's range with the scalar function, and the two differ in the last bit for a few
percent of inputs (Sleef's exp vs libm's). torchvision takes the sigmoid of all classes' logits (N, C, M, M) at
once, so which of a detection's values were scalar depends on N, C and the thread count: mask_probabilities
reproduces exactly that (tests compare it with the full-tensor sigmoid), so replay's masks stay bit-equal to the
model's at any slider setting.
"""

from __future__ import annotations

import math
import mmap
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np
import torch
from pycocotools import mask as mask_utils
from torch import Tensor
from torch.nn import functional as F
from torchvision.models.detection.roi_heads import expand_boxes, expand_masks

from inspectors.core.models import model_lock

if TYPE_CHECKING:
    from inspectors.core.trace import Trace

MaskKey = tuple[int, int]  # (anchor index of the RPN candidate, label): one refined box
PixelBox = tuple[int, int, int, int]  # expand_boxes' box in whole original pixels (x0, y0, x1, y1, inclusive)


def run_mask_head(trace: "Trace", boxes: Tensor) -> Tensor:
    """The mask predictor's logits (N, classes, 28, 28) for `boxes` (resized frame), on the captured FPN maps."""
    spec = trace.config.mask
    if spec is None:
        raise ValueError(f"{trace.model_name} has no mask branch: it is not a Mask R-CNN.")
    if boxes.shape[0] == 0:
        return boxes.new_zeros((0, spec.num_classes, *spec.resolution))
    net = trace.model.model
    heads = net.roi_heads
    with model_lock(net), torch.inference_mode():
        features = heads.mask_roi_pool(trace.fpn_raw, [boxes], [trace.resized_size])
        features = heads.mask_head(features)
        return heads.mask_predictor(features)


def lone_batch_differs(trace: "Trace") -> bool:
    """Whether this model's mask head computes a batch of one box differently (True unless capture found not)."""
    return trace.mask_lone_batch_differs is not False


def mask_logits_for_boxes(trace: "Trace", keys: list[MaskKey], boxes: Tensor, labels: Tensor, alone: bool = False
                          ) -> tuple[Tensor, int]:
    """The 28×28 logits of each box's own class, (N, 28, 28), running the mask head only for keys not cached yet.
    Returns the logits and how many boxes the mask head ran for now.

    The model runs its mask head on all its detections in one batch, and a convolution over one box may take
    another path than over several (the last bit differs for the demo's head): logits are computed and cached as
    a batch of two or more gives them (one new box is run twice over), and with `alone` (a replay with a single
    detection) as a batch of one gives them, in a cache of their own (trace.cache.lone_masks) — for a model whose
    head capture found to make that difference (trace.mask_lone_batch_differs; not the ResNet-50 builders')."""
    spec = trace.config.mask
    if spec is None:
        raise ValueError(f"{trace.model_name} has no mask branch: it is not a Mask R-CNN.")
    if not keys:
        return boxes.new_zeros((0, *spec.resolution)), 0
    cache = trace.cache
    split = lone_batch_differs(trace)
    with cache.lock:
        masks = cache.lone_masks if alone and split else cache.masks
        todo = masks.missing(keys)
        if todo:
            index = torch.tensor(todo, dtype=torch.int64, device=boxes.device)
            batch = boxes[index] if alone or len(todo) > 1 or not split else boxes[index].repeat(2, 1)
            logits = run_mask_head(trace, batch)[:len(todo)]
            own = logits[torch.arange(len(todo), device=boxes.device), labels[index]]
            masks.add([keys[i] for i in todo], own)
            masks.computed += len(todo)
        return masks.get(keys), len(todo)


# ---- the sigmoid, bit for bit as maskrcnn_inference computes it -----------------------------------------------------

GRAIN_SIZE = 32768  # at::internal::GRAIN_SIZE: an elementwise op over more elements is split across threads
_simd_lock = threading.Lock()
_simd_found: list[int] = []  # the probed SIMD block (one value, found once per process)


def simd_block() -> int:
    """How many float elements ATen's CPU sigmoid computes per SIMD iteration (2 × Vectorized<float>::size(): 32 with
    AVX-512, 16 with AVX2), found by probing this process's kernels; 0 when its SIMD and scalar sigmoid agree on
    every probe (then where each value was computed makes no difference)."""
    with _simd_lock:
        if not _simd_found:
            _simd_found.append(_probe_simd_block())
        return _simd_found[0]


def _probe_simd_block() -> int:
    with torch.inference_mode():
        probes = torch.linspace(-12.0, 12.0, 4096)
        simd = probes.sigmoid()  # one thread (fewer than GRAIN_SIZE), a multiple of every block: all SIMD
        value = None
        for i in range(probes.numel()):
            if not torch.equal(probes[i:i + 1].sigmoid(), simd[i:i + 1]):  # one element: the scalar function
                value = probes[i:i + 1]
                break
        if value is None:
            return 0
        length = 255
        row = value.expand(length).contiguous().sigmoid()
        scalar = row != simd[i]
        tail = int(scalar.sum())
        if tail == 0 or not bool(scalar[length - tail:].all()):
            raise RuntimeError("ATen's sigmoid does not compute a remainder with its scalar function as expected; "
                               "replay cannot reproduce the model's mask probabilities bit for bit.")
        return tail + 1  # 255 = k × block + (block − 1) for a power-of-two block


def scalar_ranges(numel: int, block: int, threads: int) -> list[tuple[int, int]]:
    """[start, end) ranges of a contiguous elementwise op over `numel` elements that ATen's CPU loop computes with
    the scalar function: the remainder after the SIMD blocks of each thread's share (TensorIteratorBase::for_each
    → at::parallel_for: one share up to GRAIN_SIZE elements or with one thread, else ⌈numel / shares⌉ each)."""
    if numel <= 0 or block <= 0:
        return []
    if numel <= GRAIN_SIZE or threads <= 1:
        shares = [(0, numel)]
    else:
        count = min(threads, math.ceil(numel / GRAIN_SIZE))
        size = math.ceil(numel / count)
        shares = [(begin, min(numel, begin + size)) for begin in range(0, numel, size)]
    return [(end - (end - begin) % block, end) for begin, end in shares if (end - begin) % block]


def own_scalar_runs(labels: Sequence[int], num_classes: int, size: int) -> list[tuple[int, int, int]]:
    """(detection, first, end) runs of own-class values that maskrcnn_inference's `x.sigmoid()` over the
    (N, num_classes, M, M) logits computes with ATen's scalar function on the CPU (size = M × M); the rest are SIMD
    values, which depend on the value alone."""
    block = simd_block()
    runs: list[tuple[int, int, int]] = []
    n = len(labels)
    for start, end in scalar_ranges(n * num_classes * size, block, torch.get_num_threads()):
        for row in range(start // size, (end - 1) // size + 1):
            i, label = divmod(row, num_classes)
            if int(labels[i]) == label:
                runs.append((i, max(start - row * size, 0), min(end - row * size, size)))
    return runs


def mask_probabilities(logits: Tensor, labels: Optional[Tensor] = None, num_classes: Optional[int] = None) -> Tensor:
    """maskrcnn_inference: sigmoid of each detection's own class, (N, 1, M, M), from its own-class logits (N, M, M).

    torchvision takes `x.sigmoid()` of all classes' logits (N, C, M, M) and then picks each detection's class; on
    the CPU a value's last bit depends on whether ATen computed it in a SIMD block or in a thread's scalar
    remainder. With `labels` and `num_classes` this gives exactly torchvision's values: each own-class value in
    SIMD (position-free), then the few in a scalar remainder of the (N, C, M, M) op (own_scalar_runs) with the
    scalar function. Without them: SIMD values everywhere."""
    n = int(logits.shape[0])
    runs: list[tuple[int, int, int]] = []
    if labels is not None and num_classes is not None and n and logits.device.type == "cpu":
        runs = own_scalar_runs(labels.tolist(), int(num_classes), int(logits[0].numel()))
    return rows_probabilities(logits, list(range(n)), runs)[:, None]


def rows_probabilities(logits: Tensor, rows: Sequence[int], runs: Sequence[tuple[int, int, int]]) -> Tensor:
    """mask_probabilities for some detections: `logits` (K, M, M) are those of detections `rows` of a batch whose
    scalar runs (own_scalar_runs of the whole batch) are `runs`; the result equals those rows of the whole batch's."""
    k = int(logits.shape[0])
    with torch.inference_mode():
        block = simd_block() if logits.device.type == "cpu" else 0
        if k == 0 or block == 0:
            return logits.sigmoid()  # GPU kernels compute every element with the same function
        flat = logits.reshape(k, -1)
        probs = _simd_sigmoid(flat, block)
        position = {row: i for i, row in enumerate(rows)}
        for row, j0, j1 in runs:
            if row in position:
                i = position[row]
                probs[i, j0:j1] = flat[i, j0:j1].contiguous().sigmoid()  # fewer than a block: the scalar function
        return probs.reshape(logits.shape)


def _simd_sigmoid(rows: Tensor, block: int) -> Tensor:
    """The sigmoid of (N, R) rows with every value computed in a SIMD block: one-thread calls (≤ GRAIN_SIZE
    elements) of whole blocks (rows padded with zeros to a multiple of the block)."""
    n, size = int(rows.shape[0]), int(rows.shape[1])
    step = block // math.gcd(size, block)  # rows per whole number of blocks
    per_call = (GRAIN_SIZE // (size * step)) * step
    if per_call == 0:
        raise ValueError(f"mask rows of {size} values are too large to compute one thread's worth at a time")
    out = torch.empty_like(rows)
    for begin in range(0, n, per_call):
        part = rows[begin:begin + per_call]
        count = int(part.shape[0])
        if count % step:
            part = torch.cat([part, part.new_zeros((step - count % step, size))])
        out[begin:begin + count] = part.sigmoid()[:count]
    return out


# ---- the paste, kept box-sized ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PastedMask:
    """One detection's mask as paste_masks_in_image writes it into its (H, W) plane: `values` at `region`, the rest of
    the plane exactly 0. `pixel_box` is the expanded box in whole pixels that it was resized to."""

    region: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive), original pixels, clipped to the image
    values: Tensor  # (y1 − y0, x1 − x0) float probabilities
    pixel_box: PixelBox

    def binary(self, threshold: float) -> Tensor:
        """`values > threshold` (the plane outside `region` is 0, never above a threshold in [0, 1])."""
        return self.values > threshold


def pixel_boxes(trace: "Trace", boxes: Tensor) -> list[PixelBox]:
    """expand_boxes of `boxes` (original pixels) by expand_masks' scale, to int64: where each mask is resized to."""
    spec = trace.config.mask
    padding = spec.paste_padding if spec is not None else 1
    resolution = spec.resolution[-1] if spec is not None else 28
    scale = float(resolution + 2 * padding) / resolution  # expand_masks' scale
    with torch.inference_mode():
        return [(b[0], b[1], b[2], b[3]) for b in expand_boxes(boxes, scale).to(dtype=torch.int64).tolist()]


def paste_one(padded: Tensor, box: PixelBox, image_size: tuple[int, int]) -> PastedMask:
    """torchvision's paste_mask_in_image for one padded (M+2p, M+2p) mask, keeping only the part it writes."""
    im_h, im_w = image_size
    w = max(int(box[2] - box[0] + 1), 1)
    h = max(int(box[3] - box[1] + 1), 1)
    with torch.inference_mode():
        resized = F.interpolate(padded.expand((1, 1, -1, -1)), size=(h, w), mode="bilinear",
                                align_corners=False)[0][0]
        x_0, x_1 = max(box[0], 0), min(box[2] + 1, im_w)
        y_0, y_1 = max(box[1], 0), min(box[3] + 1, im_h)
        x_1, y_1 = max(x_1, x_0), max(y_1, y_0)
        values = resized[(y_0 - box[1]):(y_1 - box[1]), (x_0 - box[0]):(x_1 - box[0])].clone()
    return PastedMask(region=(x_0, y_0, x_1, y_1), values=values, pixel_box=box)


def paste_detections(trace: "Trace", keys: Sequence[MaskKey], boxes_resized: Tensor, boxes: Tensor, labels: Tensor
                     ) -> tuple[list[PastedMask], int, int]:
    """Each detection's pasted mask (see PastedMask), the number of boxes the mask head ran for and the number of
    masks pasted now. A box key pasted before at the same pixel box is taken from trace.cache.mask_pastes (its
    probabilities are the same: one key's logits, the same SIMD sigmoid) without reading its logits; a mask with
    values from a scalar remainder of the sigmoid depends on its place in the batch and is pasted each time."""
    spec = trace.config.mask
    if spec is None:
        raise ValueError(f"{trace.model_name} has no mask branch: it is not a Mask R-CNN.")
    n = len(keys)
    if n == 0:
        return [], 0, 0
    size = spec.resolution[0] * spec.resolution[1]
    runs = own_scalar_runs(labels.tolist(), spec.num_classes, size) if boxes.device.type == "cpu" else []
    alone = n == 1 and lone_batch_differs(trace)
    special = {row for row, _, _ in runs} | ({0} if alone else set())  # a lone box: its own logits
    boxes_px = pixel_boxes(trace, boxes)
    store = trace.cache.mask_pastes
    out: list[Optional[PastedMask]] = [None] * n
    todo: list[int] = []
    for i in range(n):
        hit = None if i in special else store.get((keys[i], boxes_px[i]))
        if hit is None:
            todo.append(i)
        else:
            out[i] = hit
    computed = 0
    if todo:
        index = torch.tensor(todo, dtype=torch.int64, device=boxes.device)
        logits, computed = mask_logits_for_boxes(trace, [keys[i] for i in todo], boxes_resized[index], labels[index],
                                                 alone=alone)
        probs = rows_probabilities(logits, todo, runs)
        with torch.inference_mode():
            padded, _ = expand_masks(probs[:, None], padding=spec.paste_padding)
        for k, i in enumerate(todo):
            pasted = paste_one(padded[k, 0], boxes_px[i], trace.original_size)
            if i not in special:
                store.put((keys[i], boxes_px[i]), pasted)
            out[i] = pasted
    return [p for p in out if p is not None], computed, len(todo)


def pasted_masks(trace: "Trace", probabilities: Tensor, boxes: Tensor) -> list[PastedMask]:
    """The (N, 1, M, M) probabilities pasted at `boxes` (original pixels), each kept box-sized (no cache)."""
    spec = trace.config.mask
    padding = spec.paste_padding if spec is not None else 1
    if int(probabilities.shape[0]) == 0:
        return []
    with torch.inference_mode():
        padded, _ = expand_masks(probabilities, padding=padding)
    return [paste_one(padded[i, 0], box, trace.original_size) for i, box in enumerate(pixel_boxes(trace, boxes))]


_LAZY_ZEROS_BYTES = 1 << 21  # from this size on, zeros are pages mapped on first touch (lazy_zeros)


def lazy_zeros(shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """A zeroed array whose pages cost nothing until they are touched: anonymous memory (zero-filled by the kernel
    on first touch) in small pages — with transparent huge pages a first write into a plane would zero 2 MiB, and
    writing N box-sized pastes would zero N × 2 MiB. Small arrays are plain np.zeros."""
    count = int(np.prod(shape))
    size = count * np.dtype(dtype).itemsize
    if size < _LAZY_ZEROS_BYTES or not hasattr(mmap, "MADV_NOHUGEPAGE"):
        return np.zeros(shape, dtype=dtype)
    memory = mmap.mmap(-1, size)
    memory.madvise(mmap.MADV_NOHUGEPAGE)
    return np.frombuffer(memory, dtype=dtype, count=count).reshape(shape)  # keeps `memory` alive


def full_masks(pasted: Sequence[PastedMask], image_size: tuple[int, int], like: Tensor) -> Tensor:
    """(N, 1, H, W) float: the pasted masks in their planes (paste_masks_in_image's output). On the CPU the zeros
    cost nothing until they are touched (lazy_zeros): only the pastes are written."""
    im_h, im_w = image_size
    if like.device.type == "cpu" and like.dtype == torch.float32:
        array = lazy_zeros((len(pasted), 1, im_h, im_w), np.float32)
        for i, p in enumerate(pasted):
            x0, y0, x1, y1 = p.region
            array[i, 0, y0:y1, x0:x1] = p.values.numpy()
        return torch.from_numpy(array)
    with torch.inference_mode():
        out = like.new_zeros((len(pasted), 1, im_h, im_w))
        for i, p in enumerate(pasted):
            x0, y0, x1, y1 = p.region
            out[i, 0, y0:y1, x0:x1] = p.values
    return out


def full_binary_masks(pasted: Sequence[PastedMask], image_size: tuple[int, int], threshold: float,
                      device: torch.device) -> Tensor:
    """(N, 1, H, W) bool: `masks > threshold`, from the pasted parts alone (on the CPU in lazy_zeros, as full_masks;
    numpy's compare of float32 with a float32 threshold is exactly torch's `>`)."""
    im_h, im_w = image_size
    if device.type == "cpu" and all(p.values.dtype == torch.float32 for p in pasted):
        array = lazy_zeros((len(pasted), 1, im_h, im_w), np.bool_)
        limit = np.float32(threshold)  # torch compares a float32 tensor with a Python float in float32
        for i, p in enumerate(pasted):
            x0, y0, x1, y1 = p.region
            np.greater(p.values.numpy(), limit, out=array[i, 0, y0:y1, x0:x1])
        return torch.from_numpy(array)
    with torch.inference_mode():
        out = torch.zeros((len(pasted), 1, im_h, im_w), dtype=torch.bool, device=device)
        for i, p in enumerate(pasted):
            x0, y0, x1, y1 = p.region
            out[i, 0, y0:y1, x0:x1] = p.values > threshold
    return out


def paste_masks(trace: "Trace", probabilities: Tensor, boxes: Tensor) -> Tensor:
    """GeneralizedRCNNTransform.postprocess: the (N, 1, 28, 28) probabilities pasted into the original image at
    `boxes` (original pixels), (N, 1, H, W).

    torchvision's paste_masks_in_image step for step — expand_masks' padding, expand_boxes by the same scale, to
    int64, each mask resized bilinearly to its box (align_corners=False) and clipped to the image — with one
    difference in where the numbers go: each mask is written straight into its slice of one zeroed output instead
    of into its own zeroed image that is then stacked (the same values; one full-size copy fewer)."""
    return full_masks(pasted_masks(trace, probabilities, boxes), trace.original_size, probabilities)


# ---- COCO run-length encoding -------------------------------------------------------------------------------------

def pasted_rle(pasted: PastedMask, threshold: float, image_size: tuple[int, int]) -> dict:
    """`masks[i, 0] > threshold` as a COCO compressed RLE ({"size": [H, W], "counts": bytes}), the same as
    pycocotools.mask.encode of the full (H, W) mask, made from the pasted part only (see pasted_rles)."""
    return pasted_rles([pasted], threshold, image_size)[0]


def pasted_rles(pasted: Sequence[PastedMask], threshold: float, image_size: tuple[int, int]) -> list[dict]:
    """pasted_rle of each mask, compressed by pycocotools in one call. COCO runs go down the columns (Fortran
    order), so only the region's columns are looked at; the columns before and after it are zeros."""
    im_h, im_w = int(image_size[0]), int(image_size[1])
    uncompressed = [{"size": [im_h, im_w], "counts": _run_lengths(p, threshold, im_h, im_w)} for p in pasted]
    if not uncompressed:
        return []
    return [{"size": [im_h, im_w], "counts": rle["counts"]}
            for rle in mask_utils.frPyObjects(uncompressed, im_h, im_w)]


def _run_lengths(pasted: PastedMask, threshold: float, im_h: int, im_w: int) -> list[int]:
    """The uncompressed COCO counts of one pasted mask above `threshold`: zeros first, alternating, in columns."""
    x0, y0, x1, y1 = pasted.region
    binary = (pasted.values > threshold).cpu().numpy()
    if not binary.any():
        return [im_h * im_w]
    columns = np.zeros((x1 - x0, im_h), dtype=np.bool_)
    columns[:, y0:y1] = binary.T
    flat = columns.ravel()
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    counts: list[int] = np.diff(np.concatenate(([0], changes, [flat.size]))).tolist()
    if flat[0]:
        counts.insert(0, 0)  # COCO RLE starts with a run of zeros
    counts[0] += x0 * im_h
    after = (im_w - x1) * im_h
    if flat[-1]:
        if after:
            counts.append(after)
    else:
        counts[-1] += after
    return counts
