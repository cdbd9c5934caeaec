"""The demo dataset: held-out synthetic scenes for the demo model, with COCO ground truth, made on first use.

Scene i is `inspectors.dataset.scenes.make_scene(DEMO_DATASET_SEED, i, "val", 384)`: the training renderer, but a
stream training never draws (training renders style "train"; its scene RNG is keyed by (seed, style, index)), and
a seed no other evaluation uses (evaluate_demo: "val" 1000 and "ood" 1001; the sample images: "sample" 2026).
Every scene is a pure function of (seed, index), so the set is the same on every machine; images are written as
PNG once into a cache folder and reused, and `annotations_<n>.json` covers the first n scenes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional, Union

from inspectors.dataset.record import write_atomically

DEMO_DATASET_SEED = 9091
DEMO_DATASET_STYLE = "val"
DEMO_DATASET_SIZE = 384


def default_cache_root() -> Path:
    """$RCNN_LENS_CACHE, else ~/.cache/rcnn-lens (XDG_CACHE_HOME respected)."""
    if os.environ.get("RCNN_LENS_CACHE"):
        return Path(os.environ["RCNN_LENS_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rcnn-lens"


def demo_dataset(n: int = 100, root: Optional[Union[str, Path]] = None, *, progress: bool = False
                 ) -> tuple[Path, Path]:
    """(image folder, COCO annotation file) of the first `n` demo scenes, made now if not cached yet."""
    from inspectors.dataset.scenes import coco_dict, make_scene

    if n < 1:
        raise ValueError("n must be at least 1")
    folder = Path(root) if root is not None else default_cache_root() / "demo_dataset"
    images = folder / "images"
    images.mkdir(parents=True, exist_ok=True)
    annotations = folder / f"annotations_{n}.json"
    names = [f"{DEMO_DATASET_STYLE}_{DEMO_DATASET_SEED}_{i:05d}.png" for i in range(n)]
    boxes = folder / "boxes"  # each scene's ground truth, so annotations for another n need no re-rendering
    boxes.mkdir(exist_ok=True)
    missing = [i for i in range(n) if not (images / names[i]).is_file() or not (boxes / f"{i:05d}.json").is_file()]
    if missing or not annotations.is_file():
        from tqdm.auto import tqdm

        for i in tqdm(missing, desc="demo dataset", unit="scene", disable=not progress):
            scene = make_scene(DEMO_DATASET_SEED, i, DEMO_DATASET_STYLE, DEMO_DATASET_SIZE)
            tmp = images / f".{names[i]}.{os.getpid()}.tmp"
            scene.image.save(tmp, format="PNG")
            os.replace(tmp, images / names[i])
            one = coco_dict([scene], [names[i]])
            write_atomically(boxes / f"{i:05d}.json", json.dumps(one).encode())
        write_atomically(annotations, json.dumps(_merge([boxes / f"{i:05d}.json" for i in range(n)])).encode())
    return images, annotations


def _merge(parts: list[Path]) -> dict:
    """One COCO file from the per-scene ones: image ids 1..n in scene order, annotation ids renumbered."""
    merged: dict = {"info": {"description": "RCNN Lens demo dataset: held-out synthetic shapes",
                             "generator": "inspectors.dataset.scenes.make_scene",
                             "seed": DEMO_DATASET_SEED, "style": DEMO_DATASET_STYLE, "size": DEMO_DATASET_SIZE},
                    "images": [], "annotations": [], "categories": []}
    ann_id = 1
    for image_id, part in enumerate(parts, start=1):
        one = json.loads(part.read_text())
        merged["categories"] = one["categories"]
        merged["images"].append({**one["images"][0], "id": image_id})
        for ann in one["annotations"]:
            merged["annotations"].append({**ann, "id": ann_id, "image_id": image_id})
            ann_id += 1
    return merged
