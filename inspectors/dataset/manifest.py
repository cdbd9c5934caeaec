"""The manifest of a dataset capture: what made it (model, dataset, format), the sliders' ranges, the images.

A small JSON file beside the records. It lets a capture refuse what it cannot serve: a capture written in another
format version, resumed with another model (name, a hash of the state dict, the settings snapshot), or with other
images or annotations. Capture writes it first (complete = false) and rewrites it when every record is in, with
each record's size and sha256: opening a capture checks every record against them (damaged_records), so a missing,
truncated or altered record is named instead of failing later inside a replay. (Captures written before the
checksums were kept are checked by the CRC-32 of every member of the record's zip.)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Optional, Sequence

import torch
import torchvision

from inspectors.core.errors import InputError
from inspectors.core.json_values import json_safe
from inspectors.core.models import InspectedModel
from inspectors.core.snapshot import (
    BoxCoderSpec,
    MaskSpec,
    MatcherSpec,
    ModelSnapshot,
    PoolerSpec,
    SamplerSpec,
    TransformSpec,
    snapshot_model,
)
from inspectors.core.thresholds import THRESHOLDS
from inspectors.dataset.record import is_whole_record, write_atomically

FORMAT = "rcnn-lens-dataset-capture"
FORMAT_VERSION = 2  # 2: records store the RPN NMS decisions at every slider step
MANIFEST = "manifest.json"
RECORDS = "records"


# ---- the model ---------------------------------------------------------------------------------------------------
def snapshot_to_dict(snapshot: ModelSnapshot) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if is_dataclass(value):
            return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
        if isinstance(value, (Mapping, MappingProxyType)):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    return plain(snapshot)


def snapshot_from_dict(data: Mapping[str, Any]) -> ModelSnapshot:
    def tup(value: Any) -> Any:
        return tuple(tup(v) for v in value) if isinstance(value, list) else value

    def coder(d: Mapping[str, Any]) -> BoxCoderSpec:
        return BoxCoderSpec(tuple(d["weights"]), float(d["clip"]))  # type: ignore[arg-type]

    pooler = data.get("pooler")
    transform = data["transform"]
    mask = data.get("mask")
    known = {f.name for f in fields(ModelSnapshot)}
    handled = {"thresholds", "rpn_min_size", "rpn_box_coder", "rpn_matcher", "rpn_sampler", "anchor_sizes",
               "aspect_ratios", "roi_box_coder", "roi_matcher", "roi_sampler", "pooler", "transform", "mask"}
    plain_fields = {k: tup(v) for k, v in data.items() if k in known and k not in handled}  # numbers, flags
    return ModelSnapshot(
        **plain_fields,
        thresholds=MappingProxyType(dict(data["thresholds"])),
        rpn_min_size=float(data["rpn_min_size"]),
        rpn_box_coder=coder(data["rpn_box_coder"]),
        rpn_matcher=MatcherSpec(**data["rpn_matcher"]),
        rpn_sampler=SamplerSpec(**data["rpn_sampler"]),
        anchor_sizes=tup(data["anchor_sizes"]),
        aspect_ratios=tup(data["aspect_ratios"]),
        roi_box_coder=coder(data["roi_box_coder"]),
        roi_matcher=MatcherSpec(**data["roi_matcher"]),
        roi_sampler=SamplerSpec(**data["roi_sampler"]),
        pooler=None if pooler is None else PoolerSpec(**{k: tup(v) for k, v in pooler.items()}),
        transform=TransformSpec(**{k: tup(v) for k, v in transform.items()}),
        mask=None if mask is None else MaskSpec(
            pooler=PoolerSpec(**{k: tup(v) for k, v in mask["pooler"].items()}), resolution=tup(mask["resolution"]),
            num_classes=int(mask["num_classes"]), paste_padding=int(mask.get("paste_padding", 1))),
    )


def state_dict_hash(net: torch.nn.Module) -> str:
    """sha256 over every entry of the state dict (name, dtype, shape, bytes), in name order."""
    digest = hashlib.sha256()
    for name, tensor in sorted(net.state_dict().items()):
        t = tensor.detach().cpu().contiguous()
        digest.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()


def model_identity(model: InspectedModel) -> dict[str, Any]:
    """What a capture depends on: the architecture's name, the weights, the settings and the class names."""
    snapshot = snapshot_to_dict(snapshot_model(model.model))
    identity = {
        "name": model.name,
        "categories": list(model.categories),
        "state_dict_sha256": state_dict_hash(model.model),
        "snapshot": snapshot,
    }
    identity["fingerprint"] = _hash({**identity, "snapshot": _inference_settings(snapshot)})
    return identity


# What the fingerprint takes from the snapshot: the settings that shape a capture's records and their replay. A
# fixed selection, so that a later version adding fields to ModelSnapshot does not disown existing captures.
_INFERENCE_KEYS = ("thresholds", "rpn_min_size", "rpn_box_coder", "anchor_sizes", "aspect_ratios", "roi_box_coder",
                   "pooler")
_TRANSFORM_KEYS = ("min_size", "max_size", "image_mean", "image_std", "size_divisible", "fixed_size")


def _inference_settings(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    chosen = {k: snapshot.get(k) for k in _INFERENCE_KEYS}
    chosen["transform"] = {k: snapshot["transform"].get(k) for k in _TRANSFORM_KEYS}
    return chosen


def _hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


# ---- the dataset and the sliders ----------------------------------------------------------------------------------
def dataset_fingerprint(ground_truth_hash: str, names: list[str], sizes: list[int]) -> str:
    """The ground truth (its content) and the images (relative names and file sizes)."""
    return _hash({"ground_truth": ground_truth_hash, "images": [[n, s] for n, s in zip(names, sizes)]})


def slider_ranges(max_pre_nms_top_n: int) -> dict[str, list[int] | list[float]]:
    """The range of each threshold that a dataset capture can replay: every threshold's slider range, with the
    pre-NMS top-n capped at what the records hold."""
    ranges: dict[str, list[int] | list[float]] = {}
    for spec in THRESHOLDS:
        low, high = spec.slider_low, spec.slider_high
        if spec.key == "rpn_pre_nms_top_n":
            high = max_pre_nms_top_n
        ranges[spec.key] = [int(low), int(high)] if spec.integer else [float(low), float(high)]
    return ranges


def versions() -> dict[str, str]:
    return {"torch": torch.__version__, "torchvision": torchvision.__version__}


# ---- reading and writing -----------------------------------------------------------------------------------------
def write_manifest(folder: Path, manifest: Mapping[str, Any]) -> None:
    write_atomically(folder / MANIFEST, json.dumps(json_safe(manifest), indent=1).encode())


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise InputError("dataset.capture_missing", path=str(folder))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError("dataset.capture_unreadable", path=str(folder), reason=str(e)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError("dataset.capture_unreadable", path=str(folder), reason="not an RCNN Lens dataset capture")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise InputError("dataset.format_version", path=str(folder), found=manifest.get("format_version"),
                         expected=FORMAT_VERSION)
    return manifest


def check_same_model(folder: Path, manifest: Mapping[str, Any], identity: Mapping[str, Any]) -> None:
    found = manifest["model"]
    if found["fingerprint"] != identity["fingerprint"]:
        what = found["name"] if found["name"] != identity["name"] else f"{found['name']}, other weights or settings"
        raise InputError("dataset.other_model", path=str(folder), found=what, given=identity["name"])


# ---- the records' integrity --------------------------------------------------------------------------------------
HASH_BLOCK = 1 << 20


def record_digest(data: bytes) -> dict[str, Any]:
    """What the manifest keeps of one record: its size and sha256."""
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def file_digest(path: Path) -> dict[str, Any]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(HASH_BLOCK), b""):
            digest.update(block)
            size += len(block)
    return {"bytes": size, "sha256": digest.hexdigest()}


@dataclass(frozen=True)
class RecordProblem:
    """One image whose record cannot be used: `problem` is "absent", "truncated" or "changed"."""

    index: int
    name: str
    file: str
    problem: str
    size: int = 0
    expected: int = 0


def record_problem(path: Path, entry: Mapping[str, Any], index: int) -> tuple[Optional[RecordProblem],
                                                                              Optional[dict[str, Any]]]:
    """(None, its digest) when the record at `path` is the one the manifest entry describes (size and sha256; for
    an entry without them, a whole zip whose members match their CRC-32), else (what is wrong, None)."""
    def wrong(problem: str, size: int = 0) -> tuple[RecordProblem, None]:
        return RecordProblem(index, str(entry.get("name", entry.get("file_name", index))), str(path), problem, size,
                             int(entry.get("bytes", 0) or 0)), None

    try:
        found = file_digest(path)
    except FileNotFoundError:
        return wrong("absent")
    except OSError:
        return wrong("changed")
    if "sha256" in entry:
        if found["bytes"] < int(entry["bytes"]):
            return wrong("truncated", found["bytes"])
        if found["bytes"] != int(entry["bytes"]) or found["sha256"] != entry["sha256"]:
            return wrong("changed", found["bytes"])
        return None, found
    if not is_whole_record(path):
        return wrong("changed", found["bytes"])
    return None, found


def damaged_records(folder: Path, images: Sequence[Mapping[str, Any]]) -> list[RecordProblem]:
    """Every image of the manifest whose record is absent, cut short or altered."""
    records = folder / RECORDS
    problems = []
    for index, entry in enumerate(images):
        problem, _ = record_problem(records / entry["record"], entry, index)
        if problem is not None:
            problems.append(problem)
    return problems


def check_records(folder: Path, manifest: Mapping[str, Any]) -> None:
    """Raise an InputError naming the first damaged record (image, file) and how many there are in all."""
    problems = damaged_records(folder, manifest["images"])
    if problems:
        first = problems[0]
        params: dict[str, Any] = dict(path=str(folder), index=first.index, name=first.name, file=first.file,
                                      count=len(problems))
        if first.problem == "truncated":
            params.update(size=first.size, expected=first.expected)
        raise InputError(f"dataset.record_{first.problem}", **params)
