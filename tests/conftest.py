"""Shared fixtures. Nothing here touches the network: models are random-init or written by the tests."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from inspectors import load_model  # noqa: E402

# Random-init models need few classes, or every softmax score stays under the 0.05 threshold and nothing is
# detected: three classes give scores near 1/3, so the detection stages have real work to do.
TEST_CATEGORIES = ["__background__", "cat", "dog"]


@pytest.fixture(autouse=True, scope="session")
def _isolated_lens_cache(tmp_path_factory):
    """Demo datasets and dataset captures made by tests go to a temporary folder, not ~/.cache."""
    import os

    folder = tmp_path_factory.mktemp("rcnn_lens_cache")
    saved = os.environ.get("RCNN_LENS_CACHE")
    os.environ["RCNN_LENS_CACHE"] = str(folder)
    yield folder
    if saved is None:
        os.environ.pop("RCNN_LENS_CACHE", None)
    else:
        os.environ["RCNN_LENS_CACHE"] = saved


@pytest.fixture(autouse=True)
def _isolated_torch_home(tmp_path_factory, monkeypatch):
    """Point the torch hub cache at an empty folder so no test can pick up (or download) real weights."""
    home = tmp_path_factory.mktemp("torch_home")
    monkeypatch.setenv("TORCH_HOME", str(home))
    yield home


def random_model(name: str, seed: int = 0):
    torch.manual_seed(seed)
    return load_model(name, weights=None, categories=TEST_CATEGORIES, device="cpu")


def noise_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A non-square image with structure (blobs on noise), so objectness varies across the map."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    for _ in range(6):
        y, x = rng.integers(0, height - 40), rng.integers(0, width - 40)
        h, w = rng.integers(20, height // 2), rng.integers(20, width // 2)
        img[y : y + h, x : x + w] = rng.integers(0, 256, size=3, dtype=np.uint8)
    return img


@pytest.fixture(scope="session")
def app_url():
    """The app served in-process on a free local port (demo model), once for the whole run (each browser test opens
    its own page, a session of its own)."""
    from app.testing import serve

    demo, url = serve()
    try:
        yield url
    finally:
        demo.close()


@pytest.fixture(scope="session")
def mobilenet():
    return random_model("fasterrcnn_mobilenet_v3_large_fpn")


@pytest.fixture(scope="session")
def mobilenet_trace(mobilenet):
    from inspectors import capture

    return capture(mobilenet, noise_image(300, 460, seed=1))


# ---- dataset mode --------------------------------------------------------------------------------------------------
DEMO_SCENES = 8  # the demo scenes most dataset tests share (one capture per test session)


@pytest.fixture(scope="session")
def demo_model():
    return load_model("demo", device="cpu")


@pytest.fixture(scope="session")
def demo_scenes(tmp_path_factory):
    """(image folder, COCO annotations) of the first DEMO_SCENES demo-dataset scenes."""
    from inspectors import demo_dataset

    return demo_dataset(DEMO_SCENES, tmp_path_factory.mktemp("demo_dataset"))


@pytest.fixture(scope="session")
def demo_capture(demo_model, demo_scenes, tmp_path_factory):
    """The demo scenes captured with the demo model, one intra-op thread (bits independent of the machine's
    thread count)."""
    from inspectors import capture_dataset

    images, annotations = demo_scenes
    return capture_dataset(demo_model, images, annotations, tmp_path_factory.mktemp("capture") / "demo",
                           progress=False, threads=1)


# ---- browser tests: wait for conditions, never for a fixed time ------------------------------------------------
PLOTS_DRAWN_JS = """() => [...document.querySelectorAll('[role=tabpanel]')].filter(p => p.offsetParent !== null)
    .every(p => [...p.querySelectorAll('.js-plotly-plot')].every(g => g._fullLayout && g.querySelector('.main-svg')))"""


def wait_until_settled(page: Any, selectors: list[str], *, polling_ms: int = 300) -> None:
    """Until what `selectors` show (text, value, min, max) is the same at two polls in a row: the events that update
    them are in (a condition, not a fixed sleep)."""
    page.wait_for_function(
        """(sels) => {
            const now = sels.map(s => { const e = document.querySelector(s);
                return e ? [e.innerText, e.value, e.min, e.max].join('|') : 'missing'; }).join('||');
            const same = window.__lensSettled === now;
            window.__lensSettled = now;
            return same && !now.includes('missing');
        }""", arg=selectors, polling=polling_ms)
