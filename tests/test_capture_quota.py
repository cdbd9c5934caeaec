"""Disk is bounded on a shared server: captures made through the page live under a quota; the least recently used
go first, never one in use (being captured, or a session's current dataset)."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app import handlers, jobs
from app.cli import parse_args, parse_bytes
from app.dataset_store import DatasetStore, folder_bytes
from app.testing import make_lens

pytestmark = [pytest.mark.slow, pytest.mark.dataset]


def _lens(tmp_path: Path, **store):
    lens = make_lens()
    lens.datasets = DatasetStore(root=tmp_path / "captures", **store)
    return lens


def _size_of_one(tmp_path: Path, scenes: int) -> int:
    lens = _lens(tmp_path / "measure")
    dataset = handlers.capture_dataset(lens, "x", "demo", scenes, None, None, "demo")
    return folder_bytes(Path(dataset.path))


def test_the_least_recently_used_capture_goes_first_never_one_in_use(tmp_path):
    one = _size_of_one(tmp_path, 2)
    lens = _lens(tmp_path, quota_bytes=int(2.5 * one))
    first = handlers.capture_dataset(lens, "A", "demo", 2, None, None, "demo").path
    second = handlers.capture_dataset(lens, "A", "demo", 3, None, None, "demo").path   # A moves on: first unused
    assert first.exists() and second.exists()   # still within the quota (2 + 3 scenes ≈ 2.5 captures of 2)
    third = handlers.capture_dataset(lens, "B", "demo", 2 + 0, None, None, "demo").path
    assert third == first   # the same data and model: the same capture, reused (and now B's)
    fourth = handlers.capture_dataset(lens, "C", "demo", 4, None, None, "demo").path
    # Over the quota: the least recently used capture not in use goes. second is A's current dataset, first B's,
    # fourth C's: all in use, so nothing may go even though the quota is exceeded.
    assert first.exists() and second.exists() and fourth.exists()
    assert lens.datasets.evicted == []
    # A session moves on: its former dataset is no longer in use and, least recently used, leaves first.
    handlers.capture_dataset(lens, "A", "demo", 4, None, None, "demo")
    assert not second.exists() and lens.datasets.evicted == [str(second)]
    assert first.exists() and fourth.exists()
    assert handlers.dataset_of(lens, "B").path == first   # B's dataset is untouched


def test_a_capture_in_progress_is_never_removed(monkeypatch, tmp_path):
    lens = _lens(tmp_path, quota_bytes=1, in_use_seconds=0.0)   # nothing but the capture in progress is in use
    reached, release = threading.Event(), threading.Event()
    original = jobs.Job.between_images

    def between_images(job, done, total):
        if done == 1 and not release.is_set():
            reached.set()
            release.wait(60)
        original(job, done, total)

    handlers.capture_dataset(lens, "A", "demo", 2, None, None, "demo")
    monkeypatch.setattr(jobs.Job, "between_images", between_images)
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("b", handlers.capture_dataset(
        lens, "B", "demo", 3, None, None, "demo")))
    worker.start()
    try:
        assert reached.wait(120)
        removed = lens.datasets.enforce_quota()   # as another capture finishing would
        folders = [p.name for p in removed]
        in_progress = lens.datasets.folder(lens.store.get("demo"), "demo:3")
        assert in_progress.exists() and in_progress.name not in folders
    finally:
        release.set()
    worker.join(120)
    assert len(result["b"]) == 3


def test_the_flags():
    assert parse_bytes("500MB") == 500 * 1024**2 and parse_bytes("10GB") == 10 * 1024**3
    assert parse_bytes("none") is None and parse_bytes("1.5G") == int(1.5 * 1024**3)
    for bad in ("lots", "-1GB", "10XB", ""):
        with pytest.raises(ValueError):
            parse_bytes(bad)
    config = parse_args(["--capture-quota", "2GB", "--capture-jobs", "3"])
    assert config.capture_quota == 2 * 1024**3 and config.capture_jobs == 3
    assert parse_args([]).capture_quota == 10 * 1024**3 and parse_args([]).capture_jobs == 2
    with pytest.raises(SystemExit):
        parse_args(["--capture-jobs", "0"])
    with pytest.raises(SystemExit):
        parse_args(["--capture-quota", "plenty"])
