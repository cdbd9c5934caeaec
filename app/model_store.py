"""Loaded models shared by all sessions (read-only at inference), bounded, plus the registry of custom checkpoints."""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import inspectors


@dataclass(frozen=True)
class ModelSpec:
    """How to build one model choice: an architecture, optionally with a checkpoint and class names."""
    architecture: str
    checkpoint: str | None = None
    categories: str | tuple[str, ...] | None = None   # a labels file path or the names themselves


def check_labels_file(path: str | Path) -> str:
    """The path if it is a readable text file with at least one class name (the engine fits the background)."""
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    if not any(line.strip() for line in lines):
        raise ValueError("the file has no class names")
    return str(path)


class ModelStore:
    """Model choice name -> loaded InspectedModel. Loading is serialized; the least recently used model goes first."""

    def __init__(self, device: str = "auto", max_models: int = 3,
                 loader: Callable[..., Any] | None = None) -> None:
        self.device = device
        self.max_models = max_models
        self._loader = loader or inspectors.load_model
        self._specs: dict[str, ModelSpec] = {name: ModelSpec(name) for name in inspectors.MODEL_NAMES}
        self._loaded: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def choices(self) -> list[str]:
        return list(self._specs)

    def register(self, name: str, spec: ModelSpec) -> str:
        with self._lock:
            self._specs[name] = spec
            self._loaded.pop(name, None)   # a re-registered name must not keep serving the old weights
        return name

    def unregister(self, name: str) -> None:
        with self._lock:
            self._specs.pop(name, None)
            self._loaded.pop(name, None)

    def register_custom(self, architecture: str, checkpoint: str, labels_path: str) -> str:
        """Add a user checkpoint as a new choice ('custom: <file stem>') and return its name."""
        name = f"custom: {Path(checkpoint).stem}"
        return self.register(name, ModelSpec(architecture, checkpoint, check_labels_file(labels_path)))

    def is_loaded(self, name: str) -> bool:
        return name in self._loaded

    def get(self, name: str) -> Any:
        """The loaded model for a choice; raises KeyError for unknown names and ModelLoadError from the engine."""
        with self._lock:
            if name in self._loaded:
                self._loaded.move_to_end(name)
                return self._loaded[name]
            spec = self._specs[name]
            kwargs: dict[str, Any] = {"device": self.device}
            if spec.checkpoint is not None:
                kwargs.update(weights=None, checkpoint=spec.checkpoint)
            if spec.categories is not None:
                kwargs["categories"] = (spec.categories if isinstance(spec.categories, str)
                                        else list(spec.categories))
            model = self._loader(spec.architecture, **kwargs)
            self._loaded[name] = model
            while len(self._loaded) > self.max_models:
                self._loaded.popitem(last=False)
            return model
