"""torchvision's BoxCoder.decode with its intermediate numbers kept: how deltas move a reference box.

    tx = (x − xa) / wa,  ty = (y − ya) / ha,  tw = log(w / wa),  th = log(h / ha)      (encode, the paper's eq. 2)
    x = xa + (dx / wx)·wa,  y = ya + (dy / wy)·ha,
    w = wa·exp(min(dw / ww, clip)),  h = ha·exp(min(dh / wh, clip))                  (decode, what runs at test time)

(wx, wy, ww, wh) are the coder's weights — (1, 1, 1, 1) in the RPN, (10, 10, 5, 5) in the RoI head — and clip is
bbox_xform_clip = log(1000 / 16), which caps how much one prediction may grow a box.

`decode_terms` runs decode_single's expressions one by one and keeps each one. Float32 results of vectorised
kernels could in principle depend on where an element sits in its tensor, so the stories decode the batch the model
decoded (all proposals × classes), or one anchor's row only after checking that it ends in the model's own decoded
anchor bit for bit (else the whole batch of anchors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor
from torchvision.ops import boxes as box_ops

from inspectors.core.snapshot import BoxCoderSpec


@dataclass
class DecodeTerms:
    """Every intermediate of BoxCoder.decode_single for N reference boxes and K boxes each (K = 1 in the RPN,
    the number of classes in the RoI head)."""

    widths: Tensor  # (N,) reference box
    heights: Tensor
    ctr_x: Tensor
    ctr_y: Tensor
    dx: Tensor  # (N, K) deltas divided by the weights
    dy: Tensor
    dw_unclamped: Tensor
    dh_unclamped: Tensor
    dw: Tensor  # after the clamp at bbox_xform_clip
    dh: Tensor
    pred_ctr_x: Tensor
    pred_ctr_y: Tensor
    pred_w: Tensor
    pred_h: Tensor
    boxes: Tensor  # (N, K, 4) = BoxCoder.decode(rel_codes, [reference])


def decode_terms(spec: BoxCoderSpec, rel_codes: Tensor, reference: Tensor) -> DecodeTerms:
    """BoxCoder(spec).decode(rel_codes, [reference]) with every intermediate (torchvision 0.29's expressions)."""
    boxes = reference.to(rel_codes.dtype)
    rel_codes = rel_codes.reshape(boxes.shape[0], -1)
    widths = boxes[:, 2] - boxes[:, 0]
    heights = boxes[:, 3] - boxes[:, 1]
    ctr_x = boxes[:, 0] + 0.5 * widths
    ctr_y = boxes[:, 1] + 0.5 * heights
    wx, wy, ww, wh = spec.weights
    dx = rel_codes[:, 0::4] / wx
    dy = rel_codes[:, 1::4] / wy
    dw_unclamped = rel_codes[:, 2::4] / ww
    dh_unclamped = rel_codes[:, 3::4] / wh
    dw = torch.clamp(dw_unclamped, max=spec.clip)
    dh = torch.clamp(dh_unclamped, max=spec.clip)
    pred_ctr_x = dx * widths[:, None] + ctr_x[:, None]
    pred_ctr_y = dy * heights[:, None] + ctr_y[:, None]
    pred_w = torch.exp(dw) * widths[:, None]
    pred_h = torch.exp(dh) * heights[:, None]
    c_to_c_h = torch.tensor(0.5, dtype=pred_ctr_y.dtype, device=pred_h.device) * pred_h
    c_to_c_w = torch.tensor(0.5, dtype=pred_ctr_x.dtype, device=pred_w.device) * pred_w
    pred = torch.stack(
        (pred_ctr_x - c_to_c_w, pred_ctr_y - c_to_c_h, pred_ctr_x + c_to_c_w, pred_ctr_y + c_to_c_h), dim=2
    )
    return DecodeTerms(widths, heights, ctr_x, ctr_y, dx, dy, dw_unclamped, dh_unclamped, dw, dh,
                       pred_ctr_x, pred_ctr_y, pred_w, pred_h, pred)


@dataclass(frozen=True)
class DecodeStep:
    """One refinement, in numbers: a reference box moved by four deltas (resized frame unless said otherwise)."""

    stage: str  # "rpn" (anchor → proposal) or "box" (proposal → detection)
    reference: tuple[float, float, float, float]  # the anchor or the proposal
    reference_centre: tuple[float, float]  # (xa, ya) as the coder computes it: x1 + 0.5·w
    reference_size: tuple[float, float]  # (wa, ha)
    weights: tuple[float, float, float, float]  # (wx, wy, ww, wh)
    clip: float  # bbox_xform_clip
    deltas: tuple[float, float, float, float]  # raw network outputs, as BoxCoder.decode receives them
    scaled: tuple[float, float, float, float]  # (dx/wx, dy/wy, dw/ww, dh/wh) before the clamp
    clamped: tuple[float, float]  # (dw, dh) after the clamp
    clamp_hit: tuple[bool, bool]  # whether the clamp changed dw / dh
    centre: tuple[float, float]  # predicted (x, y) = reference centre + (dx·wa, dy·ha)
    size: tuple[float, float]  # predicted (w, h) = (wa·exp(dw), ha·exp(dh))
    decoded: tuple[float, float, float, float]  # BoxCoder.decode output, before clipping
    clipped: tuple[float, float, float, float]  # clip_boxes_to_image(decoded, resized size)
    decoded_original: tuple[float, float, float, float]  # the same two boxes in original pixels
    clipped_original: tuple[float, float, float, float]
    image_size: tuple[int, int]  # (h, w) of the resized frame the box is clipped to

    @property
    def clipped_changed(self) -> bool:
        """True when clipping to the image moved the decoded box."""
        return self.clipped != self.decoded


def decode_step(stage: str, spec: BoxCoderSpec, terms: DecodeTerms, rel_codes: Tensor, reference: Tensor,
                row: int, column: int, image_size: tuple[int, int], to_original: Callable[[Tensor], Tensor]
                ) -> DecodeStep:
    """Read box (row, column) out of `terms`, which decode_terms computed from (rel_codes, reference)."""
    decoded = terms.boxes[row, column]
    clipped = box_ops.clip_boxes_to_image(decoded[None], image_size)[0]
    originals = to_original(torch.stack([decoded, clipped]))
    codes = rel_codes.reshape(terms.widths.shape[0], -1)[row, 4 * column : 4 * column + 4]
    return DecodeStep(
        stage=stage,
        reference=_four(reference[row]),
        reference_centre=(float(terms.ctr_x[row]), float(terms.ctr_y[row])),
        reference_size=(float(terms.widths[row]), float(terms.heights[row])),
        weights=tuple(float(w) for w in spec.weights),  # type: ignore[arg-type]
        clip=float(spec.clip),
        deltas=_four(codes),
        scaled=(float(terms.dx[row, column]), float(terms.dy[row, column]),
                float(terms.dw_unclamped[row, column]), float(terms.dh_unclamped[row, column])),
        clamped=(float(terms.dw[row, column]), float(terms.dh[row, column])),
        clamp_hit=(bool(terms.dw[row, column] != terms.dw_unclamped[row, column]),
                   bool(terms.dh[row, column] != terms.dh_unclamped[row, column])),
        centre=(float(terms.pred_ctr_x[row, column]), float(terms.pred_ctr_y[row, column])),
        size=(float(terms.pred_w[row, column]), float(terms.pred_h[row, column])),
        decoded=_four(decoded),
        clipped=_four(clipped),
        decoded_original=_four(originals[0]),
        clipped_original=_four(originals[1]),
        image_size=(int(image_size[0]), int(image_size[1])),
    )


def _four(t: Tensor) -> tuple[float, float, float, float]:
    return tuple(float(v) for v in t.reshape(4).cpu())  # type: ignore[return-value]
