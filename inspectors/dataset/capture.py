"""Capture a dataset once: every image through the model with hooks, kept as a compact record per image.

    dataset = capture_dataset(load_model("demo"), "val/images", "val/annotations.json", "captures/val")

- Streams the images one at a time (`engine="local"`) or over Ray Data actors (`engine="ray"`, see
  inspectors.dataset.ray); either way each record is written atomically (temporary file, then rename) as soon as
  it is made, so memory stays flat whatever the dataset's size and an interrupted capture resumes where it
  stopped: running the same call again captures only the images without a record.
- When every record is in, the manifest keeps each record's size and sha256; opening the capture checks them
  (inspectors.dataset.manifest.check_records), and running the same call again on a capture with missing,
  truncated or altered records captures just those images.
- `between_images(done, total)` is called before each image and once at the end (local engine): a server uses it
  to report progress, to let interactive work on the same model go first, and to cancel (by raising).
- The manifest says what made the capture. Resuming with another model, other images or annotations, another
  maximum pre-NMS top-n, or a capture of another format version is refused with an InputError.
- The number of intra-op threads is fixed for the whole capture (and recorded): floating-point sums in the
  convolutions depend on it, and the Ray engine uses the same number in every worker, so both engines write the
  same bytes.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence, Union

import numpy as np
import torch
from PIL import Image
from torchvision.models.detection import FasterRCNN

from inspectors.core.errors import InputError
from inspectors.core.models import InspectedModel
from inspectors.core.thresholds import check_threshold
from inspectors.dataset.annotations import (
    GroundTruthSet,
    MatchedImages,
    list_image_files,
    load_dataset_annotations,
    map_categories,
    match_images,
)
from inspectors.dataset.manifest import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    RECORDS,
    check_same_model,
    dataset_fingerprint,
    file_digest,
    model_identity,
    read_manifest,
    record_digest,
    record_problem,
    slider_ranges,
    versions,
    write_manifest,
)
from inspectors.dataset.masks import mask_floor_for
from inspectors.dataset.record import write_atomically
from inspectors.dataset.store import DatasetCapture
from inspectors.dataset.tasks import ImageTask, capture_record  # noqa: F401  (public here too)
from inspectors.pipeline.capture import as_inspected

ENGINES = ("local", "ray")


def capture_dataset(
    model: Union[InspectedModel, FasterRCNN],
    images: Union[str, Path, Sequence[Union[str, Path]]],
    annotations: Union[str, Path],
    out: Union[str, Path],
    *,
    engine: str = "local",
    progress: bool = True,
    max_pre_nms_top_n: Optional[int] = None,
    threads: Optional[int] = None,
    ray_address: Optional[str] = None,
    num_workers: Optional[int] = None,
    between_images: Optional[Callable[[int, int], None]] = None,
    mask_score_floor: Optional[float] = None,
) -> DatasetCapture:
    """Capture `images` (a folder, searched recursively, or a list of paths) with their ground truth
    (`annotations`: a COCO JSON file or a Pascal VOC folder) into the folder `out`, and open it.

    `max_pre_nms_top_n` (default: the model's own rpn_pre_nms_top_n) is the largest per-level pre-NMS top-n the
    capture can replay; disk grows with it. `threads`: intra-op threads per worker (default: this process's).
    `engine="ray"`: Ray Data actors (`ray_address` joins a running cluster; `num_workers` actors).
    A Mask R-CNN's capture also stores the masks of every box scoring above `mask_score_floor` (default
    min(0.05, the model's score threshold)): segm metrics follow every score threshold at or above it."""
    if engine not in ENGINES:
        raise InputError("dataset.unknown_engine", engine=engine)
    inspected = as_inspected(model)
    ground_truth = load_dataset_annotations(annotations)
    folder, files = list_image_files(images)
    matched = _with_checked_sizes(match_images(ground_truth, folder, files))
    category_to_label, mapped_by = map_categories(ground_truth, inspected.categories)
    identity = model_identity(inspected)
    defaults = dict(identity["snapshot"]["thresholds"])
    top_n = int(check_threshold("rpn_pre_nms_top_n", max_pre_nms_top_n or defaults["rpn_pre_nms_top_n"]))
    threads = int(threads or torch.get_num_threads())
    floor = None
    if identity["snapshot"].get("mask") is not None:
        floor = mask_floor_for(defaults["box_score_thresh"], mask_score_floor)
        if not 0.0 <= floor < 1.0:
            raise InputError("threshold.out_of_range", name="mask_score_floor", value=floor, low=0.0, high=1.0)

    out = Path(out)
    tasks = [ImageTask(i, str(path.resolve()), gt, f"{i:06d}.npz", floor)
             for i, (path, gt) in enumerate(zip(matched.paths, matched.ground_truth))]
    subset = GroundTruthSet(ground_truth.source, ground_truth.path, ground_truth.categories, matched.ground_truth)
    fingerprint = dataset_fingerprint(subset.fingerprint(), list(matched.names),
                                      [p.stat().st_size for p in matched.paths])
    manifest = _start_or_resume(out, identity, fingerprint, top_n, floor, {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "complete": False,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": identity,
        "dataset": {
            "source": ground_truth.source,
            "annotations": str(Path(annotations).resolve()),
            "images_root": str(folder.resolve()) if folder is not None else None,
            "fingerprint": fingerprint,
            "categories": [list(c) for c in ground_truth.categories],
            "category_to_label": {str(k): v for k, v in category_to_label.items()},
            "categories_mapped_by": mapped_by,
            "unmatched_categories": [n for i, n in ground_truth.categories if i not in category_to_label],
            "num_images": len(tasks),
            "missing_images": list(matched.missing[:50]),
            "num_missing_images": len(matched.missing),
            "unannotated_images": matched.unannotated,
        },
        "max_pre_nms_top_n": top_n,
        "masks": None if floor is None else {"score_floor": floor},
        "ranges": slider_ranges(top_n),
        "capture": {"threads": threads, "device": str(inspected.device), **versions(), "seconds": 0.0},
        "images": [{"index": t.index, "image_id": t.ground_truth.image_id, "file_name": t.ground_truth.file_name,
                    "name": name, "path": t.path, "record": t.record} for t, name in zip(tasks, matched.names)],
    })
    records = out / RECORDS
    _remove_stale_temporaries(records)
    todo, digests = _records_to_capture(out, manifest, tasks)

    start = time.perf_counter()
    if todo:
        if engine == "ray":
            from inspectors.dataset.ray import capture_with_ray

            capture_with_ray(inspected, todo, records, top_n=top_n, threads=threads, progress=progress,
                             address=ray_address, num_workers=num_workers)
        else:
            with _torch_threads(threads), _progress(len(todo), progress) as bar:
                for done, task in enumerate(todo):
                    if between_images is not None:
                        between_images(done, len(todo))
                    data = capture_record(inspected, task, top_n)
                    write_atomically(records / task.record, data)
                    digests[task.record] = record_digest(data)
                    bar.update(1)
    if between_images is not None:
        between_images(len(todo), len(todo))
    _finish(out, manifest, tasks, engine, len(todo), time.perf_counter() - start, digests)
    return DatasetCapture.open(out)


def _records_to_capture(out: Path, manifest: dict[str, Any], tasks: list[ImageTask]
                        ) -> tuple[list[ImageTask], dict[str, dict[str, Any]]]:
    """The images whose record is absent or damaged (all of them on a fresh capture), and the digests of the
    others. Repairing a complete capture first marks it incomplete, without the damaged records' checksums, so
    that an interruption of the repair is resumed like any capture."""
    records = out / RECORDS
    todo: list[ImageTask] = []
    digests: dict[str, dict[str, Any]] = {}
    for task, entry in zip(tasks, manifest["images"]):
        problem, digest = record_problem(records / task.record, entry, task.index)
        if problem is None and digest is not None:
            digests[task.record] = digest
        else:
            todo.append(task)
    if todo and manifest.get("complete"):
        for task in todo:
            for key in ("bytes", "sha256"):
                manifest["images"][task.index].pop(key, None)
        manifest["complete"] = False
        write_manifest(out, manifest)
    return todo, digests


# ---- the folder ---------------------------------------------------------------------------------------------------
def _start_or_resume(out: Path, identity: dict[str, Any], fingerprint: str, top_n: int, floor: Optional[float],
                     fresh: dict[str, Any]) -> dict[str, Any]:
    if out.exists() and not out.is_dir():
        raise InputError("dataset.not_a_folder", path=str(out))
    if (out / MANIFEST).exists():
        manifest = read_manifest(out)  # refuses another format version
        check_same_model(out, manifest, identity)
        if manifest["dataset"]["fingerprint"] != fingerprint:
            raise InputError("dataset.other_dataset", path=str(out))
        if int(manifest["max_pre_nms_top_n"]) != top_n:
            raise InputError("dataset.other_settings", path=str(out), name="max_pre_nms_top_n",
                             found=manifest["max_pre_nms_top_n"], given=top_n)
        found = (manifest.get("masks") or {}).get("score_floor")
        if found != floor:
            raise InputError("dataset.other_settings", path=str(out), name="mask_score_floor", found=found,
                             given=floor)
        return manifest
    if out.is_dir() and any(p.name != RECORDS for p in out.iterdir()):
        raise InputError("dataset.not_empty", path=str(out))
    (out / RECORDS).mkdir(parents=True, exist_ok=True)
    write_manifest(out, fresh)
    return fresh


def _finish(out: Path, manifest: dict[str, Any], tasks: list[ImageTask], engine: str, captured: int,
            seconds: float, digests: dict[str, dict[str, Any]]) -> None:
    """Mark the capture complete, with each image's sizes, its record's size and sha256 (of the bytes written;
    records written by Ray workers are read back), and what the capture cost."""
    records = out / RECORDS
    total_bytes = 0
    for entry in manifest["images"]:
        path = records / entry["record"]
        with np.load(path) as data:
            entry["original_size"] = [int(v) for v in data["original_size"]]
            entry["resized_size"] = [int(v) for v in data["resized_size"]]
            if "mask_floor" in data.files:  # Mask R-CNN: masks are stored for boxes scoring above this
                entry["mask_floor"] = float(data["mask_floor"])
        digest = digests.get(entry["record"]) or file_digest(path)
        entry.update(digest)
        total_bytes += digest["bytes"]
    runs = list(manifest["capture"].get("runs", []))
    runs.append({"engine": engine, "images": captured, "seconds": round(seconds, 3)})
    manifest["capture"].update(runs=runs, seconds=round(float(manifest["capture"].get("seconds", 0)) + seconds, 3),
                               record_bytes=total_bytes)
    manifest["complete"] = True
    write_manifest(out, manifest)


def _remove_stale_temporaries(records: Path) -> None:
    for tmp in records.glob(".*.npz.*.tmp"):
        tmp.unlink(missing_ok=True)


def _with_checked_sizes(matched: MatchedImages) -> MatchedImages:
    """Fill sizes the annotations leave out and refuse images whose size disagrees with them (read from the file
    headers, with the EXIF rotation that load_image applies), before any capture work."""
    checked = []
    for path, gt in zip(matched.paths, matched.ground_truth):
        with Image.open(path) as im:
            width, height = im.size
            if im.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # rotated by 90°: load_image swaps the sides
                width, height = height, width
        if gt.width == 0 or gt.height == 0:
            gt = replace(gt, width=width, height=height)
        elif (width, height) != (gt.width, gt.height):
            raise InputError("dataset.size_mismatch", name=path.name, width=width, height=height,
                             ann_width=gt.width, ann_height=gt.height)
        checked.append(gt.with_masks_drawn())
    return replace(matched, ground_truth=tuple(checked))


@contextlib.contextmanager
def _torch_threads(threads: int) -> Iterator[None]:
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


@contextlib.contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Any]:
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc="capture", unit="image", disable=not enabled)
    try:
        yield bar
    finally:
        bar.close()
