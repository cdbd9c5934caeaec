"""Ground truth from an annotation file: COCO JSON or Pascal VOC XML → boxes in original pixels and class names.

What a person uploads is checked, never trusted: a file for another image, malformed JSON/XML, XML with a DTD
(entity-expansion bombs, external entities: refused by defusedxml before anything expands), a binary file or a
wrong schema is an InputError whose code and values say what is wrong. Problems with single boxes do not stop
the analysis: the box is left out (or clipped) and a coded warning says what was done and what was kept.

Conventions
- Boxes are x1 y1 x2 y2 in pixels of the image as uploaded (float64, as the file gives them).
- COCO `bbox` is [x, y, w, h]. Crowd annotations (`iscrowd: 1`) are not objects to find: they are ignore regions,
  as in COCO evaluation (a detection inside one counts neither as right nor as wrong). COCO's `area` (the segment
  area) is kept for the small/medium/large split, as COCO uses it; boxes without one use their box area.
- Pascal VOC coordinates are 1-based pixel indices, inclusive (the VOC devkit's convention, as Detectron2 reads
  them): x1 = xmin − 1, y1 = ymin − 1, x2 = xmax, y2 = ymax. Objects marked `difficult` are ignore regions, as in
  VOC evaluation; the evaluation (COCO's, run by pycocotools) treats every ignore region as a COCO crowd region.
- Class names are matched to a model's categories by name (`GroundTruth.for_model`), exactly or else ignoring case
  and spaces/underscores; objects of classes the model does not know are left out with a warning naming them.
- Masks (for Mask R-CNN): a COCO annotation's `segmentation` — polygons, uncompressed or compressed RLE — becomes one
  compressed RLE of the image in original pixels (pycocotools' annToRLE, inspectors.evaluation.masks); crowd regions
  keep theirs (COCO's segm evaluation uses them). A segmentation that cannot be read is an InputError naming the
  annotation. Polygons of a file that does not give the image's size are drawn once the size is known
  (fit_to_image). Pascal VOC XML has no instance masks (`masks_missing` says so).
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import os
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path, PureWindowsPath
from typing import Any, Mapping, Optional, Sequence, TypeGuard, Union
from xml.etree.ElementTree import Element

import numpy as np
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as SafeET

from inspectors.core.errors import InputError, LensWarning
from inspectors.evaluation.masks import MaskError, Rle, segmentation_rle

MAX_ANNOTATION_BYTES = 256 * 2**20  # COCO val2017's instances file is 25 MB; train2017's 450 MB is not one image's
_NOT_A_CLASS = {"__background__", "N/A", "__ignore__"}
AnnotationSource = Union[str, os.PathLike, Mapping[str, Any]]


AnnotationWarning = LensWarning  # a coded warning: `code`, `params`, `message`


def _empty_boxes() -> np.ndarray:
    return np.zeros((0, 4), dtype=np.float64)


@dataclass(frozen=True, eq=False)
class GroundTruth:
    """The objects to find in one image (`boxes`, `names`) and the regions whose detections are ignored."""

    boxes: np.ndarray  # (N, 4) float64, x1 y1 x2 y2, original pixels: the objects to find
    names: tuple[str, ...]
    areas: np.ndarray  # (N,) the file's COCO `area` (segment area), NaN when it gives none
    ids: tuple[Any, ...]  # each object's id in the file (COCO annotation id; VOC object number from 1)
    ignore_boxes: np.ndarray = field(default_factory=_empty_boxes)  # (M, 4) COCO crowd / VOC difficult
    ignore_names: tuple[str, ...] = ()
    ignore_crowd: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # (M,) crowd (else difficult)
    ignore_ids: tuple[Any, ...] = ()
    labels: Optional[np.ndarray] = None  # (N,) indices into `categories`, once mapped to a model (for_model)
    ignore_labels: Optional[np.ndarray] = None  # (M,)
    categories: Optional[tuple[str, ...]] = None  # the model categories the labels index
    categories_unknown: tuple[str, ...] = ()  # class names the model does not know (their objects were left out)
    image_name: Optional[str] = None  # the image the file annotates, as it names it
    image_size: Optional[tuple[int, int]] = None  # (height, width) the boxes were made for, when known
    source: str = ""  # the file name, or "<dict>"
    format: str = "coco"  # "coco" or "voc"
    warnings: tuple[AnnotationWarning, ...] = ()
    # Per object (and per ignore region) its mask: a compressed RLE in original pixels, polygons waiting for the
    # image size (fit_to_image draws them), or None (no segmentation); () when the file gives no masks at all.
    masks: tuple[Any, ...] = ()
    ignore_masks: tuple[Any, ...] = ()

    def __len__(self) -> int:
        return int(self.boxes.shape[0])

    @property
    def object_areas(self) -> np.ndarray:
        """Area per object for COCO's size classes: the file's `area` where it gives one, else the box area."""
        box_area = (self.boxes[:, 2] - self.boxes[:, 0]) * (self.boxes[:, 3] - self.boxes[:, 1])
        return np.where(np.isnan(self.areas), box_area, self.areas)

    @property
    def has_masks(self) -> bool:
        """Every object and every crowd region has a mask (what mask IoU and segm AP need); VOC never has."""
        crowd = [m for m, c in zip(self.ignore_masks or (None,) * len(self.ignore_crowd), self.ignore_crowd) if c]
        return bool(len(self.masks) == len(self) and len(self) and all(m is not None for m in self.masks)
                    and all(m is not None for m in crowd) and not (~self.ignore_crowd).any())

    @property
    def masks_missing(self) -> Optional[str]:
        """Why there are no masks to compare with (a LensWarning code), None when every object has one."""
        if self.has_masks:
            return None
        if self.format == "voc":
            return "annotations.voc_no_masks"
        if not len(self):
            return "annotations.no_objects_for_masks"
        if not any(m is not None for m in self.masks):
            return "annotations.no_masks"
        return "annotations.some_without_masks"

    def mask_rles(self) -> list[Rle]:
        """The objects' masks as compressed RLEs (original pixels); needs has_masks and a known image size."""
        return [_drawn(m, self.image_size, self.source, i) for i, m in zip(self.ids, self.masks)]

    def ignore_mask_rles(self) -> list[Rle]:
        """The ignore regions' masks (crowd regions; has_masks guarantees them)."""
        return [_drawn(m, self.image_size, self.source, i) for i, m in zip(self.ignore_ids, self.ignore_masks)]

    @cached_property
    def key(self) -> str:
        """A content hash: memo key of the analyses of this ground truth on a trace."""
        h = hashlib.sha1()
        for array in (self.boxes, self.areas, self.ignore_boxes, self.ignore_crowd):
            h.update(np.ascontiguousarray(array).tobytes())
            h.update(b"|")
        for m in self.masks + ("|",) + self.ignore_masks:
            h.update(m["counts"] if isinstance(m, dict) else repr(m).encode())
        h.update(repr((self.names, self.ignore_names, self.categories, self.image_size)).encode())
        if self.labels is not None:
            h.update(np.ascontiguousarray(self.labels).tobytes())
        return h.hexdigest()

    # ---- construction in code (notebooks, tests) ---------------------------------------------------------
    @classmethod
    def from_boxes(
        cls,
        boxes: Any,
        names: Sequence[str],
        *,
        ignore_boxes: Any = None,
        ignore_names: Sequence[str] = (),
        image_size: Optional[tuple[int, int]] = None,
    ) -> "GroundTruth":
        """Ground truth from x1 y1 x2 y2 boxes (original pixels) and class names; ignore regions are crowd-like."""
        b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        if len(names) != b.shape[0]:
            raise ValueError(f"{b.shape[0]} boxes but {len(names)} names.")
        ib = _empty_boxes() if ignore_boxes is None else np.asarray(ignore_boxes, dtype=np.float64).reshape(-1, 4)
        if len(ignore_names) != ib.shape[0]:
            raise ValueError(f"{ib.shape[0]} ignore boxes but {len(ignore_names)} names.")
        objects = [_Object(i + 1, str(n), _box4(box), math.nan) for i, (box, n) in enumerate(zip(b, names))]
        ignored = [_Object(f"ignore {i + 1}", str(n), _box4(box), math.nan, crowd=True)
                   for i, (box, n) in enumerate(zip(ib, ignore_names))]
        return _build(objects, ignored, [], source="<boxes>", fmt="boxes", image_name=None, image_size=image_size)

    # ---- fitting to an image and to a model --------------------------------------------------------------
    def fit_to_image(self, height: int, width: int) -> "GroundTruth":
        """Check the file was made for an image of this size, clip boxes to it (left out when entirely outside)."""
        if self.image_size is not None and tuple(self.image_size) != (height, width):
            declared_h, declared_w = self.image_size
            code = "annotations.size_rotated" if (declared_h, declared_w) == (width, height) else \
                "annotations.size_mismatch"
            raise InputError(code, name=self.source, declared_width=declared_w, declared_height=declared_h,
                             width=width, height=height)
        warnings = list(self.warnings)
        boxes, keep, clipped_ids, outside_ids = _clip(self.boxes, self.ids, height, width)
        iboxes, ikeep, iclipped, ioutside = _clip(self.ignore_boxes, self.ignore_ids, height, width)
        if clipped_ids or iclipped:
            ids = clipped_ids + iclipped
            warnings.append(AnnotationWarning("annotations.clipped", dict(
                count=len(ids), width=width, height=height, ids=_id_list(ids))))
        if outside_ids or ioutside:
            ids = outside_ids + ioutside
            warnings.append(AnnotationWarning("annotations.outside", dict(
                count=len(ids), width=width, height=height, ids=_id_list(ids), kept=int(keep.sum()))))
        masks = tuple(_fitted(m, height, width, self.source, i) for m, i in zip(self.masks, self.ids))
        ignore_masks = tuple(_fitted(m, height, width, self.source, i)
                             for m, i in zip(self.ignore_masks, self.ignore_ids))
        return replace(
            self,
            masks=tuple(m for m, k in zip(masks, keep) if k) if masks else (),
            ignore_masks=tuple(m for m, k in zip(ignore_masks, ikeep) if k) if ignore_masks else (),
            boxes=boxes[keep],
            names=tuple(n for n, k in zip(self.names, keep) if k),
            areas=self.areas[keep],
            ids=tuple(i for i, k in zip(self.ids, keep) if k),
            labels=None if self.labels is None else self.labels[keep],
            ignore_boxes=iboxes[ikeep],
            ignore_names=tuple(n for n, k in zip(self.ignore_names, ikeep) if k),
            ignore_crowd=self.ignore_crowd[ikeep],
            ignore_ids=tuple(i for i, k in zip(self.ignore_ids, ikeep) if k),
            ignore_labels=None if self.ignore_labels is None else self.ignore_labels[ikeep],
            image_size=(int(height), int(width)),
            warnings=tuple(warnings),
        )

    def for_model(self, categories: Sequence[str]) -> "GroundTruth":
        """The objects whose class the model knows, with `labels` = indices into `categories` (by name: exact,
        else ignoring case and spaces/underscores). Objects of other classes are left out with a warning."""
        categories = tuple(str(c) for c in categories)
        if self.categories == categories:
            return self
        lookup = _name_lookup(categories)
        labels, known, unknown, loose = [], [], set(), {}
        for name in self.names:
            index, how = lookup.find(name)
            known.append(index is not None)
            if index is None:
                unknown.add(name)
            else:
                labels.append(index)
                if how == "loose":
                    loose[name] = categories[index]
        ignore_labels, ignore_known = [], []
        for name in self.ignore_names:  # an ignore region of a class no detection can have affects nothing
            index, how = lookup.find(name)
            ignore_known.append(index is not None)
            if index is not None:
                ignore_labels.append(index)
                if how == "loose":
                    loose[name] = categories[index]
        keep = np.array(known, dtype=bool)
        ikeep = np.array(ignore_known, dtype=bool)
        warnings = list(self.warnings)
        if unknown:
            warnings.append(AnnotationWarning("annotations.unknown_names", dict(
                dropped=int((~keep).sum()), names=", ".join(sorted(unknown)), kept=int(keep.sum()))))
        if loose:
            warnings.append(AnnotationWarning("annotations.names_matched_loosely", dict(
                pairs=", ".join(f"{a} → {b}" for a, b in sorted(loose.items())))))
        return replace(
            self,
            masks=tuple(m for m, k in zip(self.masks, known) if k) if self.masks else (),
            ignore_masks=tuple(m for m, k in zip(self.ignore_masks, ignore_known) if k) if self.ignore_masks else (),
            boxes=self.boxes[keep] if keep.size else self.boxes,
            names=tuple(n for n, k in zip(self.names, known) if k),
            areas=self.areas[keep] if keep.size else self.areas,
            ids=tuple(i for i, k in zip(self.ids, known) if k),
            labels=np.array(labels, dtype=np.int64),
            ignore_boxes=self.ignore_boxes[ikeep] if ikeep.size else self.ignore_boxes,
            ignore_names=tuple(n for n, k in zip(self.ignore_names, ignore_known) if k),
            ignore_crowd=self.ignore_crowd[ikeep] if ikeep.size else self.ignore_crowd,
            ignore_ids=tuple(i for i, k in zip(self.ignore_ids, ignore_known) if k),
            ignore_labels=np.array(ignore_labels, dtype=np.int64),
            categories=categories,
            categories_unknown=tuple(sorted(unknown)),
            warnings=tuple(warnings),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "format": self.format,
            "image_name": self.image_name,
            "image_size": list(self.image_size) if self.image_size else None,
            "objects": [
                {"id": _jsonable(i), "name": n, "box": [round(float(v), 2) for v in b]}
                for i, n, b in zip(self.ids, self.names, self.boxes)
            ],
            "ignore_regions": [
                {"id": _jsonable(i), "name": n, "box": [round(float(v), 2) for v in b],
                 "kind": "crowd" if c else "difficult"}
                for i, n, b, c in zip(self.ignore_ids, self.ignore_names, self.ignore_boxes, self.ignore_crowd)
            ],
            "categories_unknown": list(self.categories_unknown),
            "warnings": [w.to_dict() for w in self.warnings],
            "masks": self.has_masks,  # every object (and crowd region) has a segmentation
            "masks_missing": self.masks_missing,  # why not, as a warning code (e.g. annotations.voc_no_masks)
        }


# ---- reading files ---------------------------------------------------------------------------------------
def load_annotations(
    path: AnnotationSource, image: Union[str, os.PathLike, None] = None, *, max_bytes: int = MAX_ANNOTATION_BYTES
) -> GroundTruth:
    """Read the ground truth of one image from a COCO JSON file (or dict) or a Pascal VOC XML file.

    `image` (a path or a file name) picks the image in a COCO file by file name, and is checked against a VOC
    file's <filename>; without it, a COCO file must annotate exactly one image.
    """
    if isinstance(path, Mapping):
        return _parse_coco(path, "<dict>", image)
    if not isinstance(path, (str, os.PathLike)):
        raise InputError("annotations.unsupported_type", kind=type(path).__name__)
    file = Path(path)
    if not file.is_file():
        raise InputError("annotations.missing", path=str(file))
    size = file.stat().st_size
    if size > max_bytes:
        raise InputError("annotations.too_large", name=file.name, size_mb=size / 2**20, limit_mb=max_bytes / 2**20)
    return parse_annotations(file.read_bytes(), name=file.name, image=image)


def parse_annotations(data: bytes, *, name: str = "annotations", image: Union[str, os.PathLike, None] = None
                      ) -> GroundTruth:
    """The same as load_annotations for the bytes of a file (an upload), `name` naming it in messages."""
    text_start = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
    stripped = text_start.lstrip()
    if not stripped:
        raise InputError("annotations.empty", name=name)
    if not utf16 and b"\x00" in data[:8192]:
        raise InputError("annotations.not_text", name=name)
    first = stripped[:1]
    suffix = Path(name).suffix.lower()
    if utf16:  # only XML declares its encoding; JSON is UTF-8 (RFC 8259) but json.loads also detects UTF-16
        first = b"<" if suffix == ".xml" else b"{"
    if first in (b"{", b"[") or (first != b"<" and suffix == ".json"):
        return _parse_coco(_read_json(data, name), name, image)
    if first == b"<" or suffix == ".xml":
        return _parse_voc(_read_xml(data, name), name, image)
    raise InputError("annotations.unknown_format", name=name, start=stripped[:16].decode("utf-8", "replace"))


def _read_json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data)
    except json.JSONDecodeError as e:
        raise InputError("annotations.bad_json", name=name, reason=e.msg, line=e.lineno, column=e.colno) from None
    except UnicodeDecodeError:
        raise InputError("annotations.not_text", name=name) from None
    except RecursionError:
        raise InputError("annotations.bad_json", name=name, reason="nested too deeply", line="?",
                         column="?") from None


_FORBIDDEN_REASONS = {
    DTDForbidden: "a DOCTYPE declaration",
    EntitiesForbidden: "an entity declaration",
    ExternalReferenceForbidden: "an external reference",
}


def _read_xml(data: bytes, name: str) -> Element:
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as e:
        raise InputError("annotations.xml_forbidden", name=name, reason=_FORBIDDEN_REASONS[type(e)]) from None
    except SafeET.ParseError as e:
        raise InputError("annotations.bad_xml", name=name, reason=str(e)) from None
    except (ValueError, UnicodeError, LookupError) as e:  # an unknown or wrong declared encoding
        raise InputError("annotations.bad_xml", name=name, reason=str(e) or type(e).__name__) from None


# ---- COCO ------------------------------------------------------------------------------------------------
def _parse_coco(data: Any, name: str, image: Union[str, os.PathLike, None]) -> GroundTruth:
    if isinstance(data, list):
        raise InputError("annotations.bad_schema", name=name, detail="the top level is a list (a COCO results "
                         "file of detections?), not an object with images, annotations and categories")
    if not isinstance(data, Mapping):
        raise InputError("annotations.bad_schema", name=name,
                         detail=f"the top level is a JSON {type(data).__name__}, not an object")
    missing = [k for k in ("images", "annotations", "categories") if k not in data]
    if missing:
        raise InputError("annotations.bad_schema", name=name, detail=f"it has no {', '.join(missing)}")
    for key in ("images", "annotations", "categories"):
        if not isinstance(data[key], list):
            raise InputError("annotations.bad_schema", name=name,
                             detail=f"'{key}' is a {type(data[key]).__name__}, not a list")
    categories: dict[Any, str] = {}
    for i, cat in enumerate(data["categories"]):
        if not isinstance(cat, Mapping) or "id" not in cat or not isinstance(cat.get("name"), str):
            raise InputError("annotations.bad_schema", name=name, detail=f"categories[{i}] has no id and name")
        categories[_hashable(cat["id"])] = cat["name"].strip()
    entry = _select_image(data["images"], image, name)
    image_id = _hashable(entry["id"])
    size = _declared_size(entry.get("height"), entry.get("width"))
    objects: list[_Object] = []
    ignored: list[_Object] = []
    bad: list[str] = []
    for i, ann in enumerate(data["annotations"]):
        if not isinstance(ann, Mapping) or _hashable(ann.get("image_id")) != image_id:
            continue
        ann_id = _jsonable(ann.get("id", f"#{i}"))
        bbox = ann.get("bbox")
        if not _numbers(bbox, 4):
            bad.append(f"annotation {ann_id}: bbox {_short(bbox)} is not 4 finite numbers")
            continue
        category = categories.get(_hashable(ann.get("category_id")))
        if category is None:
            bad.append(f"annotation {ann_id}: category_id {_short(ann.get('category_id'))} is not in categories")
            continue
        x, y, w, h = (float(v) for v in bbox)
        given_area = ann.get("area")
        area = float(given_area) if given_area is not None and _numbers([given_area], 1) and float(given_area) > 0 \
            else math.nan
        obj = _Object(ann_id, category, (x, y, x + w, y + h), area, crowd=bool(ann.get("iscrowd", 0)),
                      mask=_read_mask(ann.get("segmentation"), size, name, ann_id))
        (ignored if obj.crowd else objects).append(obj)
    return _build(objects, ignored, bad, source=name, fmt="coco", image_name=str(entry.get("file_name", "")),
                  image_size=size)


def _select_image(images: list, image: Union[str, os.PathLike, None], name: str) -> Mapping[str, Any]:
    entries = [im for im in images if isinstance(im, Mapping) and "id" in im]
    if not entries:
        raise InputError("annotations.no_images", name=name)
    names = [_basename(str(im.get("file_name", ""))) for im in entries]
    if image is None:
        if len(entries) == 1:
            return entries[0]
        raise InputError("annotations.which_image", name=name, count=len(entries), examples=_examples(names))
    wanted = _basename(os.fspath(image))
    for same in (lambda a: a == wanted, lambda a: a.casefold() == wanted.casefold(),
                 lambda a: _stem(a) == _stem(wanted)):
        found = [im for im, n in zip(entries, names) if n and same(n)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise InputError("annotations.ambiguous_image", name=name, image=wanted, count=len(found))
    raise InputError("annotations.image_not_found", name=name, image=wanted, count=len(entries),
                     examples=_examples(names))


# ---- Pascal VOC ------------------------------------------------------------------------------------------
def _parse_voc(root: Element, name: str, image: Union[str, os.PathLike, None]) -> GroundTruth:
    if root.tag != "annotation":
        raise InputError("annotations.bad_schema", name=name,
                         detail=f"the root element is <{root.tag}>, not <annotation> (Pascal VOC)")
    annotated = (root.findtext("filename") or "").strip()
    if image is not None and annotated:
        wanted = _basename(os.fspath(image))
        mine = _basename(annotated)
        if mine.casefold() != wanted.casefold() and _stem(mine) != _stem(wanted):
            raise InputError("annotations.other_image", name=name, annotated=mine, image=wanted)
    size = root.find("size")
    declared = None
    if size is not None:
        declared = _declared_size(_number_text(size.findtext("height")), _number_text(size.findtext("width")))
    objects: list[_Object] = []
    ignored: list[_Object] = []
    bad: list[str] = []
    for i, obj in enumerate(root.findall("object"), start=1):
        label = (obj.findtext("name") or "").strip()
        box = obj.find("bndbox")
        coords = [_number_text(box.findtext(k)) if box is not None else None
                  for k in ("xmin", "ymin", "xmax", "ymax")]
        if not label:
            bad.append(f"object {i}: no <name>")
            continue
        if not _numbers(coords, 4):
            bad.append(f"object {i} ({label}): <bndbox> needs numeric xmin, ymin, xmax, ymax")
            continue
        xmin, ymin, xmax, ymax = coords
        difficult = (obj.findtext("difficult") or "0").strip().lower() in ("1", "true")
        entry = _Object(i, label, (xmin - 1.0, ymin - 1.0, xmax, ymax), math.nan, crowd=False)
        (ignored if difficult else objects).append(entry)
    return _build(objects, ignored, bad, source=name, fmt="voc", image_name=annotated or None, image_size=declared)


# ---- shared ----------------------------------------------------------------------------------------------
@dataclass
class _Object:
    id: Any
    name: str
    box: tuple[float, float, float, float]
    area: float
    crowd: bool = False
    mask: Any = None  # a compressed RLE, polygons (image size unknown yet), or None


def _build(objects: list[_Object], ignored: list[_Object], bad: list[str], *, source: str, fmt: str,
           image_name: Optional[str], image_size: Optional[tuple[int, int]]) -> GroundTruth:
    warnings: list[AnnotationWarning] = []
    valid = [o for o in objects if _has_area(o.box)]
    valid_ignored = [o for o in ignored if _has_area(o.box)]
    if bad:
        warnings.append(AnnotationWarning("annotations.bad_entries", dict(
            count=len(bad), example=bad[0], kept=len(valid))))
    degenerate = [o.id for o in objects + ignored if not _has_area(o.box)]
    if degenerate:
        warnings.append(AnnotationWarning("annotations.degenerate", dict(
            count=len(degenerate), ids=_id_list(degenerate), kept=len(valid))))
    crowd = sum(o.crowd for o in valid_ignored)
    if crowd:
        warnings.append(AnnotationWarning("annotations.crowd", dict(count=crowd)))
    if len(valid_ignored) - crowd:
        warnings.append(AnnotationWarning("annotations.difficult", dict(count=len(valid_ignored) - crowd)))
    if not valid:
        warnings.append(AnnotationWarning("annotations.no_objects", dict(ignored=len(valid_ignored))))
    gt = GroundTruth(
        boxes=np.array([o.box for o in valid], dtype=np.float64).reshape(-1, 4),
        names=tuple(o.name for o in valid),
        areas=np.array([o.area for o in valid], dtype=np.float64),
        ids=tuple(o.id for o in valid),
        ignore_boxes=np.array([o.box for o in valid_ignored], dtype=np.float64).reshape(-1, 4),
        ignore_names=tuple(o.name for o in valid_ignored),
        ignore_crowd=np.array([o.crowd for o in valid_ignored], dtype=bool),
        ignore_ids=tuple(o.id for o in valid_ignored),
        masks=tuple(o.mask for o in valid) if any(o.mask is not None for o in objects + ignored) else (),
        ignore_masks=tuple(o.mask for o in valid_ignored) if any(o.mask is not None for o in objects + ignored)
        else (),
        image_name=image_name,
        image_size=None,
        source=source,
        format=fmt,
        warnings=tuple(warnings),
    )
    if image_size is not None:  # the file says which size its boxes were drawn on: clip to it now
        gt = gt.fit_to_image(*image_size)
    return gt


def _read_mask(segmentation: Any, size: Optional[tuple[int, int]], source: str, ann_id: Any) -> Any:
    """A COCO segmentation as a compressed RLE (polygons stay polygons, checked, while the image size is unknown);
    None when there is none. InputError when it cannot be read."""
    if segmentation is None or (isinstance(segmentation, (list, tuple)) and not segmentation):
        return None
    try:
        if isinstance(segmentation, Mapping):  # an RLE says its own size; the image's, when known, must agree
            own = segmentation.get("size")
            if size is None and _numbers(own, 2):
                return segmentation_rle(segmentation, int(own[0]), int(own[1]))
            return segmentation_rle(segmentation, *(size or (1, 1)))
        if size is not None:
            return segmentation_rle(segmentation, *size)
        segmentation_rle(segmentation, 1, 1)  # checks the polygons; drawn when the size is known
        return ("polygons", tuple(tuple(float(v) for v in p) for p in segmentation))
    except MaskError as e:
        raise InputError("annotations.bad_mask", name=source, id=_jsonable(ann_id), reason=str(e)) from None


def _fitted(mask: Any, height: int, width: int, source: str, ann_id: Any) -> Any:
    """A mask for an image of height × width: polygons drawn, an RLE's size checked."""
    if mask is None:
        return None
    try:
        if isinstance(mask, tuple):
            return segmentation_rle([list(p) for p in mask[1]], height, width)
        if tuple(mask["size"]) != (height, width):
            raise MaskError(f"the RLE is {mask['size'][1]}×{mask['size'][0]} pixels but the image is "
                            f"{width}×{height}")
        return mask
    except MaskError as e:
        raise InputError("annotations.bad_mask", name=source, id=_jsonable(ann_id), reason=str(e)) from None


def _drawn(mask: Any, size: Optional[tuple[int, int]], source: str, ann_id: Any) -> Rle:
    if mask is None:
        raise ValueError(f"{source}: annotation {ann_id} has no mask")
    if isinstance(mask, dict):
        return mask
    if size is None:
        raise ValueError(f"{source}: the image size is unknown, so the polygons of annotation {ann_id} are not drawn")
    return _fitted(mask, size[0], size[1], source, ann_id)


def _clip(boxes: np.ndarray, ids: tuple[Any, ...], height: int, width: int
          ) -> tuple[np.ndarray, np.ndarray, list[Any], list[Any]]:
    clipped = boxes.copy()
    clipped[:, 0::2] = boxes[:, 0::2].clip(0, width)
    clipped[:, 1::2] = boxes[:, 1::2].clip(0, height)
    keep = (clipped[:, 2] > clipped[:, 0]) & (clipped[:, 3] > clipped[:, 1])
    changed = (clipped != boxes).any(axis=1)
    clipped_ids = [i for i, c, k in zip(ids, changed, keep) if c and k]
    outside_ids = [i for i, k in zip(ids, keep) if not k]
    return clipped, keep, clipped_ids, outside_ids


@lru_cache(maxsize=32)
def _name_lookup(categories: tuple[str, ...]) -> "_NameLookup":
    return _NameLookup(categories)


class _NameLookup:
    def __init__(self, categories: tuple[str, ...]) -> None:
        self.exact: dict[str, int] = {}
        loose: dict[str, list[int]] = {}
        for i, c in enumerate(categories):
            if c in _NOT_A_CLASS or (i == 0 and "background" in c.lower()):
                continue
            self.exact.setdefault(c, i)
            loose.setdefault(_loose(c), []).append(i)
        self.loose = {k: v[0] for k, v in loose.items() if len(v) == 1}

    def find(self, name: str) -> tuple[Optional[int], str]:
        if name in self.exact:
            return self.exact[name], "exact"
        index = self.loose.get(_loose(name))
        return (index, "loose") if index is not None else (None, "")


def _loose(name: str) -> str:
    return " ".join(name.replace("_", " ").replace("-", " ").casefold().split())


def _box4(row: np.ndarray) -> tuple[float, float, float, float]:
    """The four coordinates of a (4,) box row as Python floats."""
    x1, y1, x2, y2 = (float(v) for v in row)
    return x1, y1, x2, y2


def _has_area(box: tuple[float, float, float, float]) -> bool:
    return box[2] > box[0] and box[3] > box[1]


def _numbers(values: Any, count: int) -> TypeGuard[Sequence[float]]:
    """`values` is a list or tuple of `count` finite real numbers (not bools)."""
    return (isinstance(values, (list, tuple)) and len(values) == count
            and all(isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v) for v in values))


def _number_text(text: Optional[str]) -> Optional[float]:
    try:
        value = float((text or "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _declared_size(height: Any, width: Any) -> Optional[tuple[int, int]]:
    """(height, width) when both are positive whole numbers (VOC files often carry 0 for unknown)."""
    if _numbers([height, width], 2) and height > 0 and width > 0 and float(height).is_integer() \
            and float(width).is_integer():
        return int(height), int(width)
    return None


def _basename(path: str) -> str:
    return PureWindowsPath(path).name  # handles both / and \ separators


def _stem(name: str) -> str:
    return PureWindowsPath(name).stem.casefold()


def _examples(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(n or "?" for n in names[:limit])
    return shown + (", …" if len(names) > limit else "")


def _id_list(ids: list, limit: int = 8) -> str:
    shown = ", ".join(str(i) for i in ids[:limit])
    return shown + (", …" if len(ids) > limit else "")


def _short(value: Any, limit: int = 40) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, type(None))) and not isinstance(value, bool) else repr(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
