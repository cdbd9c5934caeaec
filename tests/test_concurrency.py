"""One model, many sessions: a capture's hooks never record another session's work, by construction.

The interleaving is forced, not hoped for: session A's capture is paused inside its forward pass (after its own RoI
heads ran, with the hooks still on the model) while session B runs the same model's box head.
"""

from __future__ import annotations

import threading
import time

import pytest
import torch

from inspectors import capture, load_model
from inspectors.core.models import model_lock
from inspectors.roi.box_head import run_box_head

PAUSE_SECONDS = 1.0


@pytest.fixture(scope="module")
def demo():
    return load_model("demo", device="cpu")


@pytest.fixture(scope="module")
def scenes():
    from app.config import sample_image_paths

    shapes = [p for p in sample_image_paths() if "shapes_" in p]
    return shapes[0], shapes[1]


def _pause_inside_capture(model, paused: threading.Event, resume: threading.Event, thread_box: list):
    """A hook that holds the capturing thread inside the forward pass, after the RoI heads, hooks still on."""
    def hook(module, args, output):
        if threading.get_ident() == thread_box[0]:
            paused.set()
            resume.wait(PAUSE_SECONDS)

    return model.model.roi_heads.register_forward_hook(hook)


def _assert_consistent(trace) -> None:
    assert trace.class_logits.shape[0] == trace.native_proposals.shape[0]
    assert trace.box_regression.shape[0] == trace.native_proposals.shape[0]
    replay = trace.replay()
    assert torch.equal(replay.detections.boxes, trace.native_detections["boxes"])


def _capture_in_thread(demo, image, thread_box, result):
    def run():
        thread_box.append(threading.get_ident())
        result["trace"] = capture(demo, image)
        result["finished"] = time.perf_counter()

    return threading.Thread(target=run)


def test_an_rpn_slider_in_another_session_waits_for_a_running_capture(demo, scenes):
    alone = capture(demo, scenes[1]).replay(rpn_nms_thresh=0.5)  # B's slider move when nothing else runs
    other = capture(demo, scenes[1])  # session B's trace: new proposals at this setting need the box head

    paused, resume, thread_box, a = threading.Event(), threading.Event(), [], {}
    handle = _pause_inside_capture(demo, paused, resume, thread_box)
    try:
        capture_a = _capture_in_thread(demo, scenes[0], thread_box, a)
        capture_a.start()
        assert paused.wait(30), "session A's capture did not reach the RoI heads"
        b: dict = {}

        def slider_b():
            b["replay"] = other.replay(rpn_nms_thresh=0.5)
            b["finished"] = time.perf_counter()
            resume.set()

        thread_b = threading.Thread(target=slider_b)
        thread_b.start()
        thread_b.join(PAUSE_SECONDS / 2)
        # B needs the model's box head, which A's capture holds: B cannot have run while A is inside its forward.
        assert "replay" not in b
        capture_a.join(60)
        thread_b.join(60)
    finally:
        handle.remove()
    assert b["finished"] > a["finished"]
    _assert_consistent(a["trace"])
    assert b["replay"].heads_computed > 0
    torch.testing.assert_close(b["replay"].detections.boxes, alone.detections.boxes, rtol=0, atol=1e-5)
    assert torch.equal(b["replay"].detections.labels, alone.detections.labels)


def test_module_calls_from_another_thread_never_land_in_a_trace(demo, scenes):
    """Even code that ignores the model lock cannot write into a capture: the hooks keep only their own thread."""
    reference = capture(demo, scenes[1])
    paused, resume, thread_box, a = threading.Event(), threading.Event(), [], {}
    handle = _pause_inside_capture(demo, paused, resume, thread_box)
    try:
        capture_a = _capture_in_thread(demo, scenes[0], thread_box, a)
        capture_a.start()
        assert paused.wait(30)
        heads = demo.model.roi_heads
        few = reference.native_proposals[:37]
        with torch.inference_mode():  # deliberately without the lock, as a careless caller would
            features = heads.box_head(heads.box_roi_pool(reference.fpn_raw, [few], [reference.resized_size]))
            heads.box_predictor(features)
        resume.set()
        capture_a.join(60)
    finally:
        handle.remove()
    _assert_consistent(a["trace"])
    assert a["trace"].class_logits.shape[0] != 37


def test_the_lock_is_one_per_model_object_and_reentrant(demo):
    assert model_lock(demo.model) is demo.lock is model_lock(demo.model)
    other = load_model("demo", device="cpu")
    assert other.lock is not demo.lock
    with demo.lock, demo.lock:  # re-entrant: replay inside a capture-holding thread does not deadlock
        pass


def test_box_head_runs_hold_the_model_lock(demo, scenes):
    trace = capture(demo, scenes[0])
    started = threading.Event()
    done = threading.Event()

    def run():
        started.set()
        run_box_head(trace, trace.native_proposals[:5])
        done.set()

    with demo.lock:
        worker = threading.Thread(target=run)
        worker.start()
        started.wait(5)
        assert not done.wait(0.3), "run_box_head ran although another thread held the model"
    worker.join(30)
    assert done.is_set()
