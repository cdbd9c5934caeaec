"""Masks as COCO RLE in the named API: /inspect and /rethreshold on a Mask R-CNN give each detection its binary mask
as a compressed RLE that pycocotools decodes to exactly `replay(...).binary_masks()`; the RLE made from the pasted
part of a mask is pycocotools.mask.encode's own string for the full mask.

Model: demo_mask (the demo's trained box weights; its mask head is the committed one when the file exists, else a
fixed random init of the same architecture — every number is still the model's). The app is served in-process and
driven with gradio_client; the test captures the same image with the same model object and compares.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from gradio_client import Client, handle_file
from pycocotools import mask as mask_utils

import inspectors
from app.figures.detections import summary
from app.handlers import Lens
from app.model_store import ModelStore
from app.session_cache import SessionCache
from app.testing import example_image, offline_loader, serve
from inspectors import capture
from inspectors.core import demo_model
from inspectors.roi.mask_head import PastedMask, pasted_rle

pytestmark = [pytest.mark.slow]  # serves the app and runs the demo Mask R-CNN: more than a few seconds

_MODELS: dict[str, Any] = {}


def _loader(name: str, **kwargs: Any) -> Any:
    """offline_loader, with demo_mask standing in as the demo's box weights + a seeded mask head until the trained
    mask-head file is committed; one model object per name, so that the test can capture with the server's model."""
    if name not in _MODELS:
        if name == "demo_mask" and not demo_model.DEMO_MASK_WEIGHTS.is_file():
            torch.manual_seed(0)
            net = demo_model.build_demo_mask_model()
            net.load_state_dict(demo_model.load_demo_state_dict(), strict=False)
            _MODELS[name] = inspectors.InspectedModel(model=net.eval(), name="demo_mask",
                                                      categories=list(demo_model.DEMO_CATEGORIES),
                                                      device=torch.device("cpu"), source="test mask head")
        else:
            _MODELS[name] = offline_loader(name, **kwargs)
    return _MODELS[name]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    import tempfile

    from app.dataset_store import DatasetStore

    lens = Lens(ModelStore(device="cpu", loader=_loader), SessionCache(max_sessions=4),
                datasets=DatasetStore(root=tempfile.mkdtemp(prefix="rcnn-lens-test-rle-")))
    demo, url = serve(lens)
    try:
        yield url, example_image(tmp_path_factory.mktemp("rle"))
    finally:
        demo.close()


def _decoded(detections: list[dict], height: int, width: int) -> torch.Tensor:
    """(N, 1, H, W) bool from the summary's RLEs, decoded by pycocotools."""
    masks = []
    for d in detections:
        rle = d["mask"]
        assert rle["size"] == [height, width] and isinstance(rle["counts"], str)
        masks.append(torch.from_numpy(mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode()})))
    return torch.stack(masks)[:, None].bool() if masks else torch.zeros((0, 1, height, width), dtype=torch.bool)


def test_inspect_and_rethreshold_return_masks_as_rle(served) -> None:
    url, image = served
    client = Client(url, verbose=False)
    first = client.predict(handle_file(image), "demo_mask", api_name="/inspect")[0]
    assert first["model"] == "demo_mask" and first["mask_threshold"] == 0.5
    height, width = first["image_size"]["height"], first["image_size"]["width"]
    assert len(first["detections"]) > 0
    assert all({"label", "score", "box", "mask"} == set(d) for d in first["detections"])

    trace = capture(_MODELS["demo_mask"], image)
    replay = trace.replay()
    assert [d["label"] for d in first["detections"]] == replay.detections.names
    assert torch.equal(_decoded(first["detections"], height, width), replay.binary_masks(0.5))

    # A final-stage move and an RPN move: the RLEs follow the detections.
    settings = dict(first["settings"])
    for changes in ({"box_score_thresh": 0.6, "box_nms_thresh": 0.3}, {"rpn_post_nms_top_n": 40}):
        values = {**settings, **changes}
        moved = client.predict(*[values[k] for k in settings], api_name="/rethreshold")[0]
        expected = trace.replay(**changes)
        assert moved["counts"]["detections"] == len(expected.detections) == len(moved["detections"])
        assert torch.equal(_decoded(moved["detections"], height, width), expected.binary_masks(0.5)), changes


def test_faster_rcnn_summary_keeps_its_keys(mobilenet_trace) -> None:
    out = summary(mobilenet_trace, mobilenet_trace.replay())
    assert "mask_threshold" not in out
    assert all(set(d) == {"label", "score", "box"} for d in out["detections"])


@pytest.mark.parametrize("threshold", [0.5, 0.0, 0.13, 0.77, 1.0])
def test_rle_of_a_pasted_part_is_pycocotools_encode_of_the_full_mask(threshold: float) -> None:
    """At image borders, in the corner, 1-pixel and whole-image regions, all-zero and all-one parts."""
    rng = np.random.default_rng(int(threshold * 100))
    height, width = 57, 83
    regions = [(0, 0, width, height), (0, 0, 1, 1), (width - 1, height - 1, width, height), (5, 7, 30, 50),
               (0, 20, 13, height), (40, 0, width, 9), (10, 10, 10, 10)]
    regions += [tuple(int(v) for v in (*rng.integers(0, 40, 2), *rng.integers(41, 57, 2))) for _ in range(20)]
    for k, (x0, y0, x1, y1) in enumerate(regions):
        values = torch.from_numpy(rng.random((y1 - y0, x1 - x0)).astype(np.float32))
        if k % 5 == 1:
            values = torch.ones_like(values)
        pasted = PastedMask(region=(x0, y0, x1, y1), values=values, pixel_box=(x0, y0, x1 - 1, y1 - 1))
        full = np.zeros((height, width), dtype=np.uint8)
        full[y0:y1, x0:x1] = (values > threshold).numpy()
        expected = mask_utils.encode(np.asfortranarray(full))
        got = pasted_rle(pasted, threshold, (height, width))
        assert got["counts"] == expected["counts"] and got["size"] == [height, width], (k, threshold)


def test_rle_masks_are_binary_masks(mobilenet_trace, tmp_path) -> None:
    """Replay.rle_masks decodes to binary_masks (no masks: None for a Faster R-CNN); the summary's threshold."""
    assert mobilenet_trace.replay().rle_masks() is None
    torch.manual_seed(1)
    net = demo_model.build_demo_mask_model()
    net.load_state_dict(demo_model.load_demo_state_dict(), strict=False)
    trace = capture(net.eval(), example_image(tmp_path))
    replay = trace.replay(box_score_thresh=0.3)
    for threshold in (0.5, 0.21):
        rles = replay.rle_masks(threshold)
        decoded = np.stack([mask_utils.decode(r) for r in rles]) if rles else np.zeros((0, *trace.original_size))
        assert torch.equal(torch.from_numpy(decoded).bool()[:, None], replay.binary_masks(threshold))
    out = summary(trace, replay, mask_threshold=0.21)
    assert out["mask_threshold"] == 0.21 and len(out["detections"]) == len(replay.detections) > 0
    assert [d["mask"]["counts"] for d in out["detections"]] == [r["counts"].decode() for r in rles]


def test_the_summary_cuts_masks_at_the_sessions_mask_threshold(tmp_path) -> None:
    """The page's summary panel follows the Masks tab's threshold (session.options.mask_threshold)."""
    from app import handlers, views

    lens = Lens(ModelStore(device="cpu", loader=_loader), SessionCache(max_sessions=2))
    session = handlers.inspect_image(lens, "rle", example_image(tmp_path), "demo_mask")
    session.options.mask_threshold = 0.83
    out = views.detections_view(session).summary
    assert out["mask_threshold"] == 0.83 and len(out["detections"]) > 0
    height, width = session.trace.original_size
    assert torch.equal(_decoded(out["detections"], height, width), session.replay.binary_masks(0.83))
    assert not torch.equal(session.replay.binary_masks(0.83), session.replay.binary_masks(0.5))
