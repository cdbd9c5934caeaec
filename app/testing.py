"""Helpers for tests and benchmarks: a model loader that works offline, synthetic images, an in-process server.

The demo model is the app's default. Until its weights are committed, `offline_loader` stands in for it with a
randomly initialised model of the same architecture so that every view can still be exercised.
"""
from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

import inspectors
from app.config import AppConfig, sample_image_paths
from app.handlers import Lens
from app.model_store import ModelStore
from app.session_cache import SessionCache

DEMO_CATEGORIES = ["__background__", "circle", "rectangle", "triangle"]


def demo_weights_available() -> bool:
    try:
        from inspectors.core import demo_model
    except ImportError:
        return False
    return demo_model.DEMO_WEIGHTS.is_file()


def offline_loader(name: str, **kwargs: Any) -> Any:
    """inspectors.load_model, but 'demo' falls back to a random-init stand-in and COCO names never download."""
    if name == "demo":
        if demo_weights_available():
            return inspectors.load_model("demo", device=kwargs.get("device", "cpu"))
        from inspectors.core import demo_model

        torch_model = demo_model.build_demo_model(num_classes=len(DEMO_CATEGORIES)).eval()
        return inspectors.InspectedModel(model=torch_model, name="demo", categories=list(DEMO_CATEGORIES),
                                         device=next(torch_model.parameters()).device, source="random init")
    if name == "demo_mask":   # embedded weights: nothing to download
        return inspectors.load_model("demo_mask", device=kwargs.get("device", "cpu"))
    if kwargs.get("checkpoint") is None and kwargs.get("weights", "DEFAULT") is not None:
        # Never download in tests: the COCO path fails the way the engine fails offline.
        from inspectors.core.models import _SPECS, hub_checkpoint_path

        url = _SPECS[name].weights_enum.DEFAULT.url if name in _SPECS else f"<{name}>"
        path = hub_checkpoint_path(url)
        raise inspectors.ModelLoadError("model.weights_unavailable", name=name, path=str(path), file=path.name,
                                        folder=str(path.parent), url=url, reason="tests never download")
    return inspectors.load_model(name, **kwargs)


def make_lens(max_sessions: int = 8) -> Lens:
    import tempfile

    from app.dataset_store import DatasetStore

    return Lens(ModelStore(device="cpu", loader=offline_loader), SessionCache(max_sessions=max_sessions),
                datasets=DatasetStore(root=tempfile.mkdtemp(prefix="rcnn-lens-test-captures-")))


def shapes_image(path: str | Path, size: int = 384, seed: int = 0) -> str:
    """A synthetic scene like the demo's: a few filled circles, rectangles and triangles on a plain background."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (size, size), tuple(int(v) for v in rng.integers(180, 240, 3)))
    draw = ImageDraw.Draw(image)
    for i in range(6):
        cx, cy = rng.integers(40, size - 40, 2)
        r = int(rng.integers(18, 50))
        color = tuple(int(v) for v in rng.integers(0, 160, 3))
        kind = i % 3
        if kind == 0:
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=color)
        elif kind == 1:
            draw.rectangle((cx - r, cy - r // 2, cx + r, cy + r // 2), fill=color)
        else:
            draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=color)
    image.save(path)
    return str(path)


def example_image(tmp_dir: str | Path) -> str:
    """A committed sample image (a demo shapes scene first) when there is one, else a synthetic one in `tmp_dir`."""
    samples = sample_image_paths()
    return samples[0] if samples else shapes_image(Path(tmp_dir) / "shapes.png")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(lens: Lens | None = None, port: int | None = None, **settings: Any) -> tuple[Any, str]:
    """Build and launch the app in this process (non-blocking); returns (blocks, url). Call blocks.close().
    `settings`: other AppConfig fields."""
    import os
    import tempfile

    from app.ui import build_app, launch

    # Gradio names a drawn image by its content hash under one shared folder (/tmp/gradio) and a closing server
    # deletes what it wrote there: another process's server closing would take this one's images with it.
    if "GRADIO_TEMP_DIR" not in os.environ:
        os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix="rcnn-lens-gradio-")
    config = AppConfig(port=port or free_port(), **settings)
    demo = build_app(config, lens or make_lens())
    launch(demo, config, prevent_thread_lock=True, quiet=True)
    return demo, f"http://127.0.0.1:{config.port}/"

