"""Dataset captures for the Dataset tab: made once per (model weights, images), shared by every session that asks
for the same, each session remembering which one it looks at.

A capture lives in a folder named by the model's fingerprint and the data, under the app's cache
($RCNN_LENS_CACHE or ~/.cache/rcnn-lens/captures), so that a restart or a second person reuses it and an interrupted
capture resumes. Folders on the server may be read only while the app is served to this machine alone.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable

import inspectors
from inspectors.dataset.manifest import model_identity
from inspectors.dataset.demo import default_cache_root

MAX_OPEN = 3   # captures kept open in memory (each may hold its records' cache)


class DatasetStore:
    def __init__(self, root: str | Path | None = None, allow_server_paths: bool = True) -> None:
        self.root = Path(root) if root is not None else default_cache_root() / "captures"
        self.allow_server_paths = allow_server_paths
        self._open: OrderedDict[str, Any] = OrderedDict()
        self._chosen: OrderedDict[str, str] = OrderedDict()
        self._fingerprints: dict[int, str] = {}
        self._notes: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.RLock()

    def fingerprint(self, model: Any) -> str:
        """The model's identity (architecture, weights, settings, classes), computed once per loaded model."""
        with self._lock:
            key = id(model.model)
            if key not in self._fingerprints:
                self._fingerprints[key] = model_identity(model)["fingerprint"]
            return self._fingerprints[key]

    def capture(self, session_id: str, model: Any, images: str | Path, annotations: str | Path,
                data_key: str) -> Any:
        """Capture (or resume, or reopen) `images` with `model`, and make it this session's dataset."""
        name = hashlib.sha256(f"{self.fingerprint(model)}|{data_key}".encode()).hexdigest()[:20]
        folder = self.root / f"{model.name}-{name}"
        with self._lock:
            dataset = self._open.get(str(folder))
        if dataset is None:   # capture_dataset resumes an interrupted capture and reopens a complete one
            dataset = inspectors.capture_dataset(model, images, annotations, folder, progress=True)
        with self._lock:
            self._open[str(folder)] = dataset
            self._open.move_to_end(str(folder))
            while len(self._open) > MAX_OPEN:
                self._open.popitem(last=False)
            self._chosen[session_id] = str(folder)
            self._chosen.move_to_end(session_id)
            while len(self._chosen) > 4096:
                self._chosen.popitem(last=False)
        return dataset

    def remember(self, session_id: str, **values: Any) -> None:
        """Per-session results the page refers back to (the worst images shown, the last sweep)."""
        with self._lock:
            self._notes.setdefault(session_id, {}).update(values)
            self._notes.move_to_end(session_id)
            while len(self._notes) > 1024:
                self._notes.popitem(last=False)

    def recall(self, session_id: str, key: str) -> Any:
        with self._lock:
            return self._notes.get(session_id, {}).get(key)

    def get(self, session_id: str) -> Any | None:
        with self._lock:
            folder = self._chosen.get(session_id)
            if folder is None:
                return None
            dataset = self._open.get(folder)
        if dataset is None:   # closed to save memory: reopen from disk
            dataset = inspectors.DatasetCapture.open(folder)
            with self._lock:
                self._open[folder] = dataset
        return dataset


def demo_source(count: int, progress: Callable[[float, str], None] | None = None) -> tuple[Path, Path, str]:
    """The offline demo dataset: (image folder, COCO file, a key naming the data)."""
    images, annotations = inspectors.demo_dataset(count, progress=True)
    return images, annotations, f"demo:{count}"


def folder_source(images: str, annotations: str) -> tuple[Path, Path, str]:
    image_path, annotation_path = Path(images).expanduser(), Path(annotations).expanduser()
    stat = annotation_path.stat() if annotation_path.exists() else None
    key = f"folder:{image_path.resolve()}|{annotation_path.resolve()}|{stat.st_mtime_ns if stat else 0}"
    return image_path, annotation_path, key
