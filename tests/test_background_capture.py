"""A dataset capture runs as a background job: an /inspect in another session does not wait for it, interactive
work goes first, and a capture reports progress, can be cancelled (and resumed) and is limited per session and per
server.

The interleaving is forced, not hoped for: the capture job is held between two of its images until the other
session's /inspect has answered. Were the inspect queued behind the capture (as when both shared one concurrency
group), it could not answer while the capture is held, and the test fails on its timeout.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client, handle_file

from app import handlers, jobs
from app.dataset_store import DatasetStore
from app.handlers import UserError
from app.jobs import CaptureJobs, InteractiveGate
from app.strings import t
from app.testing import make_lens, serve, shapes_image

pytestmark = [pytest.mark.slow, pytest.mark.dataset]

SCENES = 5
HOLD_AT = 2          # the capture is held before its third image
HOLD_SECONDS = 60.0  # longest a held capture waits to be released


class Hold:
    """Replaces Job.between_images: the job stops before image HOLD_AT until released (records so far are kept)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, at: int = HOLD_AT) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()
        self.job: jobs.Job | None = None
        original = jobs.Job.between_images

        def between_images(job: jobs.Job, done: int, total: int) -> None:
            if done == at and not self.release.is_set():
                self.job = job
                self.reached.set()
                self.release.wait(HOLD_SECONDS)
            original(job, done, total)

        monkeypatch.setattr(jobs.Job, "between_images", between_images)


def _lens(tmp_path: Path, **store: Any):
    lens = make_lens()
    lens.datasets = DatasetStore(root=tmp_path / "captures", **store)
    return lens


def test_an_inspect_in_another_session_does_not_wait_for_a_capture(monkeypatch, tmp_path):
    lens = _lens(tmp_path)
    hold = Hold(monkeypatch)
    demo, url = serve(lens)
    try:
        image = shapes_image(tmp_path / "scene.png", seed=3)
        alone = Client(url, verbose=False).predict(handle_file(image), "demo", api_name="/inspect")[0]
        capturing = Client(url, verbose=False).submit("demo", SCENES, "", "", "demo", api_name="/capture_dataset")
        assert hold.reached.wait(120), "the capture did not start"
        assert hold.job is not None
        records = lambda: sorted((lens.datasets.root).glob("*/records/*.npz"))  # noqa: E731
        assert len(records()) == HOLD_AT

        started = time.perf_counter()
        answer = Client(url, verbose=False).predict(handle_file(image), "demo", api_name="/inspect")[0]
        waited = time.perf_counter() - started
        # The inspect answered while the capture was held between its images, unfinished.
        assert not hold.job.finished.is_set() and len(records()) == HOLD_AT
        assert waited < HOLD_SECONDS / 2
        assert {k: v for k, v in answer.items() if k != "timings_ms"} == \
            {k: v for k, v in alone.items() if k != "timings_ms"}

        hold.release.set()
        summary = capturing.result(timeout=300)[0]
        assert hold.job.finished.is_set() and len(records()) == SCENES
        assert summary["images"] == SCENES and summary["model"] == "demo"
    finally:
        hold.release.set()
        demo.close()


def test_interactive_work_goes_first_and_progress_is_reported(tmp_path):
    lens = _lens(tmp_path)
    lens.datasets.jobs = CaptureJobs(2, InteractiveGate(grace=0.0, max_wait=60.0))
    fractions: list[float] = []
    result: dict[str, Any] = {}
    gate = lens.datasets.jobs.gate
    with gate.interactive():   # an /inspect (or a slider) is running
        worker = threading.Thread(target=lambda: result.setdefault("dataset", handlers.capture_dataset(
            lens, "A", "demo", SCENES, None, None, "demo", progress=lambda f, text: fractions.append(f))))
        worker.start()
        deadline = time.monotonic() + 120
        while (lens.datasets.jobs.job("A") is None or lens.datasets.jobs.job("A").total == 0) and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        job = lens.datasets.jobs.job("A")
        assert job is not None and job.total == SCENES
        time.sleep(1.0)
        assert job.done == 0 and not list(lens.datasets.root.glob("*/records/*.npz"))  # it waits for its turn
    worker.join(300)
    assert len(result["dataset"]) == SCENES and job.waited >= 1.0
    assert fractions and fractions == sorted(fractions) and max(fractions) <= 1.0


def test_one_capture_per_session_a_server_limit_and_cancel(monkeypatch, tmp_path):
    lens = _lens(tmp_path, capture_jobs=1)
    hold = Hold(monkeypatch)
    outcome: dict[str, Any] = {}

    def capture_a() -> None:
        try:
            outcome["a"] = handlers.capture_dataset(lens, "A", "demo", SCENES, None, None, "demo")
        except UserError as error:
            outcome["a"] = error

    worker = threading.Thread(target=capture_a)
    worker.start()
    try:
        assert hold.reached.wait(120)
        with pytest.raises(UserError) as same_session:   # another capture in the same session
            handlers.capture_dataset(lens, "A", "demo", SCENES + 1, None, None, "demo")
        assert str(same_session.value) == t("ds.job_session")
        with pytest.raises(UserError) as server:         # the server's one job is running
            handlers.capture_dataset(lens, "B", "demo", SCENES, None, None, "demo")
        assert str(server.value) == t("ds.job_server", limit=1)

        assert handlers.cancel_capture(lens, "A") == t("ds.cancelling")
    finally:
        hold.release.set()
    worker.join(120)
    assert isinstance(outcome["a"], UserError)
    assert str(outcome["a"]) == t("ds.job_cancelled", done=HOLD_AT, total=SCENES)
    assert handlers.cancel_capture(lens, "A") == t("ds.cancel_none")
    assert lens.datasets.jobs.running() == 0
    # The images done are kept: capturing again (another session now) resumes with the rest.
    dataset = handlers.capture_dataset(lens, "B", "demo", SCENES, None, None, "demo")
    assert len(dataset) == SCENES
    assert [run["images"] for run in dataset.manifest["capture"]["runs"]] == [SCENES - HOLD_AT]


def test_the_gate_waits_at_most_max_wait():
    gate = InteractiveGate(grace=0.0, max_wait=0.3)
    with gate.interactive():
        started = time.monotonic()
        waited = gate.wait_turn()
    assert 0.25 <= waited and time.monotonic() - started < 5
    assert gate.wait_turn() < 0.1   # nothing interactive: no wait
