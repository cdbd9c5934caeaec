"""Loaded models shared by all sessions (read-only at inference), bounded, and the custom checkpoints people load.

A checkpoint someone uploads is copied into a folder the app owns (Gradio's own temp files are cleaned after two
hours), under its content hash, and registered for that person's session only, under a name that includes the hash:
two people's `model.pth` never collide, the same file uploaded twice is one model in memory, and a model evicted from
the memory cache can always be reloaded from the app's copy. A load that fails registers nothing and changes nothing.
"""
from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import inspectors
from inspectors.core.lru import BoundedCache

MAX_SESSIONS_WITH_CUSTOM_MODELS = 256
MAX_STORED_CHECKPOINTS = 24   # app-owned copies kept on disk; the least recently used go first


@dataclass(frozen=True)
class ModelSpec:
    """How to build one model choice: an architecture, optionally with a checkpoint and class names."""
    architecture: str
    checkpoint: str | None = None
    categories: str | tuple[str, ...] | None = None   # a labels file path or the names themselves
    trained_from: str = "auto"


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ModelStore:
    """Model choice name -> loaded InspectedModel. Loading is serialized; the least recently used model goes first."""

    def __init__(self, device: str = "auto", max_models: int = 3, loader: Callable[..., Any] | None = None,
                 storage_dir: str | Path | None = None) -> None:
        self.device = device
        self.max_models = max_models
        self._loader = loader or inspectors.load_model
        self._specs: dict[str, ModelSpec] = {name: ModelSpec(name) for name in inspectors.MODEL_NAMES}
        self._lock = threading.RLock()  # one lock for the registry and both caches
        # Sessions with custom checkpoints, and the models loaded: least recently used first out.
        self._session_specs: BoundedCache[str, dict[str, ModelSpec]] = BoundedCache(
            MAX_SESSIONS_WITH_CUSTOM_MODELS, lock=self._lock)
        self._loaded: BoundedCache[ModelSpec, Any] = BoundedCache(max_models, lock=self._lock)
        if storage_dir is None:
            storage_dir = tempfile.mkdtemp(prefix="rcnn-lens-checkpoints-")
            atexit.register(shutil.rmtree, storage_dir, ignore_errors=True)
        self.storage = Path(storage_dir)
        self.storage.mkdir(parents=True, exist_ok=True)

    # --- choices --------------------------------------------------------------------------------------------
    def choices(self, session_id: str | None = None) -> list[str]:
        with self._lock:
            own = list(self._session_specs.peek(session_id) or {}) if session_id else []
            return list(self._specs) + [name for name in own if name not in self._specs]

    def register(self, name: str, spec: ModelSpec) -> str:
        """A choice for every session (e.g. --checkpoint at start-up)."""
        with self._lock:
            self._specs[name] = spec
        return name

    def spec(self, name: str, session_id: str | None = None) -> ModelSpec:
        with self._lock:
            own = self._session_specs.peek(session_id) if session_id else None
            if own is not None and name in own:
                return own[name]
            return self._specs[name]

    # --- custom checkpoints ----------------------------------------------------------------------------------
    def add_custom(self, session_id: str, architecture: str, checkpoint: str | Path, labels: str | Path | None,
                   trained_from: str = "auto") -> str:
        """Copy the files into app-owned storage, load the model (errors propagate, nothing is registered), and
        register it for `session_id` as 'custom: <file stem> · <hash>'. Returns the choice name."""
        checkpoint_copy, digest = self._keep(checkpoint, ".pth")
        labels_copy = self._keep(labels, ".txt")[0] if labels else None
        spec = ModelSpec(architecture, str(checkpoint_copy), str(labels_copy) if labels_copy else None, trained_from)
        self._load(spec)
        name = f"custom: {Path(checkpoint).stem} · {digest[:8]}"
        with self._lock:
            self._session_specs.get_or_build(session_id, dict)[name] = spec
            self._prune_storage()
        return name

    def _keep(self, path: str | Path, suffix: str) -> tuple[Path, str]:
        """An app-owned copy under <sha256>/<original file name> (messages keep naming the person's file)."""
        digest = file_sha256(path)
        name = Path(path).name if Path(path).suffix else Path(path).name + suffix
        target = self.storage / digest / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            shutil.copyfile(path, partial)
            partial.replace(target)
        target.parent.touch()   # most recently used
        return target, digest

    def _prune_storage(self) -> None:
        """Keep at most MAX_STORED_CHECKPOINTS copies on disk; never one that is loaded right now."""
        loaded = {str(Path(spec.checkpoint).parent) for spec in self._loaded if spec.checkpoint}
        folders = sorted((p for p in self.storage.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
        for old in folders[: max(0, len(folders) - MAX_STORED_CHECKPOINTS)]:
            if str(old) not in loaded:
                shutil.rmtree(old, ignore_errors=True)

    # --- loading --------------------------------------------------------------------------------------------
    def is_loaded(self, name: str, session_id: str | None = None) -> bool:
        try:
            return self.spec(name, session_id) in self._loaded
        except KeyError:
            return False

    def get(self, name: str, session_id: str | None = None) -> Any:
        """The loaded model for a choice; raises KeyError for unknown names and ModelLoadError from the engine."""
        return self._load(self.spec(name, session_id))

    def _load(self, spec: ModelSpec) -> Any:
        with self._lock:
            loaded = self._loaded.get(spec)
            if loaded is not None:
                return loaded
            kwargs: dict[str, Any] = {"device": self.device}
            if spec.checkpoint is not None:
                if not Path(spec.checkpoint).is_file():
                    raise inspectors.ModelLoadError("checkpoint.evicted", name=Path(spec.checkpoint).name)
                kwargs.update(weights=None, checkpoint=spec.checkpoint, trained_from=spec.trained_from)
            if spec.categories is not None:
                kwargs["categories"] = (spec.categories if isinstance(spec.categories, str)
                                        else list(spec.categories))
            model = self._loader(spec.architecture, **kwargs)
            self._loaded.put(spec, model)
            return model
