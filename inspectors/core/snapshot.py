"""What a Trace needs to know about the model, copied at capture time: a trace is a snapshot.

Changing the model after capture (its thresholds, its anchor generator, its matcher) changes no trace. The
torchvision objects that replay and the ground-truth analyses use (box coders, matchers, samplers, the RoI level
mapper) are rebuilt from these values with torchvision's own classes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping, Optional

from torch import Tensor, nn
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection._utils import BalancedPositiveNegativeSampler, BoxCoder, Matcher
from torchvision.ops.poolers import LevelMapper, _setup_scales

from inspectors.core.thresholds import read_thresholds


@dataclass(frozen=True)
class BoxCoderSpec:
    weights: tuple[float, float, float, float]
    clip: float  # bbox_xform_clip: the largest dw/dh before exp (log(1000/16))

    def build(self) -> BoxCoder:
        return BoxCoder(self.weights, self.clip)


@dataclass(frozen=True)
class MatcherSpec:
    high: float  # IoU ≥ high → foreground
    low: float  # IoU < low → background; in between → ignored
    allow_low_quality: bool  # each object also gets its best-matching anchors

    def build(self) -> Matcher:
        return Matcher(self.high, self.low, self.allow_low_quality)


@dataclass(frozen=True)
class SamplerSpec:
    batch_size_per_image: int
    positive_fraction: float

    def build(self) -> BalancedPositiveNegativeSampler:
        return BalancedPositiveNegativeSampler(self.batch_size_per_image, self.positive_fraction)


@dataclass(frozen=True)
class PoolerSpec:
    featmap_names: tuple[str, ...]
    output_size: tuple[int, int]
    sampling_ratio: int
    canonical_scale: int
    canonical_level: int


@dataclass(frozen=True)
class MaskSpec:
    """The mask branch of a Mask R-CNN as it was at capture time."""

    pooler: PoolerSpec  # mask_roi_pool: RoIAlign 14×14 on the level each box maps to
    resolution: tuple[int, int]  # the mask predictor's logits per class (28×28): the pooled size × its upsampling
    num_classes: int  # channels of the predictor: one mask per class
    paste_padding: int = 1  # GeneralizedRCNNTransform.postprocess pastes with paste_masks_in_image's default


@dataclass(frozen=True)
class TransformSpec:
    min_size: tuple[int, ...]
    max_size: int
    image_mean: tuple[float, ...]
    image_std: tuple[float, ...]
    size_divisible: int
    fixed_size: Optional[tuple[int, int]]
    skip_resize: bool = False  # torchvision's _skip_resize: training mode then keeps the input size


@dataclass(frozen=True)
class ModelSnapshot:
    thresholds: Mapping[str, float]  # the seven thresholds in eval mode (read-only)
    rpn_min_size: float
    rpn_box_coder: BoxCoderSpec
    rpn_matcher: MatcherSpec
    rpn_sampler: SamplerSpec
    anchor_sizes: tuple[tuple[float, ...], ...]
    aspect_ratios: tuple[tuple[float, ...], ...]
    roi_box_coder: BoxCoderSpec
    roi_matcher: MatcherSpec
    roi_sampler: SamplerSpec
    pooler: Optional[PoolerSpec]  # None when the box pooler is not a MultiScaleRoIAlign
    transform: TransformSpec
    # What training mode uses instead of the testing top-n (the losses replay a training step).
    rpn_pre_nms_top_n_train: int = 2000
    rpn_post_nms_top_n_train: int = 2000
    mask: Optional[MaskSpec] = None  # None for a model without a mask branch (Faster R-CNN)


def snapshot_model(net: FasterRCNN) -> ModelSnapshot:
    rpn, heads, transform = net.rpn, net.roi_heads, net.transform
    generator = rpn.anchor_generator
    pooler_spec = _pooler(heads.box_roi_pool)
    fixed = getattr(transform, "fixed_size", None)
    return ModelSnapshot(
        thresholds=MappingProxyType(dict(read_thresholds(net))),
        rpn_min_size=float(rpn.min_size),
        rpn_box_coder=_coder(rpn.box_coder),
        rpn_matcher=_matcher(rpn.proposal_matcher),
        rpn_sampler=_sampler(rpn.fg_bg_sampler),
        anchor_sizes=tuple(tuple(float(s) for s in sizes) for sizes in generator.sizes),
        aspect_ratios=tuple(tuple(float(r) for r in ratios) for ratios in generator.aspect_ratios),
        roi_box_coder=_coder(heads.box_coder),
        roi_matcher=_matcher(heads.proposal_matcher),
        roi_sampler=_sampler(heads.fg_bg_sampler),
        pooler=pooler_spec,
        transform=TransformSpec(
            min_size=tuple(int(s) for s in transform.min_size),
            max_size=int(transform.max_size),
            image_mean=tuple(float(v) for v in transform.image_mean),
            image_std=tuple(float(v) for v in transform.image_std),
            size_divisible=int(transform.size_divisible),
            fixed_size=(int(fixed[0]), int(fixed[1])) if fixed else None,  # torchvision's (width, height)
            skip_resize=bool(getattr(transform, "_skip_resize", False)),
        ),
        rpn_pre_nms_top_n_train=int(rpn._pre_nms_top_n["training"]),
        rpn_post_nms_top_n_train=int(rpn._post_nms_top_n["training"]),
        mask=_mask(heads),
    )


def _pooler(pooler: Any) -> Optional[PoolerSpec]:
    """A MultiScaleRoIAlign's settings, or None for another pooler."""
    if not (hasattr(pooler, "featmap_names") and hasattr(pooler, "canonical_scale")):
        return None
    size = pooler.output_size
    return PoolerSpec(
        featmap_names=tuple(str(n) for n in pooler.featmap_names),
        output_size=(int(size[0]), int(size[1])) if isinstance(size, (tuple, list)) else (int(size), int(size)),
        sampling_ratio=int(pooler.sampling_ratio),
        canonical_scale=int(pooler.canonical_scale),
        canonical_level=int(pooler.canonical_level),
    )


def _mask(heads: object) -> Optional[MaskSpec]:
    """The mask branch's settings when the RoI heads have one (torchvision's RoIHeads.has_mask())."""
    pooler = getattr(heads, "mask_roi_pool", None)
    predictor = getattr(heads, "mask_predictor", None)
    has_mask = getattr(heads, "has_mask", None)
    if pooler is None or predictor is None or not (callable(has_mask) and has_mask()):
        return None
    spec = _pooler(pooler)
    if spec is None:
        return None
    # MaskRCNNPredictor: a stride-2 transposed convolution, then one 1×1 logit channel per class.
    upsample = getattr(predictor, "conv5_mask", None)
    factor = int(upsample.stride[0]) if isinstance(upsample, nn.ConvTranspose2d) else 1
    logits = getattr(predictor, "mask_fcn_logits", None)
    num_classes = int(logits.out_channels) if isinstance(logits, nn.Conv2d) else 0
    return MaskSpec(pooler=spec, resolution=(spec.output_size[0] * factor, spec.output_size[1] * factor),
                    num_classes=num_classes)


def pooler_geometry(
    spec: PoolerSpec, fpn_raw: Mapping[str, Tensor], image_size: tuple[int, int]
) -> tuple[list[str], list[float], LevelMapper]:
    """The pooled map names, their scales and the level mapper that MultiScaleRoIAlign computes for this image.

    torchvision recomputes these on every forward (and stores them on the shared module); computing them from the
    trace's own maps keeps a trace independent of whatever image the model saw last.
    """
    names = [name for name in fpn_raw if name in spec.featmap_names]
    scales, mapper = _setup_scales(
        [fpn_raw[n] for n in names], [image_size], spec.canonical_scale, spec.canonical_level
    )
    return names, scales, mapper


def resized_size(spec: TransformSpec, height: int, width: int) -> tuple[int, int]:
    """The (height, width) GeneralizedRCNNTransform resizes an image to in eval mode, computed as torchvision does."""
    if spec.fixed_size is not None:
        return int(spec.fixed_size[1]), int(spec.fixed_size[0])
    min_size, max_size = float(spec.min_size[-1]), float(spec.max_size)
    scale = min(min_size / min(height, width), max_size / max(height, width))
    # F.interpolate(scale_factor=scale, recompute_scale_factor=True) gives floor(side * scale), in double.
    return math.floor(height * scale), math.floor(width * scale)


def _coder(coder: BoxCoder) -> BoxCoderSpec:
    wx, wy, ww, wh = (float(w) for w in coder.weights)
    return BoxCoderSpec((wx, wy, ww, wh), float(coder.bbox_xform_clip))


def _matcher(matcher: Matcher) -> MatcherSpec:
    return MatcherSpec(float(matcher.high_threshold), float(matcher.low_threshold),
                       bool(matcher.allow_low_quality_matches))


def _sampler(sampler: BalancedPositiveNegativeSampler) -> SamplerSpec:
    return SamplerSpec(int(sampler.batch_size_per_image), float(sampler.positive_fraction))
