"""Start-up settings of the app (filled from the command line by app.py)."""
from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass
from pathlib import Path

import inspectors

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_IMAGES_DIR = REPO_ROOT / "sample_images"
DEFAULT_MODEL = "demo"
# The seven thresholds, in the order of the sliders, of /rethreshold's parameters and of the summary's "settings":
# the engine's own order.
THRESHOLD_KEYS = inspectors.THRESHOLD_KEYS
CUSTOM_ARCHITECTURES = (
    "fasterrcnn_resnet50_fpn",
    "fasterrcnn_resnet50_fpn_v2",
    "fasterrcnn_mobilenet_v3_large_fpn",
    "fasterrcnn_mobilenet_v3_large_320_fpn",
)


# /inspect and the other events that run the model on an upload, at once (app/ui.py): the model's lock is held only
# for the forward pass, so more than one overlaps a forward with other uploads' replays and views.
INSPECT_CONCURRENCY = 4


@dataclass(frozen=True)
class AppConfig:
    host: str = "127.0.0.1"
    port: int = 7860
    model: str = DEFAULT_MODEL
    checkpoint: str | None = None   # with labels: a custom model of architecture `model`
    labels: str | None = None
    device: str = "auto"
    share: bool = False
    language: str = "en"
    max_file_size: str = "20mb"     # an image (or annotation file) upload; see upload_cap
    max_checkpoint_size: str = "1gb"   # a custom checkpoint upload (a resnet50 FPN v2 state_dict is ~170 MB)
    max_sessions: int = 16          # traces kept in memory (one per browser session)
    max_cache_bytes: int = 3 * 1024**3
    # Gradio keeps its own state for every session it has seen (a copy of this page's component config, 0.5 MB,
    # and the session's updated components); its default capacity, 10000 sessions, would let a long-running class
    # grow the server by gigabytes. It evicts the least recently active first, so 64 leaves a class of thirty
    # (and their reloads) untouched while they work.
    gradio_sessions: int = 64
    trained_from: str = "auto"      # how --checkpoint's training started (its backbone normalisation)
    auth: tuple[str, str] | None = None   # (user, password): Gradio's own login page
    max_queue: int = 64             # waiting events beyond this get "busy, try again" instead of piling up
    capture_jobs: int = 2           # dataset captures running at once on the server (background jobs, app.jobs)
    capture_quota: int | None = 10 * 1024**3   # bytes of dataset captures made through the page; None: no limit


_SIZE_UNITS = {"": 1, "b": 1, "kb": 1024, "k": 1024, "mb": 1024**2, "m": 1024**2, "gb": 1024**3, "g": 1024**3,
               "tb": 1024**4, "t": 1024**4}


def byte_size(text: str | int) -> int:
    """'20mb', '1GB', '2.5g', 1048576 → bytes (binary units, as Gradio's max_file_size strings)."""
    if isinstance(text, int):
        return text
    value = str(text).strip().lower().replace(" ", "")
    number = value.rstrip("kmgtb")
    unit = value[len(number):]
    if unit not in _SIZE_UNITS or not number:
        raise ValueError(f"not a size: {text!r} (examples: 20mb, 1gb)")
    return int(float(number) * _SIZE_UNITS[unit])


def upload_cap(config: AppConfig) -> int:
    """Gradio's one upload limit is the larger of the two caps; the smaller one is checked by the handler that
    receives the file (an image above --max-file-size is refused by /inspect, naming the flag)."""
    return max(byte_size(config.max_file_size), byte_size(config.max_checkpoint_size))


def sample_image_paths() -> list[str]:
    """Images offered as clickable examples, in a stable order."""
    if not SAMPLE_IMAGES_DIR.is_dir():
        return []
    suffixes = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}
    paths = [p for p in sorted(SAMPLE_IMAGES_DIR.iterdir()) if p.suffix.lower() in suffixes]
    # The demo model's synthetic scenes first (it is the default model), then photographs for the COCO models.
    return [str(p) for p in sorted(paths, key=lambda p: (not p.name.startswith("shapes_"), p.name))]


def is_local_only(host: str) -> bool:
    """True when `host` binds this machine only (loopback); anything else can be reached from the network."""
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sample_ground_truth() -> dict[str, tuple[str, str]]:
    """Content hash of each bundled sample image -> (its annotation file, its file name in that file). Matching by
    content, not by name, so that someone's own "shapes_02.png" never gets our ground truth."""
    return dict(_sample_ground_truth())


@functools.lru_cache(maxsize=1)
def _sample_ground_truth() -> tuple[tuple[str, tuple[str, str]], ...]:
    import hashlib
    import json

    found = []
    for annotation_file in sorted(SAMPLE_IMAGES_DIR.glob("*_annotations.json")):
        try:
            names = [image["file_name"] for image in json.loads(annotation_file.read_text("utf-8")).get("images", [])]
        except (OSError, ValueError, TypeError, KeyError):
            continue
        for name in names:
            image = SAMPLE_IMAGES_DIR / name
            if image.is_file():
                digest = hashlib.sha256(image.read_bytes()).hexdigest()
                found.append((digest, (str(annotation_file), name)))
    return tuple(found)
