"""Mask R-CNN: replay's masks are the model's own, and the mask head runs only for boxes it has not seen before.

Oracle: the real model rerun with the thresholds set on its modules (tests/test_replay_fidelity._rerun). The same
kernels compute the same boxes on both sides (RoIAlign per box, the mask head per RoI, sigmoid, the paste), so the
masks are compared exactly (torch.equal). Models are random init at small sizes (min_size 256) so the tests stay fast.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from conftest import TEST_CATEGORIES, noise_image, random_model
from PIL import Image
from pycocotools import mask as mask_utils
from test_replay_fidelity import _rerun
from torchvision.models.detection import MaskRCNN, MaskRCNN_ResNet50_FPN_Weights
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.models.detection.roi_heads import paste_masks_in_image

from inspectors import MODEL_NAMES, ModelLoadError, capture, load_model
from inspectors.core.demo_model import DEMO_MASK_WEIGHTS, build_demo_mask_model, load_demo_state_dict
from inspectors.core.models import hub_checkpoint_path
from inspectors.roi import mask_head
from inspectors.roi.mask_head import mask_probabilities, own_scalar_runs, paste_masks, simd_block

pytestmark = [pytest.mark.slow]  # ResNet backbones and mask heads on CPU: more than a few seconds in all
ROOT = Path(__file__).resolve().parents[1]

# Final stage only, the final stage letting more boxes through, and two RPN settings (new proposals, new boxes).
# The models keep 12 detections per image (the mask head costs ~0.5 GFLOP per box at ResNet-50 width).
DETECTIONS = 12
NON_DEFAULT = [
    {"box_score_thresh": 0.051, "box_nms_thresh": 0.3, "box_detections_per_img": 7},
    {"box_nms_thresh": 0.8, "box_detections_per_img": 20},
    {"rpn_pre_nms_top_n": 200, "rpn_nms_thresh": 0.5},
    {"rpn_post_nms_top_n": 120, "rpn_score_thresh": 0.3, "box_score_thresh": 0.04},
]


def _small(inspected, min_size: int = 256, max_size: int = 400):
    """The model at a small input size and DETECTIONS per image (settings of its own modules, captured and rerun
    alike)."""
    inspected.model.transform.min_size = (min_size,)
    inspected.model.transform.max_size = max_size
    inspected.model.roi_heads.detections_per_img = DETECTIONS
    return inspected


def _resnet18_mask_rcnn(seed: int = 0) -> MaskRCNN:
    """A torchvision MaskRCNN with a ResNet-18 FPN and a narrow mask head (torchvision's MaskRCNNHeads and
    MaskRCNNPredictor at 32 channels): the same RoI heads' code as the builders at a fraction of the cost."""
    torch.manual_seed(seed)
    backbone = resnet_fpn_backbone(backbone_name="resnet18", weights=None, trainable_layers=5)
    return MaskRCNN(backbone, min_size=256, max_size=400, box_detections_per_img=DETECTIONS,
                    box_predictor=FastRCNNPredictor(1024, len(TEST_CATEGORIES)),
                    mask_head=MaskRCNNHeads(256, [32, 32], 1),
                    mask_predictor=MaskRCNNPredictor(32, 32, len(TEST_CATEGORIES))).eval()


class _Calls:
    """Counts the boxes a module's forward ran on."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.boxes: list[int] = []
        self.handle = module.register_forward_hook(lambda mod, args, out: self.boxes.append(int(out.shape[0])))

    def take(self) -> list[int]:
        seen, self.boxes = self.boxes, []
        return seen


def _check_fidelity(inspected_or_model, net, image, settings_list=NON_DEFAULT):
    trace = capture(inspected_or_model, image)
    assert trace.has_masks and trace.config.mask is not None
    assert trace.config.mask.resolution == (28, 28) and trace.mask_pooled_shape[-2:] == (14, 14)
    calls = _Calls(net.roi_heads.mask_head)
    backbone = _Calls(net.backbone.body.layer1)
    try:
        default = trace.replay()
        assert len(default.detections) > 0, "the test must exercise real detections"
        assert default.masks.shape == (len(default.detections), 1, *trace.original_size)
        assert calls.take() == [], "at the model's settings the captured mask logits are reused"
        assert backbone.take() == [], "a slider never runs the backbone"
        assert torch.equal(default.masks, _rerun(net, trace.image)["masks"])
        calls.take()
        backbone.take()
        for settings in settings_list:
            replayed = trace.replay(**settings)
            masks = replayed.masks
            ran = calls.take()
            assert backbone.take() == [], "a slider never runs the backbone"
            rerun = _rerun(net, trace.image, **settings)
            calls.take()
            backbone.take()
            assert torch.equal(replayed.detections.boxes, rerun["boxes"]), settings
            assert masks.shape == rerun["masks"].shape, settings
            assert torch.equal(masks, rerun["masks"]), settings
            # One new box is run as a pair where the head computes a batch of one differently (the demo's).
            pair = trace.mask_lone_batch_differs and replayed.masks_computed == 1 and len(replayed.detections) > 1
            assert sum(ran) == replayed.masks_computed * (2 if pair else 1), settings
    finally:
        calls.handle.remove()
        backbone.handle.remove()
    return trace


def test_mask_replay_equals_the_model_small_backbone():
    net = _resnet18_mask_rcnn(seed=1)
    _check_fidelity(net, net, noise_image(201, 263, seed=1))  # odd sizes: the paste clips at both borders


@pytest.mark.slow
@pytest.mark.parametrize("name", ["maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_v2"])
def test_mask_replay_equals_the_model_for_both_builders(name):
    inspected = _small(random_model(name, seed=3))
    trace = _check_fidelity(inspected, inspected.model, noise_image(199, 257, seed=3))
    assert trace.model_name == name


def test_mask_head_runs_only_for_boxes_not_seen_before():
    net = _resnet18_mask_rcnn(seed=2)
    trace = capture(net, noise_image(187, 241, seed=2))
    calls = _Calls(net.roi_heads.mask_head)
    try:
        strict = trace.replay(box_detections_per_img=5)
        assert strict.masks is not None and calls.take() == [] and strict.masks_computed == 0  # seeded by capture
        before = trace.nbytes()
        loose = trace.replay(box_nms_thresh=0.9, box_detections_per_img=40)
        _ = loose.masks
        new_boxes = set(loose.mask_keys()) - set(trace.replay().mask_keys())
        assert len(new_boxes) > 0
        assert calls.take() == [len(new_boxes)] and loose.masks_computed == len(new_boxes)
        assert trace.nbytes() >= before + len(new_boxes) * 28 * 28 * 4, "the mask cache is counted in the trace"
        # Every box of these settings has been seen: no mask head run, whichever order the sliders move in.
        for settings in ({"box_nms_thresh": 0.9, "box_detections_per_img": 30}, {"box_score_thresh": 0.1}, {}):
            again = trace.replay(**settings)
            _ = again.masks
            assert calls.take() == [] and again.masks_computed == 0, settings
        # Reading masks twice runs nothing either.
        _ = loose.masks
        assert calls.take() == []
    finally:
        calls.handle.remove()


def test_binary_masks_are_masks_above_the_threshold():
    net = _resnet18_mask_rcnn(seed=4)
    replayed = capture(net, noise_image(160, 211, seed=4)).replay()
    masks = replayed.masks
    assert masks.dtype == torch.float32 and float(masks.min()) >= 0 and float(masks.max()) <= 1
    for threshold in (0.5, 0.0, 0.37, 0.93, 1.0):
        binary = replayed.binary_masks(threshold)
        assert binary.dtype == torch.bool and torch.equal(binary, masks > threshold)
    assert torch.equal(replayed.binary_masks(), masks > 0.5)
    assert replayed.mask_probs.shape == (len(replayed.detections), 1, 28, 28)
    with pytest.raises(ValueError, match="mask threshold"):
        replayed.binary_masks(1.5)


def test_no_detections_give_empty_masks():
    net = _resnet18_mask_rcnn(seed=5)
    trace = capture(net, noise_image(150, 170, seed=5))
    empty = trace.replay(box_score_thresh=1.0)
    assert len(empty.detections) == 0
    assert empty.masks.shape == (0, 1, *trace.original_size) and empty.binary_masks().shape == empty.masks.shape


def test_faster_rcnn_has_no_masks():
    trace = capture(random_model("fasterrcnn_mobilenet_v3_large_320_fpn", seed=1), noise_image(150, 190, seed=1))
    assert trace.config.mask is None and not trace.has_masks and trace.mask_logits is None
    replayed = trace.replay()
    assert replayed.masks is None and replayed.mask_probs is None and replayed.binary_masks(0.5) is None
    assert len(trace.cache.masks) == 0


@pytest.mark.parametrize("name", ["maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_v2"])
def test_registry_builds_mask_rcnn(name):
    assert name in MODEL_NAMES
    inspected = load_model(name, weights=None, categories=TEST_CATEGORIES, device="cpu")
    assert isinstance(inspected.model, MaskRCNN) and inspected.source == "random init"
    assert inspected.model.roi_heads.mask_predictor.mask_fcn_logits.out_channels == len(TEST_CATEGORIES)


def test_mask_rcnn_checkpoint_loads_with_the_faster_rcnn_recipes(tmp_path):
    torch.manual_seed(0)
    trained = load_model("maskrcnn_resnet50_fpn", weights=None, categories=TEST_CATEGORIES, device="cpu").model
    state = {k: v for k, v in trained.state_dict().items() if not k.endswith("num_batches_tracked")}
    path = tmp_path / "mask.pt"
    torch.save({"model": {f"module.{k}": v for k, v in state.items()}}, path)  # a DDP training script's file
    loaded = load_model("maskrcnn_resnet50_fpn", checkpoint=path, categories=["cat", "dog"], device="cpu")
    assert loaded.categories == TEST_CATEGORIES
    assert loaded.normalization.trained_from == "coco" and loaded.normalization.eps == 0.0
    for key, value in loaded.model.roi_heads.mask_predictor.state_dict().items():
        assert torch.equal(value, trained.roi_heads.mask_predictor.state_dict()[key])
    # A Mask R-CNN checkpoint given as a Faster R-CNN is refused, naming the architecture it fits.
    with pytest.raises(ModelLoadError, match="maskrcnn_resnet50_fpn"):
        load_model("fasterrcnn_resnet50_fpn", checkpoint=path, device="cpu")


def test_pre_placed_coco_file_loads_offline(tmp_path, monkeypatch):
    """weights="DEFAULT" reads torchvision's file from $TORCH_HOME/hub/checkpoints when it is there (no network)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    url = MaskRCNN_ResNet50_FPN_Weights.DEFAULT.url
    path = hub_checkpoint_path(url)
    assert path.parent == tmp_path / "hub" / "checkpoints"
    torch.manual_seed(7)
    reference = load_model("maskrcnn_resnet50_fpn", weights=None, device="cpu").model  # 91 classes, as COCO's
    path.parent.mkdir(parents=True)
    torch.save(reference.state_dict(), path)
    loaded = load_model("maskrcnn_resnet50_fpn", device="cpu")
    assert loaded.source == path.name and len(loaded.categories) == 91
    weight = "roi_heads.mask_head.0.0.weight"
    assert torch.equal(loaded.model.state_dict()[weight], reference.state_dict()[weight])


def test_paste_equals_torchvisions_paste_masks_in_image():
    """The one-output paste gives paste_masks_in_image's numbers for boxes inside, at and across the borders,
    tiny and whole-image ones."""
    torch.manual_seed(0)
    height, width = 97, 131
    probs = torch.rand(40, 1, 28, 28)
    corner = torch.rand(40, 2) * torch.tensor([width, height])
    boxes = torch.cat([corner, corner + torch.rand(40, 2) * 90 + 0.2], 1)
    boxes[:, 0::2] = boxes[:, 0::2].clamp(0, width)  # the model's boxes are clipped to the image
    boxes[:, 1::2] = boxes[:, 1::2].clamp(0, height)
    boxes[:3] = torch.tensor([[0.0, 0.0, width, height], [0.0, 0.0, 0.3, 0.2],
                              [width - 0.4, height - 0.7, width, height]])
    trace = SimpleNamespace(config=SimpleNamespace(mask=None), original_size=(height, width))
    assert torch.equal(paste_masks(trace, probs, boxes), paste_masks_in_image(probs, boxes, (height, width)))
    assert paste_masks(trace, probs[:0], boxes[:0]).shape == (0, 1, height, width)


# ---- speed structure: the sigmoid, the box-sized pastes, laziness --------------------------------------------------

@pytest.mark.parametrize("threads", [1, 2])
def test_probabilities_equal_maskrcnn_inferences_sigmoid_for_any_batch(threads):
    """maskrcnn_inference takes x.sigmoid() of every class's logits (N, C, 28, 28); ATen computes each thread's
    remainder after its SIMD blocks with the scalar function, which differs in the last bit for a few percent of
    inputs. mask_probabilities reproduces it from the own-class logits alone, for batches that fit one thread and
    batches split across threads; the plain own-class sigmoid does not (checked, so the test can fail)."""
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    generator = torch.Generator().manual_seed(threads)
    plain_differs = 0
    try:
        for n, classes in [(1, 4), (3, 4), (7, 91), (13, 3), (41, 91), (57, 2), (99, 91), (100, 91), (33, 21)]:
            logits = torch.randn(n, classes, 28, 28, generator=generator) * 6
            labels = torch.randint(0, classes, (n,), generator=generator)
            with torch.inference_mode():
                expected = logits.sigmoid()[torch.arange(n), labels][:, None]   # torchvision's maskrcnn_inference
                own = logits[torch.arange(n), labels]
                assert torch.equal(mask_probabilities(own, labels, classes), expected), (n, classes)
                plain_differs += int(not torch.equal(own.sigmoid()[:, None], expected))
    finally:
        torch.set_num_threads(saved)
    if simd_block() and (28 * 28) % simd_block():
        # With AVX-512 (32-float blocks) a 28×28 plane ends mid-block, so some values take the scalar path; with
        # ATEN_CPU_CAPABILITY=avx2 (16-float blocks) every plane is whole blocks and the two sigmoids agree here.
        assert plain_differs > 0, "these batches exercise the scalar remainders"


def _count_pastes(monkeypatch):
    seen: list[int] = []
    original = mask_head.paste_one

    def counting(*args, **kwargs):
        seen.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(mask_head, "paste_one", counting)
    return seen


def test_masks_equal_the_model_at_odd_sizes_and_random_mask_thresholds(monkeypatch):
    """257×391 (odd, the paste clips at the borders); binary masks at random thresholds and the RLEs equal the
    model's own masks thresholded; a score move pastes no mask again, and the pastes are counted in the trace."""
    net = _resnet18_mask_rcnn(seed=6)
    image = noise_image(257, 391, seed=6)
    trace = capture(net, image)
    pastes = _count_pastes(monkeypatch)
    thresholds = [float(t) for t in np.random.default_rng(6).random(4)]  # float64: torch compares in float32
    loose = {"box_score_thresh": 0.0, "box_nms_thresh": 0.7, "box_detections_per_img": 30}
    replayed = trace.replay(**loose)
    rerun = _rerun(net, image, **loose)["masks"]
    assert len(replayed.detections) > 10, "the test must exercise many detections"
    before = trace.nbytes()
    for threshold in [0.5, *thresholds]:
        binary = replayed.binary_masks(threshold)
        assert torch.equal(binary, rerun > threshold), threshold
        decoded = np.stack([mask_utils.decode(r) for r in replayed.rle_masks(threshold)])
        assert torch.equal(torch.from_numpy(decoded).bool()[:, None], binary), threshold
    assert len(pastes) == replayed.masks_pasted == len(replayed.detections), "each mask pasted once"
    assert torch.equal(replayed.masks, rerun)
    assert trace.nbytes() > before, "the pastes are counted in the trace's bytes"
    # Score moves keep a subset of the boxes: their masks are taken from the pastes; only a mask with values from
    # the sigmoid's scalar remainder (at most one per thread, see mask_probabilities) is pasted again.
    for score in (0.02, 0.05, 0.08):
        pastes.clear()
        moved = trace.replay(**{**loose, "box_score_thresh": score})
        expected = _rerun(net, image, **{**loose, "box_score_thresh": score})["masks"]
        assert torch.equal(moved.binary_masks(thresholds[0]), expected > thresholds[0]), score
        assert torch.equal(moved.masks, expected), score
        classes = trace.config.mask.num_classes
        uncached = len({i for i, _, _ in own_scalar_runs(moved.detections.labels.tolist(), classes, 28 * 28)})
        assert len(pastes) == moved.masks_pasted == uncached <= torch.get_num_threads(), score
        assert len(moved.detections) > uncached


def test_a_replay_whose_masks_are_not_read_pays_nothing_for_them(monkeypatch):
    net = _resnet18_mask_rcnn(seed=7)
    trace = capture(net, noise_image(180, 233, seed=7))
    calls = _Calls(net.roi_heads.mask_head)
    pastes = _count_pastes(monkeypatch)
    try:
        for settings in ({}, {"box_score_thresh": 0.06}, {"box_nms_thresh": 0.8, "box_detections_per_img": 40},
                         {"rpn_post_nms_top_n": 150}):
            replayed = trace.replay(**settings)
            assert len(replayed.detections) > 0 and replayed.has_masks
        assert calls.take() == [] and pastes == []
        assert not trace.cache.masks.seeded and len(trace.cache.mask_pastes) == 0 and trace.cache.masks.computed == 0
    finally:
        calls.handle.remove()


def test_demo_mask_replay_equals_the_model():
    """demo_mask (its committed mask head; before that file exists, a seeded one), at non-default thresholds,
    against the model's own output. Its 64-channel head computes one box alone with other last bits than in a
    batch (capture probes it): a lone detection's mask is computed as the model computes it."""
    if DEMO_MASK_WEIGHTS.is_file():
        net = load_model("demo_mask", device="cpu").model
    else:
        torch.manual_seed(0)
        net = build_demo_mask_model()
        net.load_state_dict(load_demo_state_dict(), strict=False)
        net.eval()
    image = np.asarray(Image.open(ROOT / "sample_images" / "shapes_02.png").convert("RGB"))
    lone = [{"box_detections_per_img": 1}, {"rpn_post_nms_top_n": 30, "box_detections_per_img": 1},
            {"box_detections_per_img": 2}]
    trace = _check_fidelity(net, net, image[:251, :333], NON_DEFAULT + lone)   # odd sizes
    assert isinstance(trace.mask_lone_batch_differs, bool)
