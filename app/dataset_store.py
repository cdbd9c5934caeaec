"""Dataset captures for the Dataset tab: made once per (model weights, images), shared by every session that asks
for the same, each session remembering which one it looks at.

A capture lives in a folder named by the model's fingerprint and the data, under the app's cache
($RCNN_LENS_CACHE or ~/.cache/rcnn-lens/captures), so that a restart or a second person reuses it and an interrupted
capture resumes. Folders on the server may be read only while the app is served to this machine alone.

Captures run as background jobs (app.jobs: one per session, `capture_jobs` per server). On a shared server the
captures' folders live under a disk quota (`quota_bytes`, app.py --capture-quota): after each capture the least
recently used captures go first, never one in use (being captured, or the dataset of a session active in the
last `in_use_seconds`).
"""
from __future__ import annotations

import hashlib
import shutil
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import inspectors
from app.jobs import DEFAULT_LIMIT, CaptureJobs
from inspectors.core.lru import BoundedCache
from inspectors.dataset.demo import default_cache_root
from inspectors.dataset.manifest import MANIFEST, check_records, model_identity

MAX_OPEN = 3   # captures kept open in memory (each may hold its records' cache)
IN_USE_SECONDS = 3600   # a session's dataset counts as in use (safe from the quota) this long after its last use
LAST_USED = ".last_used"   # a capture folder's use time (its mtime), for the quota's least-recently-used order


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


class DatasetStore:
    def __init__(self, root: str | Path | None = None, allow_server_paths: bool = True,
                 capture_jobs: int = DEFAULT_LIMIT, quota_bytes: int | None = None,
                 in_use_seconds: float = IN_USE_SECONDS) -> None:
        self.root = Path(root) if root is not None else default_cache_root() / "captures"
        self.allow_server_paths = allow_server_paths
        self.jobs = CaptureJobs(capture_jobs)
        self.quota_bytes = quota_bytes
        self.in_use_seconds = in_use_seconds
        self._capturing: Counter[str] = Counter()
        self._chosen_at: dict[str, float] = {}   # session → when it last used its dataset
        self.evicted: list[str] = []   # folders the quota removed (newest last), for the log and tests
        self._fingerprints: dict[int, str] = {}
        self._lock = threading.RLock()   # one lock for the three bounded maps below
        self._open: BoundedCache[str, Any] = BoundedCache(MAX_OPEN, lock=self._lock)   # folder → open capture
        self._chosen: BoundedCache[str, str] = BoundedCache(   # session → its dataset's folder
            4096, lock=self._lock, on_evict=lambda session, _: self._chosen_at.pop(session, None))
        self._notes: BoundedCache[str, dict[str, Any]] = BoundedCache(1024, lock=self._lock)

    def fingerprint(self, model: Any) -> str:
        """The model's identity (architecture, weights, settings, classes), computed once per loaded model."""
        with self._lock:
            key = id(model.model)
            if key not in self._fingerprints:
                self._fingerprints[key] = model_identity(model)["fingerprint"]
            return self._fingerprints[key]

    def folder(self, model: Any, data_key: str) -> Path:
        name = hashlib.sha256(f"{self.fingerprint(model)}|{data_key}".encode()).hexdigest()[:20]
        return self.root / f"{model.name}-{name}"

    def capture(self, session_id: str, model: Any, images: str | Path, annotations: str | Path,
                data_key: str, between_images: Callable[[int, int], None] | None = None) -> Any:
        """Capture (or resume, repair, or reopen) `images` with `model`, and make it this session's dataset.
        `between_images(done, total)` runs before each image (the background job's progress, turn and cancel)."""
        folder = self.folder(model, data_key)
        key = str(folder)
        with self._lock:
            dataset = self._open.peek(key)
            self._capturing[key] += 1
        try:
            if dataset is not None:
                try:
                    check_records(folder, dataset.manifest)   # still whole on disk
                except inspectors.InputError:
                    dataset = None
            if dataset is None:   # capture_dataset resumes, repairs and reopens a complete capture
                dataset = inspectors.capture_dataset(model, images, annotations, folder, progress=False,
                                                     between_images=between_images)
        finally:
            with self._lock:
                self._capturing[key] -= 1
                if self._capturing[key] <= 0:
                    del self._capturing[key]
        with self._lock:
            self._open.put(key, dataset)
            self._chosen_at[session_id] = time.monotonic()
            self._chosen.put(session_id, key)
        self._touch(folder)
        self.enforce_quota()
        return dataset

    # ---- the disk quota ------------------------------------------------------------------------------------------
    def _touch(self, folder: Path) -> None:
        try:
            (folder / LAST_USED).touch()
        except OSError:
            pass

    def in_use(self) -> set[str]:
        """Folders that may not be removed: being captured, or the dataset of a session active lately."""
        now = time.monotonic()
        with self._lock:
            recent = {folder for session, folder in self._chosen.items()
                      if now - self._chosen_at.get(session, -float("inf")) < self.in_use_seconds}
            return set(self._capturing) | recent

    def captures_on_disk(self) -> list[tuple[float, int, Path]]:
        """(last used, bytes, folder) of every capture folder under the root, least recently used first."""
        if not self.root.is_dir():
            return []
        found = []
        for folder in self.root.iterdir():
            if folder.is_dir() and ((folder / MANIFEST).exists() or (folder / "records").is_dir()):
                marker = folder / LAST_USED
                used = (marker if marker.exists() else folder).stat().st_mtime
                found.append((used, folder_bytes(folder), folder))
        return sorted(found, key=lambda entry: (entry[0], str(entry[2])))

    def enforce_quota(self) -> list[Path]:
        """Remove the least recently used captures not in use until the total is within the quota; returns them."""
        if self.quota_bytes is None:
            return []
        removed = []
        with self._lock:
            captures = self.captures_on_disk()
            total = sum(size for _, size, _ in captures)
            busy = self.in_use()
            for _, size, folder in captures:
                if total <= self.quota_bytes:
                    break
                if str(folder) in busy:
                    continue
                self._open.pop(str(folder))
                shutil.rmtree(folder, ignore_errors=True)
                total -= size
                removed.append(folder)
                self.evicted.append(str(folder))
            del self.evicted[:-64]
        return removed

    def disk_bytes(self) -> int:
        return sum(size for _, size, _ in self.captures_on_disk())

    def remember(self, session_id: str, **values: Any) -> None:
        """Per-session results the page refers back to (the worst images shown, the last sweep)."""
        with self._lock:
            self._notes.get_or_build(session_id, dict).update(values)

    def recall(self, session_id: str, key: str) -> Any:
        with self._lock:
            return (self._notes.peek(session_id) or {}).get(key)

    def get(self, session_id: str) -> Any | None:
        with self._lock:
            folder = self._chosen.peek(session_id)
            if folder is None:
                return None
            self._chosen_at[session_id] = time.monotonic()
            dataset = self._open.get(folder)
        if dataset is None:   # closed to save memory: reopen from disk (a LensError if the quota removed it)
            dataset = inspectors.DatasetCapture.open(folder)
            self._open.put(folder, dataset)
        self._touch(Path(folder))
        return dataset


def demo_key(count: int) -> str:
    return f"demo:{count}"


def demo_source(count: int, progress: Callable[[float, str], None] | None = None) -> tuple[Path, Path, str]:
    """The offline demo dataset: (image folder, COCO file, a key naming the data)."""
    images, annotations = inspectors.demo_dataset(count, progress=False)
    return images, annotations, demo_key(count)


def folder_source(images: str, annotations: str) -> tuple[Path, Path, str]:
    image_path, annotation_path = Path(images).expanduser(), Path(annotations).expanduser()
    stat = annotation_path.stat() if annotation_path.exists() else None
    key = f"folder:{image_path.resolve()}|{annotation_path.resolve()}|{stat.st_mtime_ns if stat else 0}"
    return image_path, annotation_path, key
